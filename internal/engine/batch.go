package engine

import (
	"context"
	"math"
	"sync"
	"sync/atomic"

	"github.com/clipvec/clipvec/internal/sqlite"
	"github.com/clipvec/clipvec/internal/vecmath"
)

// SearchBatch answers many requests in space sp; answers[i] is reqs[i]'s.
//
// Graph requests run in parallel, one per thread. Exact requests (Exact,
// or a mean by video) share passes over the vectors: each thread takes a
// range of rows and compares every tile of it with all the batch's
// queries while the tile is in cache, so the vectors are read from memory
// once per batch rather than once per query. Every answer is the one
// Search would give.
func (e *Engine) SearchBatch(ctx context.Context, sp sqlite.Space, gen int64, reqs []Request) ([]*Answer, error) {
	idx, err := e.searchIndexFor(ctx, sp)
	if err != nil {
		return nil, err
	}
	calibs := make([]*Calibration, len(reqs))
	for i := range reqs {
		if calibs[i], err = e.defaultEf(ctx, gen, idx, &reqs[i]); err != nil {
			return nil, err
		}
	}
	idx.mu.RLock()
	defer idx.mu.RUnlock()
	searched := idx.g.Len() - idx.g.Deleted()
	answers := make([]*Answer, len(reqs))
	var exact, walk []int
	for i := range reqs {
		if reqs[i].Exact || (reqs[i].ByVideo && reqs[i].Mean) {
			exact = append(exact, i)
		} else {
			walk = append(walk, i)
		}
	}
	threads := e.Threads()
	if len(walk) > 0 {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range min(threads, len(walk)) {
			wg.Go(func() {
				for ctx.Err() == nil {
					j := int(next.Add(1)) - 1
					if j >= len(walk) {
						return
					}
					req := &reqs[walk[j]]
					rf := compileFilter(idx.cols, &req.Filter)
					ans := &Answer{Live: searched}
					rows, counts := e.searchIndex(idx, req, rf, ans, 1)
					ans.estimate(calibs[walk[j]])
					idx.fill(ans, req, rows, counts)
					answers[walk[j]] = ans
				}
			})
		}
		wg.Wait()
	}
	for len(exact) > 0 && ctx.Err() == nil {
		n := batchSize(exact, reqs, len(idx.cols.videos), threads)
		idx.exactBatch(reqs, exact[:n], answers, searched, threads)
		exact = exact[n:]
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return answers, nil
}

// MaxExactBatch is how many exact queries share one pass over a space's
// vectors. At 512 dimensions a query is 2 KB, so 64 of them stay in a
// core's L2 cache beside the tile of rows being compared.
const MaxExactBatch = 64

// batchTile is how many rows each thread compares with all of a batch's
// queries before moving on: 32 rows of 512 floats are 64 KB.
const batchTile = 32

// videoBudget bounds the per-thread, per-query video aggregates a batch
// of exact searches by video keeps: 256 MB.
const videoBudget = 256 << 20

// batchSize is how many of the exact requests listed in idxs (at their
// head) to run in one pass: at most MaxExactBatch, fewer when searches
// by video would keep too many per-video aggregates.
func batchSize(idxs []int, reqs []Request, videos, threads int) int {
	n := min(len(idxs), MaxExactBatch)
	per := videos * int(sizeofVideoScore) * max(threads, 1)
	byVideo := 0
	for i, j := range idxs[:n] {
		if reqs[j].ByVideo {
			byVideo++
			if per > 0 && byVideo*per > videoBudget && i > 0 {
				return i
			}
		}
	}
	return n
}

const sizeofVideoScore = 24

// exactBatch answers the exact requests listed in which with one pass
// over the vectors; idx.mu is held shared.
func (idx *spaceIndex) exactBatch(reqs []Request, which []int, answers []*Answer, searched, threads int) {
	cols := idx.cols
	nv := len(cols.videos)
	type query struct {
		req *Request
		rf  *rowFilter
		k   int
	}
	qs := make([]query, len(which))
	for i, j := range which {
		qs[i] = query{req: &reqs[j], rf: compileFilter(cols, &reqs[j].Filter)}
	}
	// Per thread, per query: a top k of rows, or aggregates by video.
	threads = max(threads, 1)
	tops := make([][]topK, threads)
	vids := make([][][]videoScore, threads)
	passed := make([][]int, threads) // per thread, per filtered query: rows compared
	idx.g.View(func(vecs []float32, n int, dead func(uint32) bool) {
		n = min(n, cols.len())
		dim := idx.space.Dim
		for i := range qs {
			qs[i].k = min(qs[i].req.K, n)
		}
		chunks(n, threads, func(p, lo, hi int) {
			top := make([]topK, len(qs))
			vs := make([][]videoScore, len(qs))
			for i, q := range qs {
				if q.req.ByVideo {
					vs[i] = make([]videoScore, nv)
					for v := range vs[i] {
						vs[i][v].best.score = float32(math.Inf(-1))
					}
				} else {
					top[i] = topK{k: q.k, h: make([]scored, 0, q.k)}
				}
			}
			np := make([]int, len(qs))
			var gone [batchTile]bool
			for t0 := lo; t0 < hi; t0 += batchTile {
				t1 := min(t0+batchTile, hi)
				for r := t0; r < t1; r++ {
					gone[r-t0] = dead(uint32(r))
				}
				for i, q := range qs {
					vec := q.req.Vector
					t := &top[i]
					for r := t0; r < t1; r++ {
						if gone[r-t0] || (!q.rf.any && !q.rf.pass(cols, r)) {
							continue
						}
						np[i]++
						s := vecmath.Dot(vec, vecs[r*dim:(r+1)*dim])
						if vs[i] != nil {
							v := &vs[i][cols.video[r]]
							if c := (scored{int32(r), s}); v.count == 0 || better(c, v.best) {
								v.best = c
							}
							v.sum += float64(s)
							v.count++
							continue
						}
						if t.full() && s < t.h[0].score {
							continue
						}
						t.push(scored{int32(r), s})
					}
				}
			}
			tops[p], vids[p], passed[p] = top, vs, np
		})
	})
	for i, q := range qs {
		ans := &Answer{Live: searched, Method: MethodExact}
		for p := range passed {
			if passed[p] != nil {
				ans.Searched += passed[p][i]
			}
		}
		var rows []scored
		var counts []int
		if q.req.ByVideo {
			parts := make([][]videoScore, 0, threads)
			for p := range vids {
				if vids[p] != nil {
					parts = append(parts, vids[p][i])
				}
			}
			rows, counts = topVideos(cols, mergeVideos(parts), q.req.K, q.req.Mean)
		} else {
			all := topK{k: q.k}
			for p := range tops {
				if tops[p] != nil {
					for _, s := range tops[p][i].h {
						all.push(s)
					}
				}
			}
			rows = sortScored(all.h)
		}
		idx.fill(ans, q.req, rows, counts)
		answers[which[i]] = ans
	}
}

// Count returns how many live segments of space sp pass flt.
func (e *Engine) Count(ctx context.Context, sp sqlite.Space, flt Filter) (int, error) {
	idx, err := e.searchIndexFor(ctx, sp)
	if err != nil {
		return 0, err
	}
	idx.mu.RLock()
	defer idx.mu.RUnlock()
	rf := compileFilter(idx.cols, &flt)
	n := 0
	idx.g.View(func(_ []float32, rows int, dead func(uint32) bool) {
		for i := range min(rows, idx.cols.len()) {
			if (rf.any || rf.pass(idx.cols, i)) && !dead(uint32(i)) {
				n++
			}
		}
	})
	return n, nil
}
