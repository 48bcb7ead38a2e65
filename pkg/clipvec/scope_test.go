package clipvec_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

// rawExec runs statements on a closed database's file, as an older
// clipvec would have left it.
func rawExec(t testing.TB, path string, stmts ...string) {
	t.Helper()
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, s := range stmts {
		if _, err := raw.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// TestAssetScopeMigratedIntoSnapshot: a whole-video vector that embed API
// v2 named "asset", stored and indexed by an older clipvec, is found by
// a search for scope video once the database is migrated, through the
// snapshot saved before (caught up, not rebuilt) and by an exact scan;
// "asset" in a filter still means it.
func TestAssetScopeMigratedIntoSnapshot(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "clipvec.db")
	clips := filepath.Join(dir, "clips.jsonl")
	// More segments than the graph's ef, so an unfiltered search walks it.
	synth{seed: 9, model: "m", dim: 16, videos: 6, clips: 20, options: []string{"visual"}}.write(t, clips)
	wholeVec := randQuery(77, 16)
	var buf bytes.Buffer
	w := ingest.NewWriter(&buf)
	if err := w.WriteSegment(&ingest.Segment{VideoID: "video-002", Model: "m", Option: "visual", Scope: "asset",
		Start: 0, End: 120, SourceKind: ingest.SourceEmbedTaskV2, SourceID: "task-2", Vector: wholeVec}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	whole := filepath.Join(dir, "whole.jsonl")
	if err := os.WriteFile(whole, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	// An older clipvec stored the segment as "asset" and saved a graph
	// whose columns say so.
	db, err := clipvec.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetIndexParams(ctx, testParams); err != nil {
		t.Fatal(err)
	}
	importFiles(t, db, clipvec.ImportOptions{NoIndex: true}, clips, whole)
	db.Close()
	rawExec(t, path, "UPDATE segments SET scope = 'asset' WHERE scope = 'video'")
	db, err = clipvec.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.BuildIndex(ctx, "", nil); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// A v3 file also lacks what later migrations add (0005's column,
	// 0006's table).
	rawExec(t, path, "ALTER TABLE videos DROP COLUMN thumbnail_url", "DROP TABLE mirrors", "PRAGMA user_version = 3")

	db, err = clipvec.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close() // Close is idempotent: reopen closes it first
	if st, err := db.IndexStatus(ctx); err != nil || st[0].State != "behind" {
		t.Fatalf("the snapshot after the migration: %+v %v, want behind", st, err)
	}
	for _, tc := range []struct {
		name   string
		scopes []string
		exact  bool
		method string
	}{
		{"Video", []string{clipvec.ScopeVideo}, false, string(clipvec.MethodExactFiltered)},
		{"VideoExact", []string{clipvec.ScopeVideo}, true, string(clipvec.MethodExact)},
		{"Any", nil, false, string(clipvec.MethodGraph)},
		{"Asset", []string{clipvec.ScopeAsset}, false, string(clipvec.MethodExactFiltered)},
		{"AssetExact", []string{clipvec.ScopeAsset}, true, string(clipvec.MethodExact)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := db.Search(ctx, clipvec.Query{Vector: wholeVec, K: 1, Exact: tc.exact, Filter: clipvec.Filter{Scopes: tc.scopes}})
			if err != nil {
				t.Fatal(err)
			}
			if string(res.Method) != tc.method {
				t.Errorf("answered by %s, want %s", res.Method, tc.method)
			}
			if len(res.Hits) != 1 || res.Hits[0].VideoID != "video-002" || res.Hits[0].Scope != clipvec.ScopeVideo ||
				res.Hits[0].Source.Kind != clipvec.SourceEmbedTaskV2 || res.Hits[0].Score < 0.999 {
				t.Fatalf("hits %+v (%s), want video-002's whole-video vector, scope video, from embed-task-v2", res.Hits, res.Method)
			}
		})
	}
	// Caught up from the snapshot, not rebuilt: the renamed segment
	// replaced its node, and closing saved the graph.
	if st, err := db.IndexStatus(ctx); err != nil || st[0].Opened != "loaded" {
		t.Fatalf("graph %+v %v, want the snapshot loaded", st, err)
	}
	db = reopen(t, db)
	if got := indexState(t, db); got != "m/16:current:122/1" {
		t.Errorf("graph %s, want m/16:current:122/1", got)
	}

	// The export says video, and imports again into the same database.
	exp := export(t, db)
	if strings.Contains(exp, `"scope":"asset"`) || !strings.Contains(exp, `"scope":"video"`) {
		t.Errorf("the export of a migrated database still says asset, or not video")
	}
	again := openDB(t)
	if _, err := again.ImportReader(ctx, "export.jsonl", strings.NewReader(exp), clipvec.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if export(t, again) != exp {
		t.Errorf("the export of a migrated database did not import back as it was")
	}
}
