package twelvelabs_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/pkg/twelvelabs"
	"github.com/clipvec/clipvec/pkg/twelvelabs/twelvelabstest"
)

func TestAPIErrorFormats(t *testing.T) {
	for _, tc := range []struct {
		name      string
		status    int
		header    http.Header
		body      string
		code, msg string
		text      string
	}{
		{"Classic", 400, nil, `{"code":"parameter_invalid","message":"The page_limit parameter is invalid.","docs_url":"https://docs.twelvelabs.io/x"}`,
			"parameter_invalid", "The page_limit parameter is invalid.", "twelvelabs API: 400 Bad Request: parameter_invalid: The page_limit parameter is invalid."},
		{"EmbedV2", 404, nil, `{"error":{"code":"NOT_FOUND","message":"Task abc not found","details":{"field":"task_id"}}}`,
			"NOT_FOUND", "Task abc not found", "twelvelabs API: 404 Not Found: NOT_FOUND: Task abc not found"},
		{"SearchPageErrorCode", 400, nil, `{"error_code": 104, "message": "Nope."}`,
			"104", "Nope.", "twelvelabs API: 400 Bad Request: 104: Nope."},
		{"EmptyBody", 429, nil, ``, "", "", "twelvelabs API: 429 Too Many Requests (empty body)"},
		{"NotJSON", 502, http.Header{"Content-Type": {"text/html"}}, `<html>Bad gateway</html>`,
			"", "", "twelvelabs API: 502 Bad Gateway: <html>Bad gateway</html>"},
		{"LongNotJSON", 503, nil, strings.Repeat("x", 300), "", "",
			"twelvelabs API: 503 Service Unavailable: " + strings.Repeat("x", 200) + "… (300 bytes)"},
		{"ErrorString", 403, nil, `{"error":"forbidden region"}`, "", "forbidden region", "twelvelabs API: 403 Forbidden: forbidden region"},
		{"RequestIDHeader", 500, http.Header{"X-Request-Id": {"req-9"}}, `{"code":"generic_error","message":"An error occurred."}`,
			"generic_error", "An error occurred.", "twelvelabs API: 500 Internal Server Error: generic_error: An error occurred. (request id req-9)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := cannedClient(t, tc.status, tc.header, []byte(tc.body))
			_, err := c.EmbedTaskStatus(context.Background(), "abc")
			var e *twelvelabs.APIError
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want an *APIError", err)
			}
			if e.StatusCode != tc.status || e.Code != tc.code || e.Message != tc.msg || string(e.Body) != tc.body {
				t.Errorf("decoded %+v", e)
			}
			if got := e.Error(); got != tc.text {
				t.Errorf("Error() = %q, want %q", got, tc.text)
			}
			if got, want := err.Error(), "get embed task status abc: "+tc.text; got != want {
				t.Errorf("wrapped error = %q, want %q", got, want)
			}
			if e.Method != "GET" || e.Path != "/embed/tasks/abc/status" {
				t.Errorf("request %s %s", e.Method, e.Path)
			}
		})
	}
}

func TestAPIErrorIs(t *testing.T) {
	all := []error{twelvelabs.ErrBadRequest, twelvelabs.ErrUnauthorized, twelvelabs.ErrNotFound, twelvelabs.ErrRateLimited, twelvelabs.ErrServer, twelvelabs.ErrPageTokenExpired}
	for _, tc := range []struct {
		status int
		code   string
		want   []error
	}{
		{400, "", []error{twelvelabs.ErrBadRequest}},
		{422, "", []error{twelvelabs.ErrBadRequest}},
		{400, "search_page_token_expired", []error{twelvelabs.ErrBadRequest, twelvelabs.ErrPageTokenExpired}},
		{401, "", []error{twelvelabs.ErrUnauthorized}},
		{403, "", []error{twelvelabs.ErrUnauthorized}},
		{404, "", []error{twelvelabs.ErrNotFound}},
		{429, "", []error{twelvelabs.ErrRateLimited}},
		{500, "", []error{twelvelabs.ErrServer}},
		{504, "", []error{twelvelabs.ErrServer}},
		{409, "", nil},
	} {
		e := &twelvelabs.APIError{StatusCode: tc.status, Code: tc.code}
		for _, target := range all {
			want := false
			for _, w := range tc.want {
				want = want || w == target
			}
			if got := errors.Is(e, target); got != want {
				t.Errorf("%d %s: errors.Is(%v) = %v, want %v", tc.status, tc.code, target, got, want)
			}
		}
	}
}

// TestUnauthorized checks the fake's 401 for a wrong key, in both error
// formats, and that it is not retried.
func TestUnauthorized(t *testing.T) {
	srv := newServer(t)
	c := twelvelabs.NewClient("wrong-key", twelvelabs.WithBaseURL(srv.URL))
	ctx := context.Background()
	_, err := c.EmbedTaskStatus(ctx, "abc")
	var e *twelvelabs.APIError
	if !errors.As(err, &e) || e.Code != "api_key_invalid" || !errors.Is(err, twelvelabs.ErrUnauthorized) || e.Body[0] != '{' || e.Body[1] != '"' || e.Body[2] != 'c' {
		t.Errorf("classic endpoint: err = %v, body %s", err, e.Body)
	}
	_, err = c.EmbedText(ctx, "marengo3.0", "x", 0)
	if !errors.As(err, &e) || e.Code != "api_key_invalid" || string(e.Body[:10]) != `{"error":{` {
		t.Errorf("embed-v2 endpoint: err = %v, body %s", err, e.Body)
	}
	if n := len(srv.Requests()); n != 2 {
		t.Errorf("%d requests, want 2 (401 is not retried)", n)
	}
}

// TestSearch429EmptyBody checks that POST /search's documented empty 429
// decodes and is retried.
func TestSearch429EmptyBody(t *testing.T) {
	srv := newServer(t)
	sl := newSleeper(srv)
	srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointSearch, Times: 1, Status: 429})
	c := srv.Client(twelvelabs.WithSleep(sl.Sleep), twelvelabs.WithRetryPolicy(twelvelabs.RetryPolicy{MaxRetries: 0}))
	_, err := c.Search(context.Background(), twelvelabs.SearchRequest{IndexID: srv.Catalogue.Indexes[0].ID, SearchOptions: []string{"visual"}, QueryText: "x"})
	var e *twelvelabs.APIError
	if !errors.As(err, &e) || len(e.Body) != 0 || !twelvelabs.IsRateLimited(err) || e.Header.Get("X-Ratelimit-Limit") == "" {
		t.Fatalf("err = %v (%+v), want an empty-bodied 429 with rate-limit headers", err, e)
	}
}
