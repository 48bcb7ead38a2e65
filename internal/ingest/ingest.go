package ingest

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Source kinds: where a segment came from. They are stored with every
// segment as its provenance.
const (
	SourceEmbedTaskV1  = "embed-task-v1" // GET /embed/tasks/{id} (and the v1.2 shapes)
	SourceEmbedTaskV2  = "embed-task-v2" // GET /embed-v2/tasks/{id}
	SourceIndexedAsset = "indexed-asset" // GET /indexes/{id}/indexed-assets/{id}
	SourceVideo        = "video"         // GET /indexes/{id}/videos/{id} (deprecated endpoint)
	SourceFile         = "file"          // a response naming no upstream id (sync embeds)
)

// DefaultV2Model is the model of embed-v2 responses, which do not name
// theirs: marengo3.0 is embed-v2's default model_name, and a response
// whose metadata carries embedding_dimension is marengo3.5 (only 3.5 has
// that option).
const DefaultV2Model = "marengo3.0"

// V2Model is the model of an embed-v2 response: given when the caller
// knows it, else as DefaultV2Model says.
func V2Model(given string, embeddingDimension int) string {
	switch {
	case given != "":
		return given
	case embeddingDimension > 0:
		return "marengo3.5"
	}
	return DefaultV2Model
}

// Segment is one decoded embedding segment, ready to store.
type Segment struct {
	VideoID string
	// OwnVideoID is the video the input itself names, whatever
	// Options.VideoID says: an indexed asset's (or video's) id, a clipvec
	// export record's video_id. "" when the input names none: an embed
	// task names only itself (its id is the default VideoID), a sync
	// response nothing.
	OwnVideoID string
	SourceKind string
	SourceID   string
	Model      string
	Option     string // visual, audio, transcription, visual-text, ...; "" when the response names none
	Scope      string // clip or video (embed API v2's "asset" is decoded as video)
	Start, End float64
	// Norm is the length the vector arrived with; Vector is unit length.
	Norm float64
	// Vector is only valid during the Handler call: copy it to keep it.
	Vector []float32
	// Line is where the segment starts in the input.
	Line int

	// where in the document, formatted only when asked (see Record): a
	// string per segment would cost an allocation on the import's hot path.
	prefix    string
	container byte
	index     int
}

// Record says where in the input the segment was, for messages:
// "video_embedding.segments[3]", "data[0]", "line 17".
func (s *Segment) Record() string { return recordName(s.prefix, s.container, s.index, s.Line) }

// Video is what a document says about the video its segments belong to.
// Zero values mean "not given".
type Video struct {
	ID       string
	Filename string
	Duration float64
	FPS      float64
	Width    int
	Height   int
	// UserMetadata is a compact JSON object, or nil.
	UserMetadata []byte
	// ThumbnailURL is an image of the video: the first of an indexed
	// asset's (or video's) hls.thumbnail_urls, or a clipvec video
	// record's thumbnail_url. It is shown, never fetched here, and taken
	// as written (any scheme; bad UTF-8 becomes U+FFFD, as in file names).
	ThumbnailURL string
}

// Handler receives what Decode finds, in document order. Video is called
// once per document after its segments (metadata can follow the vectors in
// a response), and once per video record of a clipvec JSONL file. An error
// from the handler stops decoding and is returned as is.
type Handler interface {
	Segment(*Segment) error
	Video(*Video) error
}

// Options tune Decode. The zero value decodes with no overrides.
type Options struct {
	// Name is the input's name in messages and the source id of responses
	// that name no upstream id.
	Name string
	// VideoID, when set, is the video of every segment, overriding the id
	// the response carries (embed tasks name only their task).
	VideoID string
	// Model is the model of responses that name none (embed-v2). A
	// response that names its model keeps it.
	Model string
	// Dim, when non-zero, is the only vector length accepted. Otherwise the
	// first vector of each model in the input sets it.
	Dim int
	// SkipInvalid makes a bad record (a vector or time that fails the
	// checks) be reported to Invalid and skipped instead of failing the
	// input. Malformed JSON and unusable documents still fail it.
	SkipInvalid bool
	Invalid     func(*Error)
	// Progress, when set, is called with the number of segments decoded so
	// far, every few hundred segments.
	Progress func(segments int)
}

// Stats counts what Decode saw.
type Stats struct {
	Documents int
	Segments  int // handed to Handler.Segment
	Skipped   int // invalid records skipped under SkipInvalid
	// QueryEmbeddings counts text and image embeddings found beside video
	// segments (a v1 /embed response); they are not segments and are left
	// out.
	QueryEmbeddings int
}

// Sentinel errors; every error Decode returns for bad input is an *Error
// wrapping one of these (or a vecmath error for a bad vector).
var (
	ErrSyntax            = errSyntax
	ErrUnknownShape      = errors.New("unrecognised JSON shape")
	ErrNoVectors         = errors.New("carries no vectors")
	ErrNotReady          = errors.New("not ready")
	ErrDimensionMismatch = errors.New("dimension mismatch")
	ErrBadTime           = errors.New("bad segment time")
	ErrMissingField      = errors.New("missing field")
	ErrBadValue          = errors.New("vector value is not a number")
	// ErrTooLarge: the input is past one of the limits below.
	ErrTooLarge = errors.New("too large")
	// ErrInvalidUTF8: an identifier (a video, task, asset or source id, a
	// model name, an embedding option or scope) is not valid UTF-8.
	// Replacing its bad bytes, as encoding/json does, would give distinct
	// ids one name.
	ErrInvalidUTF8 = errors.New("not valid UTF-8")

	// ErrNoModel and ErrNoVideo are the missing fields a caller can
	// supply (Options.Model, Options.VideoID); both are ErrMissingField.
	ErrNoModel = &kindOf{"missing field", ErrMissingField}
	ErrNoVideo = &kindOf{"missing field", ErrMissingField}
	// ErrBadParquet: a Parquet file that cannot be read (truncated,
	// corrupt). It is ErrSyntax.
	ErrBadParquet = &kindOf{"unreadable Parquet", ErrSyntax}
	// ErrQueryVectors: the input holds query vectors (a bare vector, text
	// or image embeddings), not segments: it can be searched with, not
	// imported. It is ErrNoVectors.
	ErrQueryVectors = &kindOf{"carries no vectors", ErrNoVectors}
)

// kindOf is a sentinel that is also a more general one: its message is
// the general one's, errors.Is matches both.
type kindOf struct {
	msg     string
	general error
}

func (e *kindOf) Error() string        { return e.msg }
func (e *kindOf) Is(target error) bool { return target == e.general }

// Limits on what Decode accepts. An input past one is rejected, as an
// *Error wrapping ErrTooLarge, when the decoder gets there and before it
// holds the value: memory stays bounded, and no limit depends on the
// input's size as a whole.
const (
	// MaxDepth is how deeply arrays and objects may nest, the document
	// itself counting as 1. TwelveLabs responses nest fewer than 10
	// deep; the bound keeps the recursion of skipping an ignored value
	// small (a 10-million-deep array in 19 kB of gzip overflowed the
	// stack before).
	MaxDepth = 1000
	// MaxString is the longest string, in bytes as written between its
	// quotes, anywhere in the input (ignored keys included), and the
	// longest user_metadata object. Ignored strings are skipped without
	// being held.
	MaxString = 16 << 20
	// MaxNumber is the longest number or literal token, in bytes. A
	// float32 needs 16 characters at most.
	MaxNumber = 4 << 10
	// MaxName is the longest model name, embedding option, embedding
	// scope and source kind, in bytes (after the model name is put in
	// canonical form). A space's graph snapshot is named after its model.
	MaxName = 128
	// MaxID is the longest video, task, asset or source id, in bytes.
	// TwelveLabs ids have 24 characters.
	MaxID = 1024
	// MaxDim is the longest vector: the graph snapshot stores dimensions
	// up to 65,536.
	MaxDim = 1 << 16
	// MaxSpaces is how many spaces a clipvec JSONL header may declare.
	MaxSpaces = 1024
)

// Error is a problem with an input: the file, the record in it (empty for
// the file as a whole) and the line the record starts on.
type Error struct {
	File   string
	Record string
	Line   int
	Err    error
}

func (e *Error) Error() string {
	where := e.File
	if e.Record != "" {
		where += ": " + e.Record
	}
	var pe *posError
	if e.Line > 0 && !errors.As(e.Err, &pe) { // which says where itself
		where += fmt.Sprintf(" (line %d)", e.Line)
	}
	return where + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// DimensionError is a vector whose length differs from the one its model
// has in this input (or from Options.Dim).
type DimensionError struct {
	Model     string
	Got, Want int
}

func (e *DimensionError) Error() string {
	if e.Want == 0 {
		return fmt.Sprintf("vector has %d values, and the header declares no %s space", e.Got, brief(e.Model))
	}
	return fmt.Sprintf("vector has %d values, want %d like the other %s vectors", e.Got, e.Want, brief(e.Model))
}

func (e *DimensionError) Unwrap() error { return ErrDimensionMismatch }

// FormatVersion is the version of clipvec's JSONL export format that this
// package writes and the newest it reads.
const FormatVersion = 2

// maxQuoted is how much of an input value a message shows: enough for
// any TwelveLabs id, model name or error message, and a bound on every
// message whatever the input (a 1 GB id was echoed whole to stderr).
const maxQuoted = 128

// cut is the part of an input value a message shows: all of it, or its
// first maxQuoted bytes (not splitting a character) when longer.
func cut(s string) (prefix string, cut bool) {
	if len(s) <= maxQuoted {
		return s, false
	}
	n := maxQuoted
	for n > maxQuoted-utf8.UTFMax && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n], true
}

// brief renders an input value for a message as text: "abc", or
// "abc… (1073741824 bytes)" when longer than maxQuoted.
func brief(s string) string {
	p, long := cut(s)
	if !long {
		return p
	}
	return fmt.Sprintf("%s… (%d bytes)", p, len(s))
}

// quote is brief with Go quoting, which shows invalid UTF-8 and control
// characters as escapes: "a\xffb", or "abc"… (1073741824 bytes).
func quote(s string) string {
	p, long := cut(s)
	if !long {
		return strconv.Quote(p)
	}
	return fmt.Sprintf("%s… (%d bytes)", strconv.Quote(p), len(s))
}
