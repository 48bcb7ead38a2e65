package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/server"
)

// fuzzRoutes are the routes whose bodies FuzzDecodeRequest feeds.
var fuzzRoutes = []string{"/v1/search", "/v1/search/batch", "/v1/recommend"}

// FuzzDecodeRequest sends arbitrary bodies to the search, batch and
// recommend routes: whatever comes, the server answers (no panic: a
// recovered one would be a 500) with a 2xx or 4xx and a JSON body.
func FuzzDecodeRequest(f *testing.F) {
	vec := sampleVector(f, "surfing")
	vecJSON, _ := json.Marshal(vec)
	for _, seed := range []struct {
		route int
		body  string
	}{
		{0, `{"like_video":"` + surfing + `","k":3}`},
		{0, `{"like":{"video_id":"` + surfing + `","at":24,"modality":"visual"},"exclude_query_video":true}`},
		{0, `{"vector":` + string(vecJSON) + `,"exact":true,"filter":{"modalities":["audio"],"time_range":{"from":0,"to":30}}}`},
		{0, `{"like_video":"` + cooking + `","group_by":"video","aggregate":"mean","filter":{"scopes":["asset"],"exclude_videos":["x"]}}`},
		{0, `{"text":"a surfer","model":"marengo3.0/512"}`},
		{0, `{"image":"https://example.com/a.jpg"}`},
		{0, `{"image":"HTTP://x/../../../dev/stdin"}`},
		{0, `{"vector":[1e38,1e38,1e38]}`},
		{0, `{"vector":[0,0,0]}`},
		{0, `{"like_video":"x","k":-1,"ef":99999}`},
		{0, `{"k":"x"}`},
		{0, `[`},
		{0, `{"like":{"video_id":"` + surfing + `","at":1e308}}`},
		{0, `{"like_video":"` + surfing + `","filter":{"time_range":{"from":-1e308,"to":1e308}},"k":50}`},
		{1, `{"queries":[{"like_video":"` + surfing + `"},{"vector":[1,2]},null,{"exact":true,"like_video":"` + cooking + `"}]}`},
		{1, `{"queries":[]}`},
		{1, `{"queries":[{"k":"x"},{"colour":1},7,"s",[]]}`},
		{2, `{"positive":["` + surfing + `"],"negative":["` + cooking + `"],"mmr_lambda":0.5,"max_per_video":1,"min_score":0.1}`},
		{2, `{"positive":["` + surfing + `"],"group_by":"video","k":5,"exact":true}`},
		{2, `{"positive":[],"mmr_lambda":-0}`},
		{2, `{"positive":["` + surfing + `","` + surfing + `"],"negative":["` + surfing + `"]}`},
	} {
		f.Add(uint8(seed.route), []byte(seed.body))
	}
	srv := server.New(sampleDB, server.Options{MaxK: 50, MaxEf: 500, MaxBatch: 8})
	h := srv.Handler()
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		path := fuzzRoutes[int(route)%len(fuzzRoutes)]
		req := httptest.NewRequest("POST", path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if s := rec.Code; s < 200 || s >= 300 && s < 400 || s >= 500 {
			t.Fatalf("POST %s %q: status %d: %s", path, body, s, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("POST %s %q: the answer is not JSON: %q", path, body, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("POST %s: Content-Type %q", path, ct)
		}
		if rec.Code >= 400 && !strings.HasPrefix(rec.Body.String(), `{"error":{"code":"`) {
			t.Fatalf("POST %s %q: %d without an error body: %s", path, body, rec.Code, rec.Body)
		}
		if rec.Code == http.StatusOK && path == "/v1/search/batch" {
			var out struct {
				Results []json.RawMessage `json:"results"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || len(out.Results) == 0 {
				t.Fatalf("batch answer %s: %v", rec.Body, err)
			}
		}
	})
}
