//go:build unix

package sqlite

import (
	"io/fs"

	"golang.org/x/sys/unix"
)

// access fails when this process may not write path: its permissions
// (for a directory, to create files in it) or a read-only medium.
func access(path string) error {
	if err := unix.Access(path, unix.W_OK); err != nil {
		return &fs.PathError{Op: "access", Path: path, Err: err}
	}
	return nil
}
