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

// Changes is what changed in one embedding space after a generation, as
// one snapshot of the database saw it. It is valid only inside the
// function given to ReadChanges.
type Changes struct {
	// Space is the space, with its counts in the snapshot.
	Space Space
	// Since is the generation the changes are after.
	Since int64
	// Generation is the snapshot's: once the changes are applied, the
	// mirror holds the space as it was at Generation.
	Generation int64
	// Deleted lists the ids of the segments deleted after Since, in the
	// order they were deleted. None of them is among the segments
	// written: a deleted id is never used again.
	Deleted []int64
	// Written counts the segments written (inserted or replaced) after
	// Since, which Segments streams.
	Written int

	tx *sqlite.ReadTx
}

// Segments streams the segments written after Since, vectors included,
// in the order of the generation that last wrote each (then by id), and
// hands each to fn with that generation. The *Segment and its Vector are
// reused between calls: copy what you keep. An error from fn stops the
// stream and is returned.
func (c *Changes) Segments(ctx context.Context, fn func(s *Segment, gen int64) error) error {
	q := sqlite.SegmentQuery{Model: c.Space.Model, Dim: c.Space.Dim, MinGen: c.Since + 1, Order: sqlite.OrderGeneration}
	var s Segment
	return c.tx.Segments(ctx, q, func(row *sqlite.Segment) error {
		vec := s.Vector
		s = segmentOf(row)
		s.Vector = append(vec[:0], row.Vector...)
		return fn(&s, row.Gen)
	})
}

// ReadChanges hands fn what changed in space sp (model and dimension)
// after generation since (0: everything), all read from one snapshot of
// the database, the one committed when ReadChanges began: writes that
// commit meanwhile are not seen, nor blocked, and the next call sees
// them. Until fn returns the WAL cannot be checkpointed past the
// snapshot. A space the database never held is an error wrapping
// ErrNotFound.
func (db *DB) ReadChanges(ctx context.Context, sp Space, since int64, fn func(*Changes) error) error {
	return db.store.View(ctx, func(tx *sqlite.ReadTx) error {
		c := &Changes{Space: Space{Model: sp.Model, Dim: sp.Dim}, Since: since, Generation: tx.Generation(), tx: tx}
		if since > c.Generation {
			return fmt.Errorf("read changes of %s: generation %d is ahead of the database's %d (restored from an older copy?)",
				c.Space, since, c.Generation)
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
		if c.Deleted, err = tx.DeletedSince(ctx, sp.Model, sp.Dim, since+1); err != nil {
			return fmt.Errorf("read changes of %s: %w", c.Space, err)
		}
		if c.Written, err = tx.CountWrittenSince(ctx, sp.Model, sp.Dim, since+1); err != nil {
			return err
		}
		if c.Space.Segments == 0 && len(c.Deleted) == 0 && since == 0 {
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
	// Generation is the generation up to which every change of the
	// space is in the target.
	Generation int64     `json:"generation"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// MirrorGeneration returns the generation up to which every change of
// space sp is in target; ok is false when none was recorded (the target
// holds nothing of the space).
func (db *DB) MirrorGeneration(ctx context.Context, target string, sp Space) (gen int64, ok bool, err error) {
	m, ok, err := db.store.MirrorGeneration(ctx, target, sp.Model, sp.Dim)
	return m.Generation, ok, err
}

// SetMirrorGeneration records that every change of space sp up to
// generation gen is in target. It is no write of the database's data:
// the generation, the graphs and their snapshots are left alone. A
// database opened read-only cannot record it (ErrReadOnly).
func (db *DB) SetMirrorGeneration(ctx context.Context, target string, sp Space, gen int64) error {
	return db.store.SetMirrorGeneration(ctx, target, sp.Model, sp.Dim, gen)
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
		out[i] = MirrorState{Target: m.Target, Space: Space{Model: m.Model, Dim: m.Dim}, Generation: m.Generation, UpdatedAt: m.UpdatedAt}
	}
	return out, nil
}

// ForgetMirror forgets the progress recorded for target, so the next
// sync to it sends everything again, and returns how many spaces it
// forgot.
func (db *DB) ForgetMirror(ctx context.Context, target string) (int, error) {
	return db.store.DeleteMirror(ctx, target)
}
