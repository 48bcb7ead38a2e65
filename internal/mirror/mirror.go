package mirror

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

// Target is a distributed engine holding a copy of a database's segments,
// one collection per embedding space, each segment an object named by its
// id. Every method must be idempotent: a sync killed at any point sends
// some of its writes again.
type Target interface {
	// Name identifies the copy in the database's records: the engine,
	// where it runs and which collections ("weaviate
	// http://127.0.0.1:8080 Clipvec"). Two targets with one name are one
	// copy.
	Name() string
	// EnsureSpace makes sp's collection exist, creating it when missing.
	EnsureSpace(ctx context.Context, sp clipvec.Space) (Collection, error)
	// Upsert writes segments (vectors and properties) under their ids,
	// replacing what is there; it returns only once the target has
	// acknowledged every one, at the consistency the target promises.
	Upsert(ctx context.Context, sp clipvec.Space, segs []clipvec.Segment) error
	// Delete removes the objects of these segment ids; an id the target
	// does not hold is no error.
	Delete(ctx context.Context, sp clipvec.Space, ids []int64) error
	// Count counts the objects of sp's collection (0 when it does not
	// exist).
	Count(ctx context.Context, sp clipvec.Space) (int, error)
}

// Collection is what EnsureSpace found or made.
type Collection struct {
	// Name is the collection's name in the target.
	Name string `json:"name"`
	// Created says it did not exist.
	Created bool `json:"created,omitempty"`
	// Notes say what the caller should know: an existing collection
	// whose settings differ from what Sync would have made, say.
	Notes []string `json:"notes,omitempty"`
}

// DefaultBatch is how many segments an upsert sends at once when
// Options.Batch is 0.
const DefaultBatch = 500

// Options tune Sync. The zero value syncs every space in batches of
// DefaultBatch.
type Options struct {
	// Batch is how many segments one upsert (and one deletion) sends:
	// bigger batches cost fewer round trips, and a sync killed midway
	// sends at most one again.
	Batch int
	// Spaces, when set, syncs only these spaces (model and dimension).
	Spaces []clipvec.Space
	// Progress, when set, is called after each batch from Sync's
	// goroutine.
	Progress func(Progress)
}

// Progress is a snapshot of a running Sync: counts of one space.
type Progress struct {
	Space              clipvec.Space
	Deleted, ToDelete  int
	Upserted, ToUpsert int
	// Upserted and deleted so far, every space.
	TotalUpserted, TotalDeleted int
}

// SpaceResult is what Sync did to one space.
type SpaceResult struct {
	Space      clipvec.Space `json:"space"`
	Collection Collection    `json:"collection"`
	// From is the recorded position Sync started from; Generation the
	// snapshot's, which it reached (and recorded) unless it failed.
	From       clipvec.MirrorPosition `json:"from"`
	Generation int64                  `json:"generation"`
	Upserted   int                    `json:"upserted"`
	Deleted    int                    `json:"deleted"`
	// Done says the space reached Generation.
	Done bool `json:"done"`
}

// Result is what Sync did. It is returned with an error too, telling
// what was done before it.
type Result struct {
	Target   string        `json:"target"`
	Spaces   []SpaceResult `json:"spaces"`
	Upserted int           `json:"upserted"`
	Deleted  int           `json:"deleted"`
	Elapsed  time.Duration `json:"elapsed_ns"`
}

// Sync brings target up to date with db, space by space (see the
// package documentation for the order and why a kill at any point loses
// nothing). Each space's position is recorded in db after every batch
// the target acknowledged. Sync holds no lock: callers run one at a time
// per database (Lock).
func Sync(ctx context.Context, db *clipvec.DB, t Target, opts Options) (*Result, error) {
	start := time.Now()
	res := &Result{Target: t.Name()}
	defer func() { res.Elapsed = time.Since(start) }()
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
	}
	spaces, err := SpacesToSync(ctx, db, t.Name(), opts.Spaces)
	if err != nil {
		return res, err
	}
	for _, sp := range spaces {
		sr, err := syncSpace(ctx, db, t, sp, opts, res)
		res.Spaces = append(res.Spaces, sr)
		if err != nil {
			return res, fmt.Errorf("sync %s to %s: %w", sp, t.Name(), err)
		}
	}
	return res, nil
}

// SpacesToSync lists the spaces a sync to target covers: those that hold
// segments, and those target has a recorded position in (whose segments
// may all be gone: their deletions are still to send), by model and
// dimension; only those of only, when it is not empty.
func SpacesToSync(ctx context.Context, db *clipvec.DB, target string, only []clipvec.Space) ([]clipvec.Space, error) {
	spaces, err := db.Spaces(ctx)
	if err != nil {
		return nil, err
	}
	mirrored, err := db.Mirrors(ctx, target)
	if err != nil {
		return nil, err
	}
	key := func(s clipvec.Space) clipvec.Space { return clipvec.Space{Model: s.Model, Dim: s.Dim} }
	seen := map[clipvec.Space]bool{}
	var out []clipvec.Space
	for _, s := range spaces {
		seen[key(s)] = true
		out = append(out, key(s))
	}
	for _, m := range mirrored {
		if !seen[key(m.Space)] {
			seen[key(m.Space)] = true
			out = append(out, key(m.Space))
		}
	}
	if len(only) > 0 {
		out = slices.DeleteFunc(out, func(s clipvec.Space) bool {
			return !slices.ContainsFunc(only, func(o clipvec.Space) bool { return key(o) == s })
		})
		for _, o := range only {
			if !seen[key(o)] {
				return nil, fmt.Errorf("space %s: %w", key(o), clipvec.ErrNotFound)
			}
		}
	}
	slices.SortFunc(out, func(a, b clipvec.Space) int {
		if a.Model != b.Model {
			if a.Model < b.Model {
				return -1
			}
			return 1
		}
		return a.Dim - b.Dim
	})
	return out, nil
}

// syncSpace syncs one space, adding its counts to total as it goes.
func syncSpace(ctx context.Context, db *clipvec.DB, t Target, sp clipvec.Space, opts Options, total *Result) (SpaceResult, error) {
	sr := SpaceResult{Space: sp}
	name := t.Name()
	from, _, err := db.MirrorPosition(ctx, name, sp)
	if err != nil {
		return sr, err
	}
	if sr.Collection, err = t.EnsureSpace(ctx, sp); err != nil {
		return sr, err
	}
	if sr.Collection.Created && from != (clipvec.MirrorPosition{}) {
		// The collection went (dropped by hand, a cluster reset): what
		// was recorded is not in it any more.
		sr.Collection.Notes = append(sr.Collection.Notes, fmt.Sprintf(
			"collection %s was missing although generation %d was recorded as sent: sending everything again", sr.Collection.Name, from.Generation))
		from = clipvec.MirrorPosition{}
	}
	sr.From = from
	err = db.ReadChanges(ctx, sp, from, func(c *clipvec.Changes) error {
		sr.Space, sr.Generation = c.Space, c.Generation
		p := Progress{Space: c.Space, ToDelete: len(c.Deleted), ToUpsert: c.Written}
		report := func() {
			if opts.Progress != nil {
				p.TotalUpserted, p.TotalDeleted = total.Upserted, total.Deleted
				opts.Progress(p)
			}
		}
		report()
		for ids := range slices.Chunk(c.Deleted, opts.Batch) {
			if err := t.Delete(ctx, sp, ids); err != nil {
				return err
			}
			sr.Deleted += len(ids)
			total.Deleted += len(ids)
			p.Deleted = sr.Deleted
			report()
		}

		batch := make([]clipvec.Segment, 0, opts.Batch)
		var lastGen, lastID int64
		recorded := from
		// send upserts the batch and records the position of its last
		// segment, given the generation of the next one (0: none).
		send := func(nextGen int64) error {
			if len(batch) == 0 {
				return nil
			}
			if err := t.Upsert(ctx, sp, batch); err != nil {
				return err
			}
			sr.Upserted += len(batch)
			total.Upserted += len(batch)
			p.Upserted = sr.Upserted
			batch = batch[:0]
			pos := clipvec.MirrorPosition{Generation: c.Generation}
			switch {
			case nextGen > lastGen:
				// Every segment before generation nextGen is sent.
				pos = clipvec.MirrorPosition{Generation: nextGen - 1}
			case nextGen == lastGen:
				// Inside one generation: sent up to lastID.
				pos = clipvec.MirrorPosition{Generation: lastGen - 1, AfterID: lastID}
			}
			if err := db.SetMirrorPosition(ctx, name, sp, pos); err != nil {
				return err
			}
			recorded = pos
			report()
			return nil
		}
		err := c.Segments(ctx, func(s *clipvec.Segment, gen int64) error {
			if len(batch) == opts.Batch {
				if err := send(gen); err != nil {
					return err
				}
			}
			// Reuse the vectors of the batch before.
			batch = batch[:len(batch)+1]
			b := &batch[len(batch)-1]
			vec := b.Vector
			*b = *s
			b.Vector = append(vec[:0], s.Vector...)
			lastGen, lastID = gen, s.ID
			return nil
		})
		if err != nil {
			return err
		}
		if err := send(0); err != nil {
			return err
		}
		if end := (clipvec.MirrorPosition{Generation: c.Generation}); recorded != end {
			if err := db.SetMirrorPosition(ctx, name, sp, end); err != nil {
				return err
			}
		}
		sr.Done = true
		return nil
	})
	return sr, err
}
