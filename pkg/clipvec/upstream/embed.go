package upstream

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/pkg/clipvec"
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
	Modalities []string
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
	IndexProgress clipvec.IndexProgress
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
func EmbedVideo(ctx context.Context, db *clipvec.DB, c *twelvelabs.Client, opts EmbedOptions) (*FetchResult, error) {
	res := &FetchResult{Kind: KindTask}
	model := cmp.Or(opts.Model, twelvelabs.ModelMarengo30)
	name, ok := upstreamModel(model)
	what := cmp.Or(opts.URL, opts.File)
	switch {
	case (opts.URL == "") == (opts.File == ""):
		return res, fmt.Errorf("embed: %w: give exactly one of a URL or a file", clipvec.ErrInvalidQuery)
	case !ok:
		return res, fmt.Errorf("embed %s: %w: model %q: want marengo3.0, marengo3.5 or marengo2.7", what, clipvec.ErrInvalidQuery, model)
	case opts.File != "" && name == twelvelabs.ModelMarengo35:
		return res, fmt.Errorf("embed %s: %w: marengo3.5 is served by embed-v2 only, which takes a local file only as base64 of at most 36 MB; put the file at a URL and embed that", what, clipvec.ErrInvalidQuery)
	case opts.Dimension != 0 && name != twelvelabs.ModelMarengo35:
		return res, fmt.Errorf("embed %s: %w: a dimension applies to marengo3.5 only", what, clipvec.ErrInvalidQuery)
	}
	if c == nil {
		return res, noClient("embed " + what)
	}
	fopts := FetchOptions{Modalities: opts.Modalities, VideoID: opts.VideoID, Model: ingest.CanonicalModel(model), Wait: true,
		PollInterval: opts.PollInterval, OnStatus: opts.OnStatus, NoIndex: opts.NoIndex, IndexProgress: opts.IndexProgress}
	var err error
	if name == twelvelabs.ModelMarengo27 || opts.File != "" {
		res, err = embedV1(ctx, db, c, name, opts, fopts)
	} else {
		res, err = embedV2(ctx, db, c, name, opts, fopts)
	}
	if err != nil {
		return res, err
	}
	return res, syncAfterFetch(ctx, db, res.spaces, fopts)
}

func embedV1(ctx context.Context, db *clipvec.DB, c *twelvelabs.Client, model string, opts EmbedOptions, fopts FetchOptions) (*FetchResult, error) {
	res := &FetchResult{Kind: clipvec.SourceEmbedTaskV1}
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
				opts.File, clipvec.ErrInvalidQuery, info.Size(), int64(MaxUploadBytes))
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
	if err := waitV1(ctx, db, c, id, twelvelabs.StatusProcessing, fopts); err != nil {
		return res, err
	}
	return importTaskV1(ctx, db, c, id, fopts)
}

func embedV2(ctx context.Context, db *clipvec.DB, c *twelvelabs.Client, model string, opts EmbedOptions, fopts FetchOptions) (*FetchResult, error) {
	res := &FetchResult{Kind: clipvec.SourceEmbedTaskV2}
	in := &twelvelabs.MediaInput{MediaSource: twelvelabs.MediaSource{URL: opts.URL}, EmbeddingOption: opts.Modalities}
	for _, s := range canonicalScopes(opts.Scopes) {
		if s == clipvec.ScopeVideo {
			s = clipvec.ScopeAsset // v2 names the whole media "asset"
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
	if t, err = waitV2(ctx, db, c, t, fopts); err != nil {
		return res, err
	}
	return importTaskV2(ctx, db, t, fopts)
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

// Embedder returns the query embedder that embeds texts and images with
// TwelveLabs, in the space's model (set it as clipvec.DB.Embedder): text
// with embed-v2 for Marengo 3.0, multi_input at the space's dimension for
// 3.5, v1 POST /embed for 2.7; images likewise (a URL, or a local file's
// bytes as base64 or an upload). For a nil client (no API key) it is
// nil: cached queries still answer offline, others fail with
// ErrNoCredentials.
func Embedder(c *twelvelabs.Client) clipvec.QueryEmbedder {
	if c == nil {
		return nil
	}
	return func(ctx context.Context, sp clipvec.Space, in clipvec.QueryInput, image []byte) ([]float32, error) {
		model, ok := upstreamModel(sp.Model)
		if !ok {
			return nil, fmt.Errorf("%w: space %s has no model clipvec can embed queries with (marengo3.0, marengo3.5, marengo2.7)", clipvec.ErrInvalidQuery, sp)
		}
		var vec []float32
		var err error
		if in.Text != "" {
			vec, err = c.EmbedText(ctx, model, in.Text, sp.Dim)
		} else {
			vec, err = embedImage(ctx, c, model, sp.Dim, in.Image, image)
		}
		return vec, upstream(err)
	}
}
