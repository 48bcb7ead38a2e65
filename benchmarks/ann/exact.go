package ann

import (
	"context"
	"slices"
	"strconv"
	"sync"

	"github.com/clipvec/clipvec/internal/vecmath"
)

// Hit is one search result: a base row and its score (the dot product,
// which is the cosine similarity of unit vectors).
type Hit struct {
	ID    int32
	Score float32
}

// better reports whether a ranks before b: higher score, then lower id, so
// exact results are deterministic when scores tie.
func better(a, b Hit) bool {
	return a.Score > b.Score || (a.Score == b.Score && a.ID < b.ID)
}

// TopK keeps the k best hits seen so far. The zero value is not usable;
// make one with [NewTopK]. It is not safe for concurrent use.
type TopK struct {
	k int
	h []Hit // a heap whose root is the worst kept hit
}

// NewTopK returns an empty TopK of capacity k.
func NewTopK(k int) *TopK { return &TopK{k: k, h: make([]Hit, 0, k)} }

// Reset empties t.
func (t *TopK) Reset() { t.h = t.h[:0] }

// Push offers a hit.
func (t *TopK) Push(x Hit) {
	if len(t.h) < t.k {
		t.h = append(t.h, x)
		i := len(t.h) - 1
		for i > 0 {
			p := (i - 1) / 2
			if !better(t.h[p], t.h[i]) {
				break
			}
			t.h[p], t.h[i] = t.h[i], t.h[p]
			i = p
		}
		return
	}
	if t.k == 0 || !better(x, t.h[0]) {
		return
	}
	t.h[0] = x
	i, n := 0, len(t.h)
	for {
		l, worst := 2*i+1, i
		if l < n && better(t.h[worst], t.h[l]) {
			worst = l
		}
		if r := l + 1; r < n && better(t.h[worst], t.h[r]) {
			worst = r
		}
		if worst == i {
			return
		}
		t.h[i], t.h[worst] = t.h[worst], t.h[i]
		i = worst
	}
}

// Worst returns the worst kept hit's score once k hits are kept; until
// then ok is false and every hit is kept.
func (t *TopK) Worst() (score float32, ok bool) {
	if len(t.h) < t.k || t.k == 0 {
		return 0, false
	}
	return t.h[0].Score, true
}

// Sorted appends the kept hits to dst, best first, and returns it.
func (t *TopK) Sorted(dst []Hit) []Hit {
	start := len(dst)
	dst = append(dst, t.h...)
	slices.SortFunc(dst[start:], func(a, b Hit) int {
		if better(a, b) {
			return -1
		}
		if better(b, a) {
			return 1
		}
		return 0
	})
	return dst
}

// Scan adds every row of base, whose ids start at offset, to t, scored by
// the dot product with q.
func Scan(base Matrix, offset int, q []float32, t *TopK) {
	n := base.Len()
	for i := range n {
		s := vecmath.Dot(q, base.Row(i))
		if w, full := t.Worst(); full && s < w {
			continue
		}
		t.Push(Hit{ID: int32(offset + i), Score: s})
	}
}

// Block sizes of [GroundTruth]: a block of base rows stays in cache while
// a block of queries is scored against it.
const (
	gtBaseBlock  = 256
	gtQueryBlock = 64
)

// GroundTruth returns, for each query, the ids of its k nearest base rows
// by dot product (cosine similarity for unit vectors), best first, ties
// broken by lower id. It splits the queries over threads goroutines and
// scores blocks of queries against cache-sized blocks of base rows, so
// each base row is read from memory once per block of queries rather than
// once per query. It returns ctx's error if ctx ends first.
func GroundTruth(ctx context.Context, base, queries Matrix, k, threads int) ([][]int32, error) {
	nq := queries.Len()
	out := make([][]int32, nq)
	threads = max(1, min(threads, (nq+gtQueryBlock-1)/gtQueryBlock))
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	var cancelled error
	for range threads {
		wg.Go(func() {
			tops := make([]*TopK, gtQueryBlock)
			for i := range tops {
				tops[i] = NewTopK(k)
			}
			var hits []Hit
			for {
				mu.Lock()
				from := next
				next += gtQueryBlock
				if cancelled == nil {
					cancelled = ctx.Err()
				}
				stop := cancelled != nil
				mu.Unlock()
				if stop || from >= nq {
					return
				}
				to := min(from+gtQueryBlock, nq)
				for _, t := range tops {
					t.Reset()
				}
				n := base.Len()
				for b := 0; b < n; b += gtBaseBlock {
					block := base.Slice(b, min(b+gtBaseBlock, n))
					for qi := from; qi < to; qi++ {
						Scan(block, b, queries.Row(qi), tops[qi-from])
					}
				}
				for qi := from; qi < to; qi++ {
					hits = tops[qi-from].Sorted(hits[:0])
					ids := make([]int32, len(hits))
					for j, h := range hits {
						ids[j] = h.ID
					}
					out[qi] = ids
				}
			}
		})
	}
	wg.Wait()
	if cancelled != nil {
		return nil, cancelled
	}
	return out, nil
}

// Normalize scales every row of m to unit length in place. It returns an
// error naming the first row that is empty, zero or not finite.
func Normalize(m Matrix) error {
	for i := range m.Len() {
		if _, err := vecmath.Normalize(m.Row(i)); err != nil {
			return &RowError{Row: i, Err: err}
		}
	}
	return nil
}

// RowError reports a bad row of a matrix.
type RowError struct {
	Row int
	Err error
}

func (e *RowError) Error() string { return "row " + strconv.Itoa(e.Row) + ": " + e.Err.Error() }

// Unwrap returns the row's error.
func (e *RowError) Unwrap() error { return e.Err }
