package ingest

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
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

	rec     *[]byte // when non-nil, consumed bytes from recFrom on are copied here (up to MaxString and a buffer)
	recFrom int

	depth int // arrays and objects open at pos, the document included

	str    []byte // scratch for decoded strings
	keyBuf []byte // scratch for a key whose colon is not buffered yet
}

// scanBufSize is the read buffer. It never grows: every token the
// scanner returns whole (numbers, literals: MaxNumber) fits in it, and
// strings are decoded into str a run at a time.
const scanBufSize = 256 << 10

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

// posError is a position in the stream and what was wrong there:
// malformed JSON (errSyntax) or a value past a limit (ErrTooLarge).
type posError struct {
	Offset int64
	Line   int
	Msg    string
	err    error
}

func (e *posError) Error() string {
	if e.err == ErrTooLarge {
		return fmt.Sprintf("line %d (byte %d): %s", e.Line, e.Offset, e.Msg)
	}
	return fmt.Sprintf("invalid JSON at line %d (byte %d): %s", e.Line, e.Offset, e.Msg)
}

func (e *posError) Unwrap() error { return e.err }

func (s *scanner) offset() int64 { return s.base + int64(s.pos) }

func (s *scanner) errorf(format string, args ...any) error {
	if s.rerr != nil {
		return fmt.Errorf("read at byte %d: %w", s.offset(), s.rerr)
	}
	return &posError{Offset: s.offset(), Line: s.line, Msg: fmt.Sprintf(format, args...), err: errSyntax}
}

// limitf reports a value past one of the limits at the current position.
func (s *scanner) limitf(format string, args ...any) error {
	return &posError{Offset: s.offset(), Line: s.line, Msg: fmt.Sprintf(format, args...), err: ErrTooLarge}
}

// enter consumes the '{' or '[' at pos and counts the level it opens.
func (s *scanner) enter() error {
	s.pos++
	if s.depth++; s.depth > MaxDepth {
		return s.limitf("arrays and objects nest more than %d deep", MaxDepth)
	}
	return nil
}

// open consumes c ('{' or '[', after whitespace) like expect, and counts
// the level it opens; key and elem count its close.
func (s *scanner) open(c byte) error {
	got, ok := s.peek()
	if !ok {
		return s.unexpectedEOF()
	}
	if got != c {
		return s.errorf("found %s, want %q", describe(got), c)
	}
	return s.enter()
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
		// Past MaxString the recording stops growing; raw reports it.
		if len(*s.rec) <= MaxString {
			*s.rec = append(*s.rec, s.buf[s.recFrom:s.pos]...)
		}
		s.recFrom = 0
	}
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:s.end])
		s.base += int64(s.pos)
		s.end = n
		s.pos = 0
	}
	if s.end == len(s.buf) {
		// Unreachable: callers consume what they look at before asking
		// for more, and no token they need whole is this long.
		s.eof = true
		s.rerr = errors.New("read buffer full")
		return false
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
		s.depth--
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
	if s.pos < s.end && s.buf[s.pos] == ':' {
		s.pos++
		return key, true, nil
	}
	// Finding the colon may read more input, which moves the buffer's
	// bytes: a key read in place (stringBytes' fast path) would then
	// change under the caller (a record's "embedding" read as the next
	// input's bytes, and skipped). Keep a copy.
	s.keyBuf = append(s.keyBuf[:0], key...)
	if err := s.expect(':'); err != nil {
		return nil, false, err
	}
	return s.keyBuf, true, nil
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
		s.depth--
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
		return false, s.errorf("unknown literal %s", quote(string(lit)))
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
// contiguous in the buffer (valid until the next call on s). A run longer
// than MaxNumber is an error.
func (s *scanner) token(in func(byte) bool) ([]byte, error) {
	i := s.pos
	for {
		for i < s.end && in(s.buf[i]) {
			i++
		}
		if i-s.pos > MaxNumber {
			return nil, s.limitf("a number or literal longer than %d bytes", MaxNumber)
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

// stringBytes decodes the string at pos (which must be '"'); the result
// is valid until the next call on s. Bytes are kept as written: invalid
// UTF-8 stays invalid, and a \u escape of a lone surrogate becomes its
// three-byte (WTF-8) form, which is not valid UTF-8 either, so that
// identifiers can be checked exactly (ident) and text made valid (string).
func (s *scanner) stringBytes() ([]byte, error) { return s.scanString(true) }

// skipString consumes the string at pos without keeping it.
func (s *scanner) skipString() error {
	_, err := s.scanString(false)
	return err
}

// scanString reads a string, decoding it into s.str when keep is set. A
// string longer than MaxString as written is an error, kept or not.
func (s *scanner) scanString(keep bool) ([]byte, error) {
	if c, ok := s.peek(); !ok {
		return nil, s.unexpectedEOF()
	} else if c != '"' {
		return nil, s.errorf("found %s, want a string", describe(c))
	}
	s.pos++
	// Fast path: no escapes and the closing quote is in the buffer (which
	// is shorter than MaxString).
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
	start := s.offset()
	s.str = s.str[:0]
	for {
		if s.offset()-start > MaxString {
			return nil, s.limitf("a string longer than %d MiB", MaxString>>20)
		}
		if s.pos >= s.end && !s.fill() {
			return nil, s.unexpectedEOF()
		}
		// A run of plain bytes, at most to the end of the buffer.
		i := s.pos
		for i < s.end {
			if c := s.buf[i]; c == '"' || c == '\\' || c < 0x20 {
				break
			}
			i++
		}
		if keep {
			s.str = append(s.str, s.buf[s.pos:i]...)
		}
		s.pos = i
		if i == s.end {
			continue
		}
		c := s.buf[i]
		switch {
		case c == '"':
			s.pos++
			if s.offset()-1-start > MaxString {
				return nil, s.limitf("a string longer than %d MiB", MaxString>>20)
			}
			return s.str, nil
		case c < 0x20:
			return nil, s.errorf("control character 0x%02x in a string", c)
		}
		// An escape: make sure the longest form (\uXXXX) is buffered.
		for s.end-s.pos < 6 && s.fill() {
		}
		if s.end-s.pos < 2 {
			return nil, s.unexpectedEOF()
		}
		e := s.buf[s.pos+1]
		s.pos += 2
		var b byte
		switch e {
		case '"', '\\', '/':
			b = e
		case 'b':
			b = '\b'
		case 'f':
			b = '\f'
		case 'n':
			b = '\n'
		case 'r':
			b = '\r'
		case 't':
			b = '\t'
		case 'u':
			r, ok := s.hexAt(s.pos)
			if !ok {
				if s.end-s.pos < 4 {
					return nil, s.unexpectedEOF()
				}
				return nil, s.errorf("invalid \\u escape in a string")
			}
			s.pos += 4
			if utf16.IsSurrogate(r) {
				// Only a high surrogate followed by the escape of a low
				// one is a pair; anything else is kept for what it is.
				for s.end-s.pos < 6 && s.fill() {
				}
				if r < 0xdc00 && s.end-s.pos >= 6 && s.buf[s.pos] == '\\' && s.buf[s.pos+1] == 'u' {
					if r2, ok := s.hexAt(s.pos + 2); ok && r2 >= 0xdc00 && r2 <= 0xdfff {
						s.pos += 6
						r = utf16.DecodeRune(r, r2)
					}
				}
			}
			if keep {
				s.str = appendWTF8(s.str, r)
			}
			continue
		default:
			return nil, s.errorf("invalid escape \\%c in a string", e)
		}
		if keep {
			s.str = append(s.str, b)
		}
	}
}

// hexAt parses the four hex digits at buf[i:].
func (s *scanner) hexAt(i int) (rune, bool) {
	if s.end-i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s.buf[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// appendWTF8 appends r as UTF-8, or a lone surrogate as the three bytes
// UTF-8 would give it if it were allowed (which makes the result invalid).
func appendWTF8(b []byte, r rune) []byte {
	if utf16.IsSurrogate(r) {
		return append(b, 0xe0|byte(r>>12), 0x80|byte(r>>6)&0x3f, 0x80|byte(r)&0x3f)
	}
	return utf8.AppendRune(b, r)
}

// string decodes a string value of text (a file name, a message, a
// status) into a new Go string: each run of invalid UTF-8 becomes U+FFFD.
func (s *scanner) string() (string, error) {
	b, err := s.stringBytes()
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return strings.ToValidUTF8(string(b), "\uFFFD"), nil
	}
	return string(b), nil
}

// ident decodes a string value that names something (an id, a model, an
// option) into a new Go string with its bytes as written; checkIdent
// rejects it later, where the record is known, if it is not valid UTF-8.
func (s *scanner) ident() (string, error) {
	b, err := s.stringBytes()
	return string(b), err
}

// identOrNull is ident, with null read as "".
func (s *scanner) identOrNull() (string, error) {
	if isNull, err := s.null(); err != nil || isNull {
		return "", err
	}
	return s.ident()
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
	return 0, s.errorf("unknown literal %s, want a number", quote(lit))
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
		return 0, s.errorf("malformed number %s", quote(string(tok)))
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

// longVectorError is a vector of more than MaxDim values. float32s reads
// it to its end, keeping only the first MaxDim, so the caller can skip
// the record.
type longVectorError struct{ n int }

func (e *longVectorError) Error() string {
	return fmt.Sprintf("vector has %d values, more than %d", e.n, MaxDim)
}

func (e *longVectorError) Unwrap() error { return ErrTooLarge }

// recordProblem reports whether an error of float32s is about the vector
// (its record can be skipped) rather than the input (which cannot be
// read on).
func recordProblem(err error) bool {
	switch err.(type) {
	case *valueError, *longVectorError:
		return true
	}
	return false
}

// vectorEnd is what float32s returns once the array has closed.
func vectorEnd(dst []float32, bad *valueError, over int) ([]float32, error) {
	switch {
	case over > 0:
		return dst, &longVectorError{n: len(dst) + over}
	case bad != nil:
		return dst, bad
	}
	return dst, nil
}

// float32s reads an array of numbers into dst[:0] and returns it. NaN and
// Infinity literals come back as values for the vector check; the first
// element that is not a number at all is reported as a *valueError, and
// more than MaxDim elements as a *longVectorError, after the whole array
// has been read (see recordProblem).
//
// This is the import's hot loop (512 numbers a segment): elements that
// sit whole in the buffer are scanned and parsed in one pass; anything
// else (a number across the buffer's end, odd whitespace, a literal) takes
// the general path one element at a time.
func (s *scanner) float32s(dst []float32) ([]float32, error) {
	if err := s.open('['); err != nil {
		return dst[:0], err
	}
	dst, err := s.float32sIn(dst[:0])
	s.depth--
	return dst, err
}

// float32sIn is float32s after the opening bracket.
func (s *scanner) float32sIn(dst []float32) ([]float32, error) {
	var bad *valueError
	over := 0 // values past MaxDim, counted and dropped
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
				if len(dst) < MaxDim {
					dst = append(dst, v)
				} else {
					over++
				}
				s.pos += i + 1
				if b[i] == ']' {
					return vectorEnd(dst, bad, over)
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
		var v float32
		if c == 'n' || c == '"' || c == '{' || c == '[' || c == 't' || c == 'f' {
			if bad == nil {
				bad = &valueError{index: len(dst) + over, what: describe(c)}
			}
			if err := s.skip(); err != nil {
				return dst, err
			}
		} else {
			x, err := s.number()
			if err != nil {
				return dst, err
			}
			v = float32(x)
		}
		if len(dst) < MaxDim {
			dst = append(dst, v)
		} else {
			over++
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
			return vectorEnd(dst, bad, over)
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
		if err := s.enter(); err != nil {
			return err
		}
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
		if err := s.enter(); err != nil {
			return err
		}
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
		return s.skipString()
	case 't', 'f', 'n', 'N', 'I':
		lit, err := s.literal()
		if err != nil {
			return err
		}
		switch string(lit) {
		case "true", "false", "null", "NaN", "Infinity":
			return nil
		}
		return s.errorf("unknown literal %s", quote(string(lit)))
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			_, err := s.number()
			return err
		}
		return s.errorf("found %s, want a value", describe(c))
	}
}

// raw consumes one value and returns its bytes exactly as they appeared
// (a fresh slice the caller owns). A value longer than MaxString is an
// error naming it what; it is not held whole on the way.
func (s *scanner) raw(what string) ([]byte, error) {
	if _, ok := s.peek(); !ok {
		return nil, s.unexpectedEOF()
	}
	out := make([]byte, 0, 64)
	s.rec, s.recFrom = &out, s.pos
	err := s.skip()
	s.rec = nil
	if err != nil {
		return nil, err
	}
	if len(out)+s.pos-s.recFrom > MaxString {
		return nil, s.limitf("%s is longer than %d MiB", what, MaxString>>20)
	}
	return append(out, s.buf[s.recFrom:s.pos]...), nil
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
	return false, s.errorf("found %s, want true or false", quote(string(lit)))
}
