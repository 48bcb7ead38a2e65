package ingest

import (
	"errors"
	"fmt"
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
	VideoID    string
	SourceKind string
	SourceID   string
	Model      string
	Option     string // visual, audio, transcription, visual-text, ...; "" when the response names none
	Scope      string // clip, video or asset
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
	if e.Line > 0 && !errors.Is(e.Err, errSyntax) {
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
		return fmt.Sprintf("vector has %d values, and the header declares no %s space", e.Got, e.Model)
	}
	return fmt.Sprintf("vector has %d values, want %d like the other %s vectors", e.Got, e.Want, e.Model)
}

func (e *DimensionError) Unwrap() error { return ErrDimensionMismatch }

// FormatVersion is the version of clipvec's JSONL export format that this
// package writes and the newest it reads.
const FormatVersion = 1
