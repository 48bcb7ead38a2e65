package ingest

import (
	"bufio"
	"compress/gzip"
	"context"
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
// (optionally .gz) and every .parquet file, in lexical order, and "-"
// (standard input) as itself.
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
	if isParquetName(name) {
		return true
	}
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

// isParquetName reports whether a file's name says it is Parquet.
func isParquetName(name string) bool {
	return strings.HasSuffix(strings.ToLower(name), ".parquet")
}

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
	// Parquet reports that the input is a Parquet file: it starts with
	// ParquetMagic, or its name ends in .parquet. Decode reads it with
	// DecodeParquet.
	Parquet bool
	name    string
	src     io.Reader // the raw input
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
	r.name, r.src = name, src
	br := bufio.NewReaderSize(r.Raw, 1<<16)
	magic, _ := br.Peek(4)
	r.Parquet = string(magic) == ParquetMagic || isParquetName(name)
	if len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
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
		if !r.Parquet {
			bz := bufio.NewReaderSize(gz, 1<<16)
			magic, _ := bz.Peek(4)
			r.Parquet = string(magic) == ParquetMagic
			r.Reader = bz
		}
		return r, nil
	}
	r.Reader = br
	return r, nil
}

// Decode decodes the input with Decode, or DecodeParquet when it is
// Parquet. Parquet is read at random offsets: a regular file or an
// in-memory body (a *bytes.Reader, a *strings.Reader) is read where it
// is; anything else (standard input, a pipe, a gzipped file) is first
// copied to an unlinked temporary file.
func (r *Reader) Decode(ctx context.Context, opts Options, h Handler) (Stats, error) {
	if !r.Parquet {
		return Decode(ctx, r, opts, h)
	}
	if r.gz == nil {
		switch src := r.src.(type) {
		case *os.File:
			if r.Regular && r.Size >= 0 {
				return decodeParquet(ctx, &countingReaderAt{r: src, n: r.Raw}, r.Size, opts, h)
			}
		case interface {
			io.ReaderAt
			Size() int64
		}:
			return decodeParquet(ctx, &countingReaderAt{r: src, n: r.Raw}, src.Size(), opts, h)
		}
	}
	tmp, err := os.CreateTemp("", "clipvec-parquet-*")
	if err != nil {
		return Stats{}, fmt.Errorf("spool %s: %w", r.name, err)
	}
	defer tmp.Close()
	os.Remove(tmp.Name()) // unlinked: gone when closed, whatever happens
	size, err := io.Copy(tmp, r)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return Stats{}, err
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) {
			return Stats{}, &Error{File: r.name, Err: fmt.Errorf("%w: gzip: %w", ErrSyntax, err)}
		}
		return Stats{}, fmt.Errorf("spool %s: %w", r.name, err)
	}
	return decodeParquet(ctx, &countingReaderAt{r: tmp}, size, opts, h)
}
