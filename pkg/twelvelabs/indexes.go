package twelvelabs

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// RetrieveOptions selects what a retrieve of an indexed asset or video
// includes.
// It is plain data, safe to share between goroutines once built.
type RetrieveOptions struct {
	// EmbeddingOptions are sent as repeated embedding_option keys; the API
	// returns embeddings only when at least one is given, and only options
	// the index's model has (visual, audio, transcription for 3.0;
	// visual-text, audio for 2.7).
	EmbeddingOptions []string
	// Transcription asks for the transcription.
	Transcription bool
}

func (o RetrieveOptions) query() url.Values {
	q := url.Values{}
	for _, e := range o.EmbeddingOptions {
		q.Add("embedding_option", e)
	}
	if o.Transcription {
		q.Set("transcription", "true")
	}
	return q
}

// Range filters a list by a number: Eq sends key=v, GTE and LTE send
// key[gte]=v and key[lte]=v. Nil fields are not sent.
// It is plain data, safe to share between goroutines once built.
type Range struct {
	Eq, GTE, LTE *float64
}

func (r *Range) encode(q url.Values, key string) {
	if r == nil {
		return
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	if r.Eq != nil {
		q.Set(key, f(*r.Eq))
	}
	if r.GTE != nil {
		q.Set(key+"[gte]", f(*r.GTE))
	}
	if r.LTE != nil {
		q.Set(key+"[lte]", f(*r.LTE))
	}
}

// ListAssetsParams filters, sorts and pages the indexed-asset and video
// lists. Zero values are not sent.
// It is plain data, safe to share between goroutines once built.
type ListAssetsParams struct {
	// Page is the first page to fetch (default 1); PageLimit the page size
	// (API default 10, max 50).
	Page, PageLimit int
	// SortBy is created_at (API default) or updated_at; SortOption asc or
	// desc (API default).
	SortBy, SortOption string
	// Status keeps assets in any of these statuses (repeated key; the
	// indexed-assets list only).
	Status []string
	// Filename keeps the asset with this filename.
	Filename string
	// Duration, FPS, Width, Height and Size filter by system metadata.
	Duration, FPS, Width, Height, Size *Range
	// CreatedAt and UpdatedAt keep assets created/updated at or after.
	CreatedAt, UpdatedAt time.Time
	// UserMetadata filters by user metadata, sent as key=value.
	UserMetadata map[string]string
}

func (p ListAssetsParams) query(page int, withStatus bool) url.Values {
	q := url.Values{}
	// User metadata first, so a key that collides with a standard
	// parameter loses to it.
	for k, v := range p.UserMetadata {
		q.Set(k, v)
	}
	q.Set("page", strconv.Itoa(page))
	if p.PageLimit > 0 {
		q.Set("page_limit", strconv.Itoa(p.PageLimit))
	}
	if p.SortBy != "" {
		q.Set("sort_by", p.SortBy)
	}
	if p.SortOption != "" {
		q.Set("sort_option", p.SortOption)
	}
	if withStatus {
		q.Del("status")
		for _, s := range p.Status {
			q.Add("status", s)
		}
	}
	if p.Filename != "" {
		q.Set("filename", p.Filename)
	}
	p.Duration.encode(q, "duration")
	p.FPS.encode(q, "fps")
	p.Width.encode(q, "width")
	p.Height.encode(q, "height")
	p.Size.encode(q, "size")
	if !p.CreatedAt.IsZero() {
		q.Set("created_at", p.CreatedAt.UTC().Format(time.RFC3339))
	}
	if !p.UpdatedAt.IsZero() {
		q.Set("updated_at", p.UpdatedAt.UTC().Format(time.RFC3339))
	}
	return q
}

// RetrieveIndexedAsset returns an indexed asset
// (GET /indexes/{index}/indexed-assets/{asset}), with its segments when
// opts names embedding options.
func (c *Client) RetrieveIndexedAsset(ctx context.Context, indexID, assetID string, opts RetrieveOptions) (*IndexedAsset, error) {
	return c.retrieveAsset(ctx, "retrieve indexed asset", "indexed-assets", indexID, assetID, opts)
}

// RetrieveVideo returns a video through the older endpoint
// (GET /indexes/{index}/videos/{video}), marked for deprecation in favour
// of [Client.RetrieveIndexedAsset]. The body has no status.
func (c *Client) RetrieveVideo(ctx context.Context, indexID, videoID string, opts RetrieveOptions) (*IndexedAsset, error) {
	return c.retrieveAsset(ctx, "retrieve video", "videos", indexID, videoID, opts)
}

func (c *Client) retrieveAsset(ctx context.Context, verb, collection, indexID, assetID string, opts RetrieveOptions) (*IndexedAsset, error) {
	op := fmt.Sprintf("%s %s of index %s", verb, assetID, indexID)
	ix, err := escape("index id", indexID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	id, err := escape("id", assetID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	var a IndexedAsset
	cl := &call{op: op, method: http.MethodGet, path: "/indexes/" + ix + "/" + collection + "/" + id, query: opts.query()}
	if _, err := c.do(ctx, cl, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// ListIndexedAssets walks the assets of an index
// (GET /indexes/{index}/indexed-assets), newest first by default. Items
// carry system metadata and status, no embeddings.
func (c *Client) ListIndexedAssets(ctx context.Context, indexID string, p ListAssetsParams) *PageIter[IndexedAsset] {
	return c.listAssets(ctx, "list indexed assets of index "+indexID, "indexed-assets", indexID, p, true)
}

// ListVideos walks the videos of an index through the older endpoint
// (GET /indexes/{index}/videos). p.Status is not sent (the endpoint has
// no such filter). Items in the legacy shape (metadata, index_id) decode
// too.
func (c *Client) ListVideos(ctx context.Context, indexID string, p ListAssetsParams) *PageIter[IndexedAsset] {
	return c.listAssets(ctx, "list videos of index "+indexID, "videos", indexID, p, false)
}

func (c *Client) listAssets(ctx context.Context, op, collection, indexID string, p ListAssetsParams, withStatus bool) *PageIter[IndexedAsset] {
	ix, err := escape("index id", indexID)
	if err != nil {
		return failedPageIter[IndexedAsset](fmt.Errorf("%s: %w", op, err))
	}
	path := "/indexes/" + ix + "/" + collection
	return listPages[IndexedAsset](ctx, c, op, path, p.Page, func(page int) url.Values { return p.query(page, withStatus) })
}

// Index is an index as GET /indexes/{index-id} describes it. It is plain
// data, safe for concurrent reads.
type Index struct {
	ID            string       `json:"_id"`
	Name          string       `json:"index_name"`
	VideoCount    int          `json:"video_count"`
	TotalDuration float64      `json:"total_duration"`
	Models        []IndexModel `json:"models"`
	CreatedAt     string       `json:"created_at,omitempty"`
}

// IndexModel is one model an index was created with, and its options
// (modalities: visual, audio, ...).
type IndexModel struct {
	Name    string   `json:"model_name"`
	Options []string `json:"model_options"`
}

// RetrieveIndex retrieves an index (GET /indexes/{index-id}), and the
// body as it arrived.
func (c *Client) RetrieveIndex(ctx context.Context, indexID string) (*Index, json.RawMessage, error) {
	op := "retrieve index " + indexID
	ix, err := escape("index id", indexID)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", op, err)
	}
	return decodeRaw[Index](doJSON[json.RawMessage](ctx, c, &call{op: op, method: http.MethodGet, path: "/indexes/" + ix}))
}
