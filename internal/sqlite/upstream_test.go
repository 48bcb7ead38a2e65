package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/clipvec/clipvec/internal/sqlite"
)

func TestRecordFetchCommitsWithTheSegments(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)

	// Rolled back: neither the segments nor the fetch.
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.UpsertSegment(seg("a", 0, 1, 0)); err != nil {
		t.Fatal(err)
	}
	if err := tx.RecordFetch(&sqlite.Fetch{Kind: "indexed-asset", ID: "a", IndexID: "ix", VideoID: "a", Segments: 1}); err != nil {
		t.Fatal(err)
	}
	tx.Rollback()
	if fs, err := db.Fetches(ctx, "", ""); err != nil || len(fs) != 0 {
		t.Fatalf("after rollback: %v %+v", err, fs)
	}

	// Committed: both, stamped with the transaction's generation.
	tx, err = db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx.UpsertSegment(seg("a", 0, 1, 0))
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	if err := tx.RecordFetch(&sqlite.Fetch{Kind: "indexed-asset", ID: "a", IndexID: "ix", VideoID: "a", Options: "audio,visual", Segments: 1, FetchedAt: at}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	fs, err := db.Fetches(ctx, "indexed-asset", "ix")
	if err != nil || len(fs) != 1 {
		t.Fatalf("%v %+v", err, fs)
	}
	if got := fs[0]; got.Gen != tx.Generation() || got.Options != "audio,visual" || !got.FetchedAt.Equal(at) || got.VideoID != "a" {
		t.Errorf("fetch %+v, want generation %d", got, tx.Generation())
	}
	if fs, _ := db.Fetches(ctx, "indexed-asset", "other"); len(fs) != 0 {
		t.Errorf("another index: %+v", fs)
	}

	// A fetch that stored nothing, in its own transaction, bumps nothing.
	gen, _ := db.Generation(ctx)
	if err := db.RecordFetch(ctx, &sqlite.Fetch{Kind: "embed-task-v1", ID: "t", VideoID: "t"}); err != nil {
		t.Fatal(err)
	}
	if g, _ := db.Generation(ctx); g != gen {
		t.Errorf("generation %d → %d", gen, g)
	}
	if fs, _ := db.Fetches(ctx, "", ""); len(fs) != 2 || fs[0].Kind != "embed-task-v1" || fs[0].Gen != gen {
		t.Errorf("fetches %+v", fs)
	}

	// Fetched again, its segments unchanged: the record is replaced,
	// stamped with the current generation, which stays.
	gen, _ = db.Generation(ctx)
	tx, err = db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx.UpsertSegment(seg("a", 0, 1, 0))
	if err := tx.RecordFetch(&sqlite.Fetch{Kind: "indexed-asset", ID: "a", IndexID: "ix", VideoID: "a", Segments: 1}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if g, _ := db.Generation(ctx); g != gen || tx.Unchanged != 1 {
		t.Errorf("generation %d → %d, %d unchanged; want the generation kept, 1 unchanged", gen, g, tx.Unchanged)
	}
	if fs, _ := db.Fetches(ctx, "indexed-asset", "ix"); len(fs) != 1 || fs[0].Gen != gen || fs[0].Options != "" {
		t.Errorf("fetch recorded again: %+v, want it replaced at generation %d", fs, gen)
	}

	// Deleting the video forgets its fetch.
	if _, _, err := db.DeleteVideos(ctx, []string{"a"}); err != nil {
		t.Fatal(err)
	}
	if fs, _ := db.Fetches(ctx, "indexed-asset", ""); len(fs) != 0 {
		t.Errorf("after delete: %+v", fs)
	}
}

func TestQueryCache(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	if _, err := db.CachedQuery(ctx, "marengo3.0", 3, "text", "dog"); !errors.Is(err, sqlite.ErrNotFound) {
		t.Fatalf("empty cache: %v", err)
	}
	gen, _ := db.Generation(ctx)
	q := &sqlite.CachedQuery{Model: "marengo3.0", Dim: 3, Kind: "text", Input: "dog", Vector: []float32{1, 2, 3}}
	if err := db.PutQuery(ctx, q); err != nil {
		t.Fatal(err)
	}
	if err := db.PutQuery(ctx, &sqlite.CachedQuery{Model: "marengo3.0", Dim: 3, Kind: "text", Input: "dog", Vector: []float32{4, 5, 6}}); err != nil {
		t.Fatal(err)
	}
	if err := db.PutQuery(ctx, &sqlite.CachedQuery{Model: "marengo3.0", Dim: 3, Kind: "image", Input: "dog", Vector: []float32{7, 8, 9}}); err != nil {
		t.Fatal(err)
	}
	if err := db.PutQuery(ctx, &sqlite.CachedQuery{Model: "marengo3.0", Dim: 4, Kind: "text", Input: "dog", Vector: []float32{1}}); err == nil {
		t.Error("a vector of the wrong length was cached")
	}
	got, err := db.CachedQuery(ctx, "marengo3.0", 3, "text", "dog")
	if err != nil || !slices.Equal(got.Vector, []float32{4, 5, 6}) {
		t.Errorf("cached: %v %+v", err, got)
	}
	all, err := db.CachedQueries(ctx)
	if err != nil || len(all) != 2 {
		t.Errorf("list: %v %+v", err, all)
	}
	if g, _ := db.Generation(ctx); g != gen {
		t.Errorf("caching queries bumped the generation %d → %d", gen, g)
	}
	if n, err := db.DeleteQueries(ctx); err != nil || n != 2 {
		t.Errorf("delete: %d %v", n, err)
	}
}

func TestMigrateV1File(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	write(t, db, seg("v", 0, 1, 2))
	db.Close()
	// Make it a schema v1 file, as clipvec before the upstream work wrote.
	downgrade(t, path, 1)
	db, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := all(t, db); len(got) != 1 {
		t.Errorf("segments after migration: %d", len(got))
	}
	if err := db.RecordFetch(ctx, &sqlite.Fetch{Kind: "embed-task-v1", ID: "t", VideoID: "v"}); err != nil {
		t.Errorf("no fetches table after migration: %v", err)
	}
	if _, err := db.Mirrors(ctx, ""); err != nil {
		t.Errorf("no mirrors table after migration: %v", err)
	}
	if sqlite.SchemaVersion() != 6 {
		t.Errorf("schema version %d", sqlite.SchemaVersion())
	}
	// Migration 3 gives the file an identity and its current generation
	// a token.
	head, err := db.Head(ctx)
	if err != nil || head.Generation != 1 {
		t.Fatalf("head after migration: %+v, %v", head, err)
	}
	if ok, why, err := db.Lineage(ctx, head); !ok || err != nil {
		t.Errorf("the head is not in its own history: %s %v", why, err)
	}
}
