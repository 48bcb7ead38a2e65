package clipvec_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

// twoSpacesNoIndex opens a database of two spaces, a/16 and b/16 (the
// same five videos, 10 clips each), imported with no graph.
func twoSpacesNoIndex(t *testing.T) *clipvec.DB {
	t.Helper()
	db := openDB(t)
	dir := t.TempDir()
	var files []string
	for i, model := range []string{"a", "b"} {
		f := filepath.Join(dir, model+".jsonl")
		synth{seed: uint64(i + 1), model: model, dim: 16, videos: 5, clips: 10, options: []string{"visual"}}.write(t, f)
		files = append(files, f)
	}
	importFiles(t, db, clipvec.ImportOptions{NoIndex: true}, files...)
	return db
}

// TestSpacesBuildIndependently: while space B builds its first graph
// (held mid-build by its progress callback), a search in space A and
// IndexStatus answer (issue 9: a first build held the engine's lock, so
// every search in every space waited for it).
func TestSpacesBuildIndependently(t *testing.T) {
	ctx := context.Background()
	db := twoSpacesNoIndex(t)
	// A's graph is opened first, so the test measures B's build only.
	if _, err := db.Search(ctx, clipvec.Query{Vector: randQuery(1, 16), Model: "a", K: 3}); err != nil {
		t.Fatal(err)
	}
	var spaceB clipvec.Space
	spaces, _ := db.Spaces(ctx)
	for _, sp := range spaces {
		if sp.Model == "b" {
			spaceB = sp
		}
	}
	building, release := make(chan struct{}), make(chan struct{})
	built := make(chan error, 1)
	go func() {
		first := true
		built <- db.SyncIndexes(ctx, []clipvec.Space{spaceB}, func(sp clipvec.Space, done, total int) {
			if first {
				first = false
				close(building)
				<-release // B's build stays half done until A has answered
			}
		})
	}()
	<-building
	answered := make(chan error, 1)
	go func() {
		res, err := db.Search(ctx, clipvec.Query{Vector: randQuery(2, 16), Model: "a", K: 3})
		if err == nil && (res.Method != "graph" || len(res.Hits) != 3) {
			err = fmt.Errorf("search in A: %+v", res)
		}
		if err == nil {
			var st []clipvec.IndexStatus
			st, err = db.IndexStatus(ctx)
			if err == nil && len(st) != 2 {
				err = fmt.Errorf("status: %+v", st)
			}
		}
		answered <- err
	}()
	select {
	case err := <-answered:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute): // a hang, not a speed limit
		close(release)
		t.Fatal("a search in space A waited for space B's first build")
	}
	close(release)
	if err := <-built; err != nil {
		t.Fatal(err)
	}
	if got := indexState(t, db); !strings.Contains(got, "b/16:current:50/0") {
		t.Errorf("after both: %s", got)
	}
}

// TestDeleteAfterNoIndexBuildsNothing: a delete tombstones the graphs
// there are, and builds none (issue 9: it synced every space, building
// every graph an import --no-index had deferred).
func TestDeleteAfterNoIndexBuildsNothing(t *testing.T) {
	ctx := context.Background()
	db := twoSpacesNoIndex(t)
	if n, err := db.Delete(ctx, "video-001"); err != nil || n != 20 {
		t.Fatalf("delete: %d %v", n, err)
	}
	st, err := db.IndexStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.State != "missing" || s.Opened != "" {
			t.Errorf("%s after a delete: state %s, opened %q; want no graph", s.Space, s.State, s.Opened)
		}
	}
	// With A's graph built, a delete in both spaces updates A's only.
	if err := db.SyncIndexes(ctx, []clipvec.Space{st[0].Space}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Delete(ctx, "video-002"); err != nil {
		t.Fatal(err)
	}
	// 10 of 40 nodes dead is past the compaction fraction: compacted.
	if got := indexState(t, db); got != "a/16:current:30/0 b/16:missing:0/0" {
		t.Errorf("after the second delete: %s", got)
	}
}
