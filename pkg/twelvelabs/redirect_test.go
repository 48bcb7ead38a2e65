package twelvelabs_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clipvec/clipvec/pkg/twelvelabs"
)

// redirectKey is recognisable in any header, error text or log.
const redirectKey = "tlk_REDIRECT_9e4b2a7c1f3d5e8a0b6c"

// redirectQuery is put on every redirect target: it must not reach an
// error text (only the refused origin does).
const redirectQuery = "sig=QUERYSECRET"

// keyLog records every request some servers (or a transport) received:
// the origin it was addressed to, its path and its x-api-key.
// It is safe for concurrent use.
type keyLog struct {
	mu   sync.Mutex
	reqs []keyedRequest
}

type keyedRequest struct{ Origin, Path, Key string }

// serverSide records a request as a server sees it.
func (l *keyLog) serverSide(r *http.Request) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	l.add(keyedRequest{scheme + "://" + r.Host, r.URL.Path, r.Header.Get("x-api-key")})
}

func (l *keyLog) add(k keyedRequest) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs = append(l.reqs, k)
}

func (l *keyLog) all() []keyedRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]keyedRequest(nil), l.reqs...)
}

// to returns the requests addressed to origin (scheme://host:port as the
// request named it).
func (l *keyLog) to(origin string) []keyedRequest {
	var out []keyedRequest
	for _, r := range l.all() {
		if r.Origin == origin {
			out = append(out, r)
		}
	}
	return out
}

// checkNoKeyAt fails the test if a request addressed to origin carried
// the key.
func checkNoKeyAt(tb testing.TB, l *keyLog, origin string) {
	tb.Helper()
	for _, r := range l.to(origin) {
		if r.Key != "" {
			tb.Errorf("%s%s received x-api-key %q", r.Origin, r.Path, r.Key)
		}
	}
}

// redirector answers 500 (Retry-After: 0) to its first fails requests,
// then status with Location: to(r), recording every request in l.
func redirector(l *keyLog, fails, status int, to func(r *http.Request) string) http.Handler {
	var mu sync.Mutex
	n := 0
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.serverSide(r)
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		n++
		fail := n <= fails
		mu.Unlock()
		if fail {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, to(r), status)
	})
}

// answering records every request in l and answers 200 with a task (GET)
// or a text embedding (POST).
func answering(l *keyLog) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.serverSide(r)
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodGet {
			fmt.Fprintf(w, `{"_id":%q,"status":"ready"}`, r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:])
			return
		}
		io.WriteString(w, `{"data":[{"embedding":[0.6,0.8]}]}`)
	})
}

// startServer starts h on a plain or TLS httptest server closed at the
// end of the test.
func startServer(tb testing.TB, tls bool, h http.Handler) *httptest.Server {
	tb.Helper()
	var ts *httptest.Server
	if tls {
		ts = httptest.NewTLSServer(h)
	} else {
		ts = httptest.NewServer(h)
	}
	tb.Cleanup(ts.Close)
	return ts
}

// redirectClient returns a client for base with the test key, 3 retries
// and no waiting between them.
func redirectClient(base string, opts ...twelvelabs.Option) *twelvelabs.Client {
	return twelvelabs.NewClient(redirectKey, append([]twelvelabs.Option{
		twelvelabs.WithBaseURL(base),
		twelvelabs.WithRetryPolicy(twelvelabs.RetryPolicy{MaxRetries: 3}),
		twelvelabs.WithSleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }),
	}, opts...)...)
}

// redirectCalls are the calls the tests drive: a JSON POST (what search
// --text sends) and a GET.
var redirectCalls = []struct {
	name string
	call func(ctx context.Context, c *twelvelabs.Client) error
}{
	{"EmbedV2", func(ctx context.Context, c *twelvelabs.Client) error {
		_, err := c.EmbedText(ctx, twelvelabs.ModelMarengo30, "a dog catching a frisbee", 0)
		return err
	}},
	{"GetEmbedV2Task", func(ctx context.Context, c *twelvelabs.Client) error {
		_, err := c.GetEmbedV2Task(ctx, "task1")
		return err
	}},
}

// checkRefused asserts that err is a refused redirect to origin whose
// text names origin and neither the key nor the redirect's query.
func checkRefused(tb testing.TB, err error, origin string) {
	tb.Helper()
	if !errors.Is(err, twelvelabs.ErrCrossOriginRedirect) {
		tb.Fatalf("error %v: want ErrCrossOriginRedirect", err)
	}
	var re *twelvelabs.RedirectError
	if !errors.As(err, &re) {
		tb.Fatalf("error %v: want a *RedirectError", err)
	}
	if got, want := re.Origin, origin; got != want {
		tb.Errorf("RedirectError.Origin = %q, want %q", got, want)
	}
	if errors.Is(err, twelvelabs.ErrTooManyRedirects) || errors.Is(err, twelvelabs.ErrRetriesExhausted) {
		tb.Errorf("error %v: matches ErrTooManyRedirects or ErrRetriesExhausted", err)
	}
	for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
		if !strings.Contains(text, origin) {
			tb.Errorf("error %q does not name the refused origin %s", text, origin)
		}
		if lower := strings.ToLower(text); strings.Contains(lower, strings.ToLower(redirectKey)) || strings.Contains(text, "QUERYSECRET") {
			tb.Errorf("error %q contains the key or the redirect's query", text)
		}
	}
}

// TestCrossOriginRedirect reproduces issue 8, item 2: a server that
// answers 500, 500, then a redirect to another origin must not get the
// key sent there; the call fails with ErrCrossOriginRedirect and is not
// retried.
func TestCrossOriginRedirect(t *testing.T) {
	ctx := context.Background()
	t.Run("ErrCrossOriginRedirect/OtherPort", func(t *testing.T) {
		for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
			for _, tc := range redirectCalls {
				t.Run(fmt.Sprintf("%d/%s", status, tc.name), func(t *testing.T) {
					var l keyLog
					other := startServer(t, false, answering(&l))
					first := startServer(t, false, redirector(&l, 2, status, func(r *http.Request) string {
						return other.URL + r.URL.Path + "?" + redirectQuery
					}))
					err := tc.call(ctx, redirectClient(first.URL+"/v1.3"))
					checkNoKeyAt(t, &l, other.URL)
					checkRefused(t, err, other.URL)
					// 500, 500, the redirect: a refused redirect is final.
					if got, want := len(l.to(first.URL)), 3; got != want {
						t.Errorf("the first server got %d requests, want %d", got, want)
					}
					if got := len(l.to(other.URL)); got != 0 {
						t.Errorf("the other server got %d requests, want none", got)
					}
				})
			}
		}
	})
	t.Run("ErrCrossOriginRedirect/OtherHost", func(t *testing.T) {
		// The same server under another name: 127.0.0.1 vs localhost.
		var l keyLog
		var ts *httptest.Server
		ts = startServer(t, false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.Host, "localhost:") {
				answering(&l).ServeHTTP(w, r)
				return
			}
			redirector(&l, 0, http.StatusFound, func(r *http.Request) string {
				return strings.Replace(ts.URL, "127.0.0.1", "localhost", 1) + r.URL.Path + "?" + redirectQuery
			}).ServeHTTP(w, r)
		}))
		if !strings.HasPrefix(ts.URL, "http://127.0.0.1:") {
			t.Fatalf("server at %s, want 127.0.0.1", ts.URL)
		}
		other := strings.Replace(ts.URL, "127.0.0.1", "localhost", 1)
		for _, tc := range redirectCalls {
			err := tc.call(ctx, redirectClient(ts.URL+"/v1.3"))
			checkNoKeyAt(t, &l, other)
			checkRefused(t, err, other)
		}
	})
	t.Run("ErrCrossOriginRedirect/HTTPSToHTTP", func(t *testing.T) {
		var l keyLog
		plain := startServer(t, false, answering(&l))
		secure := startServer(t, true, redirector(&l, 2, http.StatusFound, func(r *http.Request) string {
			return plain.URL + r.URL.Path + "?" + redirectQuery
		}))
		for _, tc := range redirectCalls {
			err := tc.call(ctx, redirectClient(secure.URL+"/v1.3", twelvelabs.WithHTTPClient(secure.Client())))
			checkNoKeyAt(t, &l, plain.URL)
			checkRefused(t, err, plain.URL)
		}
	})
}

// fakeTransport answers without a network: a request for from gets a
// 302 to location, any other a task named by the last path segment.
// Every request is recorded. It is safe for concurrent use.
type fakeTransport struct {
	from, location string
	log            keyLog
}

func (f *fakeTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	f.log.add(keyedRequest{r.URL.Scheme + "://" + r.URL.Host, r.URL.Path, r.Header.Get("x-api-key")})
	resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Request: r, Body: http.NoBody}
	if r.URL.String() == f.from {
		resp.StatusCode = http.StatusFound
		resp.Header.Set("Location", f.location)
		return resp, nil
	}
	resp.Header.Set("Content-Type", "application/json")
	resp.Body = io.NopCloser(strings.NewReader(`{"_id":"` + r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:] + `","status":"ready"}`))
	return resp, nil
}

// TestRedirectOrigins compares origins as scheme, host and port, with
// default ports made explicit and case ignored, on made-up host names
// served by a fake transport.
func TestRedirectOrigins(t *testing.T) {
	const base = "https://api.example.test/v1.3"
	for _, tc := range []struct {
		name, location string
		refused        string // the origin refused, or "" when followed
	}{
		{"OK/Relative", "/v1.3/embed-v2/tasks/t2", ""},
		{"OK/DefaultPortExplicit", "https://api.example.test:443/v1.3/embed-v2/tasks/t2", ""},
		{"OK/Case", "HTTPS://API.Example.TEST/v1.3/embed-v2/tasks/t2", ""},
		{"ErrCrossOriginRedirect/Scheme", "http://api.example.test/v1.3/embed-v2/tasks/t2", "http://api.example.test:80"},
		{"ErrCrossOriginRedirect/SchemeOnly", "http://api.example.test:443/v1.3/embed-v2/tasks/t2", "http://api.example.test:443"},
		{"ErrCrossOriginRedirect/Port", "https://api.example.test:8443/v1.3/embed-v2/tasks/t2", "https://api.example.test:8443"},
		{"ErrCrossOriginRedirect/Host", "https://uploads.example.test/v1.3/embed-v2/tasks/t2?" + redirectQuery, "https://uploads.example.test:443"},
		{"ErrCrossOriginRedirect/Suffix", "https://api.example.test.evil.test/v1.3/embed-v2/tasks/t2", "https://api.example.test.evil.test:443"},
		{"ErrCrossOriginRedirect/SchemeRelative", "//evil.test/v1.3/embed-v2/tasks/t2", "https://evil.test:443"},
		{"ErrCrossOriginRedirect/KeyInHost", "https://" + redirectKey + ".evil.test/v1.3/embed-v2/tasks/t2", "https://[REDACTED].evil.test:443"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ft := &fakeTransport{from: base + "/embed-v2/tasks/t1", location: tc.location}
			c := redirectClient(base, twelvelabs.WithHTTPClient(&http.Client{Transport: ft}))
			task, err := c.GetEmbedV2Task(context.Background(), "t1")
			reqs := ft.log.all()
			if tc.refused != "" {
				if len(reqs) != 1 {
					t.Errorf("requests %+v, want only the first", reqs)
				}
				checkRefused(t, err, tc.refused)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := task.ID, "t2"; got != want {
				t.Errorf("task %q, want %q", got, want)
			}
			if len(reqs) != 2 || reqs[1].Key != redirectKey {
				t.Errorf("requests %+v, want two, the second with the key", reqs)
			}
		})
	}
}

// TestSameOriginRedirect checks that a redirect within the base URL's
// origin is followed (with the key: the API needs it there), and that a
// redirect loop stops after a few hops without being retried.
func TestSameOriginRedirect(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		var l keyLog
		ts := startServer(t, false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/old") {
				redirector(&l, 0, http.StatusFound, func(r *http.Request) string {
					return strings.TrimSuffix(r.URL.Path, "old") + "new"
				}).ServeHTTP(w, r)
				return
			}
			answering(&l).ServeHTTP(w, r)
		}))
		task, err := redirectClient(ts.URL+"/v1.3").GetEmbedV2Task(ctx, "old")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := task.ID, "new"; got != want {
			t.Errorf("task %q, want %q", got, want)
		}
		reqs := l.all()
		if len(reqs) != 2 || reqs[1].Path != "/v1.3/embed-v2/tasks/new" || reqs[1].Key != redirectKey {
			t.Errorf("requests %+v, want the redirect followed with the key", reqs)
		}
	})
	t.Run("ErrTooManyRedirects", func(t *testing.T) {
		var l keyLog
		ts := startServer(t, false, redirector(&l, 0, http.StatusFound, func(r *http.Request) string { return r.URL.Path }))
		_, err := redirectClient(ts.URL+"/v1.3").GetEmbedV2Task(ctx, "loop")
		if !errors.Is(err, twelvelabs.ErrTooManyRedirects) || errors.Is(err, twelvelabs.ErrCrossOriginRedirect) {
			t.Fatalf("error %v: want ErrTooManyRedirects only", err)
		}
		var re *twelvelabs.RedirectError
		if !errors.As(err, &re) {
			t.Fatalf("error %v: want a *RedirectError", err)
		}
		// Not retried: one chain of requests, the cap plus the first.
		if got, want := len(l.all()), re.Hops+1; got != want || re.Hops < 1 || re.Hops > 10 {
			t.Errorf("%d requests, %d hops: want hops+1 requests and 1 to 10 hops", got, re.Hops)
		}
		if strings.Contains(err.Error(), redirectKey) {
			t.Errorf("error %q contains the key", err)
		}
	})
}

// countingTransport sends requests through http.DefaultTransport and
// counts them.
type countingTransport struct {
	mu sync.Mutex
	n  int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// TestRedirectCallerHTTPClient checks that a client given with
// WithHTTPClient is protected too (its transport and its own redirect
// policy still used within the origin) and is left unmodified.
func TestRedirectCallerHTTPClient(t *testing.T) {
	ctx := context.Background()
	var l keyLog
	other := startServer(t, false, answering(&l))
	var ts *httptest.Server
	ts = startServer(t, false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/away"):
			redirector(&l, 0, http.StatusFound, func(r *http.Request) string { return other.URL + r.URL.Path }).ServeHTTP(w, r)
		case strings.HasSuffix(r.URL.Path, "/old"):
			redirector(&l, 0, http.StatusFound, func(r *http.Request) string { return ts.URL + "/v1.3/embed-v2/tasks/new" }).ServeHTTP(w, r)
		default:
			answering(&l).ServeHTTP(w, r)
		}
	}))

	transport := &countingTransport{}
	var mu sync.Mutex
	var consulted []string
	policy := func(req *http.Request, via []*http.Request) error {
		mu.Lock()
		consulted = append(consulted, req.URL.Path)
		mu.Unlock()
		return nil
	}
	hc := &http.Client{Transport: transport, CheckRedirect: policy, Timeout: time.Minute}
	before := *hc
	c := redirectClient(ts.URL+"/v1.3", twelvelabs.WithHTTPClient(hc))

	_, err := c.GetEmbedV2Task(ctx, "away")
	checkNoKeyAt(t, &l, other.URL)
	checkRefused(t, err, other.URL)
	task, err := c.GetEmbedV2Task(ctx, "old")
	if err != nil || task.ID != "new" {
		t.Fatalf("same-origin redirect: %+v, %v", task, err)
	}

	if hc.Transport != before.Transport || hc.Timeout != before.Timeout || hc.Jar != before.Jar ||
		reflect.ValueOf(hc.CheckRedirect).Pointer() != reflect.ValueOf(before.CheckRedirect).Pointer() {
		t.Errorf("the caller's http.Client was modified: %+v, was %+v", *hc, before)
	}
	transport.mu.Lock()
	if got, want := transport.n, 3; got != want {
		t.Errorf("the caller's transport sent %d requests, want %d", got, want)
	}
	transport.mu.Unlock()
	// The caller's own policy decides within the origin, and is never
	// asked about another origin.
	mu.Lock()
	if got, want := strings.Join(consulted, " "), "/v1.3/embed-v2/tasks/new"; got != want {
		t.Errorf("the caller's CheckRedirect saw %q, want %q", got, want)
	}
	mu.Unlock()

	// The caller's client, used directly, still follows its own policy.
	resp, err := hc.Get(ts.URL + "/v1.3/embed-v2/tasks/away")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got, want := resp.Request.URL.Host, strings.TrimPrefix(other.URL, "http://"); got != want {
		t.Errorf("the caller's client ended at %s, want %s: its redirect policy changed", got, want)
	}
}

// TestRedirectUserInfo checks that a refused origin is named without
// the location's user info.
func TestRedirectUserInfo(t *testing.T) {
	const base = "https://api.example.test/v1.3"
	ft := &fakeTransport{from: base + "/embed-v2/tasks/t1", location: "https://user:PWSECRET@evil.test/x"}
	c := redirectClient(base, twelvelabs.WithHTTPClient(&http.Client{Transport: ft}))
	_, err := c.GetEmbedV2Task(context.Background(), "t1")
	checkRefused(t, err, "https://evil.test:443")
	if strings.Contains(err.Error(), "PWSECRET") {
		t.Errorf("error %q contains the location's user info", err)
	}
}
