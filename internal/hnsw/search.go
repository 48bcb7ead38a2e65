package hnsw

import (
	"slices"

	"github.com/clipvec/clipvec/internal/vecmath"
)

// cand is a node and its similarity to the point being searched for.
type cand struct {
	id  uint32
	sim float32
}

// sortCands sorts best (highest similarity) first; insertion sort, since
// the lists are short (at most 2·M+1).
func sortCands(c []cand) {
	for i := 1; i < len(c); i++ {
		for j := i; j > 0 && c[j].sim > c[j-1].sim; j-- {
			c[j], c[j-1] = c[j-1], c[j]
		}
	}
}

// maxHeap and minHeap are written out twice on purpose: they are the
// innermost loop of every search, and one generic heap with a comparison
// function (or container/heap's interface) costs an indirect call per
// swap. The pair differs only in the direction of its comparisons.

// maxHeap pops the most similar candidate first (the search frontier).
type maxHeap struct{ h []cand }

func (q *maxHeap) reset()   { q.h = q.h[:0] }
func (q *maxHeap) len() int { return len(q.h) }

func (q *maxHeap) push(c cand) {
	q.h = append(q.h, c)
	i := len(q.h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if q.h[p].sim >= q.h[i].sim {
			break
		}
		q.h[p], q.h[i] = q.h[i], q.h[p]
		i = p
	}
}

func (q *maxHeap) pop() cand {
	top := q.h[0]
	n := len(q.h) - 1
	q.h[0] = q.h[n]
	q.h = q.h[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		w := l
		if r := l + 1; r < n && q.h[r].sim > q.h[l].sim {
			w = r
		}
		if q.h[i].sim >= q.h[w].sim {
			break
		}
		q.h[i], q.h[w] = q.h[w], q.h[i]
		i = w
	}
	return top
}

// minHeap keeps the best results found, least similar on top, so it can
// be evicted when a better one arrives.
type minHeap struct{ h []cand }

func (q *minHeap) reset()    { q.h = q.h[:0] }
func (q *minHeap) len() int  { return len(q.h) }
func (q *minHeap) top() cand { return q.h[0] }

func (q *minHeap) push(c cand) {
	q.h = append(q.h, c)
	i := len(q.h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if q.h[p].sim <= q.h[i].sim {
			break
		}
		q.h[p], q.h[i] = q.h[i], q.h[p]
		i = p
	}
}

func (q *minHeap) pop() cand {
	top := q.h[0]
	n := len(q.h) - 1
	q.h[0] = q.h[n]
	q.h = q.h[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		w := l
		if r := l + 1; r < n && q.h[r].sim < q.h[l].sim {
			w = r
		}
		if q.h[i].sim <= q.h[w].sim {
			break
		}
		q.h[i], q.h[w] = q.h[w], q.h[i]
		i = w
	}
	return top
}

// drainSorted empties the heap into *out, best first.
func (q *minHeap) drainSorted(out *[]cand) []cand {
	n := len(q.h)
	if cap(*out) < n {
		*out = make([]cand, n)
	}
	res := (*out)[:n]
	for i := n - 1; i >= 0; i-- {
		res[i] = q.pop()
	}
	*out = res
	return res
}

// visited is an epoch-stamped visited set: marking is one store, and
// clearing between searches is one increment instead of a memclr of the
// whole array.
type visited struct {
	epoch uint32
	marks []uint32
}

// next starts a new search over n nodes.
func (v *visited) next(n int) {
	if len(v.marks) < n {
		v.marks = make([]uint32, n+n/4)
		v.epoch = 0
	}
	v.epoch++
	if v.epoch == 0 { // wrapped: old marks could collide
		clear(v.marks)
		v.epoch = 1
	}
}

func (v *visited) seen(id uint32) bool { return v.marks[id] == v.epoch }
func (v *visited) mark(id uint32)      { v.marks[id] = v.epoch }

// sortCandsLong sorts best first; for the ef-long lists of a re-rank.
func sortCandsLong(c []cand) {
	slices.SortFunc(c, func(a, b cand) int {
		switch {
		case a.sim > b.sim:
			return -1
		case a.sim < b.sim:
			return 1
		}
		return 0
	})
}

// searcher holds one search's (or insert's) scratch space, pooled so that
// a search allocates nothing once warm.
type searcher struct {
	// the query, and its int8 copy when the search is quantized
	q      []float32
	q8     []int8
	qscale float32
	quant  bool
	// cut reports that the last walk hit its visit budget.
	cut bool
	// scored counts the nodes a search compared with the query.
	scored int

	visit     visited
	cands     maxHeap
	res       minHeap
	sorted    []cand
	buf       []uint32
	fresh     []uint32  // a node's unvisited neighbours (unvisited)
	sims      []float32 // their similarities (scoreBatch)
	chosen    []cand
	chosen2   []cand
	prune     []cand
	ids, ids2 []uint32
	merge     []uint32
	layers    [][]uint32 // an insert's chosen neighbours per layer
}

// setQuery sets what the searcher's similarities are measured to.
func (s *searcher) setQuery(q []float32, quant bool) {
	s.q, s.quant = q, quant
	if quant {
		if cap(s.q8) < len(q) {
			s.q8 = make([]int8, len(q))
		}
		s.q8 = s.q8[:len(q)]
		s.qscale = vecmath.QuantizeInt8(s.q8, q)
	}
}

func (g *Graph) searcher() *searcher {
	if s, ok := g.searchers.Get().(*searcher); ok {
		return s
	}
	return &searcher{}
}
