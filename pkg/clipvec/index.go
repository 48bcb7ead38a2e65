package clipvec

import (
	"context"
	"fmt"
	"slices"

	"github.com/clipvec/clipvec/internal/engine"
	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/internal/sqlite"
)

// IndexParams are a database's graph parameters, stored in the database
// (SetIndexParams) and used by every graph built after: M, EfConstruction,
// TargetRecall or a fixed EfSearch, and Quantize, each field's comment
// giving its default and what it trades.
type IndexParams = engine.Params

// DefaultIndexParams are the parameters of a database that set none.
var DefaultIndexParams = engine.DefaultParams

// IndexParams returns the database's graph parameters.
func (db *DB) IndexParams(ctx context.Context) (IndexParams, error) { return db.eng.Params(ctx) }

// SetIndexParams stores the graph parameters. M, EfConstruction and
// Quantize apply to graphs built from then on (BuildIndex rebuilds;
// BuildIndexWith builds and stores at once); EfSearch and TargetRecall
// apply at once: each graph calibrates for a new target on its next
// search (see IndexCalibration).
func (db *DB) SetIndexParams(ctx context.Context, p IndexParams) error {
	return db.eng.SetParams(ctx, p)
}

// IndexCalibration is what calibrating a graph for a target recall found:
// the smallest ef whose recall@10, measured on held-out queries against
// exact answers, reaches the target. A graph is calibrated when built,
// rebuilt or compacted, when its live nodes have doubled or halved
// since, and when the target changes. Its queries are the space's cached
// text and image queries when there are at least 50, else synthetic ones
// that sit apart from the clips as text queries do.
type IndexCalibration = engine.Calibration

// CalibrationPoint is one ef a calibration tried, and the recall@10 it
// measured there (IndexCalibration.Curve).
type CalibrationPoint = engine.CurvePoint

// DefaultTargetRecall is the recall@10 a database aims at by default.
const DefaultTargetRecall = engine.DefaultTargetRecall

// The range of IndexParams.TargetRecall.
const (
	MinTargetRecall = engine.MinTargetRecall
	MaxTargetRecall = engine.MaxTargetRecall
)

// IndexState says whether a space's snapshot can serve searches as it is.
type IndexState string

// Index states (IndexStatus.State).
const (
	// IndexCurrent: the snapshot is of this database's history and no
	// segment of its space was written or deleted since.
	IndexCurrent IndexState = "current"
	// IndexBehind: writes since; the next search or sync catches up.
	IndexBehind IndexState = "behind"
	// IndexMissing: no snapshot; the next search or sync builds one.
	IndexMissing IndexState = "missing"
	// IndexStale: the snapshot is not of this database's history
	// (another database's, or from before the file was restored) or not
	// of this space; the next search or sync rebuilds it.
	IndexStale IndexState = "stale"
	// IndexUnreadable: the snapshot cannot be read; it is rebuilt too.
	IndexUnreadable IndexState = "unreadable"
)

// IndexStatus describes one space's graph.
type IndexStatus struct {
	Space Space `json:"space"`
	// State is IndexCurrent, IndexBehind, IndexMissing, IndexStale or
	// IndexUnreadable.
	State IndexState `json:"state"`
	// Problem says why a snapshot is stale or unreadable.
	Problem         string      `json:"problem,omitempty"`
	Nodes           int         `json:"nodes"`
	Deleted         int         `json:"deleted"`
	Generation      int64       `json:"generation"`
	StoreGeneration int64       `json:"store_generation"`
	Snapshot        string      `json:"snapshot"`
	SnapshotBytes   int64       `json:"snapshot_bytes"`
	Params          IndexParams `json:"params"`
	// Ef is the ef a search that sets none uses on this graph: the
	// database's fixed one, or the one calibrated for its target (0 when
	// the graph has no calibration for it yet: its next search makes
	// one). Recall is its estimated recall@10 (0 when unknown).
	Ef     int     `json:"ef"`
	Recall float64 `json:"recall"`
	// Calibration is the graph's last calibration, if it has one.
	Calibration *IndexCalibration `json:"calibration,omitempty"`
	// Opened says how this DB brought the graph into memory, once a
	// search or sync has: "loaded" (from the snapshot, no rebuild),
	// "built (no snapshot)", "rebuilt: WHY", "built" or "compacted".
	// Empty until then.
	Opened string `json:"opened,omitempty"`
}

// IndexStatus reports each space's snapshot, from its header alone.
func (db *DB) IndexStatus(ctx context.Context) ([]IndexStatus, error) {
	spaces, err := db.Spaces(ctx)
	if err != nil {
		return nil, err
	}
	st, err := db.eng.Status(ctx, rows(spaces))
	if err != nil {
		return nil, err
	}
	out := make([]IndexStatus, len(st))
	for i, s := range st {
		out[i] = IndexStatus{Space: spaces[i], State: IndexState(s.State), Problem: s.Problem, Nodes: s.Nodes, Deleted: s.Deleted,
			Generation: s.Generation, StoreGeneration: s.StoreGeneration, Snapshot: s.Snapshot,
			SnapshotBytes: s.SnapshotBytes, Params: s.Params, Ef: s.Ef, Recall: s.Recall, Calibration: s.Calibration, Opened: s.Opened}
	}
	return out, nil
}

// IndexProgress reports a long index operation: done of total segments
// of one space.
type IndexProgress func(space Space, done, total int)

// IndexStep says what is being done to a space's graph (IndexWork.Step).
type IndexStep string

// Index steps.
const (
	// IndexBuild: a graph is built from the database, because the space
	// has none saved (a first search after an import with NoIndex, say),
	// or BuildIndex was asked to.
	IndexBuild IndexStep = engine.StepBuild
	// IndexRebuild: a graph is built anew because the one there cannot be
	// used (its snapshot is another database's, unreadable, or too far
	// behind to catch up); IndexWork.Why says which.
	IndexRebuild IndexStep = engine.StepRebuild
	// IndexCatchUp: what was written since the graph was saved is
	// inserted into it.
	IndexCatchUp IndexStep = engine.StepCatchUp
	// IndexCompact: a graph is rebuilt from its live nodes.
	IndexCompact IndexStep = engine.StepCompact
)

// IndexWork is a change to a space's graph under way (see
// DB.OnIndexWork): one report when it begins (Done 0), about one every
// 1,024 nodes, and one when it ends (Done == Total).
type IndexWork struct {
	Space Space
	Step  IndexStep
	// Why says what made a search, Import or SyncIndexes change the graph
	// ("none saved", a snapshot's problem, how far behind it was); empty
	// when asked for (BuildIndex, CompactIndex).
	Why string
	// Done of Total nodes inserted.
	Done, Total int
}

func (p IndexProgress) engine() engine.Progress {
	if p == nil {
		return nil
	}
	return func(sp sqlite.Space, done, total int) { p(spaceOf(sp), done, total) }
}

func rows(spaces []Space) []sqlite.Space {
	out := make([]sqlite.Space, len(spaces))
	for i, sp := range spaces {
		out[i] = sp.row()
	}
	return out
}

// spacesOf returns the spaces matching model ("" for all).
func (db *DB) spacesOf(ctx context.Context, model string) ([]Space, error) {
	spaces, err := db.Spaces(ctx)
	if err != nil {
		return nil, err
	}
	var out []Space
	for _, sp := range spaces {
		if model == "" || sp.Model == ingest.CanonicalModel(model) {
			out = append(out, sp)
		}
	}
	if model != "" && len(out) == 0 {
		return nil, fmt.Errorf("no embedding space of model %s: %w", model, ErrNotFound)
	}
	return out, nil
}

// BuildIndex rebuilds the graphs of model's spaces ("" for every space)
// from the store with the database's current IndexParams, and saves
// their snapshots.
func (db *DB) BuildIndex(ctx context.Context, model string, progress IndexProgress) error {
	spaces, err := db.spacesOf(ctx, model)
	if err != nil {
		return err
	}
	return db.eng.Build(ctx, rows(spaces), nil, progress.engine())
}

// BuildIndexWith is BuildIndex with new parameters, which it stores
// (SetIndexParams) once the graphs built with them are saved: a build
// that fails or is killed leaves the stored parameters those of the
// graphs on disk.
func (db *DB) BuildIndexWith(ctx context.Context, model string, params IndexParams, progress IndexProgress) error {
	if err := params.Validate(); err != nil {
		return fmt.Errorf("build index: %w", err)
	}
	spaces, err := db.spacesOf(ctx, model)
	if err != nil {
		return err
	}
	if err := db.eng.Build(ctx, rows(spaces), &params, progress.engine()); err != nil {
		return err
	}
	return db.SetIndexParams(ctx, params)
}

// CompactIndex rebuilds the graphs of model's spaces ("" for all) from
// their live nodes, dropping tombstones, and saves them. It is what a
// catch-up does by itself once a fifth of a graph is tombstones.
func (db *DB) CompactIndex(ctx context.Context, model string, progress IndexProgress) error {
	spaces, err := db.spacesOf(ctx, model)
	if err != nil {
		return err
	}
	return db.eng.Compact(ctx, rows(spaces), progress.engine())
}

// SyncIndexes brings the graphs of the given spaces (every space when
// nil) in step with the store — loading, catching up or building them —
// and saves their snapshots. Import runs it for the spaces it wrote to.
func (db *DB) SyncIndexes(ctx context.Context, spaces []Space, progress IndexProgress) error {
	all, err := db.Spaces(ctx)
	if err != nil {
		return err
	}
	if spaces != nil {
		// The graphs need the spaces' counts as they are now, which the
		// caller's copy (ImportReader's result, say) may not carry.
		var current []Space
		for _, sp := range all {
			if slices.ContainsFunc(spaces, func(s Space) bool { return s.Model == sp.Model && s.Dim == sp.Dim }) {
				current = append(current, sp)
			}
		}
		all = current
	}
	return db.eng.Sync(ctx, rows(all), progress.engine())
}
