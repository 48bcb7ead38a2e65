package command_test

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/command"
	"github.com/clipvec/clipvec/pkg/twelvelabs/twelvelabstest"
)

const (
	sampleClasses = "../../testdata/sample/classes.json"
	classifyKey   = "tlk_classify_5e1a9c3f7b2d"
)

// sampleTextServer is a fake TwelveLabs API whose text embedding gives
// the sample's topic queries (testdata/sample/queries.json) the vectors
// the sample generator made for them: the sample's own model of text.
func sampleTextServer(t *testing.T) *twelvelabstest.Server {
	t.Helper()
	data, err := os.ReadFile("../../testdata/sample/queries.json")
	if err != nil {
		t.Fatal(err)
	}
	var qs []struct {
		Text   string    `json:"text"`
		Vector []float32 `json:"vector"`
	}
	if err := json.Unmarshal(data, &qs); err != nil {
		t.Fatal(err)
	}
	var fixed []twelvelabstest.FixedText
	for _, q := range qs {
		fixed = append(fixed, twelvelabstest.FixedText{Model: "marengo3.0", Text: q.Text, Vector: q.Vector})
	}
	srv := twelvelabstest.NewServer(twelvelabstest.WithAPIKey(classifyKey), twelvelabstest.WithFixedTexts(fixed...))
	t.Cleanup(srv.Close)
	return srv
}

// classification is classify --json's output, as far as the tests read it.
type classification struct {
	Classes []struct {
		Name       string             `json:"name"`
		Cached     int                `json:"cached"`
		Thresholds map[string]float64 `json:"thresholds"`
	} `json:"classes"`
	Videos []struct {
		VideoID  string  `json:"video_id"`
		Filename string  `json:"filename"`
		Duration float64 `json:"duration"`
		Classes  []struct {
			Name          string  `json:"name"`
			Score         float32 `json:"score"`
			Z             float64 `json:"z"`
			DurationRatio float64 `json:"duration_ratio"`
			Clips         []struct {
				Modality string  `json:"modality"`
				Start    float64 `json:"start"`
				End      float64 `json:"end"`
				Score    float32 `json:"score"`
				Prompt   string  `json:"prompt"`
			} `json:"clips"`
			Prompts []struct {
				Prompt string  `json:"prompt"`
				Score  float32 `json:"score"`
			} `json:"prompts"`
		} `json:"classes"`
	} `json:"videos"`
	Scored int `json:"scored"`
}

// TestClassifySampleTopics is the acceptance test of classify: the
// sample's 36 videos into its 8 topics with a prompt each, the prompts
// embedded by the fake API the first time and read from the query cache,
// with no key, the second.
func TestClassifySampleTopics(t *testing.T) {
	t.Setenv("TWELVELABS_API_KEY", "")
	srv := sampleTextServer(t)
	db := sampleDB(t)
	classify := func(args ...string) classification {
		t.Helper()
		out, errs, code := run(t, db, "", append([]string{"classify", "--classes", sampleClasses, "--json"}, args...)...)
		if code != command.ExitOK {
			t.Fatalf("classify %v: exit %d\n%s", args, code, errs)
		}
		var res classification
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return res
	}
	res := classify("--api-key", classifyKey, "--base-url", srv.URL)
	if n := srv.Count(twelvelabstest.EndpointEmbedV2); n != 8 {
		t.Errorf("the first run made %d embed requests, want one per prompt (8)", n)
	}
	check := func(res classification) {
		t.Helper()
		if len(res.Videos) != 36 {
			t.Fatalf("%d videos classified, want the sample's 36", len(res.Videos))
		}
		agree, extra := 0, 0
		for _, v := range res.Videos {
			topic := v.Filename[:strings.LastIndexByte(v.Filename, '-')]
			if len(v.Classes) > 0 && v.Classes[0].Name == topic {
				agree++
			} else {
				t.Logf("%s: classes %+v", v.Filename, v.Classes)
			}
			extra += max(len(v.Classes)-1, 0)
		}
		if agree < 34 {
			t.Errorf("%d of 36 videos' best class is their topic, want at least 34", agree)
		}
		if extra > 2 {
			t.Errorf("%d classes hold besides the videos' best, want at most 2 (each sample video shows one topic)", extra)
		}
	}
	check(res)
	for _, c := range res.Classes {
		if c.Cached != 0 || len(c.Thresholds) != 3 {
			t.Errorf("class %s: %d prompts cached before the first run, thresholds %v: want 0, and one per modality", c.Name, c.Cached, c.Thresholds)
		}
	}

	// Offline: no key, no server needed; the same answer.
	srv.Close()
	again := classify()
	check(again)
	for _, c := range again.Classes {
		if c.Cached != 1 {
			t.Errorf("class %s: %d prompts from the cache on the second run, want 1", c.Name, c.Cached)
		}
	}
	if a, b := mustJSON(t, res.Videos), mustJSON(t, again.Videos); a != b {
		t.Errorf("the cached run classified differently from the first")
	}
}

// TestClassifyDurationRatio checks duration ratios by hand on one video,
// news-studio-01.mp4: 49.5495 s (clipvec videos --json news-studio-01.mp4), clips of 6 s from 0 to 48 s in audio and
// visual (clipvec videos news-studio-01.mp4 lists them). Its clips'
// similarities to "a news anchor speaking in a studio" (from
// --detailed): audio 42–48 0.4917, audio 30–36 0.4618, audio 36–42
// 0.4603, visual 42–48 0.4549, audio 24–30 0.4527, then 0.4227 and below.
func TestClassifyDurationRatio(t *testing.T) {
	t.Setenv("TWELVELABS_API_KEY", "")
	srv := sampleTextServer(t)
	db := sampleDB(t)
	ratio := func(args ...string) (float64, int) {
		t.Helper()
		full := append([]string{"classify", "--class", "news=a news anchor speaking in a studio", "--video", "news-studio-01.mp4",
			"--json", "--detailed", "--api-key", classifyKey, "--base-url", srv.URL}, args...)
		out, errs, code := run(t, db, "", full...)
		if code != command.ExitOK {
			t.Fatalf("%v: exit %d\n%s", full, code, errs)
		}
		var res classification
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		if len(res.Videos) != 1 || len(res.Videos[0].Classes) != 1 {
			t.Fatalf("%v: want one video with one class, got %s", full, out)
		}
		k := res.Videos[0].Classes[0]
		return k.DurationRatio, len(k.Clips)
	}
	for _, c := range []struct {
		threshold string
		want      float64 // covered seconds / 49.5495
		clips     int
	}{
		// 0.46: audio 30–36, 36–42, 42–48: 18 s.
		{"0.46", 18 / 49.5495, 3},
		// 0.45: adds visual 42–48 (already covered) and audio 24–30: 24 s.
		{"0.45", 24 / 49.5495, 5},
		// 0.4: every clip, 0–48 in both modalities: 48 s.
		{"0.4", 48 / 49.5495, 16},
	} {
		got, clips := ratio("--threshold", c.threshold)
		if math.Abs(got-c.want) > 1e-9 || clips != c.clips {
			t.Errorf("--threshold %s: duration ratio %.6f over %d clips, want %.6f over %d", c.threshold, got, clips, c.want, c.clips)
		}
	}
	// The calibrated threshold (about 0.34 for audio and visual) takes
	// every clip too.
	if got, _ := ratio(); math.Abs(got-48/49.5495) > 1e-9 {
		t.Errorf("calibrated: duration ratio %.6f, want %.6f", got, 48/49.5495)
	}
	// --min-duration-ratio drops the class below its share.
	out, _, _ := run(t, db, "", "classify", "--class", "news=a news anchor speaking in a studio", "--video", "news-studio-01.mp4",
		"--threshold", "0.46", "--min-duration-ratio", "0.4", "--json")
	var res classification
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Videos) != 1 || len(res.Videos[0].Classes) != 0 {
		t.Errorf("--min-duration-ratio 0.4 over a 36%% class: want the video with no class, got %s", out)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestClassifyMistakes: each mistake is refused with its exit code and a
// message that names it, before anything is embedded.
func TestClassifyMistakes(t *testing.T) {
	t.Setenv("TWELVELABS_API_KEY", "")
	db := sampleDB(t)
	dir := t.TempDir()
	write := func(name, body string) string {
		path := dir + "/" + name
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cached := "surfing=a surfer riding a big wave"
	// Cache the one prompt the cases below use, so that only the case
	// about an uncached prompt meets one.
	srv := sampleTextServer(t)
	if _, errs, code := run(t, db, "", "classify", "--class", cached, "--api-key", classifyKey, "--base-url", srv.URL); code != command.ExitOK {
		t.Fatalf("caching the prompt: %s", errs)
	}
	for _, c := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"no classes", nil, command.ExitUsage, []string{"give classes", "--class NAME=PROMPT"}},
		{"empty class", []string{"--class", cached, "--class", "cooking="}, command.ExitUsage, []string{`class "cooking" is empty`}},
		{"empty class in a file", []string{"--classes", write("empty.json", `[{"name": "cooking", "prompts": []}]`)}, command.ExitUsage, []string{`class "cooking" is empty`}},
		{"no name", []string{"--class", "=a surfer"}, command.ExitUsage, []string{"class 1 has no name"}},
		{"no =", []string{"--class", "surfing"}, command.ExitUsage, []string{`--class "surfing"`, "NAME=PROMPT"}},
		{"duplicate name", []string{"--class", cached, "--class", "surfing=waves"}, command.ExitUsage, []string{`class "surfing" is given twice`}},
		{"names differing in case", []string{"--class", cached, "--class", "Surfing=waves"}, command.ExitUsage, []string{`"surfing" and "Surfing" differ only in case`}},
		{"threshold above 1", []string{"--class", cached, "--threshold", "1.5"}, command.ExitUsage, []string{"threshold 1.5", "-1 to 1"}},
		{"threshold below -1", []string{"--class", cached, "--threshold", "-2"}, command.ExitUsage, []string{"threshold -2", "-1 to 1"}},
		{"duration ratio", []string{"--class", cached, "--min-duration-ratio", "50"}, command.ExitUsage, []string{"duration ratio 50", "0 to 1"}},
		{"top", []string{"--class", cached, "--top", "0"}, command.ExitUsage, []string{"--top 0"}},
		{"unknown modality", []string{"--class", cached, "--modality", "vis"}, command.ExitUsage, []string{`--modality "vis"`, "audio, transcription, visual"}},
		{"unknown video", []string{"--class", cached, "--video", "no-such.mp4"}, command.ExitNotFound, []string{"no-such.mp4", "clipvec videos"}},
		{"uncached prompt, no key", []string{"--class", cached, "--class", "cooking=a chef at a stove,a kitchen"}, command.ExitFailure,
			[]string{"2 of the 3 prompts are not cached", `"a chef at a stove" (class "cooking")`, `"a kitchen" (class "cooking")`, "TWELVELABS_API_KEY"}},
		{"bad JSON", []string{"--classes", write("bad.json", "[\n  {\"name\": \"a\",}\n]")}, command.ExitUsage, []string{"bad.json: line 2, column 16"}},
		{"unknown field", []string{"--classes", write("field.json", `[{"name": "a", "prompt": ["x"]}]`)}, command.ExitUsage, []string{"field.json", `unknown field "prompt"`}},
		{"not an array", []string{"--classes", write("obj.json", `{"name": "a"}`)}, command.ExitUsage, []string{"obj.json", `want [{"name"`}},
		{"no file", []string{"--classes", dir + "/none.json"}, command.ExitUsage, []string{"none.json", "no such file"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, errs, code := run(t, db, "", append([]string{"classify"}, c.args...)...)
			if code != c.code {
				t.Errorf("exit %d, want %d\n%s%s", code, c.code, out, errs)
			}
			for _, w := range c.want {
				if !strings.Contains(errs, w) {
					t.Errorf("error %q does not say %q", errs, w)
				}
			}
			if out != "" {
				t.Errorf("printed %q on stdout", out)
			}
		})
	}
}

// TestClassifyTable: the human table fits 80 columns, names each video
// once, and lists a class's best clips as m:ss.
func TestClassifyTable(t *testing.T) {
	t.Setenv("TWELVELABS_API_KEY", "")
	srv := sampleTextServer(t)
	db := sampleDB(t)
	out, errs, code := run(t, db, "", "classify", "--classes", sampleClasses, "--api-key", classifyKey, "--base-url", srv.URL)
	if code != command.ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, line := range strings.Split(out, "\n") {
		if n := len([]rune(line)); n > 80 {
			t.Errorf("a line of %d columns: %q", n, line)
		}
	}
	for _, want := range []string{
		"8 classes, 8 prompts: embedded upstream by marengo3.0/512, now cached",
		"VIDEO                   CLASS             SCORE    Z  RATIO  TOP CLIPS",
		// news-studio-01: best clips at 42, 30 and 36 s; 48 of 49.55 s.
		"news-studio-01.mp4      news-studio      0.4917  7.0    96%  0:42 0:30 0:36",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the table does not show %q:\n%s", want, out)
		}
	}
	out, _, _ = run(t, db, "", "classify", "--class", "news=a news anchor speaking in a studio", "--video", "news-studio-01.mp4", "--threshold", "0.46", "--detailed")
	for _, want := range []string{
		"a class holds on a clip scoring 0.46 or more (--threshold)",
		"news-studio-01.mp4  news   0.4917  7.0    36%  0:42 0:30 0:36",
		`prompt "a news anchor speaking in a studio": best clip 0.4917`,
		"holds on 3 clips:\n      0:30.0–0:36.0  audio          0.4618\n      0:36.0–0:42.0  audio          0.4603\n      0:42.0–0:48.0  audio          0.4917\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--detailed does not show %q:\n%s", want, out)
		}
	}
	// Many clips asked for: the table shows the times that fit.
	out, _, _ = run(t, db, "", "classify", "--classes", sampleClasses, "--clips", "12")
	for _, line := range strings.Split(out, "\n") {
		if n := len([]rune(line)); n > 80 {
			t.Errorf("--clips 12: a line of %d columns: %q", n, line)
		}
	}
	if !strings.Contains(out, "news-studio-01.mp4      news-studio      0.4917  7.0    96%  0:42 0:30 0:36 0:24") {
		t.Errorf("--clips 12: want as many of the best times as fit:\n%s", out)
	}
	out, _, _ = run(t, db, "", "classify", "--class", "news=a news anchor speaking in a studio", "--threshold", "0.6")
	if !strings.Contains(out, "no class holds on 36 videos: ") {
		t.Errorf("a threshold no clip reaches: want the videos listed as holding no class:\n%s", out)
	}
}
