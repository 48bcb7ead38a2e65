package ann

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/clipvec/clipvec/internal/atomicfile"
)

// ErrFormat is wrapped by every error about a malformed .fvecs or .ivecs
// file.
var ErrFormat = errors.New("malformed vecs file")

// Matrix is a row-major set of Len() vectors of Dim values each.
type Matrix struct {
	Dim  int
	Data []float32
}

// Len returns the number of rows.
func (m Matrix) Len() int {
	if m.Dim == 0 {
		return 0
	}
	return len(m.Data) / m.Dim
}

// Row returns row i, sharing m's storage.
func (m Matrix) Row(i int) []float32 { return m.Data[i*m.Dim : (i+1)*m.Dim : (i+1)*m.Dim] }

// Slice returns rows [from, to), sharing m's storage.
func (m Matrix) Slice(from, to int) Matrix {
	return Matrix{Dim: m.Dim, Data: m.Data[from*m.Dim : to*m.Dim]}
}

// ReadFvecs reads a whole .fvecs file. limit > 0 reads at most limit rows.
func ReadFvecs(path string, limit int) (Matrix, error) {
	var m Matrix
	err := readVecs(path, limit, func(dim, rows int) {
		m.Dim = dim
		m.Data = make([]float32, 0, dim*rows)
	}, func(row []byte) {
		for i := 0; i < len(row); i += 4 {
			m.Data = append(m.Data, math.Float32frombits(binary.LittleEndian.Uint32(row[i:])))
		}
	})
	return m, err
}

// ReadIvecs reads a whole .ivecs file as one slice per row. limit > 0
// reads at most limit rows.
func ReadIvecs(path string, limit int) ([][]int32, error) {
	var rows [][]int32
	var flat []int32
	var dim int
	err := readVecs(path, limit, func(d, n int) {
		dim = d
		flat = make([]int32, 0, d*n)
		rows = make([][]int32, 0, n)
	}, func(row []byte) {
		start := len(flat)
		for i := 0; i < len(row); i += 4 {
			flat = append(flat, int32(binary.LittleEndian.Uint32(row[i:])))
		}
		rows = append(rows, flat[start:start+dim:start+dim])
	})
	return rows, err
}

// readVecs checks the file's layout (every row the same count, the file
// an exact number of rows), calls start with the dimension and the number
// of rows it will read, then row with each row's value bytes.
func readVecs(path string, limit int, start func(dim, rows int), row func([]byte)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read vecs: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("read vecs %s: %w", path, err)
	}
	r := bufio.NewReaderSize(f, 1<<20)
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		if err == io.EOF {
			start(0, 0)
			return nil
		}
		return fmt.Errorf("read vecs %s: %w: %v", path, ErrFormat, err)
	}
	dim := int(int32(binary.LittleEndian.Uint32(head[:])))
	if dim <= 0 || dim > 1<<20 {
		return fmt.Errorf("read vecs %s: %w: row 0 has count %d", path, ErrFormat, dim)
	}
	rowBytes := int64(4 + 4*dim)
	if info.Size()%rowBytes != 0 {
		return fmt.Errorf("read vecs %s: %w: size %d is not a multiple of the row size %d (dimension %d)",
			path, ErrFormat, info.Size(), rowBytes, dim)
	}
	n := int(info.Size() / rowBytes)
	if limit > 0 && limit < n {
		n = limit
	}
	start(dim, n)
	buf := make([]byte, 4*dim)
	for i := range n {
		if i > 0 {
			if _, err := io.ReadFull(r, head[:]); err != nil {
				return fmt.Errorf("read vecs %s: row %d: %w", path, i, err)
			}
			if d := int(int32(binary.LittleEndian.Uint32(head[:]))); d != dim {
				return fmt.Errorf("read vecs %s: %w: row %d has count %d, want %d", path, ErrFormat, i, d, dim)
			}
		}
		if _, err := io.ReadFull(r, buf); err != nil {
			return fmt.Errorf("read vecs %s: row %d: %w", path, i, err)
		}
		row(buf)
	}
	return nil
}

// vecsWriter is what FvecsWriter and IvecsWriter share: each row is its
// count, then its values, as 4-byte little-endian words.
type vecsWriter struct {
	w    *bufio.Writer
	kind string // "fvecs" or "ivecs", for errors
	dim  int
	buf  []byte
}

func newVecsWriter(w io.Writer, kind string, dim, bufSize int) vecsWriter {
	return vecsWriter{w: bufio.NewWriterSize(w, bufSize), kind: kind, dim: dim, buf: make([]byte, 4+4*dim)}
}

// put writes one row of n values, word(i) being the bits of value i.
func (vw *vecsWriter) put(n int, word func(i int) uint32) error {
	if n != vw.dim {
		return fmt.Errorf("write %s row: %d values, want %d", vw.kind, n, vw.dim)
	}
	binary.LittleEndian.PutUint32(vw.buf, uint32(vw.dim))
	for i := range n {
		binary.LittleEndian.PutUint32(vw.buf[4+4*i:], word(i))
	}
	_, err := vw.w.Write(vw.buf)
	return err
}

// Flush writes any buffered rows.
func (vw *vecsWriter) Flush() error { return vw.w.Flush() }

// FvecsWriter writes rows of an .fvecs file. It is not safe for concurrent
// use.
type FvecsWriter struct{ vecsWriter }

// NewFvecsWriter returns a writer of dim-wide rows to w. Call Flush when
// done.
func NewFvecsWriter(w io.Writer, dim int) *FvecsWriter {
	return &FvecsWriter{newVecsWriter(w, "fvecs", dim, 1<<20)}
}

// Write writes one row, which must have the writer's dimension.
func (fw *FvecsWriter) Write(row []float32) error {
	return fw.put(len(row), func(i int) uint32 { return math.Float32bits(row[i]) })
}

// IvecsWriter writes rows of an .ivecs file. It is not safe for concurrent
// use.
type IvecsWriter struct{ vecsWriter }

// NewIvecsWriter returns a writer of dim-wide rows to w. Call Flush when
// done.
func NewIvecsWriter(w io.Writer, dim int) *IvecsWriter {
	return &IvecsWriter{newVecsWriter(w, "ivecs", dim, 1<<16)}
}

// Write writes one row, which must have the writer's dimension.
func (iw *IvecsWriter) Write(row []int32) error {
	return iw.put(len(row), func(i int) uint32 { return uint32(row[i]) })
}

// WriteFileAtomic creates path with what write writes, atomically (see
// internal/atomicfile), so a cache of generated data survives an
// interrupted run; errors name the path.
func WriteFileAtomic(path string, write func(w io.Writer) error) error {
	if err := atomicfile.Write(path, write); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
