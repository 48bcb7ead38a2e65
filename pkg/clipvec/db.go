package clipvec

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"

	"github.com/clipvec/clipvec/internal/engine"
	"github.com/clipvec/clipvec/internal/sqlite"
)

// DB is a clipvec database: the SQLite store plus the in-memory search
// structures derived from it. It is safe for concurrent use by multiple
// goroutines.
type DB struct {
	store *sqlite.DB
	// eng keeps the search graphs (internal/engine).
	eng *engine.Engine
	// readOnly: opened with OpenReadOnly; graphs live in memory only.
	readOnly bool

	// Threads is how many goroutines an exact search scans with. Open
	// sets it to GOMAXPROCS; 1 makes searches single-threaded (for
	// callers that run many searches in parallel themselves).
	Threads int

	// Embedder turns the text and image queries the query cache does not
	// hold into vectors (Query.Text, Query.Image, EmbedQuery):
	// upstream.Embedder(client) (pkg/clipvec/upstream) embeds them with
	// TwelveLabs. Nil: only cached queries are answered. Set it before
	// the DB is used.
	Embedder QueryEmbedder

	// OnIndexWork, when set, is told of every change to a graph as it
	// goes: the build, rebuild or catch-up a search must do first when
	// the graph saved is missing or behind (which can take seconds), as
	// well as those of Import, BuildIndex, CompactIndex and SyncIndexes.
	// A search that finds its graph ready calls it not at all. Calls come
	// from the goroutine doing the work, one at a time for each change.
	// Set it before the DB is used.
	OnIndexWork func(IndexWork)

	// What every search needs from the store, read once per generation
	// (every write, settings included, moves the generation on).
	spaces sqlite.GenCache[[]Space]
	names  sqlite.GenCache[map[string]string] // video id → file name
}

type spaceKey struct {
	model string
	dim   int
}

// Open opens the database at path, creating it (and its directory) if it
// does not exist. Close it when done.
func Open(ctx context.Context, path string) (*DB, error) {
	store, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	return newDB(ctx, store, false)
}

// OpenReadOnly opens an existing database for reading: searches, exports
// and listings work; Import, Delete, SetIndexParams and the other writes
// fail with an error wrapping ErrReadOnly. Graphs are loaded from their
// snapshots when those are current, built in memory otherwise, and never
// saved. It opens a database in a directory, or on a medium, this process
// cannot write to.
func OpenReadOnly(ctx context.Context, path string) (*DB, error) {
	store, err := sqlite.OpenReadOnly(ctx, path)
	if err != nil {
		return nil, err
	}
	return newDB(ctx, store, true)
}

func newDB(ctx context.Context, store *sqlite.DB, readOnly bool) (*DB, error) {
	db := &DB{store: store, readOnly: readOnly, Threads: runtime.GOMAXPROCS(0)}
	onWork := func(w engine.Work) {
		if f := db.OnIndexWork; f != nil {
			f(IndexWork{Space: spaceOf(w.Space), Step: IndexStep(w.Step), Why: w.Why, Done: w.Done, Total: w.Total})
		}
	}
	eng, err := engine.New(ctx, store, engine.Options{ReadOnly: readOnly, Threads: func() int { return db.Threads }, OnWork: onWork})
	if err != nil {
		store.Close()
		return nil, err
	}
	db.eng = eng
	return db, nil
}

// Close saves the snapshots of graphs that changed since they were
// loaded (a search that caught up with an import, say) and closes the
// database; calling it again does nothing.
func (db *DB) Close() error {
	err := db.eng.Close()
	return errors.Join(err, db.store.Close())
}

// ReadOnly reports whether the database was opened with OpenReadOnly:
// then it cannot be written, and queries embedded upstream are not kept
// in its cache.
func (db *DB) ReadOnly() bool { return db.readOnly }

// Path returns the database file's path.
func (db *DB) Path() string { return db.store.Path() }

// Spaces lists the embedding spaces that hold segments. The list is
// cached until the next write: counting reads the segments index, which a
// search must not pay every time.
func (db *DB) Spaces(ctx context.Context) ([]Space, error) {
	gen, err := db.store.Generation(ctx)
	if err != nil {
		return nil, err
	}
	return db.spacesAt(ctx, gen)
}

// spacesAt is Spaces for a generation the caller has just read.
func (db *DB) spacesAt(ctx context.Context, gen int64) ([]Space, error) {
	spaces, err := db.spaces.Get(gen, func() ([]Space, error) {
		rows, err := db.store.Spaces(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]Space, len(rows))
		for i, r := range rows {
			out[i] = Space{Model: r.Model, Dim: r.Dim, Segments: r.Segments, Videos: r.Videos}
		}
		return out, nil
	})
	return slices.Clone(spaces), err
}

func videoFromRow(r *sqlite.Video) Video {
	return Video{ID: r.ID, Filename: r.Filename, Duration: r.Duration, FPS: r.FPS, Width: r.Width,
		Height: r.Height, UserMetadata: r.UserMetadata, ThumbnailURL: r.ThumbnailURL, Segments: r.Segments}
}

// Videos lists every video with its segment count, by id.
func (db *DB) Videos(ctx context.Context) ([]Video, error) {
	rows, err := db.store.Videos(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Video, len(rows))
	for i := range rows {
		out[i] = videoFromRow(&rows[i])
	}
	return out, nil
}

// Video returns one video, or an error wrapping ErrNotFound.
func (db *DB) Video(ctx context.Context, id string) (*Video, error) {
	r, err := db.store.Video(ctx, id)
	if err != nil {
		return nil, err
	}
	v := videoFromRow(r)
	return &v, nil
}

// Stats reports counts, spaces and size on disk. The counts and the
// spaces come from one snapshot, so the spaces' segments add up to
// Segments. It reads the spaces itself rather than through the cache
// Spaces keeps, which may hold a list newer than its generation.
func (db *DB) Stats(ctx context.Context) (*Stats, error) {
	var st *Stats
	err := db.store.View(ctx, func(tx *sqlite.ReadTx) error {
		c, err := tx.Stats(ctx)
		if err != nil {
			return err
		}
		rows, err := tx.Spaces(ctx)
		if err != nil {
			return err
		}
		spaces := make([]Space, len(rows))
		for i, r := range rows {
			spaces[i] = Space{Model: r.Model, Dim: r.Dim, Segments: r.Segments, Videos: r.Videos}
		}
		st = &Stats{Path: db.Path(), Bytes: c.Bytes, Videos: c.Videos, Segments: c.Segments,
			Generation: c.Generation, Spaces: spaces}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// Delete removes videos and all their segments in one transaction and
// returns how many segments went. If any id does not exist nothing is
// deleted and the error wraps ErrNotFound.
func (db *DB) Delete(ctx context.Context, videoIDs ...string) (segments int, err error) {
	if len(videoIDs) == 0 {
		return 0, fmt.Errorf("delete: %w: no video ids", ErrInvalidQuery)
	}
	n, touched, err := db.store.DeleteVideos(ctx, videoIDs)
	if err != nil {
		return 0, fmt.Errorf("delete: %w", err)
	}
	return n, afterCommit("delete", db.tombstone(ctx, touched))
}

// tombstone brings up to date the graphs of the spaces a delete touched
// that have one, in memory or on disk. A space without a graph gets none:
// building it is the next search's business, not a delete's.
func (db *DB) tombstone(ctx context.Context, touched []sqlite.Space) error {
	if len(touched) == 0 {
		return nil
	}
	spaces, err := db.Spaces(ctx)
	if err != nil {
		return err
	}
	var sync []Space
	for _, sp := range spaces {
		if !slices.ContainsFunc(touched, func(t sqlite.Space) bool { return t.Model == sp.Model && t.Dim == sp.Dim }) {
			continue
		}
		has, err := db.eng.HasGraph(ctx, sp.row())
		if err != nil {
			return err
		}
		if has {
			sync = append(sync, sp)
		}
	}
	if len(sync) == 0 {
		return nil
	}
	return db.SyncIndexes(ctx, sync, nil)
}

// SyncCommitted brings the graphs of spaces in step after a write (op:
// "import", "fetch", ...) committed their data. The write stands whatever
// happens here: a failure is an *IndexNotSavedError, or, when ctx ended,
// an error saying the upkeep was interrupted. pkg/clipvec/upstream's
// fetches end with it.
func (db *DB) SyncCommitted(ctx context.Context, op string, spaces []Space, progress IndexProgress) error {
	if len(spaces) == 0 {
		return nil
	}
	return afterCommit(op, db.SyncIndexes(ctx, spaces, progress))
}

// afterCommit is the error of a write whose data committed and whose
// graph upkeep then failed with err (nil if it did not): the write
// stands, and the next search or sync catches the graphs up, so the error
// is an *IndexNotSavedError (unless the caller's context ended it).
func afterCommit(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: the data is committed; bringing the search graphs up to date was interrupted: %w", op, err)
	}
	return &IndexNotSavedError{Op: op, Err: err}
}

// IndexNotSavedError is the error of a write (Import, Delete, a fetch)
// whose data committed but whose search graphs could not then be updated
// or saved (a full disk, say). The write stands and nothing stale is ever
// served: the next search or SyncIndexes catches the graphs up. Callers
// may treat it as a warning. It matches ErrIndexNotSaved.
type IndexNotSavedError struct {
	Op  string // "import", "delete", "fetch"
	Err error
}

func (e *IndexNotSavedError) Error() string {
	return fmt.Sprintf("%s: the data is committed, but the search graphs could not be brought up to date (the next search catches up): %v", e.Op, e.Err)
}

func (e *IndexNotSavedError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrIndexNotSaved) true.
func (e *IndexNotSavedError) Is(target error) bool { return target == ErrIndexNotSaved }

// MadeBy returns what SetMadeBy recorded as having made the database
// ("" when nothing did).
func (db *DB) MadeBy(ctx context.Context) (string, error) { return db.store.MadeBy(ctx) }

// SetMadeBy records what made the database: clipvec quickstart records
// "quickstart", and replaces only a database that says so. It changes no
// data, so it leaves the generation alone.
func (db *DB) SetMadeBy(ctx context.Context, by string) error { return db.store.SetMadeBy(ctx, by) }

// Peek reads what made the database at path (SetMadeBy; "" when
// nothing recorded it) and the ids of its videos, without opening it for
// use and without creating anything beside it. clipvec quickstart asks
// it before it replaces a file. A file that is not a clipvec database
// fails.
func Peek(ctx context.Context, path string) (madeBy string, videos []string, err error) {
	return sqlite.Peek(ctx, path)
}

// Check verifies the database file: SQLite's integrity check plus
// clipvec's own invariants (every vector matches its space's dimension,
// no segment without its video).
func (db *DB) Check(ctx context.Context) error { return db.store.IntegrityCheck(ctx) }
