package hnsw

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/clipvec/clipvec/internal/vecmath"
)

// Defaults for Config's zero fields, and clipvec's defaults (the engine's
// DefaultParams are these): the one place they are set.
const (
	DefaultM              = 16
	DefaultEfConstruction = 200
	// DefaultEfSearch: on the benchmark set (text-like queries, the
	// hardest case) recall@10 is about 0.99 at 100k segments and 0.86 at
	// 1M.
	DefaultEfSearch = 128
)

// maxLevel caps node levels; with M = 16 a level above 8 has odds of 1 in
// 16^8 per node.
const maxLevel = 16

// Config sets a graph's parameters. Zero fields take the defaults.
type Config struct {
	// M is the number of neighbours a node keeps on the layers above 0;
	// layer 0 keeps 2·M. More neighbours raise recall at a given ef and
	// cost memory and build time. Default 16.
	M int
	// EfConstruction is the candidate list length while inserting: higher
	// builds a better graph, more slowly. Default 200.
	EfConstruction int
	// EfSearch is the candidate list length of a search when its ef is 0.
	// Default 64. A search always uses at least k.
	EfSearch int
	// Seed makes levels, and so single-threaded builds, reproducible.
	Seed uint64
	// Quantize keeps an int8 copy of every vector (a quarter of the
	// float32 size, one scale per vector) and walks the graph on those
	// during searches, re-ranking the best 3·k candidates found in float32
	// before returning the best k. Searches are memory-bound, so this
	// reads 4× fewer bytes per distance; recall is measured on the
	// re-ranked results. Inserts walk in int8 too, and choose
	// neighbours by float32 distances. Below 128 dimensions the copies
	// are kept but the walks read float32, which is faster there at
	// equal recall (see int8WalkMinDim).
	Quantize bool
}

func (c Config) withDefaults() Config {
	if c.M == 0 {
		c.M = DefaultM
	}
	if c.EfConstruction == 0 {
		c.EfConstruction = DefaultEfConstruction
	}
	if c.EfSearch == 0 {
		c.EfSearch = DefaultEfSearch
	}
	return c
}

// Result is one neighbour found by Search.
type Result struct {
	ID    uint32  // the node
	Label int64   // what the caller stored with it
	Score float32 // cosine similarity to the query (dot of unit vectors)
}

// ErrDimension is returned for a vector of the wrong length.
var ErrDimension = errors.New("vector has the wrong dimension")

// none marks "no node" (an empty graph's entry point).
const none = math.MaxUint32

// Graph is a hierarchical navigable small world graph over unit vectors,
// searched by cosine similarity (hnswlib's design: see the package
// documentation).
//
// A Graph is safe for concurrent use: any number of goroutines may
// Insert, Search and Delete at once.
type Graph struct {
	dim   int
	cfg   Config
	m, m0 int     // neighbours per node above layer 0, and on layer 0
	ml    float64 // level multiplier 1/ln(M)

	// writeMu lets Save stop inserts and deletes (held shared by them,
	// exclusively by Save) without stopping searches.
	writeMu sync.RWMutex

	// allocMu serialises node allocation and the growth of the arrays.
	allocMu sync.Mutex
	count   atomic.Int64 // nodes allocated; written under allocMu

	// mu guards the arrays below against growth: Insert, Search and
	// Delete hold it shared while they use them; grow holds it
	// exclusively while it replaces them. Link entries are read and
	// written with atomic operations (searches run while inserts link),
	// and a node's links are changed only under locks[node].
	mu     sync.RWMutex
	vecs   []float32  // capacity × dim, unit vectors
	qvecs  []int8     // capacity × dim, when cfg.Quantize
	qscale []float32  // per node, when cfg.Quantize
	links0 []uint32   // capacity × (m0+1): count, then neighbours (layer 0)
	upper  [][]uint32 // per node: level × (m+1), layers 1..level
	levels []uint8
	labels []int64
	locks  []sync.Mutex
	dead   []uint64 // tombstone bits

	// entry packs the entry point (low 32 bits) and the top level (high
	// 32 bits) so that searches read them together; changed under entryMu.
	entry   atomic.Uint64
	entryMu sync.Mutex

	deleted atomic.Int64 // nodes tombstoned

	searchers sync.Pool

	// buffer keeps a loaded snapshot's memory (which the arrays may point
	// into) alive as long as the graph; upperCopied records that grow has
	// moved the upper link lists out of it.
	buffer      *buffer
	upperCopied bool
}

// New returns an empty graph for vectors of dimension dim.
func New(dim int, cfg Config) (*Graph, error) {
	cfg = cfg.withDefaults()
	switch {
	case dim <= 0:
		return nil, fmt.Errorf("new graph: dimension %d", dim)
	case cfg.M < 2 || cfg.M > 256:
		return nil, fmt.Errorf("new graph: M = %d, want 2 to 256", cfg.M)
	case cfg.EfConstruction < 1 || cfg.EfSearch < 1:
		return nil, fmt.Errorf("new graph: efConstruction %d, ef %d: want positive", cfg.EfConstruction, cfg.EfSearch)
	}
	g := &Graph{dim: dim, cfg: cfg, m: cfg.M, m0: 2 * cfg.M, ml: 1 / math.Log(float64(cfg.M))}
	g.entry.Store(packEntry(none, 0))
	return g, nil
}

func packEntry(id uint32, level int) uint64 { return uint64(level)<<32 | uint64(id) }

func (g *Graph) entryPoint() (uint32, int) {
	e := g.entry.Load()
	return uint32(e), int(e >> 32)
}

// Dim returns the vector dimension.
func (g *Graph) Dim() int { return g.dim }

// Config returns the parameters, defaults filled in.
func (g *Graph) Config() Config { return g.cfg }

// Len returns the number of nodes, deleted ones included.
func (g *Graph) Len() int { return int(g.count.Load()) }

// Deleted returns the number of tombstoned nodes.
func (g *Graph) Deleted() int { return int(g.deleted.Load()) }

// level draws a node's level from the seed and its id, so levels do not
// depend on the order of concurrent inserts: P(level ≥ l) = M^-l.
func (g *Graph) level(id uint32) int {
	x := g.cfg.Seed ^ (uint64(id)+1)*0x9e3779b97f4a7c15
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	u := (float64(x>>11) + 0.5) / (1 << 53) // uniform in (0, 1)
	l := int(-math.Log(u) * g.ml)
	return min(l, maxLevel)
}

// Reserve makes room for n nodes in all, so that inserting them does not
// grow the arrays step by step.
func (g *Graph) Reserve(n int) {
	g.allocMu.Lock()
	defer g.allocMu.Unlock()
	if n > len(g.levels) {
		g.grow(n)
	}
}

// grow replaces the arrays with ones of capacity n; allocMu is held.
func (g *Graph) grow(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	vecs := make([]float32, n*g.dim)
	copy(vecs, g.vecs)
	links0 := make([]uint32, n*(g.m0+1))
	copy(links0, g.links0)
	upper := make([][]uint32, n)
	copy(upper, g.upper)
	if g.buffer != nil && !g.upperCopied {
		// A loaded graph's upper lists point into the snapshot's mapping;
		// copy them to the heap before inserts link into them, so every
		// link list a search may read is ordinary Go memory (the race
		// detector does not see atomics on mapped memory, and a mapping
		// should not pin the live graph).
		total := 0
		for _, u := range upper {
			total += len(u)
		}
		flat := make([]uint32, 0, total)
		for i, u := range upper {
			if len(u) > 0 {
				start := len(flat)
				flat = append(flat, u...)
				upper[i] = flat[start:len(flat):len(flat)]
			}
		}
		g.upperCopied = true
	}
	levels := make([]uint8, n)
	copy(levels, g.levels)
	labels := make([]int64, n)
	copy(labels, g.labels)
	dead := make([]uint64, (n+63)/64)
	copy(dead, g.dead)
	// Mutexes must not be copied while held; none is: every holder also
	// holds mu shared.
	locks := make([]sync.Mutex, n)
	adviseHuge(vecs)
	adviseHuge(links0)
	g.vecs, g.links0, g.upper, g.levels, g.labels, g.dead, g.locks = vecs, links0, upper, levels, labels, dead, locks
	if g.cfg.Quantize {
		qvecs := make([]int8, n*g.dim)
		copy(qvecs, g.qvecs)
		adviseHuge(qvecs)
		qscale := make([]float32, n)
		copy(qscale, g.qscale)
		g.qvecs, g.qscale = qvecs, qscale
	}
}

// qvec returns node id's int8 vector; mu is held.
func (g *Graph) qvec(id uint32) []int8 {
	i := int(id) * g.dim
	return g.qvecs[i : i+g.dim : i+g.dim]
}

// alloc reserves k consecutive node ids and returns the first, growing
// the arrays when full.
func (g *Graph) alloc(k int) uint32 {
	g.allocMu.Lock()
	defer g.allocMu.Unlock()
	n := int(g.count.Load())
	if n+k > len(g.levels) {
		g.grow(max(1024, n+k, n+n/2))
	}
	g.count.Store(int64(n + k))
	return uint32(n)
}

// vec returns node id's vector; mu is held.
func (g *Graph) vec(id uint32) []float32 {
	i := int(id) * g.dim
	return g.vecs[i : i+g.dim : i+g.dim]
}

// View runs fn with the graph's vector arena (n nodes × dim, row-major)
// and a tombstone test, for exact scans. Inserts may run meanwhile (they
// only add nodes past n); the arena must not be kept after fn returns.
func (g *Graph) View(fn func(vecs []float32, n int, deleted func(id uint32) bool)) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	n := int(g.count.Load())
	fn(g.vecs[:n*g.dim], n, g.isDead)
}

// Vector returns a copy of node id's (unit) vector.
func (g *Graph) Vector(id uint32) []float32 {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return append([]float32(nil), g.vec(id)...)
}

// Label returns what was stored with node id.
func (g *Graph) Label(id uint32) int64 {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.labels[id]
}

// list returns the link list of node id on layer l: element 0 is the
// count, the rest the neighbour slots. mu is held.
func (g *Graph) list(id uint32, l int) []uint32 {
	if l == 0 {
		i := int(id) * (g.m0 + 1)
		return g.links0[i : i+g.m0+1 : i+g.m0+1]
	}
	i := (l - 1) * (g.m + 1)
	return g.upper[id][i : i+g.m+1 : i+g.m+1]
}

// neighbours copies node id's neighbours on layer l into buf.
func (g *Graph) neighbours(id uint32, l int, buf []uint32) []uint32 {
	list := g.list(id, l)
	n := int(atomic.LoadUint32(&list[0]))
	n = min(n, len(list)-1)
	if cap(buf) < n {
		buf = make([]uint32, n, g.m0)
	}
	buf = buf[:n]
	for i := range buf {
		buf[i] = atomic.LoadUint32(&list[i+1])
	}
	return buf
}

// setNeighbours replaces node id's layer-l list; locks[id] is held.
func (g *Graph) setNeighbours(id uint32, l int, ids []uint32) {
	list := g.list(id, l)
	for i, n := range ids {
		atomic.StoreUint32(&list[i+1], n)
	}
	atomic.StoreUint32(&list[0], uint32(len(ids)))
}

// IsDeleted reports whether node id is tombstoned.
func (g *Graph) IsDeleted(id uint32) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.isDead(id)
}

func (g *Graph) isDead(id uint32) bool {
	return atomic.LoadUint64(&g.dead[id>>6])&(1<<(id&63)) != 0
}

// Delete tombstones node id: searches still walk through it (the graph
// stays connected) but never return it. Deleting twice is harmless.
func (g *Graph) Delete(id uint32) error {
	g.writeMu.RLock()
	defer g.writeMu.RUnlock()
	g.mu.RLock()
	defer g.mu.RUnlock()
	if int64(id) >= g.count.Load() {
		return fmt.Errorf("delete node %d: no such node", id)
	}
	g.tombstone(id)
	return nil
}

// tombstone sets node id's deleted bit; mu is held shared.
func (g *Graph) tombstone(id uint32) {
	w := &g.dead[id>>6]
	bit := uint64(1) << (id & 63)
	for {
		old := atomic.LoadUint64(w)
		if old&bit != 0 {
			return
		}
		if atomic.CompareAndSwapUint64(w, old, old|bit) {
			g.deleted.Add(1)
			return
		}
	}
}

// Insert adds a unit vector with a label and returns its node id.
func (g *Graph) Insert(vec []float32, label int64) (uint32, error) {
	if len(vec) != g.dim {
		return 0, fmt.Errorf("insert: %w: %d values, want %d", ErrDimension, len(vec), g.dim)
	}
	g.writeMu.RLock()
	defer g.writeMu.RUnlock()
	id := g.alloc(1)
	g.insertAt(id, vec, label)
	return id, nil
}

// insertAt links the allocated node id; writeMu is held shared.
func (g *Graph) insertAt(id uint32, vec []float32, label int64) {
	level := g.level(id)
	g.mu.RLock()
	defer g.mu.RUnlock()
	copy(g.vec(id), vec)
	if g.cfg.Quantize {
		g.qscale[id] = vecmath.QuantizeInt8(g.qvec(id), vec)
	}
	g.labels[id] = label
	g.levels[id] = uint8(level)
	if level > 0 {
		g.upper[id] = make([]uint32, level*(g.m+1))
	}

	ep, top := g.entryPoint()
	if ep == none {
		g.entryMu.Lock()
		if ep, top = g.entryPoint(); ep == none {
			g.entry.Store(packEntry(id, level))
			g.entryMu.Unlock()
			return
		}
		g.entryMu.Unlock()
	}

	s := g.searcher()
	defer g.searchers.Put(s)
	q := g.vec(id)
	// A quantized graph walks in int8 while inserting too (where its
	// searches do: walkInt8). Measured on the 100k × 512 benchmark set,
	// 2 threads: builds 25% faster (48.9 s against 64.9 s) at the same
	// recall (0.939 against 0.928 at ef 120, within the run-to-run spread
	// of parallel builds).
	quant := g.walkInt8()
	s.setQuery(q, quant)
	cur, curSim := ep, g.sim(s, ep)
	for l := top; l > level; l-- {
		cur, curSim = g.greedy(s, cur, curSim, l)
	}
	// Choose the neighbours on every layer first, top down (each layer's
	// search starts where the one above ended), then link bottom up: by
	// the time another insert can reach the node on a layer, its lists on
	// that layer and every layer below are complete, so no concurrent
	// insert walks into a node with empty lower lists (hnswlib gets the
	// same by holding the node's lock for the whole insert).
	lmax := min(level, top)
	if cap(s.layers) < lmax+1 {
		s.layers = make([][]uint32, lmax+1)
	}
	s.layers = s.layers[:lmax+1]
	for l := lmax; l >= 0; l-- {
		cands := g.searchLayer(s, cur, curSim, g.cfg.EfConstruction, l, nil, false, 0)
		// cands is sorted best first; the closest is where the next
		// layer down starts.
		cur, curSim = cands[0].id, cands[0].sim
		if quant {
			// The walk used int8 distances; the heuristic needs exact
			// ones (it compares candidates with each other).
			g.rescore(s, cands)
			sortCandsLong(cands)
		}
		chosen := g.selectNeighbours(s, cands, g.m, &s.chosen)
		ids := s.layers[l][:0]
		for _, c := range chosen {
			ids = append(ids, c.id)
		}
		s.layers[l] = ids
	}
	for l := 0; l <= lmax; l++ {
		g.setOwn(s, id, l, s.layers[l])
		for _, n := range s.layers[l] {
			g.link(s, n, id, l)
		}
	}
	if level > top {
		g.entryMu.Lock()
		if _, top = g.entryPoint(); level > top {
			g.entry.Store(packEntry(id, level))
		}
		g.entryMu.Unlock()
	}
}

// setOwn sets the new node id's layer-l neighbours. Other inserts may
// already have linked id into their neighbourhood and added themselves to
// id's list (id is reachable from upper layers before its lower layers are
// set): those reverse links are kept, and the list pruned with the
// heuristic if it overflows. Without this, concurrent builds lost links
// and recall@10 plateaued near 0.90 where single-threaded builds reached
// 0.998 (100k × 512 sample data, ef = 400).
func (g *Graph) setOwn(s *searcher, id uint32, l int, ids []uint32) {
	limit := g.m
	if l == 0 {
		limit = g.m0
	}
	g.locks[id].Lock()
	defer g.locks[id].Unlock()
	list := g.list(id, l)
	cnt := int(atomic.LoadUint32(&list[0]))
	if cnt == 0 {
		g.setNeighbours(id, l, ids)
		return
	}
	merged := append(s.merge[:0], ids...)
	for i := 1; i <= cnt; i++ {
		if !slices.Contains(merged, list[i]) {
			merged = append(merged, list[i])
		}
	}
	s.merge = merged
	if len(merged) <= limit {
		g.setNeighbours(id, l, merged)
		return
	}
	g.setNeighbours(id, l, g.prune(s, id, merged, limit))
}

// prune chooses, with the heuristic, the best limit of ids as neighbours
// of node base.
func (g *Graph) prune(s *searcher, base uint32, ids []uint32, limit int) []uint32 {
	v := g.vec(base)
	cands := s.prune[:0]
	for _, n := range ids {
		cands = append(cands, cand{n, vecmath.Dot(v, g.vec(n))})
	}
	sortCands(cands)
	s.prune = cands
	chosen := g.selectNeighbours(s, cands, limit, &s.chosen2)
	out := s.ids2[:0]
	for _, c := range chosen {
		out = append(out, c.id)
	}
	s.ids2 = out
	return out
}

// link adds node id to node n's layer-l list, pruning the list with the
// heuristic when it is full (hnswlib's mutuallyConnectNewElement).
func (g *Graph) link(s *searcher, n, id uint32, l int) {
	limit := g.m
	if l == 0 {
		limit = g.m0
	}
	g.locks[n].Lock()
	defer g.locks[n].Unlock()
	list := g.list(n, l)
	cnt := int(atomic.LoadUint32(&list[0]))
	for i := 1; i <= cnt; i++ {
		if list[i] == id {
			return
		}
	}
	if cnt < limit {
		atomic.StoreUint32(&list[cnt+1], id)
		atomic.StoreUint32(&list[0], uint32(cnt+1))
		return
	}
	// Full: choose the best limit of the old neighbours and the new one,
	// as seen from n.
	ids := append(s.merge[:0], id)
	ids = append(ids, list[1:cnt+1]...)
	s.merge = ids
	g.setNeighbours(n, l, g.prune(s, n, ids, limit))
}

// selectNeighbours is the HNSW paper's heuristic (Algorithm 4, without
// extending or keeping pruned candidates, as hnswlib): walking the
// candidates from the closest, keep one only if it is closer to the base
// point than to every neighbour kept so far. Neighbours then point in
// different directions, which keeps clusters connected to each other.
// cands must be sorted best first.
func (g *Graph) selectNeighbours(s *searcher, cands []cand, m int, out *[]cand) []cand {
	if len(cands) <= m {
		*out = append((*out)[:0], cands...)
		return *out
	}
	kept := (*out)[:0]
	for _, c := range cands {
		if len(kept) >= m {
			break
		}
		cv := g.vec(c.id)
		good := true
		for _, k := range kept {
			if vecmath.Dot(cv, g.vec(k.id)) > c.sim {
				good = false
				break
			}
		}
		if good {
			kept = append(kept, c)
		}
	}
	*out = kept
	return kept
}

// sim is the similarity of the searcher's query to node n: exact, or
// from the int8 copies when the search is quantized. mu is held.
func (g *Graph) sim(s *searcher, n uint32) float32 {
	if s.quant {
		return float32(vecmath.DotInt8(s.q8, g.qvec(n))) * s.qscale * g.qscale[n]
	}
	return vecmath.Dot(s.q, g.vec(n))
}

// int8WalkMinDim is the dimension from which a quantized graph walks on
// its int8 copies; below it, it walks in float32 and keeps the copies
// only so that its snapshots stay what Config says. A float32 row of 128
// values is 8 cache lines, an int8 one 2: at low dimension the lines
// saved are few, and the int8 rounding costs recall at small ef (on
// Fashion-MNIST PCA-96, recall@10 at ef 10 is 0.908 walking in int8 and
// 0.942 in float32, hnswlib's figure). Measured against hnswlib built
// with -march=native, paired in one process, QPS at recall 0.95: at 96-d
// 1.30× walking in float32 and 1.15× in int8; at 256-d 1.07× and 1.27×.
const int8WalkMinDim = 128

// rerankFactor·k is how many of an int8 walk's candidates, the best by
// their int8 similarity, a search re-ranks in float32 (all ef of them
// before). Past the first few, a candidate's int8 rank does not put it in
// the exact top k: recall@10 at ef 40…200 was the same to the third digit
// re-ranking 30 as re-ranking all (Fashion-MNIST 784 and PCA-256, the
// 100k × 512 set), and at ef 200 the search ran 1.1–1.5× faster, since
// every float32 row re-ranked is a cold read of 4·dim bytes. Re-ranking
// only k lost recall (0.9935 to 0.9531 at ef 40 on PCA-256).
const rerankFactor = 3

// walkInt8 reports whether searches and inserts walk on the int8 copies.
func (g *Graph) walkInt8() bool { return g.cfg.Quantize && g.dim >= int8WalkMinDim }

// scoreBatch returns the similarities of the searcher's query to nodes
// ids (exact, or from the int8 copies when the search is quantized, by the
// same formula as sim), in s.sims. One kernel call prefetches every row,
// then scores them: the rows' loads overlap instead of waiting one after
// another. mu is held.
func (g *Graph) scoreBatch(s *searcher, ids []uint32) []float32 {
	n := len(ids)
	if cap(s.sims) < n {
		s.sims = make([]float32, n)
	}
	sims := s.sims[:n]
	if s.quant {
		vecmath.DotInt8Batch(s.q8, s.qscale, g.qvecs, g.qscale, g.dim, ids, sims)
	} else {
		vecmath.DotBatch(s.q, g.vecs, g.dim, ids, sims)
	}
	return sims
}

// rescore sets the similarity of every candidate to the exact (float32)
// one to the searcher's query, scoring them in one batch (their float32
// rows are cold after an int8 walk: prefetching them all at once
// overlaps the misses). mu is held.
func (g *Graph) rescore(s *searcher, cands []cand) {
	ids := s.fresh[:0]
	for _, c := range cands {
		ids = append(ids, c.id)
	}
	s.fresh = ids
	if cap(s.sims) < len(ids) {
		s.sims = make([]float32, len(ids))
	}
	sims := s.sims[:len(ids)]
	vecmath.DotBatch(s.q, g.vecs, g.dim, ids, sims)
	for i := range cands {
		cands[i].sim = sims[i]
	}
}

// unvisited collects, into s.fresh, node id's layer-l neighbours that the
// search has not seen, and marks them seen. mu is held.
func (g *Graph) unvisited(s *searcher, id uint32, l int) []uint32 {
	list := g.list(id, l)
	n := min(int(atomic.LoadUint32(&list[0])), len(list)-1)
	out := s.fresh[:0]
	for i := 1; i <= n; i++ {
		x := atomic.LoadUint32(&list[i])
		if s.visit.seen(x) {
			continue
		}
		s.visit.mark(x)
		out = append(out, x)
	}
	s.fresh = out
	return out
}

// prefetchLinks starts loading node id's layer-0 link list (its count
// and first neighbours): the search reads it when it pops the node.
func (g *Graph) prefetchLinks(id uint32) {
	vecmath.Prefetch(unsafe.Pointer(&g.links0[int(id)*(g.m0+1)]))
}

// greedy walks layer l from cur to the node closest to the query (ef = 1).
func (g *Graph) greedy(s *searcher, cur uint32, curSim float32, l int) (uint32, float32) {
	for changed := true; changed; {
		changed = false
		s.buf = g.neighbours(cur, l, s.buf)
		s.scored += len(s.buf)
		sims := g.scoreBatch(s, s.buf)
		next := cur
		for j, n := range s.buf {
			if sims[j] > curSim {
				next, curSim, changed = n, sims[j], true
			}
		}
		cur = next
	}
	return cur, curSim
}

// searchLayer finds the ef nodes of layer l closest to q, starting from
// ep, and returns them sorted best first. With allow set or skipDead,
// nodes that fail are walked through but not returned (hnswlib's filtered
// search): the result may then hold fewer than ef nodes.
//
// maxVisits > 0 stops the walk after scoring that many nodes and sets
// s.cut: a filter that rejects almost everything makes an unbounded walk
// wander over most of the graph.
func (g *Graph) searchLayer(s *searcher, ep uint32, epSim float32, ef, l int, allow func(uint32) bool, skipDead bool, maxVisits int) []cand {
	s.cut = false
	visits := 0
	s.visit.next(len(g.levels))
	s.cands.reset()
	s.res.reset()
	s.visit.mark(ep)
	s.cands.push(cand{ep, epSim})
	if (allow == nil || allow(ep)) && !(skipDead && g.isDead(ep)) {
		s.res.push(cand{ep, epSim})
	}
	for s.cands.len() > 0 {
		c := s.cands.pop()
		if s.res.len() >= ef && c.sim < s.res.top().sim {
			break
		}
		if maxVisits > 0 && visits > maxVisits {
			s.cut = true
			break
		}
		// The unvisited neighbours are scored together (scoreBatch):
		// memory latency, not arithmetic, bounds a search.
		ids := g.unvisited(s, c.id, l)
		sims := g.scoreBatch(s, ids)
		visits += len(ids)
		s.scored += len(ids)
		for j, n := range ids {
			sim := sims[j]
			if s.res.len() < ef || sim > s.res.top().sim {
				s.cands.push(cand{n, sim})
				if (allow == nil || allow(n)) && !(skipDead && g.isDead(n)) {
					s.res.push(cand{n, sim})
					if s.res.len() > ef {
						s.res.pop()
					}
				}
			}
		}
		if l == 0 && s.cands.len() > 0 {
			// The next node to expand is known now; fetch its links while
			// the heaps settle (hnswlib does the same).
			g.prefetchLinks(s.cands.h[0].id)
		}
	}
	return s.res.drainSorted(&s.sorted)
}

// Search returns up to k nodes most similar to the unit vector q, best
// first, appended to dst[:0]. ef (at least k; 0 means the configured
// default) trades speed for recall. allow, if set, restricts the results
// (the graph is still walked through other nodes); deleted nodes are
// never returned. With a restrictive allow, fewer than k may come back:
// callers then scan the allowed nodes exactly (see the package doc).
func (g *Graph) Search(q []float32, k, ef int, allow func(id uint32) bool, dst []Result) []Result {
	dst, _ = g.SearchBudget(q, k, ef, allow, 0, dst)
	return dst
}

// SearchBudget is Search with a bound on the walk: it stops after
// scoring maxVisits nodes (0: no bound) and then reports complete =
// false, and whatever it found. A caller whose filter turned out too
// restrictive for the graph then scans exactly instead.
func (g *Graph) SearchBudget(q []float32, k, ef int, allow func(id uint32) bool, maxVisits int, dst []Result) (_ []Result, complete bool) {
	dst, _, complete = g.SearchCounted(q, k, ef, allow, maxVisits, dst)
	return dst, complete
}

// SearchCounted is SearchBudget that also reports how many nodes it
// compared with the query: the walk's cost, which ef and the filter
// drive, or the live nodes allow accepts when ef covers them all and the
// answer comes from a scan.
func (g *Graph) SearchCounted(q []float32, k, ef int, allow func(id uint32) bool, maxVisits int, dst []Result) (_ []Result, compared int, complete bool) {
	dst = dst[:0]
	if k <= 0 || len(q) != g.dim {
		return dst, 0, true
	}
	if ef == 0 {
		ef = g.cfg.EfSearch
	}
	ef = max(ef, k)
	g.mu.RLock()
	defer g.mu.RUnlock()
	ep, top := g.entryPoint()
	if ep == none {
		return dst, 0, true
	}
	s := g.searcher()
	defer g.searchers.Put(s)
	s.scored = 0
	if n := g.count.Load(); int64(ef) >= n-g.deleted.Load() {
		// ef covers every live node: the answer is the exact one, and a
		// scan gives it even where the graph is not fully connected
		// (HNSW's pruning can cut a few nodes off the entry point).
		dst = g.exactWith(s, q, k, int(n), allow, dst)
		return dst, s.scored, true
	}
	s.setQuery(q, g.walkInt8())
	cur, curSim := ep, g.sim(s, ep)
	s.scored++
	for l := top; l > 0; l-- {
		cur, curSim = g.greedy(s, cur, curSim, l)
	}
	res := g.searchLayer(s, cur, curSim, ef, 0, allow, g.deleted.Load() > 0, maxVisits)
	if s.quant {
		// Re-rank the best of the candidates by their exact similarity.
		res = res[:min(len(res), rerankFactor*k)]
		g.rescore(s, res)
		sortCandsLong(res)
	}
	for _, c := range res[:min(k, len(res))] {
		dst = append(dst, Result{ID: c.id, Label: g.labels[c.id], Score: c.sim})
	}
	return dst, s.scored, !s.cut
}

// Exact returns the k nodes most similar to q among those allow accepts
// (all when nil), deleted ones excepted, by comparing q with every
// vector: the answer a graph search approximates. Callers use it when
// few nodes pass a filter.
func (g *Graph) Exact(q []float32, k int, allow func(id uint32) bool, dst []Result) []Result {
	dst = dst[:0]
	if k <= 0 || len(q) != g.dim {
		return dst
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.exact(q, k, int(g.count.Load()), allow, dst)
}

// ExactIDs is Exact over the given nodes only: a scan of a small allowed
// set that the caller has already listed.
func (g *Graph) ExactIDs(q []float32, k int, ids []uint32, dst []Result) []Result {
	dst = dst[:0]
	if k <= 0 || len(q) != g.dim {
		return dst
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	s := g.searcher()
	defer g.searchers.Put(s)
	s.res.reset()
	n := uint32(g.count.Load())
	for _, id := range ids {
		if id < n && !g.isDead(id) {
			g.offer(s, k, id, vecmath.Dot(q, g.vec(id)))
		}
	}
	return g.results(s, dst)
}

// exact scans nodes [0, n); mu is held.
func (g *Graph) exact(q []float32, k, n int, allow func(uint32) bool, dst []Result) []Result {
	s := g.searcher()
	defer g.searchers.Put(s)
	return g.exactWith(s, q, k, n, allow, dst)
}

// exactWith is exact with the searcher s, whose scored it adds to.
func (g *Graph) exactWith(s *searcher, q []float32, k, n int, allow func(uint32) bool, dst []Result) []Result {
	s.res.reset()
	dead := g.deleted.Load() > 0
	for i := 0; i < n; i++ {
		id := uint32(i)
		if (allow != nil && !allow(id)) || (dead && g.isDead(id)) {
			continue
		}
		s.scored++
		g.offer(s, k, id, vecmath.Dot(q, g.vec(id)))
	}
	return g.results(s, dst)
}

// offer keeps id in the k best of s.res.
func (g *Graph) offer(s *searcher, k int, id uint32, sim float32) {
	if s.res.len() < k {
		s.res.push(cand{id, sim})
	} else if sim > s.res.top().sim {
		s.res.pop()
		s.res.push(cand{id, sim})
	}
}

func (g *Graph) results(s *searcher, dst []Result) []Result {
	for _, c := range s.res.drainSorted(&s.sorted) {
		dst = append(dst, Result{ID: c.id, Label: g.labels[c.id], Score: c.sim})
	}
	return dst
}
