package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// querier runs read statements: the reader pool (*sql.DB, where each
// statement is its own transaction) or a read transaction (*sql.Tx). Each
// query has one implementation taking a querier, used by both the DB
// method and the ReadTx method of the same name.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ReadTx is a read transaction: everything read through it comes from one
// snapshot of the database, the one committed when View began, whatever
// commits meanwhile. Its methods are the DB's reads of the same names. A
// ReadTx is valid only inside the function given to View, and is meant
// for the goroutine running it.
type ReadTx struct {
	tx   *sql.Tx
	path string
	head Stamp
}

// View runs fn in one read transaction on one pooled connection and
// returns fn's error. Reads that must agree with each other (an export's
// header, videos and segments; counts and the spaces they sum) belong in
// one View.
//
// The snapshot is taken as View begins (it reads the head stamp first:
// in WAL mode a deferred transaction otherwise takes its snapshot at its
// first read, which may be long after BEGIN). A View never blocks
// writers, nor do they block it, but while it is open the WAL cannot be
// checkpointed past its snapshot: a long View (an export streamed to a
// slow reader) lets the WAL file grow until it ends.
func (db *DB) View(ctx context.Context, fn func(*ReadTx) error) error {
	tx, err := db.r.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	// A read transaction has nothing to commit: rolling it back ends it,
	// and cannot fail fn's work after fn succeeded.
	defer tx.Rollback()
	head, err := readHead(ctx, tx)
	if err != nil {
		return err
	}
	return fn(&ReadTx{tx: tx, path: db.path, head: head})
}

// Head returns the stamp of the snapshot's generation.
func (tx *ReadTx) Head() Stamp { return tx.head }

// Generation returns the snapshot's generation.
func (tx *ReadTx) Generation() int64 { return tx.head.Generation }

// Spaces is DB.Spaces in the snapshot.
func (tx *ReadTx) Spaces(ctx context.Context) ([]Space, error) { return readSpaces(ctx, tx.tx) }

// Videos is DB.Videos in the snapshot.
func (tx *ReadTx) Videos(ctx context.Context) ([]Video, error) { return readVideos(ctx, tx.tx) }

// Video is DB.Video in the snapshot.
func (tx *ReadTx) Video(ctx context.Context, id string) (*Video, error) {
	return readVideo(ctx, tx.tx, id)
}

// Segments is DB.Segments in the snapshot. fn may read through tx
// meanwhile.
func (tx *ReadTx) Segments(ctx context.Context, q SegmentQuery, fn func(*Segment) error) error {
	return readSegments(ctx, tx.tx, q, fn)
}

// Stats is DB.Stats with the counts from the snapshot (the sizes on disk
// are the files' current ones).
func (tx *ReadTx) Stats(ctx context.Context) (Counts, error) { return readStats(ctx, tx.tx, tx.path) }

// DeletedSince is DB.DeletedSince in the snapshot.
func (tx *ReadTx) DeletedSince(ctx context.Context, model string, dim int, minGen int64) ([]int64, error) {
	return readDeletedSince(ctx, tx.tx, model, dim, minGen)
}

// Setting is DB.Setting in the snapshot.
func (tx *ReadTx) Setting(ctx context.Context, key string) (value int64, ok bool, err error) {
	return readSetting(ctx, tx.tx, key)
}

// Settings is DB.Settings in the snapshot.
func (tx *ReadTx) Settings(ctx context.Context) (map[string]int64, error) {
	return readSettings(ctx, tx.tx)
}

// Filenames is DB.Filenames in the snapshot.
func (tx *ReadTx) Filenames(ctx context.Context) (map[string]string, error) {
	return readFilenames(ctx, tx.tx)
}
