package engine

import (
	"context"
	"math"
	"slices"

	"github.com/clipvec/clipvec/internal/hnsw"
	"github.com/clipvec/clipvec/internal/sqlite"
)

// Filter restricts which segments a search may return. Zero fields
// restrict nothing.
type Filter struct {
	Modalities, Scopes    []string
	Videos, ExcludeVideos []string
	// Timed keeps segments that overlap [From, To) seconds.
	Timed    bool
	From, To float64
	// ExcludeSegments leaves out these segment ids (a query clip's own).
	ExcludeSegments []int64
}

// Request is one search in one space.
type Request struct {
	Vector []float32 // unit length, of the space's dimension
	K      int
	// Ef is the graph walk's candidate list (0: the database's fixed
	// Params.EfSearch, or else the ef the graph's calibration found for
	// Params.TargetRecall; at least K).
	Ef int
	// Exact compares every vector instead of walking the graph.
	Exact bool
	// ByVideo returns each video once, as its best segment; Mean scores
	// it by the mean of its matching segments (always an exact scan).
	ByVideo, Mean bool
	Filter        Filter
	// Vectors returns each hit's (unit) vector too.
	Vectors bool
}

// Method says how a search was answered.
type Method string

const (
	MethodGraph         Method = "graph"          // the HNSW graph, with Ef
	MethodExact         Method = "exact"          // every vector compared
	MethodExactFiltered Method = "exact-filtered" // a filter left few enough segments to compare them all
)

// Hit is one result: a segment (without its vector), its score and, for
// searches by video, the video's matching segments counted.
type Hit struct {
	Segment sqlite.Segment
	Score   float32
	Matches int
	// Vector is the segment's unit vector, when Request.Vectors asked.
	Vector []float32
}

// Answer is a search's result.
type Answer struct {
	Method Method
	Ef     int // the walk's candidate list (graph searches)
	// Recall is the estimated recall@10 of a graph search at Ef, from the
	// graph's calibration (0 when it has none: a fixed ef, and no target).
	Recall float64
	// Searched counts the segments compared with the query: the walk's
	// nodes (graph), the filter's segments (exact-filtered), every live
	// segment (exact), or the walk's and then a scan's when a starved
	// walk fell back to one.
	Searched int
	Live     int // the space's live segments
	Hits     []Hit
}

// Search answers req in space sp, bringing its graph up to date first
// (loading, catching up or building it) unless another change of the
// space is under way (see the package doc).
//
// By default it walks the graph (approximate: Ef trades speed for
// recall); with Exact, or a mean by video, it compares every vector.
// Filters apply inside the walk; when a filter leaves few segments the
// search compares those exactly, and a walk that finds fewer than K
// matches falls back to an exact scan, so K results come back whenever K
// segments match.
func (e *Engine) Search(ctx context.Context, sp sqlite.Space, gen int64, req Request) (*Answer, error) {
	idx, err := e.searchIndexFor(ctx, sp)
	if err != nil {
		return nil, err
	}
	calib, err := e.defaultEf(ctx, gen, idx, &req)
	if err != nil {
		return nil, err
	}
	idx.mu.RLock()
	defer idx.mu.RUnlock()
	rf := compileFilter(idx.cols, &req.Filter)
	ans := &Answer{Live: idx.g.Len() - idx.g.Deleted()}
	rows, counts := e.searchIndex(idx, &req, rf, ans, e.Threads())
	ans.estimate(calib)
	idx.fill(ans, &req, rows, counts)
	return ans, nil
}

// defaultEf sets req.Ef, when it is 0, to the database's fixed ef or
// else to the ef idx's calibration found for the database's target
// (calibrating first if need be), and to at least K. It returns the
// calibration, if the graph has one that holds, to estimate recall by.
func (e *Engine) defaultEf(ctx context.Context, gen int64, idx *spaceIndex, req *Request) (*Calibration, error) {
	params, err := e.ParamsAt(ctx, gen)
	if err != nil {
		return nil, err
	}
	var calib *Calibration
	if params.TargetRecall > 0 && !req.Exact {
		if calib, err = e.calibrated(ctx, idx, params.TargetRecall, false); err != nil {
			return nil, err
		}
	} else if c := idx.calib.Load(); c != nil && !c.stale(idx.live(), c.Target) {
		calib = c // an estimate for a fixed ef or a given one
	}
	if req.Ef == 0 {
		req.Ef = params.EfSearch
		if calib != nil && params.TargetRecall > 0 {
			req.Ef = calib.efFor(req.K)
		}
		if req.Ef == 0 { // nothing to calibrate on: an empty graph
			req.Ef = hnsw.DefaultEfSearch
		}
	}
	req.Ef = max(req.Ef, req.K)
	return calib, nil
}

// estimate sets ans.Recall for a graph search, from calib.
func (ans *Answer) estimate(calib *Calibration) {
	if ans.Method == MethodGraph && calib != nil {
		ans.Recall = calib.Estimate(ans.Ef)
	}
}

// fill turns a search's rows into ans.Hits; idx.mu is held shared.
func (idx *spaceIndex) fill(ans *Answer, req *Request, rows []scored, counts []int) {
	ans.Hits = make([]Hit, len(rows))
	for i, r := range rows {
		ans.Hits[i] = Hit{Segment: idx.cols.segment(int(r.row), idx.space.Model), Score: r.score}
		if counts != nil {
			ans.Hits[i].Matches = counts[i]
		}
	}
	if req.Vectors && len(rows) > 0 {
		dim := idx.space.Dim
		idx.g.View(func(vecs []float32, _ int, _ func(uint32) bool) {
			for i, r := range rows {
				ans.Hits[i].Vector = append([]float32(nil), vecs[int(r.row)*dim:(int(r.row)+1)*dim]...)
			}
		})
	}
}

// smallFilter is how many allowed segments of a space of n a filtered
// search compares exactly rather than walking the graph: sqrt(1500·n),
// about 12,000 at 100k and 39,000 at 1M. A graph walk with a filter
// slows as the filter tightens (it must wander until ef matches turn
// up), while comparing m listed segments costs m distance computations.
// Measured on the 100k × 512 benchmark set, ef 128, k 10, allowed
// segments in whole videos (µs per query, graph / exact over the list):
//
//	allowed   0.2%  0.5%   1%    2%    5%    10%   20%
//	graph    41500 20200  8400  4700  3200  2100  1600
//	exact       10    23    90   200   520  1090  2140
//
// The walk costs about 80 µs/s at selectivity s and the scan about
// s·n·0.1 µs: they cross at s ≈ sqrt(800/n), m ≈ sqrt(800·n). The
// constant is rounded up because the scan is also exact.
func smallFilter(n int) int { return int(math.Sqrt(1500 * float64(n))) }

// searchIndex runs the search, an exact scan on threads goroutines;
// idx.mu is held shared.
func (e *Engine) searchIndex(idx *spaceIndex, q *Request, rf *rowFilter, ans *Answer, threads int) ([]scored, []int) {
	cols := idx.cols
	vec := q.Vector
	// exactOver compares the query with the listed nodes (nil: all).
	exactOver := func(method Method, nodes []uint32) ([]scored, []int) {
		ans.Method, ans.Ef = method, 0
		var rows []scored
		var counts []int
		idx.g.View(func(vecs []float32, n int, dead func(uint32) bool) {
			n = min(n, cols.len())
			s := &scan{vecs: vecs, dim: idx.space.Dim, n: n, dead: dead, cols: cols, rows: nodes, deleted: idx.g.Deleted()}
			var compared int
			if q.ByVideo {
				rows, counts, compared = s.searchVideos(vec, q.K, rf, q.Mean, threads)
			} else {
				rows, compared = s.searchClips(vec, q.K, rf, threads)
			}
			ans.Searched += compared
		})
		return rows, counts
	}
	exact := func(method Method) ([]scored, []int) { return exactOver(method, nil) }
	if q.Exact || (q.ByVideo && q.Mean) {
		return exact(MethodExact)
	}
	n := cols.len()
	small := smallFilter(n)
	if !rf.any {
		// A few allowed videos: compare their segments.
		if rf.videoOK != nil && len(q.Filter.Videos) > 0 {
			var nodes []uint32
			for v, ok := range rf.videoOK {
				if ok {
					nodes = append(nodes, cols.nodesOf(v)...)
				}
			}
			if len(nodes) <= small {
				return exactOver(MethodExactFiltered, nodes)
			}
		}
		// Rare modalities or scopes: scan, checking the filter first.
		if cols.countUpTo(rf) <= small {
			return exact(MethodExactFiltered)
		}
	}
	ans.Method, ans.Ef = MethodGraph, q.Ef
	// Every node has its columns (they are added before the node is
	// linked), so an unfiltered search needs no check at all.
	var allow func(uint32) bool
	budget := 0
	if !rf.any {
		allow = func(id uint32) bool { return rf.pass(cols, int(id)) }
		// Past an eighth of the graph a scan is cheaper than the walk
		// (it reads in order; the walk jumps): see smallFilter.
		budget = n / 8
	}
	k := q.K
	if q.ByVideo {
		// Several clips of a video crowd the nearest segments: ask for
		// more, then keep each video's best.
		k = max(q.K*10, q.Ef)
	}
	found, compared, complete := idx.g.SearchCounted(vec, k, max(q.Ef, k), allow, budget, nil)
	ans.Searched += compared
	if !complete {
		return exact(MethodExactFiltered) // the filter starved the walk
	}
	rows := make([]scored, len(found))
	for i, r := range found {
		rows[i] = scored{int32(r.ID), r.Score}
	}
	if q.ByVideo {
		rows, counts := groupBest(cols, rows, q.K)
		if len(rows) < q.K && len(rows) < len(cols.videos) {
			return exact(MethodExact) // too few videos among the nearest segments
		}
		return rows, counts
	}
	if len(rows) < q.K && !rf.any {
		return exact(MethodExactFiltered)
	}
	return rows, nil
}

// groupBest keeps each video's best row (rows best first), up to k
// videos, and counts each video's rows among those given.
func groupBest(cols *columns, rows []scored, k int) ([]scored, []int) {
	seen := map[int32]int{}
	var out []scored
	var counts []int
	for _, r := range rows {
		v := cols.video[r.row]
		if i, ok := seen[v]; ok {
			counts[i]++
			continue
		}
		if len(out) == k {
			continue
		}
		seen[v] = len(out)
		out = append(out, r)
		counts = append(counts, 1)
	}
	return out, counts
}

// Vocabulary returns the modalities and scopes space sp holds, sorted:
// the values a filter on it can name. Segments deleted since the graph
// was last compacted may still count.
func (e *Engine) Vocabulary(ctx context.Context, sp sqlite.Space) (modalities, scopes []string, err error) {
	idx, err := e.searchIndexFor(ctx, sp)
	if err != nil {
		return nil, nil, err
	}
	idx.mu.RLock()
	defer idx.mu.RUnlock()
	modalities, scopes = slices.Clone(idx.cols.options), slices.Clone(idx.cols.scopes)
	slices.Sort(modalities)
	slices.Sort(scopes)
	return modalities, scopes, nil
}
