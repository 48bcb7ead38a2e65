package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/sqlite"
)

// TestWriteErrorSaysWhy: a write SQLite refuses fails with an error
// that names the file and says why in a user's words, keeps the
// driver's error, and leaks no internal step; a read-only refusal
// matches ErrNotWritable. The writer connection is set to fail as a
// read-only file (query_only) or a full disk (max_page_count) would.
func TestWriteErrorSaysWhy(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, pragma string
		want         []string
		notWritable  bool
	}{
		{"ReadOnly", "query_only = 1", []string{"read-only", "attempt to write a readonly database"}, true},
		// max_page_count is raised to the pages the file has: no room
		// for a new one.
		{"DiskFull", "max_page_count = 1", []string{"the disk is full", "database or disk is full"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.db")
			db, err := sqlite.Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			write(t, db, seg("a", 0, 1, 0))
			if err := sqlite.WriterPragma(db, tc.pragma); err != nil {
				t.Fatal(err)
			}
			tx, err := db.Begin(ctx)
			if err == nil {
				for i := 0; err == nil && i < 100; i++ {
					_, err = tx.UpsertSegment(seg("b", float64(i), make([]float32, 2048)...))
				}
				if err == nil {
					err = tx.Commit()
				}
				tx.Rollback()
			}
			var we *sqlite.WriteError
			if !errors.As(err, &we) || errors.Is(err, sqlite.ErrNotWritable) != tc.notWritable {
				t.Fatalf("err = %v (%T), want a *WriteError (matching ErrNotWritable: %v)", err, err, tc.notWritable)
			}
			msg := err.Error()
			for _, want := range append([]string{"could not record the write in " + path + ": "}, tc.want...) {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q lacks %q", msg, want)
				}
			}
			for _, internal := range []string{"generation", "begin write", "insert segment", "add video"} {
				if strings.Contains(msg, internal) {
					t.Errorf("error %q shows the internal step %q", msg, internal)
				}
			}
			if !tc.notWritable {
				return
			}
			if _, _, err := db.DeleteVideos(ctx, []string{"a"}); !errors.Is(err, sqlite.ErrNotWritable) || !strings.Contains(err.Error(), "could not record the write") {
				t.Errorf("DeleteVideos: %v, want the same kind of error", err)
			}
		})
	}
}

// TestOpenNotWritable: Open refuses, naming why, a file or a directory
// this process may not write, before SQLite touches anything; root may
// write anything, so this runs for other users only.
func TestOpenNotWritable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes read-only files and directories")
	}
	ctx := context.Background()
	t.Run("ReadOnlyFile", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "c.db")
		makeDB(t, path)
		if err := os.Chmod(path, 0o444); err != nil {
			t.Fatal(err)
		}
		_, err := sqlite.Open(ctx, path)
		if !errors.Is(err, sqlite.ErrNotWritable) || !strings.Contains(err.Error(), "the file is read-only for this user (permission denied)") {
			t.Fatalf("Open = %v, want ErrNotWritable saying the file is read-only", err)
		}
		onlyFiles(t, filepath.Dir(path), "c.db")
	})
	t.Run("ReadOnlyDir", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "c.db")
		makeDB(t, path)
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
		_, err := sqlite.Open(ctx, path)
		if !errors.Is(err, sqlite.ErrNotWritable) || !strings.Contains(err.Error(), "its directory "+dir+" is read-only") {
			t.Fatalf("Open = %v, want ErrNotWritable naming the directory", err)
		}
		db, err := sqlite.OpenReadOnly(ctx, path)
		if err != nil {
			t.Fatalf("OpenReadOnly: %v", err)
		}
		defer db.Close()
		if got := all(t, db); len(got) != 1 {
			t.Errorf("read %d segments, want 1", len(got))
		}
	})
}

// makeDB creates a database at path holding one segment, and closes it.
func makeDB(t testing.TB, path string) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	write(t, db, seg("a", 0, 1, 0))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// onlyFiles fails unless dir holds exactly names.
func onlyFiles(t testing.TB, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, " ") != strings.Join(names, " ") {
		t.Errorf("%s holds %v, want %v", dir, got, names)
	}
}

// TestOpenReadOnlyFrozenLeavesNothing: a database file no one may write
// is read without creating -wal and -shm files beside it (they would be
// read-only too, and stop the next writer once the file is made writable
// again), and a writer can use it after that.
func TestOpenReadOnlyFrozenLeavesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "c.db")
	makeDB(t, path)
	onlyFiles(t, dir, "c.db")
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if got := all(t, db); len(got) != 1 {
		t.Errorf("read %d segments, want 1", len(got))
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	onlyFiles(t, dir, "c.db")
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	write(t, w, seg("b", 0, 0, 1))
}

// TestOpenRefusesForeignDatabase: a SQLite file another program made
// (tables, no clipvec schema) is left as it is.
func TestOpenRefusesForeignDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "notes.sqlite")
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me')"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sqlite.Open(ctx, path)
	if !errors.Is(err, sqlite.ErrForeign) || !strings.Contains(err.Error(), "a SQLite database that clipvec did not make") {
		t.Fatalf("Open = %v, want ErrForeign", err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("Open changed another program's database")
	}
}
