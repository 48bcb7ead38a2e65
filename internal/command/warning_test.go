package command_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/command"
)

// TestGraphNotSavedIsAWarning: an import and a delete whose data
// committed, but whose search graph could not be saved, succeed with a
// warning and exit 0, and searches after them are current (issue 8,
// item 4: a committed write was reported as a failed command).
func TestGraphNotSavedIsAWarning(t *testing.T) {
	db := tempDB(t)
	fixture := filepath.Join(fixtures, "embed_task_retrieve.json")
	out, errs, code := run(t, db, "", "import", fixture)
	if code != command.ExitOK || !strings.Contains(out, "imported 7,") {
		t.Fatalf("import: code %d\n%s%s", code, out, errs)
	}
	// A directory where the snapshot belongs: no snapshot can be saved
	// over it.
	out, _, _ = run(t, db, "", "index", "status", "--json")
	var st struct{ Spaces []struct{ Snapshot string } }
	if err := json.Unmarshal([]byte(out), &st); err != nil || len(st.Spaces) != 1 {
		t.Fatalf("index status: %v\n%s", err, out)
	}
	snap := st.Spaces[0].Snapshot
	if err := os.Remove(snap); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(snap, "in-the-way"), 0o755); err != nil {
		t.Fatal(err)
	}
	// The same segments again under another video.
	out, errs, code = run(t, db, "", "import", "--video-id", "other", fixture)
	if code != command.ExitOK || !strings.Contains(out, "imported 7,") || strings.Contains(out, "graphs updated") ||
		!strings.Contains(errs, "warning: import: the data is committed") {
		t.Fatalf("second import: code %d\n%s%s", code, out, errs)
	}
	// Why, in words: the snapshot and the reason, not the temporary
	// file it was written to nor the internal step (issue 13, item 6).
	if want := "could not save the search graph of marengo3.0/2 beside the database, as " + snap + ": a directory is in its place"; !strings.Contains(errs, want) ||
		strings.Contains(errs, ".tmp-") || strings.Contains(errs, "save index") || strings.Contains(errs, "save snapshot") {
		t.Errorf("second import's warning: %q, want %q and no temporary file", errs, want)
	}
	out, errs, code = run(t, db, "", "delete", "other")
	if code != command.ExitOK || !strings.Contains(out, "deleted 1 video (") || !strings.Contains(errs, "warning: delete: the data is committed") {
		t.Fatalf("delete: code %d\n%s%s", code, out, errs)
	}
	out, errs, code = run(t, db, "", "search", "--like", "663e16ac4d11aff765088b3a@7", "--json")
	if code != command.ExitOK || strings.Contains(out, `"other"`) {
		t.Fatalf("search after the delete: code %d\n%s%s", code, out, errs)
	}
}
