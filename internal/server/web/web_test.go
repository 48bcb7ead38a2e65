package web_test

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/server/web"
)

// TestOffline: the page loads nothing from elsewhere (no CDN, no web
// fonts), and every file index.html names is embedded.
func TestOffline(t *testing.T) {
	index, err := fs.ReadFile(web.FS, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(string(index), -1)
	if len(refs) < 2 {
		t.Fatalf("index.html names %d files, want its script and style sheet", len(refs))
	}
	for _, m := range refs {
		if _, err := fs.Stat(web.FS, m[1]); err != nil {
			t.Errorf("index.html names %q: %v", m[1], err)
		}
	}
	// An absolute or protocol-relative URL anywhere; in a style sheet,
	// any import or url() but a data: one.
	remote := regexp.MustCompile(`(?i)https?://|["'(=]\s*//[a-z0-9]`)
	css := regexp.MustCompile(`(?i)@import|url\(\s*["']?[^"'\s)d]|url\(\s*["']?d[^a]`)
	err = fs.WalkDir(web.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(web.FS, path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			m := remote.FindString(line)
			if m == "" && strings.HasSuffix(path, ".css") {
				m = css.FindString(line)
			}
			if m != "" {
				t.Errorf("%s:%d loads from elsewhere (%q): %s", path, i+1, m, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
