package command_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/command"
)

func TestImportSummarySaysWhyFilesWereRejected(t *testing.T) {
	status, err := os.ReadFile(filepath.Join(fixtures, "embed_task_status.json"))
	if err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(fixtures, "embed_task_retrieve.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string][]byte{"a.json": status, "b.json": status, "c.json": []byte(`{"nope":`), "d.json": good}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const notReady = `not ready: task 6641c0efc70bb578439bd909 is "processing"`
	out, errs, code := run(t, tempDB(t), "", "import", dir)
	if code != command.ExitInvalidInput {
		t.Fatalf("exit %d, want %d\n%s%s", code, command.ExitInvalidInput, out, errs)
	}
	// On stdout, beside the counts (stderr has the error too).
	for _, want := range []string{
		"rejected: " + filepath.Join(dir, "a.json") + ", " + filepath.Join(dir, "b.json") + ": " + notReady,
		"rejected: " + filepath.Join(dir, "c.json") + ": invalid JSON at line 1",
		"imported 7, replaced 0, skipped 0, rejected 3 files",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, notReady); n != 1 {
		t.Errorf("stdout gives the reason two files share %d times, want once:\n%s", n, out)
	}

	// Many files with one reason: the reason once, a few names, a count.
	many := t.TempDir()
	for i := range 6 {
		if err := os.WriteFile(filepath.Join(many, string(rune('a'+i))+".json"), status, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, _, _ = run(t, tempDB(t), "", "import", many)
	want := "rejected: " + filepath.Join(many, "a.json") + ", " + filepath.Join(many, "b.json") + ", " +
		filepath.Join(many, "c.json") + " and 3 more files: " + notReady
	if !strings.Contains(out, want) || strings.Count(out, notReady) != 1 {
		t.Errorf("stdout lacks %q (once):\n%s", want, out)
	}
}
