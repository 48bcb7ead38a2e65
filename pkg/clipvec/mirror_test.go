package clipvec_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

// changes reads what changed in sp after since: the snapshot's
// generation, the deleted ids and the written segments by id, with the
// generation each was written at.
func changes(t testing.TB, db *clipvec.DB, sp clipvec.Space, since int64) (gen int64, deleted []int64, written map[int64]clipvec.Segment, gens []int64) {
	t.Helper()
	return changesFrom(t, db, sp, clipvec.MirrorPosition{Generation: since})
}

// changesFrom is changes after a position.
func changesFrom(t testing.TB, db *clipvec.DB, sp clipvec.Space, from clipvec.MirrorPosition) (gen int64, deleted []int64, written map[int64]clipvec.Segment, gens []int64) {
	t.Helper()
	ctx := context.Background()
	written = map[int64]clipvec.Segment{}
	err := db.ReadChanges(ctx, sp, from, func(c *clipvec.Changes) error {
		gen, deleted = c.Generation, c.Deleted
		err := c.Segments(ctx, func(s *clipvec.Segment, g int64) error {
			cp := *s
			cp.Vector = slices.Clone(s.Vector)
			written[s.ID] = cp
			gens = append(gens, g)
			return nil
		})
		if err == nil && c.Written != len(written) {
			t.Errorf("Written = %d, Segments streamed %d", c.Written, len(written))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return gen, deleted, written, gens
}

// A mirror replays, from a recorded generation, exactly what changed:
// replaced segments under their own ids with their new vectors, deleted
// ones by id, nothing else; and recording progress is no write.
func TestReadChanges(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	dir := t.TempDir()
	synth{seed: 1, model: "marengo3.0", dim: 8, videos: 3, clips: 2, options: []string{"visual"}}.write(t, filepath.Join(dir, "a.jsonl"))
	if _, err := db.Import(ctx, []string{filepath.Join(dir, "a.jsonl")}, clipvec.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	sp := clipvec.Space{Model: "marengo3.0", Dim: 8}
	gen0, deleted, all, gens := changes(t, db, sp, 0)
	if len(all) != 6 || len(deleted) != 0 || !slices.IsSorted(gens) {
		t.Fatalf("everything: %d written, %v deleted, generations %v; want 6, none, in order", len(all), deleted, gens)
	}
	const target = "test target"
	// One import, one generation: a sync stopped inside it resumes after
	// the last id it sent.
	var ids []int64
	for id := range all {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if _, _, rest, _ := changesFrom(t, db, sp, clipvec.MirrorPosition{Generation: gen0 - 1, AfterID: ids[3]}); len(rest) != 2 || rest[ids[4]].ID == 0 || rest[ids[5]].ID == 0 {
		t.Errorf("changes after segment %d of generation %d: %v, want %v", ids[3], gen0, rest, ids[4:])
	}
	if err := db.SetMirrorPosition(ctx, target, sp, clipvec.MirrorPosition{Generation: gen0}); err != nil {
		t.Fatal(err)
	}
	if st, err := db.Stats(ctx); err != nil || st.Generation != gen0 {
		t.Fatalf("generation %d (%v) after recording progress, want %d", st.Generation, err, gen0)
	}
	if got, ok, err := db.MirrorPosition(ctx, target, sp); got.Generation != gen0 || !ok || err != nil {
		t.Fatalf("MirrorPosition = %+v, %v, %v; want generation %d", got, ok, err, gen0)
	}

	// Nothing changed: nothing to send.
	if gen, deleted, written, _ := changes(t, db, sp, gen0); gen != gen0 || len(deleted) != 0 || len(written) != 0 {
		t.Errorf("no change: generation %d, %v deleted, %d written", gen, deleted, len(written))
	}

	// video-000 replaced with new vectors, video-001 deleted.
	synth{seed: 2, model: "marengo3.0", dim: 8, videos: 1, clips: 2, options: []string{"visual"}}.write(t, filepath.Join(dir, "b.jsonl"))
	if _, err := db.Import(ctx, []string{filepath.Join(dir, "b.jsonl")}, clipvec.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Delete(ctx, "video-001"); err != nil {
		t.Fatal(err)
	}
	gen, deleted, written, _ := changes(t, db, sp, gen0)
	if gen != gen0+2 {
		t.Errorf("snapshot generation %d, want %d", gen, gen0+2)
	}
	var wantDeleted, wantWritten []int64
	for id, s := range all {
		switch s.VideoID {
		case "video-001":
			wantDeleted = append(wantDeleted, id)
		case "video-000":
			wantWritten = append(wantWritten, id)
		}
	}
	slices.Sort(wantDeleted)
	slices.Sort(wantWritten)
	if slices.Sort(deleted); !slices.Equal(deleted, wantDeleted) {
		t.Errorf("deleted %v, want %v", deleted, wantDeleted)
	}
	var gotWritten []int64
	for id, s := range written {
		gotWritten = append(gotWritten, id)
		if slices.Equal(s.Vector, all[id].Vector) {
			t.Errorf("segment %d replaced with the same vector", id)
		}
	}
	if slices.Sort(gotWritten); !slices.Equal(gotWritten, wantWritten) {
		t.Errorf("written %v, want the replaced segments under their ids %v", gotWritten, wantWritten)
	}

	// The snapshot is ReadChanges': a write committed while fn runs is
	// not seen, nor blocked.
	err := db.ReadChanges(ctx, sp, clipvec.MirrorPosition{Generation: gen}, func(c *clipvec.Changes) error {
		if _, err := db.Delete(ctx, "video-002"); err != nil {
			return err
		}
		n := 0
		err := c.Segments(ctx, func(*clipvec.Segment, int64) error { n++; return nil })
		if c.Generation != gen || len(c.Deleted) != 0 || n != 0 {
			t.Errorf("changes after a write inside ReadChanges: generation %d, %v deleted, %d written", c.Generation, c.Deleted, n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// A space whose segments are all gone still has its deletions.
	if _, deleted, _, _ := changes(t, db, sp, gen); len(deleted) != 2 {
		t.Errorf("deleted after the last video went: %v, want its 2 segments", deleted)
	}
	if _, err := db.Delete(ctx, "video-000"); err != nil {
		t.Fatal(err)
	}
	if _, deleted, _, _ := changes(t, db, sp, gen); len(deleted) != 4 {
		t.Errorf("deleted after the last video went: %v, want 4", deleted)
	}

	t.Run("ErrNotFound", func(t *testing.T) {
		err := db.ReadChanges(ctx, clipvec.Space{Model: "marengo3.0", Dim: 9}, clipvec.MirrorPosition{}, func(*clipvec.Changes) error { return nil })
		if !errors.Is(err, clipvec.ErrNotFound) {
			t.Errorf("a space never held: %v, want ErrNotFound", err)
		}
	})
	t.Run("ErrAhead", func(t *testing.T) {
		if err := db.ReadChanges(ctx, sp, clipvec.MirrorPosition{Generation: gen + 100}, func(*clipvec.Changes) error { return nil }); err == nil {
			t.Error("changes since a generation ahead of the database: no error")
		}
	})
}

func TestMirrors(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	dir := t.TempDir()
	synth{seed: 1, model: "marengo3.0", dim: 8, videos: 1, clips: 1, options: []string{"visual"}}.write(t, filepath.Join(dir, "a.jsonl"))
	if _, err := db.Import(ctx, []string{filepath.Join(dir, "a.jsonl")}, clipvec.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	sp := clipvec.Space{Model: "marengo3.0", Dim: 8}
	if err := db.SetMirrorPosition(ctx, "a", sp, clipvec.MirrorPosition{Generation: 1}); err != nil {
		t.Fatal(err)
	}
	ms, err := db.Mirrors(ctx, "")
	if err != nil || len(ms) != 1 || ms[0].Target != "a" || ms[0].Space.String() != "marengo3.0/8" || ms[0].Generation != 1 {
		t.Fatalf("Mirrors = %+v, %v", ms, err)
	}
	if n, err := db.ForgetMirror(ctx, "a"); n != 1 || err != nil {
		t.Errorf("ForgetMirror = %d, %v; want 1", n, err)
	}
	if _, ok, err := db.MirrorPosition(ctx, "a", sp); ok || err != nil {
		t.Errorf("MirrorPosition after ForgetMirror: ok %v, %v", ok, err)
	}
	id, err := db.StoreID(ctx)
	if err != nil || id == 0 {
		t.Errorf("StoreID = %d, %v", id, err)
	}
}
