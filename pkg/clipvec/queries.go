package clipvec

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/internal/sqlite"
	"github.com/clipvec/clipvec/internal/vecmath"
)

// Query input kinds, as the query cache records them.
const (
	QueryText  = "text"
	QueryImage = "image"
)

// QueryInput is a text or an image to turn into a query vector: set Text
// or Image.
type QueryInput struct {
	// Text is embedded as text.
	Text string
	// Image is an image's URL (http or https) or a local file's path.
	Image string
}

// QueryEmbedder turns a query input into a vector of space sp, with the
// space's model (upstream, for TwelveLabs' models: see
// pkg/clipvec/upstream.Embedder). image holds a local image's bytes (nil
// for a URL, or a text). It is called only for inputs the database's
// query cache does not hold; the DB checks and caches what it returns. It
// may be called concurrently.
type QueryEmbedder func(ctx context.Context, sp Space, in QueryInput, image []byte) ([]float32, error)

// MaxImageBytes is the largest local image a query sends (as base64 or a
// multipart upload): the API's limit for images.
const MaxImageBytes = 32 << 20

// CachedQuery is a query embedding made upstream and kept in the
// database.
type CachedQuery struct {
	// Model and Dim are the space it was embedded for.
	Model string `json:"model"`
	Dim   int    `json:"dim"`
	// Kind is QueryText or QueryImage.
	Kind string `json:"kind"`
	// Input is the text, the image URL, or "sha256:<hex>" of a local
	// image; Label is what was asked (the local image's path).
	Input     string    `json:"input"`
	Label     string    `json:"label,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	Vector    []float32 `json:"vector,omitempty"`
}

// QuerySpace picks the space a text or image query runs in: the one
// space of model ("" for any; "model/dim" names a dimension too), or an
// error listing the candidates.
func (db *DB) QuerySpace(ctx context.Context, model string) (Space, error) {
	return db.querySpace(ctx, model, "search")
}

// querySpace is QuerySpace for operation op, which its errors name.
func (db *DB) querySpace(ctx context.Context, model, op string) (Space, error) {
	spaces, err := db.Spaces(ctx)
	if err != nil {
		return Space{}, err
	}
	dim := 0
	if m, d, ok := strings.Cut(model, "/"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 {
			return Space{}, fmt.Errorf("%s: %w: model %q: want MODEL or MODEL/DIM", op, ErrInvalidQuery, model)
		}
		model, dim = m, n
	}
	if model != "" {
		model = ingest.CanonicalModel(model)
	}
	return pickSpace(spaces, model, dim, "a text or image query", op)
}

// EmbedQuery returns the query vector of in for space sp: from the
// database's query cache, keyed by (model, dimension, kind, input: the
// text, the image URL, or a local image's content hash), else made by
// DB.Embedder and cached. A cached query needs no embedder and no
// network; an uncached one with no Embedder fails with ErrNoCredentials.
// cached says which it was.
func (db *DB) EmbedQuery(ctx context.Context, sp Space, in QueryInput) (vec []float32, cached bool, err error) {
	kind, input, label := QueryText, strings.TrimSpace(in.Text), ""
	var image []byte
	switch {
	case (in.Text == "") == (in.Image == ""):
		return nil, false, fmt.Errorf("embed query: %w: give exactly one of a text or an image", ErrInvalidQuery)
	case in.Text != "" && input == "":
		return nil, false, fmt.Errorf("embed query: %w: the text is blank", ErrInvalidQuery)
	case in.Image != "":
		kind, input, label = QueryImage, in.Image, in.Image
		if !isURL(in.Image) {
			if image, err = readImage(in.Image); err != nil {
				return nil, false, err
			}
			sum := sha256.Sum256(image)
			input = "sha256:" + hex.EncodeToString(sum[:])
		}
	}
	what := fmt.Sprintf("%s query %s", kind, quoteShort(cmp.Or(label, input)))
	hit, err := db.store.CachedQuery(ctx, sp.Model, sp.Dim, kind, input)
	switch {
	case err == nil:
		return hit.Vector, true, nil
	case !errors.Is(err, sqlite.ErrNotFound):
		return nil, false, err
	}
	if db.Embedder == nil {
		return nil, false, fmt.Errorf("embed %s: it is not cached, and %w (cached queries work offline)", what, ErrNoCredentials)
	}
	vec, err = db.Embedder(ctx, sp, QueryInput{Text: input, Image: in.Image}, image)
	if err != nil {
		return nil, false, fmt.Errorf("embed %s: %w", what, err)
	}
	if len(vec) != sp.Dim {
		return nil, false, fmt.Errorf("embed %s: %w: the embedder returned %d values for space %s", what, ErrDimensionMismatch, len(vec), sp)
	}
	if _, err := vecmath.Normalize(slices.Clone(vec)); err != nil {
		return nil, false, fmt.Errorf("embed %s: the embedder returned a bad vector: %w", what, err)
	}
	if db.readOnly {
		return vec, false, nil // embedded, and not kept
	}
	if err := db.store.PutQuery(ctx, &sqlite.CachedQuery{Model: sp.Model, Dim: sp.Dim, Kind: kind, Input: input, Label: label, Vector: vec}); err != nil {
		return nil, false, err
	}
	return vec, false, nil
}

func isURL(s string) bool {
	// Schemes are case-insensitive (RFC 3986): HTTP://x is a URL, never
	// a local path.
	return hasPrefixFold(s, "https://") || hasPrefixFold(s, "http://")
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// readImage reads a local image, refusing one larger than MaxImageBytes.
func readImage(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("embed image query: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxImageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("embed image query: read %s: %w", path, err)
	}
	if len(data) > MaxImageBytes {
		return nil, fmt.Errorf("embed image query %s: %w: the image is larger than %d MB", path, ErrInvalidQuery, MaxImageBytes>>20)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("embed image query %s: %w: the file is empty", path, ErrInvalidQuery)
	}
	return data, nil
}

// quoteShort quotes s for a message, cut to 60 characters.
func quoteShort(s string) string {
	if r := []rune(s); len(r) > 60 {
		s = string(r[:57]) + "..."
	}
	return strconv.Quote(s)
}

// CachedQueries lists the query cache, newest first; with vectors, each
// entry carries its vector.
func (db *DB) CachedQueries(ctx context.Context, vectors bool) ([]CachedQuery, error) {
	rows, err := db.store.CachedQueries(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]CachedQuery, len(rows))
	for i, r := range rows {
		out[i] = CachedQuery{Model: r.Model, Dim: r.Dim, Kind: r.Kind, Input: r.Input, Label: r.Label, CreatedAt: r.CreatedAt}
		if vectors {
			out[i].Vector = r.Vector
		}
	}
	return out, nil
}

// ClearQueries empties the query cache and returns how many entries went.
func (db *DB) ClearQueries(ctx context.Context) (int, error) { return db.store.DeleteQueries(ctx) }

// AddQueries puts query embeddings made elsewhere into the query cache:
// entries listed by CachedQueries (with vectors) in another database, or
// a dataset's own text queries. Each needs a model, a dimension its
// vector has, a kind (QueryText or QueryImage) and an input; a text
// input is trimmed as EmbedQuery trims it. An entry already cached is
// replaced. All are added, or none: the error names the first bad entry
// (from 1).
func (db *DB) AddQueries(ctx context.Context, qs []CachedQuery) error {
	rows := make([]*sqlite.CachedQuery, len(qs))
	for i, q := range qs {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("add queries: entry %d: %w: "+format, append([]any{i + 1, ErrInvalidInput}, args...)...)
		}
		input := q.Input
		switch q.Kind {
		case QueryText:
			input = strings.TrimSpace(input)
		case QueryImage:
		default:
			return bad("kind %q, want %q or %q", q.Kind, QueryText, QueryImage)
		}
		switch {
		case q.Model == "":
			return bad("no model")
		case input == "":
			return bad("no input (the text, or the image's URL or sha256:HASH)")
		case len(q.Vector) == 0:
			return bad("no vector")
		case q.Dim != 0 && q.Dim != len(q.Vector):
			return bad("%w: dim %d, and the vector has %d values", ErrDimensionMismatch, q.Dim, len(q.Vector))
		}
		if _, err := vecmath.Normalize(slices.Clone(q.Vector)); err != nil {
			return bad("%w", err)
		}
		rows[i] = &sqlite.CachedQuery{Model: ingest.CanonicalModel(q.Model), Dim: len(q.Vector), Kind: q.Kind,
			Input: input, Label: q.Label, Vector: q.Vector, CreatedAt: q.CreatedAt}
	}
	if db.readOnly {
		return fmt.Errorf("add queries: %w", ErrReadOnly)
	}
	return db.store.PutQueries(ctx, rows)
}
