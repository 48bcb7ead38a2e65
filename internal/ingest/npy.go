package ingest

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
)

// npyHeaderSize is the length of the header NPYWriter writes: magic,
// version, header length and the header dict, padded with spaces and a
// newline to a multiple of 64 bytes as NPY format 1.0 asks. 128 bytes
// hold any shape a uint64 row count and a 65,536 dimension make, so the
// header written first is rewritten in place with the final row count.
const npyHeaderSize = 128

// NPYWriter writes a float32 matrix, one row at a time, as a NumPy .npy
// file: format version 1.0, dtype '<f4' (little-endian float32), C order,
// shape (rows, dim). The header is written first with 0 rows and
// rewritten by Close with the count written, so the file must allow
// writing at an offset (an *os.File).
//
// An NPYWriter is not safe for concurrent use.
type NPYWriter struct {
	f    io.WriterAt
	w    *bufio.Writer
	dim  int
	rows int64
	buf  []byte
}

// NewNPYWriter starts a matrix of dim columns on f, at offset 0.
func NewNPYWriter(f interface {
	io.Writer
	io.WriterAt
}, dim int) (*NPYWriter, error) {
	w := &NPYWriter{f: f, w: bufio.NewWriterSize(f, 1<<18), dim: dim, buf: make([]byte, 4*dim)}
	if _, err := w.w.Write(NPYHeader(0, dim)); err != nil {
		return nil, fmt.Errorf("write npy header: %w", err)
	}
	return w, nil
}

// NPYHeader is the 128-byte header of a float32 .npy matrix of rows × dim.
func NPYHeader(rows int64, dim int) []byte {
	b := make([]byte, 0, npyHeaderSize)
	b = append(b, "\x93NUMPY\x01\x00"...)
	b = binary.LittleEndian.AppendUint16(b, npyHeaderSize-10)
	b = append(b, "{'descr': '<f4', 'fortran_order': False, 'shape': ("...)
	b = strconv.AppendInt(b, rows, 10)
	b = append(b, ", "...)
	b = strconv.AppendInt(b, int64(dim), 10)
	b = append(b, "), }"...)
	for len(b) < npyHeaderSize-1 {
		b = append(b, ' ')
	}
	return append(b, '\n')
}

// Write appends a row; vec must have dim values.
func (w *NPYWriter) Write(vec []float32) error {
	if len(vec) != w.dim {
		return fmt.Errorf("write npy row %d: %d values, want %d", w.rows, len(vec), w.dim)
	}
	for i, x := range vec {
		binary.LittleEndian.PutUint32(w.buf[4*i:], math.Float32bits(x))
	}
	if _, err := w.w.Write(w.buf); err != nil {
		return fmt.Errorf("write npy row %d: %w", w.rows, err)
	}
	w.rows++
	return nil
}

// Rows is how many rows were written.
func (w *NPYWriter) Rows() int64 { return w.rows }

// Close writes what is buffered and the header with the final shape. It
// does not close f.
func (w *NPYWriter) Close() error {
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("write npy rows: %w", err)
	}
	if _, err := w.f.WriteAt(NPYHeader(w.rows, w.dim), 0); err != nil {
		return fmt.Errorf("write npy header: %w", err)
	}
	return nil
}

// AppendRowLine appends the JSONL line that describes row row of an .npy
// export, segment s whose store id is id:
//
//	{"row":0,"segment_id":1,"video_id":"…","model":"marengo3.0","dim":512,"modality":"visual","scope":"clip","start":0,"end":6,"norm":0.98,"source_kind":"embed-task-v1","source_id":"…"}
func AppendRowLine(b []byte, row, id int64, s *Segment) []byte {
	b = append(b, `{"row":`...)
	b = strconv.AppendInt(b, row, 10)
	b = append(b, `,"segment_id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"video_id":`...)
	b = appendJSONString(b, s.VideoID)
	b = append(b, `,"model":`...)
	b = appendJSONString(b, s.Model)
	b = append(b, `,"dim":`...)
	b = strconv.AppendInt(b, int64(len(s.Vector)), 10)
	b = appendWhere(b, s)
	b = append(b, `,"norm":`...)
	b = strconv.AppendFloat(b, s.Norm, 'g', -1, 64)
	b = append(b, `,"source_kind":`...)
	b = appendJSONString(b, s.SourceKind)
	b = append(b, `,"source_id":`...)
	b = appendJSONString(b, s.SourceID)
	return append(b, "}\n"...)
}
