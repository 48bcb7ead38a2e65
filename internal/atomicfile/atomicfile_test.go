package atomicfile_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/clipvec/clipvec/internal/atomicfile"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// onlyFile fails unless dir holds exactly the one named file.
func onlyFile(t *testing.T, dir, name string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != name {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("directory holds %v, want only %s", names, name)
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.txt")
	if err := atomicfile.Write(path, func(w io.Writer) error { _, err := io.WriteString(w, "one"); return err }); err != nil {
		t.Fatal(err)
	}
	if got := read(t, path); got != "one" {
		t.Fatalf("content %q", got)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", info.Mode().Perm())
	}
	// A failing write leaves the old content and no temporary file.
	boom := errors.New("boom")
	err := atomicfile.Write(path, func(w io.Writer) error {
		io.WriteString(w, "two, half")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want the writer's", err)
	}
	if got := read(t, path); got != "one" {
		t.Fatalf("content after a failed write %q, want the old one", got)
	}
	onlyFile(t, dir, "f.txt")
	if err := atomicfile.Write(path, func(w io.Writer) error { _, err := io.WriteString(w, "three"); return err }); err != nil {
		t.Fatal(err)
	}
	if got := read(t, path); got != "three" {
		t.Fatalf("content %q", got)
	}
	onlyFile(t, dir, "f.txt")
}

func TestCreateAbortAndTempNames(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "g.bin")
	f, err := atomicfile.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if !atomicfile.IsTemp(filepath.Base(f.Name())) || atomicfile.IsTemp("g.bin") {
		t.Errorf("IsTemp(%q) false or IsTemp(g.bin) true", filepath.Base(f.Name()))
	}
	f.WriteString("x")
	f.Abort()
	f.Abort() // twice is harmless
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("an aborted file left %d entries", len(entries))
	}
	f, err = atomicfile.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("y")
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Abort() // after Commit: a no-op
	if err := f.Commit(); err == nil {
		t.Error("a second Commit succeeded")
	}
	if got := read(t, path); got != "y" {
		t.Fatalf("content %q", got)
	}
	onlyFile(t, dir, "g.bin")
}
