package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/clipvec/clipvec/internal/hnsw"
	"github.com/clipvec/clipvec/internal/sqlite"
)

// Params are a database's graph parameters, stored in the database
// (SetParams) and used by every graph built after.
type Params struct {
	// M is the neighbours per node (2·M on the bottom layer). Default 16:
	// recall rises with M, and so do memory and build time.
	M int `json:"m"`
	// EfConstruction is the candidate list of an insert. Default 200.
	EfConstruction int `json:"ef_construction"`
	// EfSearch, when set, is the candidate list of every search that sets
	// none: a fixed ef, and TargetRecall is then 0. Default 0: the ef
	// comes from each graph's calibration for TargetRecall.
	EfSearch int `json:"ef"`
	// TargetRecall is the recall@10 a search that sets no ef should
	// reach: each graph calibrates the ef that reaches it (see
	// Calibration). Default 0.95. 0 when EfSearch is fixed.
	TargetRecall float64 `json:"target_recall"`
	// Quantize walks the graph on int8 copies of the vectors and
	// re-ranks in float32 (from 128 dimensions up: below, the graph
	// walks in float32 whatever this says; see hnsw.Config.Quantize).
	// Default true: 1.2–1.3× the queries per second at recall 0.95 on the
	// benchmark set (100k and 1M) and 15% faster builds, for 25% more
	// memory.
	Quantize bool `json:"quantize"`
}

// DefaultTargetRecall is the recall@10 searches aim at by default.
const DefaultTargetRecall = 0.95

// DefaultParams are the parameters of a database that set none.
var DefaultParams = Params{M: hnsw.DefaultM, EfConstruction: hnsw.DefaultEfConstruction, TargetRecall: DefaultTargetRecall, Quantize: true}

// Validate checks the parameters are in range, and that exactly one of
// EfSearch and TargetRecall is set.
func (p Params) Validate() error {
	switch {
	case p.M < 2 || p.M > 128:
		return fmt.Errorf("%w: M = %d, want 2 to 128", ErrInvalidQuery, p.M)
	case p.EfConstruction < p.M || p.EfConstruction > 4096:
		return fmt.Errorf("%w: efConstruction = %d, want M to 4096", ErrInvalidQuery, p.EfConstruction)
	case p.EfSearch != 0 && p.TargetRecall != 0:
		return fmt.Errorf("%w: ef %d and target recall %g: give one (a fixed ef, or the recall to calibrate ef for)", ErrInvalidQuery, p.EfSearch, p.TargetRecall)
	case p.EfSearch == 0 && p.TargetRecall == 0:
		return fmt.Errorf("%w: neither ef nor target recall is set: give one", ErrInvalidQuery)
	case p.EfSearch < 0 || p.EfSearch > 65536:
		return fmt.Errorf("%w: ef = %d, want 1 to 65536", ErrInvalidQuery, p.EfSearch)
	case p.TargetRecall != 0 && !(p.TargetRecall >= MinTargetRecall && p.TargetRecall <= MaxTargetRecall):
		return fmt.Errorf("%w: target recall %g, want %g to %g (for exact answers, search exactly)", ErrInvalidQuery, p.TargetRecall, MinTargetRecall, MaxTargetRecall)
	}
	return nil
}

// The range of TargetRecall: below a half a graph is not worth having;
// above 0.999 the calibration's 1,920 sampled neighbours cannot tell
// recalls apart.
const (
	MinTargetRecall = 0.5
	MaxTargetRecall = 0.999
)

func (p Params) config() hnsw.Config {
	return hnsw.Config{M: p.M, EfConstruction: p.EfConstruction, EfSearch: p.EfSearch, Quantize: p.Quantize, Seed: 1}
}

// legacyEfSearch is the fixed ef every database had before target
// recalls; a database that stored it and no target is given the default
// target (see ParamsAt).
const legacyEfSearch = 128

// Params returns the database's graph parameters.
func (e *Engine) Params(ctx context.Context) (Params, error) {
	gen, err := e.store.Generation(ctx)
	if err != nil {
		return Params{}, err
	}
	return e.ParamsAt(ctx, gen)
}

// indexParamsAt is Params for a generation the caller has just read.
func (e *Engine) ParamsAt(ctx context.Context, gen int64) (Params, error) {
	return e.params.Get(gen, func() (Params, error) {
		p := DefaultParams
		set, err := e.store.Settings(ctx)
		if err != nil {
			return p, err
		}
		for key, dst := range map[string]*int{"hnsw.m": &p.M, "hnsw.ef_construction": &p.EfConstruction} {
			if v, ok := set[key]; ok {
				*dst = int(v)
			}
		}
		if v, ok := set["hnsw.quantize"]; ok {
			p.Quantize = v != 0
		}
		// The target is kept in parts per 100,000 (settings are integers).
		// A database from before targets kept only an ef: the old default
		// stood for "not chosen" and gets the default target; any other ef
		// was chosen, and stays fixed.
		ef, hasEf := set["hnsw.ef_search"]
		if t, ok := set["hnsw.target_recall_1e5"]; ok {
			p.TargetRecall = float64(t) / 1e5
			p.EfSearch = 0
			if t == 0 {
				p.EfSearch = int(ef)
			}
		} else if hasEf && ef != legacyEfSearch {
			p.EfSearch, p.TargetRecall = int(ef), 0
		}
		return p, nil
	})
}

// SetParams stores the graph parameters. M, EfConstruction and
// Quantize apply to graphs built from then on (Build rebuilds);
// EfSearch and TargetRecall apply at once (a graph calibrates for a new
// target on its next search).
func (e *Engine) SetParams(ctx context.Context, p Params) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("set index parameters: %w", err)
	}
	q := int64(0)
	if p.Quantize {
		q = 1
	}
	return e.store.SetSettings(ctx, map[string]int64{"hnsw.m": int64(p.M), "hnsw.ef_construction": int64(p.EfConstruction),
		"hnsw.ef_search": int64(p.EfSearch), "hnsw.target_recall_1e5": int64(math.Round(p.TargetRecall * 1e5)), "hnsw.quantize": q})
}

// compactFraction is the share of tombstoned nodes past which a graph is
// rebuilt from its live nodes: every search still walks the dead ones,
// so at 20% a fifth of its distance computations are wasted. (Qdrant's
// optimizer vacuums at the same ratio by default.)
const compactFraction = 0.2

// catchUpFraction: a graph behind the store by more changes than this
// share of its nodes is rebuilt rather than caught up one change at a
// time (inserting a vector costs more than reading it).
const catchUpFraction = 0.5

// spaceIndex is one embedding space's graph and columns, kept in step
// with the store and saved beside it as a snapshot.
//
// It is safe for concurrent use. The locks, outermost first:
//
//   - Engine.mu guards the Engine.indexes map alone, and is never held while a
//     graph is read, built, caught up or saved: a space's first graph can
//     take minutes at a million segments, and other spaces' searches and
//     Status must go on meanwhile.
//   - an indexSlot opens each space's index once (its first caller loads
//     or builds it, outside Engine.mu; later callers wait for that caller,
//     not for Engine.mu).
//   - changeMu serialises the changes to one space's index: catch-ups,
//     rebuilds, compactions, builds and saves. It is held across store
//     reads and graph inserts, never while Engine.mu is, and spaces do not
//     wait for each other.
//   - mu guards the fields below it: searches hold it shared; a change
//     holds it exclusively only while it edits the columns or swaps in a
//     rebuilt graph (brief), so searches run during a catch-up.
//   - the graph (hnsw.Graph) has its own locks: inserts run concurrently
//     with searches, which cannot reach a node before it is linked, by
//     when its columns are there.
type spaceIndex struct {
	space   sqlite.Space
	spaceID int64 // the space's row id in the store
	path    string

	changeMu sync.Mutex

	mu  sync.RWMutex
	gen int64 // store generation the graph reflects
	// token is the store's token for gen: with the store's id, it proves
	// the graph was built on this store's history (sqlite.DB.Lineage).
	token int64
	g     *hnsw.Graph
	cols  *columns
	// bySeg maps live segment ids to nodes, for tombstoning deleted and
	// replaced segments. Built on the first catch-up that needs it (nil
	// until then), under mu held exclusively.
	bySeg map[int64]uint32
	dirty atomic.Bool // changed since loaded or saved
	// how it was opened, for Status: "loaded", "built", or why a
	// snapshot could not be used.
	origin string

	// calib is the graph's calibration (nil: none yet); calibMu makes
	// concurrent searches wait for one calibration. It is taken after
	// changeMu, never before.
	calib   atomic.Pointer[Calibration]
	calibMu sync.Mutex
}

// snapshotDir is where a database's graph snapshots live: beside it.
func snapshotDir(dbPath string) string { return dbPath + ".index" }

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// maxLabel bounds the model's part of a snapshot's file name (a file name
// has at most 255 bytes on most file systems).
const maxLabel = 64

// snapshotPath names a space's snapshot "s<ID>-<model>-<dim>.hnsw": the
// store's row id makes the name unique (models that differ only in
// characters a file name cannot hold would collide without it); the
// model's name, made safe and cut short, is for people.
func snapshotPath(dbPath string, spaceID int64, sp sqlite.Space) string {
	label := unsafeChars.ReplaceAllString(sp.Model, "_")
	if len(label) > maxLabel {
		label = label[:maxLabel]
	}
	return filepath.Join(snapshotDir(dbPath), fmt.Sprintf("s%d-%s-%d.hnsw", spaceID, label, sp.Dim))
}

// legacySnapshotPath is where clipvec kept a space's snapshot before
// snapshots named their space: not unique, so never loaded; save removes
// it once the new one is written.
func legacySnapshotPath(dbPath string, sp sqlite.Space) string {
	return filepath.Join(snapshotDir(dbPath), fmt.Sprintf("%s-%d.hnsw", unsafeChars.ReplaceAllString(sp.Model, "_"), sp.Dim))
}

// owner is the stamp a snapshot's header carries (hnsw.Meta.Owner): the
// database, the state of it (the generation is the Meta's) and the space
// the graph was built from.
type owner struct {
	Store int64  `json:"store"`
	Token int64  `json:"token"`
	Space int64  `json:"space"`
	Model string `json:"model"`
	Dim   int    `json:"dim"`
	// Calibration is the graph's, when it has one: kept in the header so
	// that Status reads it without loading the graph.
	Calibration *Calibration `json:"calibration,omitempty"`
}

// checkOwner says why a snapshot stamped with raw cannot be the graph of
// space sp (row id spaceID) of this database, or returns the stamp.
func (e *Engine) checkOwner(raw []byte, spaceID int64, sp sqlite.Space) (owner, error) {
	var o owner
	switch {
	case len(raw) == 0:
		return o, errors.New("it names no database (an older clipvec wrote it)")
	case json.Unmarshal(raw, &o) != nil:
		return o, errors.New("its owner stamp is unreadable")
	case o.Store != e.storeID:
		return o, errors.New("it was built from another database")
	case o.Space != spaceID || o.Model != sp.Model || o.Dim != sp.Dim:
		return o, fmt.Errorf("it holds space %s/%d (id %d), not %s (id %d)", o.Model, o.Dim, o.Space, sp, spaceID)
	}
	return o, nil
}

const columnsSection = 1000

// indexFor returns the space's index, current with the store: loaded from
// its snapshot (or built from the store when there is none or it cannot
// be used) on first use, then caught up with every write since.
func (e *Engine) indexFor(ctx context.Context, sp sqlite.Space) (*spaceIndex, error) {
	return e.indexWith(ctx, sp, nil)
}

// searchIndexFor is indexFor for a search: when another goroutine is
// already changing the space's index (catching up with a write that just
// committed, saving, compacting), the search does not wait for it but
// answers from the index as it stands, a generation of this store's
// history the write has not yet been applied to; the write's own call
// (Import, Delete) returns only once it has been. A search never waits
// behind a snapshot being written.
func (e *Engine) searchIndexFor(ctx context.Context, sp sqlite.Space) (*spaceIndex, error) {
	return e.index(ctx, sp, false, nil)
}

// indexWith is indexFor reporting the progress of a build or rebuild.
func (e *Engine) indexWith(ctx context.Context, sp sqlite.Space, progress func(done, total int)) (*spaceIndex, error) {
	return e.index(ctx, sp, true, progress)
}

// index opens the space's index and catches it up, waiting for a change
// under way or not (see catchUpOrSkip).
func (e *Engine) index(ctx context.Context, sp sqlite.Space, wait bool, progress func(done, total int)) (*spaceIndex, error) {
	idx, _, err := e.slotIndex(ctx, spaceKey{sp.Model, sp.Dim}, func() (*spaceIndex, error) {
		return e.openIndex(ctx, sp, progress)
	})
	if err != nil {
		return nil, err
	}
	if err := e.catchUpOrSkip(ctx, idx, wait, progress); err != nil {
		return nil, err
	}
	return idx, nil
}

// indexSlot is one space's place in Engine.indexes: its index once opened.
type indexSlot struct {
	ready chan struct{} // closed once idx or err is set
	idx   *spaceIndex
	err   error
}

// slotIndex returns the space's index, opening it with open when it has
// none: one opening per space at a time (two searches never build the
// same graph twice), outside Engine.mu (other spaces go on). opened says
// whether this call opened it. A failed opening is forgotten, and a
// caller that waited for it tries again itself.
func (e *Engine) slotIndex(ctx context.Context, key spaceKey, open func() (*spaceIndex, error)) (idx *spaceIndex, opened bool, err error) {
	for {
		e.mu.Lock()
		s := e.indexes[key]
		if s == nil {
			s = &indexSlot{ready: make(chan struct{})}
			e.indexes[key] = s
			e.mu.Unlock()
			s.idx, s.err = open()
			if s.err != nil {
				e.mu.Lock()
				if e.indexes[key] == s {
					delete(e.indexes, key)
				}
				e.mu.Unlock()
			}
			close(s.ready)
			return s.idx, true, s.err
		}
		e.mu.Unlock()
		select {
		case <-s.ready:
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
		if s.err == nil {
			return s.idx, false, nil
		}
	}
}

// openedIndex returns the space's index if one is open (nil if none is,
// or it is still opening).
func (e *Engine) openedIndex(key spaceKey) *spaceIndex {
	e.mu.Lock()
	s := e.indexes[key]
	e.mu.Unlock()
	if s == nil {
		return nil
	}
	select {
	case <-s.ready:
		return s.idx
	default:
		return nil
	}
}

// openedIndexes returns every open index.
func (e *Engine) openedIndexes() []*spaceIndex {
	e.mu.Lock()
	keys := slices.Collect(maps.Keys(e.indexes))
	e.mu.Unlock()
	var out []*spaceIndex
	for _, k := range keys {
		if idx := e.openedIndex(k); idx != nil {
			out = append(out, idx)
		}
	}
	return out
}

func (e *Engine) openIndex(ctx context.Context, sp sqlite.Space, progress func(done, total int)) (*spaceIndex, error) {
	spaceID, err := e.store.SpaceID(ctx, sp.Model, sp.Dim)
	if err != nil {
		return nil, err
	}
	path := snapshotPath(e.path, spaceID, sp)
	idx, err := e.loadIndex(ctx, path, spaceID, sp)
	if err == nil {
		idx.origin = "loaded"
		return idx, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	origin, step, why := "built (no snapshot)", StepBuild, "none saved"
	if !errors.Is(err, os.ErrNotExist) {
		origin, step, why = "rebuilt: "+err.Error(), StepRebuild, strings.TrimPrefix(err.Error(), "snapshot "+path+": ")
	}
	idx, err = e.buildIndex(ctx, sp, nil, e.watch(sp, step, why, progress))
	if err != nil {
		return nil, err
	}
	idx.origin = origin
	return idx, nil
}

// loadIndex reads a snapshot and checks that it is the graph of this
// space of this database, built on its history; any problem (missing,
// corrupt, another database, another space, a state the store never had)
// is an error and the caller rebuilds.
func (e *Engine) loadIndex(ctx context.Context, path string, spaceID int64, sp sqlite.Space) (*spaceIndex, error) {
	g, meta, extra, err := hnsw.Load(path)
	if err != nil {
		return nil, err
	}
	if g.Dim() != sp.Dim {
		return nil, fmt.Errorf("snapshot %s has dimension %d, want %d", path, g.Dim(), sp.Dim)
	}
	o, err := e.checkOwner(meta.Owner, spaceID, sp)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", path, err)
	}
	ok, why, err := e.store.Lineage(ctx, sqlite.Stamp{Store: o.Store, Generation: meta.Generation, Token: o.Token})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("snapshot %s: %s", path, why)
	}
	var cols *columns
	for _, s := range extra {
		if s.ID == columnsSection {
			if cols, err = decodeColumns(s.Data, g.Len()); err != nil {
				return nil, fmt.Errorf("snapshot %s: %w", path, err)
			}
		}
	}
	if cols == nil {
		return nil, fmt.Errorf("snapshot %s: no columns section", path)
	}
	idx := &spaceIndex{space: sp, spaceID: spaceID, path: path, gen: meta.Generation, token: o.Token, g: g, cols: cols}
	idx.calib.Store(o.Calibration)
	return idx, nil
}

// buildChunk is how many segments a build reads before inserting them:
// it bounds the build's extra memory to 64k vectors.
const buildChunk = 1 << 16

// buildIndex builds a space's graph from the store with the database's
// parameters, or with params when it is not nil.
func (e *Engine) buildIndex(ctx context.Context, sp sqlite.Space, params *Params, progress func(done, total int)) (*spaceIndex, error) {
	if params == nil {
		p, err := e.Params(ctx)
		if err != nil {
			return nil, err
		}
		params = &p
	}
	g, err := hnsw.New(sp.Dim, params.config())
	if err != nil {
		return nil, err
	}
	spaceID, err := e.store.SpaceID(ctx, sp.Model, sp.Dim)
	if err != nil {
		return nil, err
	}
	// Read before the segments: a write that commits meanwhile is read
	// too, and inserted again (as a replacement) by the next catch-up.
	head, err := e.store.Head(ctx)
	if err != nil {
		return nil, err
	}
	idx := &spaceIndex{space: sp, spaceID: spaceID, path: snapshotPath(e.path, spaceID, sp), gen: head.Generation, token: head.Token,
		g: g, cols: newColumns(), bySeg: map[int64]uint32{}}
	idx.dirty.Store(true)
	total := sp.Segments
	g.Reserve(total)
	bt := &batcher{idx: idx, threads: e.Threads(), total: total, progress: progress}
	bt.start()
	err = e.store.Segments(ctx, sqlite.SegmentQuery{Model: sp.Model, Dim: sp.Dim, Order: sqlite.OrderGeneration}, func(s *sqlite.Segment) error {
		bt.b.add(s)
		if len(bt.b.labels) == buildChunk {
			return bt.flush(ctx)
		}
		return nil
	})
	if err == nil {
		err = bt.flush(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("build index %s: %w", sp, err)
	}
	if err := e.calibrateNew(ctx, idx, params); err != nil {
		return nil, fmt.Errorf("build index %s: %w", sp, err)
	}
	return idx, nil
}

// calibrateNew calibrates a graph just built, not yet in use, for the
// target of params (none when params fix the ef).
func (e *Engine) calibrateNew(ctx context.Context, idx *spaceIndex, params *Params) error {
	if params.TargetRecall == 0 {
		return nil
	}
	c, err := e.calibrate(ctx, idx, params.TargetRecall)
	if errors.Is(err, errNothingToCalibrate) {
		return nil
	}
	if err != nil {
		return err
	}
	idx.calib.Store(c)
	return nil
}

// segmentNodes returns bySeg, building it on first use; mu is held
// exclusively.
func (idx *spaceIndex) segmentNodes() map[int64]uint32 {
	if idx.bySeg == nil {
		idx.bySeg = make(map[int64]uint32, idx.cols.len())
		for node, seg := range idx.cols.seg {
			if !idx.g.IsDeleted(uint32(node)) {
				idx.bySeg[seg] = uint32(node)
			}
		}
	}
	return idx.bySeg
}

// insertBuffer collects segments to insert in one batch.
type insertBuffer struct {
	vecs   []float32
	labels []int64
	segs   []sqlite.Segment
}

func (b *insertBuffer) add(s *sqlite.Segment) {
	seg := *s
	seg.Vector = nil // the store reuses it; the columns do not keep it
	b.put(s.Vector, seg)
}

// put buffers a segment (its Vector unused) with its unit vector.
func (b *insertBuffer) put(vec []float32, seg sqlite.Segment) {
	b.vecs = append(b.vecs, vec...)
	b.labels = append(b.labels, seg.ID)
	b.segs = append(b.segs, seg)
}

func (b *insertBuffer) reset() {
	b.vecs, b.labels, b.segs = b.vecs[:0], b.labels[:0], b.segs[:0]
}

// batcher fills a new graph a batch at a time, reporting done of total
// after each.
type batcher struct {
	idx      *spaceIndex
	threads  int
	total    int
	progress func(done, total int)
	b        insertBuffer
}

// start reports that nothing is inserted yet.
func (bt *batcher) start() {
	if bt.progress != nil {
		bt.progress(0, bt.total)
	}
}

// flush inserts what is buffered, reporting as it goes.
func (bt *batcher) flush(ctx context.Context) error {
	var inserted func(int)
	if bt.progress != nil {
		base, total := bt.idx.cols.len(), max(bt.total, bt.idx.cols.len()+len(bt.b.labels))
		inserted = func(n int) { bt.progress(base+n, total) }
	}
	if err := bt.idx.insert(ctx, &bt.b, bt.threads, inserted); err != nil {
		return err
	}
	if bt.progress != nil {
		bt.progress(bt.idx.cols.len(), max(bt.total, bt.idx.cols.len()))
	}
	return nil
}

// insert adds the buffered segments: columns first (exclusively), then
// the graph (concurrently with searches, which cannot reach a node before
// it is linked, by when its columns are there). inserted, when set, is
// told how many are in the graph about every 1,024, from the inserting
// goroutines.
func (idx *spaceIndex) insert(ctx context.Context, b *insertBuffer, threads int, inserted func(int)) error {
	if len(b.labels) == 0 {
		return nil
	}
	idx.mu.Lock()
	base := idx.g.Len()
	if idx.cols.len() != base {
		idx.mu.Unlock()
		return fmt.Errorf("index %s: %d column rows for %d nodes", idx.space, idx.cols.len(), base)
	}
	bySeg := idx.segmentNodes()
	for i := range b.segs {
		if old, ok := bySeg[b.segs[i].ID]; ok {
			idx.g.Delete(old) // replaced: the old vector goes
		}
		if err := idx.cols.add(&b.segs[i]); err != nil {
			idx.mu.Unlock()
			return err
		}
		bySeg[b.segs[i].ID] = uint32(base + i)
	}
	idx.dirty.Store(true)
	idx.mu.Unlock()
	first, err := idx.g.InsertBatch(ctx, b.vecs, b.labels, threads, inserted)
	if err == nil && int(first) != base {
		err = fmt.Errorf("index %s: batch placed at node %d, want %d", idx.space, first, base)
	}
	b.reset()
	return err
}

// catchUp applies to the graph every write since its generation:
// segments written since are inserted (the older copy of a replaced one
// tombstoned), deleted ones tombstoned. Far behind, it rebuilds instead;
// past compactFraction tombstones, it compacts.
func (e *Engine) catchUp(ctx context.Context, idx *spaceIndex, progress func(done, total int)) error {
	return e.catchUpOrSkip(ctx, idx, true, progress)
}

// catchUpOrSkip is catchUp; without wait, it returns at once, leaving the
// index as it is, when another change of the space is under way.
func (e *Engine) catchUpOrSkip(ctx context.Context, idx *spaceIndex, wait bool, progress func(done, total int)) error {
	gen, err := e.store.Generation(ctx)
	if err != nil {
		return err
	}
	idx.mu.RLock()
	behind := gen != idx.gen
	since := idx.gen + 1
	idx.mu.RUnlock()
	if !behind {
		return nil
	}
	// One change at a time per space.
	if wait {
		idx.changeMu.Lock()
	} else if !idx.changeMu.TryLock() {
		return nil
	}
	defer idx.changeMu.Unlock()
	head, err := e.store.Head(ctx)
	if err != nil {
		return err
	}
	gen = head.Generation
	idx.mu.RLock()
	since = idx.gen + 1
	behind = gen != idx.gen
	stamp := sqlite.Stamp{Store: e.storeID, Generation: idx.gen, Token: idx.token}
	idx.mu.RUnlock()
	if !behind {
		return nil
	}
	// Only a state of the store's own history can be caught up: a graph
	// ahead of the store, or built on a history the store no longer has
	// (the file was restored from a copy), is rebuilt.
	ok, why, err := e.store.Lineage(ctx, stamp)
	if err != nil {
		return err
	}
	if !ok {
		return e.rebuild(ctx, idx, e.watch(idx.space, StepRebuild, "it no longer matches the database: "+why, progress),
			"rebuilt: the graph in memory no longer matches the database: "+why)
	}
	deleted, err := e.store.DeletedSince(ctx, idx.space.Model, idx.space.Dim, since)
	if err != nil {
		return err
	}
	// Too many changes to apply one by one: rebuild, and stop reading
	// them as soon as that is clear.
	live := idx.g.Len() - idx.g.Deleted()
	tooFar := func(changes int) bool { return live > 0 && float64(changes) > catchUpFraction*float64(live) }
	errTooFar := errors.New("too far behind")
	b := &insertBuffer{}
	err = e.store.Segments(ctx, sqlite.SegmentQuery{Model: idx.space.Model, Dim: idx.space.Dim, MinGen: since, Order: sqlite.OrderGeneration},
		func(s *sqlite.Segment) error {
			b.add(s)
			if tooFar(len(b.labels) + len(deleted)) {
				return errTooFar
			}
			return nil
		})
	if errors.Is(err, errTooFar) || (err == nil && tooFar(len(deleted))) {
		return e.rebuild(ctx, idx, e.watch(idx.space, StepRebuild, "over half of it changed since it was saved", progress), "rebuilt")
	}
	if err != nil {
		return err
	}
	idx.mu.Lock()
	if len(deleted) > 0 {
		bySeg := idx.segmentNodes()
		for _, id := range deleted {
			if node, ok := bySeg[id]; ok {
				idx.g.Delete(node)
				delete(bySeg, id)
				idx.dirty.Store(true)
			}
		}
	}
	idx.mu.Unlock()
	if n := len(b.labels); n > 0 {
		p := e.watch(idx.space, StepCatchUp, "", progress)
		var inserted func(int)
		if p != nil {
			p(0, n)
			inserted = func(done int) { p(done, n) }
		}
		if err := idx.insert(ctx, b, e.Threads(), inserted); err != nil {
			return err
		}
		if p != nil {
			p(n, n)
		}
	}
	idx.mu.Lock()
	idx.gen, idx.token = gen, head.Token
	idx.mu.Unlock()
	if n := idx.g.Len(); n > 0 && float64(idx.g.Deleted()) > compactFraction*float64(n) {
		return e.compact(ctx, idx, e.watch(idx.space, StepCompact, "over a fifth of its nodes are deleted", progress))
	}
	// Grown (or shrunk) past what its calibration holds for: calibrate
	// now, while the writer waits, rather than in the next search.
	params, err := e.ParamsAt(ctx, gen)
	if err != nil {
		return err
	}
	if params.TargetRecall > 0 {
		_, err = e.calibrated(ctx, idx, params.TargetRecall, true)
	}
	return err
}

// rebuild replaces idx's graph with one built from the store with the
// database's parameters; origin says why, for Status. changeMu is
// held.
func (e *Engine) rebuild(ctx context.Context, idx *spaceIndex, progress func(done, total int), origin string) error {
	return e.rebuildWith(ctx, idx, nil, progress, origin)
}

// rebuildWith is rebuild with the given parameters (nil: the database's).
func (e *Engine) rebuildWith(ctx context.Context, idx *spaceIndex, params *Params, progress func(done, total int), origin string) error {
	spaces, err := e.store.Spaces(ctx)
	if err != nil {
		return err
	}
	sp := idx.space
	for _, s := range spaces {
		if s.Model == sp.Model && s.Dim == sp.Dim {
			sp = s
		}
	}
	fresh, err := e.buildIndex(ctx, sp, params, progress)
	if err != nil {
		return err
	}
	idx.mu.Lock()
	idx.gen, idx.token, idx.g, idx.cols, idx.bySeg = fresh.gen, fresh.token, fresh.g, fresh.cols, fresh.bySeg
	idx.calib.Store(fresh.calib.Load())
	idx.dirty.Store(true)
	idx.origin = origin
	idx.mu.Unlock()
	return nil
}

// compact rebuilds idx's graph from its live nodes (no store reads);
// changeMu is held.
func (e *Engine) compact(ctx context.Context, idx *spaceIndex, progress func(done, total int)) error {
	params, err := e.Params(ctx)
	if err != nil {
		return err
	}
	g, err := hnsw.New(idx.space.Dim, params.config())
	if err != nil {
		return err
	}
	idx.mu.RLock()
	old, oldCols := idx.g, idx.cols
	n := old.Len()
	idx.mu.RUnlock()
	fresh := &spaceIndex{space: idx.space, path: idx.path, g: g, cols: newColumns(), bySeg: map[int64]uint32{}}
	live := n - old.Deleted()
	g.Reserve(live)
	bt := &batcher{idx: fresh, threads: e.Threads(), total: live, progress: progress}
	bt.start()
	dim := idx.space.Dim
	for lo := 0; lo < n; lo += buildChunk {
		// A chunk's live vectors are copied out of the old arena (held
		// for that long only), then inserted.
		old.View(func(vecs []float32, _ int, dead func(uint32) bool) {
			for node := lo; node < min(lo+buildChunk, n); node++ {
				if !dead(uint32(node)) {
					bt.b.put(vecs[node*dim:(node+1)*dim], oldCols.segment(node, idx.space.Model))
				}
			}
		})
		if err := bt.flush(ctx); err != nil {
			return err
		}
	}
	if err := e.calibrateNew(ctx, fresh, &params); err != nil {
		return err
	}
	idx.mu.Lock()
	if idx.g != old { // changed meanwhile: keep the newer one
		idx.mu.Unlock()
		return nil
	}
	idx.g, idx.cols, idx.bySeg = fresh.g, fresh.cols, fresh.bySeg
	idx.calib.Store(fresh.calib.Load())
	idx.dirty.Store(true)
	idx.origin = "compacted"
	idx.mu.Unlock()
	return nil
}

// save writes idx's snapshot if it changed since it was loaded or saved.
// A read-only engine keeps its graphs in memory only. changeMu is held.
func (e *Engine) save(idx *spaceIndex) error {
	if e.readOnly {
		return nil
	}
	idx.mu.RLock()
	defer idx.mu.RUnlock()
	if !idx.dirty.Load() {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(idx.path), 0o755); err != nil {
		return &SaveError{Space: idx.space, Path: idx.path, Err: err}
	}
	stamp, err := json.Marshal(owner{Store: e.storeID, Token: idx.token, Space: idx.spaceID, Model: idx.space.Model, Dim: idx.space.Dim,
		Calibration: idx.calib.Load()})
	if err != nil {
		return fmt.Errorf("save index %s: %w", idx.space, err)
	}
	meta := hnsw.Meta{Generation: idx.gen, Owner: stamp}
	if err := idx.g.Save(idx.path, meta, hnsw.Section{ID: columnsSection, Data: idx.cols.encode()}); err != nil {
		return &SaveError{Space: idx.space, Path: idx.path, Err: err}
	}
	idx.dirty.Store(false)
	// The snapshot an older clipvec kept under a name shared by other
	// spaces goes, once this one is safe: only a file that names no
	// owner (so is certainly not a current snapshot) is removed.
	legacy := legacySnapshotPath(e.path, idx.space)
	if info, err := hnsw.ReadInfo(legacy); legacy != idx.path && err == nil && len(info.Owner) == 0 {
		os.Remove(legacy)
	}
	return nil
}

// SaveError is the error of a graph snapshot that could not be saved
// beside the database. Its message names the snapshot and gives the
// system's reason ("permission denied", "no space left on device"), not
// the temporary file it was written to; Err keeps the whole cause.
type SaveError struct {
	Space sqlite.Space
	Path  string
	Err   error
}

func (e *SaveError) Error() string {
	return fmt.Sprintf("could not save the search graph of %s beside the database, as %s: %s", e.Space, e.Path, e.reason())
}

func (e *SaveError) Unwrap() error { return e.Err }

// reason is the system's words for why the save failed.
func (e *SaveError) reason() string {
	if info, err := os.Stat(e.Path); err == nil && info.IsDir() {
		return "a directory is in its place"
	}
	var pe *fs.PathError
	var le *os.LinkError
	var se *os.SyscallError
	switch {
	case errors.As(e.Err, &le):
		return le.Err.Error()
	case errors.As(e.Err, &pe):
		return pe.Err.Error()
	case errors.As(e.Err, &se):
		return se.Err.Error()
	}
	return e.Err.Error()
}

// saveIndexes writes the changed snapshots of idxs.
func (e *Engine) saveIndexes(idxs []*spaceIndex) error {
	var errs []error
	for _, idx := range idxs {
		idx.changeMu.Lock()
		errs = append(errs, e.save(idx))
		idx.changeMu.Unlock()
	}
	return errors.Join(errs...)
}

// Status describes one space's graph.
type Status struct {
	Space sqlite.Space `json:"space"`
	// State is "current" (the snapshot is of this database's history
	// and no segment of its space was written or deleted since), "behind"
	// (writes since: the next search or sync catches up), "missing" (no
	// snapshot: the next search or sync builds one), "stale" (the
	// snapshot is not of this database's history — another database's,
	// or from before the file was restored — or not of this space: the
	// next search or sync rebuilds it) or "unreadable".
	State string `json:"state"`
	// Problem says why a snapshot is stale or unreadable.
	Problem         string `json:"problem,omitempty"`
	Nodes           int    `json:"nodes"`
	Deleted         int    `json:"deleted"`
	Generation      int64  `json:"generation"`
	StoreGeneration int64  `json:"store_generation"`
	Snapshot        string `json:"snapshot"`
	SnapshotBytes   int64  `json:"snapshot_bytes"`
	Params          Params `json:"params"`
	// Ef is the ef a search that sets none uses on this graph: the
	// database's fixed one, or the calibrated one (0 when the graph has no
	// calibration for the database's target yet: its next search makes
	// one). Recall is its estimated recall@10 (0 when unknown).
	Ef     int     `json:"ef"`
	Recall float64 `json:"recall"`
	// Calibration is the graph's last calibration, if it has one.
	Calibration *Calibration `json:"calibration,omitempty"`
	// Opened says how this engine brought the graph into memory, once a
	// search or sync has: "loaded" (from the snapshot, no rebuild),
	// "built (no snapshot)", "rebuilt: WHY", "built" or "compacted".
	// Empty until then.
	Opened string `json:"opened,omitempty"`
}

// Status reports the snapshots of the given spaces, from their headers
// alone.
func (e *Engine) Status(ctx context.Context, spaces []sqlite.Space) ([]Status, error) {
	gen, err := e.store.Generation(ctx)
	if err != nil {
		return nil, err
	}
	params, err := e.ParamsAt(ctx, gen)
	if err != nil {
		return nil, err
	}
	var out []Status
	for _, sp := range spaces {
		spaceID, err := e.store.SpaceID(ctx, sp.Model, sp.Dim)
		if err != nil {
			return nil, err
		}
		st := Status{Space: sp, StoreGeneration: gen, Snapshot: snapshotPath(e.path, spaceID, sp)}
		if idx := e.openedIndex(keyOf(sp)); idx != nil {
			idx.mu.RLock()
			st.Opened = idx.origin
			idx.mu.RUnlock()
		}
		if err := e.snapshotState(ctx, &st, spaceID); err != nil {
			return nil, err
		}
		st.Params.EfSearch, st.Params.TargetRecall = params.EfSearch, params.TargetRecall
		if idx := e.openedIndex(keyOf(sp)); idx != nil && idx.calib.Load() != nil { // newer than the snapshot's
			st.Calibration = idx.calib.Load()
		}
		st.Ef, st.Recall = params.EfSearch, 0
		if c := st.Calibration; c != nil && !c.stale(st.Nodes-st.Deleted, c.Target) {
			if params.TargetRecall > 0 && c.Target == params.TargetRecall {
				st.Ef = c.Ef
			}
			st.Recall = c.Estimate(max(st.Ef, calibrationK))
			if st.Ef == 0 {
				st.Recall = 0
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// snapshotState fills in st's snapshot fields and state from the
// snapshot's header.
func (e *Engine) snapshotState(ctx context.Context, st *Status, spaceID int64) error {
	info, err := hnsw.ReadInfo(st.Snapshot)
	switch {
	case errors.Is(err, os.ErrNotExist):
		st.State = "missing"
		return nil
	case err != nil:
		st.State, st.Problem = "unreadable", err.Error()
		return nil
	}
	st.Nodes, st.Deleted, st.Generation, st.SnapshotBytes = info.Nodes, info.Deleted, info.Generation, info.Bytes
	c := info.Config
	st.Params = Params{M: c.M, EfConstruction: c.EfConstruction, Quantize: c.Quantize}
	o, err := e.checkOwner(info.Owner, spaceID, st.Space)
	if err != nil {
		st.State, st.Problem = "stale", err.Error()
		return nil
	}
	st.Calibration = o.Calibration
	ok, why, err := e.store.Lineage(ctx, sqlite.Stamp{Store: o.Store, Generation: info.Generation, Token: o.Token})
	if err != nil {
		return err
	}
	if !ok {
		st.State, st.Problem = "stale", why
		return nil
	}
	changed, err := e.store.ChangedSince(ctx, st.Space.Model, st.Space.Dim, info.Generation)
	if err != nil {
		return err
	}
	st.State = "current"
	if changed {
		st.State = "behind"
	}
	return nil
}

// Progress reports a long index operation: done of total segments
// of one space.
type Progress func(space sqlite.Space, done, total int)

// Build rebuilds the graphs of the given spaces from the store, with
// params (nil: the database's), and saves their snapshots. It does not
// store params: the caller does, once the graphs built with them are
// saved.
func (e *Engine) Build(ctx context.Context, spaces []sqlite.Space, params *Params, progress Progress) error {
	if e.readOnly {
		return fmt.Errorf("build index: %w", sqlite.ErrReadOnly)
	}
	for _, sp := range spaces {
		p := e.watch(sp, StepBuild, "", progressOf(sp, progress))
		// A space with no open index gets a new one; an open one is
		// rebuilt in place (its searches go on on the old graph until the
		// new one is swapped in).
		idx, opened, err := e.slotIndex(ctx, keyOf(sp), func() (*spaceIndex, error) {
			idx, err := e.buildIndex(ctx, sp, params, p)
			if err == nil {
				idx.origin = "built"
			}
			return idx, err
		})
		if err != nil {
			return err
		}
		idx.changeMu.Lock()
		if !opened {
			err = e.rebuildWith(ctx, idx, params, p, "built")
		}
		if err == nil {
			err = e.save(idx)
		}
		idx.changeMu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// progressOf is progress for one space (nil when progress is).
func progressOf(sp sqlite.Space, progress Progress) func(done, total int) {
	if progress == nil {
		return nil
	}
	return func(done, total int) { progress(sp, done, total) }
}

// Compact rebuilds the graphs of the given spaces from their live nodes,
// dropping tombstones, and saves them. It is what a catch-up does by
// itself past compactFraction tombstones.
func (e *Engine) Compact(ctx context.Context, spaces []sqlite.Space, progress Progress) error {
	for _, sp := range spaces {
		idx, err := e.indexFor(ctx, sp)
		if err != nil {
			return err
		}
		idx.changeMu.Lock()
		err = e.compact(ctx, idx, e.watch(sp, StepCompact, "", progressOf(sp, progress)))
		if err == nil {
			err = e.save(idx)
		}
		idx.changeMu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// Sync brings the graphs of the given spaces in step with the store —
// loading, catching up or building them — and saves their snapshots.
func (e *Engine) Sync(ctx context.Context, spaces []sqlite.Space, progress Progress) error {
	var synced []*spaceIndex
	for _, sp := range spaces {
		if sp.Segments == 0 {
			continue
		}
		idx, err := e.indexWith(ctx, sp, progressOf(sp, progress))
		if err != nil {
			return err
		}
		synced = append(synced, idx)
		if progress != nil {
			progress(sp, sp.Segments, sp.Segments)
		}
	}
	return e.saveIndexes(synced)
}
