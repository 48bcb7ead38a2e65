package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/server"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

const (
	sampleExports = "../../testdata/sample/exports"
	sampleQueries = "../../testdata/sample/queries.json"
	// Two videos of the sample: surfing-01 and cooking-01.
	surfing = "6821ac34a9d4f4fb30f4fb30"
	cooking = "6821ad59a9d4f4fb30f4fe21"
)

// sampleDB is the sample export in a database, opened once for the
// tests that only read (TestMain builds it).
var sampleDB *clipvec.DB

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "clipvec-server-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	db, err := clipvec.Open(ctx, filepath.Join(dir, "sample.db"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer db.Close()
	if _, err := db.Import(ctx, []string{sampleExports}, clipvec.ImportOptions{}); err != nil {
		fmt.Fprintln(os.Stderr, "import the sample:", err)
		return 1
	}
	sampleDB = db
	return m.Run()
}

// emptyDB opens a fresh database in t's temp dir.
func emptyDB(t testing.TB) *clipvec.DB {
	t.Helper()
	db, err := clipvec.Open(context.Background(), filepath.Join(t.TempDir(), "clipvec.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// client calls a test server.
type client struct {
	t     testing.TB
	base  string
	token string // sent as a bearer token when not ""
}

// start serves db with opts on a loopback port for the test's duration.
func start(t testing.TB, db *clipvec.DB, opts server.Options) (*server.Server, client) {
	t.Helper()
	srv := server.New(db, opts)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return srv, client{t: t, base: ts.URL, token: opts.Token}
}

// response is an answer read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.status, r.body) }

// do sends a request; body is nil, a []byte, a string or a value to
// encode as JSON. headers come in name, value pairs.
func (c client) do(method, path string, body any, headers ...string) response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// ok checks a 200 and decodes its JSON body into v (when not nil).
func (c client) ok(r response, v any) {
	c.t.Helper()
	if r.status != http.StatusOK {
		c.t.Fatalf("status %d, want 200: %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		c.t.Fatalf("Content-Type %q, want JSON", ct)
	}
	if v != nil {
		if err := json.Unmarshal(r.body, v); err != nil {
			c.t.Fatalf("decode %s: %v", r.body, err)
		}
	}
}

// apiErr is the error body.
type apiErr struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field"`
}

// wantError checks an error answer: its status, code and field, and
// that its message contains each of msgs.
func wantError(t testing.TB, r response, status int, code, field string, msgs ...string) apiErr {
	t.Helper()
	var body struct {
		Error *apiErr `json:"error"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil || body.Error == nil {
		t.Fatalf("status %d: body is not an error object (%v): %s", r.status, err, r.body)
	}
	e := *body.Error
	if r.status != status || e.Code != code || e.Field != field {
		t.Errorf("got %d %s field %q, want %d %s field %q: %s", r.status, e.Code, e.Field, status, code, field, e.Message)
	}
	for _, m := range msgs {
		if !strings.Contains(e.Message, m) {
			t.Errorf("message %q lacks %q", e.Message, m)
		}
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type %q", ct)
	}
	return e
}

// sampleVector is the sample's text query vector of a topic.
func sampleVector(t testing.TB, topic string) []float32 {
	t.Helper()
	data, err := os.ReadFile(sampleQueries)
	if err != nil {
		t.Fatal(err)
	}
	var qs []struct {
		Topic  string    `json:"topic"`
		Vector []float32 `json:"vector"`
	}
	if err := json.Unmarshal(data, &qs); err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		if q.Topic == topic {
			return q.Vector
		}
	}
	t.Fatalf("no query of topic %s in %s", topic, sampleQueries)
	return nil
}

// result is the part of a clipvec.Result tests look at.
type result struct {
	Space struct {
		Model string `json:"model"`
		Dim   int    `json:"dim"`
	} `json:"space"`
	Query struct {
		Kind    string `json:"kind"`
		VideoID string `json:"video_id"`
	} `json:"query"`
	Method      string `json:"method"`
	QuerySource string `json:"query_source"`
	Hits        []struct {
		VideoID  string  `json:"video_id"`
		Filename string  `json:"filename"`
		Scope    string  `json:"scope"`
		Modality string  `json:"modality"`
		Score    float32 `json:"score"`
	} `json:"hits"`
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
