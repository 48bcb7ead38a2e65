package ingest

import (
	"bufio"
	"encoding/binary"
	"fmt"
)

// Stage is a Handler that keeps what Decode hands it — segments and
// videos, in order — for Replay to hand to another Handler afterwards. It
// holds up to stageMemory (16 MB: some 8,000 512-d segments) in memory and
// spills the rest to an unlinked temporary file, so it can take an input
// of any size.
//
// An import of a stream that may stall (standard input, a pipe) decodes it
// into a Stage first: the input is read to its end and checked before the
// import takes the database's write lock, which it then holds only while
// writing.
//
// A Stage is not safe for concurrent use. Close releases its file.
type Stage struct {
	sp  spool
	buf []byte
	// scratch handed to Replay's handler
	seg Segment
	raw []byte
}

const (
	stageSegment byte = 's'
	stageVideo   byte = 'v'
)

// stageMemory is how much a Stage keeps in memory. Less than a spool's
// 64 MB, since the heap peaks at about three times it (append's copies as
// it grows): with 64 MB, importing a 50,000-segment stream (320 MB of
// JSON) from a pipe took 317 MB RSS; with 16 MB, 107 MB RSS in 1.9 s,
// against 102 MB in 1.3 s for the same file written as it is read.
var stageMemory = 16 << 20

func (st *Stage) write(b []byte) error {
	st.sp.memory = stageMemory
	return st.sp.write(b)
}

// Segment keeps a copy of s.
func (st *Stage) Segment(s *Segment) error {
	b := append(st.buf[:0], stageSegment)
	for _, str := range []string{s.VideoID, s.OwnVideoID, s.SourceKind, s.SourceID, s.Model, s.Option, s.Scope, s.prefix} {
		b = appendString(b, str)
	}
	b = appendFloat(b, s.Start)
	b = appendFloat(b, s.End)
	b = appendFloat(b, s.Norm)
	b = binary.AppendUvarint(b, uint64(s.Line))
	b = append(b, s.container)
	b = binary.AppendUvarint(b, uint64(s.index))
	b = appendVector(b, s.Vector)
	st.buf = b
	return st.write(b)
}

// Video keeps a copy of v.
func (st *Stage) Video(v *Video) error {
	b := append(st.buf[:0], stageVideo)
	b = appendString(b, v.ID)
	b = appendString(b, v.Filename)
	b = appendFloat(b, v.Duration)
	b = appendFloat(b, v.FPS)
	b = binary.AppendVarint(b, int64(v.Width))
	b = binary.AppendVarint(b, int64(v.Height))
	if v.UserMetadata == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = appendString(b, string(v.UserMetadata))
	}
	b = appendString(b, v.ThumbnailURL)
	st.buf = b
	return st.write(b)
}

// Replay hands h everything the Stage was handed, in order, and empties
// the Stage. An error from h stops it and is returned as is.
func (st *Stage) Replay(h Handler) error {
	return st.sp.read(func(r *bufio.Reader) error {
		tag, err := r.ReadByte()
		if err != nil {
			return fmt.Errorf("read stage: %w", err)
		}
		switch tag {
		case stageSegment:
			if err := st.readSegment(r); err != nil {
				return fmt.Errorf("read stage: %w", err)
			}
			return h.Segment(&st.seg)
		case stageVideo:
			var v Video
			if err := readVideo(r, &v); err != nil {
				return fmt.Errorf("read stage: %w", err)
			}
			return h.Video(&v)
		}
		return fmt.Errorf("read stage: corrupt record tag 0x%02x", tag)
	})
}

func (st *Stage) readSegment(r *bufio.Reader) error {
	s := &st.seg
	var err error
	for _, dst := range []*string{&s.VideoID, &s.OwnVideoID, &s.SourceKind, &s.SourceID, &s.Model, &s.Option, &s.Scope, &s.prefix} {
		if *dst, err = readString(r); err != nil {
			return err
		}
	}
	for _, dst := range []*float64{&s.Start, &s.End, &s.Norm} {
		if *dst, err = readFloat(r); err != nil {
			return err
		}
	}
	line, err := binary.ReadUvarint(r)
	if err != nil {
		return err
	}
	if s.container, err = r.ReadByte(); err != nil {
		return err
	}
	index, err := binary.ReadUvarint(r)
	if err != nil {
		return err
	}
	s.Line, s.index = int(line), int(index)
	s.Vector, err = readVector(r, s.Vector, &st.raw)
	return err
}

func readVideo(r *bufio.Reader, v *Video) error {
	var err error
	if v.ID, err = readString(r); err != nil {
		return err
	}
	if v.Filename, err = readString(r); err != nil {
		return err
	}
	if v.Duration, err = readFloat(r); err != nil {
		return err
	}
	if v.FPS, err = readFloat(r); err != nil {
		return err
	}
	w, err := binary.ReadVarint(r)
	if err != nil {
		return err
	}
	h, err := binary.ReadVarint(r)
	if err != nil {
		return err
	}
	v.Width, v.Height = int(w), int(h)
	hasMeta, err := r.ReadByte()
	if err != nil {
		return err
	}
	if hasMeta != 0 {
		meta, err := readString(r)
		if err != nil {
			return err
		}
		v.UserMetadata = []byte(meta)
	}
	v.ThumbnailURL, err = readString(r)
	return err
}

// Close releases the Stage's temporary file, if it spilled to one.
func (st *Stage) Close() { st.sp.close() }
