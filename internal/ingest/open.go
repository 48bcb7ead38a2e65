package ingest

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
)

// Expand turns the paths of an import into the files to read: a file as
// itself, a directory as every .json, .jsonl and .ndjson file below it
// (optionally .gz), in lexical order, and "-" (standard input) as itself.
func Expand(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		if p == "-" {
			out = append(out, p)
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("import %s: %w", p, errors.Unwrap(err))
		}
		if !info.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && importable(d.Name()) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("import %s: %w", p, err)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

func importable(name string) bool {
	name = strings.TrimSuffix(strings.ToLower(name), ".gz")
	for _, ext := range []string{".json", ".jsonl", ".ndjson"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// Counter counts the bytes read through it; safe to read from another
// goroutine (a progress bar) while the import reads.
type Counter struct {
	r io.Reader
	n atomic.Int64
}

func (c *Counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// N returns the bytes read so far.
func (c *Counter) N() int64 { return c.n.Load() }

// Reader is an opened input: decompressed if it was gzip (recognised by
// its magic bytes, whatever its name), with a count of the raw bytes read
// for progress against Size.
type Reader struct {
	io.Reader
	Raw  *Counter
	Size int64 // raw size in bytes; -1 when unknown (stdin)
	// Regular reports that the input is a regular file: all of it is
	// there, so reading it never waits for a writer, as reading a pipe,
	// a FIFO or a terminal can.
	Regular bool
	c       io.Closer
	gz      *gzip.Reader
}

// Close closes the underlying file.
func (r *Reader) Close() error {
	if r.gz != nil {
		r.gz.Close()
	}
	if r.c != nil {
		return r.c.Close()
	}
	return nil
}

// Open opens path for Decode; "-" reads stdin instead.
func Open(path string, stdin io.Reader) (*Reader, error) {
	var src io.Reader
	r := &Reader{Size: -1}
	if path == "-" {
		if stdin == nil {
			stdin = os.Stdin
		}
		src = stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		if info, err := f.Stat(); err == nil {
			r.Size = info.Size()
		}
		src, r.c = f, f
	}
	return wrap(r, src, path)
}

// regular reports whether src is an *os.File open on a regular file
// (standard input redirected from one, say).
func regular(src io.Reader) bool {
	f, ok := src.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode().IsRegular()
}

// NewReader wraps an already open stream like Open does (gzip detected by
// its magic bytes); size is its raw length or -1.
func NewReader(src io.Reader, size int64, name string) (*Reader, error) {
	return wrap(&Reader{Size: size}, src, name)
}

func wrap(r *Reader, src io.Reader, name string) (*Reader, error) {
	r.Regular = regular(src)
	r.Raw = &Counter{r: src}
	br := bufio.NewReaderSize(r.Raw, 1<<16)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			r.Close()
			// A bad header is bad input, like bad JSON.
			if errors.Is(err, io.ErrUnexpectedEOF) {
				err = fmt.Errorf("%w (is the file truncated?)", err)
			}
			return nil, &Error{File: name, Err: fmt.Errorf("gzip header: %w", err)}
		}
		r.gz = gz
		r.Reader = gz
		return r, nil
	}
	r.Reader = br
	return r, nil
}
