package twelvelabs_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clipvec/clipvec/pkg/twelvelabs"
	"github.com/clipvec/clipvec/pkg/twelvelabs/twelvelabstest"
)

// listFirst lists the first index's assets and returns how many it got.
func listFirst(ctx context.Context, c *twelvelabs.Client, srv *twelvelabstest.Server) (int, error) {
	it := c.ListIndexedAssets(ctx, srv.Catalogue.Indexes[0].ID, twelvelabs.ListAssetsParams{PageLimit: 50})
	n := 0
	for it.Next() {
		n++
	}
	return n, it.Err()
}

func TestRetryAfter(t *testing.T) {
	ctx := context.Background()
	t.Run("OK/Seconds", func(t *testing.T) {
		srv := newServer(t)
		sl := newSleeper(srv)
		c := srv.Client(twelvelabs.WithSleep(sl.Sleep))
		f := srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointListIndexedAssets, Times: 2, Status: 429, RetryAfter: "7"})
		n, err := listFirst(ctx, c, srv)
		if err != nil {
			t.Fatal(err)
		}
		if n != 12 || f.Hits() != 2 {
			t.Errorf("listed %d, fault hit %d times", n, f.Hits())
		}
		if got, want := sl.Waits(), []time.Duration{7 * time.Second, 7 * time.Second}; !slices.Equal(got, want) {
			t.Errorf("waits = %v, want %v", got, want)
		}
	})
	t.Run("OK/HTTPDate", func(t *testing.T) {
		srv := newServer(t)
		sl := newSleeper(srv)
		c := srv.Client(twelvelabs.WithSleep(sl.Sleep))
		at := srv.Clock().Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)
		srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointEmbedV2, Times: 1, Status: 503, RetryAfter: at})
		if _, err := c.EmbedText(ctx, "marengo3.0", "hello", 512); err != nil {
			t.Fatal(err)
		}
		if got, want := sl.Waits(), []time.Duration{30 * time.Second}; !slices.Equal(got, want) {
			t.Errorf("waits = %v, want %v", got, want)
		}
	})
	t.Run("OK/RateLimitReset", func(t *testing.T) {
		srv := newServer(t)
		sl := newSleeper(srv)
		c := srv.Client(twelvelabs.WithSleep(sl.Sleep))
		srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointSearch, Times: 1, Status: 429, RateLimitReset: srv.Clock().Now().Add(12 * time.Second)})
		res, err := c.Search(ctx, twelvelabs.SearchRequest{IndexID: srv.Catalogue.Indexes[0].ID, SearchOptions: []string{"visual"}, QueryText: "surfer wave"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Data) == 0 {
			t.Error("no results after the retry")
		}
		if got, want := sl.Waits(), []time.Duration{12 * time.Second}; !slices.Equal(got, want) {
			t.Errorf("waits = %v, want %v (X-Ratelimit-Reset)", got, want)
		}
		if reqs := srv.Requests(); reqs[0].Status != 429 {
			t.Errorf("first answer %d", reqs[0].Status)
		}
	})
	t.Run("ErrTooLong", func(t *testing.T) {
		srv := newServer(t)
		sl := newSleeper(srv)
		c := srv.Client(twelvelabs.WithSleep(sl.Sleep))
		srv.Inject(twelvelabstest.Fault{Status: 429, RetryAfter: "3600"})
		_, err := c.EmbedTaskStatus(ctx, "x")
		if !twelvelabs.IsRateLimited(err) || !strings.Contains(err.Error(), "server asks to wait 1h0m0s") {
			t.Errorf("err = %v", err)
		}
		if len(sl.Waits()) != 0 || srv.Count(twelvelabstest.EndpointEmbedTaskStatus) != 1 {
			t.Errorf("waited %v over %d requests: a wait beyond MaxRetryAfter must not be waited out", sl.Waits(), srv.Count(twelvelabstest.EndpointEmbedTaskStatus))
		}
	})
}

func TestBackoff(t *testing.T) {
	ctx := context.Background()
	t.Run("OK/Exponential", func(t *testing.T) {
		srv := newServer(t)
		sl := newSleeper(srv)
		c := srv.Client(twelvelabs.WithSleep(sl.Sleep), twelvelabs.WithRetryPolicy(twelvelabs.RetryPolicy{MaxRetries: 5, BaseBackoff: time.Second, MaxBackoff: 5 * time.Second}))
		srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointListIndexedAssets, Times: 5, Status: 500})
		if _, err := listFirst(ctx, c, srv); err != nil {
			t.Fatal(err)
		}
		want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
		if got := sl.Waits(); !slices.Equal(got, want) {
			t.Errorf("waits = %v, want %v", got, want)
		}
	})
	t.Run("OK/Jitter", func(t *testing.T) {
		for _, tc := range []struct {
			jitter float64
			want   time.Duration
		}{{0, 750 * time.Millisecond}, {0.5, time.Second}, {0.999, 1249500 * time.Microsecond}} {
			srv := newServer(t)
			sl := newSleeper(srv)
			c := srv.Client(twelvelabs.WithSleep(sl.Sleep), twelvelabs.WithJitter(func() float64 { return tc.jitter }),
				twelvelabs.WithRetryPolicy(twelvelabs.RetryPolicy{MaxRetries: 1, BaseBackoff: time.Second}))
			srv.Inject(twelvelabstest.Fault{Times: 1, Status: 502})
			if _, err := listFirst(ctx, c, srv); err != nil {
				t.Fatal(err)
			}
			if got := sl.Waits(); len(got) != 1 || got[0] != tc.want {
				t.Errorf("jitter %v: waits = %v, want [%v]", tc.jitter, got, tc.want)
			}
		}
	})
	t.Run("OK/Timeout408", func(t *testing.T) {
		srv := newServer(t)
		c := srv.Client()
		srv.Inject(twelvelabstest.Fault{Times: 1, Status: 408})
		if _, err := listFirst(ctx, c, srv); err != nil {
			t.Errorf("408 was not retried: %v", err)
		}
	})
	t.Run("ErrNotRetried404", func(t *testing.T) {
		srv := newServer(t)
		c := srv.Client()
		srv.Inject(twelvelabstest.Fault{Status: 404})
		if _, err := listFirst(ctx, c, srv); !twelvelabs.IsNotFound(err) || srv.Count(twelvelabstest.EndpointListIndexedAssets) != 1 {
			t.Errorf("err %v after %d requests, want one 404", err, srv.Count(twelvelabstest.EndpointListIndexedAssets))
		}
	})
}

func TestRetriesExhausted(t *testing.T) {
	srv := newServer(t)
	sl := newSleeper(srv)
	c := srv.Client(twelvelabs.WithSleep(sl.Sleep), twelvelabs.WithRetryPolicy(twelvelabs.RetryPolicy{MaxRetries: 2}))
	srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointGetEmbedV2Task, Status: 503})
	_, err := c.GetEmbedV2Task(context.Background(), "abc")
	if !errors.Is(err, twelvelabs.ErrRetriesExhausted) || !errors.Is(err, twelvelabs.ErrServer) {
		t.Fatalf("err = %v, want retries exhausted on a server error", err)
	}
	var e *twelvelabs.APIError
	if !errors.As(err, &e) || e.StatusCode != 503 || e.Code != "INTERNAL_SERVER_ERROR" {
		t.Errorf("last error %+v, want the last 503", e)
	}
	if !strings.Contains(err.Error(), "get embed-v2 task abc: give up after 3 attempts: twelvelabs API: 503") {
		t.Errorf("error text %q", err)
	}
	if n := srv.Count(twelvelabstest.EndpointGetEmbedV2Task); n != 3 || len(sl.Waits()) != 2 {
		t.Errorf("%d requests, %d waits; want 3 and 2", n, len(sl.Waits()))
	}
	t.Run("ErrNoRetries", func(t *testing.T) {
		c := srv.Client(twelvelabs.WithRetryPolicy(twelvelabs.RetryPolicy{MaxRetries: 0}))
		_, err := c.GetEmbedV2Task(context.Background(), "abc")
		if errors.Is(err, twelvelabs.ErrRetriesExhausted) || !errors.Is(err, twelvelabs.ErrServer) {
			t.Errorf("err = %v: with retries off the 503 comes back as it is", err)
		}
	})
}

func TestCreateTaskRetries(t *testing.T) {
	ctx := context.Background()
	v1 := func(c *twelvelabs.Client) error {
		_, err := c.CreateEmbedTask(ctx, twelvelabs.EmbedTaskRequest{ModelName: "marengo3.0", VideoURL: "https://example.com/a.mp4"})
		return err
	}
	v2 := func(c *twelvelabs.Client) error {
		_, err := c.CreateEmbedV2Task(ctx, twelvelabs.EmbedV2Request{InputType: "video", ModelName: "marengo3.0",
			Video: &twelvelabs.MediaInput{MediaSource: twelvelabs.MediaSource{URL: "https://example.com/a.mp4"}}})
		return err
	}
	for _, tc := range []struct {
		name     string
		endpoint string
		create   func(*twelvelabs.Client) error
	}{{"V1", twelvelabstest.EndpointCreateEmbedTask, v1}, {"V2", twelvelabstest.EndpointCreateEmbedV2Task, v2}} {
		t.Run(tc.name+"/ErrNotRetriedOn500", func(t *testing.T) {
			srv := newServer(t)
			srv.Inject(twelvelabstest.Fault{Endpoint: tc.endpoint, Times: 1, Status: 500})
			err := tc.create(srv.Client())
			if !errors.Is(err, twelvelabs.ErrServer) || errors.Is(err, twelvelabs.ErrRetriesExhausted) {
				t.Errorf("err = %v, want the 500 at once", err)
			}
			if n := srv.Count(tc.endpoint); n != 1 {
				t.Errorf("%d create requests, want 1", n)
			}
		})
		t.Run(tc.name+"/ErrNotRetriedOnDisconnect", func(t *testing.T) {
			srv := newServer(t)
			srv.Inject(twelvelabstest.Fault{Endpoint: tc.endpoint, Times: 1, Disconnect: true})
			if err := tc.create(srv.Client()); err == nil || srv.Count(tc.endpoint) != 1 {
				t.Errorf("err = %v after %d requests, want one failed request", err, srv.Count(tc.endpoint))
			}
		})
		t.Run(tc.name+"/OKRetriedOn429", func(t *testing.T) {
			srv := newServer(t)
			srv.Inject(twelvelabstest.Fault{Endpoint: tc.endpoint, Times: 2, Status: 429})
			if err := tc.create(srv.Client()); err != nil {
				t.Fatal(err)
			}
			if n, tasks := srv.Count(tc.endpoint), len(srv.Tasks()); n != 3 || tasks != 1 {
				t.Errorf("%d requests made %d tasks, want 3 and 1", n, tasks)
			}
		})
	}
	t.Run("V1/OKUploadRewound", func(t *testing.T) {
		srv := newServer(t)
		srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointCreateEmbedTask, Times: 1, Status: 429})
		data := bytes.Repeat([]byte{7}, 1<<16)
		_, err := srv.Client().CreateEmbedTask(ctx, twelvelabs.EmbedTaskRequest{ModelName: "marengo3.0", VideoFile: &twelvelabs.File{Name: "v.mp4", Reader: bytes.NewReader(data)}})
		if err != nil {
			t.Fatal(err)
		}
		// A second task from the same bytes, sent once, must get the same
		// media: the retried upload was sent whole.
		id2, err := srv.Client().CreateEmbedTask(ctx, twelvelabs.EmbedTaskRequest{ModelName: "marengo3.0", VideoFile: &twelvelabs.File{Name: "v.mp4", Reader: bytes.NewReader(data)}})
		if err != nil {
			t.Fatal(err)
		}
		tasks := srv.Tasks()
		if len(tasks) != 2 || tasks[0].Topic.Name != tasks[1].Topic.Name || tasks[0].Duration != tasks[1].Duration || tasks[1].ID != id2 {
			t.Errorf("tasks %+v: the retried upload differs", tasks)
		}
	})
	t.Run("V1/ErrUploadNotRewindable", func(t *testing.T) {
		srv := newServer(t)
		srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointCreateEmbedTask, Times: 1, Status: 429})
		r := io.MultiReader(strings.NewReader("not seekable"))
		_, err := srv.Client().CreateEmbedTask(ctx, twelvelabs.EmbedTaskRequest{ModelName: "marengo3.0", VideoFile: &twelvelabs.File{Name: "v.mp4", Reader: r}})
		if !twelvelabs.IsRateLimited(err) || srv.Count(twelvelabstest.EndpointCreateEmbedTask) != 1 {
			t.Errorf("err = %v after %d requests: a stream cannot be sent twice", err, srv.Count(twelvelabstest.EndpointCreateEmbedTask))
		}
		if got := srv.Requests()[0].ContentLength; got != -1 {
			t.Errorf("Content-Length %d for a stream of unknown length, want -1 (chunked)", got)
		}
	})
}

func TestContextCancel(t *testing.T) {
	t.Run("ErrCanceledMidRetry", func(t *testing.T) {
		srv := newServer(t)
		// The client's own timer-based sleep: the wait must end when ctx
		// does. The retry is logged just before the wait starts.
		retrying := &signalHandler{ch: make(chan struct{})}
		c := twelvelabs.NewClient(srv.APIKey, twelvelabs.WithBaseURL(srv.URL), twelvelabs.WithLogger(slog.New(retrying)))
		srv.Inject(twelvelabstest.Fault{Status: 429, RetryAfter: "50"})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := c.EmbedTaskStatus(ctx, "x")
			done <- err
		}()
		<-retrying.ch
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want context.Canceled", err)
			}
			if !strings.Contains(err.Error(), "wait 50s to retry after twelvelabs API: 429") {
				t.Errorf("error text %q does not say what it was waiting for", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("the call did not return after its context was cancelled")
		}
	})
	t.Run("ErrCanceledMidRequest", func(t *testing.T) {
		srv := newServer(t)
		c := srv.Client()
		hit := make(chan struct{})
		var once sync.Once
		srv.Inject(twelvelabstest.Fault{Delay: time.Hour, Match: func(*http.Request) bool {
			once.Do(func() { close(hit) })
			return true
		}})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := listFirst(ctx, c, srv)
			done <- err
		}()
		<-hit
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want context.Canceled", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("the call did not return after its context was cancelled")
		}
		if n := srv.Count(twelvelabstest.EndpointListIndexedAssets); n != 1 {
			t.Errorf("%d requests: a cancelled request must not be retried", n)
		}
	})
	t.Run("ErrAlreadyCanceled", func(t *testing.T) {
		srv := newServer(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := srv.Client().EmbedTaskStatus(ctx, "x"); !errors.Is(err, context.Canceled) || len(srv.Requests()) != 0 {
			t.Errorf("err = %v after %d requests", err, len(srv.Requests()))
		}
	})
}

func TestTruncatedBody(t *testing.T) {
	ctx := context.Background()
	t.Run("OK/Retried", func(t *testing.T) {
		srv := newServer(t)
		ix := srv.Catalogue.Indexes[0]
		f := srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointRetrieveIndexedAsset, Times: 1, Truncate: true})
		a, err := srv.Client().RetrieveIndexedAsset(ctx, ix.ID, ix.Videos[0].ID, twelvelabs.RetrieveOptions{EmbeddingOptions: []string{"visual"}})
		if err != nil {
			t.Fatal(err)
		}
		if f.Hits() != 1 || len(a.Segments()) != ix.Videos[0].SegmentCount("visual") {
			t.Errorf("hits %d, %d segments", f.Hits(), len(a.Segments()))
		}
	})
	t.Run("ErrUnexpectedEOF", func(t *testing.T) {
		srv := newServer(t)
		ix := srv.Catalogue.Indexes[0]
		srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointRetrieveIndexedAsset, Truncate: true})
		c := srv.Client(twelvelabs.WithRetryPolicy(twelvelabs.RetryPolicy{MaxRetries: 0}))
		_, err := c.RetrieveIndexedAsset(ctx, ix.ID, ix.Videos[0].ID, twelvelabs.RetrieveOptions{EmbeddingOptions: []string{"visual"}})
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("err = %v, want unexpected EOF", err)
		}
		if msg := err.Error(); !strings.Contains(msg, "read 200 response body: got ") || !strings.Contains(msg, " bytes: unexpected EOF") {
			t.Errorf("error text %q does not say the body was cut short", msg)
		}
	})
	t.Run("ErrCreateNotRetried", func(t *testing.T) {
		srv := newServer(t)
		srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointCreateEmbedV2Task, Truncate: true})
		_, err := srv.Client().CreateEmbedV2Task(ctx, twelvelabs.EmbedV2Request{InputType: "video", ModelName: "marengo3.0",
			Video: &twelvelabs.MediaInput{MediaSource: twelvelabs.MediaSource{URL: "https://example.com/a.mp4"}}})
		if !errors.Is(err, io.ErrUnexpectedEOF) || srv.Count(twelvelabstest.EndpointCreateEmbedV2Task) != 1 || len(srv.Tasks()) != 1 {
			t.Errorf("err = %v, %d requests, %d tasks: want one request (the task exists)", err, srv.Count(twelvelabstest.EndpointCreateEmbedV2Task), len(srv.Tasks()))
		}
	})
}

func TestRetryUploadInSearch(t *testing.T) {
	srv := newServer(t)
	srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointSearch, Times: 1, Status: 500})
	img := bytes.NewReader([]byte("\x89PNG fake image of a surfer"))
	res, err := srv.Client().Search(context.Background(), twelvelabs.SearchRequest{IndexID: srv.Catalogue.Indexes[0].ID, SearchOptions: []string{"visual"},
		QueryMediaType: "image", QueryMediaFiles: []twelvelabs.File{{Name: "q.png", Reader: img}}})
	if err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || !slices.Equal(reqs[1].Files["query_media_file"], []string{"q.png"}) {
		t.Errorf("requests %+v", reqs)
	}
	_ = res
}

func TestRetryLogs(t *testing.T) {
	srv := newServer(t)
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv.Inject(twelvelabstest.Fault{Times: 1, Status: 429, RetryAfter: "2"})
	if _, err := listFirst(context.Background(), srv.Client(twelvelabs.WithLogger(logger)), srv); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{`"msg":"twelvelabs: retrying request"`, `"method":"GET"`, `"attempt":1`, `"wait":2000000000`, "429 Too Many Requests"} {
		if !strings.Contains(out, want) {
			t.Errorf("log %s lacks %s", out, want)
		}
	}
}

// signalHandler is a slog.Handler that closes ch at its first record.
type signalHandler struct {
	once sync.Once
	ch   chan struct{}
}

func (h *signalHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *signalHandler) Handle(context.Context, slog.Record) error {
	h.once.Do(func() { close(h.ch) })
	return nil
}
func (h *signalHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *signalHandler) WithGroup(string) slog.Handler      { return h }
