package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"unicode/utf8"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

func (s *Server) health(w http.ResponseWriter, r *http.Request) error {
	return reply(w, http.StatusOK, map[string]string{"status": "ok"})
}

// search answers POST /v1/search: a clipvec.Query in, a clipvec.Result
// out (what clipvec search --json prints).
func (s *Server) search(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var q clipvec.Query
	if err := decodeJSON(body, &q, ""); err != nil {
		return err
	}
	if err := s.checkQuery(&q); err != nil {
		return err
	}
	res, err := s.db.Search(r.Context(), q)
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK, res)
}

// batchRequest is POST /v1/search/batch's body. Each query is decoded on
// its own, so that one malformed query fails alone, with its own error.
type batchRequest struct {
	Queries []json.RawMessage `json:"queries"`
}

// batchItem is one query's answer in a batch: a result or an error.
type batchItem struct {
	Result *clipvec.Result `json:"result,omitempty"`
	Error  *apiError       `json:"error,omitempty"`
}

type batchResponse struct {
	Results []batchItem `json:"results"`
}

// searchBatch answers POST /v1/search/batch with db.SearchBatch: exact
// queries of one space share passes over its vectors.
func (s *Server) searchBatch(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var req batchRequest
	if err := decodeJSON(body, &req, ""); err != nil {
		return err
	}
	switch n := len(req.Queries); {
	case n == 0:
		return badRequest("queries", "queries is missing or empty: want an array of search queries")
	case n > s.opts.MaxBatch:
		return badRequest("queries", "queries holds %d queries: this server takes at most %d per batch", n, s.opts.MaxBatch)
	}
	out := batchResponse{Results: make([]batchItem, len(req.Queries))}
	var qs []clipvec.Query
	var at []int // at[j]: the position of qs[j] in the request
	for i, raw := range req.Queries {
		var q clipvec.Query
		err := decodeJSON(raw, &q, "")
		if err == nil {
			err = s.checkQuery(&q)
		}
		if err != nil {
			out.Results[i].Error = toAPIError(err)
			continue
		}
		qs = append(qs, q)
		at = append(at, i)
	}
	if len(qs) > 0 {
		res, err := s.db.SearchBatch(r.Context(), qs)
		if err != nil {
			return err
		}
		for j, br := range res {
			item := &out.Results[at[j]]
			if br.Err != nil {
				item.Error = toAPIError(br.Err)
				if item.Error.Status >= 500 {
					s.log.Error("batch query failed", "path", r.URL.Path, "query", at[j], "error", br.Err.Error())
				}
				continue
			}
			item.Result = br.Result
		}
	}
	return reply(w, http.StatusOK, out)
}

// recommend answers POST /v1/recommend: a clipvec.RecommendQuery in, a
// clipvec.Result out.
func (s *Server) recommend(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var q clipvec.RecommendQuery
	if err := decodeJSON(body, &q, ""); err != nil {
		return err
	}
	if err := s.checkRecommend(&q); err != nil {
		return err
	}
	res, err := s.db.Recommend(r.Context(), q)
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK, res)
}

// videosPage is GET /v1/videos's answer: one page of the videos, by id.
type videosPage struct {
	Videos []clipvec.Video `json:"videos"`
	// Total counts every video; NextOffset is the offset of the next
	// page, absent on the last.
	Total      int `json:"total"`
	Offset     int `json:"offset"`
	Limit      int `json:"limit"`
	NextOffset int `json:"next_offset,omitempty"`
}

func (s *Server) videos(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := checkParams(q, "limit", "offset"); err != nil {
		return err
	}
	limit, err := intParam(q, "limit", DefaultPageSize, 1, MaxPageSize)
	if err != nil {
		return err
	}
	offset, err := intParam(q, "offset", 0, 0, 1<<31-1)
	if err != nil {
		return err
	}
	all, err := s.db.Videos(r.Context())
	if err != nil {
		return err
	}
	page := videosPage{Total: len(all), Offset: offset, Limit: limit, Videos: []clipvec.Video{}}
	if offset < len(all) {
		end := min(offset+limit, len(all))
		page.Videos = all[offset:end]
		if end < len(all) {
			page.NextOffset = end
		}
	}
	return reply(w, http.StatusOK, page)
}

func (s *Server) video(w http.ResponseWriter, r *http.Request) error {
	if err := checkParams(r.URL.Query()); err != nil {
		return err
	}
	v, err := s.db.Video(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK, v)
}

// segmentsResponse is GET /v1/videos/{id}/segments's answer.
type segmentsResponse struct {
	VideoID  string            `json:"video_id"`
	Segments []clipvec.Segment `json:"segments"`
}

func (s *Server) segments(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := checkParams(q, "vectors"); err != nil {
		return err
	}
	vectors, err := boolParam(q, "vectors")
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	segs, err := s.db.VideoSegments(r.Context(), id, vectors)
	if err != nil {
		return err
	}
	if segs == nil {
		segs = []clipvec.Segment{}
	}
	return reply(w, http.StatusOK, segmentsResponse{VideoID: id, Segments: segs})
}

// statsResponse is GET /v1/stats's answer.
type statsResponse struct {
	Stats *clipvec.Stats        `json:"stats"`
	Index []clipvec.IndexStatus `json:"index"`
	// TextSearch says whether text and image queries can be embedded
	// (the server has an API key); cached ones answer either way.
	TextSearch bool   `json:"text_search"`
	ReadOnly   bool   `json:"read_only"`
	Version    string `json:"version"`
	Limits     limits `json:"limits"`
}

// limits are the server's Options a client must respect.
type limits struct {
	MaxK           int   `json:"max_k"`
	MaxEf          int   `json:"max_ef"`
	MaxBatch       int   `json:"max_batch"`
	MaxBodyBytes   int64 `json:"max_body_bytes"`
	MaxBatchBytes  int64 `json:"max_batch_bytes"`
	MaxImportBytes int64 `json:"max_import_bytes"`
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request) error {
	if err := checkParams(r.URL.Query()); err != nil {
		return err
	}
	st, err := s.db.Stats(r.Context())
	if err != nil {
		return err
	}
	idx, err := s.db.IndexStatus(r.Context())
	if err != nil {
		return err
	}
	if idx == nil {
		idx = []clipvec.IndexStatus{}
	}
	o := s.opts
	return reply(w, http.StatusOK, statsResponse{Stats: st, Index: idx, TextSearch: s.db.Embedder != nil,
		ReadOnly: o.ReadOnly, Version: o.Version,
		Limits: limits{MaxK: o.MaxK, MaxEf: o.MaxEf, MaxBatch: o.MaxBatch,
			MaxBodyBytes: o.MaxBodyBytes, MaxBatchBytes: o.MaxBatchBytes, MaxImportBytes: o.MaxImportBytes}})
}

// importResponse is POST /v1/import's answer: the file's result, the
// spaces its segments went to, and a warning when the data is committed
// but the search graphs could not be brought up to date.
type importResponse struct {
	clipvec.FileResult
	Spaces  []spaceName `json:"spaces"`
	Warning string      `json:"warning,omitempty"`
}

// spaceName names an embedding space without its counts.
type spaceName struct {
	Model string `json:"model"`
	Dim   int    `json:"dim"`
}

// importBody answers POST /v1/import: the body is one input in any shape
// clipvec import reads (gzip included), imported in one transaction.
func (s *Server) importBody(w http.ResponseWriter, r *http.Request) error {
	if s.opts.ReadOnly {
		return &apiError{Status: http.StatusForbidden, Code: CodeReadOnly,
			Message: "this server is read-only: it answers searches, not imports"}
	}
	q := r.URL.Query()
	if err := checkParams(q, "video_id", "model", "dim", "skip_invalid", "no_index", "name"); err != nil {
		return err
	}
	opts := clipvec.ImportOptions{VideoID: q.Get("video_id"), Model: q.Get("model")}
	var err error
	if opts.Dim, err = intParam(q, "dim", 0, 0, maxVectorDim); err != nil {
		return err
	}
	if opts.SkipInvalid, err = boolParam(q, "skip_invalid"); err != nil {
		return err
	}
	noIndex, err := boolParam(q, "no_index")
	if err != nil {
		return err
	}
	name := q.Get("name")
	switch {
	case name == "":
		name = "upload"
	case len(name) > 1024 || !utf8.ValidString(name):
		return badRequest("name", "name must be UTF-8 text of at most 1024 bytes")
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var src io.Reader = bytes.NewReader(body)
	if len(body) >= 2 && body[0] == 0x1f && body[1] == 0x8b {
		// A gzipped body is inflated here, as a stream with its own cap:
		// the library stages a stream that is not in memory (spooling
		// past 16 MB to a temporary file), so memory stays bounded.
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return &apiError{Status: http.StatusBadRequest, Code: CodeInvalidInput, err: err,
				Message: fmt.Sprintf("import %s: gzip header: %v", name, err)}
		}
		defer zr.Close()
		src = &capReader{r: zr, left: s.opts.MaxImportBytes * maxInflate, limit: s.opts.MaxImportBytes * maxInflate}
	}
	res, err := s.db.ImportReader(ctx, name, src, opts)
	resp := importResponse{FileResult: res, Spaces: []spaceName{}}
	for _, sp := range res.Spaces {
		resp.Spaces = append(resp.Spaces, spaceName{sp.Model, sp.Dim})
	}
	switch {
	case err == nil:
	case errors.Is(err, clipvec.ErrIndexNotSaved):
		resp.Warning = err.Error()
	case errors.Is(err, clipvec.ErrNoVideo):
		return &apiError{Status: http.StatusBadRequest, Code: CodeInvalidInput, Field: "video_id", err: err,
			Message: err.Error() + " (name it with the video_id query parameter)"}
	case errors.Is(err, clipvec.ErrNoModel):
		return &apiError{Status: http.StatusBadRequest, Code: CodeInvalidInput, Field: "model", err: err,
			Message: err.Error() + " (name it with the model query parameter)"}
	case errors.Is(err, errInflated):
		return &apiError{Status: http.StatusRequestEntityTooLarge, Code: CodeTooLarge, err: err,
			Message: fmt.Sprintf("import %s: the gzipped body inflates past %d bytes (%d times the import limit)", name, s.opts.MaxImportBytes*maxInflate, maxInflate)}
	default:
		return err
	}
	if !noIndex && resp.Warning == "" {
		// The data is committed: whatever happens now, the import stands.
		if err := s.syncSpaces(ctx, res.Spaces); err != nil {
			resp.Warning = err.Error()
		}
	}
	if resp.Warning != "" {
		s.log.Warn("import committed with a warning", "name", name, "warning", resp.Warning)
	}
	return reply(w, http.StatusOK, resp)
}

// syncSpaces brings the graphs of the spaces an import wrote to in step.
func (s *Server) syncSpaces(ctx context.Context, touched []clipvec.Space) error {
	return s.db.SyncCommitted(ctx, "import", touched, nil)
}

// maxInflate is how many times the import limit a gzipped import body
// may inflate to: JSON vectors compress about 3:1.
const maxInflate = 8

var errInflated = errors.New("inflated body too large")

// capReader reads r until limit bytes, then fails with errInflated.
type capReader struct {
	r           io.Reader
	left, limit int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, fmt.Errorf("read body: %w (over %d bytes)", errInflated, c.limit)
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// checkParams rejects query parameters other than those allowed, and
// any given twice.
func checkParams(q url.Values, allowed ...string) error {
	for k, v := range q {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		switch {
		case !ok:
			return badRequest(k, "unknown query parameter %q", k)
		case len(v) > 1:
			return badRequest(k, "query parameter %q is given %d times", k, len(v))
		}
	}
	return nil
}

func intParam(q url.Values, name string, def, lo, hi int) (int, error) {
	s := q.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, badRequest(name, "%s=%q: want an integer from %d to %d", name, s, lo, hi)
	}
	return n, nil
}

func boolParam(q url.Values, name string) (bool, error) {
	s := q.Get(name)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, badRequest(name, "%s=%q: want true or false", name, s)
	}
	return b, nil
}
