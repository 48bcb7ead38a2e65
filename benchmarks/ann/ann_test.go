package ann_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/clipvec/clipvec/benchmarks/ann"
)

func writeFile(tb testing.TB, path string, write func(f *os.File) error) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := write(f); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

func TestFvecsRoundTrip(t *testing.T) {
	rows := [][]float32{
		{1, -2.5, float32(math.Inf(1))},
		{0, math.SmallestNonzeroFloat32, -0},
		{3.25, 1e30, float32(math.NaN())},
	}
	path := filepath.Join(t.TempDir(), "x.fvecs")
	writeFile(t, path, func(f *os.File) error {
		w := ann.NewFvecsWriter(f, 3)
		for _, r := range rows {
			if err := w.Write(r); err != nil {
				return err
			}
		}
		return w.Flush()
	})
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := info.Size(), int64(3*(4+4*3)); got != want {
		t.Fatalf("file size %d, want %d", got, want)
	}
	t.Run("OK", func(t *testing.T) {
		m, err := ann.ReadFvecs(path, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := m.Dim, 3; got != want {
			t.Fatalf("dim %d, want %d", got, want)
		}
		if got, want := m.Len(), 3; got != want {
			t.Fatalf("rows %d, want %d", got, want)
		}
		for i, r := range rows {
			for j, x := range r {
				if got, want := math.Float32bits(m.Row(i)[j]), math.Float32bits(x); got != want {
					t.Errorf("row %d value %d: bits %08x, want %08x", i, j, got, want)
				}
			}
		}
	})
	t.Run("Limit", func(t *testing.T) {
		m, err := ann.ReadFvecs(path, 2)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := m.Len(), 2; got != want {
			t.Fatalf("rows %d, want %d", got, want)
		}
	})
	t.Run("ErrWrongWidth", func(t *testing.T) {
		w := ann.NewFvecsWriter(&bytes.Buffer{}, 3)
		if err := w.Write([]float32{1, 2}); err == nil {
			t.Fatal("wrote a 2-value row to a 3-wide writer")
		}
	})
}

func TestIvecsRoundTrip(t *testing.T) {
	rows := [][]int32{{0, 1, 2, 3}, {math.MaxInt32, -1, 7, 100000}}
	path := filepath.Join(t.TempDir(), "x.ivecs")
	writeFile(t, path, func(f *os.File) error {
		w := ann.NewIvecsWriter(f, 4)
		for _, r := range rows {
			if err := w.Write(r); err != nil {
				return err
			}
		}
		return w.Flush()
	})
	got, err := ann.ReadIvecs(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rows) {
		t.Fatalf("%d rows, want %d", len(got), len(rows))
	}
	for i := range rows {
		if !slices.Equal(got[i], rows[i]) {
			t.Errorf("row %d = %v, want %v", i, got[i], rows[i])
		}
	}
}

func TestReadVecsErrFormat(t *testing.T) {
	dir := t.TempDir()
	le := func(vs ...uint32) []byte {
		var b []byte
		for _, v := range vs {
			b = append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
		}
		return b
	}
	cases := map[string][]byte{
		"Truncated":     le(2, 1, 2, 2, 1),       // second row is missing a value
		"CountChanges":  le(2, 1, 2, 3, 1, 2),    // same size as 2 rows of 2, but row 1 says 3
		"NegativeCount": le(0xffffffff, 1, 2, 3), // count -1
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".fvecs")
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := ann.ReadFvecs(path, 0); !errors.Is(err, ann.ErrFormat) {
				t.Fatalf("err = %v, want ErrFormat", err)
			}
		})
	}
	t.Run("Empty", func(t *testing.T) {
		path := filepath.Join(dir, "empty.fvecs")
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := ann.ReadFvecs(path, 0)
		if err != nil || m.Len() != 0 {
			t.Fatalf("ReadFvecs(empty) = %d rows, %v; want 0 rows, nil", m.Len(), err)
		}
	})
}

func TestRecall(t *testing.T) {
	truth := []int32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	cases := []struct {
		name string
		got  []int32
		k    int
		want float64
	}{
		{"All", []int32{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 10, 1},
		{"Half", []int32{1, 2, 3, 4, 5, 50, 60, 70, 80, 90}, 10, 0.5},
		{"BeyondKIgnored", []int32{1, 99, 98, 97, 96, 95, 94, 93, 92, 91, 2, 3}, 10, 0.1},
		{"TruthBeyondKIgnored", []int32{11, 12}, 10, 0},
		{"Short", []int32{1, 2, 3}, 10, 0.3},
		{"Empty", nil, 10, 0},
		{"ZeroK", []int32{1}, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ann.Recall(c.got, truth, c.k); math.Abs(got-c.want) > 1e-12 {
				t.Fatalf("Recall = %v, want %v", got, c.want)
			}
		})
	}
	t.Run("Mean", func(t *testing.T) {
		results := [][]int32{{1, 2}, {7, 8}}
		gt := [][]int32{{1, 2}, {1, 8}}
		if got, want := ann.MeanRecall(results, gt, 2), 0.75; got != want {
			t.Fatalf("MeanRecall = %v, want %v", got, want)
		}
	})
}

func TestQPSAtRecall(t *testing.T) {
	curve := []ann.Point{
		{Ef: 10, Recall: 0.6, QPS: 10000},
		{Ef: 20, Recall: 0.8, QPS: 8000},
		{Ef: 40, Recall: 0.9, QPS: 5000},
		{Ef: 80, Recall: 1.0, QPS: 3000},
	}
	t.Run("Reached", func(t *testing.T) {
		// Halfway from 0.9 to 1.0: halfway from 5000 to 3000.
		q, c := ann.QPSAtRecall(curve, 0.95)
		if c != ann.Reached || math.Abs(q-4000) > 1e-9 {
			t.Fatalf("QPSAtRecall = %v, %v; want 4000, reached", q, c)
		}
	})
	t.Run("ReachedExactly", func(t *testing.T) {
		q, c := ann.QPSAtRecall(curve, 0.8)
		if c != ann.Reached || math.Abs(q-8000) > 1e-9 {
			t.Fatalf("QPSAtRecall = %v, %v; want 8000, reached", q, c)
		}
	})
	t.Run("AboveAtStart", func(t *testing.T) {
		q, c := ann.QPSAtRecall(curve, 0.5)
		if c != ann.AboveAtStart || q != 10000 {
			t.Fatalf("QPSAtRecall = %v, %v; want 10000, above at start", q, c)
		}
	})
	t.Run("Never", func(t *testing.T) {
		q, c := ann.QPSAtRecall(curve[:3], 0.95)
		if c != ann.Never || q != 0 {
			t.Fatalf("QPSAtRecall = %v, %v; want 0, never", q, c)
		}
	})
	t.Run("FirstCrossingOfANonMonotonicCurve", func(t *testing.T) {
		bumpy := []ann.Point{{Recall: 0.9, QPS: 100}, {Recall: 1.0, QPS: 50}, {Recall: 0.94, QPS: 40}, {Recall: 0.99, QPS: 30}}
		q, c := ann.QPSAtRecall(bumpy, 0.95)
		if c != ann.Reached || math.Abs(q-75) > 1e-9 {
			t.Fatalf("QPSAtRecall = %v, %v; want 75, reached", q, c)
		}
	})
}

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i))
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50}, {99, 99}, {100, 100}, {0, 1}, {1, 1}} {
		if got := ann.Percentile(ds, c.p); got != c.want {
			t.Errorf("Percentile(1..100, %v) = %v, want %v", c.p, got, c.want)
		}
	}
	if got := ann.Percentile(nil, 50); got != 0 {
		t.Errorf("Percentile(nil) = %v, want 0", got)
	}
}

func randMatrix(r *rand.Rand, n, dim int) ann.Matrix {
	m := ann.Matrix{Dim: dim, Data: make([]float32, n*dim)}
	for i := range m.Data {
		m.Data[i] = float32(r.NormFloat64())
	}
	return m
}

func TestGroundTruthMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	base := randMatrix(r, 1000, 33) // crosses several base blocks, odd width
	queries := randMatrix(r, 130, 33)
	if err := ann.Normalize(base); err != nil {
		t.Fatal(err)
	}
	// Duplicate rows tie exactly: the lower id must rank first.
	copy(base.Row(700), base.Row(300))
	copy(queries.Row(5), base.Row(300))
	const k = 10
	for _, threads := range []int{1, 3} {
		gt, err := ann.GroundTruth(context.Background(), base, queries, k, threads)
		if err != nil {
			t.Fatal(err)
		}
		for qi := range queries.Len() {
			q := queries.Row(qi)
			ids := make([]int32, base.Len())
			score := make([]float64, base.Len())
			for i := range ids {
				ids[i] = int32(i)
				for j, x := range q {
					score[i] += float64(x) * float64(base.Row(i)[j])
				}
			}
			slices.SortStableFunc(ids, func(a, b int32) int {
				switch {
				case score[a] > score[b]:
					return -1
				case score[a] < score[b]:
					return 1
				}
				return 0
			})
			if got := ann.Recall(gt[qi], ids[:k], k); got != 1 {
				t.Errorf("threads %d query %d: ground truth %v, float64 sort %v", threads, qi, gt[qi], ids[:k])
			}
		}
		if got, want := gt[5][:2], []int32{300, 700}; !slices.Equal(got, want) {
			t.Errorf("threads %d: tied duplicates ranked %v, want %v", threads, got, want)
		}
	}
}
