package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"github.com/mattn/go-sqlite3"
)

// ErrNotWritable is wrapped by the errors of Open, and of writes, that
// failed because this process may not write the database file or create
// files beside it (permissions, a read-only medium). OpenReadOnly can
// still read such a file.
var ErrNotWritable = errors.New("not writable by this process")

// WriteError is the error of a write that SQLite could not record: a
// read-only file, a full disk, an I/O error. Its message says so in a
// user's words and names the file; Err is the driver's error.
type WriteError struct {
	Path string
	Err  error
}

func (e *WriteError) Error() string {
	return fmt.Sprintf("could not record the write in %s: %s", e.Path, explain(e.Err))
}

func (e *WriteError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrNotWritable) true when the file, its
// directory or its medium is read-only.
func (e *WriteError) Is(target error) bool { return target == ErrNotWritable && notWritable(e.Err) }

// writeError turns a failed write's error into a *WriteError when SQLite
// (not the caller's data or context) refused it; other errors come back
// as they are.
func (db *DB) writeError(err error) error {
	var se sqlite3.Error
	var we *WriteError
	if err == nil || errors.As(err, &we) || !errors.As(err, &se) {
		return err
	}
	return &WriteError{Path: db.path, Err: err}
}

// explain says what a driver error means for the user, keeping SQLite's
// own words in parentheses; internal steps ("begin write", "insert
// segment") are left out.
func explain(err error) string {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return err.Error()
	}
	switch se.Code {
	case sqlite3.ErrReadonly, sqlite3.ErrPerm:
		return fmt.Sprintf("the file, its directory or its disk is read-only for this user (%s)", se.Error())
	case sqlite3.ErrCantOpen:
		return fmt.Sprintf("cannot open it, or create its journal beside it (%s)", se.Error())
	case sqlite3.ErrFull:
		return fmt.Sprintf("the disk is full (%s)", se.Error())
	case sqlite3.ErrBusy, sqlite3.ErrLocked:
		return fmt.Sprintf("another process kept it locked for 10 s (%s)", se.Error())
	case sqlite3.ErrIoErr:
		return fmt.Sprintf("the disk reported an I/O error (%s)", se.Error())
	}
	return se.Error()
}

// notWritable reports whether err says that a file could not be written
// or created for lack of permission or on a read-only medium.
func notWritable(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrReadonly, sqlite3.ErrPerm, sqlite3.ErrCantOpen:
			return true
		}
	}
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)
}

// notWritableError says in words why a file cannot be written; it
// matches ErrNotWritable, and unwraps to the system's or SQLite's error.
type notWritableError struct {
	msg string
	err error
}

func (e *notWritableError) Error() string        { return e.msg }
func (e *notWritableError) Unwrap() error        { return e.err }
func (e *notWritableError) Is(target error) bool { return target == ErrNotWritable }

// checkWritable fails, wrapping ErrNotWritable, when this process may not
// write path (if it exists) or create files in its directory, as a
// database in WAL mode must (its -wal and -shm files). Asked before
// SQLite opens the file: a read-write open of a file it cannot write
// degrades to read-only, and leaves beside it -wal and -shm files as
// read-only as the file, which would then stop a writer once the file is
// made writable again.
func checkWritable(path, dir string) error {
	if _, err := os.Stat(path); err == nil {
		if err := access(path); err != nil {
			return &notWritableError{fmt.Sprintf("the file is read-only for this user (%v)", errnoText(err)), err}
		}
	}
	if err := access(dir); err != nil {
		return &notWritableError{fmt.Sprintf("its directory %s is read-only for this user, and a database writes files beside itself (%v)",
			dir, errnoText(err)), err}
	}
	return nil
}

// errnoText is the system's words for err, without the path an
// *fs.PathError repeats.
func errnoText(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
