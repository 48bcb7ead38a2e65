package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/server"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

// importResult is POST /v1/import's answer.
type importResult struct {
	File      string   `json:"file"`
	Imported  int      `json:"imported"`
	Replaced  int      `json:"replaced"`
	Unchanged int      `json:"unchanged"`
	Skipped   int      `json:"skipped"`
	Invalid   []string `json:"invalid"`
	Spaces    []struct {
		Model string `json:"model"`
		Dim   int    `json:"dim"`
	} `json:"spaces"`
	Warning string `json:"warning"`
}

// TestEveryEndpoint calls each route on a fresh database filled through
// the API, without a token and with one: with a token, each route but
// /healthz and the page refuses a request without it or with another.
func TestEveryEndpoint(t *testing.T) {
	for _, tc := range []struct{ name, token string }{{"NoToken", ""}, {"Token", "s3cret-Token_42"}} {
		t.Run(tc.name, func(t *testing.T) {
			db := emptyDB(t)
			_, c := start(t, db, server.Options{Token: tc.token})
			anon, wrong := c, c
			anon.token, wrong.token = "", "not-the-token"

			files := []string{"01-surfing-01.embed-task.json.gz", "02-cooking-01.embed-v2-task.json", "04-city-timelapse-01.embed-task.json"}
			if tc.token != "" {
				r := anon.do("POST", "/v1/import", readFile(t, filepath.Join(sampleExports, files[0])))
				wantError(t, r, http.StatusUnauthorized, server.CodeUnauthorized, "")
				if vs, _ := db.Videos(context.Background()); len(vs) != 0 {
					t.Fatalf("an unauthorised import stored %d videos", len(vs))
				}
			}
			for _, f := range files {
				var ir importResult
				c.ok(c.do("POST", "/v1/import?name="+f, readFile(t, filepath.Join(sampleExports, f))), &ir)
				if ir.File != f || ir.Imported == 0 || len(ir.Spaces) != 1 || ir.Spaces[0].Model != "marengo3.0" || ir.Spaces[0].Dim != 512 || ir.Warning != "" {
					t.Fatalf("import %s: %+v", f, ir)
				}
			}

			type check func(t *testing.T, r response)
			jsonOK := func(v any, f func() string) check {
				return func(t *testing.T, r response) {
					t.Helper()
					c.ok(r, v)
					if msg := f(); msg != "" {
						t.Errorf("%s: %s", msg, r.body)
					}
				}
			}
			var health map[string]string
			var stats struct {
				Stats      clipvec.Stats         `json:"stats"`
				Index      []clipvec.IndexStatus `json:"index"`
				TextSearch bool                  `json:"text_search"`
				Version    string                `json:"version"`
			}
			var page struct {
				Videos []clipvec.Video `json:"videos"`
				Total  int             `json:"total"`
			}
			var video clipvec.Video
			var segs struct {
				VideoID  string            `json:"video_id"`
				Segments []clipvec.Segment `json:"segments"`
			}
			var search, rec result
			var batch struct {
				Results []struct {
					Result *result `json:"result"`
					Error  *apiErr `json:"error"`
				} `json:"results"`
			}
			var doc struct {
				OpenAPI string `json:"openapi"`
			}
			for _, rq := range []struct {
				method, path string
				body         any
				public       bool
				check        check
			}{
				{"GET", "/healthz", nil, true, jsonOK(&health, func() string {
					return map[bool]string{false: "health"}[health["status"] == "ok"]
				})},
				{"GET", "/", nil, true, func(t *testing.T, r response) {
					if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
						t.Errorf("page: %d %s", r.status, r.header.Get("Content-Type"))
					}
				}},
				{"GET", "/openapi.json", nil, false, jsonOK(&doc, func() string {
					return map[bool]string{false: "openapi"}[doc.OpenAPI == "3.1.0"]
				})},
				{"GET", "/metrics", nil, false, func(t *testing.T, r response) {
					if r.status != http.StatusOK || !strings.Contains(string(r.body), "\nclipvec_videos 3\n") {
						t.Errorf("metrics: %d\n%s", r.status, r.body)
					}
				}},
				{"GET", "/v1/stats", nil, false, jsonOK(&stats, func() string {
					if stats.Stats.Videos != 3 || len(stats.Index) != 1 || stats.Index[0].Nodes != stats.Stats.Segments || stats.TextSearch || stats.Version != "dev" {
						return "stats"
					}
					return ""
				})},
				{"GET", "/v1/videos", nil, false, jsonOK(&page, func() string {
					return map[bool]string{false: "videos"}[page.Total == 3 && len(page.Videos) == 3]
				})},
				{"GET", "/v1/videos/" + surfing, nil, false, jsonOK(&video, func() string {
					return map[bool]string{false: "video"}[video.ID == surfing && video.Segments > 0]
				})},
				{"GET", "/v1/videos/" + surfing + "/segments?vectors=true", nil, false, jsonOK(&segs, func() string {
					if segs.VideoID != surfing || len(segs.Segments) != video.Segments || len(segs.Segments[0].Vector) != 512 {
						return "segments"
					}
					return ""
				})},
				{"POST", "/v1/search", clipvec.Query{LikeVideo: surfing, K: 2, GroupBy: clipvec.GroupByVideo}, false, jsonOK(&search, func() string {
					return map[bool]string{false: "search"}[search.Query.Kind == clipvec.QueryVideo && len(search.Hits) == 2]
				})},
				{"POST", "/v1/search/batch", map[string]any{"queries": []clipvec.Query{{LikeVideo: surfing, K: 1}, {LikeVideo: "nope"}}}, false, jsonOK(&batch, func() string {
					if len(batch.Results) != 2 || batch.Results[0].Result == nil || batch.Results[1].Error == nil || batch.Results[1].Error.Code != server.CodeNotFound {
						return "batch"
					}
					return ""
				})},
				{"POST", "/v1/recommend", clipvec.RecommendQuery{Positive: []string{surfing}, Negative: []string{cooking}, K: 3}, false, jsonOK(&rec, func() string {
					return map[bool]string{false: "recommend"}[rec.Query.Kind == clipvec.QueryRecommend && len(rec.Hits) == 3]
				})},
			} {
				t.Run(strings.ReplaceAll(rq.method+rq.path, "/", "_"), func(t *testing.T) {
					rq.check(t, c.do(rq.method, rq.path, rq.body))
					if tc.token == "" || rq.public {
						rq.check(t, anon.do(rq.method, rq.path, rq.body))
						return
					}
					for _, bad := range []client{anon, wrong} {
						r := bad.do(rq.method, rq.path, rq.body)
						wantError(t, r, http.StatusUnauthorized, server.CodeUnauthorized, "", "Bearer")
						if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
							t.Errorf("WWW-Authenticate %q", got)
						}
						if strings.Contains(string(r.body), tc.token) {
							t.Errorf("the answer echoes the token: %s", r.body)
						}
					}
					// The scheme is case-insensitive; the token is not.
					r := anon.do(rq.method, rq.path, rq.body, "Authorization", "bearer "+tc.token)
					if r.status == http.StatusUnauthorized {
						t.Errorf("lower-case scheme refused: %s", r)
					}
					r = anon.do(rq.method, rq.path, rq.body, "Authorization", "Bearer "+strings.ToUpper(tc.token))
					if r.status != http.StatusUnauthorized {
						t.Errorf("a token in other case was accepted: %s", r)
					}
				})
			}
		})
	}
}

// TestSearchMatchesLibrary: each query form answers exactly what
// db.Search answers, which is what clipvec search --json prints.
func TestSearchMatchesLibrary(t *testing.T) {
	_, c := start(t, sampleDB, server.Options{})
	for name, q := range map[string]clipvec.Query{
		"Vector":      {Vector: sampleVector(t, "surfing"), K: 5, GroupBy: clipvec.GroupByVideo},
		"VectorExact": {Vector: sampleVector(t, "cooking"), K: 7, Exact: true, Filter: clipvec.Filter{Modalities: []string{"visual"}}},
		"Like": {Like: &clipvec.SegmentRef{VideoID: surfing, At: 24, Modality: "visual"}, K: 5, ExcludeQueryVideo: true,
			Filter: clipvec.Filter{Scopes: []string{clipvec.ScopeClip}}},
		"LikeIncludeSelf": {Like: &clipvec.SegmentRef{VideoID: surfing, At: 24, Modality: "visual"}, K: 3, IncludeSelf: true},
		"LikeVideoMean":   {LikeVideo: cooking, GroupBy: clipvec.GroupByVideo, Aggregate: clipvec.AggMean, K: 4, Model: "marengo3.0"},
		"TimeRange": {LikeVideo: cooking, Modality: "audio", K: 20, Ef: 200,
			Filter: clipvec.Filter{TimeRange: &clipvec.TimeRange{From: 10, To: 30}, ExcludeVideos: []string{surfing}}},
		"Scopes": {LikeVideo: surfing, K: 3, Filter: clipvec.Filter{Scopes: []string{clipvec.ScopeAsset}}},
	} {
		t.Run(name, func(t *testing.T) {
			r := c.do("POST", "/v1/search", q)
			var got any
			c.ok(r, &got)
			res, err := sampleDB.Search(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := json.Marshal(res)
			var want any
			json.Unmarshal(data, &want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("the API answers\n%s\nthe library\n%s", r.body, data)
			}
			if len(res.Hits) == 0 {
				t.Error("no hits")
			}
		})
	}
}

func TestSearchBatch(t *testing.T) {
	_, c := start(t, sampleDB, server.Options{})
	qs := []any{
		clipvec.Query{Vector: sampleVector(t, "surfing"), K: 3, Exact: true},
		map[string]any{"like_video": cooking, "k": "three"},
		clipvec.Query{LikeVideo: "no-such-video"},
		clipvec.Query{Vector: sampleVector(t, "wildlife"), K: 3, Exact: true},
		map[string]any{"like_video": cooking, "colour": "blue"},
		clipvec.Query{LikeVideo: surfing, K: 5000},
		clipvec.Query{Like: &clipvec.SegmentRef{VideoID: surfing, At: 12}, Text: "surf"},
		nil,
		clipvec.Query{LikeVideo: cooking, GroupBy: clipvec.GroupByVideo},
	}
	var out struct {
		Results []struct {
			Result json.RawMessage `json:"result"`
			Error  *apiErr         `json:"error"`
		} `json:"results"`
	}
	c.ok(c.do("POST", "/v1/search/batch", map[string]any{"queries": qs}), &out)
	if len(out.Results) != len(qs) {
		t.Fatalf("%d results for %d queries", len(out.Results), len(qs))
	}
	wantErrs := map[int]apiErr{
		1: {Code: server.CodeBadRequest, Field: "k"},
		2: {Code: server.CodeNotFound},
		4: {Code: server.CodeBadRequest, Field: "colour"},
		5: {Code: server.CodeBadRequest, Field: "k"},
		6: {Code: server.CodeBadRequest, Field: "text"},
		7: {Code: server.CodeBadRequest},
	}
	for i, item := range out.Results {
		want, bad := wantErrs[i]
		switch {
		case bad && item.Error == nil:
			t.Errorf("query %d: no error, want %+v", i, want)
		case bad && (item.Error.Code != want.Code || item.Error.Field != want.Field):
			t.Errorf("query %d: error %+v, want code %s field %q", i, *item.Error, want.Code, want.Field)
		case bad && item.Result != nil:
			t.Errorf("query %d: both an error and a result", i)
		case !bad && item.Error != nil:
			t.Errorf("query %d: %+v", i, *item.Error)
		case !bad:
			// The same answer as the query alone.
			alone := c.do("POST", "/v1/search", qs[i])
			var a, b any
			json.Unmarshal(alone.body, &a)
			json.Unmarshal(item.Result, &b)
			if !reflect.DeepEqual(a, b) {
				t.Errorf("query %d: batch answer\n%s\nalone\n%s", i, item.Result, alone.body)
			}
		}
	}
}

func TestRecommend(t *testing.T) {
	_, c := start(t, sampleDB, server.Options{})
	min := float32(0.2)
	q := clipvec.RecommendQuery{Positive: []string{surfing}, Negative: []string{cooking}, K: 6, MaxPerVideo: 2,
		Lambda: 0.7, MinScore: &min, Filter: clipvec.Filter{Scopes: []string{clipvec.ScopeClip}}}
	var got result
	c.ok(c.do("POST", "/v1/recommend", q), &got)
	res, err := sampleDB.Recommend(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if got.Query.Kind != clipvec.QueryRecommend || len(got.Hits) != len(res.Hits) || len(got.Hits) == 0 {
		t.Fatalf("recommend: %+v, library %d hits", got, len(res.Hits))
	}
	perVideo := map[string]int{}
	for i, h := range got.Hits {
		perVideo[h.VideoID]++
		if h.VideoID != res.Hits[i].VideoID || h.Score != res.Hits[i].Score || h.VideoID == surfing || h.VideoID == cooking || h.Score < min {
			t.Errorf("hit %d: %+v, library %+v", i, h, res.Hits[i])
		}
	}
	for v, n := range perVideo {
		if n > 2 {
			t.Errorf("video %s has %d hits, over max_per_video 2", v, n)
		}
	}

	for name, tc := range map[string]struct {
		body        any
		status      int
		code, field string
		msg         string
	}{
		"NoPositive":   {map[string]any{"negative": []string{cooking}}, 400, server.CodeBadRequest, "positive", "positive"},
		"Lambda":       {map[string]any{"positive": []string{surfing}, "mmr_lambda": 1.5}, 400, server.CodeBadRequest, "mmr_lambda", "1.5"},
		"MinScore":     {map[string]any{"positive": []string{surfing}, "min_score": 2}, 400, server.CodeBadRequest, "min_score", "2"},
		"MaxPerVideo":  {map[string]any{"positive": []string{surfing}, "max_per_video": -1}, 400, server.CodeBadRequest, "max_per_video", "-1"},
		"K":            {map[string]any{"positive": []string{surfing}, "k": 1001}, 400, server.CodeBadRequest, "k", "1000"},
		"Unknown":      {map[string]any{"positive": []string{surfing}, "lambda": 0.5}, 400, server.CodeBadRequest, "lambda", "unknown field"},
		"Type":         {map[string]any{"positive": surfing}, 400, server.CodeBadRequest, "positive", "array"},
		"BothSides":    {map[string]any{"positive": []string{surfing}, "negative": []string{surfing}}, 400, server.CodeBadRequest, "", "both"},
		"UnknownVideo": {map[string]any{"positive": []string{"no-such-video"}}, 404, server.CodeNotFound, "", "no-such-video"},
	} {
		t.Run(name, func(t *testing.T) {
			wantError(t, c.do("POST", "/v1/recommend", tc.body), tc.status, tc.code, tc.field, tc.msg)
		})
	}
}

func TestVideos(t *testing.T) {
	_, c := start(t, sampleDB, server.Options{})
	all, err := sampleDB.Videos(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	type page struct {
		Videos     []clipvec.Video `json:"videos"`
		Total      int             `json:"total"`
		Offset     int             `json:"offset"`
		Limit      int             `json:"limit"`
		NextOffset *int            `json:"next_offset"`
	}
	var p page
	c.ok(c.do("GET", "/v1/videos", nil), &p)
	if p.Total != len(all) || len(p.Videos) != len(all) || p.Limit != server.DefaultPageSize || p.NextOffset != nil {
		t.Fatalf("first page: total %d, %d videos, limit %d, next %v", p.Total, len(p.Videos), p.Limit, p.NextOffset)
	}
	// Paging by 10 lists every video once, in order.
	var got []clipvec.Video
	path := "/v1/videos?limit=10"
	for pages := 0; ; pages++ {
		var p page
		c.ok(c.do("GET", path, nil), &p)
		got = append(got, p.Videos...)
		if p.NextOffset == nil {
			break
		}
		if pages > len(all) {
			t.Fatal("paging does not end")
		}
		path = "/v1/videos?limit=10&offset=" + itoa(*p.NextOffset)
	}
	if !reflect.DeepEqual(got, all) {
		t.Errorf("pages hold %d videos, want the %d of db.Videos in order", len(got), len(all))
	}
	c.ok(c.do("GET", "/v1/videos?offset=1000", nil), &p)
	if len(p.Videos) != 0 || p.Videos == nil || p.Total != len(all) {
		t.Errorf("past the end: %+v", p)
	}
	for _, tc := range []struct{ query, field string }{
		{"limit=0", "limit"}, {"limit=1001", "limit"}, {"limit=ten", "limit"}, {"offset=-1", "offset"},
		{"sort=id", "sort"}, {"limit=1&limit=2", "limit"},
	} {
		wantError(t, c.do("GET", "/v1/videos?"+tc.query, nil), 400, server.CodeBadRequest, tc.field)
	}

	var v clipvec.Video
	c.ok(c.do("GET", "/v1/videos/"+cooking, nil), &v)
	if want := all[1]; !reflect.DeepEqual(v, want) || v.ID != cooking {
		t.Errorf("video %+v, want %+v", v, want)
	}
	var segs struct {
		VideoID  string            `json:"video_id"`
		Segments []clipvec.Segment `json:"segments"`
	}
	c.ok(c.do("GET", "/v1/videos/"+cooking+"/segments", nil), &segs)
	if len(segs.Segments) != v.Segments || segs.Segments[0].Vector != nil || segs.Segments[0].VideoID != cooking {
		t.Errorf("segments: %d (want %d), first %+v", len(segs.Segments), v.Segments, segs.Segments[0])
	}
	wantError(t, c.do("GET", "/v1/videos/"+cooking+"/segments?vectors=yes", nil), 400, server.CodeBadRequest, "vectors", "true or false")
	wantError(t, c.do("GET", "/v1/videos/no-such-video", nil), 404, server.CodeNotFound, "", "no-such-video")
	wantError(t, c.do("GET", "/v1/videos/no-such-video/segments", nil), 404, server.CodeNotFound, "", "no-such-video")
	// An id holding a slash travels escaped.
	wantError(t, c.do("GET", "/v1/videos/dir%2Fclip.mp4", nil), 404, server.CodeNotFound, "", "dir/clip.mp4")
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
