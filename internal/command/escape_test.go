package command_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/clipvec/clipvec/internal/command"
)

// rawControl returns the first control character (C0 but newline, DEL,
// C1) or invalid UTF-8 byte in s, and whether there is one.
func rawControl(s string) (string, bool) {
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			return s[i : i+1], true
		case r < 0x20 && r != '\n', r == 0x7f, r >= 0x80 && r <= 0x9f:
			return string(r), true
		}
	}
	return "", false
}

// writeHostileExport writes a clipvec JSONL file whose video id, file name
// and model name carry what they are given, and returns its path. (JSON
// cannot carry invalid UTF-8: the decoder makes it U+FFFD.)
func writeHostileExport(t testing.TB, id, file, model string) string {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	line := func(v any) {
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
	}
	line(map[string]any{"type": "header", "format": "clipvec", "version": 1, "spaces": []any{map[string]any{"model_name": model, "dim": 4}}})
	for _, v := range []struct {
		id, file string
		vecs     [][]float64
	}{
		{id, file, [][]float64{{0.1, 0.2, 0.3, 0.4}, {0.4, 0.2, 0.3, 0.1}}},
		{"plain", "plain.mp4", [][]float64{{0.1, 0.2, 0.3, 0.5}}},
	} {
		line(map[string]any{"type": "video", "video_id": v.id, "filename": v.file, "duration": 12})
		for i, vec := range v.vecs {
			line(map[string]any{"video_id": v.id, "model_name": model, "embedding_option": "visual", "embedding_scope": "clip",
				"start_sec": 6 * i, "end_sec": 6*i + 6, "embedding": vec})
		}
	}
	path := filepath.Join(t.TempDir(), "hostile.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestHumanOutputEscapesControlCharacters(t *testing.T) {
	const (
		id      = "ev\x1b[2Jil\a\r\nid\u009b"
		idShown = `ev\x1b[2Jil\a\r\nid\u009b`
		file    = "f\x1b]0;pwned\a\t.mp4\x7f"
		// Shown = escaped, not quoted: ordinary names stay as they are.
		fileShown  = `f\x1b]0;pwned\a\t.mp4\x7f`
		model      = "m\x1b[31mx"
		modelShown = `m\x1b[31mx`
	)
	db := tempDB(t)
	src := writeHostileExport(t, id, file, model)
	if out, errs, code := run(t, db, "", "import", src); code != command.ExitOK {
		t.Fatalf("import: code %d\n%s%s", code, out, errs)
	}
	for _, tc := range []struct {
		name  string
		args  []string
		shown []string
		lines int // the table's own, 0: not checked
	}{
		{"Videos", []string{"videos"}, []string{idShown, fileShown, "plain.mp4"}, 3},
		// FILE is shortened to fit 80 columns: its start is enough.
		{"SearchHits", []string{"search", "--like", "plain@1"}, []string{idShown, `f\x1b]0;`, modelShown}, 0},
		{"SearchQuery", []string{"search", "--like", id + "@1", "--include-self"}, []string{"of video " + idShown}, 0},
		{"Stats", []string{"stats"}, []string{modelShown + "/4"}, 0},
		{"IndexStatus", []string{"index", "status"}, []string{modelShown + "/4"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := run(t, db, "", tc.args...)
			if code != command.ExitOK {
				t.Fatalf("code %d %s", code, errs)
			}
			if c, ok := rawControl(out); ok {
				t.Errorf("output holds a raw %q:\n%s", c, out)
			}
			for _, s := range tc.shown {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %s:\n%s", s, out)
				}
			}
			if n := strings.Count(out, "\n"); tc.lines > 0 && n != tc.lines {
				t.Errorf("%d lines, want %d:\n%s", n, tc.lines, out)
			}
		})
	}
	// JSON carries the bytes as they are (encoding/json escapes them).
	out, _, _ := run(t, db, "", "videos", "--json")
	var videos []struct {
		ID       string `json:"video_id"`
		Filename string `json:"filename"`
	}
	if err := json.Unmarshal([]byte(out), &videos); err != nil || len(videos) != 2 || videos[0].ID != id && videos[1].ID != id {
		t.Errorf("videos --json: %v %+v", err, videos)
	}
	t.Run("Errors", func(t *testing.T) {
		_, errs, code := run(t, db, "", "search", "--like-video", "x\x1b[2Jy\r")
		if code != command.ExitNotFound || !strings.Contains(errs, `x\x1b[2Jy\r`) {
			t.Errorf("exit %d, stderr %q", code, errs)
		}
		if c, ok := rawControl(errs); ok {
			t.Errorf("stderr holds a raw %q: %q", c, errs)
		}
	})
	t.Run("ImportSummary", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("Windows file names cannot hold control characters")
		}
		dir := t.TempDir()
		bad := filepath.Join(dir, "bad\x1b[2J\xff.jsonl")
		if err := os.WriteFile(bad, []byte(`{"type":"header"`), 0o644); err != nil {
			t.Fatal(err)
		}
		out, errs, code := run(t, tempDB(t), "", "import", dir)
		if code != command.ExitInvalidInput || !strings.Contains(out+errs, `bad\x1b[2J\xff.jsonl`) {
			t.Errorf("exit %d\n%s%s", code, out, errs)
		}
		if c, ok := rawControl(out + errs); ok {
			t.Errorf("output holds a raw %q:\n%q\n%q", c, out, errs)
		}
	})
}
