package command_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/command"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

func quickstart(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"clipvec", "quickstart", "--sample", "../../testdata/sample/exports"}, args...)
	code := command.Run(context.Background(), full, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

// TestQuickstartReplacesOnlyItsOwn: quickstart makes its database in a
// new file, or replaces one it made that holds only the sample; any
// other file (notes, a database of one's own, another program's SQLite
// database, a quickstart database with other videos imported) is
// refused with exit 2, naming the file and why, and left byte for byte
// as it was, with nothing created beside it. The default location in
// the temp directory behaves the same.
func TestQuickstartReplacesOnlyItsOwn(t *testing.T) {
	dir := t.TempDir()
	notes := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notes, []byte("my notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mine := filepath.Join(dir, "mine.db")
	if out, errs, code := run(t, mine, "", "import", filepath.Join(fixtures, "embed_task_retrieve.json")); code != command.ExitOK {
		t.Fatalf("import: %d\n%s%s", code, out, errs)
	}
	foreign := filepath.Join(dir, "app.sqlite")
	raw, err := sql.Open("sqlite3", foreign)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("CREATE TABLE t (x); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	refused := func(t *testing.T, path, why string, args ...string) {
		t.Helper()
		before, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		entries, _ := os.ReadDir(filepath.Dir(path))
		out, errs, code := quickstart(t, args...)
		want := "clipvec: quickstart: " + path + " " + why
		if code != command.ExitUsage || out != "" || !strings.HasPrefix(errs, want) || !strings.Contains(errs, "choose another --into FILE") {
			t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, out, errs, want)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
			t.Errorf("%s changed", path)
		}
		if after, _ := os.ReadDir(filepath.Dir(path)); len(after) != len(entries) {
			t.Errorf("%s: %d entries, was %d: quickstart left files beside a file it refused", filepath.Dir(path), len(after), len(entries))
		}
	}
	t.Run("ErrNotes", func(t *testing.T) { refused(t, notes, "exists and is not a database (9 B)", "--into", notes) })
	t.Run("ErrEmptyFile", func(t *testing.T) { refused(t, empty, "exists and is not a database (0 B)", "--into", empty) })
	t.Run("ErrOwnDatabase", func(t *testing.T) {
		refused(t, mine, "is a clipvec database that quickstart did not make (1 video)", "--into", mine)
	})
	t.Run("ErrForeignDatabase", func(t *testing.T) {
		refused(t, foreign, "is not a clipvec database quickstart made", "--into", foreign)
	})
	t.Run("ErrDefaultLocation", func(t *testing.T) {
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp)
		def := filepath.Join(tmp, "clipvec-quickstart", "clipvec.db")
		if err := os.MkdirAll(filepath.Dir(def), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(def, []byte("not quickstart's\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		refused(t, def, "exists and is not a database")
	})

	t.Run("OK", func(t *testing.T) {
		fresh := filepath.Join(t.TempDir(), "q.db")
		for _, run := range []string{"new", "again"} {
			out, errs, code := quickstart(t, "--into", fresh)
			if code != command.ExitOK || !strings.Contains(out, "imported 1,284,") {
				t.Fatalf("%s: exit %d\n%s%s", run, code, out, errs)
			}
		}
		// Another video imported into it: no longer only the sample.
		if out, errs, code := run(t, fresh, "", "import", filepath.Join(fixtures, "embed_task_retrieve.json")); code != command.ExitOK {
			t.Fatalf("import: %d\n%s%s", code, out, errs)
		}
		refused(t, fresh, "was made by quickstart, but holds videos that are not the sample's (663e16ac4d11aff765088b3a, say)", "--into", fresh)
	})
	// A quickstart older than the mark made databases that hold the
	// sample and nothing else: those are replaced, so that the README's
	// first command works again after an upgrade.
	t.Run("OlderQuickstart", func(t *testing.T) {
		old := filepath.Join(t.TempDir(), "old.db")
		if out, errs, code := run(t, old, "", "import", "../../testdata/sample/exports"); code != command.ExitOK {
			t.Fatalf("import: %d\n%s%s", code, out, errs)
		}
		if out, errs, code := quickstart(t, "--into", old); code != command.ExitOK || !strings.Contains(out, "imported 1,284,") {
			t.Fatalf("exit %d\n%s%s", code, out, errs)
		}
	})
	t.Run("ErrEmptyDatabase", func(t *testing.T) {
		blank := filepath.Join(t.TempDir(), "blank.db")
		db, err := clipvec.Open(context.Background(), blank)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		refused(t, blank, "is a clipvec database that quickstart did not make (no videos)", "--into", blank)
	})
}
