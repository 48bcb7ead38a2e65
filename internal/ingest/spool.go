package ingest

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
)

// spool holds records in order and reads them back: segments whose
// document is not yet fully known (a response whose model or id comes
// after its vectors, or that names neither, like every embed-v2 response)
// until the document ends (add, replay), and everything a Stage is
// handed. It keeps up to spoolMemory bytes in memory and spills the rest
// to an unlinked temporary file, so memory stays bounded whatever the
// input's size.
type spool struct {
	memory int // bytes kept in memory before spilling; 0: spoolMemory
	mem    []byte
	f      *os.File // non-nil once spilled
	w      *bufio.Writer
	n      int
	buf    []byte
}

// spoolMemory is how much a spool keeps in memory: embed responses of a
// few minutes of video (2 kB a 512-d segment) never touch the disk.
var spoolMemory = 64 << 20

// write appends one encoded record.
func (p *spool) write(b []byte) error {
	if p.f == nil && len(p.mem) > cmp.Or(p.memory, spoolMemory) {
		f, err := os.CreateTemp("", "clipvec-spool-*")
		if err != nil {
			return fmt.Errorf("create spool file: %w", err)
		}
		// Unlinked at once: nothing is left behind if the process dies.
		os.Remove(f.Name())
		p.f, p.w = f, bufio.NewWriterSize(f, 1<<20)
		if _, err := p.w.Write(p.mem); err != nil {
			return fmt.Errorf("write spool: %w", err)
		}
		p.mem = nil // from now on the file holds everything: let it go
	}
	p.n++
	if p.f == nil {
		p.mem = append(p.mem, b...)
		return nil
	}
	if _, err := p.w.Write(b); err != nil {
		return fmt.Errorf("write spool: %w", err)
	}
	return nil
}

// read calls fn with a reader positioned at each record in turn (fn
// reads exactly one), then empties the spool for reuse.
func (p *spool) read(fn func(r *bufio.Reader) error) error {
	if p.n == 0 {
		return nil
	}
	var r *bufio.Reader
	if p.f == nil {
		r = bufio.NewReader(bytes.NewReader(p.mem))
	} else {
		if err := p.w.Flush(); err != nil {
			return fmt.Errorf("write spool: %w", err)
		}
		if _, err := p.f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		r = bufio.NewReaderSize(p.f, 1<<20)
	}
	for i := 0; i < p.n; i++ {
		if err := fn(r); err != nil {
			return err
		}
	}
	p.n = 0
	p.mem = p.mem[:0]
	if p.f != nil {
		if _, err := p.f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if err := p.f.Truncate(0); err != nil {
			return err
		}
		p.w.Reset(p.f)
	}
	return nil
}

func (p *spool) add(s *pending) error {
	b := p.buf[:0]
	b = append(b, s.container)
	b = binary.AppendUvarint(b, uint64(s.index))
	b = binary.AppendUvarint(b, uint64(s.line))
	b = appendString(b, s.option)
	b = appendString(b, s.scope)
	var flags byte
	if s.hasStart {
		flags |= 1
	}
	if s.hasEnd {
		flags |= 2
	}
	b = append(b, flags)
	b = appendFloat(b, s.start)
	b = appendFloat(b, s.end)
	b = appendFloat(b, s.norm)
	b = appendVector(b, s.vec)
	p.buf = b
	return p.write(b)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// replay calls fn for every spooled segment in order, then empties the
// spool for the next document.
func (p *spool) replay(fn func(*pending) error) error {
	var s pending
	return p.read(func(r *bufio.Reader) error {
		if err := readPending(r, &s); err != nil {
			return fmt.Errorf("read spool: %w", err)
		}
		return fn(&s)
	})
}

func readPending(r *bufio.Reader, s *pending) error {
	var err error
	if s.container, err = r.ReadByte(); err != nil {
		return err
	}
	idx, err := binary.ReadUvarint(r)
	if err != nil {
		return err
	}
	line, err := binary.ReadUvarint(r)
	if err != nil {
		return err
	}
	s.index, s.line = int(idx), int(line)
	if s.option, err = readString(r); err != nil {
		return err
	}
	if s.scope, err = readString(r); err != nil {
		return err
	}
	flags, err := r.ReadByte()
	if err != nil {
		return err
	}
	s.hasStart, s.hasEnd = flags&1 != 0, flags&2 != 0
	for _, dst := range []*float64{&s.start, &s.end, &s.norm} {
		if *dst, err = readFloat(r); err != nil {
			return err
		}
	}
	s.vec, err = readVector(r, s.vec, &s.raw)
	return err
}

func appendVector(b []byte, vec []float32) []byte {
	b = binary.AppendUvarint(b, uint64(len(vec)))
	for _, x := range vec {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// readVector reads what appendVector wrote into dst[:0], through the
// scratch buffer raw.
func readVector(r *bufio.Reader, dst []float32, raw *[]byte) ([]float32, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return dst, err
	}
	if n > MaxDim {
		return dst, fmt.Errorf("corrupt spool: vector of %d values", n)
	}
	if cap(*raw) < int(n)*4 {
		*raw = make([]byte, n*4)
	}
	b := (*raw)[:n*4]
	if _, err := io.ReadFull(r, b); err != nil {
		return dst, err
	}
	dst = dst[:0]
	for i := 0; i < len(b); i += 4 {
		dst = append(dst, math.Float32frombits(binary.LittleEndian.Uint32(b[i:])))
	}
	return dst, nil
}

func appendFloat(b []byte, x float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
}

func readFloat(r *bufio.Reader) (float64, error) {
	var b [8]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 0, err
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b[:])), nil
}

func readString(r *bufio.Reader) (string, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return "", err
	}
	if n > MaxString {
		return "", fmt.Errorf("corrupt spool: string of %d bytes", n)
	}
	b := make([]byte, n)
	_, err = io.ReadFull(r, b)
	return string(b), err
}

func (p *spool) close() {
	if p.f != nil {
		p.f.Close()
		p.f = nil
	}
}
