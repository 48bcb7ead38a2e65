package command_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/command"
)

const fixtures = "../../testdata/twelvelabs"

// run runs clipvec with args against db and returns stdout, stderr and the
// exit code.
func run(t testing.TB, db string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"clipvec", "--db", db}, args...)
	code := command.Run(context.Background(), full, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

func tempDB(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "c.db")
}

func TestImportSearchExport(t *testing.T) {
	db := tempDB(t)
	out, errs, code := run(t, db, "", "import", filepath.Join(fixtures, "embed_task_retrieve.json"), filepath.Join(fixtures, "legacy"))
	if code != command.ExitOK || !strings.Contains(out, "imported 24") {
		t.Fatalf("import: code %d\n%s%s", code, out, errs)
	}

	out, errs, code = run(t, db, "", "search", "--like", "663e16ac4d11aff765088b3a@7", "--json")
	if code != command.ExitOK {
		t.Fatalf("search: code %d: %s", code, errs)
	}
	var res struct {
		Space struct{ Model string }
		Query struct {
			Kind string
			Clip struct {
				VideoID  string `json:"video_id"`
				Modality string
				Start    float64
			}
		}
		Hits []struct {
			VideoID  string `json:"video_id"`
			Start    float64
			Modality string
			Scope    string
			Score    float32
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("search --json: %v\n%s", err, out)
	}
	if res.Space.Model != "marengo3.0" || res.Query.Kind != "clip" || res.Query.Clip.VideoID != "663e16ac4d11aff765088b3a" || res.Query.Clip.Start != 6 || res.Query.Clip.Modality != "visual" || len(res.Hits) != 4 {
		t.Fatalf("search result: %+v", res)
	}
	for _, h := range res.Hits {
		if h.Scope != "clip" || (h.Modality == "visual" && h.Start == 6) {
			t.Errorf("hit %+v: want clips only, without the query clip", h)
		}
	}

	out, _, code = run(t, db, "", "search", "--like", "663e16ac4d11aff765088b3a@7")
	if code != command.ExitOK || !strings.Contains(out, "SCORE") || !strings.Contains(out, "01.mp4") {
		t.Errorf("search table:\n%s", out)
	}

	exportPath := filepath.Join(t.TempDir(), "all.jsonl.gz")
	out, errs, code = run(t, db, "", "export", "-o", exportPath)
	if code != command.ExitOK || !strings.Contains(out, "exported 24 segments of 6 videos") {
		t.Fatalf("export: code %d\n%s%s", code, out, errs)
	}
	db2 := tempDB(t)
	if out, errs, code = run(t, db2, "", "import", exportPath); code != command.ExitOK || !strings.Contains(out, "imported 24") {
		t.Fatalf("import of export: code %d\n%s%s", code, out, errs)
	}
	a, _, _ := run(t, db, "", "export")
	b, _, _ := run(t, db2, "", "export")
	if a != b || !strings.HasPrefix(a, `{"type":"header"`) {
		t.Error("export of the re-imported export differs")
	}
}

func TestStdinImport(t *testing.T) {
	db := tempDB(t)
	body, err := os.ReadFile(filepath.Join(fixtures, "embed_v2_task.json"))
	if err != nil {
		t.Fatal(err)
	}
	out, errs, code := run(t, db, string(body), "import", "--video-id", "clip7", "-")
	if code != command.ExitOK || !strings.Contains(out, "imported 2") {
		t.Fatalf("code %d\n%s%s", code, out, errs)
	}
	out, _, _ = run(t, db, "", "videos", "--json")
	var videos []struct {
		ID       string `json:"video_id"`
		Segments int
	}
	if err := json.Unmarshal([]byte(out), &videos); err != nil || len(videos) != 1 || videos[0].ID != "clip7" || videos[0].Segments != 2 {
		t.Fatalf("videos: %v %s", err, out)
	}
}

func TestExitCodes(t *testing.T) {
	db := tempDB(t)
	run(t, db, "", "import", filepath.Join(fixtures, "embed_task_retrieve.json"))
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"UsageNoQuery", []string{"search"}, command.ExitUsage, "give exactly one of"},
		{"UsageTwoQueries", []string{"search", "--like", "a@1", "--like-video", "b"}, command.ExitUsage, "exactly one"},
		{"UsageBadFlag", []string{"search", "--nope"}, command.ExitUsage, "clipvec search: unknown flag --nope"},
		{"UsageBadLike", []string{"search", "--like", "663e16ac4d11aff765088b3a"}, command.ExitUsage, "want VIDEO@TIME"},
		{"UsageFlagAfterArgs", []string{"import", "x.json", "--skip-invalid"}, command.ExitUsage, "put flags first"},
		{"UsageBadK", []string{"search", "--like-video", "x", "-k", "0"}, command.ExitUsage, "positive"},
		{"UsageWrongDimension", []string{"search", "--vector", filepath.Join(fixtures, "embed_v2_sync_text.json")}, command.ExitUsage, "no embedding space fits a 4-d query vector; the database has marengo3.0/2 (7 segments)"},
		{"NotFoundVideo", []string{"search", "--like-video", "nope"}, command.ExitNotFound, `--like-video "nope": no such video`},
		{"NotFoundClip", []string{"search", "--like", "663e16ac4d11aff765088b3a@99"}, command.ExitNotFound, "no clip at 99s (its clips cover 0–18 s)"},
		{"NotFoundDelete", []string{"delete", "nope"}, command.ExitNotFound, `"nope": no such video`},
		{"NotFoundImportPath", []string{"import", "/nonexistent/x.json"}, command.ExitNotFound, "no such file"},
		{"InvalidInput", []string{"import", filepath.Join(fixtures, "embed_task_status.json")}, command.ExitInvalidInput, `not ready: task 6641c0efc70bb578439bd909 is "processing"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs, code := run(t, db, "", tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d saying %q", code, errs, tc.code, tc.msg)
			}
		})
	}
}

func TestHelpTeaches(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"import", "--help"}, {"search", "--help"}, {"export", "--help"}} {
		out, _, code := run(t, tempDB(t), "", args...)
		if code != command.ExitOK || !strings.Contains(out, "Example") && !strings.Contains(out, "clipvec quickstart") {
			t.Errorf("%v: code %d, no examples:\n%s", args, code, out)
		}
	}
}

func TestStatsAndDelete(t *testing.T) {
	db := tempDB(t)
	run(t, db, "", "import", fixtures)
	out, _, code := run(t, db, "", "stats", "--json")
	var st struct {
		Videos, Segments int
		Spaces           []struct{ Model string }
	}
	if err := json.Unmarshal([]byte(out), &st); code != 0 || err != nil || st.Segments != 34 || len(st.Spaces) != 6 {
		t.Fatalf("stats: %d %v %s", code, err, out)
	}
	out, _, code = run(t, db, "", "delete", "663e16ac4d11aff765088b3a")
	if code != 0 || !strings.Contains(out, "deleted 1 video (7 segments)") {
		t.Fatalf("delete: %d %s", code, out)
	}
	out, _, _ = run(t, db, "", "stats")
	if !strings.Contains(out, "segments:   27") || !strings.Contains(out, "marengo2.7/4") {
		t.Errorf("stats after delete:\n%s", out)
	}
}

func TestQuickstart(t *testing.T) {
	into := filepath.Join(t.TempDir(), "q.db")
	var out, errb bytes.Buffer
	code := command.Run(context.Background(), []string{"clipvec", "quickstart", "--into", into, "--sample", "../../testdata/sample/exports"},
		strings.NewReader(""), &out, &errb)
	if code != 0 {
		t.Fatalf("quickstart: %d\n%s%s", code, out.String(), errb.String())
	}
	s := out.String()
	for _, want := range []string{"rejected 0 files", "clips like the visual clip", "videos like", "MATCHES", "export CLIPVEC_DB=" + into} {
		if !strings.Contains(s, want) {
			t.Errorf("quickstart output lacks %q:\n%s", want, s)
		}
	}
	// The clip query is from topic surfing: its best match must be too.
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "#  SCORE") {
			if !strings.Contains(lines[i+1], "surfing-") {
				t.Errorf("best match of a surfing clip: %s", lines[i+1])
			}
			break
		}
	}
}

func TestIndexCommands(t *testing.T) {
	db := tempDB(t)
	if _, errs, code := run(t, db, "", "import", "../../testdata/sample/exports"); code != 0 {
		t.Fatalf("import: %d %s", code, errs)
	}
	out, _, code := run(t, db, "", "index", "status", "--json")
	var st struct {
		Params struct{ M int }
		Spaces []struct {
			State string
			Nodes int
		}
	}
	if err := json.Unmarshal([]byte(out), &st); code != 0 || err != nil || len(st.Spaces) != 1 || st.Spaces[0].State != "current" ||
		st.Spaces[0].Nodes != 1284 || st.Params.M != 16 {
		t.Fatalf("index status: %d %v %s", code, err, out)
	}
	for _, tc := range []struct {
		args   []string
		method string
	}{
		// The default clip filter leaves few enough of the sample's 1,284
		// segments to compare exactly; --scope any walks the graph.
		{[]string{"search", "--vector", "../../testdata/sample/queries.json#surfing", "--json"}, `"method": "exact-filtered"`},
		{[]string{"search", "--vector", "../../testdata/sample/queries.json#surfing", "--scope", "any", "--json"}, `"method": "graph"`},
		{[]string{"search", "--vector", "../../testdata/sample/queries.json#surfing", "--scope", "any", "--ef", "300", "--json"}, `"ef": 300`},
		{[]string{"search", "--vector", "../../testdata/sample/queries.json#surfing", "--exact", "--json"}, `"method": "exact"`},
	} {
		out, errs, code := run(t, db, "", tc.args...)
		if code != 0 || !strings.Contains(out, tc.method) {
			t.Errorf("%v: %d %s, want %s in\n%s", tc.args, code, errs, tc.method, out)
		}
	}
	if out, errs, code := run(t, db, "", "index", "build", "--m", "24", "--ef", "90"); code != 0 || !strings.Contains(out, "built 1 graph") {
		t.Fatalf("index build: %d %s %s", code, out, errs)
	}
	out, _, _ = run(t, db, "", "index", "status")
	if !strings.Contains(out, "M 24, efConstruction 200, ef 90 (fixed)") {
		t.Errorf("status after build:\n%s", out)
	}
	if out, _, _ := run(t, db, "", "search", "--vector", "../../testdata/sample/queries.json#surfing", "--scope", "any", "--json"); !strings.Contains(out, `"ef": 90`) {
		t.Errorf("search after index build --ef 90 does not use it:\n%s", out)
	}
	if _, errs, code := run(t, db, "", "index", "build", "--ef", "90", "--target-recall", "0.9"); code != command.ExitUsage || !strings.Contains(errs, "give one or the other") {
		t.Errorf("index build --ef --target-recall: exit %d %s", code, errs)
	}
	if _, errs, code := run(t, db, "", "index", "build", "--target-recall", "1"); code != command.ExitUsage || !strings.Contains(errs, "want 0.5 to 0.999") {
		t.Errorf("index build --target-recall 1: exit %d %s", code, errs)
	}
	if out, errs, code := run(t, db, "", "index", "build", "--target-recall", "0.99"); code != 0 {
		t.Fatalf("index build --target-recall 0.99: %d %s %s", code, out, errs)
	}
	out, _, _ = run(t, db, "", "index", "status", "--json")
	var cal struct {
		Params struct {
			Ef           int     `json:"ef"`
			TargetRecall float64 `json:"target_recall"`
		} `json:"params"`
		Spaces []struct {
			Ef          int     `json:"ef"`
			Recall      float64 `json:"recall"`
			Calibration struct {
				Target float64 `json:"target"`
				Ef     int     `json:"ef"`
				Nodes  int     `json:"nodes"`
				Source string  `json:"source"`
			} `json:"calibration"`
		} `json:"spaces"`
	}
	if err := json.Unmarshal([]byte(out), &cal); err != nil || len(cal.Spaces) != 1 {
		t.Fatalf("index status --json: %v\n%s", err, out)
	}
	sp := cal.Spaces[0]
	if cal.Params.Ef != 0 || cal.Params.TargetRecall != 0.99 || sp.Calibration.Target != 0.99 || sp.Calibration.Nodes != 1284 ||
		sp.Ef != sp.Calibration.Ef || sp.Ef < 10 || sp.Recall < 0.99 || sp.Calibration.Source != "synthetic queries" {
		t.Errorf("index status --json after --target-recall 0.99:\n%s", out)
	}
	out, _, _ = run(t, db, "", "search", "--vector", "../../testdata/sample/queries.json#surfing", "--scope", "any", "--json")
	if want := fmt.Sprintf(`"ef": %d,`, sp.Ef); !strings.Contains(out, want) || !strings.Contains(out, `"recall": `) {
		t.Errorf("search with the calibrated ef %d: want %s and a recall in\n%s", sp.Ef, want, out)
	}
	if out, _, code := run(t, db, "", "index", "compact"); code != 0 || !strings.Contains(out, "compacted 1 graph") {
		t.Errorf("index compact: %d %s", code, out)
	}
	if _, errs, code := run(t, db, "", "index", "build", "--m", "1"); code != command.ExitUsage || !strings.Contains(errs, "M = 1") {
		t.Errorf("index build --m 1: exit %d %s", code, errs)
	}
	if _, errs, code := run(t, db, "", "search", "--like-video", "x", "--ef", "-3"); code != command.ExitUsage {
		t.Errorf("--ef -3: exit %d %s", code, errs)
	}
}
