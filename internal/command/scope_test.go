package command_test

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/command"
)

// TestScopeVideoFindsEmbedV2WholeVideos: embed API v2 names a whole-video
// vector's scope "asset"; clipvec calls it video, so --scope video finds
// the v2 videos of the sample beside the v1 and indexed-asset ones (it
// left cooking-01 and cooking-04 out before), and --scope asset means
// the same.
func TestScopeVideoFindsEmbedV2WholeVideos(t *testing.T) {
	db := tempDB(t)
	var files []string
	for _, f := range []string{"02-cooking-01.embed-v2-task.json", "10-cooking-02.embed-task.json", "18-cooking-03.indexed-asset.json",
		"26-cooking-04.embed-v2-task.json", "34-cooking-05.embed-task.json"} {
		files = append(files, filepath.Join("../../testdata/sample/exports", f))
	}
	out, errs, code := run(t, db, "", append([]string{"import"}, files...)...)
	if code != command.ExitOK {
		t.Fatalf("import: code %d\n%s%s", code, out, errs)
	}
	const cooking03, cooking04, cooking01 = "6821d48ba9d4f4fb30f52d31", "6821e6aba9d4f4fb30f544b9", "6821ad59a9d4f4fb30f4fe21"
	for _, scope := range []string{"video", "asset"} {
		t.Run(scope, func(t *testing.T) {
			out, errs, code := run(t, db, "", "search", "--like-video", cooking03, "--scope", scope, "--json")
			if code != command.ExitOK {
				t.Fatalf("search: code %d: %s", code, errs)
			}
			var res struct {
				Hits []struct {
					VideoID string `json:"video_id"`
					Scope   string
					Source  struct{ Kind string }
				}
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("search --json: %v\n%s", err, out)
			}
			var v2 []string
			for _, h := range res.Hits {
				if h.Scope != "video" {
					t.Errorf("hit %+v: want scope video", h)
				}
				if h.Source.Kind == "embed-task-v2" {
					v2 = append(v2, h.VideoID)
				}
			}
			slices.Sort(v2)
			if want := []string{cooking01, cooking04}; !slices.Equal(v2, want) || len(res.Hits) != 4 {
				t.Errorf("hits %+v: want the 4 other videos, embed-v2's %v among them", res.Hits, want)
			}
		})
	}
	t.Run("ExitUsage", func(t *testing.T) {
		_, errs, code := run(t, db, "", "search", "--like-video", cooking03, "--scope", "whole")
		if code != command.ExitUsage || !strings.Contains(errs, `--scope "whole"`) {
			t.Errorf("--scope whole: code %d: %s", code, errs)
		}
	})
}
