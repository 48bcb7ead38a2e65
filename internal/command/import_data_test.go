package command_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/command"
)

const sampleExports = "../../testdata/sample/exports"

// TestImportVideoIDOfDifferentVideos: --video-id over the sample (36
// videos) is refused before anything is written, naming two inputs of
// different videos and the flag that merges them; with --merge-videos
// it imports; two tasks of one video are filed together.
func TestImportVideoIDOfDifferentVideos(t *testing.T) {
	db := tempDB(t)
	out, errs, code := run(t, db, "", "import", "--video-id", "x", sampleExports)
	want := "import: inputs of different videos: " + filepath.Join(sampleExports, "01-surfing-01.embed-task.json.gz") + " and " +
		filepath.Join(sampleExports, "02-cooking-01.embed-v2-task.json") + " both hold the visual clip at 0–6 s of marengo3.0/512; " +
		"filed under one video (x), one would replace the other"
	if code != command.ExitUsage || out != "" || !strings.Contains(errs, want) || !strings.Contains(errs, "--merge-videos") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 saying %q", code, out, errs, want)
	}
	if out, _, _ := run(t, db, "", "stats", "--json"); !strings.Contains(out, `"segments": 0`) {
		t.Errorf("a refused import wrote:\n%s", out)
	}
	out, errs, code = run(t, db, "", "import", "--video-id", "x", filepath.Join(sampleExports, "03-basketball-01.indexed-asset.json.gz"),
		filepath.Join(sampleExports, "06-mountain-biking-01.indexed-asset.json"))
	if code != command.ExitUsage || !strings.Contains(errs, "names video ") {
		t.Errorf("two indexed assets: exit %d\n%s%s", code, out, errs)
	}
	out, errs, code = run(t, db, "", "import", "--video-id", "x", "--merge-videos", sampleExports)
	if code != command.ExitOK || !strings.Contains(out, "36 files: imported ") {
		t.Fatalf("--merge-videos: exit %d\n%s%s", code, out, errs)
	}
	if out, _, _ := run(t, db, "", "videos", "--json"); strings.Count(out, `"video_id"`) != 1 || !strings.Contains(out, `"video_id": "x"`) {
		t.Errorf("videos after --merge-videos:\n%s", out)
	}
	if out, _, _ := run(t, db, "", "import", "--help"); !strings.Contains(out, "--merge-videos") || !strings.Contains(out, "Inputs that name no video") {
		t.Errorf("import --help does not explain --video-id's check:\n%s", out)
	}
}

// TestReimportUnchanged: importing the sample again reports every
// segment unchanged, writes nothing (same generation) and leaves the
// search graph without a tombstone.
func TestReimportUnchanged(t *testing.T) {
	db := sampleDB(t)
	status := func() (gen int64, deleted, nodes int) {
		t.Helper()
		out, _, _ := run(t, db, "", "index", "status", "--json")
		var st struct {
			Spaces []struct {
				Nodes, Deleted  int
				StoreGeneration int64 `json:"store_generation"`
			}
		}
		if err := json.Unmarshal([]byte(out), &st); err != nil || len(st.Spaces) != 1 {
			t.Fatalf("index status: %v\n%s", err, out)
		}
		return st.Spaces[0].StoreGeneration, st.Spaces[0].Deleted, st.Spaces[0].Nodes
	}
	gen, _, _ := status()
	out, errs, code := run(t, db, "", "import", sampleExports)
	if code != command.ExitOK || !strings.Contains(out, "36 files: imported 0, replaced 0, unchanged 1,284, skipped 0, rejected 0 files") ||
		strings.Contains(out, "graphs updated") {
		t.Fatalf("import again: exit %d\n%s%s", code, out, errs)
	}
	if g, deleted, nodes := status(); g != gen || deleted != 0 || nodes != 1284 {
		t.Errorf("after importing again: generation %d (was %d), %d tombstones, %d nodes; want it untouched", g, gen, deleted, nodes)
	}
	out, _, _ = run(t, db, "", "import", "--json", filepath.Join(sampleExports, "04-city-timelapse-01.embed-task.json"))
	var sum struct {
		Imported, Replaced, Unchanged int
		Files                         []struct{ Unchanged int }
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil || sum.Imported != 0 || sum.Replaced != 0 || sum.Unchanged == 0 ||
		len(sum.Files) != 1 || sum.Files[0].Unchanged != sum.Unchanged {
		t.Errorf("import --json: %v\n%s", err, out)
	}
}
