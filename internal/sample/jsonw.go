package sample

import (
	"bufio"
	"strconv"
)

// jsonWriter streams one JSON document, compact like json.Marshal or
// indented like json.MarshalIndent(v, "", "  "), so that a file of
// thousands of vectors is never built in memory. Numbers are printed as
// the TwelveLabs API prints them: float32 vector values and float64 times
// in their shortest representation. The caller ends the document
// (with a newline, say). Write errors stick in the
// bufio.Writer and surface at Flush.
type jsonWriter struct {
	w      *bufio.Writer
	pretty bool
	filled []bool // per open container: whether it has an element yet
	keyed  bool   // a key was just written; its value comes next
	buf    []byte
}

// value starts a value: the separator and indentation it needs.
func (j *jsonWriter) value() {
	if j.keyed {
		j.keyed = false
		return
	}
	if n := len(j.filled); n > 0 {
		if j.filled[n-1] {
			j.w.WriteByte(',')
		}
		j.filled[n-1] = true
		j.newline(n)
	}
}

func (j *jsonWriter) newline(depth int) {
	if !j.pretty {
		return
	}
	j.w.WriteByte('\n')
	for range depth {
		j.w.WriteString("  ")
	}
}

func (j *jsonWriter) open(c byte) {
	j.value()
	j.w.WriteByte(c)
	j.filled = append(j.filled, false)
}

func (j *jsonWriter) close(c byte) {
	n := len(j.filled)
	if j.filled[n-1] {
		j.newline(n - 1)
	}
	j.filled = j.filled[:n-1]
	j.w.WriteByte(c)
}

func (j *jsonWriter) beginObject() { j.open('{') }
func (j *jsonWriter) endObject()   { j.close('}') }
func (j *jsonWriter) beginArray()  { j.open('[') }
func (j *jsonWriter) endArray()    { j.close(']') }

// key writes an object key; the next call writes its value.
func (j *jsonWriter) key(k string) {
	j.value()
	j.quote(k)
	j.w.WriteByte(':')
	if j.pretty {
		j.w.WriteByte(' ')
	}
	j.keyed = true
}

func (j *jsonWriter) quote(s string) {
	b := append(j.buf[:0], '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
		default:
			b = append(b, c)
		}
	}
	j.buf = append(b, '"')
	j.w.Write(j.buf)
}

func (j *jsonWriter) str(s string) {
	j.value()
	j.quote(s)
}

func (j *jsonWriter) num(f float64) {
	j.value()
	j.buf = strconv.AppendFloat(j.buf[:0], f, 'g', -1, 64)
	j.w.Write(j.buf)
}

func (j *jsonWriter) integer(n int) {
	j.value()
	j.buf = strconv.AppendInt(j.buf[:0], int64(n), 10)
	j.w.Write(j.buf)
}

func (j *jsonWriter) boolean(b bool) {
	j.value()
	j.buf = strconv.AppendBool(j.buf[:0], b)
	j.w.Write(j.buf)
}

func (j *jsonWriter) strings(ss []string) {
	j.beginArray()
	for _, s := range ss {
		j.str(s)
	}
	j.endArray()
}

// floats writes a vector. Compact, it is one append loop: the hot path of
// a large export.
func (j *jsonWriter) floats(v []float32) {
	if j.pretty {
		j.beginArray()
		for _, f := range v {
			j.value()
			j.buf = strconv.AppendFloat(j.buf[:0], float64(f), 'g', -1, 32)
			j.w.Write(j.buf)
		}
		j.endArray()
		return
	}
	j.value()
	b := append(j.buf[:0], '[')
	for i, f := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, float64(f), 'g', -1, 32)
	}
	j.buf = append(b, ']')
	j.w.Write(j.buf)
}
