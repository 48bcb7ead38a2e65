package clipvec_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clipvec/clipvec/internal/atomicfile"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

// checkAgainstStore runs an exact and a graph search for a random query
// and checks both against the store itself, read through the export:
// every hit is a segment the database holds, the exact answer is the
// brute-force top k of what it holds, and the graph searched as many
// segments as the space has.
func checkAgainstStore(t testing.TB, db *clipvec.DB, seed uint64, dim, k int) {
	t.Helper()
	ctx := context.Background()
	held := segments(t, db)
	q := randQuery(seed, dim)
	var qn float64
	for _, x := range q {
		qn += float64(x) * float64(x)
	}
	qn = math.Sqrt(qn)
	type scored struct {
		key   string
		score float64
	}
	var want []scored
	for key, s := range held {
		var dot, n float64
		for i, x := range s.Vector {
			dot += float64(x) * float64(q[i])
			n += float64(x) * float64(x)
		}
		want = append(want, scored{key, dot / (math.Sqrt(n) * qn)})
	}
	slices.SortFunc(want, func(a, b scored) int {
		if a.score > b.score {
			return -1
		}
		if a.score < b.score {
			return 1
		}
		return strings.Compare(a.key, b.key)
	})
	want = want[:min(k, len(want))]
	for _, exact := range []bool{true, false} {
		res, err := db.Search(ctx, clipvec.Query{Vector: q, K: k, Exact: exact, Ef: 400 * map[bool]int{true: 0, false: 1}[exact]})
		if err != nil {
			t.Fatalf("search (exact %v): %v", exact, err)
		}
		if res.Searched != len(held) {
			t.Errorf("search (exact %v) searched %d segments, the database holds %d", exact, res.Searched, len(held))
		}
		for _, h := range res.Hits {
			key := fmt.Sprintf("%s/%s/%s/%s/%g/%g/%d", h.VideoID, h.Model, h.Modality, h.Scope, h.Start, h.End, dim)
			if _, ok := held[key]; !ok {
				t.Fatalf("search (exact %v) returned %s, which the database does not hold", exact, key)
			}
		}
		if !exact {
			continue
		}
		if len(res.Hits) != len(want) {
			t.Fatalf("exact search: %d hits, want %d", len(res.Hits), len(want))
		}
		for i, h := range res.Hits {
			if d := math.Abs(float64(h.Score) - want[i].score); d > 1e-4 {
				t.Fatalf("exact hit %d: score %.5f, the store's top %d has %.5f (%s)", i, h.Score, k, want[i].score, want[i].key)
			}
		}
	}
}

// mFiles writes a synth file per count of videos into dir: model m, 16-d,
// 10 visual clips a video, seeds 1, 2, ...
func mFiles(t testing.TB, dir string, videos ...int) []string {
	t.Helper()
	var out []string
	for i, n := range videos {
		f := filepath.Join(dir, fmt.Sprintf("m%d.jsonl", i))
		synth{seed: uint64(i + 1), model: "m", dim: 16, videos: n, clips: 10, options: []string{"visual"}}.write(t, f)
		out = append(out, f)
	}
	return out
}

// reopen closes db and opens its file again.
func reopen(t testing.TB, db *clipvec.DB) *clipvec.DB {
	t.Helper()
	path := db.Path()
	db.Close()
	db, err := clipvec.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func importFiles(t testing.TB, db *clipvec.DB, opts clipvec.ImportOptions, paths ...string) {
	t.Helper()
	if _, err := db.Import(context.Background(), paths, opts); err != nil {
		t.Fatal(err)
	}
}

// removeDB deletes a database's files but not its index directory.
func removeDB(t testing.TB, path string) {
	t.Helper()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSnapshotOfAnotherDatabase: a database deleted and imported again,
// its index directory kept, reaches the same generation as before; the
// old snapshot must not be served (issue 8, item 1).
func TestSnapshotOfAnotherDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	files := mFiles(t, dir, 20, 6)
	a, b := files[0], files[1]
	path := filepath.Join(dir, "clipvec.db")

	db, err := clipvec.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	importFiles(t, db, clipvec.ImportOptions{}, a)
	before, _ := db.Stats(ctx)
	db.Close()
	removeDB(t, path)

	for _, noIndex := range []bool{true, false} {
		t.Run(map[bool]string{true: "NoIndex", false: "Indexed"}[noIndex], func(t *testing.T) {
			removeDB(t, path)
			db, err := clipvec.Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			importFiles(t, db, clipvec.ImportOptions{NoIndex: noIndex}, b)
			if st, _ := db.Stats(ctx); st.Generation != before.Generation {
				t.Fatalf("the test needs equal generations: %d and %d", st.Generation, before.Generation)
			}
			if noIndex {
				st, err := db.IndexStatus(ctx)
				if err != nil || len(st) != 1 || st[0].State != "stale" || !strings.Contains(st[0].Problem, "another database") {
					t.Fatalf("status of the other database's snapshot: %+v %v", st, err)
				}
			}
			for seed := uint64(0); seed < 5; seed++ {
				checkAgainstStore(t, db, seed, 16, 30)
			}
		})
	}
}

// TestRestoredDatabase: a database restored from an older copy, its
// snapshot kept, is searched as the restored file is — whether the
// snapshot is ahead of it, or at the same generation on another history
// (issue 8, item 1).
func TestRestoredDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	files := mFiles(t, dir, 6, 9, 7)
	a, b, c := files[0], files[1], files[2]
	path := filepath.Join(dir, "clipvec.db")
	backup := filepath.Join(dir, "backup.db")

	db, err := clipvec.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	importFiles(t, db, clipvec.ImportOptions{}, a)
	db.Close() // checkpoints the WAL: the file alone is the database
	copyFile(t, path, backup)
	db, err = clipvec.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	importFiles(t, db, clipvec.ImportOptions{}, b) // the snapshot now holds video-006..008
	db.Close()

	restore := func(t *testing.T) *clipvec.DB {
		removeDB(t, path)
		copyFile(t, backup, path)
		db, err := clipvec.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	t.Run("SnapshotAhead", func(t *testing.T) {
		db := restore(t)
		st, err := db.IndexStatus(ctx)
		if err != nil || st[0].State != "stale" || !strings.Contains(st[0].Problem, "ahead") {
			t.Fatalf("status: %+v %v", st, err)
		}
		checkAgainstStore(t, db, 1, 16, 40)
	})
	t.Run("ImportIntoSnapshotAhead", func(t *testing.T) {
		// The import itself syncs the graph: the new video must be found,
		// by a graph search and an exact one.
		db := restore(t)
		importFiles(t, db, clipvec.ImportOptions{}, c) // video-006 is new here
		for _, exact := range []bool{false, true} {
			res, err := db.Search(ctx, clipvec.Query{Like: &clipvec.SegmentRef{VideoID: "video-006", At: 3}, IncludeSelf: true, K: 3, Exact: exact})
			if err != nil || len(res.Hits) == 0 || res.Hits[0].VideoID != "video-006" {
				t.Fatalf("the new video (exact %v): %+v %v", exact, res, err)
			}
		}
		checkAgainstStore(t, db, 2, 16, 40)
	})
	t.Run("SameGenerationOtherHistory", func(t *testing.T) {
		// Restored, then written to with --no-index: the store is back at
		// the snapshot's generation, with other data.
		db := restore(t)
		importFiles(t, db, clipvec.ImportOptions{NoIndex: true}, c)
		st, err := db.IndexStatus(ctx)
		if err != nil || st[0].State != "stale" || !strings.Contains(st[0].Problem, "history") {
			t.Fatalf("status: %+v %v", st, err)
		}
		if st[0].Generation != st[0].StoreGeneration {
			t.Fatalf("the test needs equal generations: %+v", st[0])
		}
		checkAgainstStore(t, db, 3, 16, 40)
	})
}

// TestSpacesNeverShareASnapshot: model names that differ only in
// characters a file name cannot hold get snapshots of their own (issue 8,
// item 3), and a 300-character model name still gets one.
func TestSpacesNeverShareASnapshot(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := clipvec.Open(ctx, filepath.Join(dir, "clipvec.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	long := strings.Repeat("m", 120)
	for i, model := range []string{"team/a", "team_a", long} {
		f := filepath.Join(dir, fmt.Sprintf("%d.jsonl", i))
		synth{seed: uint64(10 + i), model: model, dim: 16, videos: 3, clips: 10, options: []string{"visual"}}.write(t, f)
		// The same video ids in every space: only the space tells them apart.
		if _, err := db.Import(ctx, []string{f}, clipvec.ImportOptions{}); err != nil {
			t.Fatalf("import %s: %v", model, err)
		}
	}
	st, err := db.IndexStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, s := range st {
		if s.State != "current" || seen[s.Snapshot] {
			t.Fatalf("%s: %+v (snapshots so far %v)", s.Space, s, seen)
		}
		if len(filepath.Base(s.Snapshot)) > 100 {
			t.Errorf("snapshot name of %d bytes", len(filepath.Base(s.Snapshot)))
		}
		seen[s.Snapshot] = true
	}
	// Reopened, each space loads its own graph and finds its own vectors.
	db = reopen(t, db)
	want := segments(t, db)
	for _, model := range []string{"team/a", "team_a", long} {
		for _, exact := range []bool{false, true} {
			res, err := db.Search(ctx, clipvec.Query{Like: &clipvec.SegmentRef{VideoID: "video-001", At: 3}, Model: model,
				IncludeSelf: true, K: 1, Exact: exact})
			if err != nil || len(res.Hits) != 1 {
				t.Fatalf("%s: %+v %v", model, res, err)
			}
			h := res.Hits[0]
			key := fmt.Sprintf("%s/%s/%s/%s/%g/%g/%d", h.VideoID, h.Model, h.Modality, h.Scope, h.Start, h.End, 16)
			if h.Model != model || h.Score < 0.9999 || h.Start != 0 || want[key].VideoID == "" {
				t.Errorf("%s (exact %v): its own clip should come first, got %+v", model, exact, h)
			}
		}
	}
	if st, _ := db.IndexStatus(ctx); !strings.HasPrefix(st[0].Opened, "loaded") {
		t.Errorf("reopened: %+v", st[0])
	}
}

// TestOpenLeavesLiveTempFiles: opening a database removes only the
// temporary files of writers that died, not one another process is
// writing (issue 8, item 4).
func TestOpenLeavesLiveTempFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "clipvec.db")
	idx := path + ".index"
	if err := os.MkdirAll(idx, 0o755); err != nil {
		t.Fatal(err)
	}
	old := atomicfile.TempGrace
	atomicfile.TempGrace = 0 // age alone would not save it
	t.Cleanup(func() { atomicfile.TempGrace = old })
	live, err := atomicfile.Create(filepath.Join(idx, "s1-m-16.hnsw"))
	if err != nil {
		t.Fatal(err)
	}
	defer live.Abort()
	dead := filepath.Join(idx, ".s2-m-16.hnsw.tmp-123")
	if err := os.WriteFile(dead, []byte("left by a killed writer"), 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := clipvec.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := os.Stat(live.Name()); err != nil {
		t.Errorf("the live writer's file was removed: %v", err)
	}
	if _, err := os.Stat(dead); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the dead writer's file is still there: %v", err)
	}
	if _, err := live.Write([]byte("still writing")); err != nil {
		t.Fatal(err)
	}
	if err := live.Commit(); err != nil {
		t.Errorf("commit after another process opened the database: %v", err)
	}
}

// TestWriteStandsWhenTheGraphCannotBeSaved: an import or delete whose
// data committed reports a failure to save the graph as ErrIndexNotSaved,
// and the next search is current (issue 8, item 4).
func TestWriteStandsWhenTheGraphCannotBeSaved(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := mFiles(t, dir, 5)[0]
	path := filepath.Join(dir, "clipvec.db")
	// A file where the index directory belongs: no snapshot can be saved.
	if err := os.WriteFile(path+".index", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := clipvec.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sum, err := db.Import(ctx, []string{a}, clipvec.ImportOptions{})
	if !errors.Is(err, clipvec.ErrIndexNotSaved) || errors.Is(err, clipvec.ErrInvalidInput) || sum.Imported != 50 {
		t.Fatalf("import: %+v, %v; want 50 imported and ErrIndexNotSaved", sum, err)
	}
	n, err := db.Delete(ctx, "video-001")
	if !errors.Is(err, clipvec.ErrIndexNotSaved) || n != 10 {
		t.Fatalf("delete: %d, %v; want 10 deleted and ErrIndexNotSaved", n, err)
	}
	checkAgainstStore(t, db, 4, 16, 20)
}

// TestFIFOAtTheSnapshotPath: a FIFO where a snapshot belongs is reported
// and replaced by a rebuilt graph; nothing blocks (issue 8, item 7).
func TestFIFOAtTheSnapshotPath(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := mFiles(t, dir, 5)[0]
	db, err := clipvec.Open(ctx, filepath.Join(dir, "clipvec.db"))
	if err != nil {
		t.Fatal(err)
	}
	importFiles(t, db, clipvec.ImportOptions{}, a)
	st, _ := db.IndexStatus(ctx)
	snap := st[0].Snapshot
	path := db.Path()
	db.Close()
	os.Remove(snap)
	if err := syscall.Mkfifo(snap, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	done := make(chan error, 1)
	go func() {
		db, err := clipvec.Open(ctx, path)
		if err != nil {
			done <- err
			return
		}
		defer db.Close()
		st, err := db.IndexStatus(ctx)
		if err == nil && st[0].State != "unreadable" {
			err = fmt.Errorf("status of a FIFO: %+v", st[0])
		}
		if err == nil {
			_, err = db.Search(ctx, clipvec.Query{Vector: randQuery(1, 16), K: 5})
		}
		if err == nil {
			err = db.SyncIndexes(ctx, nil, nil)
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute): // a hang, not a speed limit
		t.Fatal("a FIFO at the snapshot path blocked the database")
	}
	if info, err := os.Lstat(snap); err != nil || !info.Mode().IsRegular() {
		t.Errorf("the FIFO was not replaced by a snapshot: %v %v", info, err)
	}
}

// TestBuildParamsStoredWithTheGraph: parameters given to a build are
// stored only once the graph built with them is saved, and storing them
// leaves the snapshot current (issue 8, item 7).
func TestBuildParamsStoredWithTheGraph(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	importFiles(t, db, clipvec.ImportOptions{}, mFiles(t, t.TempDir(), 30)...)
	p := testParams
	p.M = 24
	cctx, cancel := context.WithCancel(ctx)
	cancel() // as if killed before the build ended
	if err := db.BuildIndexWith(cctx, "", p, nil); err == nil {
		t.Fatal("a cancelled build succeeded")
	}
	if got, _ := db.IndexParams(ctx); got != testParams {
		t.Fatalf("after a build that did not finish: stored %+v, want %+v", got, testParams)
	}
	if got := indexState(t, db); got != "m/16:current:300/0" {
		t.Fatalf("after a build that did not finish: %s", got)
	}
	if err := db.BuildIndexWith(ctx, "", p, nil); err != nil {
		t.Fatal(err)
	}
	st, _ := db.IndexStatus(ctx)
	if got, _ := db.IndexParams(ctx); got != p || st[0].Params != p || st[0].State != "current" {
		t.Fatalf("after the build: stored %+v, graph %+v, state %s", got, st[0].Params, st[0].State)
	}
	if err := db.BuildIndexWith(ctx, "", clipvec.IndexParams{M: 1, EfConstruction: 1, EfSearch: 1}, nil); !errors.Is(err, clipvec.ErrInvalidQuery) {
		t.Errorf("bad parameters: %v", err)
	}
}

// TestOpenReadOnly: a read-only database answers searches and refuses
// writes, and writes nothing: not the file, not a snapshot (issue 8,
// item 7).
func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	files := mFiles(t, dir, 5, 7)
	a, b := files[0], files[1]
	path := filepath.Join(dir, "clipvec.db")
	if _, err := clipvec.OpenReadOnly(ctx, path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("read-only open of a missing file: %v", err)
	}
	db, err := clipvec.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	importFiles(t, db, clipvec.ImportOptions{NoIndex: true}, a)
	db.Close()
	before, _ := os.ReadFile(path)

	ro, err := clipvec.OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	checkAgainstStore(t, ro, 1, 16, 10)
	if _, err := ro.Import(ctx, []string{b}, clipvec.ImportOptions{}); !errors.Is(err, clipvec.ErrReadOnly) {
		t.Errorf("import: %v, want ErrReadOnly", err)
	}
	if _, err := ro.Delete(ctx, "video-001"); !errors.Is(err, clipvec.ErrReadOnly) {
		t.Errorf("delete: %v, want ErrReadOnly", err)
	}
	if err := ro.SetIndexParams(ctx, testParams); !errors.Is(err, clipvec.ErrReadOnly) {
		t.Errorf("set parameters: %v, want ErrReadOnly", err)
	}
	if err := ro.BuildIndex(ctx, "", nil); !errors.Is(err, clipvec.ErrReadOnly) {
		t.Errorf("build: %v, want ErrReadOnly", err)
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Error("the read-only database changed its file")
	}
	if _, err := os.Stat(path + ".index"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the read-only database wrote its index directory: %v", err)
	}
}
