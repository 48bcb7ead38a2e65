package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Mirror is how far one mirror of one space has got: every segment of
// the space written, and every deletion logged, at Generation or before
// is in Target; and so are the segments written at Generation+1 with ids
// up to AfterID (when not 0: a sync stopped inside one generation, which
// it sends in id order).
type Mirror struct {
	// Target names the copy ("weaviate http://127.0.0.1:8080 Clipvec").
	Target     string
	Model      string
	Dim        int
	Generation int64
	AfterID    int64
	// UpdatedAt is when Generation was recorded (UTC).
	UpdatedAt time.Time
}

// MirrorGeneration returns how far target has got in space (model, dim);
// ok is false when nothing was recorded (the target has nothing of the
// space yet).
func (db *DB) MirrorGeneration(ctx context.Context, target, model string, dim int) (m Mirror, ok bool, err error) {
	m = Mirror{Target: target, Model: model, Dim: dim}
	var at string
	err = db.r.QueryRowContext(ctx, `SELECT m.gen, m.after_id, m.updated_at FROM mirrors m JOIN spaces p ON p.id = m.space
		WHERE m.target = ? AND p.model = ? AND p.dim = ?`, target, model, dim).Scan(&m.Generation, &m.AfterID, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("read mirror %s of %s/%d: %w", target, model, dim, err)
	}
	m.UpdatedAt, _ = time.Parse(time.RFC3339Nano, at)
	return m, true, nil
}

// SetMirrorGeneration records that every change of space (model, dim) up
// to generation gen is in target, and so are the segments written at
// generation gen+1 with ids up to afterID (0: none of them), replacing
// what was recorded (backwards too: a target found behind is set back).
// It is no write of the store's data and leaves the generation alone.
// gen may not be ahead of the store's generation; the space must exist
// (ErrNotFound).
func (db *DB) SetMirrorGeneration(ctx context.Context, target, model string, dim int, gen, afterID int64) error {
	now := time.Now().UTC().Format(time.RFC3339Nano)
	err := db.write(ctx, func(tx *sql.Tx) error {
		var space, head int64
		err := tx.QueryRowContext(ctx, `SELECT p.id, (SELECT value FROM meta WHERE key = 'generation')
			FROM spaces p WHERE p.model = ? AND p.dim = ?`, model, dim).Scan(&space, &head)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("space %s/%d: %w", model, dim, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if gen < 0 || gen > head || afterID < 0 || afterID > 0 && gen >= head {
			return fmt.Errorf("generation %d, after segment %d, is not in the store (at generation %d)", gen, afterID, head)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO mirrors (target, space, gen, after_id, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (target, space) DO UPDATE SET gen = excluded.gen, after_id = excluded.after_id,
				updated_at = excluded.updated_at`,
			target, space, gen, afterID, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("record mirror %s of %s/%d at generation %d (after segment %d): %w", target, model, dim, gen, afterID, err)
	}
	return nil
}

// Mirrors lists what is recorded of target's spaces (of every target when
// target is ""), by target, model and dimension.
func (db *DB) Mirrors(ctx context.Context, target string) ([]Mirror, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT m.target, p.model, p.dim, m.gen, m.after_id, m.updated_at
		FROM mirrors m JOIN spaces p ON p.id = m.space
		WHERE ? = '' OR m.target = ? ORDER BY m.target, p.model, p.dim`, target, target)
	if err != nil {
		return nil, fmt.Errorf("read mirrors: %w", err)
	}
	defer rows.Close()
	var out []Mirror
	for rows.Next() {
		var m Mirror
		var at string
		if err := rows.Scan(&m.Target, &m.Model, &m.Dim, &m.Generation, &m.AfterID, &at); err != nil {
			return nil, fmt.Errorf("read mirrors: %w", err)
		}
		m.UpdatedAt, _ = time.Parse(time.RFC3339Nano, at)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read mirrors: %w", err)
	}
	return out, nil
}

// DeleteMirror forgets what is recorded of target (every space), so the
// next sync to it starts from nothing, and returns how many spaces it
// forgot. Like SetMirrorGeneration it leaves the generation alone.
func (db *DB) DeleteMirror(ctx context.Context, target string) (int, error) {
	var n int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM mirrors WHERE target = ?", target)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("forget mirror %s: %w", target, err)
	}
	return int(n), nil
}

// CountWrittenSince counts the segments of space (model, dim) last
// written at generation minGen or later, leaving out those of generation
// minGen with ids up to afterID: what Segments with MinGen and
// GenAfterID streams. It is a seek into the (space, gen) index.
func (tx *ReadTx) CountWrittenSince(ctx context.Context, model string, dim int, minGen, afterID int64) (int, error) {
	var n int
	err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM segments s JOIN spaces p ON p.id = s.space
		WHERE p.model = ? AND p.dim = ? AND s.gen >= ? AND (s.gen > ? OR s.id > ?)`,
		model, dim, minGen, minGen, afterID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count segments of %s/%d written since generation %d: %w", model, dim, minGen, err)
	}
	return n, nil
}
