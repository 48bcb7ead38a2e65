package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clipvec/clipvec/internal/server"
	"github.com/clipvec/clipvec/pkg/clipvec"
	"github.com/clipvec/clipvec/pkg/clipvec/upstream"
	"github.com/clipvec/clipvec/pkg/twelvelabs/twelvelabstest"
)

// serve runs srv on a loopback port until the returned cancel is
// called; served delivers Serve's result.
func serve(t *testing.T, srv *server.Server) (base string, cancel context.CancelFunc, served <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	return "http://" + ln.Addr().String(), cancel, done
}

// waitUntil polls cond until it holds. It has no deadline of its own:
// go test's -timeout stops a test that hangs, with every stack.
func waitUntil(cond func() bool) {
	for !cond() {
		time.Sleep(2 * time.Millisecond)
	}
}

// slowUpload starts a POST whose body comes through a pipe, on a
// connection of its own; the answer arrives on the returned channel.
func slowUpload(url string) (*io.PipeWriter, <-chan response, <-chan error) {
	pr, pw := io.Pipe()
	answered := make(chan response, 1)
	failed := make(chan error, 1)
	go func() {
		req, err := http.NewRequest("POST", url, pr)
		if err != nil {
			failed <- err
			return
		}
		cl := &http.Client{Transport: &http.Transport{}}
		resp, err := cl.Do(req)
		if err != nil {
			failed <- err
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			failed <- err
			return
		}
		answered <- response{status: resp.StatusCode, header: resp.Header, body: body}
	}()
	return pw, answered, failed
}

// inFlight reads clipvec_http_requests_in_flight, the scrape included.
func inFlight(c client) string {
	r := c.do("GET", "/metrics", nil)
	for _, l := range strings.Split(string(r.body), "\n") {
		if v, ok := strings.CutPrefix(l, "clipvec_http_requests_in_flight "); ok {
			return v
		}
	}
	return ""
}

// TestGracefulShutdown: a request in flight when the server's context
// ends (an import whose body is still arriving) is answered in full,
// new connections are refused, and Serve returns nil.
func TestGracefulShutdown(t *testing.T) {
	db := emptyDB(t)
	base, cancel, served := serve(t, server.New(db, server.Options{}))
	c := client{t: t, base: base}
	body := readFile(t, cookingFile)

	pw, answered, failed := slowUpload(base + "/v1/import?name=slow.json")
	if _, err := pw.Write(body[:len(body)/2]); err != nil {
		t.Fatal(err)
	}
	waitUntil(func() bool { return inFlight(c) == "2" }) // the import and the scrape
	http.DefaultClient.CloseIdleConnections()

	cancel()
	// Shutting down: the listener is closed.
	waitUntil(func() bool {
		conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err == nil {
			conn.Close()
		}
		return err != nil
	})
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v with a request in flight", err)
	default:
	}

	if _, err := pw.Write(body[len(body)/2:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	select {
	case r := <-answered:
		var ir importResult
		if r.status != http.StatusOK || json.Unmarshal(r.body, &ir) != nil || ir.Imported != 39 || ir.File != "slow.json" {
			t.Fatalf("the import in flight: %s", r)
		}
	case err := <-failed:
		t.Fatalf("the import in flight: %v", err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := db.Video(context.Background(), cooking); err != nil {
		t.Errorf("the import is not in the database: %v", err)
	}
}

// TestShutdownTimeout: a request that outlasts ShutdownTimeout has its
// connection closed, and Serve says so.
func TestShutdownTimeout(t *testing.T) {
	db := emptyDB(t)
	base, cancel, served := serve(t, server.New(db, server.Options{ShutdownTimeout: time.Millisecond}))
	c := client{t: t, base: base}
	pw, answered, failed := slowUpload(base + "/v1/import")
	if _, err := pw.Write([]byte(`{"data": [`)); err != nil {
		t.Fatal(err)
	}
	waitUntil(func() bool { return inFlight(c) == "2" })
	cancel()
	err := <-served
	if err == nil || !strings.Contains(err.Error(), "shut down") {
		t.Fatalf("Serve: %v, want a shutdown error", err)
	}
	// The client, still sending, learns of it once it sends again. The
	// write is on a goroutine of its own: should the client have stopped
	// reading the body, it would block, and the test must still end.
	go func() {
		pw.Write([]byte(`{}`))
		pw.Close()
	}()
	select {
	case r := <-answered:
		t.Errorf("the stuck upload got an answer: %s", r.String())
	case <-failed:
	}
	if n := videoCount(t, db); n != 0 {
		t.Errorf("%d videos", n)
	}
}

// TestSearchDuringImport: searches answer while imports commit, each from
// one generation: the segments searched never go down.
func TestSearchDuringImport(t *testing.T) {
	db := emptyDB(t)
	entries, err := os.ReadDir(sampleExports)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		files = append(files, filepath.Join(sampleExports, e.Name()))
	}
	sort.Strings(files)
	files = files[:12]
	if _, err := db.Import(context.Background(), files[:2], clipvec.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	_, c := start(t, db, server.Options{})

	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for _, q := range []clipvec.Query{
		{LikeVideo: surfing, K: 5, Filter: clipvec.Filter{Scopes: []string{clipvec.ScopeClip}}},
		{Vector: sampleVector(t, "cooking"), K: 5, Exact: true},
		{Like: &clipvec.SegmentRef{VideoID: cooking, At: 12, Modality: "visual"}, K: 5},
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			searched, n := 0, 0
			for {
				select {
				case <-done:
					if n > 0 {
						return
					}
				default:
				}
				r := c.do("POST", "/v1/search", q)
				var res struct {
					Space struct {
						Segments int `json:"segments"`
					} `json:"space"`
					Hits []any
				}
				if r.status != http.StatusOK || json.Unmarshal(r.body, &res) != nil || len(res.Hits) != 5 {
					errs <- r.String()
					return
				}
				if res.Space.Segments < searched {
					errs <- "the space shrank: " + r.String()
					return
				}
				searched = res.Space.Segments
				n++
			}
		}()
	}
	for _, f := range files[2:] {
		var ir importResult
		c.ok(c.do("POST", "/v1/import?name="+filepath.Base(f), readFile(t, f)), &ir)
		if ir.Imported == 0 || ir.Warning != "" {
			t.Errorf("import %s: %+v", f, ir)
		}
	}
	close(done)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := videoCount(t, db); n != len(files) {
		t.Errorf("%d videos, want %d", n, len(files))
	}
}

// TestTimeouts: a body that does not arrive in time is a 408; a request
// that runs past its time limit (a text query waiting on TwelveLabs) is
// a 503. Neither depends on how fast the machine is: the body never
// comes, the embedding never answers.
func TestTimeouts(t *testing.T) {
	fake := twelvelabstest.NewServer()
	defer fake.Close()
	fake.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointEmbedV2, Delay: time.Hour})
	db := emptyDB(t)
	if _, err := db.Import(context.Background(), []string{cookingFile}, clipvec.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	db.Embedder = upstream.Embedder(fake.Client())
	base, _, _ := serve(t, server.New(db, server.Options{RequestTimeout: 200 * time.Millisecond}))
	c := client{t: t, base: base}

	pw, answered, failed := slowUpload(base + "/v1/search")
	defer pw.Close()
	if _, err := pw.Write([]byte(`{"like_video": `)); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-answered:
		wantError(t, r, http.StatusRequestTimeout, server.CodeRequestTimeout, "", "did not arrive")
	case err := <-failed:
		t.Fatal(err)
	}

	wantError(t, c.do("POST", "/v1/search", clipvec.Query{Text: "a chef"}), http.StatusServiceUnavailable, server.CodeTimeout, "", "time limit")
}
