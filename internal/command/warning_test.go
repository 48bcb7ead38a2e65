package command_test

import (
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
	// A file where the index directory belongs: no snapshot can be saved.
	if err := os.WriteFile(db+".index", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := run(t, db, "", "import", filepath.Join(fixtures, "embed_task_retrieve.json"))
	if code != command.ExitOK || !strings.Contains(out, "imported 7,") || strings.Contains(out, "graphs updated") || !strings.Contains(errs, "warning: import: the data is committed") {
		t.Fatalf("import: code %d\n%s%s", code, out, errs)
	}
	// The same segments again under another video: the space keeps
	// segments after the delete, so its graph must be updated.
	out, errs, code = run(t, db, "", "import", "--video-id", "other", filepath.Join(fixtures, "embed_task_retrieve.json"))
	if code != command.ExitOK || !strings.Contains(out, "imported 7,") {
		t.Fatalf("second import: code %d\n%s%s", code, out, errs)
	}
	out, errs, code = run(t, db, "", "delete", "other")
	if code != command.ExitOK || !strings.Contains(out, "deleted 1 videos") || !strings.Contains(errs, "warning: delete: the data is committed") {
		t.Fatalf("delete: code %d\n%s%s", code, out, errs)
	}
	out, errs, code = run(t, db, "", "search", "--like", "663e16ac4d11aff765088b3a@7", "--other-videos", "--json")
	if code != command.ExitOK || strings.Contains(out, `"other"`) {
		t.Fatalf("search after the delete: code %d\n%s%s", code, out, errs)
	}
}
