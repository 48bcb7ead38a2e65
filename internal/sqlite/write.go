package sqlite

import (
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

// Tx is one write transaction: an import of one file, typically. The
// generation is bumped when it begins, so a rolled-back Tx leaves no
// trace. A Tx is not safe for concurrent use.
type Tx struct {
	ctx context.Context
	tx  *sql.Tx
	gen int64

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

	// Inserted and Replaced count segment upserts so far.
	Inserted, Replaced int
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
		st.findSeg = prep(`SELECT id FROM segments WHERE video = ? AND space = ? AND option = ? AND scope = ? AND start_sec = ? AND end_sec = ?`)
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
	t := &Tx{ctx: ctx, tx: tx, videos: map[string]int64{}, spaces: map[spaceKey]int64{},
		newVideos: map[int64]bool{}, added: map[segKey]int64{}}
	if t.gen, err = bumpGeneration(ctx, tx); err != nil {
		tx.Rollback()
		return nil, err
	}
	// Statements prepared once on the writer connection, bound to this
	// transaction without preparing again.
	t.findSeg = tx.StmtContext(ctx, db.stmts.findSeg)
	t.insertSeg = tx.StmtContext(ctx, db.stmts.insertSeg)
	t.updateSeg = tx.StmtContext(ctx, db.stmts.updateSeg)
	return t, nil
}

// Generation is the generation this transaction writes.
func (t *Tx) Generation() int64 { return t.gen }

// Commit commits the transaction.
func (t *Tx) Commit() error {
	if err := t.tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
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
	err := t.tx.QueryRowContext(t.ctx, `UPDATE videos SET gen = ? WHERE video_id = ? RETURNING id`, t.gen, id).Scan(&row)
	if errors.Is(err, sql.ErrNoRows) {
		err = t.tx.QueryRowContext(t.ctx, `INSERT INTO videos (video_id, gen) VALUES (?, ?) RETURNING id`, id, t.gen).Scan(&row)
		t.newVideos[row] = true
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
	err := t.tx.QueryRowContext(t.ctx, `INSERT INTO spaces (model, dim) VALUES (?, ?)
		ON CONFLICT (model, dim) DO UPDATE SET model = excluded.model RETURNING id`, model, dim).Scan(&row)
	if err != nil {
		return 0, fmt.Errorf("add space %s/%d: %w", model, dim, err)
	}
	t.spaces[k] = row
	return row, nil
}

// UpsertSegment stores s, replacing the vector and provenance of the
// segment with the same video, space, option, scope and times if there is
// one. It reports whether it replaced one.
func (t *Tx) UpsertSegment(s *Segment) (replaced bool, err error) {
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
		switch err := t.findSeg.QueryRowContext(t.ctx, video, space, s.Option, s.Scope, s.Start, s.End).Scan(&id); {
		case err == nil:
			found = true
		case !errors.Is(err, sql.ErrNoRows):
			return false, fmt.Errorf("find segment: %w", err)
		}
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

// UpsertVideo records v's metadata: fields it knows replace stored ones,
// zero fields keep what is stored.
func (t *Tx) UpsertVideo(v *Video) error {
	if _, err := t.videoRow(v.ID); err != nil {
		return err
	}
	var um any
	if len(v.UserMetadata) > 0 {
		um = string(v.UserMetadata)
	}
	_, err := t.tx.ExecContext(t.ctx, `UPDATE videos SET
			filename = coalesce(?, filename), duration = coalesce(?, duration), fps = coalesce(?, fps),
			width = coalesce(?, width), height = coalesce(?, height), user_metadata = coalesce(?, user_metadata),
			thumbnail_url = coalesce(?, thumbnail_url), gen = ?
		WHERE video_id = ?`,
		nullString(v.Filename), nullFloat(v.Duration), nullFloat(v.FPS), nullInt(v.Width), nullInt(v.Height), um,
		nullString(v.ThumbnailURL), t.gen, v.ID)
	if err != nil {
		return fmt.Errorf("update video %s: %w", v.ID, err)
	}
	return nil
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
