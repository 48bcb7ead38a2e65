package command_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/clipvec/clipvec/internal/command"
)

// TestSearchTextRedirectKeepsKey is issue 8, item 2 through the CLI: the
// base URL's /embed-v2 answers 500, 500, then a 302 to another server;
// search --text fails naming that server's origin, and the other server
// never receives the key.
func TestSearchTextRedirectKeepsKey(t *testing.T) {
	const key = "tlk_CLIREDIRECT_2d7f4b9e1a6c3e8f0b5d"
	var mu sync.Mutex
	var otherKeys, firstPaths []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		otherKeys = append(otherKeys, r.Header.Get("x-api-key"))
		mu.Unlock()
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"data":[{"embedding":[0.6,0.8]}]}`)
	}))
	defer other.Close()
	first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		firstPaths = append(firstPaths, r.Method+" "+r.URL.Path)
		n := len(firstPaths)
		mu.Unlock()
		io.Copy(io.Discard, r.Body)
		if n <= 2 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, other.URL+r.URL.Path+"?sig=QUERYSECRET", http.StatusFound)
	}))
	defer first.Close()

	db := tempDB(t)
	if out, errs, code := run(t, db, "", "import", filepath.Join(fixtures, "embed_task_retrieve.json")); code != command.ExitOK {
		t.Fatalf("import: exit %d\n%s%s", code, out, errs)
	}
	t.Setenv("TWELVELABS_BASE_URL", first.URL+"/v1.3")
	t.Setenv("TWELVELABS_API_KEY", "")
	out, errs, code := run(t, db, "", "search", "--text", "a dog catching a frisbee", "--model", "marengo3.0", "--api-key", key)

	if got, want := code, command.ExitFailure; got != want {
		t.Errorf("exit %d, want %d\n%s%s", got, want, out, errs)
	}
	if !strings.Contains(errs, other.URL) {
		t.Errorf("stderr does not name the refused origin %s:\n%s", other.URL, errs)
	}
	for _, text := range []string{out, errs} {
		if strings.Contains(text, key) || strings.Contains(text, "QUERYSECRET") {
			t.Errorf("output contains the key or the redirect's query:\n%s", text)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, k := range otherKeys {
		if k != "" {
			t.Errorf("the other server received x-api-key %q", k)
		}
	}
	if got, want := strings.Join(firstPaths, ", "), "POST /v1.3/embed-v2, POST /v1.3/embed-v2, POST /v1.3/embed-v2"; got != want {
		t.Errorf("the base URL's server got %q, want %q", got, want)
	}
}
