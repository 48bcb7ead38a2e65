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

// DefaultParallel is how many upserts the command line keeps in flight.
const DefaultParallel = 2

// Options tune Sync. The zero value syncs every space in batches of
// DefaultBatch.
type Options struct {
	// Batch is how many segments one upsert (and one deletion) sends:
	// bigger batches cost fewer round trips, and a sync killed midway
	// sends at most Parallel of them again.
	Batch int
	// Parallel is how many upsert batches are in flight at once (default
	// 1): more keeps a cluster of many cores busy while the next batch is
	// read and sent.
	Parallel int
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

		up := &upserter{ctx: ctx, t: t, sp: sp, parallel: max(opts.Parallel, 1), batch: opts.Batch,
			record: func(pos clipvec.MirrorPosition, n int) error {
				if err := db.SetMirrorPosition(ctx, name, sp, pos); err != nil {
					return err
				}
				sr.Upserted += n
				total.Upserted += n
				p.Upserted = sr.Upserted
				report()
				return nil
			}}
		up.cur = up.buffer()
		err := c.Segments(ctx, func(s *clipvec.Segment, gen int64) error {
			if len(up.cur) == opts.Batch {
				if err := up.submit(up.position(gen, c.Generation)); err != nil {
					return err
				}
			}
			up.add(s, gen)
			return nil
		})
		if err == nil && len(up.cur) > 0 {
			err = up.submit(clipvec.MirrorPosition{Generation: c.Generation})
		}
		// Wait for the batches in flight, recording those acknowledged
		// in order, whatever happened.
		if werr := up.wait(); err == nil {
			err = werr
		}
		if err != nil {
			return err
		}
		recorded := from
		if up.recorded != nil {
			recorded = *up.recorded
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

// upserter sends a space's upserts, up to parallel batches in flight,
// and records, in the order they were read, the position of each batch
// once it and every batch before it are acknowledged: a position never
// claims a batch still in flight, so a kill loses nothing, and a rerun
// sends again at most the batches that were in flight.
type upserter struct {
	ctx      context.Context
	t        Target
	sp       clipvec.Space
	parallel int
	batch    int
	// record records a position, n more segments having been sent.
	record func(pos clipvec.MirrorPosition, n int) error

	// cur is the batch being filled, from the segments read; lastGen and
	// lastID are those of its last segment.
	cur             []clipvec.Segment
	lastGen, lastID int64
	// free holds batches sent, for reuse (their vectors too).
	free [][]clipvec.Segment

	// Batches in flight, in the order they were read; done receives
	// each one's outcome.
	queue []*flight
	done  chan *flight
	// recorded is the last position recorded; failed the first error.
	recorded *clipvec.MirrorPosition
	failed   error
}

// flight is one batch sent.
type flight struct {
	segs []clipvec.Segment
	pos  clipvec.MirrorPosition
	err  error
	// finished is set by the submitting goroutine when done delivers it.
	finished bool
}

func (u *upserter) buffer() []clipvec.Segment {
	if n := len(u.free); n > 0 {
		b := u.free[n-1]
		u.free = u.free[:n-1]
		return b[:0]
	}
	return make([]clipvec.Segment, 0, u.batch)
}

// add copies s into the current batch, reusing the vectors of a batch
// sent before.
func (u *upserter) add(s *clipvec.Segment, gen int64) {
	u.cur = u.cur[:len(u.cur)+1]
	b := &u.cur[len(u.cur)-1]
	vec := b.Vector
	*b = *s
	b.Vector = append(vec[:0], s.Vector...)
	u.lastGen, u.lastID = gen, s.ID
}

// position is what is sent once the current batch is, given the
// generation of the next segment read.
func (u *upserter) position(nextGen, end int64) clipvec.MirrorPosition {
	switch {
	case nextGen > u.lastGen:
		// Every segment before generation nextGen is sent.
		return clipvec.MirrorPosition{Generation: nextGen - 1}
	case nextGen == u.lastGen:
		// Inside one generation, which is sent in id order: up to lastID.
		return clipvec.MirrorPosition{Generation: u.lastGen - 1, AfterID: u.lastID}
	}
	return clipvec.MirrorPosition{Generation: end}
}

// submit sends the current batch, to be recorded at pos, once fewer than
// parallel are in flight; it returns the first error of any batch.
func (u *upserter) submit(pos clipvec.MirrorPosition) error {
	if u.done == nil {
		u.done = make(chan *flight, u.parallel)
	}
	for len(u.queue) >= u.parallel && u.failed == nil {
		u.settle(<-u.done)
	}
	if u.failed != nil {
		return u.failed
	}
	f := &flight{segs: u.cur, pos: pos}
	u.queue = append(u.queue, f)
	u.cur = u.buffer()
	go func() {
		f.err = u.t.Upsert(u.ctx, u.sp, f.segs)
		u.done <- f
	}()
	return nil
}

// settle takes in a finished batch and records every batch at the head
// of the queue that is acknowledged.
func (u *upserter) settle(f *flight) {
	f.finished = true
	if f.err != nil && u.failed == nil {
		u.failed = f.err
	}
	for len(u.queue) > 0 && u.queue[0].finished && u.queue[0].err == nil && u.failed == nil {
		head := u.queue[0]
		if err := u.record(head.pos, len(head.segs)); err != nil {
			u.failed = err
			break
		}
		u.recorded = &head.pos
		u.queue = u.queue[1:]
		u.free = append(u.free, head.segs)
	}
	// After a failure nothing more is recorded: a batch acknowledged
	// after one that failed may be sent again by the rerun, which is
	// harmless.
}

// wait waits for every batch in flight and returns the first error.
func (u *upserter) wait() error {
	for n := u.inFlight(); n > 0; n-- {
		u.settle(<-u.done)
	}
	return u.failed
}

// inFlight counts the batches sent whose outcome is not in.
func (u *upserter) inFlight() int {
	n := 0
	for _, f := range u.queue {
		if !f.finished {
			n++
		}
	}
	return n
}
