package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// Segment is a stored segment row.
type Segment struct {
	ID         int64
	VideoID    string
	Model      string
	Option     string
	Scope      string
	Start, End float64
	SourceKind string
	SourceID   string
	Norm       float64
	Vector     []float32 // unit length
	Gen        int64
}

// Video is a stored video row. Zero fields are unknown.
type Video struct {
	ID           string
	Filename     string
	Duration     float64
	FPS          float64
	Width        int
	Height       int
	UserMetadata []byte // JSON object or nil
	// ThumbnailURL is an image of the video (typically an http(s) or
	// data: URL), as the import named it: shown, never fetched here.
	ThumbnailURL string
	// Segments counts the video's segments (filled by Videos).
	Segments int
}

type spaceKey struct {
	model string
	dim   int
}

type segKey struct {
	video, space  int64
	option, scope string
	start, end    float64
}

// Tx is one write transaction: an import of one file, typically. It
// moves the generation on with its first change, and only then: a Tx
// that finds every segment and video as it is stored changes nothing,
// and commits nothing. A rolled-back Tx leaves no trace. A Tx is not
// safe for concurrent use.
type Tx struct {
	db  *DB
	ctx context.Context
	tx  *sql.Tx
	gen int64 // the generation the transaction writes, if it changes anything
	// bumped: the generation counter was moved on to gen (the first
	// change did it).
	bumped bool

	findSeg, insertSeg, updateSeg *sql.Stmt
	videos                        map[string]int64
	spaces                        map[spaceKey]int64
	blob                          []byte
	// newVideos holds the videos this transaction created, and added the
	// segments it inserted for them: a segment of a new video can only
	// collide with one of those, so it needs no SELECT (measured: a third
	// of the cost of storing a 512-d segment).
	newVideos map[int64]bool
	added     map[segKey]int64
	// stamped holds the videos whose row this transaction stamped with
	// its generation (a video whose segments or metadata changed).
	stamped map[int64]bool

	// Inserted, Replaced and Unchanged count segment upserts so far:
	// new segments, stored segments given another vector or provenance,
	// and stored segments found exactly as given (left as they are).
	Inserted, Replaced, Unchanged int
}

// importStmts are the statements every import transaction runs.
type importStmts struct {
	once                          sync.Once
	err                           error
	findSeg, insertSeg, updateSeg *sql.Stmt
}

func (db *DB) prepareOnce(ctx context.Context) error {
	st := &db.stmts
	st.once.Do(func() {
		prep := func(q string) *sql.Stmt {
			if st.err != nil {
				return nil
			}
			var s *sql.Stmt
			s, st.err = db.w.PrepareContext(ctx, q)
			return s
		}
		st.findSeg = prep(`SELECT id, source_kind, source_id, norm, vector FROM segments WHERE video = ? AND space = ? AND option = ? AND scope = ? AND start_sec = ? AND end_sec = ?`)
		st.insertSeg = prep(`INSERT INTO segments (video, space, option, scope, start_sec, end_sec, source_kind, source_id, norm, vector, gen)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		st.updateSeg = prep(`UPDATE segments SET source_kind = ?, source_id = ?, norm = ?, vector = ?, gen = ? WHERE id = ?`)
	})
	if st.err != nil {
		return fmt.Errorf("prepare import statements: %w", st.err)
	}
	return nil
}

// Begin starts a write transaction (waiting up to the busy timeout for
// another writer to finish).
func (db *DB) Begin(ctx context.Context) (*Tx, error) {
	t, err := db.begin(ctx)
	return t, db.writeError(err)
}

func (db *DB) begin(ctx context.Context) (*Tx, error) {
	if db.w == nil {
		return nil, ErrReadOnly
	}
	// Before BeginTx: the writer pool has one connection, which the
	// transaction then holds.
	if err := db.prepareOnce(ctx); err != nil {
		return nil, err
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin write: %w", err)
	}
	t := &Tx{db: db, ctx: ctx, tx: tx, videos: map[string]int64{}, spaces: map[spaceKey]int64{},
		newVideos: map[int64]bool{}, added: map[segKey]int64{}, stamped: map[int64]bool{}}
	// The write lock is held (IMMEDIATE): no other writer can move the
	// generation before this transaction does.
	if err := tx.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'generation'").Scan(&t.gen); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("read generation: %w", err)
	}
	t.gen++
	// Statements prepared once on the writer connection, bound to this
	// transaction without preparing again.
	t.findSeg = tx.StmtContext(ctx, db.stmts.findSeg)
	t.insertSeg = tx.StmtContext(ctx, db.stmts.insertSeg)
	t.updateSeg = tx.StmtContext(ctx, db.stmts.updateSeg)
	return t, nil
}

// Generation is the generation this transaction writes, if it changes
// anything.
func (t *Tx) Generation() int64 { return t.gen }

// Changed reports whether the transaction has changed anything so far.
func (t *Tx) Changed() bool { return t.bumped }

// change moves the generation on, once, before the transaction's first
// change.
func (t *Tx) change() error {
	if t.bumped {
		return nil
	}
	gen, err := bumpGeneration(t.ctx, t.tx)
	if err != nil {
		return err
	}
	if gen != t.gen {
		return fmt.Errorf("the generation moved to %d during a write that began at %d", gen, t.gen-1)
	}
	t.bumped = true
	return nil
}

// stamp records that video row changed in this transaction.
func (t *Tx) stamp(video int64) error {
	if t.stamped[video] {
		return nil
	}
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE videos SET gen = ? WHERE id = ?`, t.gen, video); err != nil {
		return err
	}
	t.stamped[video] = true
	return nil
}

// Commit commits the transaction.
func (t *Tx) Commit() error {
	if err := t.tx.Commit(); err != nil {
		return t.db.writeError(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// Rollback abandons the transaction; safe after Commit.
func (t *Tx) Rollback() error {
	err := t.tx.Rollback()
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

func (t *Tx) videoRow(id string) (int64, error) {
	if row, ok := t.videos[id]; ok {
		return row, nil
	}
	var row int64
	err := t.tx.QueryRowContext(t.ctx, `SELECT id FROM videos WHERE video_id = ?`, id).Scan(&row)
	if errors.Is(err, sql.ErrNoRows) {
		if err = t.change(); err == nil {
			err = t.tx.QueryRowContext(t.ctx, `INSERT INTO videos (video_id, gen) VALUES (?, ?) RETURNING id`, id, t.gen).Scan(&row)
		}
		t.newVideos[row] = true
		t.stamped[row] = true
	}
	if err != nil {
		return 0, fmt.Errorf("add video %s: %w", id, err)
	}
	t.videos[id] = row
	return row, nil
}

func (t *Tx) spaceRow(model string, dim int) (int64, error) {
	k := spaceKey{model, dim}
	if row, ok := t.spaces[k]; ok {
		return row, nil
	}
	var row int64
	err := t.tx.QueryRowContext(t.ctx, `SELECT id FROM spaces WHERE model = ? AND dim = ?`, model, dim).Scan(&row)
	if errors.Is(err, sql.ErrNoRows) {
		if err = t.change(); err == nil {
			err = t.tx.QueryRowContext(t.ctx, `INSERT INTO spaces (model, dim) VALUES (?, ?) RETURNING id`, model, dim).Scan(&row)
		}
	}
	if err != nil {
		return 0, fmt.Errorf("add space %s/%d: %w", model, dim, err)
	}
	t.spaces[k] = row
	return row, nil
}

// UpsertSegment stores s, replacing the vector and provenance of the
// segment with the same video, space, option, scope and times if there is
// one. It reports whether it replaced one. A stored segment that already
// has s's vector (bit for bit), norm and provenance is left as it is,
// generation included, and counted as Unchanged.
func (t *Tx) UpsertSegment(s *Segment) (replaced bool, err error) {
	replaced, err = t.upsertSegment(s)
	return replaced, t.db.writeError(err)
}

func (t *Tx) upsertSegment(s *Segment) (replaced bool, err error) {
	video, err := t.videoRow(s.VideoID)
	if err != nil {
		return false, err
	}
	space, err := t.spaceRow(s.Model, len(s.Vector))
	if err != nil {
		return false, err
	}
	t.blob = AppendVector(t.blob[:0], s.Vector)
	// A new video's segments are known from this transaction alone;
	// an existing video's are looked up.
	key := segKey{video, space, s.Option, s.Scope, s.Start, s.End}
	newVideo := t.newVideos[video]
	var id int64
	found := false
	if newVideo {
		id, found = t.added[key]
	} else {
		var same bool
		var err error
		id, found, same, err = t.stored(video, space, s)
		if err != nil {
			return false, fmt.Errorf("find segment: %w", err)
		}
		if same {
			t.Unchanged++
			return false, nil
		}
	}
	if err := t.change(); err != nil {
		return false, err
	}
	if err := t.stamp(video); err != nil {
		return false, fmt.Errorf("stamp video %s: %w", s.VideoID, err)
	}
	if found {
		if _, err := t.updateSeg.ExecContext(t.ctx, s.SourceKind, s.SourceID, s.Norm, t.blob, t.gen, id); err != nil {
			return false, fmt.Errorf("replace segment %d: %w", id, err)
		}
		t.Replaced++
		return true, nil
	}
	res, err := t.insertSeg.ExecContext(t.ctx, video, space, s.Option, s.Scope, s.Start, s.End,
		s.SourceKind, s.SourceID, s.Norm, t.blob, t.gen)
	if err != nil {
		return false, fmt.Errorf("insert segment: %w", err)
	}
	if newVideo {
		if t.added[key], err = res.LastInsertId(); err != nil {
			return false, err
		}
	}
	t.Inserted++
	return false, nil
}

// stored looks up the segment of video and space with s's option, scope
// and times: its id, and whether it holds s's vector (t.blob), norm and
// provenance already. The row's bytes are compared where the driver
// holds them, without copies.
func (t *Tx) stored(video, space int64, s *Segment) (id int64, found, same bool, err error) {
	rows, err := t.findSeg.QueryContext(t.ctx, video, space, s.Option, s.Scope, s.Start, s.End)
	if err != nil {
		return 0, false, false, err
	}
	defer rows.Close()
	if !rows.Next() {
		return 0, false, false, rows.Err()
	}
	var kind, source, blob sql.RawBytes
	var norm float64
	if err := rows.Scan(&id, &kind, &source, &norm, &blob); err != nil {
		return 0, false, false, err
	}
	same = string(kind) == s.SourceKind && string(source) == s.SourceID && norm == s.Norm && bytes.Equal(blob, t.blob)
	return id, true, same, rows.Close()
}

// UpsertVideo records v's metadata: fields it knows replace stored ones,
// zero fields keep what is stored. A video that already has every field v
// gives is left as it is.
func (t *Tx) UpsertVideo(v *Video) error { return t.db.writeError(t.upsertVideo(v)) }

func (t *Tx) upsertVideo(v *Video) error {
	row, err := t.videoRow(v.ID)
	if err != nil {
		return err
	}
	var um any
	if len(v.UserMetadata) > 0 {
		um = string(v.UserMetadata)
	}
	// Only when a field it gives differs (IS NOT: NULL-safe).
	res, err := t.tx.ExecContext(t.ctx, `UPDATE videos SET
			filename = coalesce(?1, filename), duration = coalesce(?2, duration), fps = coalesce(?3, fps),
			width = coalesce(?4, width), height = coalesce(?5, height), user_metadata = coalesce(?6, user_metadata),
			thumbnail_url = coalesce(?7, thumbnail_url), gen = ?8
		WHERE id = ?9 AND (filename IS NOT coalesce(?1, filename) OR duration IS NOT coalesce(?2, duration)
			OR fps IS NOT coalesce(?3, fps) OR width IS NOT coalesce(?4, width) OR height IS NOT coalesce(?5, height)
			OR user_metadata IS NOT coalesce(?6, user_metadata) OR thumbnail_url IS NOT coalesce(?7, thumbnail_url))`,
		nullString(v.Filename), nullFloat(v.Duration), nullFloat(v.FPS), nullInt(v.Width), nullInt(v.Height), um,
		nullString(v.ThumbnailURL), t.gen, row)
	if err != nil {
		return fmt.Errorf("update video %s: %w", v.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	t.stamped[row] = true
	return t.change()
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullFloat(f float64) any {
	if f == 0 {
		return nil
	}
	return f
}

func nullInt(i int) any {
	if i == 0 {
		return nil
	}
	return i
}

// DeleteVideos deletes the videos and all their segments in one
// transaction and returns how many segments went and the spaces they were
// in. A video that does not exist fails the whole call with ErrNotFound,
// deleting nothing.
func (db *DB) DeleteVideos(ctx context.Context, ids []string) (segments int, spaces []Space, err error) {
	err = db.write(ctx, func(tx *sql.Tx) error {
		if _, err := bumpGeneration(ctx, tx); err != nil {
			return err
		}
		touched := map[Space]bool{}
		for _, id := range ids {
			var n int
			err := tx.QueryRowContext(ctx, `SELECT count(s.id) FROM videos v LEFT JOIN segments s ON s.video = v.id
				WHERE v.video_id = ? GROUP BY v.id`, id).Scan(&n)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("video %s: %w", id, ErrNotFound)
			}
			if err != nil {
				return err
			}
			rows, err := tx.QueryContext(ctx, `SELECT DISTINCT p.model, p.dim FROM segments s
				JOIN videos v ON v.id = s.video JOIN spaces p ON p.id = s.space WHERE v.video_id = ?`, id)
			if err != nil {
				return err
			}
			for rows.Next() {
				var sp Space
				if err := rows.Scan(&sp.Model, &sp.Dim); err != nil {
					rows.Close()
					return err
				}
				touched[sp] = true
			}
			if err := rows.Close(); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM videos WHERE video_id = ?", id); err != nil {
				return fmt.Errorf("delete video %s: %w", id, err)
			}
			segments += n
		}
		for sp := range touched {
			spaces = append(spaces, sp)
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return segments, spaces, nil
}
