package command_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clipvec/clipvec/internal/command"
	"github.com/clipvec/clipvec/pkg/clipvec"
	"github.com/clipvec/clipvec/pkg/clipvec/upstream"
	"github.com/clipvec/clipvec/pkg/twelvelabs"
	"github.com/clipvec/clipvec/pkg/twelvelabs/twelvelabstest"
)

// childArgsEnv, when set in the environment, makes the test binary run
// clipvec with these (JSON-encoded) arguments instead of the tests: a
// clipvec process the end-to-end test can kill.
const childArgsEnv = "CLIPVEC_TEST_CHILD_ARGS"

func TestMain(m *testing.M) {
	if raw := os.Getenv(childArgsEnv); raw != "" {
		var args []string
		if err := json.Unmarshal([]byte(raw), &args); err != nil {
			os.Exit(99)
		}
		os.Exit(command.Run(context.Background(), args, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// upstreamEnv points clipvec at srv with key (both through the
// environment, as a user would).
func upstreamEnv(t *testing.T, srv *twelvelabstest.Server, key string) {
	t.Helper()
	t.Setenv("TWELVELABS_BASE_URL", srv.URL)
	t.Setenv("TWELVELABS_API_KEY", key)
}

// dbSegments reads a database's segments by video (through Export).
func dbSegments(t testing.TB, path string) map[string][]clipvec.Segment {
	t.Helper()
	db, err := clipvec.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var buf bytes.Buffer
	if _, err := db.Export(context.Background(), &buf, clipvec.ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	out := map[string][]clipvec.Segment{}
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var r struct {
			VideoID string    `json:"video_id"`
			Option  string    `json:"modality"`
			Start   float64   `json:"start"`
			End     float64   `json:"end"`
			Vector  []float32 `json:"embedding"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		if r.Vector != nil {
			out[r.VideoID] = append(out[r.VideoID], clipvec.Segment{VideoID: r.VideoID, Modality: r.Option, Start: r.Start, End: r.End, Vector: r.Vector})
		}
	}
	return out
}

// fetchedIDs lists the assets a database records as fetched.
func fetchedIDs(t testing.TB, path, index string) map[string]int {
	t.Helper()
	db, err := clipvec.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	objs, err := db.FetchedObjects(context.Background(), index)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, o := range objs {
		out[o.ID] = o.Segments
	}
	return out
}

// checkCatalogue asserts that path holds exactly the segments of the
// fake index's videos in want (ids), vectors included, none twice.
func checkCatalogue(t testing.TB, path string, ix *twelvelabstest.Index, want map[string]bool) {
	t.Helper()
	stored := dbSegments(t, path)
	if len(stored) != len(want) {
		t.Errorf("%d videos stored, want %d", len(stored), len(want))
	}
	total := 0
	for _, v := range ix.Videos {
		got := stored[v.ID]
		if !want[v.ID] {
			if len(got) > 0 {
				t.Errorf("video %s stored, but it should not be", v.ID)
			}
			continue
		}
		total += len(got)
		if len(got) != len(v.Segments) {
			t.Errorf("video %s: %d segments, want %d", v.ID, len(got), len(v.Segments))
			continue
		}
		type key struct {
			opt        string
			start, end float64
		}
		idx := map[key][]float32{}
		for _, s := range got {
			k := key{s.Modality, s.Start, s.End}
			if idx[k] != nil {
				t.Errorf("video %s: %v stored twice", v.ID, k)
			}
			idx[k] = s.Vector
		}
		for _, s := range v.Segments {
			vec := idx[key{s.Option, s.Start, s.End}]
			if vec == nil {
				t.Errorf("video %s: %s %g–%g missing", v.ID, s.Option, s.Start, s.End)
				continue
			}
			var norm float64
			for _, x := range s.Vector {
				norm += float64(x) * float64(x)
			}
			norm = math.Sqrt(norm)
			for i := range vec {
				if math.Abs(float64(vec[i])-float64(s.Vector[i])/norm) > 1e-6 {
					t.Errorf("video %s: %s %g–%g: another vector", v.ID, s.Option, s.Start, s.End)
					break
				}
			}
		}
	}
	t.Logf("%d videos, %d segments stored, as the fake index has them", len(stored), total)
}

type hitJSON struct {
	VideoID  string  `json:"video_id"`
	Start    float64 `json:"start"`
	Modality string  `json:"modality"`
	Score    float32 `json:"score"`
}

func searchJSON(t *testing.T, db string, args ...string) (query string, hits []hitJSON) {
	t.Helper()
	out, errs, code := run(t, db, "", append([]string{"search", "--json"}, args...)...)
	if code != command.ExitOK {
		t.Fatalf("search %v: exit %d: %s", args, code, errs)
	}
	var res struct {
		Query struct {
			Kind, Text, Image string
		}
		QuerySource string `json:"query_source"`
		Hits        []hitJSON
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("search --json: %v\n%s", err, out)
	}
	q := res.Query.Kind + " " + res.Query.Text + res.Query.Image
	if res.QuerySource != "" {
		return q + " (" + res.QuerySource + ")", res.Hits
	}
	return q, res.Hits
}

// TestFetchIndexKilledResumedSearchedOffline is the acceptance test of
// the live-upstream work: a fetch of a 30-video index is killed (SIGKILL)
// part-way, the rerun fetches only what is missing and the database ends
// with exactly the fake's segments; a text search ranks a video of the
// described scene first, and still does, from the cache, with the fake
// server stopped.
func TestFetchIndexKilledResumedSearchedOffline(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process")
	}
	const key = "tlk_e2e_3c9d1f7a5b2e8c4d6f0a"
	srv := twelvelabstest.NewServer(twelvelabstest.WithVideos(30), twelvelabstest.WithAPIKey(key))
	defer srv.Close()
	ix := srv.Catalogue.Indexes[0]
	ready := map[string]bool{}
	for _, v := range ix.Videos {
		if v.Ready() {
			ready[v.ID] = true
		}
	}
	db := tempDB(t)

	// The first 8 asset retrieves are answered; every later one hangs, so
	// the child is killed with 8 assets in and 4 downloads in flight.
	const served, conc = 8, 4
	srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointRetrieveIndexedAsset, Skip: served, Delay: 10 * time.Minute})
	args, _ := json.Marshal([]string{"clipvec", "--db", db, "fetch", "index", "--concurrency", "4", ix.ID})
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), childArgsEnv+"="+string(args), "TWELVELABS_API_KEY="+key, "TWELVELABS_BASE_URL="+srv.URL)
	var childOut bytes.Buffer
	child.Stdout, child.Stderr = &childOut, &childOut
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()
	deadline := time.Now().Add(2 * time.Minute)
	// Wait for every worker to hang (by then the child has created the
	// database), then for the 8 answered assets to commit.
	for srv.Count(twelvelabstest.EndpointRetrieveIndexedAsset) < served+conc || len(fetchedIDs(t, db, ix.ID)) < served {
		select {
		case err := <-exited:
			t.Fatalf("the child exited before the kill: %v\n%s", err, childOut.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the child did not get going: %d retrieves, %v\n%s", srv.Count(twelvelabstest.EndpointRetrieveIndexedAsset), fetchedIDs(t, db, ix.ID), childOut.String())
		}
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-exited

	// What the kill left: exactly the fetches whose segments committed.
	before := fetchedIDs(t, db, ix.ID)
	if len(before) != served {
		t.Fatalf("after the kill %d assets are recorded, want %d", len(before), served)
	}
	kept := map[string]bool{}
	for id, n := range before {
		kept[id] = true
		if v := srv.Catalogue.Video(id); v == nil || n != len(v.Segments) {
			t.Errorf("asset %s recorded with %d segments", id, n)
		}
	}
	checkCatalogue(t, db, ix, kept)

	// The rerun fetches only the rest.
	srv.ClearFaults()
	srv.ResetRequests()
	upstreamEnv(t, srv, key)
	out, errs, code := run(t, db, "", "fetch", "index", ix.ID)
	if code != command.ExitOK {
		t.Fatalf("rerun: exit %d\n%s%s", code, out, errs)
	}
	missing := len(ready) - served
	if got := srv.Count(twelvelabstest.EndpointRetrieveIndexedAsset); got != missing {
		t.Errorf("the rerun retrieved %d assets, want the %d missing", got, missing)
	}
	t.Logf("rerun: %s; requests %v", strings.TrimSpace(out), srv.Counts())
	wantLine := "index " + ix.ID + ": 30 assets listed: 21 fetched, 8 already fetched, 1 not ready, 0 failed"
	if !strings.Contains(out, wantLine) {
		t.Errorf("rerun output lacks %q:\n%s", wantLine, out)
	}
	checkCatalogue(t, db, ix, ready)
	if n := len(fetchedIDs(t, db, ix.ID)); n != len(ready) {
		t.Errorf("%d assets recorded as fetched, want %d", n, len(ready))
	}

	// A text query describing one scene ranks a video of that scene first.
	topic := ix.Videos[3].Topic
	query, hits := searchJSON(t, db, "--text", topic.Description, "--group-by", "video", "-k", "5")
	if len(hits) == 0 || srv.Catalogue.Video(hits[0].VideoID).Topic.Name != topic.Name {
		t.Fatalf("search --text %q: %+v", topic.Description, hits)
	}
	if !strings.HasSuffix(query, "(embedder)") || srv.Count(twelvelabstest.EndpointEmbedV2) != 1 {
		t.Errorf("query %q; requests %v", query, srv.Counts())
	}
	t.Logf("search --text %q: best video %s (%s), score %.4f", topic.Description, hits[0].VideoID,
		srv.Catalogue.Video(hits[0].VideoID).Filename, hits[0].Score)

	// Offline: the server is gone, the answer is the same, from the cache.
	srv.Close()
	query2, hits2 := searchJSON(t, db, "--text", topic.Description, "--group-by", "video", "-k", "5")
	if !strings.HasSuffix(query2, "(cache)") || len(hits2) != len(hits) {
		t.Fatalf("offline: %q %+v", query2, hits2)
	}
	for i := range hits {
		if hits[i] != hits2[i] {
			t.Errorf("offline hit %d: %+v, online %+v", i, hits2[i], hits[i])
		}
	}
	// Even without a key.
	t.Setenv("TWELVELABS_API_KEY", "")
	if _, hits3 := searchJSON(t, db, "--text", topic.Description, "--group-by", "video", "-k", "5"); len(hits3) == 0 || hits3[0] != hits[0] {
		t.Errorf("offline without a key: %+v", hits3)
	}
	// An uncached query offline says why it cannot be answered.
	_, errs, code = run(t, db, "", "search", "--text", "something never asked")
	if code != command.ExitFailure || !strings.Contains(errs, "not cached") || !strings.Contains(errs, "TWELVELABS_API_KEY") {
		t.Errorf("uncached, no key: exit %d: %s", code, errs)
	}
	t.Setenv("TWELVELABS_API_KEY", key)
	_, errs, code = run(t, db, "", "search", "--text", "something never asked", "--retries", "0")
	if code != command.ExitFailure || !strings.Contains(errs, "connect") {
		t.Errorf("uncached, server down: exit %d: %s", code, errs)
	}

	out, _, code = run(t, db, "", "queries")
	if code != command.ExitOK || !strings.Contains(out, "marengo3.0/512") || !strings.Contains(out, `"`+topic.Description+`"`) {
		t.Errorf("queries:\n%s", out)
	}
	out, _, _ = run(t, db, "", "queries", "--json", "--vectors")
	var qs []clipvec.CachedQuery
	if err := json.Unmarshal([]byte(out), &qs); err != nil || len(qs) != 1 || qs[0].Input != topic.Description || len(qs[0].Vector) != 512 {
		t.Errorf("queries --json: %v %s", err, out)
	}
}

func TestUpstreamCommands(t *testing.T) {
	srv := twelvelabstest.NewServer(twelvelabstest.WithVideos(5), twelvelabstest.WithTaskReadyAfterPolls(2))
	defer srv.Close()
	upstreamEnv(t, srv, srv.APIKey)
	ix := srv.Catalogue.Indexes[0]
	db := tempDB(t)
	ctx := context.Background()
	c := srv.Client()
	v1, err := c.CreateEmbedTask(ctx, twelvelabs.EmbedTaskRequest{ModelName: "marengo3.0", VideoURL: "https://example.com/concert.mp4"})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("FetchAsset", func(t *testing.T) {
		out, errs, code := run(t, db, "", "fetch", "asset", "--index", ix.ID, "--modality", "visual", ix.Videos[0].ID)
		if code != 0 || !strings.Contains(out, "fetched asset "+ix.Videos[0].ID) || !strings.Contains(out, "(indexed-asset, marengo3.0)") {
			t.Errorf("exit %d\n%s%s", code, out, errs)
		}
	})
	t.Run("FetchTaskNotReady", func(t *testing.T) {
		_, errs, code := run(t, db, "", "fetch", "task", v1)
		if code != command.ExitInvalidInput || !strings.Contains(errs, "is processing") {
			t.Errorf("exit %d: %s", code, errs)
		}
	})
	t.Run("FetchTaskJSON", func(t *testing.T) {
		out, errs, code := run(t, db, "", "fetch", "task", "--wait", "--poll-interval", "1ms", "--json", "--scope", "clip", v1, "nope")
		var res []struct {
			Kind, ID, Error string
			Imported        int
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil || code != command.ExitNotFound || len(res) != 2 ||
			res[0].Kind != "embed-task-v1" || res[0].Imported == 0 || !strings.Contains(res[1].Error, "not found") {
			t.Errorf("exit %d, %v\n%s%s", code, err, out, errs)
		}
	})
	t.Run("EmbedURL", func(t *testing.T) {
		out, errs, code := run(t, db, "", "embed", "--url", "https://example.com/cycling.mp4", "--poll-interval", "1ms", "--video-id", "bike")
		if code != 0 || !strings.Contains(out, "embedded task") || !strings.Contains(out, "(embed-task-v2, marengo3.0): video bike") {
			t.Errorf("exit %d\n%s%s", code, out, errs)
		}
	})
	t.Run("EmbedFile", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "snowboard.mp4")
		os.WriteFile(path, []byte("bytes of a video"), 0o644)
		out, errs, code := run(t, db, "", "embed", "--file", path, "--poll-interval", "1ms", "--json")
		var res upstream.FetchResult
		if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || res.Kind != "embed-task-v1" || res.Imported == 0 {
			t.Errorf("exit %d, %v\n%s%s", code, err, out, errs)
		}
		if info, _ := srv.Task(res.ID); info.Input != "snowboard.mp4" || info.Topic.Name != "snowboard" {
			t.Errorf("task %+v", info)
		}
	})
	t.Run("FetchIndexJSON", func(t *testing.T) {
		out, errs, code := run(t, db, "", "fetch", "index", "--json", ix.ID)
		var sum struct {
			Listed         int
			NotReady       int `json:"not_ready"`
			AlreadyFetched int `json:"already_fetched"`
			Fetched        []struct{ ID string }
		}
		// The asset fetched with --modality visual does not cover a fetch
		// of every option: it is fetched again.
		if err := json.Unmarshal([]byte(out), &sum); err != nil || code != 0 || len(sum.Fetched) != 4 || sum.NotReady != 1 || sum.AlreadyFetched != 0 {
			t.Errorf("exit %d, %v\n%s%s", code, err, out, errs)
		}
	})
	t.Run("SearchImage", func(t *testing.T) {
		q, hits := searchJSON(t, db, "--image", "https://example.com/surfing.jpg", "--model", "marengo3.0/512")
		if q != "image https://example.com/surfing.jpg (embedder)" || len(hits) == 0 {
			t.Errorf("%q %+v", q, hits)
		}
	})
	t.Run("Usage", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			code int
			msg  string
		}{
			{[]string{"embed"}, command.ExitUsage, "exactly one of --url"},
			{[]string{"embed", "--file", "x.mp4", "--model", "marengo3.5"}, command.ExitUsage, "marengo3.5 is served by embed-v2 only"},
			{[]string{"fetch", "asset", "a"}, command.ExitUsage, "--index IDX is required"},
			{[]string{"fetch", "index"}, command.ExitUsage, "give one index id"},
			{[]string{"fetch", "index", "--scope", "scene", "x"}, command.ExitUsage, `--scope "scene"`},
			{[]string{"fetch", "task", "a", "--wait"}, command.ExitUsage, "put flags first"},
			{[]string{"search", "--text", "x", "--like", "a@1"}, command.ExitUsage, "exactly one of"},
			{[]string{"fetch", "index", "--base-url", "ftp://x", "IDX"}, command.ExitUsage, "--base-url"},
		} {
			_, errs, code := run(t, db, "", tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.msg) {
				t.Errorf("%v: exit %d, %q; want %d saying %q", tc.args, code, errs, tc.code, tc.msg)
			}
		}
	})
	t.Run("NoKey", func(t *testing.T) {
		t.Setenv("TWELVELABS_API_KEY", "")
		_, errs, code := run(t, db, "", "fetch", "index", ix.ID)
		if code != command.ExitFailure || !strings.Contains(errs, "set TWELVELABS_API_KEY or pass --api-key") {
			t.Errorf("exit %d: %s", code, errs)
		}
	})
	t.Run("Help", func(t *testing.T) {
		for _, args := range [][]string{{"fetch", "--help"}, {"fetch", "index", "--help"}, {"embed", "--help"}, {"queries", "--help"}} {
			out, _, code := run(t, tempDB(t), "", args...)
			if code != 0 || !strings.Contains(out, "Examples") {
				t.Errorf("%v: exit %d\n%s", args, code, out)
			}
		}
	})
}

// TestAPIKeyNeverLeaks runs every upstream command against the fake
// server with a recognisable key, with and without --json, through
// successes and failures (a wrong key, unknown ids, rate limits, a dead
// server, a stray flag carrying the key), and checks that the key is in
// no output, no error, and no byte of the database or its snapshots.
func TestAPIKeyNeverLeaks(t *testing.T) {
	const key = "tlk_LEAKCHECK_5b1e9f0c7a3d2e8f4c6a"
	srv := twelvelabstest.NewServer(twelvelabstest.WithVideos(4), twelvelabstest.WithAPIKey(key), twelvelabstest.WithMarengo27Index())
	defer srv.Close()
	t.Setenv("TWELVELABS_BASE_URL", srv.URL)
	t.Setenv("TWELVELABS_API_KEY", "")
	ctx := context.Background()
	c := srv.Client()
	v1, err := c.CreateEmbedTask(ctx, twelvelabs.EmbedTaskRequest{ModelName: "marengo3.0", VideoURL: "https://example.com/soccer.mp4"})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := c.CreateEmbedV2Task(ctx, twelvelabs.EmbedV2Request{InputType: "video", ModelName: "marengo3.0",
		Video: &twelvelabs.MediaInput{MediaSource: twelvelabs.MediaSource{URL: "https://example.com/cooking.mp4"}}})
	if err != nil {
		t.Fatal(err)
	}
	ix, ix27 := srv.Catalogue.Indexes[0], srv.Catalogue.Indexes[1]
	video := filepath.Join(t.TempDir(), "clip.mp4")
	image := filepath.Join(t.TempDir(), "q.jpg")
	os.WriteFile(video, []byte("video bytes"), 0o644)
	os.WriteFile(image, []byte("image bytes"), 0o644)
	db := tempDB(t)

	var outputs []string
	check := func(args []string, wantCode int) {
		t.Helper()
		for _, asJSON := range []bool{false, true} {
			a := args
			if asJSON {
				a = append(append([]string{}, args[:1]...), append([]string{"--json"}, args[1:]...)...)
				if args[0] == "fetch" {
					a = append([]string{"fetch", args[1], "--json"}, args[2:]...)
				}
			}
			out, errs, code := run(t, db, "", a...)
			outputs = append(outputs, out, errs)
			if wantCode >= 0 && code != wantCode {
				t.Errorf("%v: exit %d, want %d\n%s%s", a, code, wantCode, out, errs)
			}
		}
	}
	withKey := func(args ...string) []string {
		return append(append(append([]string{}, args[:len(args)-1]...), "--api-key", key), args[len(args)-1])
	}
	// Successes: the key as a flag.
	check(withKey("fetch", "index", ix.ID), command.ExitOK)
	check(withKey("fetch", "index", ix27.ID), command.ExitOK)
	check(withKey("fetch", "asset", "--index", ix.ID, ix.Videos[0].ID), command.ExitOK)
	check(withKey("fetch", "task", "--wait", "--poll-interval", "1ms", v1), command.ExitOK)
	check(withKey("fetch", "task", "--wait", "--poll-interval", "1ms", v2.ID), command.ExitOK)
	check([]string{"embed", "--url", "https://example.com/surfing.mp4", "--poll-interval", "1ms", "--api-key", key}, command.ExitOK)
	check([]string{"embed", "--file", video, "--poll-interval", "1ms", "--api-key", key}, command.ExitOK)
	check([]string{"search", "--text", "a surfer riding a wave", "--model", "marengo3.0", "--api-key", key}, command.ExitOK)
	check([]string{"search", "--text", "a surfer riding a wave", "--model", "marengo2.7", "--api-key", key}, command.ExitOK)
	check([]string{"search", "--image", image, "--model", "marengo3.0", "--api-key", key}, command.ExitOK)
	check([]string{"search", "--image", "https://example.com/x.jpg", "--model", "marengo2.7", "--api-key", key}, command.ExitOK)
	check([]string{"queries"}, command.ExitOK)
	check([]string{"queries", "--vectors"}, command.ExitOK)

	// The key from the environment, and failures.
	t.Setenv("TWELVELABS_API_KEY", key)
	check([]string{"fetch", "index", "--refetch", ix.ID}, command.ExitOK)
	check([]string{"fetch", "task", "000000000000000000000000"}, command.ExitNotFound)
	check([]string{"fetch", "asset", "--index", ix.ID, "nope"}, command.ExitNotFound)
	check([]string{"fetch", "index", "nope"}, command.ExitNotFound)
	check([]string{"fetch", "index", "--help"}, command.ExitOK)
	check([]string{"search", "--help"}, command.ExitOK)
	check([]string{"fetch", "task", "x", "--api-key=" + key}, command.ExitUsage)
	check([]string{"fetch", "task", "--api-key"}, command.ExitUsage)
	f := srv.Inject(twelvelabstest.Fault{Status: 429, RetryAfter: "0"})
	check([]string{"fetch", "index", "--refetch", ix.ID}, command.ExitFailure)
	check([]string{"search", "--text", "rate limited text", "--model", "marengo3.0"}, command.ExitFailure)
	check([]string{"embed", "--url", "https://example.com/a.mp4"}, command.ExitFailure)
	f.Remove()
	srv.Inject(twelvelabstest.Fault{Status: 500, Endpoint: twelvelabstest.EndpointRetrieveIndexedAsset, RetryAfter: "0", Body: []byte(`{"code":"x","message":"echo ` + key + `"}`)})
	check([]string{"fetch", "index", "--refetch", ix.ID}, command.ExitFailure)
	srv.ClearFaults()
	// A wrong key: the right one with something appended, so that a leak
	// of it is a leak of the key.
	t.Setenv("TWELVELABS_API_KEY", key+"-revoked")
	check([]string{"fetch", "index", ix.ID}, command.ExitFailure)
	check([]string{"fetch", "task", v1}, command.ExitFailure)
	check([]string{"search", "--text", "wrong key text", "--model", "marengo3.0"}, command.ExitFailure)
	check([]string{"embed", "--file", video}, command.ExitFailure)
	// A dead server.
	t.Setenv("TWELVELABS_API_KEY", key)
	srv.Close()
	check([]string{"fetch", "index", "--retries", "0", ix.ID}, command.ExitFailure)
	check([]string{"search", "--text", "offline text", "--model", "marengo3.0", "--retries", "0"}, command.ExitFailure)

	saw401 := false
	for _, text := range outputs {
		saw401 = saw401 || strings.Contains(text, "api_key_invalid")
		if strings.Contains(text, key) || strings.Contains(text, "LEAKCHECK_5b1e") {
			t.Errorf("the API key leaked into output:\n%s", text)
		}
	}
	if !saw401 {
		t.Error("no run was refused with 401: the wrong-key check proves nothing")
	}
	files := 0
	err = filepath.WalkDir(filepath.Dir(db), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		if bytes.Contains(data, []byte(key)) || bytes.Contains(data, []byte("LEAKCHECK_5b1e")) {
			t.Errorf("the API key is in %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if st := fetchedIDs(t, db, ""); len(st) == 0 || files < 2 {
		t.Errorf("the database recorded no fetches, or has no snapshot (%d files): the file check proves little", files)
	}
}
