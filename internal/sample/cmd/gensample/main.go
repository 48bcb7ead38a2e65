// Command gensample writes the synthetic TwelveLabs sample export that
// clipvec's quickstart, tests and README use:
//
//	go run ./internal/sample/cmd/gensample -out testdata/sample
//
// With no flags but -out it writes the committed sample, byte for byte.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/clipvec/clipvec/internal/sample"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	p := sample.DefaultParams()
	fl := flag.NewFlagSet("gensample", flag.ContinueOnError)
	fl.SetOutput(stderr)
	out := fl.String("out", "testdata/sample", "output `dir`ectory")
	fl.Uint64Var(&p.Seed, "seed", p.Seed, "random seed")
	fl.IntVar(&p.Videos, "videos", p.Videos, "number of videos")
	fl.IntVar(&p.Topics, "topics", p.Topics, "number of topics")
	fl.IntVar(&p.Dim, "dim", p.Dim, "vector dimension")
	fl.StringVar(&p.ModelName, "model", p.ModelName, "model_name written in the files; should match -dim")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "gensample: unexpected arguments %q\n", fl.Args())
		return 2
	}
	g, err := sample.NewGenerator(p)
	if err != nil {
		fmt.Fprintf(stderr, "gensample: %v\n", err)
		return 2
	}
	// The README quotes the command that regenerates the directory, from
	// the module root, with the flags that differ from the defaults.
	// (go generate runs it from the package directory, with -out
	// ../../testdata/sample: the same directory.)
	command := []string{sample.DefaultCommand}
	if clean := filepath.ToSlash(filepath.Clean(*out)); clean != "testdata/sample" && !strings.HasSuffix(clean, "/testdata/sample") {
		command = []string{strings.TrimSuffix(sample.DefaultCommand, "testdata/sample") + *out}
	}
	fl.Visit(func(f *flag.Flag) {
		if f.Name != "out" {
			command = append(command, "-"+f.Name, f.Value.String())
		}
	})
	if err := sample.WriteSample(ctx, *out, g, strings.Join(command, " ")); err != nil {
		fmt.Fprintf(stderr, "gensample: %v\n", err)
		return 1
	}
	if err := report(stdout, *out, g); err != nil {
		fmt.Fprintf(stderr, "gensample: %v\n", err)
		return 1
	}
	return 0
}

// report prints each file written with its size, and the totals.
func report(w io.Writer, dir string, g *sample.Generator) error {
	var total int64
	segments := 0
	size := func(rel string) (int64, error) {
		fi, err := os.Stat(filepath.Join(dir, rel))
		if err != nil {
			return 0, err
		}
		total += fi.Size()
		return fi.Size(), nil
	}
	for _, v := range g.Videos() {
		rel := filepath.Join(sample.ExportsDir, sample.ExportName(v))
		n, err := size(rel)
		if err != nil {
			return err
		}
		segments += v.SegmentCount()
		fmt.Fprintf(w, "%-48s %9d bytes  %4d segments  %s\n", rel, n, v.SegmentCount(), v.Topic)
	}
	for _, rel := range []string{sample.QueriesFile, sample.ClassesFile, "README.md", ".gitattributes"} {
		n, err := size(rel)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%-48s %9d bytes\n", rel, n)
	}
	fmt.Fprintf(w, "wrote %d videos, %d segments, %d bytes to %s\n", len(g.Videos()), segments, total, dir)
	return nil
}
