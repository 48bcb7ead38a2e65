package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/clipvec/clipvec/benchmarks/ann"
)

// childSpec tells a child process what to measure. The parent writes it
// as JSON; hnswlib_bench.py gets the same values as flags.
type childSpec struct {
	Method         string `json:"method"`
	Base           string `json:"base"`
	Query          string `json:"query"`
	N              int    `json:"n"`
	Queries        int    `json:"queries"`
	K              int    `json:"k"`
	Efs            []int  `json:"efs"`
	M              int    `json:"m"`
	EfConstruction int    `json:"ef_construction"`
	Threads        int    `json:"threads"`
	Seed           uint64 `json:"seed"`
	Build1         bool   `json:"build1"`
	ExactQueries   int    `json:"exact_queries"`
	Runs           int    `json:"runs"`
	WorkDir        string `json:"work_dir"`
}

// methodResult is what a child reports, and, with recall and the parent's
// measurements filled in, a row group of the report. hnswlib_bench.py
// prints the same JSON.
type methodResult struct {
	Method          string  `json:"method"`
	Version         string  `json:"version,omitempty"`
	Setup           string  `json:"setup,omitempty"`
	Skipped         string  `json:"skipped,omitempty"`
	Error           string  `json:"error,omitempty"`
	Build1Seconds   float64 `json:"build_1_thread_seconds,omitempty"`
	BuildAllSeconds float64 `json:"build_all_threads_seconds,omitempty"`
	BuildThreads    int     `json:"build_threads,omitempty"`
	// Build1CPU and BuildAllCPU are the CPU seconds (user + system, all
	// threads) of the builds: on a shared machine, a build whose CPU time
	// is well under threads × wall time was kept waiting by other tenants.
	Build1CPU      float64  `json:"build_1_thread_cpu_seconds,omitempty"`
	BuildAllCPU    float64  `json:"build_all_threads_cpu_seconds,omitempty"`
	Build1PerSec   float64  `json:"build_1_thread_per_sec,omitempty"`
	BuildAllPerSec float64  `json:"build_all_threads_per_sec,omitempty"`
	PeakRSSBytes   int64    `json:"peak_rss_bytes,omitempty"`
	SnapshotBytes  int64    `json:"snapshot_bytes,omitempty"`
	LoadSeconds    float64  `json:"load_seconds,omitempty"`
	LoadCheck      string   `json:"load_check,omitempty"`
	QPSAllThreads  float64  `json:"qps_all_threads,omitempty"`
	ChildSeconds   float64  `json:"child_seconds,omitempty"`
	Points         []point  `json:"points,omitempty"`
	Notes          []string `json:"notes,omitempty"`
}

// point is one ef of a sweep (ef 0: the exact scan).
type point struct {
	Ef        int     `json:"ef"`
	Queries   int     `json:"queries"`
	Recall    float64 `json:"recall"`
	QPS       float64 `json:"qps"`
	P50Micros float64 `json:"p50_us"`
	P99Micros float64 `json:"p99_us"`
	// IDs are the results per query, best first; the parent scores them
	// against the ground truth and drops them from the report.
	IDs [][]int32 `json:"ids,omitempty"`
}

// graph is what the harness needs of an HNSW implementation. Vectors are
// unit length; ids are base row numbers.
type graph interface {
	// build inserts every row of base on threads goroutines (1 for
	// implementations without parallel insertion).
	build(ctx context.Context, base ann.Matrix, threads int, progress func(done int)) error
	// search returns the ids of the k best rows for q, best first,
	// appended to dst[:0].
	search(q []float32, k, ef int, dst []int32) []int32
	save(path string) error
	// load replaces the graph with the one saved at path.
	load(path string) error
	len() int
}

// graphKind makes graphs of one implementation.
type graphKind struct {
	version, setup string
	parallel       bool // build can use more than one thread
	make           func(spec *childSpec, dim int) (graph, error)
}

// graphKinds is filled by the files of each implementation.
var graphKinds = map[string]graphKind{}

func runChild(ctx context.Context, specPath string, stdout, stderr io.Writer) error {
	b, err := os.ReadFile(specPath)
	if err != nil {
		return err
	}
	var spec childSpec
	if err := json.Unmarshal(b, &spec); err != nil {
		return fmt.Errorf("read spec %s: %w", specPath, err)
	}
	start := time.Now()
	base, err := ann.ReadFvecs(spec.Base, spec.N)
	if err != nil {
		return err
	}
	queries, err := ann.ReadFvecs(spec.Query, spec.Queries)
	if err != nil {
		return err
	}
	if err := ann.Normalize(base); err != nil {
		return fmt.Errorf("%s: %w", spec.Base, err)
	}
	if err := ann.Normalize(queries); err != nil {
		return fmt.Errorf("%s: %w", spec.Query, err)
	}
	var res *methodResult
	if spec.Method == "exact" {
		res, err = childExact(ctx, &spec, base, queries)
	} else {
		kind, ok := graphKinds[spec.Method]
		if !ok {
			return fmt.Errorf("method %q is not built into this binary", spec.Method)
		}
		res, err = childGraph(ctx, &spec, kind, base, queries, stderr)
	}
	if err != nil {
		return err
	}
	res.ChildSeconds = time.Since(start).Seconds()
	return json.NewEncoder(stdout).Encode(res)
}

// childGraph builds a graph (on one thread, then on all), sweeps ef
// single-threaded, saves it and loads it back.
func childGraph(ctx context.Context, spec *childSpec, kind graphKind, base, queries ann.Matrix, log io.Writer) (*methodResult, error) {
	res := &methodResult{Method: spec.Method, Version: kind.version, Setup: kind.setup}
	build := func(threads int) (graph, float64, float64, error) {
		g, err := kind.make(spec, base.Dim)
		if err != nil {
			return nil, 0, 0, err
		}
		// progress may be called from several goroutines at once.
		var mu sync.Mutex
		step := max(base.Len()/10, 1)
		last := 0
		progress := func(done int) {
			mu.Lock()
			defer mu.Unlock()
			if done/step > last/step || (done == base.Len() && last != done) {
				fmt.Fprintf(log, "  %s: built %d/%d on %d thread(s)\n", spec.Method, done, base.Len(), threads)
			}
			last = max(last, done)
		}
		cpu := cpuSeconds()
		start := time.Now()
		if err := g.build(ctx, base, threads, progress); err != nil {
			return nil, 0, 0, err
		}
		secs := time.Since(start).Seconds()
		cpu = cpuSeconds() - cpu
		if g.len() != base.Len() {
			return nil, 0, 0, fmt.Errorf("%s: built a graph of %d nodes, want %d", spec.Method, g.len(), base.Len())
		}
		return g, secs, cpu, nil
	}

	var g graph
	var err error
	if spec.Build1 || !kind.parallel {
		if g, res.Build1Seconds, res.Build1CPU, err = build(1); err != nil {
			return nil, err
		}
	}
	if kind.parallel {
		// Drop the one-thread graph before the next build, so peak RSS
		// is one graph's.
		g = nil
		freeMemory()
		res.BuildThreads = spec.Threads
		if g, res.BuildAllSeconds, res.BuildAllCPU, err = build(spec.Threads); err != nil {
			return nil, err
		}
	} else {
		res.Notes = append(res.Notes, "no parallel insertion: built on one thread only")
	}

	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res.Points = sweep(queries, spec.Efs, spec.Runs, func(q []float32, ef int, dst []int32) []int32 {
		return g.search(q, spec.K, ef, dst)
	})

	// Snapshot: save, drop, load, and check the loaded graph answers as
	// the built one did at the middle ef.
	path := filepath.Join(spec.WorkDir, spec.Method+".snapshot")
	if err := g.save(path); err != nil {
		res.Notes = append(res.Notes, "snapshot: "+err.Error())
		return res, nil
	}
	defer os.Remove(path)
	if st, err := os.Stat(path); err == nil {
		res.SnapshotBytes = st.Size()
	}
	g = nil
	freeMemory()
	loaded, err := kind.make(spec, base.Dim)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := loaded.load(path); err != nil {
		res.Notes = append(res.Notes, "load snapshot: "+err.Error())
		return res, nil
	}
	res.LoadSeconds = time.Since(start).Seconds()
	mid := len(spec.Efs) / 2
	same, checked := 0, min(queries.Len(), 100)
	var dst []int32
	for i := range checked {
		dst = loaded.search(queries.Row(i), spec.K, spec.Efs[mid], dst)
		if slices.Equal(dst, res.Points[mid].IDs[i]) {
			same++
		}
	}
	res.LoadCheck = fmt.Sprintf("loaded graph: %d nodes; %d of %d queries give the same ids at ef=%d", loaded.len(), same, checked, spec.Efs[mid])
	return res, nil
}

// sweep runs every query through search at each ef, one at a time on one
// thread (GOMAXPROCS 1, so the garbage collector's work counts too),
// timing each, and keeps each ef's fastest of runs passes: other tenants
// of a shared machine only ever slow a pass down (ann-benchmarks keeps the
// best run too). The passes go round the whole sweep runs times rather
// than repeating one ef, so a few seconds of interference cannot spoil
// every pass of one ef. Each pass starts with a warm-up of 100 queries.
// The ids are those of the first pass.
func sweep(queries ann.Matrix, efs []int, runs int, search func(q []float32, ef int, dst []int32) []int32) []point {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	nq := queries.Len()
	points := make([]point, len(efs))
	lat := make([]time.Duration, nq)
	var buf []int32
	for r := range max(runs, 1) {
		for e, ef := range efs {
			p := &points[e]
			if r == 0 {
				*p = point{Ef: ef, Queries: nq, IDs: make([][]int32, nq)}
			}
			for i := range min(nq, 100) {
				buf = search(queries.Row(i), ef, buf)
			}
			start := time.Now()
			for i := range nq {
				t := time.Now()
				buf = search(queries.Row(i), ef, buf)
				lat[i] = time.Since(t)
				if r == 0 {
					p.IDs[i] = slices.Clone(buf)
				}
			}
			if qps := float64(nq) / time.Since(start).Seconds(); qps > p.QPS {
				p.QPS = qps
				p.P50Micros = micros(ann.Percentile(lat, 50))
				p.P99Micros = micros(ann.Percentile(lat, 99))
			}
		}
	}
	return points
}

// cpuSeconds returns the process's user + system CPU time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func freeMemory() {
	runtime.GC()
	debug.FreeOSMemory()
}

// childExact measures the exact scan: one query at a time on one thread
// (the speed row, with latencies), then on all threads, each scanning a
// share of the base.
func childExact(ctx context.Context, spec *childSpec, base, queries ann.Matrix) (*methodResult, error) {
	res := &methodResult{
		Method:  "exact",
		Version: "clipvec internal/vecmath.Dot",
		Setup:   "brute force: dot product of unit vectors with every base row, top-k heap",
	}
	if spec.ExactQueries > 0 && spec.ExactQueries < queries.Len() {
		queries = queries.Slice(0, spec.ExactQueries)
	}
	top := ann.NewTopK(spec.K)
	var hits []ann.Hit
	res.Points = sweep(queries, []int{0}, 1, func(q []float32, _ int, dst []int32) []int32 {
		top.Reset()
		ann.Scan(base, 0, q, top)
		hits = top.Sorted(hits[:0])
		dst = dst[:0]
		for _, h := range hits {
			dst = append(dst, h.ID)
		}
		return dst
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	threads := spec.Threads
	tops := make([]*ann.TopK, threads)
	for i := range tops {
		tops[i] = ann.NewTopK(spec.K)
	}
	n := base.Len()
	chunk := (n + threads - 1) / threads
	start := time.Now()
	for qi := range queries.Len() {
		var wg sync.WaitGroup
		for t := range threads {
			wg.Go(func() {
				tops[t].Reset()
				from := min(t*chunk, n)
				ann.Scan(base.Slice(from, min(from+chunk, n)), from, queries.Row(qi), tops[t])
			})
		}
		wg.Wait()
		hits = hits[:0]
		for _, t := range tops {
			hits = t.Sorted(hits)
		}
	}
	res.QPSAllThreads = float64(queries.Len()) / time.Since(start).Seconds()
	res.BuildThreads = threads
	return res, nil
}
