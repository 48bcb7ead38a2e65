package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Fetch records an upstream object whose segments were stored: an embed
// task (v1 or v2) or an indexed asset.
type Fetch struct {
	// Kind is the source kind (embed-task-v1, embed-task-v2,
	// indexed-asset); ID the task or asset id; IndexID the asset's index
	// ("" for tasks).
	Kind, ID, IndexID string
	// VideoID is the video the segments were filed under.
	VideoID string
	// Options and Scopes are what was asked for, sorted and joined by
	// commas; "" means everything.
	Options, Scopes string
	// Segments counts the segments stored.
	Segments int
	// Gen is the generation that stored them (set by RecordFetch).
	Gen int64
	// FetchedAt is when (UTC, set by RecordFetch when zero).
	FetchedAt time.Time
}

const upsertFetch = `INSERT INTO fetches (kind, id, index_id, video_id, options, scopes, segments, gen, fetched_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (kind, index_id, id) DO UPDATE SET video_id = excluded.video_id, options = excluded.options,
		scopes = excluded.scopes, segments = excluded.segments, gen = excluded.gen, fetched_at = excluded.fetched_at`

func fetchArgs(f *Fetch) []any {
	if f.FetchedAt.IsZero() {
		f.FetchedAt = time.Now()
	}
	f.FetchedAt = f.FetchedAt.UTC()
	return []any{f.Kind, f.ID, f.IndexID, f.VideoID, f.Options, f.Scopes, f.Segments, f.Gen,
		f.FetchedAt.Format(time.RFC3339Nano)}
}

// RecordFetch records f in this transaction, stamped with its
// generation: it commits with the segments the transaction stores, or
// not at all. Recording an object again replaces the record. When the
// transaction changed nothing else (the object's segments were all
// stored already), the record alone does not move the generation on: it
// is stamped with the current one, as DB.RecordFetch does.
func (t *Tx) RecordFetch(f *Fetch) error {
	f.Gen = t.gen
	if !t.bumped {
		f.Gen = t.gen - 1
	}
	if _, err := t.tx.ExecContext(t.ctx, upsertFetch, fetchArgs(f)...); err != nil {
		return t.db.writeError(fmt.Errorf("record fetch of %s %s: %w", f.Kind, f.ID, err))
	}
	return nil
}

// RecordFetch records a fetch that stored no segments (every segment was
// filtered out), in a transaction of its own, stamped with the current
// generation. It does not bump the generation: no segment changed.
func (db *DB) RecordFetch(ctx context.Context, f *Fetch) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'generation'").Scan(&f.Gen); err != nil {
			return fmt.Errorf("record fetch of %s %s: %w", f.Kind, f.ID, err)
		}
		if _, err := tx.ExecContext(ctx, upsertFetch, fetchArgs(f)...); err != nil {
			return fmt.Errorf("record fetch of %s %s: %w", f.Kind, f.ID, err)
		}
		return nil
	})
}

// Fetches lists the recorded fetches of a kind ("" for every kind) and,
// when indexID is not "", of that index, by kind, index and id.
func (db *DB) Fetches(ctx context.Context, kind, indexID string) ([]Fetch, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT kind, id, index_id, video_id, options, scopes, segments, gen, fetched_at
		FROM fetches WHERE (? = '' OR kind = ?) AND (? = '' OR index_id = ?) ORDER BY kind, index_id, id`,
		kind, kind, indexID, indexID)
	if err != nil {
		return nil, fmt.Errorf("read fetches: %w", err)
	}
	defer rows.Close()
	var out []Fetch
	for rows.Next() {
		var f Fetch
		var at string
		if err := rows.Scan(&f.Kind, &f.ID, &f.IndexID, &f.VideoID, &f.Options, &f.Scopes, &f.Segments, &f.Gen, &at); err != nil {
			return nil, fmt.Errorf("read fetches: %w", err)
		}
		f.FetchedAt, _ = time.Parse(time.RFC3339Nano, at)
		out = append(out, f)
	}
	return out, rows.Err()
}

// CachedQuery is a query embedding made upstream and kept.
type CachedQuery struct {
	Model string
	Dim   int
	// Kind is "text" or "image".
	Kind string
	// Input is the text, the image URL, or "sha256:<hex>" of a local
	// image; Label is what the user typed.
	Input, Label string
	Vector       []float32
	CreatedAt    time.Time
}

// CachedQuery returns the cached embedding of (model, dim, kind, input),
// or an error wrapping ErrNotFound.
func (db *DB) CachedQuery(ctx context.Context, model string, dim int, kind, input string) (*CachedQuery, error) {
	q := CachedQuery{Model: model, Dim: dim, Kind: kind, Input: input}
	var blob []byte
	var at string
	err := db.r.QueryRowContext(ctx, `SELECT label, vector, created_at FROM queries
		WHERE model = ? AND dim = ? AND kind = ? AND input = ?`, model, dim, kind, input).Scan(&q.Label, &blob, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("cached %s query: %w", kind, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read cached %s query: %w", kind, err)
	}
	if q.Vector, err = DecodeVector(nil, blob); err != nil {
		return nil, fmt.Errorf("read cached %s query: %w", kind, err)
	}
	q.CreatedAt, _ = time.Parse(time.RFC3339Nano, at)
	return &q, nil
}

// PutQuery caches a query embedding, replacing one with the same model,
// dimension, kind and input. It does not bump the generation.
func (db *DB) PutQuery(ctx context.Context, q *CachedQuery) error {
	return db.PutQueries(ctx, []*CachedQuery{q})
}

// PutQueries caches several query embeddings in one transaction: all of
// them, or none.
func (db *DB) PutQueries(ctx context.Context, qs []*CachedQuery) error {
	for _, q := range qs {
		if len(q.Vector) != q.Dim {
			return fmt.Errorf("cache %s query: vector has %d values, want %d", q.Kind, len(q.Vector), q.Dim)
		}
		if q.CreatedAt.IsZero() {
			q.CreatedAt = time.Now()
		}
		q.CreatedAt = q.CreatedAt.UTC()
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		for _, q := range qs {
			_, err := tx.ExecContext(ctx, `INSERT INTO queries (model, dim, kind, input, label, vector, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (model, dim, kind, input) DO UPDATE SET label = excluded.label, vector = excluded.vector,
				created_at = excluded.created_at`,
				q.Model, q.Dim, q.Kind, q.Input, q.Label, AppendVector(nil, q.Vector), q.CreatedAt.Format(time.RFC3339Nano))
			if err != nil {
				return fmt.Errorf("cache %s query: %w", q.Kind, err)
			}
		}
		return nil
	})
}

// CachedQueries lists the query cache, newest first, vectors included.
func (db *DB) CachedQueries(ctx context.Context) ([]CachedQuery, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT model, dim, kind, input, label, vector, created_at
		FROM queries ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("read query cache: %w", err)
	}
	defer rows.Close()
	var out []CachedQuery
	for rows.Next() {
		var q CachedQuery
		var blob sql.RawBytes
		var at string
		if err := rows.Scan(&q.Model, &q.Dim, &q.Kind, &q.Input, &q.Label, &blob, &at); err != nil {
			return nil, fmt.Errorf("read query cache: %w", err)
		}
		if q.Vector, err = DecodeVector(nil, blob); err != nil {
			return nil, fmt.Errorf("read query cache: %w", err)
		}
		q.CreatedAt, _ = time.Parse(time.RFC3339Nano, at)
		out = append(out, q)
	}
	return out, rows.Err()
}

// DeleteQueries empties the query cache and returns how many entries
// went.
func (db *DB) DeleteQueries(ctx context.Context) (int, error) {
	var n int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM queries")
		if err != nil {
			return fmt.Errorf("clear query cache: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
