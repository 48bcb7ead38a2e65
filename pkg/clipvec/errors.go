package clipvec

import (
	"errors"

	"github.com/clipvec/clipvec/internal/engine"
	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/internal/sqlite"
	"github.com/clipvec/clipvec/internal/vecmath"
)

// Conditions callers can test with errors.Is.
var (
	// ErrNotFound: a video, segment or space that does not exist.
	ErrNotFound = sqlite.ErrNotFound
	// ErrInvalidInput: an import input was rejected (bad JSON, unknown
	// shape, bad vector, not ready, ...). The error names the file, the
	// record and the problem.
	ErrInvalidInput = errors.New("invalid input")
	// ErrInvalidQuery: a search that cannot be answered as asked (no
	// query, several, a vector of a dimension no space has, a video with
	// vectors in several spaces and no model chosen, ...).
	ErrInvalidQuery = engine.ErrInvalidQuery

	// ErrReadOnly: a write to a database opened with OpenReadOnly.
	ErrReadOnly = sqlite.ErrReadOnly
	// ErrNotWritable: Open, or a write, failed because this process may
	// not write the database file or create files beside it
	// (permissions, a read-only medium): OpenReadOnly can still read it.
	ErrNotWritable = sqlite.ErrNotWritable
	// ErrForeign: Open was given a SQLite database another program made
	// (it has tables, and no clipvec schema); it is left as it is.
	ErrForeign = sqlite.ErrForeign
	// ErrSeveralVideos: an import with ImportOptions.VideoID was given
	// inputs of different videos, which it would merge into one; nothing
	// was imported (see ImportOptions.MergeVideos).
	ErrSeveralVideos = errors.New("inputs of different videos")
	// ErrIndexNotSaved: a write (Import, Delete, a fetch) committed its
	// data, but the search graphs could not then be updated or saved
	// (a full disk, say): see IndexNotSavedError.
	ErrIndexNotSaved = errors.New("search graphs not saved")

	// ErrNoModel and ErrNoVideo: an input names no model (embed-v2
	// responses) or no video (embed tasks name only themselves, sync
	// responses nothing) and ImportOptions gave none. Both are
	// ErrInvalidInput.
	ErrNoModel = ingest.ErrNoModel
	ErrNoVideo = ingest.ErrNoVideo
	// ErrQueryVectors: an input holds query vectors (a bare vector, text
	// or image embeddings), not segments: search with it (Query.Vector,
	// ReadQueryVector) instead. It is ErrInvalidInput.
	ErrQueryVectors = ingest.ErrQueryVectors

	ErrDimensionMismatch = ingest.ErrDimensionMismatch
	ErrZeroVector        = vecmath.ErrZeroVector
	ErrNotFinite         = vecmath.ErrNotFinite
	ErrEmptyVector       = vecmath.ErrEmptyVector
)

// alsoError gives err a second identity: errors.Is matches also as well
// as err's own chain, and the message stays err's.
type alsoError struct{ err, also error }

func (e *alsoError) Error() string   { return e.err.Error() }
func (e *alsoError) Unwrap() []error { return []error{e.err, e.also} }

// asInput marks an error (an ingest error, a task not ready) as
// ErrInvalidInput too.
func asInput(err error) error { return &alsoError{err, ErrInvalidInput} }
