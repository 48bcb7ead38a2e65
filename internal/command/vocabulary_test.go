package command_test

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/command"
)

// TestOneVocabulary: modality is the one word for TwelveLabs' embedding
// option, in help, flags and --json; whole-video vectors are scope video
// (issue 9: 4).
func TestOneVocabulary(t *testing.T) {
	db := tempDB(t)
	if _, errs, code := run(t, db, "", "import", filepath.Join(fixtures, "embed_task_retrieve.json")); code != command.ExitOK {
		t.Fatalf("import: %s", errs)
	}
	option := regexp.MustCompile(`(?i)--option\b|\bOPTION\b`)
	for _, cmd := range [][]string{{"search", "--help"}, {"fetch", "task", "--help"}, {"fetch", "asset", "--help"},
		{"fetch", "index", "--help"}, {"embed", "--help"}, {"index", "--help"}} {
		out, errs, _ := run(t, db, "", cmd...)
		if m := option.FindString(out + errs); m != "" {
			t.Errorf("clipvec %s says %q:\n%s", strings.Join(cmd, " "), m, out)
		}
	}
	out, _, _ := run(t, db, "", "search", "--help")
	for _, want := range []string{"--modality MODALITY", "--query-modality MODALITY", "--scope SCOPE"} {
		if !strings.Contains(out, want) {
			t.Errorf("search --help lacks %q", want)
		}
	}
	if _, errs, code := run(t, db, "", "search", "--like", "663e16ac4d11aff765088b3a@7", "--option", "visual"); code != command.ExitUsage {
		t.Errorf("--option is gone, want a usage error: exit %d %s", code, errs)
	}
	out, errs, code := run(t, db, "", "search", "--like", "663e16ac4d11aff765088b3a@7", "--query-modality", "visual", "--json")
	if code != command.ExitOK {
		t.Fatalf("search: exit %d %s", code, errs)
	}
	var res struct {
		Query map[string]any
		Hits  []map[string]any
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Hits) == 0 {
		t.Fatalf("search --json: %v\n%s", err, out)
	}
	for _, h := range res.Hits {
		if _, ok := h["option"]; ok || h["modality"] == nil {
			t.Errorf("hit keys: %v", h)
		}
	}
	if clip, ok := res.Query["clip"].(map[string]any); !ok || clip["modality"] != "visual" {
		t.Errorf("query: %v", res.Query)
	}
	out, _, _ = run(t, db, "", "index", "status", "--json")
	if !strings.Contains(out, `"ef":`) || strings.Contains(out, "ef_search") {
		t.Errorf("index status --json: the search candidate list is ef, like --ef:\n%s", out)
	}
}
