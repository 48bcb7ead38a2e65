package hnsw_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"

	"github.com/clipvec/clipvec/internal/hnsw"
	"github.com/clipvec/clipvec/internal/vecmath"
)

// clustered returns n unit vectors of dimension dim in a few clusters,
// seeded: structured like embeddings, not uniform noise.
func clustered(seed uint64, n, dim, clusters int) []float32 {
	r := rand.New(rand.NewPCG(seed, 17))
	centres := make([][]float64, clusters)
	for c := range centres {
		centres[c] = make([]float64, dim)
		for i := range centres[c] {
			centres[c][i] = r.NormFloat64()
		}
	}
	out := make([]float32, n*dim)
	for i := 0; i < n; i++ {
		c := centres[r.IntN(clusters)]
		v := out[i*dim : (i+1)*dim]
		for j := range v {
			v[j] = float32(c[j] + 0.9*r.NormFloat64())
		}
		vecmath.Normalize(v)
	}
	return out
}

func labels(n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(1000 + i)
	}
	return out
}

// exact returns the ids of the k best of vecs for q, among allowed.
func exact(vecs []float32, dim int, q []float32, k int, allow func(uint32) bool) []uint32 {
	type sc struct {
		id  uint32
		sim float32
	}
	var all []sc
	for i := 0; i < len(vecs)/dim; i++ {
		if allow != nil && !allow(uint32(i)) {
			continue
		}
		all = append(all, sc{uint32(i), vecmath.Dot(q, vecs[i*dim:(i+1)*dim])})
	}
	sort.Slice(all, func(a, b int) bool { return all[a].sim > all[b].sim })
	var ids []uint32
	for _, s := range all[:min(k, len(all))] {
		ids = append(ids, s.id)
	}
	return ids
}

func recall(got []hnsw.Result, want []uint32) float64 {
	set := map[uint32]bool{}
	for _, w := range want {
		set[w] = true
	}
	hit := 0
	for _, r := range got {
		if set[r.ID] {
			hit++
		}
	}
	return float64(hit) / float64(len(want))
}

func build(t testing.TB, vecs []float32, dim, threads int, cfg hnsw.Config) *hnsw.Graph {
	t.Helper()
	g, err := hnsw.New(dim, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.InsertBatch(context.Background(), vecs, labels(len(vecs)/dim), threads, nil); err != nil {
		t.Fatal(err)
	}
	return g
}

func meanRecall(g *hnsw.Graph, vecs, queries []float32, dim, k, ef int, allow func(uint32) bool) float64 {
	total := 0.0
	nq := len(queries) / dim
	for i := 0; i < nq; i++ {
		q := queries[i*dim : (i+1)*dim]
		total += recall(g.Search(q, k, ef, allow, nil), exact(vecs, dim, q, k, allow))
	}
	return total / float64(nq)
}

func TestRecall(t *testing.T) {
	const n, dim, k = 3000, 32, 10
	vecs := clustered(1, n, dim, 20)
	queries := clustered(2, 100, dim, 20)
	g := build(t, vecs, dim, 2, hnsw.Config{Seed: 1})
	if g.Len() != n {
		t.Fatalf("Len = %d, want %d", g.Len(), n)
	}
	r10 := meanRecall(g, vecs, queries, dim, k, 10, nil)
	r200 := meanRecall(g, vecs, queries, dim, k, 200, nil)
	rAll := meanRecall(g, vecs, queries, dim, k, n, nil)
	// With ef = N every result must score at least the exact k-th best
	// (ties between equal scores may pick either).
	for i := 0; i < 100; i++ {
		q := queries[i*dim : (i+1)*dim]
		want := exact(vecs, dim, q, k, nil)
		kth := vecmath.Dot(q, vecs[int(want[k-1])*dim:int(want[k-1]+1)*dim])
		for _, r := range g.Search(q, k, n, nil, nil) {
			if r.Score < kth-1e-6 {
				t.Fatalf("query %d: ef=N returned score %v below the exact k-th %v", i, r.Score, kth)
			}
		}
	}
	t.Logf("recall@10: ef=10 %.3f, ef=200 %.3f, ef=N %.3f", r10, r200, rAll)
	if r200 < 0.95 {
		t.Errorf("recall@10 at ef=200 = %.3f, want ≥ 0.95", r200)
	}
	if rAll < 0.99 {
		t.Errorf("recall@10 at ef=N = %.3f: with ef = N the graph must be exact", rAll)
	}
	if r10 > r200+1e-9 {
		t.Errorf("recall fell as ef rose: %.3f at 10, %.3f at 200", r10, r200)
	}
}

func TestSearchResults(t *testing.T) {
	const n, dim = 500, 16
	vecs := clustered(3, n, dim, 5)
	g := build(t, vecs, dim, 1, hnsw.Config{Seed: 2})
	q := vecs[7*dim : 8*dim]
	res := g.Search(q, 5, 50, nil, nil)
	if len(res) != 5 || res[0].ID != 7 || res[0].Label != 1007 || math.Abs(float64(res[0].Score)-1) > 1e-5 {
		t.Fatalf("searching for node 7's own vector: %+v", res)
	}
	for i := 1; i < len(res); i++ {
		if res[i].Score > res[i-1].Score {
			t.Errorf("results out of order: %+v", res)
		}
	}
	t.Run("EfAtLeastK", func(t *testing.T) {
		if res := g.Search(q, 40, 1, nil, nil); len(res) != 40 {
			t.Errorf("k=40 with ef=1 returned %d results, want 40 (ef is raised to k)", len(res))
		}
	})
	t.Run("Empty", func(t *testing.T) {
		e, _ := hnsw.New(dim, hnsw.Config{})
		if res := e.Search(q, 5, 0, nil, nil); len(res) != 0 {
			t.Errorf("empty graph returned %v", res)
		}
	})
	t.Run("ErrDimension", func(t *testing.T) {
		if _, err := g.Insert(make([]float32, dim+1), 1); err == nil {
			t.Error("inserted a vector of the wrong dimension")
		}
	})
}

func TestFilter(t *testing.T) {
	const n, dim, k = 2000, 24, 10
	vecs := clustered(4, n, dim, 10)
	queries := clustered(5, 50, dim, 10)
	g := build(t, vecs, dim, 2, hnsw.Config{Seed: 3})
	allow := func(id uint32) bool { return id%3 == 0 }
	for i := 0; i < 50; i++ {
		q := queries[i*dim : (i+1)*dim]
		for _, r := range g.Search(q, k, 100, allow, nil) {
			if !allow(r.ID) {
				t.Fatalf("filtered search returned node %d", r.ID)
			}
		}
	}
	if r := meanRecall(g, vecs, queries, dim, k, 200, allow); r < 0.95 {
		t.Errorf("filtered recall@10 at ef=200 = %.3f, want ≥ 0.95", r)
	}
}

func TestTombstonesNeverReturned(t *testing.T) {
	const n, dim = 1500, 16
	vecs := clustered(6, n, dim, 8)
	g := build(t, vecs, dim, 2, hnsw.Config{Seed: 4})
	dead := map[uint32]bool{}
	for id := uint32(0); id < n; id += 2 {
		if err := g.Delete(id); err != nil {
			t.Fatal(err)
		}
		dead[id] = true
	}
	if err := g.Delete(0); err != nil || g.Deleted() != n/2 {
		t.Fatalf("deleting twice: %v, Deleted() = %d", err, g.Deleted())
	}
	if err := g.Delete(n + 5); err == nil {
		t.Error("deleted a node that does not exist")
	}
	for i := 0; i < n; i += 7 {
		q := vecs[i*dim : (i+1)*dim]
		res := g.Search(q, 10, 50, nil, nil)
		if len(res) != 10 {
			t.Fatalf("%d results, want 10 (half the graph is alive)", len(res))
		}
		for _, r := range res {
			if dead[r.ID] {
				t.Fatalf("search returned deleted node %d", r.ID)
			}
		}
	}
	live := func(id uint32) bool { return !dead[id] }
	queries := clustered(7, 40, dim, 8)
	if r := meanRecall(g, vecs, queries, dim, 10, 100, live); r < 0.95 {
		t.Errorf("recall among live nodes = %.3f, want ≥ 0.95", r)
	}
}

func TestDeterministicSingleThreaded(t *testing.T) {
	const n, dim = 800, 16
	vecs := clustered(8, n, dim, 6)
	a := build(t, vecs, dim, 1, hnsw.Config{Seed: 9})
	b := build(t, vecs, dim, 1, hnsw.Config{Seed: 9})
	queries := clustered(10, 30, dim, 6)
	for i := 0; i < 30; i++ {
		q := queries[i*dim : (i+1)*dim]
		ra, rb := a.Search(q, 10, 20, nil, nil), b.Search(q, 10, 20, nil, nil)
		for j := range ra {
			if ra[j] != rb[j] {
				t.Fatalf("query %d: two single-threaded builds with one seed differ: %v vs %v", i, ra, rb)
			}
		}
	}
}

// Searches, inserts and deletes at once; run with -race.
func TestConcurrentInsertSearchDelete(t *testing.T) {
	const n, dim = 3000, 16
	vecs := clustered(11, n, dim, 10)
	g, _ := hnsw.New(dim, hnsw.Config{Seed: 5, EfConstruction: 60})
	// Seed the graph, then keep inserting while others search and delete.
	if _, err := g.InsertBatch(context.Background(), vecs[:500*dim], labels(500), 2, nil); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var deletedMu sync.Mutex
	deleted := map[uint32]bool{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 500; i < n; i++ {
			if _, err := g.Insert(vecs[i*dim:(i+1)*dim], int64(i)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for id := uint32(1); id < 500; id += 5 {
			deletedMu.Lock()
			deleted[id] = true
			deletedMu.Unlock()
			g.Delete(id)
		}
	}()
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var dst []hnsw.Result
			for i := 0; i < 300; i++ {
				q := vecs[((i*7+w)%n)*dim : ((i*7+w)%n+1)*dim]
				dst = g.Search(q, 10, 40, nil, dst)
				for j := 1; j < len(dst); j++ {
					if dst[j].Score > dst[j-1].Score {
						t.Errorf("unsorted results under concurrency")
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if g.Len() != n {
		t.Fatalf("Len = %d after concurrent inserts, want %d", g.Len(), n)
	}
	// Once quiet, no deleted node comes back and recall holds.
	for i := 0; i < n; i += 11 {
		for _, r := range g.Search(vecs[i*dim:(i+1)*dim], 10, 60, nil, nil) {
			if deleted[r.ID] {
				t.Fatalf("deleted node %d returned", r.ID)
			}
		}
	}
	queries := clustered(12, 50, dim, 10)
	live := func(id uint32) bool { return !deleted[id] }
	if r := meanRecall(g, vecs, queries, dim, 10, 200, live); r < 0.95 {
		t.Errorf("recall after concurrent build = %.3f, want ≥ 0.95", r)
	}
}

func BenchmarkSearch(b *testing.B) {
	const n, dim = 20000, 128
	vecs := clustered(13, n, dim, 50)
	g := build(b, vecs, dim, 0, hnsw.Config{Seed: 6})
	queries := clustered(14, 256, dim, 50)
	b.ReportAllocs()
	var dst []hnsw.Result
	i := 0
	for b.Loop() {
		q := queries[(i%256)*dim : (i%256+1)*dim]
		dst = g.Search(q, 10, 64, nil, dst)
		i++
	}
}

func BenchmarkSearch512(b *testing.B) {
	const n, dim = 50000, 512
	vecs := clustered(15, n, dim, 200)
	g := build(b, vecs, dim, 0, hnsw.Config{Seed: 6, EfConstruction: 100})
	queries := clustered(16, 256, dim, 200)
	b.ReportAllocs()
	var dst []hnsw.Result
	i := 0
	for b.Loop() {
		q := queries[(i%256)*dim : (i%256+1)*dim]
		dst = g.Search(q, 10, 100, nil, dst)
		i++
	}
}

func TestQuantizedSearch(t *testing.T) {
	// 128-d: quantized graphs walk in int8 from there (below, in float32).
	const n, dim, k = 3000, 128, 10
	vecs := clustered(21, n, dim, 20)
	queries := clustered(22, 100, dim, 20)
	g := build(t, vecs, dim, 2, hnsw.Config{Seed: 1, Quantize: true})
	r := meanRecall(g, vecs, queries, dim, k, 200, nil)
	t.Logf("quantized recall@10 at ef=200: %.3f", r)
	if r < 0.95 {
		t.Errorf("quantized recall@10 at ef=200 = %.3f, want ≥ 0.95", r)
	}
	// Scores are exact (re-ranked in float32), and in order.
	q := queries[:dim]
	res := g.Search(q, k, 100, nil, nil)
	for i, x := range res {
		if want := vecmath.Dot(q, vecs[int(x.ID)*dim:int(x.ID+1)*dim]); x.Score != want {
			t.Errorf("result %d score %v, want the exact %v", i, x.Score, want)
		}
		if i > 0 && x.Score > res[i-1].Score {
			t.Errorf("results out of order")
		}
	}
}

func TestInsertBatchIDs(t *testing.T) {
	const n, dim = 700, 8
	vecs := clustered(41, n, dim, 4)
	g, _ := hnsw.New(dim, hnsw.Config{Seed: 1})
	g.Insert(vecs[:dim], 1)
	first, err := g.InsertBatch(context.Background(), vecs, labels(n), 3, nil)
	if err != nil || first != 1 {
		t.Fatalf("first = %d, %v; want 1", first, err)
	}
	for i := 0; i < n; i++ {
		if got := g.Label(first + uint32(i)); got != int64(1000+i) {
			t.Fatalf("node %d has label %d, want %d: ids must follow the batch order", first+uint32(i), got, 1000+i)
		}
	}
	t.Run("Cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		g, _ := hnsw.New(dim, hnsw.Config{Seed: 1})
		g.Insert(vecs[:dim], 1)
		if _, err := g.InsertBatch(ctx, vecs, labels(n), 2, nil); err == nil {
			t.Fatal("a cancelled batch reported success")
		}
		if g.Deleted() == 0 || g.Len()-g.Deleted() < 1 {
			t.Fatalf("%d nodes, %d deleted: the unfinished ids must be tombstoned", g.Len(), g.Deleted())
		}
		for _, r := range g.Exact(vecs[5*dim:6*dim], 10, nil, nil) {
			if g.IsDeleted(r.ID) {
				t.Fatalf("exact scan returned tombstoned node %d", r.ID)
			}
		}
	})
}

// A search scores each node's unvisited neighbours in one batch: every
// score must still be its own node's dot product with the query, bit for
// bit (a batch that read the wrong row would give another node's), at
// dimensions with a scalar tail, with the SIMD kernels on and off.
func TestBatchedScoresAreEachNodesDot(t *testing.T) {
	// 97-d walks in float32 even when quantized, 161-d in int8.
	for _, dim := range []int{97, 161} {
		t.Run(fmt.Sprint(dim), func(t *testing.T) { testBatchedScores(t, dim) })
	}
}

func testBatchedScores(t *testing.T, dim int) {
	const n, k = 2000, 10
	vecs := clustered(31, n, dim, 12)
	queries := clustered(32, 20, dim, 12)
	for _, quantize := range []bool{false, true} {
		g := build(t, vecs, dim, 1, hnsw.Config{Seed: 3, Quantize: quantize})
		for _, accel := range []bool{true, false} {
			if !accel {
				vecmath.SetAccelerated(false)
			}
			for qi := 0; qi < 20; qi++ {
				q := queries[qi*dim : (qi+1)*dim]
				res := g.Search(q, k, 40, nil, nil)
				if len(res) != k {
					t.Fatalf("quantize %v: %d results, want %d", quantize, len(res), k)
				}
				for i, x := range res {
					if want := vecmath.Dot(q, vecs[int(x.ID)*dim:int(x.ID+1)*dim]); x.Score != want {
						t.Errorf("quantize %v, accelerated %v, query %d: node %d scored %v, its dot is %v", quantize, accel, qi, x.ID, x.Score, want)
					}
					if i > 0 && x.Score > res[i-1].Score {
						t.Errorf("quantize %v, query %d: results out of order", quantize, qi)
					}
				}
			}
			vecmath.SetAccelerated(true)
		}
	}
}
