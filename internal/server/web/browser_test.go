package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clipvec/clipvec/internal/server"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

// The browser tests drive the page in Debian's chromium (headless) with
// chromedp, against the real server over a database of the committed
// sample. Every browser step is bounded by stepTimeout, and the browser's
// whole life by browserTimeout, so a page that never settles fails the
// test instead of hanging it.
const (
	stepTimeout    = 20 * time.Second
	browserTimeout = 3 * time.Minute
	// width is the window's width: the screenshot's.
	width, height = 1200, 900
)

// sampleDir is the committed sample, from this package's directory.
var sampleDir = filepath.Join("..", "..", "..", "testdata", "sample")

// surfing is the sample's text query for its surfing topic
// (testdata/sample/queries.json), and the prefix of its videos' names.
const (
	surfing      = "a surfer riding a big wave"
	surfingTopic = "surfing-"
)

// chromium returns the browser's path, or skips the test when there is
// none; with CLIPVEC_BROWSER_TESTS=1 (as in CI) a missing browser fails it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CLIPVEC_BROWSER_TESTS") == "1" {
		t.Fatal("chromium not found, and CLIPVEC_BROWSER_TESTS=1 asks for the browser tests: apt-get install chromium")
	}
	t.Skip("chromium not found: apt-get install chromium to run the browser tests (CLIPVEC_BROWSER_TESTS=1 makes this a failure)")
	return ""
}

// tab is a browser tab for one test. Its methods fail the test on error.
type tab struct {
	t   *testing.T
	ctx context.Context

	// mu guards exceptions.
	mu         sync.Mutex
	exceptions []string
}

// newTab starts a headless chromium with a fresh profile, stopped when
// the test ends, and returns its tab.
func newTab(t *testing.T) *tab {
	t.Helper()
	exe := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)
	life, cancelLife := context.WithTimeout(context.Background(), browserTimeout)
	actx, cancelAlloc := chromedp.NewExecAllocator(life, opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser to exit, before its profile goes
		cancelLife()
	})
	// The first Run starts the browser and ties it to ctx (not to a step's
	// timeout), bounded by browserTimeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	tb := &tab{t: t, ctx: ctx}
	console := chromedp.Console(ctx)
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			if m.IsException() {
				tb.mu.Lock()
				tb.exceptions = append(tb.exceptions, m.String())
				tb.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		for _, e := range tb.exceptions {
			t.Errorf("uncaught in the page: %s", e)
		}
	})
	return tb
}

// do runs steps within one stepTimeout.
func (tb *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.t.Fatalf("%s: %v", what, err)
	}
}

// run runs one action within stepTimeout and returns its value.
func run[T any](tb *tab, what string, a chromedp.Action[T]) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		tb.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// eval evaluates a JavaScript expression and decodes its value.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	return run(tb, "evaluate "+expr, chromedp.Evaluate[T](expr))
}

// waitFor waits until a JavaScript expression is truthy; when it is not
// within stepTimeout, the test fails showing the page's heading, status,
// error and token prompt.
func (tb *tab) waitFor(what, expr string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	var err error
	for {
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(stepTimeout)))
		// A poll begun as a navigation replaces the page's JavaScript
		// context loses it ("Cannot find context with specified id"):
		// poll again, in the new page, within the same time limit.
		if err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "Cannot find context with specified id") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		state, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`["summary", "query", "status", "error", "token-message"]
			.map((id) => id + ": " + JSON.stringify(document.getElementById(id).textContent)).join("; ")`))
		tb.t.Fatalf("waiting for %s: %v\npage: %s", what, err, state)
	}
}

// settled is true once a search has drawn its answer, whose heading is
// query: no search in flight and nothing waiting for a token.
func settled(query string) string {
	return fmt.Sprintf(`document.getElementById("query").textContent === %s &&
		!document.getElementById("results").hasAttribute("aria-busy") &&
		document.getElementById("token-form").hidden`, jsString(query))
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// fromTest marks the test's own requests to the API, which apiLog
// passes straight through.
const fromTest = "X-Clipvec-Test"

// apiLog wraps the API: it records the bodies of the searches the page
// sends and, while gate is set, holds them until it is closed; with
// videosLimit, it cuts the page's GET /v1/videos to that many, as if the
// database held more videos than one page lists. It is safe for
// concurrent use.
type apiLog struct {
	h http.Handler

	// mu guards the fields below it.
	mu          sync.Mutex
	searches    [][]byte
	gate        chan struct{}
	videosLimit int
}

func (l *apiLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(fromTest) != "" {
		l.h.ServeHTTP(w, r)
		return
	}
	l.mu.Lock()
	limit := l.videosLimit
	l.mu.Unlock()
	if r.Method == http.MethodGet && r.URL.Path == "/v1/videos" && limit > 0 {
		q := r.URL.Query()
		q.Set("limit", fmt.Sprint(limit))
		r.URL.RawQuery = q.Encode()
	}
	if r.Method == http.MethodPost && r.URL.Path == "/v1/search" {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		l.mu.Lock()
		l.searches = append(l.searches, body)
		gate := l.gate
		l.mu.Unlock()
		if gate != nil {
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			}
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	l.h.ServeHTTP(w, r)
}

// hold makes searches wait until the returned func is called.
func (l *apiLog) hold() (release func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	gate := make(chan struct{})
	l.gate = gate
	return sync.OnceFunc(func() {
		l.mu.Lock()
		l.gate = nil
		l.mu.Unlock()
		close(gate)
	})
}

// search returns the body of the page's i-th search (0-based).
func (l *apiLog) search(t testing.TB, i int) []byte {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if i >= len(l.searches) {
		t.Fatalf("the page sent %d searches, want at least %d", len(l.searches), i+1)
	}
	return l.searches[i]
}

// site is the server under test.
type site struct {
	url   string
	token string
	log   *apiLog
}

// newSite serves db's API and page over HTTP, with token as its access
// token ("" for none), until the test ends.
func newSite(t *testing.T, db *clipvec.DB, token string) *site {
	t.Helper()
	log := &apiLog{h: server.New(db, server.Options{Token: token}).Handler()}
	ts := httptest.NewServer(log)
	t.Cleanup(ts.Close)
	return &site{url: ts.URL, token: token, log: log}
}

// call asks the API from Go, as the page does, and decodes its JSON answer
// into out; it returns the status.
func (s *site) call(t testing.TB, method, path string, body []byte, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(fromTest, "1")
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, raw)
		}
	}
	return resp.StatusCode
}

// searchAs replays a search the page sent and returns the API's answer.
func (s *site) searchAs(t testing.TB, body []byte) *clipvec.Result {
	t.Helper()
	var res clipvec.Result
	if code := s.call(t, http.MethodPost, "/v1/search", body, &res); code != http.StatusOK {
		t.Fatalf("POST /v1/search %s: status %d", body, code)
	}
	return &res
}

// videos returns the API's videos by id.
func (s *site) videos(t testing.TB) map[string]clipvec.Video {
	t.Helper()
	var body struct {
		Videos []clipvec.Video `json:"videos"`
	}
	if code := s.call(t, http.MethodGet, "/v1/videos?limit=1000", nil, &body); code != http.StatusOK {
		t.Fatalf("GET /v1/videos: status %d", code)
	}
	out := make(map[string]clipvec.Video, len(body.Videos))
	for _, v := range body.Videos {
		out[v.ID] = v
	}
	return out
}

// sampleDB imports the committed sample into a database in a temporary
// directory. With text, its Embedder turns the sample's topic texts into
// their query vectors (testdata/sample/queries.json), as TwelveLabs would
// turn them into vectors near their topic's clips.
func sampleDB(t *testing.T, text bool) *clipvec.DB {
	t.Helper()
	ctx := context.Background()
	db, err := clipvec.Open(ctx, filepath.Join(t.TempDir(), "clipvec.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Import(ctx, []string{filepath.Join(sampleDir, "exports")}, clipvec.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if text {
		db.Embedder = sampleEmbedder(t)
	}
	return db
}

// sampleEmbedder embeds each text of the sample's queries.json as its
// vector; any other input is an error.
func sampleEmbedder(t *testing.T) clipvec.QueryEmbedder {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(sampleDir, "queries.json"))
	if err != nil {
		t.Fatal(err)
	}
	var queries []struct {
		Text   string    `json:"text"`
		Vector []float32 `json:"vector"`
	}
	if err := json.Unmarshal(raw, &queries); err != nil {
		t.Fatal(err)
	}
	vectors := map[string][]float32{}
	for _, q := range queries {
		vectors[q.Text] = q.Vector
	}
	if vectors[surfing] == nil {
		t.Fatalf("%s has no query %q", sampleDir, surfing)
	}
	return func(ctx context.Context, sp clipvec.Space, in clipvec.QueryInput, image []byte) ([]float32, error) {
		if v := vectors[in.Text]; v != nil && in.Image == "" {
			return v, nil
		}
		return nil, fmt.Errorf("sample embedder: no vector for %+v", in)
	}
}

// setThumbnail gives a video a thumbnail URL, as an import of its
// clipvec export with one does.
func setThumbnail(t *testing.T, db *clipvec.DB, id, url string) {
	t.Helper()
	ctx := context.Background()
	var buf bytes.Buffer
	if _, err := db.Export(ctx, &buf, clipvec.ExportOptions{Videos: []string{id}}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	for i, line := range lines {
		var rec map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if string(rec["type"]) != `"video"` {
			continue
		}
		rec["thumbnail_url"] = json.RawMessage(jsString(url))
		b, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		lines[i] = string(b)
	}
	if _, err := db.ImportReader(ctx, id+".jsonl", strings.NewReader(strings.Join(lines, "\n")), clipvec.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if v, err := db.Video(ctx, id); err != nil || v.ThumbnailURL != url {
		t.Fatalf("video %s after the import of a thumbnail URL: %+v, %v", id, v, err)
	}
}

// checkThumbnails waits for the results' thumbnails to load or go, then
// checks that each video with a data: thumbnail (the sample's indexed
// assets have one) shows it, and that the others (none, or one that does
// not load) show none. It counts the videos of each kind in seen:
// "shown", "broken", "none".
func checkThumbnails(t *testing.T, tb *tab, videos map[string]clipvec.Video, seen map[string]int) {
	t.Helper()
	tb.waitFor("the thumbnails", `[...document.querySelectorAll("#results img.thumb")].every((i) => i.complete && i.naturalWidth > 0)`)
	for i, g := range eval[[]domGroup](tb, readResults) {
		v := videos[g.VideoID]
		shown := false
		switch {
		case strings.HasPrefix(v.ThumbnailURL, "data:image/"):
			shown = true
			seen["shown"]++
		case v.ThumbnailURL != "":
			seen["broken"]++
		default:
			seen["none"]++
		}
		if shown != (g.Thumbnail > 0) {
			t.Errorf("video %d, %s, thumbnail URL %.40q: thumbnail width %d (-1: none), want it shown: %v", i, v.Filename, v.ThumbnailURL, g.Thumbnail, shown)
		}
	}
}

// clock formats seconds as the page does: m:ss, or h:mm:ss.
func clock(s float64) string {
	n := int(math.Floor(math.Max(0, s) + 1e-6))
	if n >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", n/3600, n%3600/60, n%60)
	}
	return fmt.Sprintf("%d:%02d", n/60, n%60)
}

// summary is the header the page shows for st.
func summary(st *clipvec.Stats) string {
	var spaces []string
	for _, sp := range st.Spaces {
		spaces = append(spaces, sp.String())
	}
	noun := "spaces"
	if len(spaces) == 1 {
		noun = "space"
	}
	return fmt.Sprintf("%s videos · %s segments · %s %s", thousands(st.Videos), thousands(st.Segments), noun, strings.Join(spaces, ", "))
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// domGroup is one video of the results as the page drew it.
type domGroup struct {
	VideoID string      `json:"video_id"`
	Name    string      `json:"name"`
	Best    string      `json:"best"`
	Clips   int         `json:"clips"`
	Markers []domMarker `json:"markers"`
	// Thumbnail is the width of its thumbnail, -1 when none shows.
	Thumbnail int `json:"thumbnail"`
}

// domMarker is a clip's marker on a video's timeline.
type domMarker struct {
	VideoID  string  `json:"video_id"`
	Start    float64 `json:"start"`
	End      float64 `json:"end"`
	Score    float64 `json:"score"`
	Modality string  `json:"modality"`
	Left     float64 `json:"left"`  // style left, in %
	Width    float64 `json:"width"` // style width, in %
	Title    string  `json:"title"`
}

const readResults = `[...document.querySelectorAll("#results > li.video")].map((li) => ({
	video_id: li.dataset.videoId,
	name: li.querySelector(".video-name").textContent,
	best: li.querySelector(".best b").textContent,
	clips: li.querySelectorAll(".clips .clip").length,
	thumbnail: li.querySelector("img.thumb") ? li.querySelector("img.thumb").naturalWidth : -1,
	markers: [...li.querySelectorAll(".timeline .marker")].map((m) => ({
		video_id: m.dataset.videoId,
		start: Number(m.dataset.start),
		end: Number(m.dataset.end),
		score: Number(m.dataset.score),
		modality: m.dataset.modality,
		left: parseFloat(m.style.left),
		width: parseFloat(m.style.width),
		title: m.title,
	})),
}))`

// checkResults compares the results the page drew with the API's answer
// to the same search: one group per video in the order of its best hit,
// each with a marker per hit placed at start/duration along its timeline.
func checkResults(t *testing.T, got []domGroup, res *clipvec.Result, videos map[string]clipvec.Video, minGroups int) {
	t.Helper()
	type group struct {
		id   string
		hits []clipvec.Hit
	}
	var want []*group
	byID := map[string]*group{}
	for _, h := range res.Hits {
		g := byID[h.VideoID]
		if g == nil {
			g = &group{id: h.VideoID}
			byID[h.VideoID] = g
			want = append(want, g)
		}
		g.hits = append(g.hits, h)
	}
	if len(want) < minGroups {
		t.Fatalf("the API answered %d hits in %d videos; the test wants at least %d videos", len(res.Hits), len(want), minGroups)
	}
	if len(got) != len(want) {
		t.Fatalf("the page shows %d videos, the API's answer has %d", len(got), len(want))
	}
	for i, g := range want {
		dg := got[i]
		v := videos[g.id]
		if dg.VideoID != g.id || dg.Name != v.Filename {
			t.Fatalf("video %d on the page is %s (%q), want %s (%q)", i, dg.VideoID, dg.Name, g.id, v.Filename)
		}
		if want := fmt.Sprintf("%.2f", g.hits[0].Score); dg.Best != want {
			t.Errorf("%s: best score %s, want %s", v.Filename, dg.Best, want)
		}
		if len(dg.Markers) == 0 || len(dg.Markers) != len(g.hits) || dg.Clips != len(g.hits) {
			t.Fatalf("%s: %d markers and %d listed clips, want %d", v.Filename, len(dg.Markers), dg.Clips, len(g.hits))
		}
		duration := v.Duration
		if duration <= 0 {
			t.Fatalf("%s: no duration in GET /v1/videos", v.Filename)
		}
		for j, h := range g.hits {
			m := dg.Markers[j]
			if m.VideoID != h.VideoID || m.Start != h.Start || m.End != h.End || m.Modality != h.Modality || math.Abs(m.Score-float64(h.Score)) > 1e-6 {
				t.Errorf("%s marker %d: %+v, want hit %+v", v.Filename, j, m, h)
			}
			if want := 100 * h.Start / duration; math.Abs(m.Left-want) > 0.01 {
				t.Errorf("%s marker %d (%g–%g s of %g s): left %g%%, want %.3f%%", v.Filename, j, h.Start, h.End, duration, m.Left, want)
			}
			if want := 100 * (h.End - h.Start) / duration; math.Abs(m.Width-want) > 0.01 {
				t.Errorf("%s marker %d (%g–%g s of %g s): width %g%%, want %.3f%%", v.Filename, j, h.Start, h.End, duration, m.Width, want)
			}
			if want := fmt.Sprintf("%s–%s · score %.2f · %s", clock(h.Start), clock(h.End), h.Score, h.Modality); m.Title != want {
				t.Errorf("%s marker %d: tooltip %q, want %q", v.Filename, j, m.Title, want)
			}
		}
	}
}

// searchBody is the part of a search request the tests look at.
type searchBody struct {
	Text      string              `json:"text"`
	Like      *clipvec.SegmentRef `json:"like"`
	LikeVideo string              `json:"like_video"`
	K         int                 `json:"k"`
}

func decodeSearch(t *testing.T, body []byte) searchBody {
	t.Helper()
	var b searchBody
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatalf("the page's search %s: %v", body, err)
	}
	return b
}

// TestBrowserSearch searches the sample by text in the page, checks what
// it draws against the API's own answer, follows a clip's "more like
// this", reloads the link that search left in the URL, and looks at the
// page at a phone's width. With CLIPVEC_SCREENSHOT=path (relative to this
// package's directory) it writes a screenshot of the text search's
// results there; docs/serve.png is one:
//
//	CLIPVEC_SCREENSHOT=$PWD/docs/serve.png go test -run TestBrowserSearch ./internal/server/web/
func TestBrowserSearch(t *testing.T) {
	tb := newTab(t)
	db := sampleDB(t, true)
	s := newSite(t, db, "")
	st, err := db.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// A thumbnail the server does not have, for surfing-02: the page
	// leaves it out.
	for _, v := range s.videos(t) {
		if v.Filename == surfingTopic+"02.mp4" {
			setThumbnail(t, db, v.ID, s.url+"/no-such-thumbnail.png")
		}
	}
	videos := s.videos(t)
	// The page's list of videos holds the first 5 only: it must look up
	// the others its results name (their names and durations are checked).
	s.log.mu.Lock()
	s.log.videosLimit = 5
	s.log.mu.Unlock()

	tb.do("open the page", chromedp.Navigate(s.url+"/"))
	tb.waitFor("the database summary", fmt.Sprintf(`document.getElementById("summary").textContent === %s`, jsString(summary(st))))
	if n := eval[int](tb, `document.querySelectorAll("#q-video option").length`); n != 5 {
		t.Errorf("the video picker lists %d videos, want the 5 of GET /v1/videos", n)
	}
	if !eval[bool](tb, `!document.getElementById("text-row").hidden && document.querySelector('input[name="mode"][value="text"]').checked`) {
		t.Fatal("text search is on, but the page does not offer it")
	}

	// A text search.
	tb.do("search by text",
		chromedp.SendKeys(chromedp.ID("q-text"), surfing),
		chromedp.Click(chromedp.ID("search-button")))
	tb.waitFor("the text search's results", settled("Clips matching “"+surfing+"”"))
	body := s.log.search(t, 0)
	if b := decodeSearch(t, body); b.Text != surfing || b.K < 20 {
		t.Fatalf("the page searched %s, want text %q and k of at least 20", body, surfing)
	}
	res := s.searchAs(t, body)
	groups := eval[[]domGroup](tb, readResults)
	checkResults(t, groups, res, videos, 3)
	if !strings.HasPrefix(groups[0].Name, surfingTopic) {
		t.Errorf("best video for %q is %s, want one of the %s videos", surfing, groups[0].Name, surfingTopic)
	}
	thumbs := map[string]int{}
	checkThumbnails(t, tb, videos, thumbs)
	if got, want := eval[string](tb, `location.hash`), "#text=a+surfer+riding+a+big+wave"; got != want {
		t.Errorf("location.hash %q, want %q", got, want)
	}

	// The screenshot, at the window's width: the page must not be wider.
	shot := run(tb, "screenshot", chromedp.FullScreenshot(100))
	img, err := png.DecodeConfig(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if img.Width != width {
		t.Errorf("the screenshot is %d px wide, want %d: the page is wider than the window", img.Width, width)
	}
	if path := os.Getenv("CLIPVEC_SCREENSHOT"); path != "" {
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d×%d)", path, img.Width, img.Height)
	}

	// "More like this": click the first clip marker of the second video.
	// Its search is held until the page has said what it searches for.
	clicked := groups[1].Markers[0]
	name := videos[clicked.VideoID].Filename
	release := s.log.hold()
	defer release()
	tb.do("click a clip marker", chromedp.Click(chromedp.CSS("#results > li:nth-child(2) .timeline .marker")))
	at := math.Round((clicked.Start+clicked.End)/2*1000) / 1000
	searching := fmt.Sprintf("Clips like the one at %s of %s (%s)", clock(at), name, clicked.Modality)
	tb.waitFor("the page to say what it searches for", fmt.Sprintf(`document.getElementById("query").textContent === %s &&
		document.getElementById("status").textContent === "Searching…"`, jsString(searching)))
	release()
	likeQuery := fmt.Sprintf("Clips like %s–%s of %s (%s)", clock(clicked.Start), clock(clicked.End), name, clicked.Modality)
	tb.waitFor("the clip search's results", settled(likeQuery))
	body = s.log.search(t, 1)
	b := decodeSearch(t, body)
	if b.Like == nil || b.Like.VideoID != clicked.VideoID || b.Like.Modality != clicked.Modality ||
		b.Like.At < clicked.Start || b.Like.At > clicked.End || b.Text != "" {
		t.Fatalf("clicking clip %+v searched %s", clicked, body)
	}
	res = s.searchAs(t, body)
	if c := res.Query.Clip; res.Query.Kind != clipvec.QueryClip || c == nil || c.VideoID != clicked.VideoID || c.Start != clicked.Start || c.Modality != clicked.Modality {
		t.Fatalf("the API resolved the query clip as %+v, want the clicked one %+v", res.Query, clicked)
	}
	groups = eval[[]domGroup](tb, readResults)
	checkResults(t, groups, res, videos, 3)
	checkThumbnails(t, tb, videos, thumbs)
	if thumbs["shown"] == 0 || thumbs["broken"] == 0 {
		t.Errorf("the results showed videos with a thumbnail and with a broken one %v times: want both", thumbs)
	}

	// The link: reloading the page runs the same search again.
	hash := eval[string](tb, `location.hash`)
	if !strings.HasPrefix(hash, "#like="+clicked.VideoID+"&") {
		t.Errorf("location.hash after the click: %q", hash)
	}
	tb.do("reload", chromedp.Reload())
	tb.waitFor("the reloaded clip search", settled(likeQuery))
	if again := decodeSearch(t, s.log.search(t, 2)); again.Like == nil || *again.Like != *b.Like {
		t.Errorf("the reloaded page searched %s, want like %+v", s.log.search(t, 2), *b.Like)
	}
	checkResults(t, eval[[]domGroup](tb, readResults), res, videos, 3)

	// "More like this video", for the first video.
	first := videos[groups[0].VideoID]
	tb.do("ask for more like a video", chromedp.Click(chromedp.CSS("#results > li:nth-child(1) .more-video")))
	tb.waitFor("the video search's results", `location.hash.startsWith("#video=") &&
		!document.getElementById("results").hasAttribute("aria-busy") &&
		document.getElementById("query").textContent.startsWith("Clips like the whole of ")`)
	body = s.log.search(t, 3)
	if b := decodeSearch(t, body); b.LikeVideo != first.ID || b.Like != nil || b.Text != "" {
		t.Fatalf("more like video %s searched %s", first.ID, body)
	}
	res = s.searchAs(t, body)
	tb.waitFor("the video search's heading", settled(fmt.Sprintf("Clips like the whole of %s (%s)", first.Filename, res.Query.Modality)))
	checkResults(t, eval[[]domGroup](tb, readResults), res, videos, 3)

	// A phone's width: nothing wider than the screen, timelines drawn.
	tb.do("narrow the window", chromedp.EmulateViewport(360, 740))
	tb.waitFor("the page to fit 360 px", `document.documentElement.scrollWidth <= 360 &&
		[...document.querySelectorAll("#results .timeline")].every((e) => e.getBoundingClientRect().width > 200)`)
}

// TestBrowserToken opens the page of a server that wants a token: the page
// asks for it, says when it is refused, then works with the right one,
// kept for the tab. The database has no embedder, so the page offers
// searches like a clip instead of text, and shows the API's errors.
func TestBrowserToken(t *testing.T) {
	const token = "s3cret-token"
	tb := newTab(t)
	db := sampleDB(t, false)
	s := newSite(t, db, token)
	if code := (&site{url: s.url}).call(t, http.MethodGet, "/v1/stats", nil, nil); code != http.StatusUnauthorized {
		t.Fatalf("GET /v1/stats without a token: status %d, want 401", code)
	}
	st, err := db.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	videos := s.videos(t)

	tb.do("open the page", chromedp.Navigate(s.url+"/"))
	tb.waitFor("the token prompt", `!document.getElementById("token-form").hidden`)
	if got := eval[string](tb, `document.getElementById("summary").textContent`); got == summary(st) {
		t.Fatalf("the summary shows before a token was given: %q", got)
	}
	tb.do("give a wrong token",
		chromedp.SendKeys(chromedp.ID("token"), "wrong"),
		chromedp.Click(chromedp.CSS("#token-form button")))
	tb.waitFor("the refusal", `!document.getElementById("token-form").hidden &&
		document.getElementById("token-message").textContent.includes("refused")`)
	tb.do("give the token",
		chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Click(chromedp.CSS("#token-form button")))
	tb.waitFor("the database summary", fmt.Sprintf(`document.getElementById("summary").textContent === %s &&
		document.getElementById("token-form").hidden`, jsString(summary(st))))
	if got := eval[string](tb, `sessionStorage.getItem("clipvec.token")`); got != token {
		t.Errorf("sessionStorage holds token %q, want %q", got, token)
	}
	if !eval[bool](tb, `document.getElementById("mode-text-label").hidden && document.getElementById("text-row").hidden &&
		!document.getElementById("like-row").hidden && document.querySelector('input[name="mode"][value="clip"]').checked`) {
		t.Fatal("text search is off, but the page offers it or does not offer a clip search")
	}

	// Like the clip at 10 s of the first surfing video.
	var first clipvec.Video
	for _, v := range videos {
		if strings.HasPrefix(v.Filename, surfingTopic) && (first.ID == "" || v.Filename < first.Filename) {
			first = v
		}
	}
	tb.do("search like a clip",
		chromedp.SetValue(chromedp.ID("q-video"), first.ID),
		chromedp.SetValue(chromedp.ID("q-at"), "10"),
		chromedp.Click(chromedp.ID("search-button")))
	tb.waitFor("a search to finish", `location.hash.startsWith("#like=") &&
		!document.getElementById("results").hasAttribute("aria-busy") &&
		document.querySelectorAll("#results > li.video").length > 0`)
	body := s.log.search(t, 0)
	if b := decodeSearch(t, body); b.Like == nil || b.Like.VideoID != first.ID || b.Like.At != 10 {
		t.Fatalf("the page searched %s, want like %s at 10", body, first.ID)
	}
	res := s.searchAs(t, body)
	c := res.Query.Clip
	if c == nil {
		t.Fatalf("the API's answer names no query clip: %+v", res.Query)
	}
	tb.waitFor("the clip search's heading", settled(fmt.Sprintf("Clips like %s–%s of %s (%s)", clock(c.Start), clock(c.End), first.Filename, c.Modality)))
	groups := eval[[]domGroup](tb, readResults)
	checkResults(t, groups, res, videos, 3)

	// From the keyboard: Enter on the second video's first listed clip.
	clip := groups[1].Markers[0]
	tb.do("press Enter on a listed clip",
		chromedp.Focus(chromedp.CSS("#results > li:nth-child(2) .clips button")),
		chromedp.KeyEvent("\r"))
	tb.waitFor("the listed clip's search", settled(fmt.Sprintf("Clips like %s–%s of %s (%s)",
		clock(clip.Start), clock(clip.End), videos[clip.VideoID].Filename, clip.Modality)))
	body = s.log.search(t, 1)
	if b := decodeSearch(t, body); b.Like == nil || b.Like.VideoID != clip.VideoID || b.Like.Modality != clip.Modality ||
		b.Like.At < clip.Start || b.Like.At > clip.End {
		t.Fatalf("Enter on listed clip %+v searched %s", clip, body)
	}
	checkResults(t, eval[[]domGroup](tb, readResults), s.searchAs(t, body), videos, 3)

	// A link to a video the database does not hold: the page shows the
	// API's error message. The token lasts as long as the tab: no prompt.
	tb.do("open a stale link", chromedp.Navigate("about:blank"), chromedp.Navigate(s.url+"/#like=no-such-video&at=1"))
	tb.waitFor("an error", `!document.getElementById("error").hidden`)
	var apiErr struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	code := s.call(t, http.MethodPost, "/v1/search", s.log.search(t, 2), &apiErr)
	if code < 400 || apiErr.Error.Message == "" {
		t.Fatalf("the API answered %s with %d %+v, want an error", s.log.search(t, 2), code, apiErr)
	}
	if got := eval[string](tb, `document.getElementById("error").textContent`); got != apiErr.Error.Message {
		t.Errorf("the page shows error %q, want the API's message %q", got, apiErr.Error.Message)
	}
	if !eval[bool](tb, `document.getElementById("token-form").hidden`) {
		t.Error("the page asked for the token again in the same tab")
	}
}
