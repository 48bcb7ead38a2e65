package server_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/command"
	"github.com/clipvec/clipvec/internal/server"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

// runServe runs clipvec serve with args until the returned stop is
// called; it returns the server's URL, read from the line it prints.
func runServe(t *testing.T, args ...string) (url, firstLine string, stop func() (code int, stderr string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	exited := make(chan int, 1)
	go func() {
		code := command.Run(ctx, append([]string{"clipvec"}, args...), strings.NewReader(""), io.Discard, pw)
		pw.Close()
		exited <- code
	}()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	listening := regexp.MustCompile(`^clipvec serve: listening on (http://\S+) \(database (.*), (\d+) videos\)$`)
	var rest []string
	for line := range lines {
		if m := listening.FindStringSubmatch(line); m != nil {
			url, firstLine = m[1], line
			break
		}
		rest = append(rest, line)
	}
	if url == "" {
		t.Fatalf("clipvec serve exited with %d before listening:\n%s", <-exited, strings.Join(rest, "\n"))
	}
	return url, firstLine, func() (int, string) {
		cancel()
		var out []string
		for line := range lines {
			out = append(out, line)
		}
		return <-exited, strings.Join(out, "\n")
	}
}

// TestServeCommand: clipvec serve says where it listens, answers, and
// stops cleanly (exit 0) when its context ends, as on SIGINT.
func TestServeCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	db, err := clipvec.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Import(context.Background(), []string{cookingFile}, clipvec.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	t.Setenv("CLIPVEC_TOKEN", "")
	t.Setenv("TWELVELABS_API_KEY", "")
	url, line, stop := runServe(t, "--db", path, "serve", "--addr", "127.0.0.1:0", "--max-k", "7")
	if !strings.Contains(line, "(database "+path+", 1 videos)") {
		t.Errorf("first line %q", line)
	}
	c := client{t: t, base: url}
	var st struct {
		Stats      clipvec.Stats    `json:"stats"`
		TextSearch bool             `json:"text_search"`
		Limits     map[string]int64 `json:"limits"`
	}
	c.ok(c.do("GET", "/v1/stats", nil), &st)
	if st.Stats.Videos != 1 || st.TextSearch || st.Limits["max_k"] != 7 {
		t.Errorf("stats: %+v", st)
	}
	wantError(t, c.do("POST", "/v1/search", clipvec.Query{LikeVideo: cooking, K: 8}), 400, server.CodeBadRequest, "k", "at most 7")
	if code, stderr := stop(); code != command.ExitOK || !strings.Contains(stderr, "clipvec serve: stopped") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("the server still answers after it stopped")
	}

	t.Run("TokenAndReadOnly", func(t *testing.T) {
		t.Setenv("CLIPVEC_TOKEN", "from-the-env")
		url, _, stop := runServe(t, "--db", path, "serve", "--addr", "127.0.0.1:0", "--read-only", "--api-key", "k")
		c := client{t: t, base: url}
		wantError(t, c.do("GET", "/v1/stats", nil), 401, server.CodeUnauthorized, "")
		c.ok(c.do("GET", "/healthz", nil), nil)
		c.token = "from-the-env"
		c.ok(c.do("GET", "/v1/stats", nil), &st)
		if !st.TextSearch {
			t.Error("an API key, and text_search is false")
		}
		wantError(t, c.do("POST", "/v1/import", readFile(t, cookingFile)), 403, server.CodeReadOnly, "")
		if code, stderr := stop(); code != command.ExitOK || strings.Contains(stderr, "from-the-env") {
			t.Errorf("exit %d:\n%s", code, stderr)
		}
	})
	t.Run("Usage", func(t *testing.T) {
		for _, args := range [][]string{{"serve", "extra"}, {"serve", "--max-k", "0"}, {"serve", "--timeout", "0s"}, {"serve", "--addr", "256.0.0.1:99999"}} {
			var errb strings.Builder
			code := command.Run(context.Background(), append([]string{"clipvec", "--db", path}, args...), strings.NewReader(""), io.Discard, &errb)
			if code != command.ExitUsage {
				t.Errorf("%v: exit %d, want %d: %s", args, code, command.ExitUsage, errb.String())
			}
		}
	})
}
