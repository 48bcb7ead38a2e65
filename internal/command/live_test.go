//go:build live

// The upstream scenarios against the real TwelveLabs API. They run only
// with the live build tag and TWELVELABS_API_KEY set (and
// TWELVELABS_BASE_URL, optionally, for a proxy):
//
//	TWELVELABS_API_KEY=tlk_... CLIPVEC_LIVE_INDEX=<index id> \
//		go test -tags live -run Live -v ./internal/command/
//
// What each needs, and costs:
//
//	TestLiveFetchIndexResumeSearchOffline  CLIPVEC_LIVE_INDEX: an index with a few ready
//	                                       videos (Marengo enabled). One list request per 50
//	                                       assets, one retrieve per asset (twice for those
//	                                       refetched after the interruption), one text
//	                                       embedding (CLIPVEC_LIVE_QUERY, default below).
//	TestLiveEmbedURL                       CLIPVEC_LIVE_VIDEO_URL: a public video URL. Creates
//	                                       one embed-v2 task: counts against the video-
//	                                       embedding rate limit and duration quota.
//	TestLiveFetchTask                      CLIPVEC_LIVE_TASK: an existing task id (v1 or v2).
//	TestLiveKeyNeverLeaks                  nothing: three requests, refused (wrong key).

package command_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clipvec/clipvec/internal/command"
	"github.com/clipvec/clipvec/pkg/clipvec"
	"github.com/clipvec/clipvec/pkg/clipvec/upstream"
)

const defaultLiveQuery = "a person walking outdoors"

func liveKey(t *testing.T) string {
	t.Helper()
	key := os.Getenv("TWELVELABS_API_KEY")
	if key == "" {
		t.Skip("TWELVELABS_API_KEY is not set")
	}
	return key
}

func liveEnv(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Skipf("%s is not set", name)
	}
	return v
}

// runCtx is run with a context.
func runCtx(ctx context.Context, db string, args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	code := command.Run(ctx, append([]string{"clipvec", "--db", db}, args...), strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

// noKeyIn fails if key is in any text or in any file beside db.
func noKeyIn(t *testing.T, key, db string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(s, key) {
			t.Errorf("the API key leaked into output:\n%s", s)
		}
	}
	filepath.WalkDir(filepath.Dir(db), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if data, err := os.ReadFile(path); err == nil && bytes.Contains(data, []byte(key)) {
			t.Errorf("the API key is in %s", path)
		}
		return nil
	})
}

func TestLiveFetchIndexResumeSearchOffline(t *testing.T) {
	key := liveKey(t)
	index := liveEnv(t, "CLIPVEC_LIVE_INDEX")
	query := os.Getenv("CLIPVEC_LIVE_QUERY")
	if query == "" {
		query = defaultLiveQuery
	}
	db := tempDB(t)
	var texts []string

	// Interrupt the first fetch as soon as one asset is in.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, errs, code := runCtx(ctx, db, "stats"); code != command.ExitOK { // creates the database
		t.Fatal(errs)
	}
	first, firstCancel := context.WithCancel(ctx)
	go func() {
		defer firstCancel()
		for first.Err() == nil {
			time.Sleep(200 * time.Millisecond)
			if d, err := clipvec.Open(first, db); err == nil {
				objs, _ := d.FetchedObjects(first, index)
				d.Close()
				if len(objs) > 0 {
					return
				}
			}
		}
	}()
	out, errs, code := runCtx(first, db, "fetch", "index", "--concurrency", "2", index)
	texts = append(texts, out, errs)
	t.Logf("first run (interrupted): exit %d\n%s%s", code, out, errs)
	if code != command.ExitOK && code != command.ExitInterrupted {
		t.Fatalf("first run: exit %d", code)
	}
	before := fetchedIDs(t, db, index)

	out, errs, code = runCtx(ctx, db, "fetch", "index", "--json", index)
	texts = append(texts, out, errs)
	if code != command.ExitOK {
		t.Fatalf("rerun: exit %d\n%s%s", code, out, errs)
	}
	var sum struct {
		Listed         int `json:"listed"`
		NotReady       int `json:"not_ready"`
		AlreadyFetched int `json:"already_fetched"`
		Fetched        []struct {
			ID       string `json:"id"`
			Imported int    `json:"imported"`
		} `json:"fetched"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.AlreadyFetched != len(before) {
		t.Errorf("rerun skipped %d assets, want the %d fetched before", sum.AlreadyFetched, len(before))
	}
	for _, f := range sum.Fetched {
		if _, dup := before[f.ID]; dup {
			t.Errorf("rerun fetched %s again", f.ID)
		}
	}
	after := fetchedIDs(t, db, index)
	if len(after) != sum.Listed-sum.NotReady {
		t.Errorf("%d assets recorded, want the %d ready", len(after), sum.Listed-sum.NotReady)
	}
	for id, n := range after {
		if got := len(dbSegments(t, db)[id]); got != n {
			t.Errorf("asset %s: %d segments stored, %d recorded", id, got, n)
		}
	}

	out, errs, code = runCtx(ctx, db, "search", "--text", query, "--group-by", "video", "--json")
	texts = append(texts, out, errs)
	if code != command.ExitOK {
		t.Fatalf("search --text: exit %d: %s", code, errs)
	}
	t.Logf("search --text %q:\n%s", query, out)
	// Offline: an unreachable base URL, and no key.
	t.Setenv("TWELVELABS_BASE_URL", "http://127.0.0.1:9/v1.3")
	t.Setenv("TWELVELABS_API_KEY", "")
	out2, errs, code := runCtx(ctx, db, "search", "--text", query, "--group-by", "video", "--json")
	texts = append(texts, out2, errs)
	var a, b clipvec.Result
	json.Unmarshal([]byte(out), &a)
	json.Unmarshal([]byte(out2), &b)
	if code != command.ExitOK || b.QuerySource != clipvec.QueryFromCache || b.Query.Text != query || len(a.Hits) != len(b.Hits) ||
		(len(a.Hits) > 0 && a.Hits[0].VideoID != b.Hits[0].VideoID) {
		t.Errorf("offline search: exit %d, %+v from %q: %s", code, b.Query, b.QuerySource, errs)
	}
	out, _, _ = runCtx(ctx, db, "queries")
	if !strings.Contains(out, query) {
		t.Errorf("queries:\n%s", out)
	}
	noKeyIn(t, key, db, texts...)
}

func TestLiveEmbedURL(t *testing.T) {
	key := liveKey(t)
	url := liveEnv(t, "CLIPVEC_LIVE_VIDEO_URL")
	db := tempDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	out, errs, code := runCtx(ctx, db, "embed", "--url", url, "--poll-interval", "10s", "--json")
	if code != command.ExitOK {
		t.Fatalf("embed: exit %d\n%s%s", code, out, errs)
	}
	var res upstream.FetchResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Imported == 0 || res.Kind != clipvec.SourceEmbedTaskV2 {
		t.Fatalf("embed: %v %s", err, out)
	}
	// Fetching the same task again replaces, never duplicates.
	out2, errs2, code := runCtx(ctx, db, "fetch", "task", "--json", res.ID)
	if code != command.ExitOK || !strings.Contains(out2, `"replaced": `) {
		t.Errorf("fetch task: exit %d\n%s%s", code, out2, errs2)
	}
	if n := len(dbSegments(t, db)[res.ID]); n != res.Imported {
		t.Errorf("%d segments stored after the refetch, want %d", n, res.Imported)
	}
	noKeyIn(t, key, db, out, errs, out2, errs2)
}

func TestLiveFetchTask(t *testing.T) {
	key := liveKey(t)
	task := liveEnv(t, "CLIPVEC_LIVE_TASK")
	db := tempDB(t)
	out, errs, code := runCtx(context.Background(), db, "fetch", "task", "--wait", "--poll-interval", "10s", task)
	if code != command.ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	t.Log(out)
	noKeyIn(t, key, db, out, errs)
}

func TestLiveKeyNeverLeaks(t *testing.T) {
	key := liveKey(t)
	wrong := key + "-not-valid"
	t.Setenv("TWELVELABS_API_KEY", wrong)
	db := tempDB(t)
	var texts []string
	for _, args := range [][]string{
		{"fetch", "task", "--retries", "0", "000000000000000000000000"},
		{"fetch", "index", "--retries", "0", "000000000000000000000000"},
		{"search", "--text", "anything", "--retries", "0"},
	} {
		out, errs, code := runCtx(context.Background(), db, args...)
		texts = append(texts, out, errs)
		if code == command.ExitOK {
			t.Errorf("%v succeeded with a wrong key", args)
		}
	}
	noKeyIn(t, wrong, db, texts...)
	noKeyIn(t, key, db, texts...)
}
