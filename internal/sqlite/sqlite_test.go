package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/clipvec/clipvec/internal/sqlite"
)

func openDB(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "sub", "clipvec.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func seg(video string, start float64, vec ...float32) *sqlite.Segment {
	return &sqlite.Segment{VideoID: video, Model: "marengo3.0", Option: "visual", Scope: "clip",
		Start: start, End: start + 6, SourceKind: "file", SourceID: "x.json", Norm: 1, Vector: vec}
}

func write(t testing.TB, db *sqlite.DB, segs ...*sqlite.Segment) (inserted, replaced int) {
	t.Helper()
	tx := writeTx(t, db, segs...)
	return tx.Inserted, tx.Replaced
}

// writeTx writes segs in one transaction and returns it, committed.
func writeTx(t testing.TB, db *sqlite.DB, segs ...*sqlite.Segment) *sqlite.Tx {
	t.Helper()
	tx, err := db.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, s := range segs {
		if _, err := tx.UpsertSegment(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return tx
}

func all(t testing.TB, db *sqlite.DB) []sqlite.Segment {
	t.Helper()
	var out []sqlite.Segment
	err := db.Segments(context.Background(), sqlite.SegmentQuery{}, func(s *sqlite.Segment) error {
		c := *s
		c.Vector = append([]float32(nil), s.Vector...)
		out = append(out, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestUpsertIsIdempotent(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	if ins, rep := write(t, db, seg("a", 0, 1, 0), seg("a", 6, 0, 1)); ins != 2 || rep != 0 {
		t.Fatalf("first write: %d inserted, %d replaced", ins, rep)
	}
	g1, _ := db.Generation(ctx)
	// One segment with a new vector, one exactly as stored.
	tx := writeTx(t, db, seg("a", 0, 0.6, 0.8), seg("a", 6, 0, 1))
	if tx.Inserted != 0 || tx.Replaced != 1 || tx.Unchanged != 1 {
		t.Fatalf("second write: %d inserted, %d replaced, %d unchanged; want 0, 1, 1", tx.Inserted, tx.Replaced, tx.Unchanged)
	}
	g2, _ := db.Generation(ctx)
	if g2 != g1+1 {
		t.Errorf("generation %d then %d, want +1 per write", g1, g2)
	}
	got := all(t, db)
	if len(got) != 2 {
		t.Fatalf("%d segments after re-import, want 2", len(got))
	}
	if got[0].Vector[0] != 0.6 || got[0].Vector[1] != 0.8 || got[0].Gen != g2 {
		t.Errorf("replaced segment = %+v, want vector [0.6 0.8] at generation %d", got[0], g2)
	}
	if got[1].Gen != g1 {
		t.Errorf("unchanged segment has generation %d, want %d: it was not written", got[1].Gen, g1)
	}
	spaces, err := db.Spaces(ctx)
	if err != nil || len(spaces) != 1 || spaces[0] != (sqlite.Space{Model: "marengo3.0", Dim: 2, Segments: 2, Videos: 1}) {
		t.Errorf("spaces = %+v, %v", spaces, err)
	}
}

// TestUnchangedWriteChangesNothing: a transaction that finds every
// segment and video as stored writes nothing, not even a generation;
// any difference (vector bits, norm, provenance, a video field) is a
// change.
func TestUnchangedWriteChangesNothing(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	video := &sqlite.Video{ID: "a", Filename: "a.mp4", Duration: 18, UserMetadata: []byte(`{"k":1}`)}
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*sqlite.Segment{seg("a", 0, 1, 0), seg("a", 6, 0, 1)} {
		if _, err := tx.UpsertSegment(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.UpsertVideo(video); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	head, _ := db.Head(ctx)
	v0, _ := db.Video(ctx, "a")

	again := func(t *testing.T, v *sqlite.Video, segs ...*sqlite.Segment) *sqlite.Tx {
		t.Helper()
		tx, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		for _, s := range segs {
			if _, err := tx.UpsertSegment(s); err != nil {
				t.Fatal(err)
			}
		}
		if v != nil {
			if err := tx.UpsertVideo(v); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		return tx
	}
	t.Run("OK", func(t *testing.T) {
		// A video update naming only some fields, all as stored.
		tx := again(t, &sqlite.Video{ID: "a", Duration: 18}, seg("a", 0, 1, 0), seg("a", 6, 0, 1))
		if tx.Changed() || tx.Inserted != 0 || tx.Replaced != 0 || tx.Unchanged != 2 {
			t.Fatalf("changed %v, %d inserted, %d replaced, %d unchanged; want nothing changed, 2 unchanged",
				tx.Changed(), tx.Inserted, tx.Replaced, tx.Unchanged)
		}
		if got, _ := db.Head(ctx); got != head {
			t.Errorf("head %+v after an unchanged write, want %+v", got, head)
		}
		if v, _ := db.Video(ctx, "a"); !reflect.DeepEqual(v, v0) {
			t.Errorf("video %+v, want %+v", v, v0)
		}
	})
	for _, tc := range []struct {
		name  string
		video *sqlite.Video
		seg   *sqlite.Segment
	}{
		{"VectorBits", nil, seg("a", 0, 1, 1e-30)},
		{"Norm", nil, func() *sqlite.Segment { s := seg("a", 0, 1, 0); s.Norm = 2; return s }()},
		{"Provenance", nil, func() *sqlite.Segment { s := seg("a", 0, 1, 0); s.SourceID = "y.json"; return s }()},
		{"VideoField", &sqlite.Video{ID: "a", FPS: 25}, nil},
		{"NewVideo", &sqlite.Video{ID: "b"}, nil},
	} {
		t.Run("Changed"+tc.name, func(t *testing.T) {
			before, _ := db.Generation(ctx)
			var segs []*sqlite.Segment
			if tc.seg != nil {
				segs = append(segs, tc.seg)
			}
			tx := again(t, tc.video, segs...)
			after, _ := db.Generation(ctx)
			if !tx.Changed() || after != before+1 {
				t.Errorf("changed %v, generation %d then %d; want a change and one generation", tx.Changed(), before, after)
			}
			if tc.seg != nil && tx.Replaced != 1 {
				t.Errorf("%d replaced, want 1", tx.Replaced)
			}
		})
	}
}

func TestSpacesSeparateDimensions(t *testing.T) {
	db := openDB(t)
	s3 := seg("a", 0, 1, 0, 0)
	write(t, db, seg("a", 0, 1, 0), s3)
	spaces, _ := db.Spaces(context.Background())
	if len(spaces) != 2 || spaces[0].Dim != 2 || spaces[1].Dim != 3 {
		t.Fatalf("spaces = %+v, want marengo3.0/2 and marengo3.0/3", spaces)
	}
}

// TestSpacesCounts: each space counts its own segments and the videos
// that have any there; a space whose segments are all deleted is gone.
func TestSpacesCounts(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	write(t, db, seg("a", 0, 1, 0), seg("a", 6, 0, 1), seg("b", 0, 1, 1), seg("c", 0, 1, 0, 0))
	write(t, db, seg("c", 6, 0, 1, 0), seg("d", 0, 0, 0, 1), seg("d", 6, 1, 0, 0))
	want := []sqlite.Space{
		{Model: "marengo3.0", Dim: 2, Segments: 3, Videos: 2},
		{Model: "marengo3.0", Dim: 3, Segments: 4, Videos: 2},
	}
	if got, err := db.Spaces(ctx); err != nil || !slices.Equal(got, want) {
		t.Fatalf("spaces = %+v, %v; want %+v", got, err, want)
	}
	if _, _, err := db.DeleteVideos(ctx, []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Spaces(ctx); err != nil || !slices.Equal(got, want[1:]) {
		t.Fatalf("spaces after deleting the 2-d space's videos = %+v, %v; want %+v", got, err, want[1:])
	}
}

func TestRollbackLeavesNothing(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	write(t, db, seg("a", 0, 1, 0))
	g, _ := db.Generation(ctx)
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx.UpsertSegment(seg("b", 0, 1, 1))
	tx.UpsertVideo(&sqlite.Video{ID: "a", Filename: "changed.mp4"})
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if got := all(t, db); len(got) != 1 {
		t.Errorf("%d segments after rollback, want 1", len(got))
	}
	if g2, _ := db.Generation(ctx); g2 != g {
		t.Errorf("generation %d after rollback, want %d", g2, g)
	}
	if v, _ := db.Video(ctx, "a"); v.Filename != "" {
		t.Errorf("video metadata changed by a rolled-back transaction: %+v", v)
	}
}

func TestVideoMetadataMerges(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	tx, _ := db.Begin(ctx)
	tx.UpsertVideo(&sqlite.Video{ID: "a", Filename: "a.mp4", Duration: 18, UserMetadata: []byte(`{"k":1}`),
		ThumbnailURL: "https://example.com/a.jpg"})
	tx.UpsertVideo(&sqlite.Video{ID: "a", FPS: 25, Width: 640, Height: 360})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	v, err := db.Video(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if v.Filename != "a.mp4" || v.Duration != 18 || v.FPS != 25 || v.Width != 640 || v.Height != 360 || string(v.UserMetadata) != `{"k":1}` {
		t.Errorf("video = %+v", v)
	}
	if got, want := v.ThumbnailURL, "https://example.com/a.jpg"; got != want {
		t.Errorf("thumbnail %q, want %q (kept by an update that names none)", got, want)
	}
	// A later transaction naming another thumbnail replaces it.
	tx, _ = db.Begin(ctx)
	tx.UpsertVideo(&sqlite.Video{ID: "a", ThumbnailURL: "https://example.com/b.jpg"})
	tx.UpsertVideo(&sqlite.Video{ID: "b"})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	vs, err := db.Videos(ctx)
	if err != nil || len(vs) != 2 {
		t.Fatalf("videos: %v %+v", err, vs)
	}
	if vs[0].ThumbnailURL != "https://example.com/b.jpg" || vs[0].Filename != "a.mp4" || vs[1].ThumbnailURL != "" {
		t.Errorf("videos after replacing a's thumbnail: %+v", vs)
	}
	if _, err := db.Video(ctx, "nope"); !errors.Is(err, sqlite.ErrNotFound) {
		t.Errorf("Video(nope) = %v, want ErrNotFound", err)
	}
}

func TestDeleteVideos(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	write(t, db, seg("a", 0, 1, 0), seg("a", 6, 1, 0), seg("b", 0, 0, 1))
	t.Run("ErrNotFound", func(t *testing.T) {
		if _, _, err := db.DeleteVideos(ctx, []string{"a", "missing"}); !errors.Is(err, sqlite.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
		if got := all(t, db); len(got) != 3 {
			t.Fatalf("a failed delete removed segments: %d left", len(got))
		}
	})
	n, spaces, err := db.DeleteVideos(ctx, []string{"a"})
	if err != nil || n != 2 {
		t.Fatalf("DeleteVideos = %d, %v; want 2 segments", n, err)
	}
	if len(spaces) != 1 || spaces[0].Model != "marengo3.0" || spaces[0].Dim != 2 {
		t.Errorf("spaces touched: %+v, want marengo3.0/2", spaces)
	}
	got := all(t, db)
	if len(got) != 1 || got[0].VideoID != "b" {
		t.Fatalf("left %+v, want only b's segment", got)
	}
	if _, err := db.Video(ctx, "a"); !errors.Is(err, sqlite.ErrNotFound) {
		t.Errorf("video a still there: %v", err)
	}
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
}

func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	write(t, db, seg("a", 0, 1, 2, 3))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	db, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := all(t, db); len(got) != 1 || len(got[0].Vector) != 3 || got[0].Vector[2] != 3 {
		t.Fatalf("after reopen: %+v", got)
	}
}

func TestVectorCodec(t *testing.T) {
	v := []float32{1.5, -2, 3.25e-30}
	b := sqlite.AppendVector(nil, v)
	if len(b) != 12 || b[0] != 0 || b[3] != 0x3f || b[2] != 0xc0 {
		t.Fatalf("AppendVector = % x, want little-endian float32", b)
	}
	back, err := sqlite.DecodeVector(nil, b)
	if err != nil || len(back) != 3 || back[0] != v[0] || back[1] != v[1] || back[2] != v[2] {
		t.Fatalf("DecodeVector = %v, %v", back, err)
	}
	if _, err := sqlite.DecodeVector(nil, b[:5]); err == nil {
		t.Error("DecodeVector accepted 5 bytes")
	}
}

func TestNewFileUsesLargePages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var size int
	var mode string
	raw.QueryRow("PRAGMA page_size").Scan(&size)
	raw.QueryRow("PRAGMA journal_mode").Scan(&mode)
	if size != sqlite.PageSize || mode != "wal" {
		t.Errorf("page size %d, journal mode %s; want %d, wal", size, mode, sqlite.PageSize)
	}
}

// A segment repeated within one transaction, for a video that transaction
// created, is replaced, not duplicated.
func TestDuplicateInOneTransaction(t *testing.T) {
	db := openDB(t)
	ins, rep := write(t, db, seg("new", 0, 1, 0), seg("new", 0, 0, 1), seg("new", 6, 1, 1))
	if ins != 2 || rep != 1 {
		t.Fatalf("%d inserted, %d replaced; want 2, 1", ins, rep)
	}
	got := all(t, db)
	if len(got) != 2 || got[0].Vector[1] != 1 {
		t.Fatalf("segments = %+v, want 2 with the second write's vector", got)
	}
}

func TestCatchUpQueries(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	write(t, db, seg("a", 0, 1, 0), seg("a", 6, 0, 1), seg("b", 0, 1, 1))
	g1, _ := db.Generation(ctx)
	write(t, db, seg("a", 0, 0.6, 0.8), seg("c", 0, 1, 0)) // one replaced, one new
	if _, _, err := db.DeleteVideos(ctx, []string{"b"}); err != nil {
		t.Fatal(err)
	}
	var changed []string
	err := db.Segments(ctx, sqlite.SegmentQuery{Model: "marengo3.0", Dim: 2, MinGen: g1 + 1}, func(s *sqlite.Segment) error {
		changed = append(changed, s.VideoID)
		return nil
	})
	if err != nil || len(changed) != 2 {
		t.Fatalf("segments written after generation %d: %v (%v), want a and c", g1, changed, err)
	}
	deleted, err := db.DeletedSince(ctx, "marengo3.0", 2, g1+1)
	if err != nil || len(deleted) != 1 || deleted[0] != 3 {
		t.Fatalf("deleted since %d: %v (%v), want [3] (b's segment, deleted by cascade)", g1, deleted, err)
	}
	if d, _ := db.DeletedSince(ctx, "marengo3.0", 3, 0); len(d) != 0 {
		t.Errorf("deletions in another space: %v", d)
	}
	t.Run("Settings", func(t *testing.T) {
		if _, ok, err := db.Setting(ctx, "hnsw.m"); ok || err != nil {
			t.Fatalf("unset setting: ok=%v err=%v", ok, err)
		}
		if err := db.SetSetting(ctx, "hnsw.m", 32); err != nil {
			t.Fatal(err)
		}
		if v, ok, err := db.Setting(ctx, "hnsw.m"); v != 32 || !ok || err != nil {
			t.Fatalf("setting = %d %v %v", v, ok, err)
		}
	})
}
