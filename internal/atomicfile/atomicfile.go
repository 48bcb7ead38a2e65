// Package atomicfile replaces files so that a reader, or the next run
// after a crash, sees either the old content or the new, never a part.
//
// The new content goes to a temporary file beside the final one (same
// directory, so the rename cannot cross file systems), named
// ".BASE.tmp-RANDOM"; Commit makes it readable by all (0644), syncs it,
// renames it over the final path and syncs the directory.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// File is a file being written under a temporary name. Write to it, then
// Commit; Abort (safe to defer, a no-op after Commit) throws it away.
type File struct {
	*os.File
	path string
	done bool
}

// Create starts replacing path. The temporary file is locked (an
// advisory lock, where the system has them) until it is committed or
// aborted, so CleanTemp in another process leaves it alone.
func Create(path string) (*File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, err
	}
	if err := lock(f); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	return &File{File: f, path: path}, nil
}

// Commit puts the written content in place of the file's final path.
// On an error the temporary file is removed and the final path is as it
// was (unless the directory sync failed: then the rename happened but may
// not survive a crash).
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("commit %s: already finished", f.path)
	}
	f.done = true
	err := f.Chmod(0o644)
	if err == nil {
		err = f.Sync()
	}
	// Renamed while still open (and so locked) where the system allows:
	// closing first would leave a moment in which CleanTemp could take
	// the file for a crashed writer's.
	if err == nil && renameOpen {
		err = os.Rename(f.Name(), f.path)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && !renameOpen {
		err = os.Rename(f.Name(), f.path)
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	return SyncDir(filepath.Dir(f.path))
}

// Abort discards the temporary file, unless Commit already ran.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.Close()
	os.Remove(f.Name())
}

// Write replaces path with what write writes to it.
func Write(path string, write func(w io.Writer) error) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := write(f); err != nil {
		return err
	}
	return f.Commit()
}

// IsTemp reports whether name (a base name) is a temporary file Create
// made: one a crashed writer may have left behind.
func IsTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-")
}

// SyncDir makes renames into dir durable. Windows cannot sync a
// directory.
func SyncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return d.Close()
}
