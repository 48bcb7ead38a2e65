package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/clipvec/clipvec/internal/sqlite"
)

// asV3File writes each batch of segments in its own transaction to a new
// file at path and makes it a schema v3 file (before whole-video vectors
// had one name), returning its head.
func asV3File(t testing.TB, path string, batches ...[]*sqlite.Segment) sqlite.Stamp {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		write(t, db, b...)
	}
	head, err := db.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	// Migration 4 changes data only: an older file differs in its
	// version, in the rows it may hold and in what later migrations add.
	downgrade(t, path, 3)
	return head
}

// downgrade makes the current-schema file at path what an older clipvec,
// of schema version, wrote: it undoes the migrations after version that
// changed the schema, and sets the file's version.
func downgrade(t testing.TB, path string, version int) {
	t.Helper()
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var undo []string
	if version < 6 {
		undo = append(undo, "DROP TABLE mirrors")
	}
	if version < 5 {
		undo = append(undo, "ALTER TABLE videos DROP COLUMN thumbnail_url")
	}
	if version < 3 {
		undo = append(undo, "DROP TABLE generations", "DELETE FROM meta WHERE key = 'store_id'")
	}
	if version < 2 {
		undo = append(undo, "DROP TRIGGER videos_deleted_fetches", "DROP TABLE fetches", "DROP TABLE queries")
	}
	undo = append(undo, fmt.Sprintf("PRAGMA user_version = %d", version))
	for _, q := range undo {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("make a v%d file: %s: %v", version, q, err)
		}
	}
}

// whole is a whole-video segment of video, of scope "asset" or "video".
func whole(video, scope string, end float64, vec ...float32) *sqlite.Segment {
	s := seg(video, 0, vec...)
	s.Scope, s.End, s.SourceKind, s.SourceID = scope, end, "embed-task-v2", video
	return s
}

// byKey indexes segments by "video scope start-end".
func byKey(segs []sqlite.Segment) map[string]sqlite.Segment {
	m := map[string]sqlite.Segment{}
	for _, s := range segs {
		m[fmt.Sprintf("%s %s %g-%g", s.VideoID, s.Scope, s.Start, s.End)] = s
	}
	return m
}

func TestMigrateAssetScopeToVideo(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "v3.db")
		old := asV3File(t, path, []*sqlite.Segment{seg("v", 0, 1, 2)}, []*sqlite.Segment{whole("v", "asset", 9, 3, 4)},
			[]*sqlite.Segment{seg("w", 0, 5, 6)})
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		got := byKey(all(t, db))
		if len(got) != 3 {
			t.Fatalf("segments after migration: %+v", got)
		}
		w, ok := got["v video 0-9"]
		if !ok {
			t.Fatalf("no whole-video segment of scope video: %+v", got)
		}
		head, err := db.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := head.Generation, old.Generation+1; got != want {
			t.Errorf("generation %d, want %d", got, want)
		}
		if w.Gen != head.Generation || w.ID != 2 || w.SourceKind != "embed-task-v2" {
			t.Errorf("renamed segment %+v, want id 2 from embed-task-v2 written at generation %d", w, head.Generation)
		}
		if c := got["v clip 0-6"]; c.Gen != 1 {
			t.Errorf("a clip was rewritten: %+v", c)
		}
		if ok, why, err := db.Lineage(ctx, old); !ok || err != nil {
			t.Errorf("the old head left the store's history: %s %v", why, err)
		}
		if ok, why, err := db.Lineage(ctx, head); !ok || err != nil {
			t.Errorf("the new head is not in the store's history: %s %v", why, err)
		}
		if changed, err := db.ChangedSince(ctx, "marengo3.0", 2, old.Generation); !changed || err != nil {
			t.Errorf("ChangedSince(old generation) = %v, %v; want true", changed, err)
		}
	})

	// A video holding a segment under both names keeps the one written
	// last (the video one when one transaction wrote both); the other is
	// deleted, at the new generation.
	t.Run("OKTwins", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "v3.db")
		old := asV3File(t, path,
			[]*sqlite.Segment{whole("a", "asset", 9, 1, 0)}, []*sqlite.Segment{whole("a", "video", 9, 0, 1)}, // the video one is newer
			[]*sqlite.Segment{whole("b", "video", 9, 1, 0)}, []*sqlite.Segment{whole("b", "asset", 9, 0, 1)}, // the asset one is newer
			[]*sqlite.Segment{whole("c", "asset", 9, 1, 0), whole("c", "video", 9, 0, 1)}) // written together
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		got := byKey(all(t, db))
		if len(got) != 3 {
			t.Fatalf("segments after migration: %+v", got)
		}
		for video, id := range map[string]int64{"a": 2, "b": 4, "c": 6} {
			if s := got[video+" video 0-9"]; s.ID != id || !slices.Equal(s.Vector, []float32{0, 1}) {
				t.Errorf("video %s kept %+v, want segment %d", video, s, id)
			}
		}
		deleted, err := db.DeletedSince(ctx, "marengo3.0", 2, old.Generation+1)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(deleted)
		if !slices.Equal(deleted, []int64{1, 3, 5}) {
			t.Errorf("deleted since the migration: %v, want [1 3 5]", deleted)
		}
	})

	t.Run("OKNoAssets", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "v3.db")
		old := asV3File(t, path, []*sqlite.Segment{seg("v", 0, 1, 2), whole("v", "video", 9, 3, 4)})
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if head, err := db.Head(ctx); err != nil || head != old {
			t.Errorf("head %+v (%v), want %+v: nothing to rename, nothing written", head, err, old)
		}
	})
}

// A v4 file (before thumbnails) gets the column, empty, and keeps its
// rows, its generation and its history: adding a column is no write.
func TestMigrateThumbnailColumn(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v4.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.UpsertSegment(seg("v", 0, 1, 2)); err != nil {
		t.Fatal(err)
	}
	err = tx.UpsertVideo(&sqlite.Video{ID: "v", Filename: "v.mp4", Duration: 18, FPS: 25, Width: 640, Height: 360,
		UserMetadata: []byte(`{"k":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	old, err := db.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	downgrade(t, path, 4)
	if hasColumn(t, path, "videos", "thumbnail_url") {
		t.Fatal("the v4 file has a thumbnail_url column")
	}

	db, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if !hasColumn(t, path, "videos", "thumbnail_url") {
		t.Fatal("no thumbnail_url column after the migration")
	}
	if got, want := userVersion(t, path), sqlite.SchemaVersion(); got != want || want < 5 {
		t.Errorf("schema version %d after the migration, want %d (and at least 5 known)", got, want)
	}
	want := sqlite.Video{ID: "v", Filename: "v.mp4", Duration: 18, FPS: 25, Width: 640, Height: 360,
		UserMetadata: []byte(`{"k":1}`), Segments: 1}
	v, err := db.Video(ctx, "v")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*v, want) {
		t.Errorf("video after the migration %+v, want %+v", *v, want)
	}
	if got := all(t, db); len(got) != 1 || got[0].Gen != old.Generation || !slices.Equal(got[0].Vector, seg("v", 0, 1, 2).Vector) {
		t.Errorf("segments after the migration: %+v", got)
	}
	if head, err := db.Head(ctx); err != nil || head != old {
		t.Errorf("head %+v (%v), want %+v: adding a column writes nothing", head, err, old)
	}

	// The column takes a thumbnail, and the other fields stay.
	tx, err = db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.UpsertVideo(&sqlite.Video{ID: "v", ThumbnailURL: "https://example.com/v.jpg"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	want.ThumbnailURL = "https://example.com/v.jpg"
	if v, err := db.Video(ctx, "v"); err != nil || !reflect.DeepEqual(*v, want) {
		t.Errorf("video with a thumbnail %+v (%v), want %+v", v, err, want)
	}
}

// hasColumn reports whether the file at path has table.column.
func hasColumn(t testing.TB, path, table, column string) bool {
	t.Helper()
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var n int
	err = raw.QueryRow("SELECT count(*) FROM pragma_table_info(?) WHERE name = ?", table, column).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// userVersion reads the schema version of the file at path.
func userVersion(t testing.TB, path string) int {
	t.Helper()
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var v int
	if err := raw.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// A v5 file (before mirrors) gets an empty mirrors table and keeps its
// rows, generation and history; progress can then be recorded in it.
func TestMigrateMirrorsTable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v5.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	write(t, db, seg("v", 0, 1, 2), seg("v", 6, 3, 4))
	old, err := db.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	downgrade(t, path, 5)
	if got := userVersion(t, path); got != 5 {
		t.Fatalf("downgraded file has version %d, want 5", got)
	}

	db, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got, want := userVersion(t, path), sqlite.SchemaVersion(); got != want || want < 6 {
		t.Errorf("schema version %d after the migration, want %d (and at least 6 known)", got, want)
	}
	if head, err := db.Head(ctx); err != nil || head != old {
		t.Errorf("head %+v (%v), want %+v: creating a table writes nothing", head, err, old)
	}
	if ms, err := db.Mirrors(ctx, ""); err != nil || len(ms) != 0 {
		t.Errorf("Mirrors after the migration = %+v, %v; want none", ms, err)
	}
	if err := db.SetMirrorGeneration(ctx, "t", "marengo3.0", 2, old.Generation, 0); err != nil {
		t.Fatal(err)
	}
	if m, ok, err := db.MirrorGeneration(ctx, "t", "marengo3.0", 2); err != nil || !ok || m.Generation != old.Generation {
		t.Errorf("MirrorGeneration = %+v, %v, %v; want generation %d", m, ok, err, old.Generation)
	}
}
