package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Output is new content on its way to a path named by a user: Write to
// it, then Commit; Abort (safe to defer, a no-op after Commit) gives up.
// An Output is not safe for concurrent use.
type Output interface {
	io.Writer
	Commit() error
	Abort()
}

// NotWritableError is a path OpenOutput will not write to, and why.
type NotWritableError struct {
	Path   string
	Reason string // "is a directory", "is a socket", ...
}

func (e *NotWritableError) Error() string { return e.Path + ": " + e.Reason }

// OpenOutput opens path for new content, in the way what is there calls
// for:
//
//   - nothing, or a regular file: the file is replaced atomically, as by
//     [Create]; a failed write leaves it as it was.
//   - a device or a FIFO (a terminal, /dev/null, a pipe someone reads):
//     written in place. Nothing is created, truncated or renamed, and
//     opening a FIFO waits for its reader.
//   - a symbolic link: followed, and the rules above apply to what it
//     leads to. A link to a regular file stays a link and its target is
//     replaced; /dev/stdout writes to whatever standard output is.
//
// It refuses, with a *NotWritableError, a directory, a socket, a loop of
// links, and a link to something that does not exist: creating a file
// through a dangling link is how a symlink planted in a shared directory
// makes a privileged writer create files elsewhere (cp refuses it too).
func OpenOutput(path string) (Output, error) {
	info, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Create(path)
	case err != nil:
		return nil, err
	case info.Mode().IsRegular():
		return Create(path)
	case info.Mode()&fs.ModeSymlink != 0:
		return openLink(path)
	}
	return openInPlace(path, info)
}

// openLink opens the output a symbolic link leads to.
func openLink(path string) (Output, error) {
	// Stat lets the kernel follow the links, /proc/self/fd's included
	// (which name pipes and deleted files no path resolution could).
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, syscall.ELOOP):
		return nil, &NotWritableError{path, "is a loop of symbolic links"}
	case errors.Is(err, fs.ErrNotExist):
		return nil, &NotWritableError{path, fmt.Sprintf("is a symbolic link to %s, which does not exist", lastLink(path))}
	case err != nil:
		return nil, err
	case !info.Mode().IsRegular():
		return openInPlace(path, info)
	}
	// A regular file is replaced by renaming over it, so it takes its
	// real name: renaming over path would replace the link.
	target, err := filepath.EvalSymlinks(path)
	if err == nil {
		var ti fs.FileInfo
		if ti, err = os.Stat(target); err == nil && !os.SameFile(info, ti) {
			err = errors.New("another file")
		}
	}
	if err != nil {
		return nil, &NotWritableError{path, "is a symbolic link to a file with no name to replace it under"}
	}
	return Create(target)
}

// lastLink is where the chain of links starting at path ends up pointing,
// as written in the last link.
func lastLink(path string) string {
	dest := ""
	for range 40 {
		d, err := os.Readlink(path)
		if err != nil {
			break
		}
		dest = d
		if !filepath.IsAbs(d) {
			d = filepath.Join(filepath.Dir(path), d)
		}
		path = d
	}
	return dest
}

// openInPlace opens a device or a FIFO, whose mode is in info, for
// writing where it is.
func openInPlace(path string, info fs.FileInfo) (Output, error) {
	mode := info.Mode()
	switch {
	case mode.IsDir():
		return nil, &NotWritableError{path, "is a directory"}
	case mode&fs.ModeSocket != 0:
		return nil, &NotWritableError{path, "is a socket"}
	case mode&(fs.ModeDevice|fs.ModeNamedPipe) == 0:
		return nil, &NotWritableError{path, fmt.Sprintf("is not a file, a device or a FIFO (mode %v)", mode)}
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	// A regular file put there since the Lstat would be overwritten in
	// place rather than replaced: refuse it.
	if now, err := f.Stat(); err != nil || now.Mode().Type() != mode.Type() {
		f.Close()
		return nil, fmt.Errorf("open %s: it changed while being opened", path)
	}
	return &inPlace{File: f}, nil
}

// inPlace is an Output written where it is: a device or a FIFO.
type inPlace struct {
	*os.File
	done bool
}

// Commit closes the file: what was written is already there.
func (f *inPlace) Commit() error {
	if f.done {
		return fmt.Errorf("commit %s: already finished", f.Name())
	}
	f.done = true
	return f.Close()
}

// Abort closes the file, unless Commit already did. What was written
// stays written: a device or a pipe cannot take it back.
func (f *inPlace) Abort() {
	if !f.done {
		f.done = true
		f.Close()
	}
}
