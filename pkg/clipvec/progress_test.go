package clipvec_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

// works records what OnIndexWork is told.
type works []clipvec.IndexWork

// check fails t unless w is one change of step, for why, to total nodes:
// begun at 0, going forward, ended at total.
func (w works) check(t testing.TB, step clipvec.IndexStep, why string, total int) {
	t.Helper()
	if len(w) < 2 || w[0].Done != 0 || w[len(w)-1].Done != total {
		t.Fatalf("reports %+v: want 0 to %d", w, total)
	}
	for i, r := range w {
		if r.Step != step || r.Why != why || r.Total != total || r.Space.String() != "marengo3.0/16" {
			t.Errorf("report %d: %+v, want step %q why %q total %d", i, r, step, why, total)
		}
		if i > 0 && r.Done <= w[i-1].Done {
			t.Errorf("report %d: done %d after %d", i, r.Done, w[i-1].Done)
		}
	}
}

func TestOnIndexWork(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	all, some := filepath.Join(dir, "all.jsonl"), filepath.Join(dir, "some.jsonl")
	synth{seed: 1, model: "marengo3.0", dim: 16, videos: 30, clips: 50, options: []string{"visual"}}.write(t, all)
	synth{seed: 2, model: "marengo3.0", dim: 16, videos: 2, clips: 50, options: []string{"visual"}}.write(t, some)
	db := openDB(t)
	var got works
	db.OnIndexWork = func(w clipvec.IndexWork) { got = append(got, w) }
	if _, err := db.Import(ctx, []string{all}, clipvec.ImportOptions{NoIndex: true}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("import --no-index: %+v", got)
	}
	query := clipvec.Query{LikeVideo: "video-003", K: 3}

	t.Run("SearchBuilds", func(t *testing.T) {
		got = nil
		if _, err := db.Search(ctx, query); err != nil {
			t.Fatal(err)
		}
		got.check(t, clipvec.IndexBuild, "none saved", 1500)
		if len(got) < 3 {
			t.Errorf("reports %+v: want one during the build too", got)
		}
	})
	t.Run("ReadyQuiet", func(t *testing.T) {
		got = nil
		if _, err := db.Search(ctx, query); err != nil || len(got) != 0 {
			t.Errorf("search of a ready graph: %v, reports %+v", err, got)
		}
	})
	t.Run("SearchCatchesUp", func(t *testing.T) {
		if _, err := db.Import(ctx, []string{some}, clipvec.ImportOptions{NoIndex: true}); err != nil {
			t.Fatal(err)
		}
		got = nil
		if _, err := db.Search(ctx, query); err != nil {
			t.Fatal(err)
		}
		got.check(t, clipvec.IndexCatchUp, "", 100) // 2 videos' segments replaced
	})
	t.Run("Build", func(t *testing.T) {
		got = nil
		var calls int
		if err := db.BuildIndex(ctx, "", func(clipvec.Space, int, int) { calls++ }); err != nil {
			t.Fatal(err)
		}
		got.check(t, clipvec.IndexBuild, "", 1500)
		if calls != len(got) {
			t.Errorf("the call's progress was told %d times, OnIndexWork %d", calls, len(got))
		}
	})
	t.Run("Compact", func(t *testing.T) {
		got = nil
		if err := db.CompactIndex(ctx, "", nil); err != nil {
			t.Fatal(err)
		}
		got.check(t, clipvec.IndexCompact, "", 1500)
	})
}

func TestExportProgress(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "all.jsonl")
	synth{seed: 1, model: "marengo3.0", dim: 16, videos: 30, clips: 50, options: []string{"visual"}}.write(t, path)
	db := openDB(t)
	if _, err := db.Import(ctx, []string{path}, clipvec.ImportOptions{NoIndex: true}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		opts        clipvec.ExportOptions
		done, total int
	}{
		{"All", clipvec.ExportOptions{}, 1500, 1500},
		{"Model", clipvec.ExportOptions{Model: "marengo3.0"}, 1500, 1500},
		{"OtherModel", clipvec.ExportOptions{Model: "marengo2.7"}, 0, 0},
		{"Videos", clipvec.ExportOptions{Videos: []string{"video-001", "video-002"}}, 100, 100},
		{"Unknown", clipvec.ExportOptions{Videos: []string{"video-001"}, Model: "marengo3.0"}, 50, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var dones, totals []int
			tc.opts.Progress = func(done, total int) { dones, totals = append(dones, done), append(totals, total) }
			st, err := db.Export(ctx, &bytes.Buffer{}, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(dones); n < 2 || dones[0] != 0 || dones[n-1] != tc.done || st.Segments != tc.done {
				t.Fatalf("progress %v of %v, %d exported: want 0 to %d", dones, totals, st.Segments, tc.done)
			}
			for i := range dones {
				if totals[i] != tc.total || i > 0 && dones[i] < dones[i-1] {
					t.Errorf("progress %v of %v: want done going forward, of %d", dones, totals, tc.total)
					break
				}
			}
		})
	}
}
