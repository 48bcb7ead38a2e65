package clipvec

import (
	"context"
	"fmt"
	"time"

	"github.com/clipvec/clipvec/internal/sqlite"
)

// A mirror is a copy of the database's segments in another engine (a
// Weaviate cluster, say), kept up to date by a sync that replays what
// changed since the generation the mirror last reached. The calls below
// are what such a sync needs: the store's identity, a space's changes
// read from one snapshot, and the progress recorded per target and space.
//
// Replaying is exact because segment ids are never reused (a deleted
// segment's id names nothing else, ever), a segment replaced in place
// keeps its id and takes the generation that replaced it, and the log of
// deleted segments, each with the generation that deleted it, is never
// pruned.

// StoreID returns the database's random id, drawn when the file was
// created: a copy of the file keeps it, another database has another.
// A mirror names its objects after it and the segments' ids, so two
// databases never write the same object.
func (db *DB) StoreID(ctx context.Context) (int64, error) { return db.store.ID(ctx) }

// MirrorPosition is how far a mirror of one space has got: every change
// of the space up to Generation is in it, and so are the segments
// written at generation Generation+1 with ids up to AfterID. A sync sends
// segments in the order of the generation that wrote them, then by id,
// so AfterID lets one stopped inside a big generation (one import of one
// large file) resume there; it is 0 at a generation's end.
type MirrorPosition struct {
	Generation int64 `json:"generation"`
	AfterID    int64 `json:"after_id,omitempty"`
}

// Changes is what changed in one embedding space after a mirror
// position, as one snapshot of the database saw it. It is valid only
// inside the function given to ReadChanges.
type Changes struct {
	// Space is the space, with its counts in the snapshot.
	Space Space
	// From is the position the changes are after.
	From MirrorPosition
	// Generation is the snapshot's: once the changes are applied, the
	// mirror holds the space as it was at Generation.
	Generation int64
	// Deleted lists the ids of the segments deleted at generation
	// From.Generation+1 or later, in the order they were deleted. None of
	// them is among the segments written: a deleted id is never used
	// again.
	Deleted []int64
	// Written counts the segments written (inserted or replaced) after
	// From, which Segments streams.
	Written int

	tx *sqlite.ReadTx
}

// Segments streams the segments written after From, vectors included,
// in the order of the generation that last wrote each, then by id, and
// hands each to fn with that generation. The *Segment and its Vector are
// reused between calls: copy what you keep. An error from fn stops the
// stream and is returned.
func (c *Changes) Segments(ctx context.Context, fn func(s *Segment, gen int64) error) error {
	q := sqlite.SegmentQuery{Model: c.Space.Model, Dim: c.Space.Dim, MinGen: c.From.Generation + 1, GenAfterID: c.From.AfterID,
		Order: sqlite.OrderGeneration}
	var s Segment
	return c.tx.Segments(ctx, q, func(row *sqlite.Segment) error {
		vec := s.Vector
		s = segmentOf(row)
		s.Vector = append(vec[:0], row.Vector...)
		return fn(&s, row.Gen)
	})
}

// ReadChanges hands fn what changed in space sp (model and dimension)
// after position from (the zero position: everything), all read from one
// snapshot of the database, the one committed when ReadChanges began:
// writes that commit meanwhile are not seen, nor blocked, and the next
// call sees them. Until fn returns the WAL cannot be checkpointed past
// the snapshot. A space the database never held is an error wrapping
// ErrNotFound.
func (db *DB) ReadChanges(ctx context.Context, sp Space, from MirrorPosition, fn func(*Changes) error) error {
	return db.store.View(ctx, func(tx *sqlite.ReadTx) error {
		c := &Changes{Space: Space{Model: sp.Model, Dim: sp.Dim}, From: from, Generation: tx.Generation(), tx: tx}
		if from.Generation > c.Generation || from.AfterID > 0 && from.Generation >= c.Generation {
			return fmt.Errorf("read changes of %s: position %+v is ahead of the database's generation %d (restored from an older copy?)",
				c.Space, from, c.Generation)
		}
		spaces, err := tx.Spaces(ctx)
		if err != nil {
			return err
		}
		for _, s := range spaces {
			if s.Model == sp.Model && s.Dim == sp.Dim {
				c.Space = spaceOf(s)
			}
		}
		if c.Deleted, err = tx.DeletedSince(ctx, sp.Model, sp.Dim, from.Generation+1); err != nil {
			return fmt.Errorf("read changes of %s: %w", c.Space, err)
		}
		if c.Written, err = tx.CountWrittenSince(ctx, sp.Model, sp.Dim, from.Generation+1, from.AfterID); err != nil {
			return err
		}
		if c.Space.Segments == 0 && len(c.Deleted) == 0 && from == (MirrorPosition{}) {
			return fmt.Errorf("read changes of %s: %w", c.Space, ErrNotFound)
		}
		return fn(c)
	})
}

// MirrorState is how far one mirror of one space has got.
type MirrorState struct {
	// Target names the copy ("weaviate http://127.0.0.1:8080 Clipvec").
	Target string `json:"target"`
	Space  Space  `json:"space"`
	MirrorPosition
	UpdatedAt time.Time `json:"updated_at"`
}

// MirrorPosition returns the position recorded for target in space sp;
// ok is false when none was (the target holds nothing of the space).
func (db *DB) MirrorPosition(ctx context.Context, target string, sp Space) (pos MirrorPosition, ok bool, err error) {
	m, ok, err := db.store.MirrorGeneration(ctx, target, sp.Model, sp.Dim)
	return MirrorPosition{Generation: m.Generation, AfterID: m.AfterID}, ok, err
}

// SetMirrorPosition records that target holds space sp up to pos. It is
// no write of the database's data: the generation, the graphs and their
// snapshots are left alone. A position ahead of the database is refused;
// a database opened read-only cannot record one (ErrReadOnly).
func (db *DB) SetMirrorPosition(ctx context.Context, target string, sp Space, pos MirrorPosition) error {
	return db.store.SetMirrorGeneration(ctx, target, sp.Model, sp.Dim, pos.Generation, pos.AfterID)
}

// Mirrors lists the progress recorded for target's spaces (every
// target's when target is ""), by target, model and dimension. A space
// listed may hold no segment any more: its deletions are still to
// mirror.
func (db *DB) Mirrors(ctx context.Context, target string) ([]MirrorState, error) {
	rows, err := db.store.Mirrors(ctx, target)
	if err != nil {
		return nil, err
	}
	out := make([]MirrorState, len(rows))
	for i, m := range rows {
		out[i] = MirrorState{Target: m.Target, Space: Space{Model: m.Model, Dim: m.Dim},
			MirrorPosition: MirrorPosition{Generation: m.Generation, AfterID: m.AfterID}, UpdatedAt: m.UpdatedAt}
	}
	return out, nil
}

// ForgetMirror forgets the progress recorded for target, so the next
// sync to it sends everything again, and returns how many spaces it
// forgot.
func (db *DB) ForgetMirror(ctx context.Context, target string) (int, error) {
	return db.store.DeleteMirror(ctx, target)
}
