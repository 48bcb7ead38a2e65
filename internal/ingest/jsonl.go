package ingest

import (
	"bufio"
	"io"
	"math"
	"strconv"
)

// Writer writes clipvec's JSONL export format: a header line, then for
// each video a video line followed by its segment lines. Every line is one
// JSON object:
//
//	{"type":"header","format":"clipvec","version":2,"spaces":[{"model":"marengo3.0","dim":512}]}
//	{"type":"video","video_id":"…","filename":"…","duration":18,"fps":30,"width":1280,"height":720,"user_metadata":{…},"thumbnail_url":"https://…"}
//	{"video_id":"…","model":"marengo3.0","modality":"visual","scope":"clip","start":0,"end":6,"source_kind":"embed-task-v1","source_id":"…","norm":0.98,"embedding":[…]}
//
// The keys are those of search results (clipvec search --json, the HTTP
// API). Version 1 used TwelveLabs' embed keys (model_name,
// embedding_option, embedding_scope, start_sec, end_sec); readers accept
// both.
//
// Segment lines carry the stored unit vector in float32's shortest exact
// decimal form and the norm it arrived with, so importing an export
// restores every vector bit for bit. A segment line needs only video_id,
// model, the times and embedding: hand-written files can omit the
// rest (their vectors are normalised on import).
//
// A Writer is not safe for concurrent use.
type Writer struct {
	w   *bufio.Writer
	buf []byte
}

// NewWriter returns a Writer on w. Call Flush when done.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, 1<<20)}
}

// Space declares an embedding space in a header line.
type Space struct {
	Model string
	Dim   int
}

// WriteHeader writes the header line, declaring the spaces the segments
// that follow are in: a reader then rejects a segment of any other
// dimension. With no spaces, a reader applies its default rule (the first
// vector of each model sets the dimension).
func (w *Writer) WriteHeader(spaces ...Space) error {
	b := append(w.buf[:0], `{"type":"header","format":"clipvec","version":`...)
	b = strconv.AppendInt(b, FormatVersion, 10)
	if len(spaces) > 0 {
		b = append(b, `,"spaces":[`...)
		for i, s := range spaces {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"model":`...)
			b = appendJSONString(b, s.Model)
			b = append(b, `,"dim":`...)
			b = strconv.AppendInt(b, int64(s.Dim), 10)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, "}\n"...)
	w.buf = b
	_, err := w.w.Write(b)
	return err
}

// WriteVideo writes a video line; zero fields are left out.
func (w *Writer) WriteVideo(v *Video) error {
	b := append(w.buf[:0], `{"type":"video","video_id":`...)
	b = appendJSONString(b, v.ID)
	if v.Filename != "" {
		b = append(b, `,"filename":`...)
		b = appendJSONString(b, v.Filename)
	}
	b = appendOptFloat(b, "duration", v.Duration)
	b = appendOptFloat(b, "fps", v.FPS)
	b = appendOptFloat(b, "width", float64(v.Width))
	b = appendOptFloat(b, "height", float64(v.Height))
	if len(v.UserMetadata) > 0 {
		b = append(b, `,"user_metadata":`...)
		b = append(b, v.UserMetadata...)
	}
	if v.ThumbnailURL != "" {
		b = append(b, `,"thumbnail_url":`...)
		b = appendJSONString(b, v.ThumbnailURL)
	}
	b = append(b, "}\n"...)
	w.buf = b
	_, err := w.w.Write(b)
	return err
}

// WriteSegment writes a segment line.
func (w *Writer) WriteSegment(s *Segment) error {
	b := append(w.buf[:0], `{"video_id":`...)
	b = appendJSONString(b, s.VideoID)
	b = append(b, `,"model":`...)
	b = appendJSONString(b, s.Model)
	b = appendWhere(b, s)
	b = append(b, `,"source_kind":`...)
	b = appendJSONString(b, s.SourceKind)
	b = append(b, `,"source_id":`...)
	b = appendJSONString(b, s.SourceID)
	b = append(b, `,"norm":`...)
	b = strconv.AppendFloat(b, s.Norm, 'g', -1, 64)
	b = append(b, `,"embedding":[`...)
	for i, x := range s.Vector {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, float64(x), 'g', -1, 32)
	}
	b = append(b, "]}\n"...)
	w.buf = b
	_, err := w.w.Write(b)
	return err
}

// appendWhere appends the keys that place segment s in its video, as
// JSONL and .npy row lines (and search results) name them:
// ,"modality":…,"scope":…,"start":…,"end":….
func appendWhere(b []byte, s *Segment) []byte {
	b = append(b, `,"modality":`...)
	b = appendJSONString(b, s.Option)
	b = append(b, `,"scope":`...)
	b = appendJSONString(b, s.Scope)
	b = append(b, `,"start":`...)
	b = strconv.AppendFloat(b, s.Start, 'g', -1, 64)
	b = append(b, `,"end":`...)
	return strconv.AppendFloat(b, s.End, 'g', -1, 64)
}

// Flush writes any buffered data to the underlying writer.
func (w *Writer) Flush() error { return w.w.Flush() }

func appendOptFloat(b []byte, key string, v float64) []byte {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// appendJSONString appends s as a JSON string. strconv's Go quoting is
// not JSON (it writes \x escapes), so control characters and quotes are
// escaped here by hand.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
