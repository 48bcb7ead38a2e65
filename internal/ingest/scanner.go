package ingest

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// scanner is a pull parser over a JSON byte stream. It holds one buffer of
// input, never the whole document, so a 2 GB export decodes in constant
// memory. Values are consumed in document order: the caller asks for what
// it expects next (an object key, an array element, a number array) and
// skips what it does not need.
//
// It is not safe for concurrent use.
type scanner struct {
	r    io.Reader
	buf  []byte
	pos  int   // next unread byte
	end  int   // bytes of buf that hold input
	base int64 // stream offset of buf[0]
	line int   // 1-based line number at pos
	eof  bool
	rerr error // a read error other than io.EOF

	rec     *[]byte // when non-nil, consumed bytes from recFrom on are copied here
	recFrom int

	str []byte // scratch for decoded strings
}

const scanBufSize = 256 << 10

// maxToken bounds one number or string token; the buffer grows to hold it.
const maxToken = 64 << 20

// buffers recycles scanners' read buffers: an import of many small files
// would otherwise allocate (and clear) 256 kB per file.
var buffers = sync.Pool{New: func() any { b := make([]byte, scanBufSize); return &b }}

func newScanner(r io.Reader) *scanner {
	return &scanner{r: r, buf: *buffers.Get().(*[]byte), line: 1}
}

// release returns the read buffer to the pool; s must not be used after.
func (s *scanner) release() {
	if b := s.buf; len(b) == scanBufSize {
		buffers.Put(&b)
	}
	s.buf = nil
}

// errSyntax marks malformed or truncated JSON.
var errSyntax = errors.New("invalid JSON")

// syntaxError is a position in the stream and what was wrong there.
type syntaxError struct {
	Offset int64
	Line   int
	Msg    string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at line %d (byte %d): %s", e.Line, e.Offset, e.Msg)
}

func (e *syntaxError) Unwrap() error { return errSyntax }

func (s *scanner) offset() int64 { return s.base + int64(s.pos) }

func (s *scanner) errorf(format string, args ...any) error {
	if s.rerr != nil {
		return fmt.Errorf("read at byte %d: %w", s.offset(), s.rerr)
	}
	return &syntaxError{Offset: s.offset(), Line: s.line, Msg: fmt.Sprintf(format, args...)}
}

func (s *scanner) unexpectedEOF() error {
	return s.errorf("unexpected end of input (is the file truncated?)")
}

// fill reads more input, keeping buf[s.pos:s.end]. It reports whether any
// bytes were added.
func (s *scanner) fill() bool {
	if s.eof {
		return false
	}
	if s.rec != nil {
		*s.rec = append(*s.rec, s.buf[s.recFrom:s.pos]...)
		s.recFrom = 0
	}
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:s.end])
		s.base += int64(s.pos)
		s.end = n
		s.pos = 0
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= maxToken {
			s.eof = true
			s.rerr = fmt.Errorf("a single JSON token is longer than %d bytes", maxToken)
			return false
		}
		nb := make([]byte, max(2*len(s.buf), scanBufSize))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	for {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.eof = true
			if err != io.EOF {
				s.rerr = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

// peek skips whitespace and returns the next byte without consuming it;
// ok is false at the end of input.
func (s *scanner) peek() (c byte, ok bool) {
	for {
		for s.pos < s.end {
			c = s.buf[s.pos]
			switch c {
			case '\n':
				s.line++
				fallthrough
			case ' ', '\t', '\r':
				s.pos++
			default:
				return c, true
			}
		}
		if !s.fill() {
			return 0, false
		}
	}
}

// expect consumes c (after whitespace) or fails.
func (s *scanner) expect(c byte) error {
	got, ok := s.peek()
	if !ok {
		return s.unexpectedEOF()
	}
	if got != c {
		return s.errorf("found %s, want %q", describe(got), c)
	}
	s.pos++
	return nil
}

func describe(c byte) string {
	switch {
	case c == '"':
		return "a string"
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == '-' || (c >= '0' && c <= '9'):
		return "a number"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c >= 0x20 && c < 0x7f:
		return fmt.Sprintf("%q", c)
	default:
		return fmt.Sprintf("byte 0x%02x", c)
	}
}

// key reads the next object key. first is true for the first call after the
// opening brace. ok is false when the object closed; the key bytes are
// valid until the next call on s.
func (s *scanner) key(first bool) (key []byte, ok bool, err error) {
	c, more := s.peek()
	if !more {
		return nil, false, s.unexpectedEOF()
	}
	if c == '}' {
		s.pos++
		return nil, false, nil
	}
	if !first {
		if c != ',' {
			return nil, false, s.errorf("found %s after an object member, want ',' or '}'", describe(c))
		}
		s.pos++
		if c, more = s.peek(); !more {
			return nil, false, s.unexpectedEOF()
		}
	}
	if c != '"' {
		return nil, false, s.errorf("found %s, want an object key", describe(c))
	}
	key, err = s.stringBytes()
	if err != nil {
		return nil, false, err
	}
	if err := s.expect(':'); err != nil {
		return nil, false, err
	}
	return key, true, nil
}

// elem advances to the next array element. first is true for the first
// call after the opening bracket. ok is false when the array closed.
func (s *scanner) elem(first bool) (ok bool, err error) {
	c, more := s.peek()
	if !more {
		return false, s.unexpectedEOF()
	}
	if c == ']' {
		s.pos++
		return false, nil
	}
	if !first {
		if c != ',' {
			return false, s.errorf("found %s after an array element, want ',' or ']'", describe(c))
		}
		s.pos++
		if _, more = s.peek(); !more {
			return false, s.unexpectedEOF()
		}
	}
	return true, nil
}

// null consumes a null literal if one is next and reports whether it did.
func (s *scanner) null() (bool, error) {
	c, ok := s.peek()
	if !ok {
		return false, s.unexpectedEOF()
	}
	if c != 'n' {
		return false, nil
	}
	lit, err := s.literal()
	if err != nil {
		return false, err
	}
	if string(lit) != "null" {
		return false, s.errorf("unknown literal %q", lit)
	}
	return true, nil
}

// literal returns the run of letters at pos (true, false, null, NaN, ...).
func (s *scanner) literal() ([]byte, error) {
	return s.token(func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	})
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// token returns the longest run of bytes satisfying in, starting at pos,
// contiguous in the buffer (valid until the next call on s).
func (s *scanner) token(in func(byte) bool) ([]byte, error) {
	i := s.pos
	for {
		for i < s.end && in(s.buf[i]) {
			i++
		}
		if i < s.end || s.eof {
			break
		}
		off := i - s.pos
		if !s.fill() {
			i = s.pos + off
			break
		}
		i = s.pos + off
	}
	if s.rerr != nil {
		return nil, s.errorf("")
	}
	tok := s.buf[s.pos:i]
	s.pos = i
	return tok, nil
}

// stringBytes decodes the string at pos (which must be '"'); the result is
// valid until the next call on s.
func (s *scanner) stringBytes() ([]byte, error) {
	if c, ok := s.peek(); !ok {
		return nil, s.unexpectedEOF()
	} else if c != '"' {
		return nil, s.errorf("found %s, want a string", describe(c))
	}
	s.pos++
	// Fast path: no escapes and the closing quote is in the buffer.
	for i := s.pos; i < s.end; i++ {
		c := s.buf[i]
		if c == '"' {
			b := s.buf[s.pos:i]
			s.pos = i + 1
			return b, nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
	}
	s.str = s.str[:0]
	for {
		if s.pos >= s.end && !s.fill() {
			return nil, s.unexpectedEOF()
		}
		c := s.buf[s.pos]
		switch {
		case c == '"':
			s.pos++
			return s.str, nil
		case c < 0x20:
			return nil, s.errorf("control character 0x%02x in a string", c)
		case c != '\\':
			s.str = append(s.str, c)
			s.pos++
			continue
		}
		// An escape: make sure the longest form (\uXXXX) is buffered.
		for s.end-s.pos < 6 && s.fill() {
		}
		if s.end-s.pos < 2 {
			return nil, s.unexpectedEOF()
		}
		e := s.buf[s.pos+1]
		s.pos += 2
		switch e {
		case '"', '\\', '/':
			s.str = append(s.str, e)
		case 'b':
			s.str = append(s.str, '\b')
		case 'f':
			s.str = append(s.str, '\f')
		case 'n':
			s.str = append(s.str, '\n')
		case 'r':
			s.str = append(s.str, '\r')
		case 't':
			s.str = append(s.str, '\t')
		case 'u':
			r, err := s.hex4()
			if err != nil {
				return nil, err
			}
			if utf16.IsSurrogate(r) {
				for s.end-s.pos < 6 && s.fill() {
				}
				if s.end-s.pos >= 6 && s.buf[s.pos] == '\\' && s.buf[s.pos+1] == 'u' {
					s.pos += 2
					r2, err := s.hex4()
					if err != nil {
						return nil, err
					}
					r = utf16.DecodeRune(r, r2)
				} else {
					r = utf8.RuneError
				}
			}
			s.str = utf8.AppendRune(s.str, r)
		default:
			return nil, s.errorf("invalid escape \\%c in a string", e)
		}
	}
}

func (s *scanner) hex4() (rune, error) {
	if s.end-s.pos < 4 {
		return 0, s.unexpectedEOF()
	}
	var r rune
	for _, c := range s.buf[s.pos : s.pos+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, s.errorf("invalid \\u escape in a string")
		}
	}
	s.pos += 4
	return r, nil
}

// string decodes a string value into a new Go string (invalid UTF-8 is
// replaced, as encoding/json does).
func (s *scanner) string() (string, error) {
	b, err := s.stringBytes()
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return string([]rune(string(b))), nil
	}
	return string(b), nil
}

// stringOrNull is string, with null read as "".
func (s *scanner) stringOrNull() (string, error) {
	if isNull, err := s.null(); err != nil || isNull {
		return "", err
	}
	return s.string()
}

// number reads a number value. NaN and Infinity, which some exporters
// write although JSON has no such values, come back as themselves.
func (s *scanner) number() (float64, error) {
	c, ok := s.peek()
	if !ok {
		return 0, s.unexpectedEOF()
	}
	if c == 'N' || c == 'I' {
		lit, err := s.literal()
		if err != nil {
			return 0, err
		}
		return nonFinite(string(lit), s)
	}
	if c != '-' && (c < '0' || c > '9') {
		return 0, s.errorf("found %s, want a number", describe(c))
	}
	tok, err := s.token(isNumberByte)
	if err != nil {
		return 0, err
	}
	if len(tok) == 1 && tok[0] == '-' {
		// "-Infinity"
		lit, err := s.literal()
		if err != nil {
			return 0, err
		}
		v, err := nonFinite(string(lit), s)
		return -v, err
	}
	return parseFloat(tok, 64, s)
}

// numberOrNull is number, with null read as ok=false.
func (s *scanner) numberOrNull() (v float64, ok bool, err error) {
	if isNull, err := s.null(); err != nil || isNull {
		return 0, false, err
	}
	v, err = s.number()
	return v, err == nil, err
}

func nonFinite(lit string, s *scanner) (float64, error) {
	switch lit {
	case "NaN":
		return math.NaN(), nil
	case "Infinity":
		return math.Inf(1), nil
	}
	return 0, s.errorf("unknown literal %q, want a number", lit)
}

func parseFloat(tok []byte, bits int, s *scanner) (float64, error) {
	if len(tok) == 0 {
		return 0, s.errorf("empty number")
	}
	// The string shares tok's memory only for the call; on error the
	// message is built from a copy.
	v, err := strconv.ParseFloat(unsafe.String(&tok[0], len(tok)), bits)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return v, nil // ±Inf or 0: the vector check reports it
		}
		return 0, s.errorf("malformed number %q", string(tok))
	}
	return v, nil
}

// valueError is a vector element that is not a number (null, a string,
// ...). float32s reads past it so the caller can skip the record.
type valueError struct {
	index int
	what  string
}

func (e *valueError) Error() string {
	return fmt.Sprintf("vector value %d is %s, want a number", e.index, e.what)
}

func (e *valueError) Unwrap() error { return ErrBadValue }

// float32s reads an array of numbers into dst[:0] and returns it. NaN and
// Infinity literals come back as values for the vector check; the first
// element that is not a number at all is reported as a *valueError after
// the whole array has been read.
//
// This is the import's hot loop (512 numbers a segment): elements that
// sit whole in the buffer are scanned and parsed in one pass; anything
// else (a number across the buffer's end, odd whitespace, a literal) takes
// the general path one element at a time.
func (s *scanner) float32s(dst []float32) ([]float32, error) {
	dst = dst[:0]
	if err := s.expect('['); err != nil {
		return dst, err
	}
	var bad *valueError
	first := true
	for {
		if s.end-s.pos < 256 && !s.eof {
			s.fill()
		}
		b := s.buf[s.pos:s.end]
		i := 0
		for i < len(b) && (b[i] == ' ' || b[i] == '\n') {
			if b[i] == '\n' {
				s.line++
			}
			i++
		}
		if first && i < len(b) && b[i] == ']' {
			s.pos += i + 1
			return dst, nil
		}
		if v, n, ok := scanFloat32(b[i:]); ok {
			i += n
			for i < len(b) && (b[i] == ' ' || b[i] == '\n') {
				if b[i] == '\n' {
					s.line++
				}
				i++
			}
			if i < len(b) && (b[i] == ',' || b[i] == ']') {
				dst = append(dst, v)
				s.pos += i + 1
				if b[i] == ']' {
					if bad != nil {
						return dst, bad
					}
					return dst, nil
				}
				first = false
				continue
			}
		}
		// General path for one element (any separator before it has been
		// consumed already).
		s.pos += i
		c, more := s.peek()
		if !more {
			return dst, s.unexpectedEOF()
		}
		if c == ']' {
			if !first {
				return dst, s.errorf("found ']' after ',', want a value")
			}
			s.pos++
			return dst, nil
		}
		first = false
		if c == 'n' || c == '"' || c == '{' || c == '[' || c == 't' || c == 'f' {
			if bad == nil {
				bad = &valueError{index: len(dst), what: describe(c)}
			}
			if err := s.skip(); err != nil {
				return dst, err
			}
			dst = append(dst, 0)
		} else {
			v, err := s.number()
			if err != nil {
				return dst, err
			}
			dst = append(dst, float32(v))
		}
		// Consume the separator here so the fast path starts on a value.
		c, more = s.peek()
		if !more {
			return dst, s.unexpectedEOF()
		}
		switch c {
		case ',':
			s.pos++
		case ']':
			s.pos++
			if bad != nil {
				return dst, bad
			}
			return dst, nil
		default:
			return dst, s.errorf("found %s after an array element, want ',' or ']'", describe(c))
		}
	}
}

// skip consumes one value of any kind.
func (s *scanner) skip() error {
	c, ok := s.peek()
	if !ok {
		return s.unexpectedEOF()
	}
	switch c {
	case '{':
		s.pos++
		for first := true; ; first = false {
			_, ok, err := s.key(first)
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			if err := s.skip(); err != nil {
				return err
			}
		}
	case '[':
		s.pos++
		for first := true; ; first = false {
			ok, err := s.elem(first)
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			if err := s.skip(); err != nil {
				return err
			}
		}
	case '"':
		_, err := s.stringBytes()
		return err
	case 't', 'f', 'n', 'N', 'I':
		lit, err := s.literal()
		if err != nil {
			return err
		}
		switch string(lit) {
		case "true", "false", "null", "NaN", "Infinity":
			return nil
		}
		return s.errorf("unknown literal %q", lit)
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			_, err := s.number()
			return err
		}
		return s.errorf("found %s, want a value", describe(c))
	}
}

// raw consumes one value and returns its bytes exactly as they appeared
// (a fresh slice the caller owns).
func (s *scanner) raw() ([]byte, error) {
	if _, ok := s.peek(); !ok {
		return nil, s.unexpectedEOF()
	}
	out := make([]byte, 0, 64)
	s.rec, s.recFrom = &out, s.pos
	err := s.skip()
	if err == nil {
		out = append(out, s.buf[s.recFrom:s.pos]...)
	}
	s.rec = nil
	return out, err
}

// bool reads true or false.
func (s *scanner) bool() (bool, error) {
	if _, ok := s.peek(); !ok {
		return false, s.unexpectedEOF()
	}
	lit, err := s.literal()
	if err != nil {
		return false, err
	}
	switch string(lit) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, s.errorf("found %q, want true or false", lit)
}
