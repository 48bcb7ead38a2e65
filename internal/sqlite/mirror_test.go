package sqlite_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/clipvec/clipvec/internal/sqlite"
)

// Recording a mirror's progress is no write of the store's data: the
// generation, its token and every segment stay as they were, and the
// record reads back, replaced by the next one (backwards too).
func TestSetMirrorGeneration(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		db := openDB(t)
		write(t, db, seg("a", 0, 1, 0))
		write(t, db, seg("b", 0, 0, 1))
		head, err := db.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok, err := db.MirrorGeneration(ctx, "weaviate x", "marengo3.0", 2); ok || err != nil {
			t.Fatalf("MirrorGeneration before any record: ok %v, %v; want false, nil", ok, err)
		}
		before := time.Now().UTC().Add(-time.Second)
		for _, pos := range [][2]int64{{head.Generation, 0}, {1, 2}, {0, 0}} {
			if err := db.SetMirrorGeneration(ctx, "weaviate x", "marengo3.0", 2, pos[0], pos[1]); err != nil {
				t.Fatal(err)
			}
			m, ok, err := db.MirrorGeneration(ctx, "weaviate x", "marengo3.0", 2)
			if err != nil || !ok {
				t.Fatalf("MirrorGeneration: ok %v, %v", ok, err)
			}
			if m.Generation != pos[0] || m.AfterID != pos[1] || m.Target != "weaviate x" || m.Model != "marengo3.0" || m.Dim != 2 || m.UpdatedAt.Before(before) {
				t.Errorf("MirrorGeneration = %+v, want generation %d after segment %d recorded after %v", m, pos[0], pos[1], before)
			}
		}
		if got, err := db.Head(ctx); err != nil || got != head {
			t.Errorf("head %+v (%v) after recording, want %+v: progress is not data", got, err, head)
		}
		if changed, err := db.ChangedSince(ctx, "marengo3.0", 2, head.Generation); changed || err != nil {
			t.Errorf("ChangedSince(head) = %v, %v after recording; want false", changed, err)
		}
	})

	t.Run("OKTargetsApart", func(t *testing.T) {
		db := openDB(t)
		write(t, db, seg("a", 0, 1, 0))
		write(t, db, seg("a", 0, 1, 0, 0))
		must(t, db.SetMirrorGeneration(ctx, "b", "marengo3.0", 2, 1, 0))
		must(t, db.SetMirrorGeneration(ctx, "a", "marengo3.0", 3, 2, 0))
		must(t, db.SetMirrorGeneration(ctx, "a", "marengo3.0", 2, 2, 0))
		ms, err := db.Mirrors(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range ms {
			got = append(got, m.Target+" "+sqlite.Space{Model: m.Model, Dim: m.Dim}.String()+" "+string(rune('0'+m.Generation)))
		}
		want := []string{"a marengo3.0/2 2", "a marengo3.0/3 2", "b marengo3.0/2 1"}
		if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Errorf("Mirrors = %q, want %q", got, want)
		}
		if ms, err := db.Mirrors(ctx, "b"); err != nil || len(ms) != 1 {
			t.Errorf("Mirrors(b) = %+v, %v; want one", ms, err)
		}
		if n, err := db.DeleteMirror(ctx, "a"); n != 2 || err != nil {
			t.Errorf("DeleteMirror(a) = %d, %v; want 2", n, err)
		}
		if _, ok, _ := db.MirrorGeneration(ctx, "a", "marengo3.0", 2); ok {
			t.Error("a's progress still recorded after DeleteMirror")
		}
		if _, ok, _ := db.MirrorGeneration(ctx, "b", "marengo3.0", 2); !ok {
			t.Error("b's progress forgotten with a's")
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		db := openDB(t)
		write(t, db, seg("a", 0, 1, 0))
		if err := db.SetMirrorGeneration(ctx, "t", "marengo3.0", 7, 1, 0); !errors.Is(err, sqlite.ErrNotFound) {
			t.Errorf("unknown space: %v, want ErrNotFound", err)
		}
	})

	t.Run("ErrAhead", func(t *testing.T) {
		db := openDB(t)
		write(t, db, seg("a", 0, 1, 0))
		if err := db.SetMirrorGeneration(ctx, "t", "marengo3.0", 2, 2, 0); err == nil {
			t.Error("a generation ahead of the store was recorded")
		}
		if err := db.SetMirrorGeneration(ctx, "t", "marengo3.0", 2, 1, 5); err == nil {
			t.Error("segments of a generation ahead of the store were recorded")
		}
	})
}

// CountWrittenSince counts what Segments with MinGen and GenAfterID
// streams, in the snapshot of its View: a replaced segment counts at its
// new generation, a deleted one not at all, and a stream resumed inside a
// generation leaves out that generation's ids up to GenAfterID.
func TestCountWrittenSince(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	write(t, db, seg("a", 0, 1, 0), seg("a", 6, 0, 1), seg("a", 12, 1, 1)) // generation 1: ids 1, 2, 3
	write(t, db, seg("b", 0, 1, 0))                                        // 2: id 4
	write(t, db, seg("a", 0, 0.6, 0.8))                                    // 3: replaces id 1
	if _, _, err := db.DeleteVideos(ctx, []string{"b"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		minGen, afterID int64
		want            []int64
	}{
		{0, 0, []int64{2, 3, 1}}, {1, 0, []int64{2, 3, 1}}, {1, 2, []int64{3, 1}}, {1, 3, []int64{1}},
		{2, 0, []int64{1}}, {3, 0, []int64{1}}, {3, 1, nil}, {4, 0, nil},
	} {
		err := db.View(ctx, func(tx *sqlite.ReadTx) error {
			n, err := tx.CountWrittenSince(ctx, "marengo3.0", 2, tc.minGen, tc.afterID)
			if err != nil {
				return err
			}
			var streamed []int64
			q := sqlite.SegmentQuery{Model: "marengo3.0", Dim: 2, MinGen: tc.minGen, GenAfterID: tc.afterID, Order: sqlite.OrderGeneration}
			err = tx.Segments(ctx, q, func(s *sqlite.Segment) error { streamed = append(streamed, s.ID); return nil })
			if n != len(tc.want) || !slices.Equal(streamed, tc.want) {
				t.Errorf("since %d after %d: counted %d, streamed %v; want %v", tc.minGen, tc.afterID, n, streamed, tc.want)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
