package clipvec

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/internal/sqlite"
	"github.com/clipvec/clipvec/internal/vecmath"
	"github.com/clipvec/clipvec/pkg/twelvelabs"
)

// MaxUploadBytes is the largest file POST /embed/tasks takes as a
// multipart upload (2 GB, per the API reference).
const MaxUploadBytes = 2 << 30

// EmbedOptions say what EmbedVideo embeds and how. Set URL or File.
type EmbedOptions struct {
	// URL is a public URL of a raw video file. With Marengo 3.0 or 3.5 it
	// goes to an embed-v2 task (POST /embed-v2/tasks, JSON,
	// media_source.url); with 2.7 to a v1 task.
	URL string
	// File is a local video file, uploaded to a v1 task
	// (POST /embed/tasks, multipart video_file, up to 2 GB). Embed-v2
	// takes local media only as base64 in the JSON body (at most 36 MB)
	// or as an uploaded asset id, so the v1 upload is the way for files;
	// Marengo 3.5, which v1 does not serve, needs URL.
	File string
	// Model is marengo3.0 (default), marengo3.5 (URL only) or marengo2.7
	// (Marengo-retrieval-2.7).
	Model string
	// Options are the embedding options to create (v2: embedding_option;
	// default all) and, for v1, to retrieve (embedding_option).
	Options []string
	// Scopes are the scopes to create: clip (default), video (v1
	// video_embedding_scope, v2 embedding_scope "asset").
	Scopes []string
	// ClipLength is the clip length in seconds: v1 video_clip_length
	// (2–10, API default 6), v2 fixed segmentation (default: dynamic).
	ClipLength float64
	// Dimension is Marengo 3.5's embedding_dimension (128, 256, 512).
	Dimension int
	// VideoID files the segments under this video (default: the task id).
	VideoID string
	// PollInterval is the wait between status polls
	// (twelvelabs.DefaultPollInterval when 0); OnStatus, when set, is
	// called with the status after every poll.
	PollInterval time.Duration
	OnStatus     func(taskID, status string)
	// NoIndex and IndexProgress are as in FetchOptions.
	NoIndex       bool
	IndexProgress IndexProgress
}

// upstreamModel returns the name the embed endpoints use for a space's
// (canonical) model, and whether clipvec can embed with it.
func upstreamModel(model string) (string, bool) {
	switch ingest.CanonicalModel(model) {
	case "marengo3.0":
		return twelvelabs.ModelMarengo30, true
	case "marengo3.5":
		return twelvelabs.ModelMarengo35, true
	case "marengo2.7":
		return twelvelabs.ModelMarengo27, true
	}
	return "", false
}

// EmbedVideo creates an embedding task for a video (a URL or a local
// file), waits for it, and imports its segments under the task id (or
// opts.VideoID) in one transaction that also records the fetch. The task
// is created once: a failure after that (a wait cut short, say) leaves it
// upstream, and clipvec fetch task ID picks it up later.
func (db *DB) EmbedVideo(ctx context.Context, c *twelvelabs.Client, opts EmbedOptions) (*FetchResult, error) {
	res := &FetchResult{Kind: "task"}
	model := cmp.Or(opts.Model, twelvelabs.ModelMarengo30)
	name, ok := upstreamModel(model)
	what := cmp.Or(opts.URL, opts.File)
	switch {
	case (opts.URL == "") == (opts.File == ""):
		return res, fmt.Errorf("embed: %w: give exactly one of a URL or a file", ErrInvalidQuery)
	case !ok:
		return res, fmt.Errorf("embed %s: %w: model %q: want marengo3.0, marengo3.5 or marengo2.7", what, ErrInvalidQuery, model)
	case opts.File != "" && name == twelvelabs.ModelMarengo35:
		return res, fmt.Errorf("embed %s: %w: marengo3.5 is served by embed-v2 only, which takes a local file only as base64 of at most 36 MB; put the file at a URL and embed that", what, ErrInvalidQuery)
	case opts.Dimension != 0 && name != twelvelabs.ModelMarengo35:
		return res, fmt.Errorf("embed %s: %w: a dimension applies to marengo3.5 only", what, ErrInvalidQuery)
	}
	if c == nil {
		return res, noClient("embed " + what)
	}
	fopts := FetchOptions{Options: opts.Options, VideoID: opts.VideoID, Model: ingest.CanonicalModel(model), Wait: true,
		PollInterval: opts.PollInterval, OnStatus: opts.OnStatus, NoIndex: opts.NoIndex, IndexProgress: opts.IndexProgress}
	var err error
	if name == twelvelabs.ModelMarengo27 || opts.File != "" {
		res, err = db.embedV1(ctx, c, name, opts, fopts)
	} else {
		res, err = db.embedV2(ctx, c, name, opts, fopts)
	}
	if err != nil {
		return res, err
	}
	return res, db.syncAfterFetch(ctx, res.spaces, fopts)
}

func (db *DB) embedV1(ctx context.Context, c *twelvelabs.Client, model string, opts EmbedOptions, fopts FetchOptions) (*FetchResult, error) {
	res := &FetchResult{Kind: SourceEmbedTaskV1}
	req := twelvelabs.EmbedTaskRequest{ModelName: model, VideoURL: opts.URL}
	req.Scopes = canonicalScopes(opts.Scopes) // v1 names the whole video "video"
	if opts.ClipLength > 0 {
		req.ClipLength = &opts.ClipLength
	}
	if opts.File != "" {
		f, err := os.Open(opts.File)
		if err != nil {
			return res, fmt.Errorf("embed: %w", err)
		}
		defer f.Close()
		info, err := f.Stat()
		if err != nil {
			return res, fmt.Errorf("embed: %w", err)
		}
		if info.Size() > MaxUploadBytes {
			return res, fmt.Errorf("embed %s: %w: the file has %d bytes; uploads take at most 2 GB (%d bytes): put it at a URL and embed that",
				opts.File, ErrInvalidQuery, info.Size(), int64(MaxUploadBytes))
		}
		// An *os.File seeks, so the client can rewind it to retry a 429.
		req.VideoFile = &twelvelabs.File{Name: filepath.Base(opts.File), Reader: f}
	}
	id, err := c.CreateEmbedTask(ctx, req)
	if err != nil {
		return res, fmt.Errorf("embed: %w", upstream(err))
	}
	res.ID = id
	if opts.OnStatus != nil {
		opts.OnStatus(id, twelvelabs.StatusProcessing)
	}
	if err := db.waitV1(ctx, c, id, twelvelabs.StatusProcessing, fopts); err != nil {
		return res, err
	}
	return db.importTaskV1(ctx, c, id, fopts)
}

func (db *DB) embedV2(ctx context.Context, c *twelvelabs.Client, model string, opts EmbedOptions, fopts FetchOptions) (*FetchResult, error) {
	res := &FetchResult{Kind: SourceEmbedTaskV2}
	in := &twelvelabs.MediaInput{MediaSource: twelvelabs.MediaSource{URL: opts.URL}, EmbeddingOption: opts.Options}
	for _, s := range canonicalScopes(opts.Scopes) {
		if s == ScopeVideo {
			s = ScopeAsset // v2 names the whole media "asset"
		}
		in.EmbeddingScope = append(in.EmbeddingScope, s)
	}
	if opts.ClipLength > 0 {
		fixed := &twelvelabs.Segmentation{Strategy: "fixed", Fixed: &twelvelabs.FixedSegmentation{DurationSec: opts.ClipLength}}
		if model == twelvelabs.ModelMarengo35 {
			fixed = &twelvelabs.Segmentation{Temporal: fixed}
		}
		in.Segmentation = fixed
	}
	t, err := c.CreateEmbedV2Task(ctx, twelvelabs.EmbedV2Request{InputType: twelvelabs.InputVideo, ModelName: model,
		Video: in, EmbeddingDimension: opts.Dimension})
	if err != nil {
		return res, fmt.Errorf("embed: %w", upstream(err))
	}
	res.ID = t.ID
	if opts.OnStatus != nil {
		opts.OnStatus(t.ID, t.Status)
	}
	if t, err = db.waitV2(ctx, c, t, fopts); err != nil {
		return res, err
	}
	return db.importTaskV2(ctx, t, fopts)
}

// Query input kinds, as the query cache records them.
const (
	QueryText  = "text"
	QueryImage = "image"
)

// QueryInput is a query to embed upstream: set Text or Image.
type QueryInput struct {
	// Text is embedded as text.
	Text string
	// Image is an image's URL (http or https) or a local file's path.
	Image string
}

// MaxImageBytes is the largest local image EmbedQuery sends (as base64
// or a multipart upload): the API's limit for images.
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
	spaces, err := db.Spaces(ctx)
	if err != nil {
		return Space{}, err
	}
	dim := 0
	if m, d, ok := strings.Cut(model, "/"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 {
			return Space{}, fmt.Errorf("search: %w: model %q: want MODEL or MODEL/DIM", ErrInvalidQuery, model)
		}
		model, dim = m, n
	}
	if model != "" {
		model = ingest.CanonicalModel(model)
	}
	return pickSpace(spaces, model, dim, "a text or image query")
}

// EmbedQuery returns the query vector of in for space sp: from the
// database's query cache, keyed by (model, dimension, kind, input: the
// text, the image URL, or a local image's content hash), else embedded
// upstream with the space's model and cached. A cached query needs no
// client and no network; an uncached one with a nil client fails with
// ErrNoCredentials. Text: embed-v2 text for Marengo 3.0, multi_input at
// the space's dimension for 3.5, v1 POST /embed for 2.7. Images: embed-v2
// image (URL or base64) for 3.0, multi_input for 3.5, v1 POST /embed
// (image_url or image_file) for 2.7.
func (db *DB) EmbedQuery(ctx context.Context, c *twelvelabs.Client, sp Space, in QueryInput) (vec []float32, cached bool, err error) {
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
	model, ok := upstreamModel(sp.Model)
	if !ok {
		return nil, false, fmt.Errorf("embed %s: %w: space %s has no model clipvec can embed queries with (marengo3.0, marengo3.5, marengo2.7)", what, ErrInvalidQuery, sp)
	}
	if c == nil {
		return nil, false, fmt.Errorf("embed %s: it is not cached, and %w: set TWELVELABS_API_KEY or pass --api-key (cached queries work offline)", what, ErrNoCredentials)
	}
	if kind == QueryText {
		vec, err = c.EmbedText(ctx, model, input, sp.Dim)
	} else {
		vec, err = embedImage(ctx, c, model, sp.Dim, in.Image, image)
	}
	if err != nil {
		return nil, false, fmt.Errorf("embed %s: %w", what, upstream(err))
	}
	if len(vec) != sp.Dim {
		return nil, false, fmt.Errorf("embed %s: %w: the API returned %d values for space %s", what, ErrDimensionMismatch, len(vec), sp)
	}
	if _, err := vecmath.Normalize(slices.Clone(vec)); err != nil {
		return nil, false, fmt.Errorf("embed %s: the API returned a bad vector: %w", what, err)
	}
	if err := db.store.PutQuery(ctx, &sqlite.CachedQuery{Model: sp.Model, Dim: sp.Dim, Kind: kind, Input: input, Label: label, Vector: vec}); err != nil {
		return nil, false, err
	}
	return vec, false, nil
}

// embedImage embeds an image (a URL, or data read from a local file) with
// the model's endpoint.
func embedImage(ctx context.Context, c *twelvelabs.Client, model string, dim int, ref string, data []byte) ([]float32, error) {
	url, b64 := "", ""
	if data == nil {
		url = ref
	} else {
		b64 = base64.StdEncoding.EncodeToString(data)
	}
	switch model {
	case twelvelabs.ModelMarengo27:
		req := twelvelabs.EmbedRequest{ModelName: model, ImageURL: url}
		if data != nil {
			req.ImageFile = &twelvelabs.File{Name: filepath.Base(ref), Reader: bytes.NewReader(data)}
		}
		res, err := c.Embed(ctx, req)
		if err != nil {
			return nil, err
		}
		switch {
		case res.ImageEmbedding == nil:
			return nil, errors.New("the response has no image embedding")
		case res.ImageEmbedding.ErrorMessage != "":
			return nil, fmt.Errorf("the image was not embedded: %s", res.ImageEmbedding.ErrorMessage)
		case len(res.ImageEmbedding.Segments) == 0:
			return nil, errors.New("the response's image embedding has no segments")
		}
		return res.ImageEmbedding.Segments[0].Float, nil
	case twelvelabs.ModelMarengo35:
		res, err := c.EmbedV2(ctx, twelvelabs.EmbedV2Request{InputType: twelvelabs.InputMultiInput, ModelName: model,
			MultiInput:         &twelvelabs.MultiInput{MediaSources: []twelvelabs.MultiInputSource{{MediaType: "image", URL: url, Base64String: b64}}},
			EmbeddingDimension: dim})
		return firstEmbedding(res, err)
	default:
		res, err := c.EmbedV2(ctx, twelvelabs.EmbedV2Request{InputType: twelvelabs.InputImage, ModelName: model,
			Image: &twelvelabs.ImageInput{MediaSource: twelvelabs.MediaSource{URL: url, Base64String: b64}}})
		return firstEmbedding(res, err)
	}
}

func firstEmbedding(res *twelvelabs.EmbedV2Response, err error) ([]float32, error) {
	if err != nil {
		return nil, err
	}
	if len(res.Data) == 0 {
		return nil, errors.New("the response has no data")
	}
	return res.Data[0].Embedding, nil
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
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
