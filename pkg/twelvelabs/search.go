package twelvelabs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// SearchRequest is a POST /search request (multipart in v1.3, not JSON).
// It is plain data, safe to share between goroutines once built.
type SearchRequest struct {
	// IndexID is required.
	IndexID string
	// SearchOptions (required, repeated): visual, audio, transcription.
	SearchOptions []string
	// QueryText is the text query (≤ 500 tokens for 3.0).
	QueryText string
	// QueryMediaType is "image" for media queries.
	QueryMediaType string
	// QueryMediaURLs and QueryMediaFiles are the image queries (repeated,
	// up to 10); with QueryText they compose one query.
	QueryMediaURLs  []string
	QueryMediaFiles []File
	// TranscriptionOptions: lexical, semantic (with transcription only).
	TranscriptionOptions []string
	// GroupBy is clip (API default) or video.
	GroupBy string
	// Operator combines search options: or (API default) or and.
	Operator string
	// PageLimit is the page size (API default 10, max 50).
	PageLimit int
	// Filter is marshalled with encoding/json and sent as a JSON string,
	// e.g. map[string]any{"id": []string{"..."}} or
	// {"duration": {"gte": 600}}; a json.RawMessage or string is sent
	// verbatim.
	Filter any
	// IncludeUserMetadata adds user metadata to the results.
	IncludeUserMetadata bool
}

func (r SearchRequest) body() (*body, error) {
	f := &form{}
	f.add("index_id", r.IndexID)
	f.addAll("search_options", r.SearchOptions)
	f.addNonEmpty("query_text", r.QueryText)
	f.addNonEmpty("query_media_type", r.QueryMediaType)
	f.addAll("query_media_url", r.QueryMediaURLs)
	f.addAll("transcription_options", r.TranscriptionOptions)
	f.addNonEmpty("group_by", r.GroupBy)
	f.addNonEmpty("operator", r.Operator)
	if r.PageLimit > 0 {
		f.add("page_limit", strconv.Itoa(r.PageLimit))
	}
	switch v := r.Filter.(type) {
	case nil:
	case string:
		f.addNonEmpty("filter", v)
	case json.RawMessage:
		f.addNonEmpty("filter", string(v))
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode filter: %w", err)
		}
		f.add("filter", string(b))
	}
	if r.IncludeUserMetadata {
		f.add("include_user_metadata", "true")
	}
	for _, file := range r.QueryMediaFiles {
		f.addFile("query_media_file", file)
	}
	return f.body(), nil
}

// Search runs a search and returns its first page (POST /search). The
// API answers a 429 here with an empty body; the client retries it like
// any other.
func (c *Client) Search(ctx context.Context, req SearchRequest) (*SearchResults, error) {
	op := "search index " + req.IndexID
	if req.IndexID == "" {
		return nil, errors.New("search: no index id")
	}
	if len(req.SearchOptions) == 0 {
		return nil, errors.New(op + ": no search options")
	}
	b, err := req.body()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return doJSON[SearchResults](ctx, c, &call{op: op, method: http.MethodPost, path: "/search", body: b})
}

// SearchPage returns the page a page token names (GET /search/{token}).
// An expired or unknown token fails with an error matching
// [ErrPageTokenExpired].
func (c *Client) SearchPage(ctx context.Context, pageToken string, includeUserMetadata bool) (*SearchResults, error) {
	op := "get search page"
	tok, err := escape("page token", pageToken)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	q := url.Values{}
	if includeUserMetadata {
		q.Set("include_user_metadata", "true")
	}
	return doJSON[SearchResults](ctx, c, &call{op: op, method: http.MethodGet, path: "/search/" + tok, query: q})
}

// SearchAll runs a search and walks every result across pages, following
// next_page_token until a page has none.
func (c *Client) SearchAll(ctx context.Context, req SearchRequest) *TokenIter[SearchItem] {
	return &TokenIter[SearchItem]{
		ctx:  ctx,
		what: "walk search results",
		first: func(ctx context.Context) ([]SearchItem, string, error) {
			res, err := c.Search(ctx, req)
			if err != nil {
				return nil, "", err
			}
			return res.Data, res.PageInfo.NextPageToken, nil
		},
		next: func(ctx context.Context, token string) ([]SearchItem, string, error) {
			res, err := c.SearchPage(ctx, token, req.IncludeUserMetadata)
			if err != nil {
				return nil, "", err
			}
			return res.Data, res.PageInfo.NextPageToken, nil
		},
	}
}

// SearchRaw is Search that also returns the response body as it arrived,
// for callers that keep what the API said (a benchmark's record, say).
func (c *Client) SearchRaw(ctx context.Context, req SearchRequest) (*SearchResults, json.RawMessage, error) {
	op := "search index " + req.IndexID
	if req.IndexID == "" {
		return nil, nil, errors.New("search: no index id")
	}
	if len(req.SearchOptions) == 0 {
		return nil, nil, errors.New(op + ": no search options")
	}
	b, err := req.body()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", op, err)
	}
	return decodeRaw[SearchResults](doJSON[json.RawMessage](ctx, c, &call{op: op, method: http.MethodPost, path: "/search", body: b}))
}

// SearchPageRaw is SearchPage that also returns the body as it arrived.
func (c *Client) SearchPageRaw(ctx context.Context, pageToken string, includeUserMetadata bool) (*SearchResults, json.RawMessage, error) {
	op := "get search page"
	tok, err := escape("page token", pageToken)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", op, err)
	}
	q := url.Values{}
	if includeUserMetadata {
		q.Set("include_user_metadata", "true")
	}
	return decodeRaw[SearchResults](doJSON[json.RawMessage](ctx, c, &call{op: op, method: http.MethodGet, path: "/search/" + tok, query: q}))
}

// decodeRaw decodes a raw 2xx body into a T, returning both.
func decodeRaw[T any](raw *json.RawMessage, err error) (*T, json.RawMessage, error) {
	if err != nil {
		return nil, nil, err
	}
	var out T
	if raw != nil && len(*raw) > 0 {
		if err := json.Unmarshal(*raw, &out); err != nil {
			return nil, *raw, fmt.Errorf("decode %d-byte response: %w", len(*raw), err)
		}
		return &out, *raw, nil
	}
	return &out, nil, nil
}
