package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

var (
	errEmptyBody = errors.New("empty body")
	errTrailing  = errors.New("data after the JSON value")
)

// maxVectorDim is the longest query vector accepted: the importer's
// limit too, so no space can be larger.
const maxVectorDim = 65536

// readBody reads r's body whole, up to the route's limit (more is a 413).
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, readError(err)
	}
	return body, nil
}

// decodeJSON decodes data, one JSON value, into v: unknown fields and
// anything after the value are errors naming prefix, the path of the
// value in the request ("" for the body).
func decodeJSON(data []byte, v any, prefix string) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return decodeError(errEmptyBody, prefix)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, prefix)
	}
	if _, err := dec.Token(); err != io.EOF {
		return decodeError(errTrailing, prefix)
	}
	return nil
}

// checkQuery checks what the server must before a search: the limits it
// sets and what the library would reject without naming a field.
// The library checks the rest (ErrInvalidQuery).
func (s *Server) checkQuery(q *clipvec.Query) error {
	var set []string
	for _, f := range []struct {
		name string
		set  bool
	}{{"vector", q.Vector != nil}, {"like", q.Like != nil}, {"like_video", q.LikeVideo != ""}, {"text", q.Text != ""}, {"image", q.Image != ""}} {
		if f.set {
			set = append(set, f.name)
		}
	}
	switch len(set) {
	case 0:
		return badRequest("", "say what to search for: give exactly one of vector, like, like_video, text or image")
	case 1:
	default:
		return badRequest(set[1], "give exactly one of vector, like, like_video, text or image, not %s", strings.Join(set, " and "))
	}
	switch {
	case q.Vector != nil && len(q.Vector) == 0:
		return badRequest("vector", "vector is empty")
	case len(q.Vector) > maxVectorDim:
		return badRequest("vector", "vector has %d values; no embedding space has more than %d", len(q.Vector), maxVectorDim)
	case q.Vector != nil && !slices.ContainsFunc(q.Vector, func(v float32) bool { return v != 0 }):
		return badRequest("vector", "vector is all zeros: it points nowhere to search")
	}
	if q.Like != nil {
		if q.Like.VideoID == "" {
			return badRequest("like.video_id", "like.video_id is empty: name the clip's video")
		}
		if q.Like.At < 0 || math.IsInf(q.Like.At, 0) {
			return badRequest("like.at", "like.at is %g: want a time in seconds, 0 or more", q.Like.At)
		}
	}
	if q.Image != "" {
		// The library reads anything that does not start with exactly
		// "http://" or "https://" as a local file (HTTP://x/../../f
		// included): a client must not make the server read its own.
		u, err := url.Parse(q.Image)
		if !strings.HasPrefix(q.Image, "http://") && !strings.HasPrefix(q.Image, "https://") || err != nil || u.Host == "" {
			return badRequest("image", "image must be an http:// or https:// URL (the server does not read files of its own)")
		}
	}
	switch q.Aggregate {
	case "", clipvec.AggMax, clipvec.AggMean:
	default:
		return badRequest("aggregate", "aggregate %q: want %q or %q", q.Aggregate, clipvec.AggMax, clipvec.AggMean)
	}
	return s.checkCommon(q.K, q.Ef, q.GroupBy, &q.Filter)
}

// checkRecommend is checkQuery for a recommendation.
func (s *Server) checkRecommend(q *clipvec.RecommendQuery) error {
	if len(q.Positive) == 0 {
		return badRequest("positive", "positive is empty: give at least one example video")
	}
	for i, id := range q.Positive {
		if id == "" {
			return badRequest("positive", "positive[%d] is empty", i)
		}
	}
	for i, id := range q.Negative {
		if id == "" {
			return badRequest("negative", "negative[%d] is empty", i)
		}
	}
	if !(q.Lambda >= 0 && q.Lambda <= 1) {
		return badRequest("mmr_lambda", "mmr_lambda is %g: want 0 (off) to 1", q.Lambda)
	}
	if m := q.MinScore; m != nil && !(*m >= -1 && *m <= 1) {
		return badRequest("min_score", "min_score is %g: want -1 to 1 (a cosine similarity)", *m)
	}
	if q.MaxPerVideo < 0 {
		return badRequest("max_per_video", "max_per_video is %d: want 0 (no cap) or more", q.MaxPerVideo)
	}
	return s.checkCommon(q.K, q.Ef, q.GroupBy, &q.Filter)
}

func (s *Server) checkCommon(k, ef int, groupBy string, f *clipvec.Filter) error {
	switch {
	case k < 0:
		return badRequest("k", "k is %d: want a positive number of results (absent or 0: %d)", k, clipvec.DefaultK)
	case k > s.opts.MaxK:
		return badRequest("k", "k is %d: this server returns at most %d results per query", k, s.opts.MaxK)
	case ef < 0:
		return badRequest("ef", "ef is %d: want a positive number (absent or 0: the database's default)", ef)
	case ef > s.opts.MaxEf:
		return badRequest("ef", "ef is %d: this server allows at most %d (for the true top k, ask for exact)", ef, s.opts.MaxEf)
	}
	switch groupBy {
	case "", clipvec.GroupByVideo:
	default:
		return badRequest("group_by", "group_by %q: the only grouping is %q", groupBy, clipvec.GroupByVideo)
	}
	for _, sc := range f.Scopes {
		switch sc {
		case clipvec.ScopeClip, clipvec.ScopeVideo, clipvec.ScopeAsset:
		default:
			return badRequest("filter.scopes", "filter.scopes: %q: want %q or %q (alias %q)", sc, clipvec.ScopeClip, clipvec.ScopeVideo, clipvec.ScopeAsset)
		}
	}
	if tr := f.TimeRange; tr != nil && !(tr.From < tr.To) {
		return badRequest("filter.time_range", "filter.time_range %g to %g is empty: want from < to", tr.From, tr.To)
	}
	return nil
}
