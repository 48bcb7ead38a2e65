package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clipvec/clipvec/benchmarks/ann"
)

// childFlag is the hidden first argument that makes the binary run one
// method on a spec file instead of the whole benchmark.
const childFlag = "-annbench-child"

// allMethods are the methods annbench knows, in the order they run.
var allMethods = []string{"exact", "clipvec", "clipvec-f32", "hnswlib-native", "hnswlib", "faiss-hnsw", "faiss-hnsw-sq8", "coder"}

// config is what the flags say.
type config struct {
	n, queries, k       int
	exactQueries, runs  int
	efs                 []int
	m, efConstruction   int
	threads             int
	seed                uint64
	methods             []string
	data                []string
	fmnistDir           string
	queriesSet          bool // by -queries or -quick: Fashion-MNIST otherwise takes all its queries
	base, query, gt     string
	sampleOverrides     string
	out, cache          string
	quick, build1, plot bool
	python, peersDir    string
	cxx, hnswlibInclude string
	replot              string
	target              float64
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	var c config
	fs := flag.NewFlagSet("annbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.n, "n", 100_000, "base vectors of the synthetic dataset; at most this many of Fashion-MNIST's 60,000")
	fs.IntVar(&c.queries, "queries", 1000, "queries (the first `Q` of a TEXMEX query file; Fashion-MNIST: all 10,000 unless given)")
	fs.IntVar(&c.k, "k", 10, "neighbours per query; recall is recall@k")
	fs.IntVar(&c.exactQueries, "exact-queries", 200, "queries the exact scan's speed row runs (it is slow; 0: all)")
	fs.IntVar(&c.runs, "runs", 3, "timed runs of each ef's queries; the fastest counts (noisy shared machines only slow runs down)")
	efList := fs.String("ef", "10,20,40,80,120,200,400,800", "comma-separated ef values to sweep")
	fs.IntVar(&c.m, "m", 16, "HNSW M (layer 0 keeps 2·M neighbours)")
	fs.IntVar(&c.efConstruction, "efc", 200, "HNSW efConstruction")
	fs.IntVar(&c.threads, "threads", runtime.NumCPU(), "threads for the all-threads build and for ground truth")
	seed := fs.Uint64("seed", 2025, "seed of the synthetic data and of every graph's level generator")
	methods := fs.String("methods", strings.Join(allMethods, ","), "comma-separated methods to run: "+strings.Join(allMethods, ", "))
	data := fs.String("data", "synthetic", "comma-separated datasets: synthetic, texmex (needs -base and -query), fmnist (784-d pixels), fmnist96 (PCA to 96-d)")
	fs.StringVar(&c.base, "base", "", "TEXMEX base vectors (`FILE.fvecs`)")
	fs.StringVar(&c.query, "query", "", "TEXMEX query vectors (`FILE.fvecs`)")
	fs.StringVar(&c.fmnistDir, "fmnist-dir", fmnistDefaultDir, "`DIR` of Fashion-MNIST's IDX files (Debian's dataset-fashion-mnist)")
	fs.StringVar(&c.gt, "gt", "", "TEXMEX ground truth (`FILE.ivecs`, by cosine); computed and cached next to the base file if absent")
	fs.StringVar(&c.sampleOverrides, "sample", "", "override synthetic params, e.g. `Noise=0.3,Topics=64` (field names of internal/sample.Params)")
	fs.StringVar(&c.out, "out", filepath.Join("benchmarks", "results"), "directory for the JSON results and SVG plots")
	fs.StringVar(&c.cache, "cache", filepath.Join(os.TempDir(), "clipvec-annbench"), "directory for generated datasets and ground truth")
	fs.BoolVar(&c.quick, "quick", false, "smoke run: 10,000 vectors, 200 queries (unless -n / -queries say otherwise)")
	fs.BoolVar(&c.build1, "build1", true, "also time a build on one thread (a second build of each graph)")
	fs.BoolVar(&c.plot, "plot", true, "write an SVG plot of recall against QPS per dataset")
	fs.StringVar(&c.python, "python", "/usr/bin/python3", "Python with numpy, hnswlib and faiss (Debian's python3-hnswlib, python3-faiss)")
	fs.StringVar(&c.peersDir, "peers", "", "`DIR` of the peer programs hnswlib_bench.py, faiss_bench.py and hnswlib_native.cpp (default: benchmarks/peers in this checkout)")
	fs.StringVar(&c.cxx, "cxx", "g++", "C++ compiler for hnswlib-native (compiled into -cache)")
	fs.StringVar(&c.hnswlibInclude, "hnswlib-include", "/usr/include", "`DIR` holding hnswlib/hnswlib.h (Debian's libhnswlib-dev)")
	fs.Float64Var(&c.target, "target", 0.95, "recall at which QPS is compared")
	fs.StringVar(&c.replot, "replot", "", "redraw the table and SVG plot of an earlier run's `FILE.json` (written beside it) and exit")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if c.quick {
		if !set["n"] {
			c.n = 10_000
		}
		if !set["queries"] {
			c.queries = 200
		}
	}
	c.queriesSet = set["queries"] || c.quick
	c.seed = *seed
	for _, s := range strings.Split(*efList, ",") {
		ef, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || ef < 1 {
			return nil, fmt.Errorf("-ef %q: want positive integers", *efList)
		}
		c.efs = append(c.efs, ef)
	}
	slices.Sort(c.efs)
	c.efs = slices.Compact(c.efs)
	for _, m := range strings.Split(*methods, ",") {
		m = strings.TrimSpace(m)
		if !slices.Contains(allMethods, m) {
			return nil, fmt.Errorf("-methods: unknown method %q (want %s)", m, strings.Join(allMethods, ", "))
		}
		if !slices.Contains(c.methods, m) {
			c.methods = append(c.methods, m)
		}
	}
	for _, d := range strings.Split(*data, ",") {
		d = strings.TrimSpace(d)
		switch d {
		case "synthetic":
		case "texmex":
			if c.base == "" || c.query == "" {
				return nil, errors.New("-data texmex needs -base and -query")
			}
		case "fmnist", "fmnist96":
			if _, _, err := fmnistFiles(c.fmnistDir); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("-data: unknown dataset %q (want synthetic, texmex, fmnist, fmnist96)", d)
		}
		c.data = append(c.data, d)
	}
	switch {
	case c.n < 1 || c.queries < 1 || c.k < 1 || c.runs < 1:
		return nil, fmt.Errorf("-n %d, -queries %d, -k %d, -runs %d: want positive", c.n, c.queries, c.k, c.runs)
	case c.m < 2 || c.efConstruction < 1 || c.threads < 1:
		return nil, fmt.Errorf("-m %d, -efc %d, -threads %d: want M ≥ 2 and the others positive", c.m, c.efConstruction, c.threads)
	}
	return &c, nil
}

func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) >= 2 && args[0] == childFlag {
		if err := runChild(ctx, args[1], stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "annbench child:", err)
			return 1
		}
		return 0
	}
	c, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "annbench:", err)
		return 2
	}
	if c.replot != "" {
		err = replot(c.replot, stdout)
	} else {
		err = run(ctx, c, args, stdout, stderr)
	}
	if err != nil {
		fmt.Fprintln(stderr, "annbench:", err)
		return 1
	}
	return 0
}

// run measures every dataset with every method and writes the reports.
func run(ctx context.Context, c *config, args []string, stdout, stderr io.Writer) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own binary: %w", err)
	}
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return fmt.Errorf("create output dir: %w", err)
	}
	machine := describeMachine()
	fmt.Fprintf(stdout, "annbench: %d CPUs, %s, SIMD %v, load average before %s\n", machine.CPUs, machine.Go, machine.SIMD, machine.LoadBefore)
	command := "go run ./benchmarks/cmd/annbench"
	if len(args) > 0 {
		command += " " + strings.Join(args, " ")
	}
	for _, name := range c.data {
		ds, err := prepareDataset(ctx, c, name, stderr)
		if err != nil {
			return err
		}
		rep := &report{Command: command, Machine: machine, Dataset: ds.info, K: c.k, M: c.m, EfConstruction: c.efConstruction,
			Efs: c.efs, Threads: c.threads, Target: c.target, Runs: c.runs, ExactQueries: c.exactQueries}
		rep.Machine.LoadBefore = ann.LoadAvg()
		for _, method := range c.methods {
			fmt.Fprintf(stderr, "annbench: %s on %s ...\n", method, ds.info.Name)
			res := runMethod(ctx, c, self, ds, method, stderr)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			scoreRecall(res, ds.truth, c.k)
			rep.Methods = append(rep.Methods, res)
		}
		rep.Machine.LoadAfter = ann.LoadAvg()
		rep.finish()
		rep.printText(stdout)
		if err := rep.write(c.out, c.plot); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s\n", strings.Join(rep.files, ", "))
	}
	fmt.Fprintf(stdout, "annbench: load average after %s (%s)\n", ann.LoadAvg(), time.Now().Format(time.DateTime))
	return nil
}

// replot reads a report written by an earlier run, prints it and redraws
// its plot beside it.
func replot(path string, stdout io.Writer) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	// The ratios are computed again (their shape has changed between
	// versions): skip the stored ones.
	var r report
	stored := struct {
		*report
		AtTarget json.RawMessage `json:"qps_at_target_recall"`
		Ratios   json.RawMessage `json:"ratios"`
	}{report: &r}
	if err := json.Unmarshal(b, &stored); err != nil {
		return fmt.Errorf("read report %s: %w", path, err)
	}
	r.finish()
	r.printText(stdout)
	if err := r.write(filepath.Dir(path), true); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n", strings.Join(r.files, ", "))
	return nil
}
