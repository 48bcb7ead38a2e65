package engine

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clipvec/clipvec/internal/hnsw"
	"github.com/clipvec/clipvec/internal/vecmath"
)

// Calibration is what calibrating a graph for a target recall found: the
// smallest ef whose recall@10 on held-out queries reaches the target with
// confidence, and the recall measured at each ef tried, from which the
// recall of any other ef is estimated (Estimate).
//
// A graph is calibrated when it is built (a first build, a rebuild, a
// compaction), again when its live nodes have doubled, or halved, since
// (recall at a given ef falls as a graph grows: from 0.99 at 100k to 0.86
// at 1M on the benchmark set at ef 128), and when the database's target
// changes. The queries are not nodes of the graph, and resemble real
// ones:
//
//   - the space's cached text and image queries, when there are at least
//     minCachedQueries of them (the newest calibrationQueries);
//   - otherwise two kinds of synthetic queries, calibrationQueries of
//     each, made from random live nodes, every kind having to reach the
//     target:
//   - text-like queries, which sit apart from the clips (the "modality
//     gap"): the node's vector plus Gaussian noise of apartNoise (0.6)
//     times its neighbourhood's spread (the similarity of its nearest
//     neighbour less that of its 10th) per coordinate, which moves the
//     query's similarity to every node by a random amount of that size.
//     Its true top 10 are then near-ties over a wider region than the
//     node's own, which is what makes text queries harder for a graph
//     than clips; tied to the spread, the noise means the same in 64
//     dimensions as in 1,024. On the benchmark set (512-d) it is about
//     1.7 times the vector's length (cosine 0.5 with the node, about a
//     text query's best with a clip).
//   - new samples: the node's vector moved as far from it as its nearest
//     neighbour is, as a held-out item of a dataset sits among the
//     others (Fashion-MNIST's test images among its training images).
//
// An ef passes when, for each kind, the mean recall less twice its
// standard error reaches the target plus aimAbove of the misses the
// target allows (0.9625 for 0.95). Measured against real queries
// (benchmarks/README.md, recallbench) this errs on the safe side: the
// benchmark set's text-like queries need ef 24 at 20k nodes, where three
// builds calibrated 27, 35 and 35, and 64 at 100k, where it calibrated
// 300. Less noise (half the spread) calibrated 22 at 20k, where the
// text-like queries then got 0.93; without the reserve, Fashion-MNIST's
// test images got 0.9486.
//
// Its cost is an exact search of the queries over the live nodes (one
// pass over the vectors per 64 queries, on every thread) plus their graph
// searches at about a dozen efs: a few seconds at 100k × 512 on two
// cores, and in proportion to the nodes beyond (see the closing figures
// in benchmarks/README.md).
type Calibration struct {
	// Target is the recall@10 calibrated for.
	Target float64 `json:"target"`
	// Ef is the smallest ef found whose estimated recall reaches Target
	// with confidence (see Recall), or the largest tried,
	// maxCalibrationEf, when none did.
	Ef int `json:"ef"`
	// Recall is the estimated recall@10 at Ef: the mean over the
	// queries of the kind that fell shortest there, and StdErr its
	// standard error.
	Recall float64 `json:"recall"`
	StdErr float64 `json:"stderr"`
	// Nodes is the graph's live nodes when calibrated.
	Nodes int `json:"nodes"`
	// Queries is how many queries the estimate rests on, and Source what
	// they were: "cached queries" or "synthetic queries".
	Queries int    `json:"queries"`
	Source  string `json:"source"`
	// Seconds is how long the calibration took.
	Seconds float64 `json:"seconds"`
	// Curve is the recall measured at each ef tried, by ef.
	Curve []CurvePoint `json:"curve"`
}

// CurvePoint is one ef a calibration tried, the mean recall@10 there of
// the kind of query that fell shortest, and that mean's standard error.
type CurvePoint struct {
	Ef     int     `json:"ef"`
	Recall float64 `json:"recall"`
	StdErr float64 `json:"stderr"`
}

// meanStdErr returns the mean of xs and its standard error, rounded to
// four places.
func meanStdErr(xs []float64) (mean, stderr float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) > 1 {
		v := 0.0
		for _, x := range xs {
			v += (x - mean) * (x - mean)
		}
		stderr = math.Sqrt(v / float64(len(xs)-1) / float64(len(xs)))
	}
	return math.Round(mean*1e4) / 1e4, math.Round(stderr*1e4) / 1e4
}

// Calibration sources.
const (
	SourceCached    = "cached queries"
	SourceSynthetic = "synthetic queries"
)

const (
	// calibrationK is the k of the recall calibrated for: recall@10.
	calibrationK = 10
	// calibrationQueries is how many queries of each kind a calibration
	// runs: the exact answers of each 64 share one pass over the vectors.
	// The recall of 256 queries near 0.95 has a standard error of about
	// 0.005 to 0.01.
	calibrationQueries = 4 * MaxExactBatch
	// minCachedQueries is how many cached queries of a space replace the
	// synthetic ones.
	minCachedQueries = 50
	// aimAbove is the share of the misses a target allows (1 − target)
	// that a calibration keeps in reserve: its queries stand in for real
	// ones, and on Fashion-MNIST the real held-out images got 0.014 less
	// than the synthetic queries at the same ef.
	aimAbove = 0.25
	// apartNoise is the synthetic queries' noise, relative to their
	// origin's neighbourhood's spread.
	apartNoise = 0.6
	// maxCalibrationEf bounds the efs tried.
	maxCalibrationEf = 4096
	// calibrationGrowth is how far a graph's live nodes may grow (or
	// shrink, by its inverse) before it is calibrated again.
	calibrationGrowth = 2.0
)

// Estimate returns the estimated recall@10 of a search with ef: the
// curve's recall at the nearest ef tried at or below it, 1 when ef covers
// every live node (the search is then exact), and 0 when the calibration
// tried no ef that small.
func (c *Calibration) Estimate(ef int) float64 {
	if c == nil {
		return 0
	}
	if ef >= c.Nodes {
		return 1
	}
	r := 0.0
	for _, p := range c.Curve {
		if p.Ef <= ef {
			r = max(r, p.Recall)
		}
	}
	return r
}

// efFor is the ef a search for k results uses: the calibrated one, for
// recall@10; scaled with k above 10, as the share of the true top k a
// candidate list of a given length holds falls as k grows.
func (c *Calibration) efFor(k int) int {
	return max(c.Ef, (c.Ef*k+calibrationK-1)/calibrationK)
}

// stale says whether a calibration no longer holds for a graph of live
// nodes and target.
func (c *Calibration) stale(live int, target float64) bool {
	if c == nil || c.Target != target {
		return true
	}
	return float64(live) > calibrationGrowth*float64(c.Nodes) || float64(live)*calibrationGrowth < float64(c.Nodes)
}

// errNothingToCalibrate is calibrate's error for a graph with no live
// node.
var errNothingToCalibrate = errors.New("no live nodes to calibrate on")

// calibrate measures idx's graph for target and returns its
// calibration; it does not install it. idx.mu is not held: it reads the
// graph and columns under it, shared, so searches go on.
func (e *Engine) calibrate(ctx context.Context, idx *spaceIndex, target float64) (*Calibration, error) {
	start := time.Now()
	idx.mu.RLock()
	g, cols := idx.g, idx.cols // a rebuild may swap both: measure these
	live := g.Len() - g.Deleted()
	idx.mu.RUnlock()
	if live == 0 {
		return nil, errNothingToCalibrate
	}
	queries, source, err := e.calibrationQueries(ctx, idx)
	if err != nil {
		return nil, err
	}
	c := &Calibration{Target: target, Nodes: live, Queries: len(queries), Source: source}

	// The truth: exact searches, batched so they share passes over the
	// vectors; a held-out node's own segment is left out of its answer.
	reqs := make([]Request, len(queries))
	for i, q := range queries {
		reqs[i] = Request{Vector: q.vec, K: calibrationK + 1, Exact: true}
	}
	truth := make([][]int64, len(queries))
	idx.mu.RLock()
	for lo := 0; lo < len(reqs) && ctx.Err() == nil; lo += MaxExactBatch {
		hi := min(lo+MaxExactBatch, len(reqs))
		which := make([]int, 0, hi-lo)
		for i := lo; i < hi; i++ {
			which = append(which, i)
		}
		answers := make([]*Answer, len(reqs))
		idx.exactBatch(reqs, which, answers, live, e.Threads())
		for _, i := range which {
			for _, h := range answers[i].Hits {
				if h.Segment.ID != queries[i].self && len(truth[i]) < calibrationK {
					truth[i] = append(truth[i], h.Segment.ID)
				}
			}
		}
	}
	idx.mu.RUnlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// pass measures the graph at ef, on every thread, and says whether
	// its recall reaches the target with confidence for every kind of
	// query: their mean recall, less twice its standard error (about 98%
	// sure the graph's recall on such queries is above that), reaches
	// the target plus a quarter of what it leaves (0.9625 for 0.95). The
	// curve keeps the kind that fell shortest.
	measured := map[int]bool{}
	per := make([]float64, len(queries))
	aim := target + (1-target)*aimAbove
	pass := func(ef int) bool {
		if ok, done := measured[ef]; done {
			return ok
		}
		var next atomic.Int64
		var wg sync.WaitGroup
		idx.mu.RLock()
		for range max(1, e.Threads()) {
			wg.Go(func() {
				var dst []hnsw.Result
				for {
					i := int(next.Add(1)) - 1
					if i >= len(queries) {
						return
					}
					q := &queries[i]
					dst = g.Search(q.vec, calibrationK+1, max(ef, calibrationK+1), nil, dst)
					n, kept := 0, 0
					for _, r := range dst {
						seg := cols.seg[r.ID]
						if seg == q.self || kept == calibrationK {
							continue
						}
						kept++
						if slices.Contains(truth[i], seg) {
							n++
						}
					}
					per[i] = 1
					if len(truth[i]) > 0 {
						per[i] = float64(n) / float64(len(truth[i]))
					}
				}
			})
		}
		wg.Wait()
		idx.mu.RUnlock()
		ok := true
		var worst CurvePoint
		for kind := range queryKinds {
			var xs []float64
			for i, q := range queries {
				if q.kind == kind {
					xs = append(xs, per[i])
				}
			}
			if len(xs) == 0 {
				continue
			}
			p := CurvePoint{Ef: ef}
			p.Recall, p.StdErr = meanStdErr(xs)
			ok = ok && p.Recall-2*p.StdErr >= aim
			if worst.Ef == 0 || p.Recall-2*p.StdErr < worst.Recall-2*worst.StdErr {
				worst = p
			}
		}
		measured[ef] = ok
		c.Curve = append(c.Curve, worst)
		return ok
	}

	// Double ef from k until the target is reached, then bisect between
	// the last ef short of it and the first that reached it, to within
	// a tenth.
	top := min(maxCalibrationEf, live)
	lo, hi := 0, calibrationK
	for hi < top && !pass(hi) {
		lo, hi = hi, min(2*hi, top)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	if hi >= top && !pass(hi) {
		lo = hi
	}
	for lo > 0 && hi-lo > max(2, lo/10) {
		mid := (lo + hi) / 2
		if pass(mid) {
			hi = mid
		} else {
			lo = mid
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	pass(hi)
	slices.SortFunc(c.Curve, func(a, b CurvePoint) int { return a.Ef - b.Ef })
	c.Ef = hi
	for _, p := range c.Curve {
		if p.Ef == hi {
			c.Recall, c.StdErr = p.Recall, p.StdErr
		}
	}
	c.Seconds = math.Round(time.Since(start).Seconds()*1000) / 1000
	return c, nil
}

// calibrationQuery is one query of a calibration: a unit vector, the
// segment its answers leave out (a held-out node's own; -1: none), and
// which kind it is.
type calibrationQuery struct {
	vec  []float32
	self int64
	kind int
}

// The kinds of calibration queries: every kind must reach the target.
const (
	kindCachedOrApart = iota // cached queries, or synthetic ones that sit apart
	kindHeldOut              // new samples near the nodes
	queryKinds
)

// calibrationQueries returns the queries to calibrate idx's graph on, and
// what they are: the space's cached queries when it has enough, else
// calibrationQueries that sit apart from the nodes (text-like) and as
// many of the nodes themselves, each held out of its own answer (a new
// clip's search, like a held-out image of a real dataset).
func (e *Engine) calibrationQueries(ctx context.Context, idx *spaceIndex) ([]calibrationQuery, string, error) {
	cached, err := e.store.CachedQueries(ctx)
	if err != nil {
		return nil, "", err
	}
	var own []calibrationQuery
	for _, q := range cached { // newest first
		if q.Model == idx.space.Model && q.Dim == idx.space.Dim && len(own) < calibrationQueries {
			v := slices.Clone(q.Vector)
			if _, err := vecmath.Normalize(v); err == nil {
				own = append(own, calibrationQuery{vec: v, self: -1, kind: kindCachedOrApart})
			}
		}
	}
	if len(own) >= minCachedQueries {
		return own, SourceCached, nil
	}
	return idx.syntheticQueries(calibrationQueries), SourceSynthetic, nil
}

// syntheticQueries makes n queries that sit apart from the graph's nodes
// (see Calibration) and n held-out nodes, from a fixed seed, so a graph's
// calibration does not change from run to run by chance.
func (idx *spaceIndex) syntheticQueries(n int) []calibrationQuery {
	rng := rand.New(rand.NewPCG(0x636c6970766563, 14))
	dim := idx.space.Dim
	out := make([]calibrationQuery, 0, 2*n)
	idx.mu.RLock()
	defer idx.mu.RUnlock()
	g := idx.g
	// Draw the nodes and copy their vectors first: a search inside View
	// would take the graph's read lock twice, which a waiting writer
	// turns into a deadlock.
	var ids []uint32
	var origins [][]float32
	g.View(func(vecs []float32, nodes int, dead func(uint32) bool) {
		for tries := 0; len(ids) < 2*n && tries < 200*n; tries++ {
			id := rng.IntN(nodes)
			if !dead(uint32(id)) {
				ids = append(ids, uint32(id))
				origins = append(origins, slices.Clone(vecs[id*dim:(id+1)*dim]))
			}
		}
	})
	var near []hnsw.Result
	for i, x := range origins {
		// The node's nearest neighbours (itself first, most likely),
		// from a generous walk.
		near = g.Search(x, calibrationK+1, 4*calibrationK, nil, near)
		others := slices.DeleteFunc(near, func(r hnsw.Result) bool { return r.ID == ids[i] })
		if len(others) < 2 {
			continue
		}
		var sigma float64
		kind := kindCachedOrApart
		if i%2 == 0 {
			// Apart: noise of half the neighbourhood's spread.
			sigma = apartNoise * float64(others[0].Score-others[len(others)-1].Score)
		} else {
			// A new sample: as far from the node as its nearest
			// neighbour is (for unit vectors, cos = 1/√(1 + dim·σ²)).
			kind = kindHeldOut
			s1 := min(max(float64(others[0].Score), 0.05), 0.9999)
			sigma = math.Sqrt((1/(s1*s1) - 1) / float64(dim))
		}
		q := make([]float32, dim)
		for j, v := range x {
			q[j] = v + float32(sigma*rng.NormFloat64())
		}
		if _, err := vecmath.Normalize(q); err == nil {
			out = append(out, calibrationQuery{vec: q, self: -1, kind: kind})
		}
	}
	return out
}

// calibrated returns idx's calibration for target, calibrating first if
// it has none for it, or none that holds at its size. Concurrent callers
// wait for one calibration. A graph with no live nodes has none (nil).
//
// Calibrating reads node vectors, so no insert may run meanwhile: the
// caller holds idx.changeMu (changing), or calibrated takes it. When a
// change of the space is under way, a search whose graph has a
// calibration for the target, made at another size, does not wait: it
// uses it, and the change's own catch-up calibrates again. One with none
// for the target (a new target, a snapshot from before calibrations)
// waits for the change, then calibrates.
func (e *Engine) calibrated(ctx context.Context, idx *spaceIndex, target float64, changing bool) (*Calibration, error) {
	if c := idx.calib.Load(); !c.stale(idx.live(), target) {
		return c, nil
	}
	// changeMu before calibMu, always: a catch-up holds changeMu when it
	// calibrates, so a search that took calibMu first and then waited
	// for changeMu would deadlock with it.
	if !changing {
		if !idx.changeMu.TryLock() {
			if c := idx.calib.Load(); c != nil && c.Target == target {
				return c, nil // only grown: the change recalibrates
			}
			idx.changeMu.Lock() // none for this target: wait
		}
		defer idx.changeMu.Unlock()
	}
	idx.calibMu.Lock()
	defer idx.calibMu.Unlock()
	if c := idx.calib.Load(); !c.stale(idx.live(), target) {
		return c, nil
	}
	idx.mu.RLock()
	g := idx.g
	idx.mu.RUnlock()
	c, err := e.calibrate(ctx, idx, target)
	if errors.Is(err, errNothingToCalibrate) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	idx.mu.RLock()
	same := idx.g == g // not swapped for another graph meanwhile
	idx.mu.RUnlock()
	if same {
		idx.calib.Store(c)
		idx.dirty.Store(true)
	}
	return c, nil
}

// live returns the graph's live nodes.
func (idx *spaceIndex) live() int {
	idx.mu.RLock()
	defer idx.mu.RUnlock()
	return idx.g.Len() - idx.g.Deleted()
}
