package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/clipvec/clipvec/internal/server"
	"github.com/clipvec/clipvec/pkg/clipvec"
	"github.com/clipvec/clipvec/pkg/clipvec/upstream"
	"github.com/clipvec/clipvec/pkg/twelvelabs"
	"github.com/clipvec/clipvec/pkg/twelvelabs/twelvelabstest"
)

// classification is POST /v1/classify's answer, with the field names
// the API documents (decoded loosely: a renamed field reads as zero).
type classification struct {
	Space struct {
		Model    string `json:"model"`
		Dim      int    `json:"dim"`
		Segments int    `json:"segments"`
	} `json:"space"`
	Classes []struct {
		Name        string             `json:"name"`
		Prompts     []string           `json:"prompts"`
		Cached      int                `json:"cached"`
		Thresholds  map[string]float64 `json:"thresholds"`
		Backgrounds map[string]struct {
			Clips  int     `json:"clips"`
			Median float64 `json:"median"`
			Spread float64 `json:"spread"`
		} `json:"backgrounds"`
		Calibrated bool `json:"calibrated"`
	} `json:"classes"`
	Videos []videoClasses `json:"videos"`
	Scored int            `json:"scored"`
}

type videoClasses struct {
	VideoID  string  `json:"video_id"`
	Filename string  `json:"filename"`
	Duration float64 `json:"duration"`
	Classes  []struct {
		Name          string  `json:"name"`
		Score         float32 `json:"score"`
		Z             float64 `json:"z"`
		DurationRatio float64 `json:"duration_ratio"`
		Clips         []struct {
			SegmentID int64   `json:"segment_id"`
			Modality  string  `json:"modality"`
			Start     float64 `json:"start"`
			End       float64 `json:"end"`
			Score     float32 `json:"score"`
			Prompt    string  `json:"prompt"`
		} `json:"clips"`
		Prompts []struct {
			Prompt string  `json:"prompt"`
			Score  float32 `json:"score"`
		} `json:"prompts"`
	} `json:"classes"`
}

// sampleModalities are the modalities of the sample's clips.
var sampleModalities = []string{"audio", "transcription", "visual"}

// sampleClasses are the sample's 8 topics as classes, each with one
// prompt (its query's text), and the vector of each prompt.
func sampleClasses(t testing.TB) ([]clipvec.Class, map[string][]float32) {
	t.Helper()
	var qs []struct {
		Topic  string    `json:"topic"`
		Text   string    `json:"text"`
		Vector []float32 `json:"vector"`
	}
	if err := json.Unmarshal(readFile(t, sampleQueries), &qs); err != nil {
		t.Fatal(err)
	}
	if len(qs) != 8 {
		t.Fatalf("%s: %d queries, want 8", sampleQueries, len(qs))
	}
	vecs := map[string][]float32{}
	var classes []clipvec.Class
	for _, q := range qs {
		vecs[q.Text] = q.Vector
		classes = append(classes, clipvec.Class{Name: q.Topic, Prompts: []string{q.Text}})
	}
	return classes, vecs
}

// mapEmbedder embeds the texts it holds, and counts its calls.
type mapEmbedder struct {
	vecs  map[string][]float32
	calls atomic.Int32
}

func (e *mapEmbedder) embed(ctx context.Context, sp clipvec.Space, in clipvec.QueryInput, image []byte) ([]float32, error) {
	e.calls.Add(1)
	v, ok := e.vecs[in.Text]
	if !ok {
		return nil, fmt.Errorf("mapEmbedder: no vector for %q", in.Text)
	}
	return slices.Clone(v), nil
}

// openSample opens the database at path, importing the sample into it
// when it is new. The caller closes it.
func openSample(t testing.TB, path string) *clipvec.DB {
	t.Helper()
	ctx := context.Background()
	db, err := clipvec.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := db.Videos(ctx)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	if len(vs) == 0 {
		if _, err := db.Import(ctx, []string{sampleExports}, clipvec.ImportOptions{}); err != nil {
			db.Close()
			t.Fatal(err)
		}
	}
	return db
}

// topicOf is the topic of a sample video: its file name up to the
// number ("city-timelapse-03.mp4" → "city-timelapse").
func topicOf(filename string) string {
	name := strings.TrimSuffix(filename, ".mp4")
	if i := strings.LastIndex(name, "-"); i > 0 {
		return name[:i]
	}
	return name
}

// TestClassify: the sample's 36 videos, classified into its 8 topics
// through the API, each get their topic as their best class; every field
// of the request changes the answer as documented; prompts embedded once
// are answered offline from then on.
func TestClassify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	db := openSample(t, path)
	defer db.Close()
	classes, vecs := sampleClasses(t)
	emb := &mapEmbedder{vecs: vecs}
	db.Embedder = emb.embed
	_, c := start(t, db, server.Options{})
	classify := func(t *testing.T, body any) classification {
		t.Helper()
		var out classification
		c.ok(c.do("POST", "/v1/classify", body), &out)
		return out
	}

	first := classify(t, map[string]any{"classes": classes})
	t.Run("Topics", func(t *testing.T) {
		got := first
		if got.Space.Model != "marengo3.0" || got.Space.Dim != 512 || !(got.Scored > 0 && got.Scored < got.Space.Segments) {
			t.Errorf("space %+v, scored %d", got.Space, got.Scored)
		}
		if n := emb.calls.Load(); n != 8 {
			t.Errorf("the embedder was called %d times, want once per prompt (8)", n)
		}
		if len(got.Classes) != len(classes) {
			t.Fatalf("%d classes, want %d", len(got.Classes), len(classes))
		}
		prompt := map[string]string{}
		for i, ci := range got.Classes {
			if ci.Name != classes[i].Name || !slices.Equal(ci.Prompts, classes[i].Prompts) || ci.Cached != 0 || !ci.Calibrated {
				t.Errorf("class %d: %+v, want %+v, nothing cached, calibrated", i, ci, classes[i])
			}
			prompt[ci.Name] = ci.Prompts[0]
			var mods []string
			for m, thr := range ci.Thresholds {
				mods = append(mods, m)
				bg := ci.Backgrounds[m]
				// The documented calibration: median + 4 robust SDs.
				if want := min(bg.Median+clipvec.BackgroundZ*bg.Spread, 1); math.Abs(thr-want) > 1e-9 || bg.Clips < clipvec.MinCalibrationClips || !(bg.Spread > 0) {
					t.Errorf("class %s, %s: threshold %g over background %+v, want %g", ci.Name, m, thr, bg, want)
				}
			}
			sort.Strings(mods)
			if !slices.Equal(mods, sampleModalities) {
				t.Errorf("class %s: thresholds for %v, want %v", ci.Name, mods, sampleModalities)
			}
		}
		thresholds := map[string]map[string]float64{}
		for _, ci := range got.Classes {
			thresholds[ci.Name] = ci.Thresholds
		}

		if len(got.Videos) != 36 {
			t.Fatalf("%d videos, want the sample's 36", len(got.Videos))
		}
		if !slices.IsSortedFunc(got.Videos, func(a, b videoClasses) int { return strings.Compare(a.VideoID, b.VideoID) }) {
			t.Error("videos are not in id order")
		}
		right, others := 0, 0
		for _, v := range got.Videos {
			topic := topicOf(v.Filename)
			if len(v.Classes) > 0 && v.Classes[0].Name == topic {
				right++
			} else {
				t.Logf("%s: best class is not %s: %+v", v.Filename, topic, v.Classes)
			}
			for i, vc := range v.Classes {
				if vc.Name != topic {
					others++
				}
				if i > 0 && vc.Score > v.Classes[i-1].Score {
					t.Errorf("%s: classes not best first", v.Filename)
				}
				if !(vc.DurationRatio > 0 && vc.DurationRatio <= 1) || !(vc.Z >= clipvec.BackgroundZ) {
					t.Errorf("%s, class %s: duration ratio %g, z %g", v.Filename, vc.Name, vc.DurationRatio, vc.Z)
				}
				if len(vc.Clips) < 1 || len(vc.Clips) > clipvec.DefaultClassifyClips || vc.Clips[0].Score != vc.Score || vc.Prompts != nil {
					t.Errorf("%s, class %s (score %g): %d clips (want 1 to %d, the best first), prompts %v",
						v.Filename, vc.Name, vc.Score, len(vc.Clips), clipvec.DefaultClassifyClips, vc.Prompts)
					continue
				}
				for j, cl := range vc.Clips {
					thr, ok := thresholds[vc.Name][cl.Modality]
					if !ok || float64(cl.Score) < thr || !(cl.Start >= 0 && cl.Start < cl.End && cl.End <= v.Duration) ||
						cl.Prompt != prompt[vc.Name] || cl.SegmentID <= 0 || j > 0 && cl.Score > vc.Clips[j-1].Score {
						t.Errorf("%s, class %s: clip %d %+v (threshold %g)", v.Filename, vc.Name, j, cl, thr)
					}
				}
			}
		}
		if right < 34 {
			t.Errorf("%d of the 36 videos have their topic as their best class, want at least 34", right)
		}
		if others > 2 {
			t.Errorf("%d classes other than the video's topic hold, want at most 2", others)
		}
	})

	t.Run("Cached", func(t *testing.T) {
		before := emb.calls.Load()
		got := classify(t, map[string]any{"classes": classes})
		if n := emb.calls.Load() - before; n != 0 {
			t.Errorf("the embedder was called %d more times for cached prompts", n)
		}
		for _, ci := range got.Classes {
			if ci.Cached != 1 {
				t.Errorf("class %s: cached %d, want 1", ci.Name, ci.Cached)
			}
		}
		if !reflect.DeepEqual(got.Videos, first.Videos) {
			t.Error("the answer from cached prompts differs from the first")
		}
	})

	t.Run("Threshold", func(t *testing.T) {
		got := classify(t, map[string]any{"classes": classes, "threshold": 0.99})
		for _, ci := range got.Classes {
			if ci.Calibrated || len(ci.Thresholds) != 3 {
				t.Errorf("class %s: calibrated %v, thresholds %v", ci.Name, ci.Calibrated, ci.Thresholds)
			}
			for m, thr := range ci.Thresholds {
				if thr != 0.99 {
					t.Errorf("class %s: %s threshold %g, want the 0.99 given", ci.Name, m, thr)
				}
			}
		}
		for _, v := range got.Videos {
			if len(v.Classes) != 0 {
				t.Errorf("%s: classes %+v at similarity 0.99", v.Filename, v.Classes)
			}
		}
		// At -1 every class holds on every clip: top keeps the best 2.
		all := classify(t, map[string]any{"classes": classes, "threshold": -1})
		top := classify(t, map[string]any{"classes": classes, "threshold": -1, "top": 2})
		for i, v := range top.Videos {
			if len(all.Videos[i].Classes) != 8 || len(v.Classes) != 2 || v.Classes[0].Name != all.Videos[i].Classes[0].Name {
				t.Errorf("%s: %d classes at threshold -1, %d with top 2 (want 8 and 2)", v.Filename, len(all.Videos[i].Classes), len(v.Classes))
			}
		}
	})

	t.Run("Filters", func(t *testing.T) {
		got := classify(t, map[string]any{"classes": classes, "modalities": []string{"visual"},
			"videos": []string{surfing, cooking}, "clips": 1, "model": "marengo3.0"})
		if len(got.Videos) != 2 || got.Videos[0].VideoID != surfing || got.Videos[1].VideoID != cooking {
			t.Fatalf("videos %+v, want surfing-01 and cooking-01", got.Videos)
		}
		for i, ci := range got.Classes {
			// Calibrated on every visual clip, whatever videos says.
			if len(ci.Thresholds) != 1 || ci.Thresholds["visual"] != first.Classes[i].Thresholds["visual"] {
				t.Errorf("class %s: thresholds %v, want only visual's %g", ci.Name, ci.Thresholds, first.Classes[i].Thresholds["visual"])
			}
		}
		for _, v := range got.Videos {
			if len(v.Classes) != 1 || v.Classes[0].Name != topicOf(v.Filename) {
				t.Errorf("%s: classes %+v", v.Filename, v.Classes)
				continue
			}
			if cl := v.Classes[0].Clips; len(cl) != 1 || cl[0].Modality != "visual" {
				t.Errorf("%s: clips %+v, want 1 visual", v.Filename, cl)
			}
		}
		// Empty lists restrict nothing, as in a search's filter.
		got = classify(t, map[string]any{"classes": classes, "modalities": []string{}, "videos": []string{}})
		if len(got.Videos) != 36 || len(got.Classes[0].Thresholds) != 3 {
			t.Errorf("empty videos and modalities: %d videos, thresholds %v", len(got.Videos), got.Classes[0].Thresholds)
		}
	})

	t.Run("MinDurationRatio", func(t *testing.T) {
		got := classify(t, map[string]any{"classes": classes, "min_duration_ratio": 1})
		kept := 0
		for _, v := range got.Videos {
			for _, vc := range v.Classes {
				kept++
				if vc.DurationRatio < 1 {
					t.Errorf("%s: class %s covers %g of the video, under the 1 asked", v.Filename, vc.Name, vc.DurationRatio)
				}
			}
		}
		// The sample has classes covering the whole video and classes
		// covering less: both sides of the cut are tested.
		if kept == 0 || kept >= 36 {
			t.Errorf("%d classes cover the whole of their video: the sample no longer tests the cut", kept)
		}
	})

	t.Run("Detailed", func(t *testing.T) {
		got := classify(t, map[string]any{"classes": classes[:1], "videos": []string{surfing}, "detailed": true})
		if len(got.Videos) != 1 || len(got.Videos[0].Classes) != 1 {
			t.Fatalf("videos %+v", got.Videos)
		}
		vc := got.Videos[0].Classes[0]
		if len(vc.Prompts) != 1 || vc.Prompts[0].Prompt != classes[0].Prompts[0] || vc.Prompts[0].Score != vc.Score {
			t.Errorf("prompts %+v, want the one prompt at the class's score %g", vc.Prompts, vc.Score)
		}
		if len(vc.Clips) <= clipvec.DefaultClassifyClips {
			t.Errorf("detailed lists %d clips: want every clip where the class holds, more than the default %d", len(vc.Clips), clipvec.DefaultClassifyClips)
		}
	})

	t.Run("Offline", func(t *testing.T) {
		db.Close()
		db2 := openSample(t, path) // no embedder: a server without an API key
		defer db2.Close()
		_, c2 := start(t, db2, server.Options{})
		var got classification
		c2.ok(c2.do("POST", "/v1/classify", map[string]any{"classes": classes}), &got)
		if !reflect.DeepEqual(got.Videos, first.Videos) {
			t.Error("offline, the cached prompts answer differently")
		}
		more := append(slices.Clone(classes), clipvec.Class{Name: "rain", Prompts: []string{"rain on a window"}})
		wantError(t, c2.do("POST", "/v1/classify", map[string]any{"classes": more}), http.StatusUnprocessableEntity, server.CodeNoCredentials, "",
			`1 of the 9 prompts is not cached`, `"rain on a window" (class "rain")`, "TWELVELABS_API_KEY")
	})
}

// TestClassifyErrors: each malformed or unanswerable classification is
// a 4xx JSON error saying what is wrong, as a search's would be.
func TestClassifyErrors(t *testing.T) {
	_, c := start(t, sampleDB, server.Options{})
	one := `"classes":[{"name":"surf","prompts":["a surfer"]}]`
	for name, tc := range map[string]struct {
		body   string
		status int
		code   string
		field  string
		msgs   []string
	}{
		"Empty":             {``, 400, server.CodeBadRequest, "", []string{"empty request body"}},
		"NoClasses":         {`{}`, 400, server.CodeBadRequest, "classes", []string{"classes is missing or empty"}},
		"EmptyClasses":      {`{"classes":[]}`, 400, server.CodeBadRequest, "classes", []string{"classes is missing or empty"}},
		"ClassesType":       {`{"classes":{"surf":["a surfer"]}}`, 400, server.CodeBadRequest, "classes", []string{"array"}},
		"PromptsType":       {`{"classes":[{"name":"surf","prompts":"a surfer"}]}`, 400, server.CodeBadRequest, "classes.prompts", []string{"array"}},
		"UnknownField":      {`{` + one + `,"k":3}`, 400, server.CodeBadRequest, "k", []string{`unknown field "k"`}},
		"UnknownClassField": {`{"classes":[{"name":"surf","prompt":["a surfer"]}]}`, 400, server.CodeBadRequest, "prompt", []string{`unknown field "prompt"`}},
		"Trailing":          {`{` + one + `} {}`, 400, server.CodeBadRequest, "", []string{"after the JSON object"}},
		"EmptyClass":        {`{"classes":[{"name":"surf","prompts":[]}]}`, 400, server.CodeBadRequest, "", []string{`class "surf" is empty`}},
		"NoPrompts":         {`{"classes":[{"name":"surf"}]}`, 400, server.CodeBadRequest, "", []string{`class "surf" is empty`}},
		"BlankPrompt":       {`{"classes":[{"name":"surf","prompts":["a surfer"," "]}]}`, 400, server.CodeBadRequest, "", []string{`class "surf" has a blank prompt`}},
		"NoName":            {`{"classes":[{"name":"surf","prompts":["a"]},{"name":" ","prompts":["b"]}]}`, 400, server.CodeBadRequest, "", []string{"class 2 has no name"}},
		"Duplicate":         {`{"classes":[{"name":"surf","prompts":["a"]},{"name":"surf","prompts":["b"]}]}`, 400, server.CodeBadRequest, "", []string{`class "surf" is given twice`}},
		"DuplicateCase":     {`{"classes":[{"name":"surf","prompts":["a"]},{"name":"Surf","prompts":["b"]}]}`, 400, server.CodeBadRequest, "", []string{`"surf" and "Surf" differ only in case`}},
		"ThresholdHigh":     {`{` + one + `,"threshold":1.5}`, 400, server.CodeBadRequest, "threshold", []string{"threshold is 1.5", "-1 to 1"}},
		"ThresholdLow":      {`{` + one + `,"threshold":-2}`, 400, server.CodeBadRequest, "threshold", []string{"threshold is -2"}},
		"ThresholdType":     {`{` + one + `,"threshold":"high"}`, 400, server.CodeBadRequest, "threshold", []string{"number"}},
		"MinDurationRatio":  {`{` + one + `,"min_duration_ratio":1.5}`, 400, server.CodeBadRequest, "min_duration_ratio", []string{"1.5", "0 to 1"}},
		"Top":               {`{` + one + `,"top":-1}`, 400, server.CodeBadRequest, "top", []string{"top is -1"}},
		"Clips":             {`{` + one + `,"clips":-2}`, 400, server.CodeBadRequest, "clips", []string{"clips is -2"}},
		"ClipsFraction":     {`{` + one + `,"clips":1.5}`, 400, server.CodeBadRequest, "clips", []string{"integer"}},
		"EmptyVideo":        {`{` + one + `,"videos":["` + surfing + `",""]}`, 400, server.CodeBadRequest, "videos", []string{"videos[1] is empty"}},
		"UnknownVideo":      {`{` + one + `,"videos":["no-such-video"]}`, 404, server.CodeNotFound, "", []string{`video "no-such-video": no such video`}},
		"UnknownModality":   {`{` + one + `,"modalities":["visual","smell"]}`, 400, server.CodeBadRequest, "", []string{`modality "smell"`, "audio, transcription, visual"}},
		"UnknownModel":      {`{` + one + `,"model":"marengo9"}`, 400, server.CodeBadRequest, "", []string{"marengo9"}},
		"NoCredentials": {`{"classes":[{"name":"surf","prompts":["a surfer on a wave","a surfboard"]},{"name":"cook","prompts":["a chef"]}]}`,
			422, server.CodeNoCredentials, "", []string{"none of the 3 prompts is cached", `"a surfer on a wave" (class "surf")`,
				`"a surfboard" (class "surf")`, `"a chef" (class "cook")`, "TWELVELABS_API_KEY"}},
	} {
		t.Run(name, func(t *testing.T) {
			wantError(t, c.do("POST", "/v1/classify", tc.body), tc.status, tc.code, tc.field, tc.msgs...)
		})
	}

	// Videos are whole ids, as in a search's filter: a prefix or a file
	// name is unknown to both.
	for _, ref := range []string{surfing[:8], "surfing-01.mp4"} {
		t.Run("VideoRef", func(t *testing.T) {
			r := c.do("POST", "/v1/classify", `{`+one+`,"videos":["`+ref+`"]}`)
			wantError(t, r, 404, server.CodeNotFound, "", ref)
			q := clipvec.Query{LikeVideo: cooking, Filter: clipvec.Filter{Videos: []string{ref}}}
			if s := c.do("POST", "/v1/search", q); s.status != r.status {
				t.Errorf("video %q: classify answers %d, search %s", ref, r.status, s)
			}
		})
	}
	// An unknown modality or model, as a search answers it.
	for _, tc := range []struct{ classify, search string }{
		{`"modalities":["smell"]`, `"like_video":"` + cooking + `","filter":{"modalities":["smell"]}`},
		{`"model":"marengo9"`, `"text":"a surfer","model":"marengo9"`},
	} {
		r := c.do("POST", "/v1/classify", `{`+one+`,`+tc.classify+`}`)
		s := c.do("POST", "/v1/search", `{`+tc.search+`}`)
		if r.status != http.StatusBadRequest || s.status != r.status {
			t.Errorf("%s: classify answers %s; a search, %s", tc.classify, r, s)
		}
	}

	t.Run("TooLarge", func(t *testing.T) {
		_, small := start(t, sampleDB, server.Options{MaxBodyBytes: 2000})
		body := map[string]any{"classes": []clipvec.Class{{Name: "long", Prompts: []string{strings.Repeat("surf ", 500)}}}}
		wantError(t, small.do("POST", "/v1/classify", body), 413, server.CodeTooLarge, "", "2000 bytes")
	})
}

// TestClassifyKeyNotLogged: when TwelveLabs fails a prompt's embedding,
// the answer says so, and neither it nor the server's log holds the API
// key.
func TestClassifyKeyNotLogged(t *testing.T) {
	const key = "tlk_SECRET_do_not_print_0123456789"
	fake := twelvelabstest.NewServer(twelvelabstest.WithAPIKey(key))
	defer fake.Close()
	db := emptyDB(t)
	files := []string{filepath.Join(sampleExports, "02-cooking-01.embed-v2-task.json"), filepath.Join(sampleExports, "04-city-timelapse-01.embed-task.json")}
	if _, err := db.Import(context.Background(), files, clipvec.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	noRetry := twelvelabs.WithRetryPolicy(twelvelabs.RetryPolicy{MaxRetries: 0})
	var logs bytes.Buffer
	srv := server.New(db, server.Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	// The handler is called directly: its log lines are written before
	// it returns.
	post := func(body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/v1/classify", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		return rec
	}
	for _, tc := range []struct {
		name   string
		client *twelvelabs.Client
		fault  int
		status int
	}{
		{"OK", fake.Client(noRetry), 0, http.StatusOK},
		{"Upstream500", fake.Client(noRetry), 500, http.StatusBadGateway},
		{"RateLimited", fake.Client(noRetry), 429, http.StatusTooManyRequests},
		{"WrongKey", twelvelabs.NewClient(key+"x", twelvelabs.WithBaseURL(fake.URL), noRetry), 0, http.StatusBadGateway},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db.Embedder = upstream.Embedder(tc.client)
			fake.ClearFaults()
			if tc.fault != 0 {
				fake.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointEmbedV2, Status: tc.fault, RetryAfter: "1"})
			}
			logs.Reset()
			// A new prompt each time: a cached one would not go upstream.
			rec := post(`{"classes":[{"name":"night","prompts":["a city at night, ` + tc.name + `"]}],"threshold":0.2}`)
			if rec.Code != tc.status {
				t.Errorf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.status != http.StatusOK && !strings.Contains(rec.Body.String(), "TwelveLabs") {
				t.Errorf("the error does not say TwelveLabs failed: %s", rec.Body)
			}
			if logs.Len() == 0 {
				t.Fatal("nothing was logged")
			}
			for what, text := range map[string]string{"answer": rec.Body.String(), "log": logs.String()} {
				if strings.Contains(text, key) || strings.Contains(text, "SECRET") {
					t.Errorf("the %s holds the API key: %s", what, text)
				}
			}
		})
	}
}

// FuzzClassifyRequest sends arbitrary bodies to POST /v1/classify: the
// server answers each with a 2xx or 4xx and a JSON body, never a 500.
func FuzzClassifyRequest(f *testing.F) {
	for _, seed := range []string{
		`{"classes":[{"name":"surf","prompts":["a surfer"]}]}`,
		`{"classes":[{"name":"surf","prompts":["a surfer"]}],"threshold":-1,"top":1,"clips":1,"detailed":true}`,
		`{"classes":[{"name":"surf","prompts":["a surfer"]}],"videos":["` + surfing + `"],"modalities":["visual"],"min_duration_ratio":1}`,
		`{"classes":[{"name":"","prompts":[""]},{"name":"x","prompts":null}],"model":"marengo3.0/512"}`,
		`{"classes":[{"name":"a","prompts":["b"]}],"threshold":1e308,"top":-1}`,
		`{"classes":null,"videos":[""],"modalities":[""]}`,
		`{"classes":[7,"s",[]]}`,
		`[`,
	} {
		f.Add([]byte(seed))
	}
	h := server.New(sampleDB, server.Options{}).Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/v1/classify", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if s := rec.Code; s < 200 || s >= 300 && s < 400 || s >= 500 {
			t.Fatalf("POST /v1/classify %q: status %d: %s", body, s, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) || rec.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("POST /v1/classify %q: the answer is not JSON: %q", body, rec.Body)
		}
		if rec.Code >= 400 && !strings.HasPrefix(rec.Body.String(), `{"error":{"code":"`) {
			t.Fatalf("POST /v1/classify %q: %d without an error body: %s", body, rec.Code, rec.Body)
		}
	})
}
