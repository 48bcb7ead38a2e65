package clipvec_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

// TestReimportLeavesTheGraphAlone: importing a file again, unchanged,
// writes nothing: its segments count as unchanged, the generation stays,
// and the search graph keeps its nodes with no tombstone and needs no
// catch-up (a replaced segment would leave one, and cost the next search
// an insert). One changed file after it is replaced as before.
func TestReimportLeavesTheGraphAlone(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	first, err := db.Import(ctx, []string{sampleExports}, clipvec.ImportOptions{})
	if err != nil || first.Imported != 1284 {
		t.Fatalf("import: %v %+v", err, first)
	}
	status := func() clipvec.IndexStatus {
		t.Helper()
		st, err := db.IndexStatus(ctx)
		if err != nil || len(st) != 1 {
			t.Fatalf("index status: %v %+v", err, st)
		}
		return st[0]
	}
	before := status()
	if before.State != clipvec.IndexCurrent || before.Nodes != 1284 || before.Deleted != 0 {
		t.Fatalf("after the first import: %+v", before)
	}
	one := filepath.Join(sampleExports, "04-city-timelapse-01.embed-task.json")
	again, err := db.Import(ctx, []string{one}, clipvec.ImportOptions{})
	if err != nil || again.Imported != 0 || again.Replaced != 0 || again.Unchanged == 0 || again.IndexElapsed != 0 {
		t.Fatalf("import again: %v %+v; want every segment unchanged and no graph work", err, again)
	}
	after := status()
	if after.State != clipvec.IndexCurrent || after.Nodes != before.Nodes || after.Deleted != 0 ||
		after.Generation != before.Generation || after.StoreGeneration != before.StoreGeneration {
		t.Errorf("graph after an unchanged import: %+v, want it as before: %+v", after, before)
	}
	// The whole sample again: the same.
	if all, err := db.Import(ctx, []string{sampleExports}, clipvec.ImportOptions{}); err != nil || all.Unchanged != 1284 || all.Replaced != 0 {
		t.Fatalf("the sample again: %v %+v", err, all)
	}
	if st := status(); st.Deleted != 0 || st.StoreGeneration != before.StoreGeneration {
		t.Errorf("graph after the sample again: %+v", st)
	}
}
