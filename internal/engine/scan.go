package engine

import (
	"math"
	"slices"
	"sync"

	"github.com/clipvec/clipvec/internal/vecmath"
)

// Exact scans over a space's vectors (the graph's arena) and columns,
// and the filters both scans and graph searches apply.

// rowFilter is a Filter compiled against one space's columns.
type rowFilter struct {
	any         bool   // nothing to check: every row passes
	optionOK    []bool // by option index; nil: all
	scopeOK     []bool
	videoOK     []bool // by video index; nil: all
	from, to    float64
	timed       bool
	excludeSegs []int64 // segment ids left out: the query clip's own, if any
}

func compileFilter(f *columns, flt *Filter) *rowFilter {
	rf := &rowFilter{}
	set := func(names []string, want []string) []bool {
		if len(want) == 0 {
			return nil
		}
		ok := make([]bool, len(names))
		for i, n := range names {
			for _, w := range want {
				if n == w {
					ok[i] = true
				}
			}
		}
		return ok
	}
	rf.optionOK = set(f.options, flt.Modalities)
	rf.scopeOK = set(f.scopes, flt.Scopes)
	if len(flt.Videos) > 0 || len(flt.ExcludeVideos) > 0 {
		rf.videoOK = make([]bool, len(f.videos))
		if len(flt.Videos) == 0 {
			for i := range rf.videoOK {
				rf.videoOK[i] = true
			}
		}
		for _, v := range flt.Videos {
			if i, ok := f.videoIdx[v]; ok {
				rf.videoOK[i] = true
			}
		}
		for _, v := range flt.ExcludeVideos {
			if i, ok := f.videoIdx[v]; ok {
				rf.videoOK[i] = false
			}
		}
	}
	rf.timed, rf.from, rf.to = flt.Timed, flt.From, flt.To
	rf.excludeSegs = flt.ExcludeSegments
	rf.any = rf.optionOK == nil && rf.scopeOK == nil && rf.videoOK == nil && !rf.timed && len(rf.excludeSegs) == 0
	return rf
}

func (rf *rowFilter) pass(f *columns, i int) bool {
	if rf.optionOK != nil && !rf.optionOK[f.option[i]] {
		return false
	}
	if rf.scopeOK != nil && !rf.scopeOK[f.scope[i]] {
		return false
	}
	if rf.videoOK != nil && !rf.videoOK[f.video[i]] {
		return false
	}
	if rf.timed && (f.end[i] <= rf.from || f.start[i] >= rf.to) && !(f.start[i] == f.end[i] && f.start[i] >= rf.from && f.start[i] < rf.to) {
		return false
	}
	if len(rf.excludeSegs) > 0 && slices.Contains(rf.excludeSegs, f.seg[i]) {
		return false
	}
	return true
}

// scored is a row and its similarity to the query.
type scored struct {
	row   int32
	score float32
}

// better orders results: higher score first, then lower row (stable and
// deterministic whatever the thread count).
func better(a, b scored) bool {
	return a.score > b.score || (a.score == b.score && a.row < b.row)
}

// topK keeps the k best rows seen: a min-heap with the worst on top.
type topK struct {
	k int
	h []scored
}

func (t *topK) push(s scored) {
	if len(t.h) < t.k {
		t.h = append(t.h, s)
		// sift up
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
	if !better(s, t.h[0]) {
		return
	}
	t.h[0] = s
	// sift down
	i, n := 0, len(t.h)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		w := l
		if r := l + 1; r < n && better(t.h[l], t.h[r]) {
			w = r
		}
		if !better(t.h[i], t.h[w]) {
			break
		}
		t.h[i], t.h[w] = t.h[w], t.h[i]
		i = w
	}
}

// full reports whether the heap holds k rows; then min is the score to
// beat.
func (t *topK) full() bool { return len(t.h) == t.k }

// chunks splits n rows into at most threads contiguous ranges and runs fn
// on each in its own goroutine.
func chunks(n, threads int, fn func(part, lo, hi int)) {
	if threads < 1 {
		threads = 1
	}
	if n < 4096 {
		threads = 1 // not worth the goroutines
	}
	if threads == 1 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	per := (n + threads - 1) / threads
	for p := 0; p < threads; p++ {
		lo, hi := p*per, min((p+1)*per, n)
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(p, lo, hi)
		}()
	}
	wg.Wait()
}

// scan is what an exact scan reads: n rows of vectors (the graph's
// arena), which of them are tombstoned, and their columns; only the
// listed rows when rows is not nil.
type scan struct {
	vecs []float32
	dim  int
	n    int
	dead func(uint32) bool
	cols *columns
	rows []uint32
	// deleted counts the tombstones among the rows (those of an
	// unfiltered scan, which does not look at each).
	deleted int
}

// size is how many rows the scan visits.
func (f *scan) size() int {
	if f.rows != nil {
		return len(f.rows)
	}
	return f.n
}

// row is the j-th row the scan visits.
func (f *scan) row(j int) int {
	if f.rows != nil {
		return int(f.rows[j])
	}
	return j
}

// searchClips returns the k rows most similar to q that pass rf, best
// first, and how many live rows it compared.
func (f *scan) searchClips(q []float32, k int, rf *rowFilter, threads int) ([]scored, int) {
	k = min(k, f.size())
	parts := make([]topK, max(threads, 1))
	passed := make([]int, len(parts))
	chunks(f.size(), threads, func(p, lo, hi int) {
		t := topK{k: k, h: make([]scored, 0, k)}
		dim := f.dim
		vecs := f.vecs
		n := 0
		for j := lo; j < hi; j++ {
			i := f.row(j)
			if !rf.any {
				if !rf.pass(f.cols, i) || f.dead(uint32(i)) {
					continue
				}
				n++
			}
			s := vecmath.Dot(q, vecs[i*dim:(i+1)*dim])
			if t.full() && s < t.h[0].score {
				continue
			}
			// Unfiltered, the tombstone check waits for the few rows
			// that would make the top k: the loop stays lean.
			if f.dead(uint32(i)) {
				continue
			}
			t.push(scored{int32(i), s})
		}
		parts[p], passed[p] = t, n
	})
	all := topK{k: k}
	compared := 0
	for p, part := range parts {
		for _, s := range part.h {
			all.push(s)
		}
		compared += passed[p]
	}
	if rf.any {
		compared = f.size() - f.deleted
	}
	return sortScored(all.h), compared
}

// sortScored orders rows best first. k may be every row of the space
// (a caller asking for all of them), so the sort is O(k log k): an
// insertion sort here took 9.6 s at k = 93,000.
func sortScored(s []scored) []scored {
	slices.SortFunc(s, func(a, b scored) int {
		switch {
		case better(a, b):
			return -1
		case better(b, a):
			return 1
		}
		return 0
	})
	return s
}

// videoScore is one video's aggregate over its matching rows.
type videoScore struct {
	best  scored // its best row
	sum   float64
	count int
}

// searchVideos scores every matching row and groups by video: the
// result's score is the best row's, or with mean the mean over the
// video's matching rows. Returns the k best videos, best first, each as
// its best row with the aggregate score, and the rows counted per video.
func (f *scan) searchVideos(q []float32, k int, rf *rowFilter, mean bool, threads int) ([]scored, []int, int) {
	nv := len(f.cols.videos)
	parts := make([][]videoScore, max(threads, 1))
	chunks(f.size(), threads, func(p, lo, hi int) {
		vs := make([]videoScore, nv)
		for i := range vs {
			vs[i].best.score = float32(math.Inf(-1))
		}
		dim := f.dim
		for j := lo; j < hi; j++ {
			i := f.row(j)
			if (!rf.any && !rf.pass(f.cols, i)) || f.dead(uint32(i)) {
				continue
			}
			s := scored{int32(i), vecmath.Dot(q, f.vecs[i*dim:(i+1)*dim])}
			v := &vs[f.cols.video[i]]
			if v.count == 0 || better(s, v.best) {
				v.best = s
			}
			v.sum += float64(s.score)
			v.count++
		}
		parts[p] = vs
	})
	total := mergeVideos(parts)
	compared := 0
	for _, v := range total {
		compared += v.count
	}
	rows, counts := topVideos(f.cols, total, k, mean)
	return rows, counts, compared
}

// mergeVideos adds up per-thread video aggregates (parts[0] is reused).
func mergeVideos(parts [][]videoScore) []videoScore {
	var total []videoScore
	for _, vs := range parts {
		if vs == nil {
			continue
		}
		if total == nil {
			total = vs
			continue
		}
		for i, v := range vs {
			if v.count == 0 {
				continue
			}
			t := &total[i]
			if t.count == 0 || better(v.best, t.best) {
				t.best = v.best
			}
			t.sum += v.sum
			t.count += v.count
		}
	}
	return total
}

// topVideos returns the k best videos of total, best first, each as its
// best row with the aggregate score, and their rows counted.
func topVideos(cols *columns, total []videoScore, k int, mean bool) ([]scored, []int) {
	top := topK{k: min(k, len(total))}
	for _, t := range total {
		if t.count == 0 {
			continue
		}
		s := t.best
		if mean {
			s.score = float32(t.sum / float64(t.count))
		}
		top.push(s)
	}
	res := sortScored(top.h)
	counts := make([]int, len(res))
	for i, s := range res {
		counts[i] = total[cols.video[s.row]].count
	}
	return res, counts
}
