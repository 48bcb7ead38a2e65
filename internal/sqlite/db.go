package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// ErrNotFound is returned when a video or segment does not exist.
var ErrNotFound = errors.New("not found")

// ErrNewerSchema is returned when the file was written by a newer clipvec.
var ErrNewerSchema = errors.New("database schema is newer than this clipvec")

// ErrReadOnly is returned by every write to a database opened with
// OpenReadOnly.
var ErrReadOnly = errors.New("the database is open read-only")

// DB is a clipvec database file. It is safe for concurrent use: writes
// are serialised on one connection, reads use a pool and see the last
// committed state (WAL).
type DB struct {
	path  string
	w     *sql.DB // the one writer connection
	r     *sql.DB // readers
	stmts importStmts
}

// Open opens (creating if needed) the database at path and migrates it to
// the current schema.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("open database: empty path")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open database %s: the path may not contain '?' or '#'", path)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		if notWritable(err) {
			err = &notWritableError{fmt.Sprintf("cannot create its directory (%v)", errnoText(err)), err}
		}
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if err := checkWritable(path, dir); err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	// Per-connection settings live in the DSN so every pooled connection
	// gets them. NORMAL synchronous in WAL mode loses no committed
	// transaction when the process dies (only, at worst, on power loss).
	const common = "_busy_timeout=10000&_foreign_keys=on&_synchronous=NORMAL&_cache_size=-65536"
	if err := bootstrap(ctx, path, common); err != nil {
		if notWritable(err) {
			err = &notWritableError{"cannot write it: " + explain(err), err}
		}
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	w, err := sql.Open("sqlite3", path+"?_journal_mode=WAL&_txlock=immediate&"+common)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	db := &DB{path: path, w: w}
	r, err := sql.Open("sqlite3", path+"?_query_only=1&_txlock=deferred&"+common)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	db.r = r
	return db, nil
}

// OpenReadOnly opens an existing database for reading only: nothing is
// created, migrated or written, and every write fails with ErrReadOnly.
// The file must already have this clipvec's schema (an older one needs
// one read-write Open to migrate).
//
// A WAL database is read through its shared-memory file, which SQLite
// creates beside it when it is missing. In a directory this process
// cannot write, where it cannot, the file is read as immutable: a write
// by another process meanwhile is then not seen.
func OpenReadOnly(ctx context.Context, path string) (*DB, error) {
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open database %s: the path may not contain '?' or '#'", path)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	const common = "_busy_timeout=10000&_query_only=1&_txlock=deferred&_cache_size=-65536"
	uri := "file:" + strings.ReplaceAll(path, "%", "%25") + "?mode=ro&" + common
	dsns := []string{uri, uri + "&immutable=1"}
	if frozen(path) {
		dsns = dsns[1:]
	}
	var errs []error
	for _, dsn := range dsns {
		r, err := sql.Open("sqlite3", dsn)
		if err == nil {
			err = checkSchema(ctx, r)
		}
		if err == nil {
			return &DB{path: path, r: r}, nil
		}
		if r != nil {
			r.Close()
		}
		if errors.Is(err, ErrNewerSchema) || errors.Is(err, errOlderSchema) {
			return nil, fmt.Errorf("open database %s: %w", path, err)
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("open database %s read-only: %w", path, errors.Join(errs...))
}

// Peek reads what made the file at path (MadeBy) and the ids of its
// videos, creating nothing beside it: when no write-ahead log is beside
// the file (it was closed cleanly, and no writer has it open) it is read
// as immutable; otherwise read-only through the log, which then exists
// already. It is a quick look, for clipvec quickstart to tell whether it
// may replace a file; a file that is not a clipvec database fails.
func Peek(ctx context.Context, path string) (madeBy string, videos []string, err error) {
	if strings.ContainsAny(path, "?#") {
		return "", nil, fmt.Errorf("read database %s: the path may not contain '?' or '#'", path)
	}
	dsn := "file:" + strings.ReplaceAll(path, "%", "%25") + "?mode=ro&_query_only=1"
	if _, err := os.Lstat(path + "-wal"); errors.Is(err, fs.ErrNotExist) {
		dsn += "&immutable=1"
	}
	r, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return "", nil, fmt.Errorf("read database %s: %w", path, err)
	}
	defer r.Close()
	var version int
	if err := r.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return "", nil, fmt.Errorf("read database %s: %w", path, err)
	}
	if version == 0 {
		return "", nil, fmt.Errorf("read database %s: %w", path, errNoSchema)
	}
	db := &DB{path: path, r: r}
	if madeBy, err = db.MadeBy(ctx); err != nil {
		return "", nil, err
	}
	rows, err := r.QueryContext(ctx, "SELECT video_id FROM videos ORDER BY video_id")
	if err != nil {
		return "", nil, fmt.Errorf("read database %s: %w", path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return "", nil, err
		}
		videos = append(videos, id)
	}
	return madeBy, videos, rows.Err()
}

var errNoSchema = errors.New("it has no clipvec schema")

// frozen reports whether the file at path cannot change while it is
// read: no one may write it (no write permission bit: only the
// superuser could) and it has no write-ahead log beside it. Such a file
// is read as immutable, which creates nothing beside it: a read-only
// open otherwise leaves -wal and -shm files there, as read-only as the
// file, that would stop a writer once the file is made writable again.
func frozen(path string) bool {
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm()&0o222 != 0 {
		return false
	}
	_, err = os.Lstat(path + "-wal")
	return errors.Is(err, fs.ErrNotExist)
}

var errOlderSchema = errors.New("database schema is older than this clipvec: open it once read-write to migrate it")

// checkSchema checks that the file has exactly this package's schema.
func checkSchema(ctx context.Context, r *sql.DB) error {
	var version int
	if err := r.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	switch want := SchemaVersion(); {
	case version > want:
		return fmt.Errorf("%w (file has version %d, this clipvec knows %d)", ErrNewerSchema, version, want)
	case version < want:
		return fmt.Errorf("%w (file has version %d, this clipvec writes %d)", errOlderSchema, version, want)
	}
	return nil
}

// ReadOnly reports whether the database was opened with OpenReadOnly.
func (db *DB) ReadOnly() bool { return db.w == nil }

// PageSize is the page size of new database files. A segment row is about
// 2.1 kB at 512-d: with SQLite's default 4 kB pages one row fills a page
// and half of every page is wasted; with 16 kB pages seven rows share one.
// Measured inserting 50,000 such rows in one transaction on this project's
// machines: 31,600 rows/s and 198 MB at 4 kB, 55,600 rows/s and 113 MB at
// 16 kB, 62,000 rows/s and 106 MB at 64 kB (where a point read costs four
// times the I/O of 16 kB).
const PageSize = 16384

// bootstrap creates and migrates the file on one connection in rollback
// journal mode: the page size of a file can only be chosen before its
// first table exists, and a WAL file cannot change it. An existing file
// is only migrated (it stays in WAL mode: that setting is persistent).
func bootstrap(ctx context.Context, path, common string) error {
	boot, err := sql.Open("sqlite3", path+"?_txlock=immediate&"+common)
	if err != nil {
		return err
	}
	defer boot.Close()
	boot.SetMaxOpenConns(1)
	conn, err := boot.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var pages int
	if err := conn.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		return fmt.Errorf("read page count: %w", err)
	}
	if pages > 0 {
		if err := notForeign(ctx, conn); err != nil {
			return err
		}
	}
	if pages == 0 {
		// A property of the file being created, set on the one
		// connection that creates it (not a per-connection setting).
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA page_size = %d", PageSize)); err != nil {
			return fmt.Errorf("set page size: %w", err)
		}
	}
	if err := migrate(ctx, conn); err != nil {
		return err
	}
	// WAL is a persistent property of the file: set it here, once, so
	// that readers never find the file in rollback-journal mode.
	var mode string
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		return fmt.Errorf("set WAL mode: %w", err)
	}
	if mode != "wal" {
		return fmt.Errorf("set WAL mode: the file stays in %q mode", mode)
	}
	return nil
}

// ErrForeign: the file is a SQLite database that another program made.
var ErrForeign = errors.New("a SQLite database that clipvec did not make")

// notForeign refuses a file that has tables but no clipvec schema
// version: another program's database, into which clipvec must not
// write its tables.
func notForeign(ctx context.Context, conn *sql.Conn) error {
	var version, tables int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if version > 0 {
		return nil
	}
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table'").Scan(&tables); err != nil {
		return fmt.Errorf("read schema: %w", err)
	}
	if tables > 0 {
		return fmt.Errorf("it is %w (it has %d tables, and no clipvec schema): clipvec leaves it alone", ErrForeign, tables)
	}
	return nil
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// Close closes the database; it is safe to call more than once.
func (db *DB) Close() error {
	var errs []error
	if db.r != nil {
		errs = append(errs, db.r.Close())
		db.r = nil
	}
	if db.w != nil {
		for _, st := range []*sql.Stmt{db.stmts.findSeg, db.stmts.insertSeg, db.stmts.updateSeg} {
			if st != nil {
				st.Close()
			}
		}
		errs = append(errs, db.w.Close())
		db.w = nil
	}
	return errors.Join(errs...)
}

// SchemaVersion is the schema this package writes.
func SchemaVersion() int {
	names, _ := fs.Glob(migrations, "migrations/*.sql")
	return len(names)
}

// migrate applies, each in its own transaction, the embedded migrations
// the file has not seen (counted by PRAGMA user_version).
func migrate(ctx context.Context, conn *sql.Conn) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	var version int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if version > len(names) {
		return fmt.Errorf("%w (file has version %d, this clipvec knows %d)", ErrNewerSchema, version, len(names))
	}
	for i := version; i < len(names); i++ {
		body, err := migrations.ReadFile(names[i])
		if err != nil {
			return err
		}
		err = inTx(ctx, conn, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			// user_version is a property of the file, not a connection
			// setting: it commits with the migration.
			_, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(i+1))
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate %s: %w", names[i], err)
		}
	}
	return nil
}

// write runs fn in one write transaction.
func (db *DB) write(ctx context.Context, fn func(*sql.Tx) error) error {
	if db.w == nil {
		return ErrReadOnly
	}
	return db.writeError(inTx(ctx, db.w, fn))
}

// inTx runs fn in a transaction of b (a *sql.DB or *sql.Conn), committing
// if fn succeeds.
func inTx(ctx context.Context, b interface {
	BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
}, fn func(*sql.Tx) error) error {
	tx, err := b.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// bumpGeneration increments the generation counter inside tx and returns
// the new value.
func bumpGeneration(ctx context.Context, tx *sql.Tx) (int64, error) {
	var gen int64
	err := tx.QueryRowContext(ctx, "UPDATE meta SET value = value + 1 WHERE key = 'generation' RETURNING value").Scan(&gen)
	if err != nil {
		return 0, fmt.Errorf("bump generation: %w", err)
	}
	// INSERT OR REPLACE: a generation number can come back after the
	// file was restored from an older copy; its new history gets a new
	// token.
	if _, err := tx.ExecContext(ctx, "INSERT OR REPLACE INTO generations (gen, token) VALUES (?, random())", gen); err != nil {
		return 0, fmt.Errorf("bump generation: %w", err)
	}
	return gen, nil
}

// Stamp identifies one state of one store: the store's id, a generation
// and that generation's token. Derived state records the stamp it was
// built at; the store can then tell whether that state is in its own
// history (Lineage).
type Stamp struct {
	Store      int64 `json:"store"`
	Generation int64 `json:"generation"`
	Token      int64 `json:"token"`
}

// ID returns the store's random id, drawn when the file was created.
func (db *DB) ID(ctx context.Context) (int64, error) {
	var id int64
	if err := db.r.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'store_id'").Scan(&id); err != nil {
		return 0, fmt.Errorf("read store id: %w", err)
	}
	return id, nil
}

// Head returns the stamp of the store's current generation.
func (db *DB) Head(ctx context.Context) (Stamp, error) { return readHead(ctx, db.r) }

func readHead(ctx context.Context, q querier) (Stamp, error) {
	var s Stamp
	err := q.QueryRowContext(ctx, `SELECT (SELECT value FROM meta WHERE key = 'store_id'), g.gen, g.token
		FROM meta m JOIN generations g ON g.gen = m.value WHERE m.key = 'generation'`).Scan(&s.Store, &s.Generation, &s.Token)
	if err != nil {
		return s, fmt.Errorf("read store generation: %w", err)
	}
	return s, nil
}

// Lineage says whether a state stamped s is in the store's history, and
// if not, why: it must be this store's (same id), not ahead of its
// current generation, and hold the token the store recorded for its
// generation. A state that is in the history can be caught up from the
// writes since; one that is not must be rebuilt.
func (db *DB) Lineage(ctx context.Context, s Stamp) (ok bool, why string, err error) {
	var id, gen int64
	var token sql.NullInt64
	err = db.r.QueryRowContext(ctx, `SELECT (SELECT value FROM meta WHERE key = 'store_id'),
		(SELECT value FROM meta WHERE key = 'generation'),
		(SELECT token FROM generations WHERE gen = ?)`, s.Generation).Scan(&id, &gen, &token)
	if err != nil {
		return false, "", fmt.Errorf("read store history: %w", err)
	}
	switch {
	case s.Store != id:
		return false, "it was built from another database", nil
	case s.Generation > gen:
		return false, fmt.Sprintf("it is ahead of the database (generation %d, the database is at %d: restored from an older copy?)", s.Generation, gen), nil
	case !token.Valid || token.Int64 != s.Token:
		return false, fmt.Sprintf("the database's history differs from the one it was built on at generation %d (restored from an older copy, then written to?)", s.Generation), nil
	}
	return true, "", nil
}

// Generation returns the generation counter: it changes with every
// committed write.
func (db *DB) Generation(ctx context.Context) (int64, error) {
	var gen int64
	err := db.r.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'generation'").Scan(&gen)
	return gen, err
}

// IntegrityCheck runs SQLite's integrity check and the schema's own
// invariants, returning an error describing the first problem found.
func (db *DB) IntegrityCheck(ctx context.Context) error {
	var res string
	if err := db.r.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return err
	}
	if res != "ok" {
		return fmt.Errorf("integrity check: %s", res)
	}
	rows, err := db.r.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return err
	}
	defer rows.Close()
	if rows.Next() {
		return errors.New("integrity check: a segment refers to a missing video or space")
	}
	var bad int
	err = db.r.QueryRowContext(ctx, `SELECT count(*) FROM segments s JOIN spaces p ON p.id = s.space
		WHERE length(s.vector) != 4 * p.dim`).Scan(&bad)
	if err != nil {
		return err
	}
	if bad > 0 {
		return fmt.Errorf("integrity check: %d vectors do not match their space's dimension", bad)
	}
	return nil
}
