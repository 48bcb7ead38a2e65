package command_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/command"
)

// TestImportHintsNameTheFlags: the engine's errors say what is missing in
// its own words; the CLI adds the flag that supplies it (issue 9: 6).
func TestImportHintsNameTheFlags(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, body, engine, hint string
	}{
		{"NoModel", `{"video_id":"v","start_sec":0,"end_sec":6,"embedding":[1,2,3]}` + "\n",
			"segment record has no model, and none was given", "(give the model with --model MODEL)"},
		{"NoVideo", `{"model_name":"m","start_sec":0,"end_sec":6,"embedding":[1,2,3]}` + "\n",
			"segment record has no video_id, and none was given", "(file the segments under a video with --video-id ID)"},
		{"BareVector", `[0.1, 0.2, 0.3]`,
			"search with it as a query vector instead", "(search with it: clipvec search --vector FILE)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".json")
			if err := os.WriteFile(path, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, errs, code := run(t, tempDB(t), "", "import", path)
			if code != command.ExitInvalidInput || !strings.Contains(errs, tc.engine) || !strings.Contains(errs, tc.hint) {
				t.Fatalf("exit %d:\n%s", code, errs)
			}
		})
	}
}
