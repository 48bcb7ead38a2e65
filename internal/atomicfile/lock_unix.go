//go:build unix

package atomicfile

import (
	"errors"
	"os"
	"syscall"
)

// lock takes an exclusive advisory lock on f, held until f is closed or
// the process dies: it tells CleanTemp that a live writer owns the file.
func lock(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}

// owned reports whether a live process holds the lock on the file at
// path (false for a file that no longer exists).
func owned(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		return false, err
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return false, nil // closing f drops the lock just taken
}

// renameOpen: on Unix a file can be renamed while it is open, so Commit
// renames before it closes and the lock covers the file until it has its
// final name.
const renameOpen = true
