//go:build unix

package command_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/clipvec/clipvec/internal/command"
)

// exportFixture returns a database holding a few segments and what export
// writes of it to stdout.
func exportFixture(t testing.TB) (db, want string) {
	t.Helper()
	db = tempDB(t)
	if out, errs, code := run(t, db, "", "import", filepath.Join(fixtures, "embed_task_retrieve.json")); code != command.ExitOK {
		t.Fatalf("import: code %d\n%s%s", code, out, errs)
	}
	want, errs, code := run(t, db, "", "export")
	if code != command.ExitOK || want == "" {
		t.Fatalf("export: code %d %s", code, errs)
	}
	return db, want
}

// typeOf is the type bits of what path itself is (a link is a link).
func typeOf(t testing.TB, path string) fs.FileMode {
	t.Helper()
	info, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mode().Type()
}

func TestExportOutputKinds(t *testing.T) {
	db, want := exportFixture(t)

	t.Run("OKSymlinkToFileReplacesTarget", func(t *testing.T) {
		dir := t.TempDir()
		target, link := filepath.Join(dir, "target.jsonl"), filepath.Join(dir, "link.jsonl")
		if err := os.WriteFile(target, []byte("old\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("target.jsonl", link); err != nil {
			t.Fatal(err)
		}
		if _, errs, code := run(t, db, "", "export", "-o", link); code != command.ExitOK {
			t.Fatalf("code %d %s", code, errs)
		}
		if got := typeOf(t, link); got != fs.ModeSymlink {
			t.Fatalf("the link became %v, want it left a link", got)
		}
		if dest, _ := os.Readlink(link); dest != "target.jsonl" {
			t.Errorf("the link points to %q, want target.jsonl", dest)
		}
		if got := exportedText(t, target); got != want {
			t.Errorf("the link's target holds %d bytes, want the export's %d", len(got), len(want))
		}
		onlyEntries(t, dir, "link.jsonl", "target.jsonl")
	})

	t.Run("OKCharDevice", func(t *testing.T) {
		// A null device of the test's own (mknod needs root), so that the
		// old behaviour, a rename over the node, cannot touch /dev/null.
		path := filepath.Join(t.TempDir(), "null")
		if err := syscall.Mknod(path, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
			t.Skipf("mknod: %v", err)
		}
		out, errs, code := run(t, db, "", "export", "-o", path)
		if code != command.ExitOK || !strings.Contains(out, "exported 7 segments") {
			t.Fatalf("code %d\n%s%s", code, out, errs)
		}
		if got := typeOf(t, path); got != fs.ModeDevice|fs.ModeCharDevice {
			t.Errorf("the device node became %v, want a character device", got)
		}
	})

	t.Run("OKSymlinkToDevNull", func(t *testing.T) {
		dir := t.TempDir()
		link := filepath.Join(dir, "sink.jsonl.gz")
		if err := os.Symlink("/dev/null", link); err != nil {
			t.Fatal(err)
		}
		if _, errs, code := run(t, db, "", "export", "-o", link); code != command.ExitOK {
			t.Fatalf("code %d %s", code, errs)
		}
		if got := typeOf(t, link); got != fs.ModeSymlink {
			t.Errorf("the link became %v, want it left a link", got)
		}
		if got := typeOf(t, "/dev/null"); got != fs.ModeDevice|fs.ModeCharDevice {
			t.Errorf("/dev/null became %v", got)
		}
		onlyEntries(t, dir, "sink.jsonl.gz")
	})

	t.Run("OKFIFO", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "pipe")
		if err := syscall.Mkfifo(path, 0o600); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
		got := make(chan string, 1)
		go func() {
			b, err := os.ReadFile(path)
			if err != nil {
				got <- "error: " + err.Error()
			}
			got <- string(b)
		}()
		if _, errs, code := run(t, db, "", "export", "-o", path); code != command.ExitOK {
			t.Fatalf("code %d %s", code, errs)
		}
		if mode := typeOf(t, path); mode != fs.ModeNamedPipe {
			// The reader may be waiting on the pipe the rename unlinked:
			// do not wait for it.
			t.Fatalf("the FIFO became %v", mode)
		}
		if s := <-got; s != want {
			t.Errorf("the reader got %d bytes, want the export's %d", len(s), len(want))
		}
		onlyEntries(t, dir, "pipe")
	})

	t.Run("OKStdoutByName", func(t *testing.T) {
		// What -o /dev/stdout leads to when stdout is a pipe.
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		path := fmt.Sprintf("/proc/self/fd/%d", w.Fd())
		if _, err := os.Stat(path); err != nil {
			w.Close()
			t.Skipf("no /proc: %v", err)
		}
		got := make(chan string, 1)
		go func() {
			b, _ := io.ReadAll(r)
			got <- string(b)
		}()
		var errb bytes.Buffer
		code := command.Run(context.Background(), []string{"clipvec", "--db", db, "export", "-o", path}, strings.NewReader(""), w, &errb)
		w.Close()
		if s := <-got; code != command.ExitOK || s != want {
			t.Errorf("code %d, %s; stdout got %d bytes, want the export's %d alone", code, errb.String(), len(s), len(want))
		}
		if !strings.Contains(errb.String(), "exported 7 segments") {
			t.Errorf("stderr %q, want the counts there", errb.String())
		}
	})

	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, path string)
		msg   string
	}{
		{"ErrDirectory", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
		}, "is a directory"},
		{"ErrDanglingSymlink", func(t *testing.T, path string) {
			if err := os.Symlink("missing.jsonl", path); err != nil {
				t.Fatal(err)
			}
		}, "symbolic link to missing.jsonl, which does not exist"},
		{"ErrSymlinkLoop", func(t *testing.T, path string) {
			other := filepath.Join(filepath.Dir(path), "other")
			if err := errors.Join(os.Symlink("other", path), os.Symlink(filepath.Base(path), other)); err != nil {
				t.Fatal(err)
			}
		}, "loop of symbolic links"},
		{"ErrSocket", func(t *testing.T, path string) {
			l, err := net.Listen("unix", path)
			if err != nil {
				t.Skipf("listen: %v", err)
			}
			l.(*net.UnixListener).SetUnlinkOnClose(false)
			t.Cleanup(func() { l.Close() })
		}, "is a socket"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.jsonl")
			tc.setup(t, path)
			before := typeOf(t, path)
			_, errs, code := run(t, db, "", "export", "-o", path)
			if code != command.ExitUsage || !strings.Contains(errs, tc.msg) || strings.Contains(errs, ".tmp-") {
				t.Errorf("exit %d, stderr %q; want exit %d saying %q", code, errs, command.ExitUsage, tc.msg)
			}
			if got := typeOf(t, path); got != before {
				t.Errorf("%s became %v, want it left a %v", path, got, before)
			}
			if _, err := os.Stat(filepath.Join(dir, "missing.jsonl")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a dangling link's target was created (%v)", err)
			}
		})
	}
}

func exportedText(t testing.TB, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// onlyEntries fails unless dir holds exactly the named entries (no
// temporary file left behind).
func onlyEntries(t testing.TB, dir string, names ...string) {
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
