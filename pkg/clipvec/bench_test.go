package clipvec_test

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

// BenchmarkExactSearch scans 20,000 × 512 vectors per query. The full
// comparison (100k vectors, the bandwidth floor, sqlite-vec beside it)
// is go run ./benchmarks/cmd/exactbench.
func BenchmarkExactSearch(b *testing.B) {
	ctx := context.Background()
	db := openDB(b)
	path := filepath.Join(b.TempDir(), "s.jsonl")
	synth{seed: 1, model: "marengo3.0", dim: 512, videos: 100, clips: 200, options: []string{"visual"}}.write(b, path)
	if _, err := db.Import(ctx, []string{path}, clipvec.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	q := clipvec.Query{Vector: randQuery(1, 512), Exact: true}
	for _, threads := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run("threads="+string(rune('0'+threads)), func(b *testing.B) {
			db.Threads = threads
			if _, err := db.Search(ctx, q); err != nil { // load
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(20000 * 512 * 4)
			for b.Loop() {
				if _, err := db.Search(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGraphSearch is one default search (the HNSW graph, ef 128)
// over the same 20,000 × 512 vectors, engine overhead included: resolving
// the space, the store's generation, the result's file names. The graph
// alone, beside hnswlib, is go run ./benchmarks/cmd/annbench.
func BenchmarkGraphSearch(b *testing.B) {
	ctx := context.Background()
	db := openDB(b)
	path := filepath.Join(b.TempDir(), "s.jsonl")
	synth{seed: 1, model: "marengo3.0", dim: 512, videos: 100, clips: 200, options: []string{"visual"}}.write(b, path)
	if _, err := db.Import(ctx, []string{path}, clipvec.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	q := clipvec.Query{Vector: randQuery(1, 512)}
	if res, err := db.Search(ctx, q); err != nil || res.Method != "graph" {
		b.Fatalf("%+v %v", res, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := db.Search(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkImport imports 4,000 512-d segments from clipvec JSONL.
func BenchmarkImport(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "s.jsonl")
	synth{seed: 2, model: "marengo3.0", dim: 512, videos: 20, clips: 200, options: []string{"visual"}}.write(b, path)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		db, err := clipvec.Open(ctx, filepath.Join(b.TempDir(), "c.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := db.Import(ctx, []string{path}, clipvec.ImportOptions{}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(4000*float64(b.N)/b.Elapsed().Seconds(), "segments/s")
}
