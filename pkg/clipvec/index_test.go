package clipvec_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/clipvec/clipvec/internal/atomicfile"
	"github.com/clipvec/clipvec/internal/sample"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

// sampleDB imports a structured synthetic export (the sample's model,
// 60 videos) and returns the database, the generator and the export dir.
func sampleDB(t testing.TB, videos int, opts clipvec.ImportOptions) (*clipvec.DB, *sample.Generator, string) {
	t.Helper()
	p := sample.DefaultParams()
	p.Videos = videos
	g, err := sample.NewGenerator(p)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "export")
	if err := sample.WriteExport(context.Background(), dir, g); err != nil {
		t.Fatal(err)
	}
	db := openDB(t)
	if _, err := db.Import(context.Background(), []string{dir}, opts); err != nil {
		t.Fatal(err)
	}
	return db, g, dir
}

func ids(res *clipvec.Result) map[int64]bool {
	out := map[int64]bool{}
	for _, h := range res.Hits {
		out[h.ID] = true
	}
	return out
}

func TestGraphSearchRecall(t *testing.T) {
	db, g, _ := sampleDB(t, 60, clipvec.ImportOptions{})
	r, used, _ := textRecall(t, db, g, 100)
	if used != 100 {
		t.Errorf("search with ef 100 used ef %d", used)
	}
	if r < 0.9 {
		t.Errorf("graph recall@10 against the exact scan = %.3f, want ≥ 0.9", r)
	}
}

// A filtered query returns K results whenever K segments match, however
// few that is, and only matching ones.
func TestFilteredSearchReturnsK(t *testing.T) {
	ctx := context.Background()
	db, g, _ := sampleDB(t, 60, clipvec.ImportOptions{})
	videos := g.Videos()
	q := g.Query(g.Topics()[0])
	for _, tc := range []struct {
		name   string
		filter clipvec.Filter
		method clipvec.Method
		ok     func(h clipvec.Hit) bool
	}{
		{"OneVideo", clipvec.Filter{Videos: []string{videos[5].ID}}, "exact-filtered",
			func(h clipvec.Hit) bool { return h.VideoID == videos[5].ID }},
		// A quarter of the segments: few enough here to compare exactly.
		{"Transcription", clipvec.Filter{Modalities: []string{"transcription"}}, "exact-filtered",
			func(h clipvec.Hit) bool { return h.Modality == "transcription" }},
		// Most segments pass: the graph walk applies the filter.
		{"VisualOrAudioClips", clipvec.Filter{Modalities: []string{"visual", "audio", "transcription"}, Scopes: []string{"clip"}}, "graph",
			func(h clipvec.Hit) bool { return h.Scope == "clip" }},
		{"NarrowTime", clipvec.Filter{TimeRange: &clipvec.TimeRange{From: 90, To: 91}, Scopes: []string{"clip"}}, "",
			func(h clipvec.Hit) bool { return h.End > 90 && h.Start < 91 && h.Scope == "clip" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exact, err := db.Search(ctx, clipvec.Query{Vector: q, K: 10, Filter: tc.filter, Exact: true})
			if err != nil {
				t.Fatal(err)
			}
			res, err := db.Search(ctx, clipvec.Query{Vector: q, K: 10, Filter: tc.filter})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Hits) != len(exact.Hits) || len(exact.Hits) == 0 {
				t.Fatalf("%d results, the exact scan has %d", len(res.Hits), len(exact.Hits))
			}
			if tc.method != "" && res.Method != tc.method {
				t.Errorf("method %q, want %q", res.Method, tc.method)
			}
			for _, h := range res.Hits {
				if !tc.ok(h) {
					t.Fatalf("hit %+v does not match the filter", h)
				}
			}
		})
	}
}

func indexState(t testing.TB, db *clipvec.DB) string {
	t.Helper()
	st, err := db.IndexStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, s := range st {
		parts = append(parts, fmt.Sprintf("%s:%s:%d/%d", s.Space, s.State, s.Nodes, s.Deleted))
	}
	return strings.Join(parts, " ")
}

func TestIndexLifecycle(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
	synth{seed: 40, model: "m", dim: 32, videos: 10, clips: 20, options: []string{"visual"}}.write(t, a)
	synth{seed: 41, model: "m", dim: 32, videos: 12, clips: 20, options: []string{"visual"}}.write(t, b) // video-010, 011 are new

	if _, err := db.Import(ctx, []string{a}, clipvec.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := indexState(t, db); got != "m/32:current:200/0" {
		t.Fatalf("after import: %s", got)
	}
	// An import that leaves the graph alone makes it fall behind...
	if _, err := db.Import(ctx, []string{b}, clipvec.ImportOptions{NoIndex: true}); err != nil {
		t.Fatal(err)
	}
	if got := indexState(t, db); got != "m/32:behind:200/0" {
		t.Fatalf("after a --no-index import: %s", got)
	}
	// ...a search catches up (the 40 new segments are found, the 200
	// replaced ones are tombstoned)...
	res, err := db.Search(ctx, clipvec.Query{LikeVideo: "video-011", K: 5, IncludeSelf: true, Filter: clipvec.Filter{Videos: []string{"video-011"}}})
	if err != nil || len(res.Hits) != 5 {
		t.Fatalf("search after catching up: %+v %v", res, err)
	}
	// ...and closing saves it.
	path := db.Path()
	db.Close()
	db, err = clipvec.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := indexState(t, db); got != "m/32:current:240/0" {
		// 200 + 40 nodes: the catch-up was a rebuild (more than half the
		// graph changed), so no tombstones.
		t.Fatalf("after close: %s", got)
	}

	t.Run("DeleteTombstones", func(t *testing.T) {
		if _, err := db.Delete(ctx, "video-003"); err != nil {
			t.Fatal(err)
		}
		if got := indexState(t, db); got != "m/32:current:240/20" {
			t.Fatalf("after delete: %s", got)
		}
		for i := 0; i < 12; i++ {
			res, err := db.Search(ctx, clipvec.Query{Vector: randQuery(uint64(i), 32), K: 50})
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range res.Hits {
				if h.VideoID == "video-003" {
					t.Fatalf("deleted video returned: %+v", h)
				}
			}
		}
	})
	t.Run("CompactPastTheFraction", func(t *testing.T) {
		if _, err := db.Delete(ctx, "video-004", "video-005"); err != nil {
			t.Fatal(err)
		}
		// 60 of 240 nodes are dead (25% > 20%): the catch-up compacted.
		if got := indexState(t, db); got != "m/32:current:180/0" {
			t.Fatalf("after deleting a quarter: %s", got)
		}
	})
	t.Run("CorruptSnapshotIsRebuilt", func(t *testing.T) {
		st, _ := db.IndexStatus(ctx)
		snap := st[0].Snapshot
		db.Close()
		raw, err := os.ReadFile(snap)
		if err != nil {
			t.Fatal(err)
		}
		raw[len(raw)/2] ^= 0xff
		if err := os.WriteFile(snap, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		db2, err := clipvec.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db2.Close()
		// Status reads the header alone, and the header is intact: it
		// still says current, and nothing has been opened. Loading the
		// body, for a search, finds the damage.
		got, err := db2.IndexStatus(ctx)
		if err != nil || len(got) != 1 {
			t.Fatalf("status of the damaged file: %+v %v", got, err)
		}
		if g := got[0]; g.State != "current" || g.Problem != "" || g.Nodes != 180 || g.Opened != "" {
			t.Errorf("status of a file damaged past its header: %+v, want current, 180 nodes, not opened", g)
		}
		exact, err := db2.Search(ctx, clipvec.Query{Vector: randQuery(3, 32), K: 5, Exact: true})
		if err != nil {
			t.Fatal(err)
		}
		res, err := db2.Search(ctx, clipvec.Query{Vector: randQuery(3, 32), K: 5, Ef: 500})
		if err != nil || len(res.Hits) != 5 || res.Hits[0].ID != exact.Hits[0].ID {
			t.Fatalf("search over a rebuilt graph: %+v %v", res, err)
		}
		if st, _ := db2.IndexStatus(ctx); !strings.HasPrefix(st[0].Opened, "rebuilt: ") {
			t.Errorf("a damaged snapshot was not rebuilt: %+v", st[0])
		}
	})
}

func TestIndexParams(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	if p, err := db.IndexParams(ctx); err != nil || p != testParams {
		t.Fatalf("params %+v %v", p, err)
	}
	bad := testParams
	bad.M = 1
	if err := db.SetIndexParams(ctx, bad); !errors.Is(err, clipvec.ErrInvalidQuery) {
		t.Errorf("M = 1 accepted: %v", err)
	}
	path := filepath.Join(t.TempDir(), "s.jsonl")
	synth{seed: 42, model: "m", dim: 16, videos: 3, clips: 10, options: []string{"visual"}}.write(t, path)
	if _, err := db.Import(ctx, []string{path}, clipvec.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	p := testParams
	p.M, p.Quantize = 8, false
	if err := db.SetIndexParams(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := db.BuildIndex(ctx, "", nil); err != nil {
		t.Fatal(err)
	}
	st, _ := db.IndexStatus(ctx)
	if st[0].Params.M != 8 || st[0].Params.Quantize || st[0].State != "current" {
		t.Errorf("after BuildIndex with new params: %+v", st[0])
	}
	if err := db.BuildIndex(ctx, "nope", nil); !errors.Is(err, clipvec.ErrNotFound) {
		t.Errorf("BuildIndex of an unknown model: %v", err)
	}
}

// TestKilledIndexBuild kills a process while it rebuilds the graph over
// an existing snapshot: the old snapshot stays usable (or the store
// rebuilds it) and searches are right.
func TestKilledIndexBuild(t *testing.T) {
	if path := os.Getenv("CLIPVEC_BUILD_CHILD"); path != "" {
		db, err := clipvec.Open(context.Background(), path)
		if err != nil {
			os.Exit(2)
		}
		for { // rebuild forever until killed, a line per build
			db.BuildIndex(context.Background(), "", func(sp clipvec.Space, done, total int) {
				fmt.Println("built", done, total)
			})
		}
	}
	if testing.Short() {
		t.Skip("spawns a process")
	}
	ctx := context.Background()
	db := openDB(t)
	path := filepath.Join(t.TempDir(), "s.jsonl")
	synth{seed: 43, model: "m", dim: 64, videos: 20, clips: 150, options: []string{"visual"}}.write(t, path)
	if _, err := db.Import(ctx, []string{path}, clipvec.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	dbPath := db.Path()
	db.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledIndexBuild$")
	cmd.Env = append(os.Environ(), "CLIPVEC_BUILD_CHILD="+dbPath)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() }) // never leave it running
	// Let it finish a few builds (each then saves), then kill it
	// somewhere in the next one.
	lines := bufio.NewScanner(out)
	for i := 0; i < 3 && lines.Scan(); i++ {
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	// The writer is dead, its lock gone: its file's age does not matter.
	grace := atomicfile.TempGrace
	atomicfile.TempGrace = 0
	t.Cleanup(func() { atomicfile.TempGrace = grace })
	db, err = clipvec.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, _ := db.IndexStatus(ctx)
	if st[0].State != "current" || st[0].Nodes != 3000 {
		t.Errorf("snapshot after the kill: %+v", st[0])
	}
	exact, _ := db.Search(ctx, clipvec.Query{Vector: randQuery(9, 64), K: 3, Exact: true})
	res, err := db.Search(ctx, clipvec.Query{Vector: randQuery(9, 64), K: 3, Ef: 3000})
	if err != nil || res.Hits[0].ID != exact.Hits[0].ID {
		t.Fatalf("search after the kill: %+v %v", res, err)
	}
	entries, _ := os.ReadDir(dbPath + ".index")
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("leftover %s not cleaned on open", e.Name())
		}
	}
}

// TestFirstSearchAfterOpenLoadsSnapshot: a database closed with a
// current snapshot answers its first graph search from that snapshot,
// with no rebuild and no catch-up.
func TestFirstSearchAfterOpenLoadsSnapshot(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	path := filepath.Join(t.TempDir(), "s.jsonl")
	synth{seed: 44, model: "m", dim: 32, videos: 8, clips: 25, options: []string{"visual"}}.write(t, path)
	if _, err := db.Import(ctx, []string{path}, clipvec.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if st, _ := db.IndexStatus(ctx); st[0].Opened != "built (no snapshot)" {
		t.Fatalf("after the first import: %+v", st[0])
	}
	dbPath := db.Path()
	db.Close()

	db, err := clipvec.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	before, _ := db.IndexStatus(ctx)
	if before[0].Opened != "" || before[0].State != "current" {
		t.Fatalf("before any search: %+v", before[0])
	}
	res, err := db.Search(ctx, clipvec.Query{Vector: randQuery(5, 32), K: 5})
	if err != nil || len(res.Hits) != 5 || res.Method != "graph" {
		t.Fatalf("first search: %+v %v", res, err)
	}
	after, _ := db.IndexStatus(ctx)
	if after[0].Opened != "loaded" || after[0].Generation != before[0].Generation || after[0].Nodes != 200 {
		t.Fatalf("after the first search: %+v", after[0])
	}
}
