package main

import (
	"context"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/benchmarks/ann"
)

// fakeProgram writes an executable shell script that prints stderr and
// exits with code: a Python without the module, or a compiler.
func fakeProgram(t testing.TB, name, stderr string, code int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	script := "#!/bin/sh\necho \"" + stderr + "\" >&2\nexit " + strconv.Itoa(code) + "\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// tinyDataset writes 500 × 16 Gaussian base vectors and 50 queries (fixed
// seed, not normalised: the peers normalise) and returns them with exact
// cosine ground truth.
func tinyDataset(t testing.TB) *dataset {
	t.Helper()
	dir := t.TempDir()
	const dim = 16
	rng := rand.New(rand.NewPCG(14, 2025))
	write := func(name string, rows int) (string, ann.Matrix) {
		m := ann.Matrix{Dim: dim, Data: make([]float32, rows*dim)}
		for i := range m.Data {
			m.Data[i] = float32(rng.NormFloat64())
		}
		path := filepath.Join(dir, name)
		err := ann.WriteFileAtomic(path, func(w io.Writer) error {
			fw := ann.NewFvecsWriter(w, dim)
			for i := range rows {
				if err := fw.Write(m.Row(i)); err != nil {
					return err
				}
			}
			return fw.Flush()
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := ann.Normalize(m); err != nil {
			t.Fatal(err)
		}
		return path, m
	}
	basePath, base := write("base.fvecs", 500)
	queryPath, queries := write("query.fvecs", 50)
	truth, err := ann.GroundTruth(context.Background(), base, queries, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	return &dataset{
		info:  datasetInfo{Name: "tiny", N: base.Len(), Dim: dim, Queries: queries.Len(), BasePath: basePath, QueryPath: queryPath},
		truth: truth,
	}
}

func testConfig(t testing.TB) *config {
	return &config{
		k: 10, efs: []int{10, 400}, m: 16, efConstruction: 200, threads: 2, seed: 2025,
		build1: true, runs: 1, cache: t.TempDir(),
		python: "/usr/bin/python3", cxx: "g++", hnswlibInclude: "/usr/include",
	}
}

// TestPeerSkipped checks that each peer is skipped, with what is missing
// and the apt-get line that installs it, when its compiler, headers or
// Python module is missing; and that nothing else is run.
func TestPeerSkipped(t *testing.T) {
	noModule := func(module string) string {
		return "Traceback (most recent call last):\nModuleNotFoundError: No module named '" + module + "'"
	}
	for _, tc := range []struct {
		name, method string
		set          func(t *testing.T, c *config)
		want         []string
	}{
		{"NoCompiler", "hnswlib-native", func(t *testing.T, c *config) {
			c.cxx = filepath.Join(t.TempDir(), "no-such-g++")
		}, []string{"no C++ compiler", "no-such-g++", "install with: apt-get install -y g++ libhnswlib-dev"}},
		{"NoHeaders", "hnswlib-native", func(t *testing.T, c *config) {
			// A compiler that would fail if it were run: the header
			// check must come first.
			c.cxx = fakeProgram(t, "g++", "not a compiler", 1)
			c.hnswlibInclude = t.TempDir()
		}, []string{"no hnswlib headers", filepath.Join("hnswlib", "hnswalg.h") + " does not exist", "install with: apt-get install -y g++ libhnswlib-dev"}},
		{"NoFaiss", "faiss-hnsw", func(t *testing.T, c *config) {
			c.python = fakeProgram(t, "python3", noModule("faiss"), 1)
		}, []string{"cannot import faiss and numpy", "No module named 'faiss'", "install with: apt-get install -y python3-faiss python3-numpy"}},
		{"NoFaiss", "faiss-hnsw-sq8", func(t *testing.T, c *config) {
			c.python = fakeProgram(t, "python3", noModule("faiss"), 1)
		}, []string{"cannot import faiss and numpy", "install with: apt-get install -y python3-faiss python3-numpy"}},
		{"NoPython", "faiss-hnsw", func(t *testing.T, c *config) {
			c.python = filepath.Join(t.TempDir(), "no-such-python3")
		}, []string{"no-such-python3 cannot import faiss", "install with: apt-get install -y python3-faiss"}},
		{"NoHnswlib", "hnswlib", func(t *testing.T, c *config) {
			c.python = fakeProgram(t, "python3", noModule("hnswlib"), 1)
		}, []string{"cannot import hnswlib and numpy", "install with: apt-get install -y python3-hnswlib python3-numpy"}},
	} {
		t.Run(tc.method+"/"+tc.name, func(t *testing.T) {
			c := testConfig(t)
			tc.set(t, c)
			ds := &dataset{info: datasetInfo{Name: "none", N: 10, Queries: 1, BasePath: "/nonexistent/base.fvecs", QueryPath: "/nonexistent/query.fvecs"}}
			res := runMethod(context.Background(), c, "/nonexistent/annbench", ds, tc.method, io.Discard)
			if res.Skipped == "" {
				t.Fatalf("%s not skipped: error %q, result %+v", tc.method, res.Error, res)
			}
			if res.Method != tc.method {
				t.Errorf("skipped row's method %q, want %q", res.Method, tc.method)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.Skipped, w) {
					t.Errorf("skip message %q does not contain %q", res.Skipped, w)
				}
			}
			var b strings.Builder
			(&report{Target: 0.95, Methods: []*methodResult{res}}).printText(&b)
			if !strings.Contains(b.String(), tc.method+": skipped: ") {
				t.Errorf("report does not say %s was skipped:\n%s", tc.method, b.String())
			}
		})
	}
}

// TestPeerMissingSource checks that a peer whose program is not in -peers
// fails with a message naming the file, rather than being skipped.
func TestPeerMissingSource(t *testing.T) {
	c := testConfig(t)
	c.peersDir = t.TempDir()
	c.python = fakeProgram(t, "python3", "", 0)
	c.cxx = fakeProgram(t, "g++", "", 0)
	c.hnswlibInclude = t.TempDir()
	if err := os.MkdirAll(filepath.Join(c.hnswlibInclude, "hnswlib"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.hnswlibInclude, "hnswlib", "hnswalg.h"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ds := &dataset{info: datasetInfo{Name: "none", N: 10, Queries: 1}}
	for method, file := range map[string]string{"hnswlib-native": "hnswlib_native.cpp", "faiss-hnsw": "faiss_bench.py", "hnswlib": "hnswlib_bench.py"} {
		res := runMethod(context.Background(), c, "/nonexistent/annbench", ds, method, io.Discard)
		if res.Skipped != "" || !strings.Contains(res.Error, filepath.Join(c.peersDir, file)+" does not exist") {
			t.Errorf("%s: skipped %q, error %q; want an error naming %s", method, res.Skipped, res.Error, file)
		}
	}
}

// TestPeerDrivers runs each peer program on the tiny dataset through
// runMethod, as annbench does, and checks its output parses and finds the
// exact neighbours at a large ef: the peers must normalise, build, search
// and report ids right for recall to pass. Each is skipped, saying why,
// when its compiler or module is missing.
func TestPeerDrivers(t *testing.T) {
	ds := tinyDataset(t)
	cache := t.TempDir()
	for _, tc := range []struct {
		method    string
		minRecall float64 // at ef=400 over 500 vectors
	}{
		{"hnswlib-native", 0.99},
		{"faiss-hnsw", 0.99},
		// 8-bit codes rank near-ties of 16-d vectors wrongly now and then.
		{"faiss-hnsw-sq8", 0.9},
		{"hnswlib", 0.99},
	} {
		t.Run(tc.method, func(t *testing.T) {
			c := testConfig(t)
			c.cache = cache
			res := runMethod(context.Background(), c, "/nonexistent/annbench", ds, tc.method, io.Discard)
			if res.Skipped != "" {
				skipPeer(t, res.Skipped)
			}
			if res.Error != "" {
				t.Fatal(res.Error)
			}
			if len(res.Points) != len(c.efs) {
				t.Fatalf("%d points, want %d", len(res.Points), len(c.efs))
			}
			for _, p := range res.Points {
				if len(p.IDs) != ds.info.Queries || p.QPS <= 0 || p.P50Micros <= 0 || p.P99Micros < p.P50Micros {
					t.Fatalf("ef=%d: %d id lists (want %d), QPS %v, p50 %v µs, p99 %v µs", p.Ef, len(p.IDs), ds.info.Queries, p.QPS, p.P50Micros, p.P99Micros)
				}
			}
			scoreRecall(res, ds.truth, c.k)
			if got := res.Points[1].Recall; got < tc.minRecall {
				t.Errorf("recall@10 at ef=400: %.4f, want ≥ %v", got, tc.minRecall)
			}
			if res.Build1Seconds <= 0 || res.BuildAllSeconds <= 0 || res.BuildThreads != 2 || res.SnapshotBytes <= 0 || res.PeakRSSBytes <= 0 {
				t.Errorf("build %v s / %v s on %d threads, snapshot %d bytes, peak RSS %d", res.Build1Seconds, res.BuildAllSeconds, res.BuildThreads, res.SnapshotBytes, res.PeakRSSBytes)
			}
			if want := "50 of 50 queries give the same ids at ef=400"; !strings.Contains(res.LoadCheck, want) {
				t.Errorf("load check %q, want %q", res.LoadCheck, want)
			}
			if tc.method == "hnswlib-native" {
				if !strings.Contains(res.Version, "-O3 -march=native -std=c++17 -pthread") {
					t.Errorf("version %q does not give the compiler flags", res.Version)
				}
				if !strings.Contains(res.Setup, "kernel InnerProductDistance") {
					t.Errorf("setup %q does not name the distance kernel", res.Setup)
				}
			}
			if strings.HasPrefix(tc.method, "faiss") && !strings.Contains(strings.Join(res.Notes, "\n"), "generic build") {
				t.Errorf("notes do not say Debian's faiss is a generic build: %q", res.Notes)
			}
		})
	}
	t.Run("hnswlib-native/Reused", func(t *testing.T) {
		// The first subtest compiled the driver into cache: a second run
		// reuses the binary.
		c := testConfig(t)
		c.cache = cache
		if _, err := exec.LookPath(c.cxx); err != nil {
			skipPeer(t, "no g++")
		}
		pc, skip, err := hnswlibNativeCommand(context.Background(), c, io.Discard)
		if skip != "" {
			skipPeer(t, skip)
		}
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(pc.notes[0], ": reused, cached at "+filepath.Join(cache, "hnswlib-native-")) {
			t.Errorf("note %q: want the cached binary reused", pc.notes[0])
		}
	})
}

// TestNativeBuildHash checks that the native driver's cache key changes
// with the source and the headers, and only with them (same inputs, same
// key).
func TestNativeBuildHash(t *testing.T) {
	cxx, err := exec.LookPath("g++")
	if err != nil {
		t.Skip("no g++: install with: apt-get install -y g++")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "driver.cpp")
	include := filepath.Join(dir, "include")
	if err := os.MkdirAll(filepath.Join(include, "hnswlib"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(path, text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	hash := func() string {
		t.Helper()
		b, err := nativeBuild(context.Background(), cxx, include, src)
		if err != nil {
			t.Fatal(err)
		}
		return b.hash
	}
	write(src, "int main() { return 0; }\n")
	write(filepath.Join(include, "hnswlib", "hnswalg.h"), "// v1\n")
	h1 := hash()
	if h := hash(); h != h1 {
		t.Fatalf("same inputs, keys %s and %s", h1, h)
	}
	write(src, "int main() { return 1; }\n")
	h2 := hash()
	if h2 == h1 {
		t.Errorf("source changed, key did not")
	}
	write(filepath.Join(include, "hnswlib", "hnswalg.h"), "// v2\n")
	if h := hash(); h == h2 {
		t.Errorf("header changed, key did not")
	}
}

// TestReportPeerRatios checks the ratios against each peer: the headline
// against hnswlib-native, a skipped peer reported as not run, and a peer
// whose curve never reaches the target giving no QPS ratio.
func TestReportPeerRatios(t *testing.T) {
	curve := func(pts ...[2]float64) []point {
		var out []point
		for i, p := range pts {
			out = append(out, point{Ef: 10 << i, Recall: p[0], QPS: p[1]})
		}
		return out
	}
	r := &report{Target: 0.95, Threads: 2, K: 10, Methods: []*methodResult{
		{Method: "clipvec", Points: curve([2]float64{0.9, 6000}, [2]float64{1, 4000}), BuildAllPerSec: 3000, Build1PerSec: 1600},
		{Method: "hnswlib-native", Points: curve([2]float64{0.6, 8000}, [2]float64{0.9, 3000}, [2]float64{1, 2000}), BuildAllPerSec: 2000, Build1PerSec: 1000},
		{Method: "hnswlib", Skipped: "no module"},
		{Method: "faiss-hnsw", Points: curve([2]float64{0.94, 1000}, [2]float64{0.945, 500}), BuildAllPerSec: 600},
	}}
	r.finish()
	// clipvec 5000 QPS at 0.95, hnswlib-native 2500.
	if got, want := r.Ratios.QPS, 2.0; math.Abs(got-want) > 1e-9 {
		t.Errorf("headline QPS ratio %v, want %v", got, want)
	}
	if got, want := r.Ratios.Build, 1.5; math.Abs(got-want) > 1e-9 {
		t.Errorf("headline build ratio %v, want %v", got, want)
	}
	var names []string
	for _, p := range r.Ratios.Peers {
		names = append(names, p.Peer)
	}
	if got, want := strings.Join(names, ","), "hnswlib-native,hnswlib,faiss-hnsw"; got != want {
		t.Fatalf("peers compared: %s, want %s", got, want)
	}
	if p := r.Ratios.Peers[0]; math.Abs(p.Build1-1.6) > 1e-9 {
		t.Errorf("hnswlib-native 1-thread build ratio %v, want 1.6", p.Build1)
	}
	if p := r.Ratios.Peers[1]; p.QPS != 0 || p.QPSNote != "hnswlib did not run" {
		t.Errorf("skipped hnswlib: ratio %v, note %q", p.QPS, p.QPSNote)
	}
	if p := r.Ratios.Peers[2]; p.QPS != 0 || !strings.Contains(p.QPSNote, "faiss-hnsw's: never reached") || math.Abs(p.Build-5) > 1e-9 {
		t.Errorf("faiss-hnsw: QPS ratio %v (note %q), build ratio %v", p.QPS, p.QPSNote, p.Build)
	}
	var b strings.Builder
	r.printText(&b)
	for _, want := range []string{
		"clipvec / hnswlib-native QPS at recall 0.95: 2.00× (headline)",
		"clipvec / hnswlib-native build throughput: 1.50× on 2 threads (3,000 vs 2,000 vectors/s), 1.60× on 1 thread",
		"clipvec / hnswlib QPS at recall 0.95: n/a: hnswlib did not run",
		"clipvec / faiss-hnsw build throughput: 5.00× on 2 threads",
		"calibration: hnswlib-native recall@10 at ef=10: 0.6000",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}

// TestReplotOldRatios checks that -replot reads a report written before
// the ratios changed shape (hnswlib_recall_at_ef10 was a number) and
// writes the ratios again in the current shape.
func TestReplotOldRatios(t *testing.T) {
	path := filepath.Join(t.TempDir(), "annbench-synthetic-1k.json")
	old := `{"dataset":{"name":"synthetic","n":1000,"dim":4,"queries":2},"k":10,"target_recall":0.95,"threads":2,
"methods":[{"method":"clipvec","points":[{"ef":10,"recall":0.9,"qps":6000},{"ef":20,"recall":1,"qps":4000}]},
{"method":"hnswlib","points":[{"ef":10,"recall":0.7,"qps":9000},{"ef":20,"recall":0.9,"qps":5000},{"ef":40,"recall":1,"qps":3000}]}],
"ratios":{"clipvec_over_hnswlib_qps_at_target":1.25,"hnswlib_recall_at_ef10":0.7}}`
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := replot(path, &out); err != nil {
		t.Fatal(err)
	}
	if want := "clipvec / hnswlib QPS at recall 0.95: 1.25×"; !strings.Contains(out.String(), want) {
		t.Errorf("replot output lacks %q:\n%s", want, out.String())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"recall_at_ef10": {`; !strings.Contains(string(b), want) {
		t.Errorf("rewritten report lacks %s:\n%s", want, b)
	}
}

// skipPeer skips a test whose peer cannot run here, or fails it when
// CLIPVEC_PEER_TESTS=1 says the peers are installed (CI installs them).
func skipPeer(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CLIPVEC_PEER_TESTS") == "1" {
		t.Fatalf("CLIPVEC_PEER_TESTS=1, but: %s", why)
	}
	t.Skip(why)
}
