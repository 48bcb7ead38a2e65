package twelvelabstest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clipvec/clipvec/pkg/twelvelabs"
	"github.com/clipvec/clipvec/pkg/twelvelabs/twelvelabstest"
)

func newServer(tb testing.TB, opts ...twelvelabstest.Option) *twelvelabstest.Server {
	tb.Helper()
	srv := twelvelabstest.NewServer(opts...)
	tb.Cleanup(srv.Close)
	return srv
}

// raw sends a request with the server's key (unless key is given) and
// returns the status, headers and body.
func raw(tb testing.TB, srv *twelvelabstest.Server, method, path, contentType string, body []byte, key ...string) (int, http.Header, []byte) {
	tb.Helper()
	req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	k := srv.APIKey
	if len(key) > 0 {
		k = key[0]
	}
	req.Header.Set("x-api-key", k)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// multipartBody encodes fields (repeated as given) into a multipart body.
func multipartBody(tb testing.TB, fields [][2]string) ([]byte, string) {
	tb.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			tb.Fatal(err)
		}
	}
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// keys returns the top-level keys of a JSON object, in order.
func keys(tb testing.TB, body []byte) []string {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		tb.Fatalf("body %s is not an object", body)
	}
	var out []string
	for dec.More() {
		t, _ := dec.Token()
		out = append(out, t.(string))
		var skip json.RawMessage
		dec.Decode(&skip)
	}
	return out
}

func TestCatalogue(t *testing.T) {
	cfg := twelvelabstest.CatalogueConfig{Seed: 42, Indexes: 2, VideosPerIndex: 9, IndexingPerIndex: 2, Marengo27: true}
	a, b := twelvelabstest.NewCatalogue(cfg), twelvelabstest.NewCatalogue(cfg)
	t.Run("OK/Deterministic", func(t *testing.T) {
		if !reflect.DeepEqual(a.Indexes, b.Indexes) {
			t.Error("two catalogues of one config differ")
		}
		cfg2 := cfg
		cfg2.Seed = 43
		if c := twelvelabstest.NewCatalogue(cfg2); c.Indexes[0].ID == a.Indexes[0].ID || c.Indexes[0].Videos[0].ID == a.Indexes[0].Videos[0].ID {
			t.Error("another seed gave the same ids")
		}
	})
	t.Run("OK/Shape", func(t *testing.T) {
		if len(a.Indexes) != 3 || a.Indexes[2].ModelName != "marengo2.7" || a.Indexes[2].Dim != 1024 {
			t.Fatalf("indexes %+v", a.Indexes)
		}
		seen := map[string]bool{}
		for _, ix := range a.Indexes {
			indexing := 0
			for _, v := range ix.Videos {
				if seen[v.ID] || seen[v.AssetID] || len(v.ID) != 24 {
					t.Errorf("id %s / %s repeated or malformed", v.ID, v.AssetID)
				}
				seen[v.ID], seen[v.AssetID] = true, true
				if !v.Ready() {
					indexing++
				}
				if !strings.HasPrefix(v.Filename, v.Topic.Name+"-") || v.Duration < 18 || v.Duration > 78 {
					t.Errorf("video %s: %s, %.3f s", v.ID, v.Filename, v.Duration)
				}
				n := v.SegmentCount(ix.Options[0])
				for _, o := range ix.Options {
					if v.SegmentCount(o) != n {
						t.Errorf("video %s: %d %s segments, %d %s", v.ID, v.SegmentCount(o), o, n, ix.Options[0])
					}
				}
				clips := v.Clips(ix.Options[0])
				if clips[0].Start != 0 || clips[len(clips)-1].End != v.Duration {
					t.Errorf("video %s: clips span %v–%v of %v s", v.ID, clips[0].Start, clips[len(clips)-1].End, v.Duration)
				}
				for i, c := range clips {
					if len(c.Vector) != ix.Dim || (i > 0 && c.Start != clips[i-1].End) {
						t.Errorf("video %s clip %d: %d values, starts %v", v.ID, i, len(c.Vector), c.Start)
					}
				}
			}
			if indexing != 2 {
				t.Errorf("index %s: %d indexing videos, want 2", ix.ID, indexing)
			}
		}
	})
	t.Run("OK/TextNearestDescribedTopic", func(t *testing.T) {
		for _, ix := range a.Indexes {
			for _, topic := range twelvelabstest.Topics() {
				q := a.TextVector(ix.EmbedModelName, topic.Description)
				var best *twelvelabstest.Video
				bestScore := -2.0
				for _, v := range ix.Videos {
					for _, s := range v.Segments {
						if c := twelvelabstest.Cosine(q, s.Vector); c > bestScore {
							best, bestScore = v, c
						}
					}
				}
				hasTopic := false
				for _, v := range ix.Videos {
					hasTopic = hasTopic || v.Topic.Name == topic.Name
				}
				if hasTopic && best.Topic.Name != topic.Name {
					t.Errorf("index %s: %q is nearest a %s clip (%.3f)", ix.ModelName, topic.Description, best.Topic.Name, bestScore)
				}
				if hasTopic && bestScore < twelvelabstest.MatchThreshold {
					t.Errorf("index %s: best score %.3f for %q is under the match threshold", ix.ModelName, bestScore, topic.Description)
				}
			}
		}
	})
	t.Run("OK/SpacesIncompatible", func(t *testing.T) {
		v30, v35 := a.TextVector("marengo3.0", "dog"), a.TextVector("marengo3.5", "dog")
		if c := twelvelabstest.Cosine(v30, v35); c > 0.3 {
			t.Errorf("3.0 and 3.5 vectors of one text have cosine %.3f", c)
		}
		if a.TextVector("nope", "dog") != nil {
			t.Error("unknown model gave a vector")
		}
	})
	t.Run("OK/InputTopic", func(t *testing.T) {
		if got := a.InputTopic("https://cdn.example.com/videos/snowboard-jam.mp4"); got.Name != "snowboard" {
			t.Errorf("topic %s", got.Name)
		}
		if x, y := a.InputTopic("https://example.com/1.mp4"), a.InputTopic("https://example.com/1.mp4"); x.Name != y.Name {
			t.Error("topic of one input changed")
		}
	})
}

func TestWireFormats(t *testing.T) {
	srv := newServer(t)
	ix := srv.Catalogue.Indexes[0]
	t.Run("Unauthorized/Classic", func(t *testing.T) {
		status, _, body := raw(t, srv, "GET", "/embed/tasks", "", nil, "wrong")
		if status != 401 || !bytes.HasPrefix(body, []byte(`{"code":"api_key_invalid"`)) {
			t.Errorf("%d %s", status, body)
		}
	})
	t.Run("Unauthorized/EmbedV2", func(t *testing.T) {
		status, _, body := raw(t, srv, "POST", "/embed-v2", "application/json", []byte(`{}`), "")
		if status != 401 || !bytes.HasPrefix(body, []byte(`{"error":{"code":"api_key_invalid"`)) {
			t.Errorf("%d %s", status, body)
		}
	})
	t.Run("NotFound/Classic", func(t *testing.T) {
		status, _, body := raw(t, srv, "GET", "/embed/tasks/nope/status", "", nil)
		if status != 404 || !slices.Equal(keys(t, body), []string{"code", "message"}) || !bytes.Contains(body, []byte("resource_not_exist")) {
			t.Errorf("%d %s", status, body)
		}
	})
	t.Run("NotFound/EmbedV2", func(t *testing.T) {
		status, _, body := raw(t, srv, "GET", "/embed-v2/tasks/nope", "", nil)
		if status != 404 || !slices.Equal(keys(t, body), []string{"error"}) {
			t.Errorf("%d %s", status, body)
		}
	})
	t.Run("NotFound/Index", func(t *testing.T) {
		status, _, body := raw(t, srv, "GET", "/indexes/nope/indexed-assets", "", nil)
		if status != 404 || !bytes.Contains(body, []byte(`"Resource with id nope does not exist in indexes."`)) {
			t.Errorf("%d %s", status, body)
		}
	})
	t.Run("NotFound/UnknownPath", func(t *testing.T) {
		if status, _, _ := raw(t, srv, "GET", "/analyze", "", nil); status != 404 {
			t.Errorf("status %d", status)
		}
		if status, _, _ := raw(t, srv, "GET", "/../embed/tasks", "", nil); status == 200 {
			t.Errorf("a path outside /v1.3 answered 200")
		}
	})
	t.Run("OK/CreateV1Is200", func(t *testing.T) {
		body, ct := multipartBody(t, [][2]string{{"model_name", "marengo3.0"}, {"video_url", "https://example.com/a.mp4"},
			{"video_embedding_scope", "clip"}, {"video_embedding_scope", "video"}})
		status, _, resp := raw(t, srv, "POST", "/embed/tasks", ct, body)
		if status != 200 || !slices.Equal(keys(t, resp), []string{"_id"}) {
			t.Fatalf("%d %s", status, resp)
		}
		reqs := srv.Requests()
		if got := reqs[len(reqs)-1].Form["video_embedding_scope"]; !slices.Equal(got, []string{"clip", "video"}) {
			t.Errorf("repeated form field read as %q", got)
		}
	})
	t.Run("ErrCreateV1NotMultipart", func(t *testing.T) {
		status, _, body := raw(t, srv, "POST", "/embed/tasks", "application/json", []byte(`{"model_name":"marengo3.0"}`))
		if status != 400 || !bytes.Contains(body, []byte("multipart/form-data")) {
			t.Errorf("%d %s", status, body)
		}
	})
	t.Run("OK/CreateV2Is202WithLocation", func(t *testing.T) {
		status, h, body := raw(t, srv, "POST", "/embed-v2/tasks", "application/json",
			[]byte(`{"input_type":"video","model_name":"marengo3.0","video":{"media_source":{"url":"https://example.com/a.mp4"}}}`))
		var got struct {
			ID     string          `json:"_id"`
			Status string          `json:"status"`
			Data   json.RawMessage `json:"data"`
		}
		json.Unmarshal(body, &got)
		if status != 202 || got.Status != "processing" || string(got.Data) != "null" || h.Get("Location") != srv.URL+"/embed-v2/tasks/"+got.ID {
			t.Errorf("%d %s, Location %q", status, body, h.Get("Location"))
		}
	})
	t.Run("OK/SyncTextNulls", func(t *testing.T) {
		status, _, body := raw(t, srv, "POST", "/embed-v2", "application/json", []byte(`{"input_type":"text","model_name":"marengo3.0","text":{"input_text":"man walking a dog"}}`))
		if status != 200 || !bytes.Contains(body, []byte(`"embedding_option":null,"embedding_scope":null,"start_sec":null,"end_sec":null`)) {
			t.Errorf("%d %.300s", status, body)
		}
	})
	t.Run("OK/RepeatedQueryKeys", func(t *testing.T) {
		v := ix.Videos[0]
		status, _, body := raw(t, srv, "GET", "/indexes/"+ix.ID+"/indexed-assets/"+v.ID+"?embedding_option=visual&embedding_option=transcription", "", nil)
		var a twelvelabs.IndexedAsset
		json.Unmarshal(body, &a)
		if status != 200 || len(a.Segments()) != v.SegmentCount("visual")+v.SegmentCount("transcription") {
			t.Errorf("%d, %d segments", status, len(a.Segments()))
		}
	})
	t.Run("OK/RateLimitHeaders", func(t *testing.T) {
		_, h, _ := raw(t, srv, "GET", "/embed/tasks", "", nil)
		for _, k := range []string{"X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Used", "X-Ratelimit-Reset"} {
			if h.Get(k) == "" {
				t.Errorf("no %s header", k)
			}
		}
	})
	t.Run("OK/RangeFilterKeys", func(t *testing.T) {
		status, _, body := raw(t, srv, "GET", "/indexes/"+ix.ID+"/indexed-assets?duration[gte]=40&duration[lte]=1000&page_limit=50", "", nil)
		var out struct {
			Data []twelvelabs.IndexedAsset `json:"data"`
		}
		json.Unmarshal(body, &out)
		want := 0
		for _, v := range ix.Videos {
			if v.Duration >= 40 {
				want++
			}
		}
		if status != 200 || len(out.Data) != want || want == 0 || want == len(ix.Videos) {
			t.Errorf("%d: %d assets of at least 40 s, want %d", status, len(out.Data), want)
		}
	})
	t.Run("ErrPageLimit", func(t *testing.T) {
		status, _, body := raw(t, srv, "GET", "/embed/tasks?page_limit=51", "", nil)
		if status != 400 || !bytes.Contains(body, []byte("parameter_invalid")) {
			t.Errorf("%d %s", status, body)
		}
	})
}

func TestFaults(t *testing.T) {
	ctx := context.Background()
	noRetry := twelvelabs.WithRetryPolicy(twelvelabs.RetryPolicy{MaxRetries: 0})
	t.Run("OK/EndpointAndTimes", func(t *testing.T) {
		srv := newServer(t)
		ix := srv.Catalogue.Indexes[0]
		f := srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointListIndexedAssets, Times: 2, Status: 429})
		for i, want := range []int{429, 429, 200, 200} {
			if status, _, _ := raw(t, srv, "GET", "/indexes/"+ix.ID+"/indexed-assets", "", nil); status != want {
				t.Errorf("request %d: %d, want %d", i, status, want)
			}
		}
		if status, _, _ := raw(t, srv, "GET", "/embed/tasks", "", nil); status != 200 {
			t.Errorf("another endpoint got %d", status)
		}
		if f.Hits() != 2 {
			t.Errorf("hits %d", f.Hits())
		}
	})
	t.Run("OK/PathAndSkip", func(t *testing.T) {
		srv := newServer(t, twelvelabstest.WithIndexes(2))
		a, b := srv.Catalogue.Indexes[0], srv.Catalogue.Indexes[1]
		srv.Inject(twelvelabstest.Fault{Path: "/indexes/" + b.ID + "/indexed-assets", Skip: 1, Times: 1, Status: 500})
		var got []int
		for _, ix := range []*twelvelabstest.Index{a, b, a, b, b} {
			status, _, _ := raw(t, srv, "GET", "/indexes/"+ix.ID+"/indexed-assets", "", nil)
			got = append(got, status)
		}
		if want := []int{200, 200, 200, 500, 200}; !slices.Equal(got, want) {
			t.Errorf("statuses %v, want %v", got, want)
		}
	})
	t.Run("OK/RemoveAndClear", func(t *testing.T) {
		srv := newServer(t)
		f := srv.Inject(twelvelabstest.Fault{Status: 503})
		if status, _, _ := raw(t, srv, "GET", "/embed/tasks", "", nil); status != 503 {
			t.Errorf("status %d", status)
		}
		f.Remove()
		if status, _, _ := raw(t, srv, "GET", "/embed/tasks", "", nil); status != 200 {
			t.Errorf("status %d after Remove", status)
		}
		srv.Inject(twelvelabstest.Fault{Status: 503})
		srv.ClearFaults()
		if status, _, _ := raw(t, srv, "GET", "/embed/tasks", "", nil); status != 200 {
			t.Errorf("status %d after ClearFaults", status)
		}
	})
	t.Run("OK/Bodies", func(t *testing.T) {
		srv := newServer(t)
		srv.Inject(twelvelabstest.Fault{Status: 429, RetryAfter: "9"})
		body, ct := multipartBody(t, [][2]string{{"index_id", "x"}})
		status, h, resp := raw(t, srv, "POST", "/search", ct, body)
		if status != 429 || len(resp) != 0 || h.Get("Retry-After") != "9" {
			t.Errorf("search: %d %q Retry-After %q; want an empty 429", status, resp, h.Get("Retry-After"))
		}
		_, _, resp = raw(t, srv, "POST", "/embed-v2", "application/json", []byte(`{}`))
		if !bytes.Contains(resp, []byte(`"code":"RATE_LIMIT_EXCEEDED"`)) || !bytes.Contains(resp, []byte(`"retryAfter":"9"`)) {
			t.Errorf("embed-v2 429 body %s", resp)
		}
		_, _, resp = raw(t, srv, "GET", "/embed/tasks", "", nil)
		if !bytes.HasPrefix(resp, []byte(`{"code":"too_many_requests"`)) {
			t.Errorf("classic 429 body %s", resp)
		}
		srv.ClearFaults()
		srv.Inject(twelvelabstest.Fault{Status: 500, EmptyBody: true, Endpoint: twelvelabstest.EndpointListEmbedTasks})
		if status, _, resp := raw(t, srv, "GET", "/embed/tasks", "", nil); status != 500 || len(resp) != 0 {
			t.Errorf("%d %q, want an empty 500", status, resp)
		}
	})
	t.Run("OK/SlowResponse", func(t *testing.T) {
		srv := newServer(t)
		srv.Inject(twelvelabstest.Fault{Delay: time.Millisecond, Times: 1})
		if status, _, _ := raw(t, srv, "GET", "/embed/tasks", "", nil); status != 200 {
			t.Errorf("a late answer is still the real one: got %d", status)
		}
	})
	t.Run("ErrTruncated", func(t *testing.T) {
		srv := newServer(t)
		srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointListEmbedTasks, Truncate: true})
		it := srv.Client(noRetry).ListEmbedTasks(ctx, twelvelabs.ListTasksParams{})
		if it.Next() || !errors.Is(it.Err(), io.ErrUnexpectedEOF) {
			t.Errorf("err = %v", it.Err())
		}
	})
	t.Run("ErrDisconnect", func(t *testing.T) {
		srv := newServer(t)
		srv.Inject(twelvelabstest.Fault{Disconnect: true})
		_, err := srv.Client(noRetry).EmbedTaskStatus(ctx, "x")
		var e *twelvelabs.APIError
		if err == nil || errors.As(err, &e) {
			t.Errorf("err = %v, want a transport error", err)
		}
		if reqs := srv.Requests(); len(reqs) != 1 || !reqs[0].Fault || reqs[0].Status != 0 {
			t.Errorf("recorded %+v", reqs)
		}
	})
}

func TestCounts(t *testing.T) {
	srv := newServer(t)
	c := srv.Client(twelvelabs.WithUserAgent("clipvec-twelvelabs/test"))
	ctx := context.Background()
	ix := srv.Catalogue.Indexes[0]
	c.RetrieveIndexedAsset(ctx, ix.ID, ix.Videos[0].ID, twelvelabs.RetrieveOptions{})
	c.RetrieveIndexedAsset(ctx, ix.ID, ix.Videos[1].ID, twelvelabs.RetrieveOptions{})
	c.EmbedTaskStatus(ctx, "x")
	want := map[string]int{twelvelabstest.EndpointRetrieveIndexedAsset: 2, twelvelabstest.EndpointEmbedTaskStatus: 1}
	if got := srv.Counts(); !reflect.DeepEqual(got, want) {
		t.Errorf("counts %v, want %v", got, want)
	}
	reqs := srv.Requests()
	if len(reqs) != 3 || reqs[0].Path != "/indexes/"+ix.ID+"/indexed-assets/"+ix.Videos[0].ID || reqs[2].Status != 404 || !reqs[0].Authorized ||
		reqs[0].UserAgent != "clipvec-twelvelabs/test" {
		t.Errorf("requests %+v", reqs)
	}
	srv.ResetRequests()
	if len(srv.Requests()) != 0 || srv.Count(twelvelabstest.EndpointEmbedTaskStatus) != 0 {
		t.Error("ResetRequests kept something")
	}
}

func TestTasks(t *testing.T) {
	ctx := context.Background()
	t.Run("OK/PollTransitions", func(t *testing.T) {
		srv := newServer(t, twelvelabstest.WithTaskReadyAfterPolls(3))
		c := srv.Client()
		id, err := c.CreateEmbedTask(ctx, twelvelabs.EmbedTaskRequest{ModelName: "marengo3.0", VideoURL: "https://example.com/x.mp4"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for range 4 {
			st, err := c.EmbedTaskStatus(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, st.Status)
		}
		if want := []string{"processing", "processing", "ready", "ready"}; !slices.Equal(got, want) {
			t.Errorf("statuses %v, want %v", got, want)
		}
		if info, _ := srv.Task(id); info.Polls != 4 || info.Version != 1 || info.Input != "https://example.com/x.mp4" {
			t.Errorf("task info %+v", info)
		}
	})
	t.Run("OK/FailingInputs", func(t *testing.T) {
		srv := newServer(t, twelvelabstest.WithFailingInputs("corrupt"), twelvelabstest.WithTaskReadyAfterPolls(1))
		c := srv.Client()
		for url, want := range map[string]string{"https://example.com/CORRUPT.mp4": "failed", "https://example.com/fail.mp4": "ready"} {
			id, err := c.CreateEmbedTask(ctx, twelvelabs.EmbedTaskRequest{ModelName: "marengo3.0", VideoURL: url})
			if err != nil {
				t.Fatal(err)
			}
			if st, err := c.EmbedTaskStatus(ctx, id); err != nil || st.Status != want {
				t.Errorf("%s: %v, %v; want %s", url, st, err, want)
			}
		}
	})
	t.Run("OK/ClockTransitions", func(t *testing.T) {
		clock := twelvelabstest.NewManualClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
		srv := newServer(t, twelvelabstest.WithClock(clock), twelvelabstest.WithTaskReadyAfter(time.Minute))
		c := srv.Client()
		task, err := c.CreateEmbedV2Task(ctx, twelvelabs.EmbedV2Request{InputType: "video", ModelName: "marengo3.0",
			Video: &twelvelabs.MediaInput{MediaSource: twelvelabs.MediaSource{URL: "https://example.com/x.mp4"}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range []struct {
			advance time.Duration
			want    string
		}{{0, "processing"}, {59 * time.Second, "processing"}, {time.Second, "ready"}} {
			clock.Advance(step.advance)
			got, err := c.GetEmbedV2Task(ctx, task.ID)
			if err != nil || got.Status != step.want {
				t.Errorf("after %v more: %v, %v; want %s", step.advance, got, err, step.want)
			}
		}
		if got, _ := c.GetEmbedV2Task(ctx, task.ID); !got.CreatedAt.Equal(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("created_at %v, want the clock's time", got.CreatedAt)
		}
	})
	t.Run("OK/V2Marengo35", func(t *testing.T) {
		srv := newServer(t, twelvelabstest.WithTaskReadyAfterPolls(0))
		c := srv.Client()
		task, err := c.CreateEmbedV2Task(ctx, twelvelabs.EmbedV2Request{InputType: "video", ModelName: "marengo3.5", EmbeddingDimension: 128,
			Video: &twelvelabs.MediaInput{MediaSource: twelvelabs.MediaSource{URL: "https://example.com/x.mp4"},
				Segmentation:   &twelvelabs.Segmentation{Temporal: &twelvelabs.Segmentation{Strategy: "dynamic", Dynamic: &twelvelabs.DynamicSegmentation{MinDurationSec: 3}}},
				EmbeddingScope: []string{"local"}}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.GetEmbedV2Task(ctx, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Data) == 0 || len(got.Data[0].Embedding) != 128 || got.Data[0].EmbeddingScope != "clip" || got.Metadata.EmbeddingDimension != 128 {
			t.Errorf("3.5 task %+v", got.Data[0])
		}
		_, err = c.CreateEmbedV2Task(ctx, twelvelabs.EmbedV2Request{InputType: "video", ModelName: "marengo3.5",
			Video: &twelvelabs.MediaInput{MediaSource: twelvelabs.MediaSource{URL: "https://example.com/x.mp4"},
				Segmentation: &twelvelabs.Segmentation{Strategy: "fixed", Fixed: &twelvelabs.FixedSegmentation{DurationSec: 6}}}})
		if !errors.Is(err, twelvelabs.ErrBadRequest) {
			t.Errorf("3.0 segmentation sent to 3.5: err = %v, want 400", err)
		}
	})
	t.Run("OK/ListWindow", func(t *testing.T) {
		srv := newServer(t)
		c := srv.Client()
		clock := srv.Clock().(*twelvelabstest.ManualClock)
		for i := range 3 {
			if _, err := c.CreateEmbedTask(ctx, twelvelabs.EmbedTaskRequest{ModelName: "marengo3.0", VideoURL: "https://example.com/" + string(rune('a'+i))}); err != nil {
				t.Fatal(err)
			}
			clock.Advance(3 * 24 * time.Hour)
		}
		// Now 9 days after the first: only the last two are in the
		// default 7-day window.
		it := c.ListEmbedTasks(ctx, twelvelabs.ListTasksParams{})
		n := 0
		for it.Next() {
			n++
		}
		if it.Err() != nil || n != 2 {
			t.Errorf("%d tasks in the window (%v), want 2", n, it.Err())
		}
		it = c.ListEmbedTasks(ctx, twelvelabs.ListTasksParams{StartedAt: twelvelabstest.DefaultEpoch, EndedAt: twelvelabstest.DefaultEpoch.Add(24 * time.Hour)})
		n = 0
		for it.Next() {
			n++
		}
		if n != 1 {
			t.Errorf("%d tasks created on the first day, want 1", n)
		}
	})
}

func TestSearchServer(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t, twelvelabstest.WithVideos(20))
	c := srv.Client()
	ix := srv.Catalogue.Indexes[0]
	search := func(t *testing.T, req twelvelabs.SearchRequest) *twelvelabs.SearchResults {
		t.Helper()
		req.IndexID = ix.ID
		res, err := c.Search(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	t.Run("OK/OperatorAnd", func(t *testing.T) {
		or := search(t, twelvelabs.SearchRequest{SearchOptions: []string{"visual", "audio"}, QueryText: "astronaut floating space station", PageLimit: 50})
		and := search(t, twelvelabs.SearchRequest{SearchOptions: []string{"visual", "audio"}, Operator: "and", QueryText: "astronaut floating space station", PageLimit: 50})
		if len(and.Data) == 0 || len(and.Data) > len(or.Data) {
			t.Errorf("and: %d results, or: %d", len(and.Data), len(or.Data))
		}
	})
	t.Run("OK/Filters", func(t *testing.T) {
		long := search(t, twelvelabs.SearchRequest{SearchOptions: []string{"visual"}, QueryText: "chef chopping vegetables",
			Filter: map[string]any{"duration": map[string]float64{"gte": 40}}, PageLimit: 50})
		for _, d := range long.Data {
			if srv.Catalogue.Video(d.VideoID).Duration < 40 {
				t.Errorf("video %s shorter than the filter", d.VideoID)
			}
		}
		meta := search(t, twelvelabs.SearchRequest{SearchOptions: []string{"visual"}, QueryText: "chef chopping vegetables",
			Filter: map[string]any{"batchNumber": 2}, PageLimit: 50})
		for _, d := range meta.Data {
			if srv.Catalogue.Video(d.VideoID).UserMetadata["batchNumber"] != 2 {
				t.Errorf("video %s outside the user-metadata filter", d.VideoID)
			}
		}
	})
	t.Run("OK/Transcription", func(t *testing.T) {
		res := search(t, twelvelabs.SearchRequest{SearchOptions: []string{"transcription"}, TranscriptionOptions: []string{"semantic"}, QueryText: "children playing soccer"})
		if len(res.Data) == 0 || !strings.Contains(res.Data[0].Transcription, "soccer") {
			t.Errorf("results %+v: want the matching line of speech", res.Data)
		}
	})
	t.Run("OK/ImageQuery", func(t *testing.T) {
		res := search(t, twelvelabs.SearchRequest{SearchOptions: []string{"visual"}, QueryMediaType: "image", QueryMediaURLs: []string{"https://example.com/birds-lake.jpg"}})
		if len(res.Data) == 0 || srv.Catalogue.Video(res.Data[0].VideoID).Topic.Name != "birds-lake" {
			t.Errorf("image query results %+v", res.Data)
		}
	})
	t.Run("OK/PrevToken", func(t *testing.T) {
		res := search(t, twelvelabs.SearchRequest{SearchOptions: []string{"visual"}, QueryText: "dog frisbee", PageLimit: 2})
		p2, err := c.SearchPage(ctx, res.PageInfo.NextPageToken, false)
		if err != nil {
			t.Fatal(err)
		}
		back, err := c.SearchPage(ctx, p2.PageInfo.PrevPageToken, false)
		if err != nil || back.Data[0].VideoID != res.Data[0].VideoID || back.Data[0].Start != res.Data[0].Start {
			t.Errorf("prev page %v, %v", back, err)
		}
	})
	t.Run("ErrCombination", func(t *testing.T) {
		_, err := c.Search(ctx, twelvelabs.SearchRequest{IndexID: ix.ID, SearchOptions: []string{"visual"}, TranscriptionOptions: []string{"lexical"}, QueryText: "x"})
		var e *twelvelabs.APIError
		if !errors.As(err, &e) || e.Code != "search_option_combination_not_supported" {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("ErrNoQuery", func(t *testing.T) {
		_, err := c.Search(ctx, twelvelabs.SearchRequest{IndexID: ix.ID, SearchOptions: []string{"visual"}})
		var e *twelvelabs.APIError
		if !errors.As(err, &e) || e.Code != "parameter_not_provided" {
			t.Errorf("err = %v", err)
		}
	})
}

func TestManualClock(t *testing.T) {
	c := twelvelabstest.NewManualClock(twelvelabstest.DefaultEpoch)
	if err := c.Sleep(context.Background(), time.Minute); err != nil || !c.Now().Equal(twelvelabstest.DefaultEpoch.Add(time.Minute)) {
		t.Errorf("after Sleep: %v, %v", c.Now(), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) || !c.Now().Equal(twelvelabstest.DefaultEpoch.Add(time.Minute)) {
		t.Errorf("Sleep on a done context: %v, clock %v", err, c.Now())
	}
}
