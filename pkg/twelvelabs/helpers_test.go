package twelvelabs_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/clipvec/clipvec/pkg/twelvelabs"
	"github.com/clipvec/clipvec/pkg/twelvelabs/twelvelabstest"
)

// newServer starts a fake server closed at the end of the test.
func newServer(tb testing.TB, opts ...twelvelabstest.Option) *twelvelabstest.Server {
	tb.Helper()
	srv := twelvelabstest.NewServer(opts...)
	tb.Cleanup(srv.Close)
	return srv
}

// sleeper records the waits a client asks for and advances the server's
// manual clock by them, returning at once.
type sleeper struct {
	clock *twelvelabstest.ManualClock
	mu    sync.Mutex
	waits []time.Duration
}

func newSleeper(srv *twelvelabstest.Server) *sleeper {
	mc, _ := srv.Clock().(*twelvelabstest.ManualClock)
	return &sleeper{clock: mc}
}

func (s *sleeper) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	if s.clock != nil {
		s.clock.Advance(d)
	}
	return nil
}

func (s *sleeper) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// Fixture directories: the API bodies this package shares with the
// importer's tests, kept once at the repository root, and the few only
// this package reads. A fixture's name is its path below either.
var fixtureDirs = []string{"../../testdata/twelvelabs", "testdata"}

// fixtureFiles maps the name of every .json fixture (such as
// "legacy/v1.2_search_response.json") to the paths that hold it.
func fixtureFiles(tb testing.TB) map[string][]string {
	tb.Helper()
	files := map[string][]string{}
	for _, dir := range fixtureDirs {
		for _, pattern := range []string{"*.json", "legacy/*.json"} {
			m, err := filepath.Glob(filepath.Join(dir, pattern))
			if err != nil {
				tb.Fatal(err)
			}
			for _, p := range m {
				rel, err := filepath.Rel(dir, p)
				if err != nil {
					tb.Fatal(err)
				}
				name := filepath.ToSlash(rel)
				files[name] = append(files[name], p)
			}
		}
	}
	return files
}

// readFixture reads the fixture name from whichever of fixtureDirs holds
// it; it fails tb unless exactly one does.
func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	var found []string
	for _, dir := range fixtureDirs {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if _, err := os.Stat(p); err == nil {
			found = append(found, p)
		}
	}
	if len(found) != 1 {
		tb.Fatalf("fixture %s: found %d copies %q, want 1", name, len(found), found)
	}
	b, err := os.ReadFile(found[0])
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// canned answers every request with one status, header set and body, and
// counts the requests.
type canned struct {
	status int
	header http.Header
	body   []byte

	mu    sync.Mutex
	calls []*http.Request
}

func (c *canned) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.calls = append(c.calls, r.Clone(context.Background()))
	c.mu.Unlock()
	for k, vs := range c.header {
		w.Header()[k] = vs
	}
	if len(c.body) > 0 && w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(c.status)
	w.Write(c.body)
}

func (c *canned) Calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.calls)
}

// cannedClient starts a server answering every request with the body and
// returns a client for it that never retries unless opts say so.
func cannedClient(tb testing.TB, status int, header http.Header, body []byte, opts ...twelvelabs.Option) (*twelvelabs.Client, *canned) {
	tb.Helper()
	h := &canned{status: status, header: header, body: body}
	ts := httptest.NewServer(h)
	tb.Cleanup(ts.Close)
	base := []twelvelabs.Option{
		twelvelabs.WithBaseURL(ts.URL + "/v1.3"),
		twelvelabs.WithHTTPClient(ts.Client()),
		twelvelabs.WithRetryPolicy(twelvelabs.RetryPolicy{MaxRetries: 0}),
		twelvelabs.WithSleep(func(ctx context.Context, d time.Duration) error { return ctx.Err() }),
	}
	return twelvelabs.NewClient("test-key", append(base, opts...)...), h
}

// collect drains a page iterator.
func collect[T any](tb testing.TB, next func() bool, item func() T, errf func() error) []T {
	tb.Helper()
	var out []T
	for next() {
		out = append(out, item())
	}
	if err := errf(); err != nil {
		tb.Fatalf("iterate: %v", err)
	}
	return out
}

// handlerClient returns a client for a server running h, without retries.
func handlerClient(tb testing.TB, h http.Handler) *twelvelabs.Client {
	tb.Helper()
	ts := httptest.NewServer(h)
	tb.Cleanup(ts.Close)
	return twelvelabs.NewClient("test-key", twelvelabs.WithBaseURL(ts.URL), twelvelabs.WithHTTPClient(ts.Client()),
		twelvelabs.WithRetryPolicy(twelvelabs.RetryPolicy{MaxRetries: 0}))
}
