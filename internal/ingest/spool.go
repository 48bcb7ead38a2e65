package ingest

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
)

// spool holds segments whose document is not yet fully known (a response
// whose model or id comes after its vectors, or that names neither, like
// every embed-v2 response) until the document ends, then replays them in
// order. It keeps up to spoolMemory bytes in memory and spills the rest to
// an unlinked temporary file, so memory stays bounded whatever the
// document's size.
type spool struct {
	mem []byte
	f   *os.File // non-nil once spilled
	w   *bufio.Writer
	n   int
	buf []byte
}

// spoolMemory is how much a spool keeps in memory: embed responses of a
// few minutes of video (2 kB a 512-d segment) never touch the disk.
var spoolMemory = 64 << 20

func (p *spool) add(s *pending) error {
	if p.f == nil && len(p.mem) > spoolMemory {
		f, err := os.CreateTemp("", "clipvec-spool-*")
		if err != nil {
			return fmt.Errorf("create spool file: %w", err)
		}
		// Unlinked at once: nothing is left behind if the process dies.
		os.Remove(f.Name())
		p.f, p.w = f, bufio.NewWriterSize(f, 1<<20)
		if _, err := p.w.Write(p.mem); err != nil {
			return err
		}
		p.mem = p.mem[:0]
	}
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
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s.start))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s.end))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s.norm))
	b = binary.AppendUvarint(b, uint64(len(s.vec)))
	for _, x := range s.vec {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	p.buf = b
	p.n++
	if p.f == nil {
		p.mem = append(p.mem, b...)
		return nil
	}
	_, err := p.w.Write(b)
	return err
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// replay calls fn for every spooled record in order, then empties the
// spool for the next document.
func (p *spool) replay(fn func(*pending) error) error {
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
	var s pending
	for i := 0; i < p.n; i++ {
		if err := readPending(r, &s); err != nil {
			return fmt.Errorf("read spool: %w", err)
		}
		if err := fn(&s); err != nil {
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
	var b [8]byte
	for _, dst := range []*float64{&s.start, &s.end, &s.norm} {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return err
		}
		*dst = math.Float64frombits(binary.LittleEndian.Uint64(b[:]))
	}
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return err
	}
	if n > 1<<28 {
		return fmt.Errorf("corrupt spool: vector of %d values", n)
	}
	if cap(s.raw) < int(n)*4 {
		s.raw = make([]byte, n*4)
	}
	raw := s.raw[:n*4]
	if _, err := io.ReadFull(r, raw); err != nil {
		return err
	}
	s.vec = s.vec[:0]
	for i := 0; i < len(raw); i += 4 {
		s.vec = append(s.vec, math.Float32frombits(binary.LittleEndian.Uint32(raw[i:])))
	}
	return nil
}

func readString(r *bufio.Reader) (string, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return "", err
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
