// Command faultstress SIGKILLs clipvec's writing commands (import,
// delete, index build, index compact) at random moments, runs them beside
// reader processes and a second import, and checks the database and the
// searches against SQLite after every trial (see package
// benchmarks/faults). It exits 1 at the first failed check.
//
//	go run ./benchmarks/cmd/faultstress                  # 120 kills, 20 concurrent trials, ~10k segments
//	go run ./benchmarks/cmd/faultstress -kills 400 -videos 800 -json report.json
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/clipvec/clipvec/benchmarks/faults"
	"github.com/clipvec/clipvec/internal/atomicfile"
)

func main() {
	var cfg faults.Config
	flag.IntVar(&cfg.Kills, "kills", 120, "SIGKILL trials, spread over import, delete, build and compact")
	flag.IntVar(&cfg.Concurrent, "concurrent", 20, "commands run to the end beside reader processes")
	flag.IntVar(&cfg.Videos, "videos", 320, "videos in the starting database")
	flag.IntVar(&cfg.Clips, "clips", 30, "clips per video")
	flag.IntVar(&cfg.Dim, "dim", 128, "vector dimension")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "random seed (data, kill moments, queries)")
	bin := flag.String("clipvec", "", "a built clipvec binary (default: build ./cmd/clipvec)")
	keep := flag.Bool("keep", false, "keep the working directory")
	jsonOut := flag.String("json", "", "write the report as JSON to `FILE`")
	quiet := flag.Bool("quiet", false, "no line per trial")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	dir, err := os.MkdirTemp("", "faultstress-")
	if err != nil {
		fail(err)
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	cfg.Dir = dir
	cfg.Binary = *bin
	if cfg.Binary == "" {
		cfg.Binary = filepath.Join(dir, "clipvec")
		if out, err := exec.Command("go", "build", "-o", cfg.Binary, "./cmd/clipvec").CombinedOutput(); err != nil {
			fail(fmt.Errorf("build clipvec: %v\n%s", err, out))
		}
	}
	if !*quiet {
		cfg.Log = os.Stdout
	}
	start := time.Now()
	rep, err := faults.Run(ctx, cfg)
	if rep != nil {
		fmt.Printf("\nkilled: %v\nfinished before the kill: %v\nbeside readers: %v (%d reader runs)\nchecks passed: %d\nsegments at the end: %d\ntime: %.1fs\n",
			rep.Kills, rep.Finished, rep.Concurrent, rep.ReaderRuns, rep.Checks, rep.Segments, time.Since(start).Seconds())
		if *jsonOut != "" {
			b, _ := json.MarshalIndent(rep, "", "  ")
			if werr := atomicfile.Write(*jsonOut, func(w io.Writer) error { _, err := w.Write(append(b, '\n')); return err }); werr != nil {
				fail(werr)
			}
		}
	}
	if err != nil {
		if *keep {
			fmt.Fprintln(os.Stderr, "working directory kept:", dir)
		} else {
			os.RemoveAll(dir)
		}
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "faultstress:", err)
	os.Exit(1)
}
