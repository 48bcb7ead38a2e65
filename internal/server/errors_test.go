package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/server"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

// TestSearchErrors: every malformed or unanswerable search is a 4xx JSON
// error naming the field at fault.
func TestSearchErrors(t *testing.T) {
	_, c := start(t, sampleDB, server.Options{})
	for name, tc := range map[string]struct {
		body   string
		status int
		code   string
		field  string
		msg    string
	}{
		"Truncated":        {`{"k":`, 400, server.CodeBadRequest, "", "truncated"},
		"Syntax":           {`{"k" 1}`, 400, server.CodeBadRequest, "", "malformed JSON at byte"},
		"Empty":            {``, 400, server.CodeBadRequest, "", "empty request body"},
		"Blank":            {" \n\t", 400, server.CodeBadRequest, "", "empty request body"},
		"Array":            {`[1,2]`, 400, server.CodeBadRequest, "", "want a JSON object"},
		"String":           {`"surf"`, 400, server.CodeBadRequest, "", "want a JSON object"},
		"Trailing":         {`{"like_video":"` + surfing + `"} {}`, 400, server.CodeBadRequest, "", "after the JSON object"},
		"KType":            {`{"like_video":"x","k":"ten"}`, 400, server.CodeBadRequest, "k", "integer"},
		"KFraction":        {`{"like_video":"x","k":1.5}`, 400, server.CodeBadRequest, "k", "integer"},
		"NestedType":       {`{"like_video":"x","filter":{"time_range":{"from":"a","to":3}}}`, 400, server.CodeBadRequest, "filter.time_range.from", "number"},
		"LikeType":         {`{"like":{"video_id":3,"at":1}}`, 400, server.CodeBadRequest, "like.video_id", "string"},
		"VectorValue":      {`{"vector":[1,1e39]}`, 400, server.CodeBadRequest, "vector", "float32"},
		"VectorType":       {`{"vector":"1,2"}`, 400, server.CodeBadRequest, "vector", "array"},
		"UnknownField":     {`{"like_video":"x","colour":"blue"}`, 400, server.CodeBadRequest, "colour", `unknown field "colour"`},
		"UnknownNested":    {`{"like_video":"x","filter":{"video":["a"]}}`, 400, server.CodeBadRequest, "video", `unknown field "video"`},
		"NoQuery":          {`{"k":3}`, 400, server.CodeBadRequest, "", "exactly one of"},
		"Null":             {`null`, 400, server.CodeBadRequest, "", "exactly one of"},
		"TwoQueries":       {`{"like_video":"x","text":"surf"}`, 400, server.CodeBadRequest, "text", "like_video and text"},
		"EmptyVector":      {`{"vector":[]}`, 400, server.CodeBadRequest, "vector", "empty"},
		"ZeroVector":       {`{"vector":[0,0,-0]}`, 400, server.CodeBadRequest, "vector", "all zeros"},
		"KTooLarge":        {`{"like_video":"x","k":1001}`, 400, server.CodeBadRequest, "k", "at most 1000"},
		"KNegative":        {`{"like_video":"x","k":-1}`, 400, server.CodeBadRequest, "k", "-1"},
		"EfTooLarge":       {`{"like_video":"x","ef":10001}`, 400, server.CodeBadRequest, "ef", "at most 10000"},
		"EfNegative":       {`{"like_video":"x","ef":-5}`, 400, server.CodeBadRequest, "ef", "-5"},
		"GroupBy":          {`{"like_video":"x","group_by":"topic"}`, 400, server.CodeBadRequest, "group_by", "topic"},
		"Aggregate":        {`{"like_video":"x","aggregate":"sum"}`, 400, server.CodeBadRequest, "aggregate", "sum"},
		"Scope":            {`{"like_video":"x","filter":{"scopes":["scene"]}}`, 400, server.CodeBadRequest, "filter.scopes", "scene"},
		"EmptyTimeRange":   {`{"like_video":"x","filter":{"time_range":{"from":9,"to":3}}}`, 400, server.CodeBadRequest, "filter.time_range", "from < to"},
		"LikeNoVideo":      {`{"like":{"at":3}}`, 400, server.CodeBadRequest, "like.video_id", "empty"},
		"LikeNegativeTime": {`{"like":{"video_id":"x","at":-3}}`, 400, server.CodeBadRequest, "like.at", "-3"},
		"LocalImage":       {`{"image":"/etc/passwd"}`, 400, server.CodeBadRequest, "image", "http:// or https:// URL"},
		"FileImage":        {`{"image":"file:///etc/passwd"}`, 400, server.CodeBadRequest, "image", "http:// or https:// URL"},
		"UpperCaseScheme":  {`{"image":"HTTP://x/../../../etc/passwd"}`, 400, server.CodeBadRequest, "image", "http:// or https:// URL"},
		"NoHost":           {`{"image":"https:///etc/passwd"}`, 400, server.CodeBadRequest, "image", "http:// or https:// URL"},
		"Dimension":        {`{"vector":[0.1,0.2,0.3]}`, 400, server.CodeBadRequest, "", "no embedding space"},
		"Modality":         {`{"like_video":"` + surfing + `","modality":"smell"}`, 404, server.CodeNotFound, "", "smell"},
		"UnknownVideo":     {`{"like_video":"no-such-video"}`, 404, server.CodeNotFound, "", "no-such-video"},
		"UnknownClipVideo": {`{"like":{"video_id":"no-such-video","at":3}}`, 404, server.CodeNotFound, "", "no-such-video"},
		"UnknownModel":     {`{"like_video":"` + surfing + `","model":"marengo9"}`, 404, server.CodeNotFound, "", ""},
		"TextNoKey":        {`{"text":"a never asked question"}`, 422, server.CodeNoCredentials, "", "TWELVELABS_API_KEY"},
	} {
		t.Run(name, func(t *testing.T) {
			r := c.do("POST", "/v1/search", tc.body)
			if r.status == http.StatusNotFound && tc.status == 400 || r.status == 400 && tc.status == 404 {
				t.Logf("library answer: %s", r.body)
			}
			wantError(t, r, tc.status, tc.code, tc.field, tc.msg)
		})
	}
}

func TestLimits(t *testing.T) {
	_, c := start(t, sampleDB, server.Options{MaxBodyBytes: 2000, MaxBatchBytes: 100 << 10, MaxBatch: 3, MaxK: 20, MaxEf: 50})
	vec := sampleVector(t, "surfing") // about 6 KB as JSON
	t.Run("SearchBody", func(t *testing.T) {
		wantError(t, c.do("POST", "/v1/search", clipvec.Query{Vector: vec}), 413, server.CodeTooLarge, "", "2000 bytes")
	})
	t.Run("RecommendBody", func(t *testing.T) {
		wantError(t, c.do("POST", "/v1/recommend", `{"positive":["`+strings.Repeat("v", 3000)+`"]}`), 413, server.CodeTooLarge, "", "2000 bytes")
	})
	t.Run("BatchBodyHasItsOwnLimit", func(t *testing.T) {
		var out struct{ Results []struct{ Result *result } }
		c.ok(c.do("POST", "/v1/search/batch", map[string]any{"queries": []clipvec.Query{{Vector: vec, K: 2}, {Vector: vec, K: 3}}}), &out)
		if len(out.Results) != 2 || out.Results[1].Result == nil || len(out.Results[1].Result.Hits) != 3 {
			t.Errorf("batch: %+v", out)
		}
		big := make([]clipvec.Query, 3)
		for i := range big {
			big[i] = clipvec.Query{Vector: append(append([]float32{}, vec...), vec...)}
			big[i].Vector = append(big[i].Vector, big[i].Vector...)
			big[i].Vector = append(big[i].Vector, big[i].Vector...)
		}
		wantError(t, c.do("POST", "/v1/search/batch", map[string]any{"queries": big}), 413, server.CodeTooLarge, "", "102400 bytes")
	})
	t.Run("K", func(t *testing.T) {
		wantError(t, c.do("POST", "/v1/search", clipvec.Query{LikeVideo: surfing, K: 21}), 400, server.CodeBadRequest, "k", "at most 20")
		var res result
		c.ok(c.do("POST", "/v1/search", clipvec.Query{LikeVideo: surfing, K: 20}), &res)
		if len(res.Hits) != 20 {
			t.Errorf("%d hits, want 20", len(res.Hits))
		}
		wantError(t, c.do("POST", "/v1/recommend", clipvec.RecommendQuery{Positive: []string{surfing}, K: 21}), 400, server.CodeBadRequest, "k", "at most 20")
	})
	t.Run("Ef", func(t *testing.T) {
		wantError(t, c.do("POST", "/v1/search", clipvec.Query{LikeVideo: surfing, Ef: 51}), 400, server.CodeBadRequest, "ef", "at most 50")
	})
	t.Run("Batch", func(t *testing.T) {
		qs := []clipvec.Query{{LikeVideo: surfing}, {LikeVideo: surfing}, {LikeVideo: surfing}, {LikeVideo: surfing}}
		wantError(t, c.do("POST", "/v1/search/batch", map[string]any{"queries": qs}), 400, server.CodeBadRequest, "queries", "at most 3")
		wantError(t, c.do("POST", "/v1/search/batch", `{"queries":[]}`), 400, server.CodeBadRequest, "queries", "empty")
		wantError(t, c.do("POST", "/v1/search/batch", `{}`), 400, server.CodeBadRequest, "queries", "missing")
		wantError(t, c.do("POST", "/v1/search/batch", `{"queries":{}}`), 400, server.CodeBadRequest, "queries", "array")
		wantError(t, c.do("POST", "/v1/search/batch", `{"queries":[], "k": 3}`), 400, server.CodeBadRequest, "k", "unknown field")
		wantError(t, c.do("POST", "/v1/search/batch", `{"queries":[{]}`), 400, server.CodeBadRequest, "", "malformed JSON")
	})
	t.Run("Stats", func(t *testing.T) {
		var st struct {
			Limits map[string]int64 `json:"limits"`
		}
		c.ok(c.do("GET", "/v1/stats", nil), &st)
		want := map[string]int64{"max_k": 20, "max_ef": 50, "max_batch": 3, "max_body_bytes": 2000, "max_batch_bytes": 100 << 10, "max_import_bytes": server.DefaultMaxImportBytes}
		for k, v := range want {
			if st.Limits[k] != v {
				t.Errorf("limits.%s = %d, want %d", k, st.Limits[k], v)
			}
		}
	})
}

func TestRoutingErrors(t *testing.T) {
	_, c := start(t, sampleDB, server.Options{})
	for _, tc := range []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{"GET", "/v1/search", 405, server.CodeMethodNotAllowed, "POST"},
		{"PUT", "/v1/import", 405, server.CodeMethodNotAllowed, "POST"},
		{"DELETE", "/v1/videos/" + surfing, 405, server.CodeMethodNotAllowed, "GET, HEAD"},
		{"POST", "/v1/stats", 405, server.CodeMethodNotAllowed, "GET, HEAD"},
		{"POST", "/healthz", 405, server.CodeMethodNotAllowed, "GET, HEAD"},
		{"GET", "/v1/nothing", 404, server.CodeNotFound, ""},
		{"GET", "/v2/search", 404, server.CodeNotFound, ""},
		{"GET", "/index.htm", 404, server.CodeNotFound, ""},
	} {
		t.Run(tc.method+tc.path, func(t *testing.T) {
			r := c.do(tc.method, tc.path, nil)
			wantError(t, r, tc.status, tc.code, "", tc.method)
			if got := r.header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow %q, want %q", got, tc.allow)
			}
		})
	}
}

// TestCrossOriginWrites: another site's page cannot POST (CSRF against a
// server on localhost); the server's own page and non-browsers can.
func TestCrossOriginWrites(t *testing.T) {
	_, c := start(t, sampleDB, server.Options{})
	q := clipvec.Query{LikeVideo: surfing, K: 1}
	wantError(t, c.do("POST", "/v1/search", q, "Sec-Fetch-Site", "cross-site"), 403, server.CodeCrossOrigin, "")
	wantError(t, c.do("POST", "/v1/import", "{}", "Origin", "https://evil.example"), 403, server.CodeCrossOrigin, "")
	c.ok(c.do("POST", "/v1/search", q, "Sec-Fetch-Site", "same-origin"), nil)
	c.ok(c.do("POST", "/v1/search", q), nil)
	// Reads are not writes.
	c.ok(c.do("GET", "/v1/stats", nil, "Sec-Fetch-Site", "cross-site"), nil)
}

// TestPanicIsA500: a panic in a handler (here: a server without a
// database) answers a JSON 500 and the server goes on.
func TestPanicIsA500(t *testing.T) {
	_, c := start(t, nil, server.Options{})
	r := c.do("POST", "/v1/search", clipvec.Query{LikeVideo: surfing})
	wantError(t, r, 500, server.CodeInternal, "", "internal server error")
	c.ok(c.do("GET", "/healthz", nil), nil)
}
