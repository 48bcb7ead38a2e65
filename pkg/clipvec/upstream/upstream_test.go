package upstream_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/clipvec/clipvec/pkg/clipvec"
	"github.com/clipvec/clipvec/pkg/clipvec/upstream"
	"github.com/clipvec/clipvec/pkg/twelvelabs"
	"github.com/clipvec/clipvec/pkg/twelvelabs/twelvelabstest"
)

// openDB opens a database in a temporary directory, closed when the
// test ends.
func openDB(t testing.TB) *clipvec.DB {
	t.Helper()
	db, err := clipvec.Open(context.Background(), filepath.Join(t.TempDir(), "clipvec.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// embedQuery is db.EmbedQuery with c's embedder (a nil c: no key).
func embedQuery(ctx context.Context, db *clipvec.DB, c *twelvelabs.Client, sp clipvec.Space, in clipvec.QueryInput) ([]float32, bool, error) {
	db.Embedder = upstream.Embedder(c)
	return db.EmbedQuery(ctx, sp, in)
}

func fakeServer(t testing.TB, opts ...twelvelabstest.Option) *twelvelabstest.Server {
	t.Helper()
	srv := twelvelabstest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// storedSegments reads every segment of the database by video, through
// Export.
func storedSegments(t testing.TB, db *clipvec.DB) map[string][]clipvec.Segment {
	t.Helper()
	var buf bytes.Buffer
	if _, err := db.Export(context.Background(), &buf, clipvec.ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	out := map[string][]clipvec.Segment{}
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var r struct {
			VideoID    string    `json:"video_id"`
			Model      string    `json:"model"`
			Option     string    `json:"modality"`
			Scope      string    `json:"scope"`
			Start      float64   `json:"start"`
			End        float64   `json:"end"`
			SourceKind string    `json:"source_kind"`
			SourceID   string    `json:"source_id"`
			Vector     []float32 `json:"embedding"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("export line %q: %v", line, err)
		}
		if r.Vector == nil {
			continue // the header or a video's metadata
		}
		out[r.VideoID] = append(out[r.VideoID], clipvec.Segment{VideoID: r.VideoID, Model: r.Model, Modality: r.Option,
			Scope: r.Scope, Start: r.Start, End: r.End, Source: clipvec.Source{Kind: clipvec.SourceKind(r.SourceKind), ID: r.SourceID}, Vector: r.Vector})
	}
	return out
}

// sameVector compares a stored (unit) vector with a catalogue one.
func sameVector(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	var na float64
	for _, x := range b {
		na += float64(x) * float64(x)
	}
	na = math.Sqrt(na)
	for i := range a {
		if math.Abs(float64(a[i])-float64(b[i])/na) > 1e-6 {
			return false
		}
	}
	return true
}

// checkIndexStored asserts the database holds exactly the ready videos'
// segments of the fake index: the same count per video and option, the
// same vectors at the same times, nothing else.
func checkIndexStored(t testing.TB, db *clipvec.DB, ix *twelvelabstest.Index) {
	t.Helper()
	stored := storedSegments(t, db)
	ready := 0
	for _, v := range ix.Videos {
		if !v.Ready() {
			if _, ok := stored[v.ID]; ok {
				t.Errorf("video %s is %s upstream but was fetched", v.ID, v.Status)
			}
			continue
		}
		ready++
		got := stored[v.ID]
		if len(got) != len(v.Segments) {
			t.Errorf("video %s: %d segments stored, want %d", v.ID, len(got), len(v.Segments))
			continue
		}
		type key struct {
			opt        string
			start, end float64
		}
		byKey := map[key]clipvec.Segment{}
		for _, s := range got {
			k := key{s.Modality, s.Start, s.End}
			if _, dup := byKey[k]; dup {
				t.Errorf("video %s: segment %v stored twice", v.ID, k)
			}
			byKey[k] = s
		}
		for _, want := range v.Segments {
			s, ok := byKey[key{want.Option, want.Start, want.End}]
			switch {
			case !ok:
				t.Errorf("video %s: no %s segment %g–%g", v.ID, want.Option, want.Start, want.End)
			case !sameVector(s.Vector, want.Vector):
				t.Errorf("video %s: %s segment %g–%g has another vector", v.ID, want.Option, want.Start, want.End)
			case s.Source.Kind != clipvec.SourceIndexedAsset || s.Source.ID != v.ID || s.Model != ix.ModelName || s.Scope != "clip":
				t.Errorf("video %s: segment %+v: wrong provenance, model or scope", v.ID, s.Source)
			}
		}
	}
	if len(stored) != ready {
		t.Errorf("%d videos stored, want the %d ready ones", len(stored), ready)
	}
}

// checkThumbnails asserts every ready video of the fake index is stored
// with the first of the hls.thumbnail_urls the server returns for it.
func checkThumbnails(t testing.TB, db *clipvec.DB, srv *twelvelabstest.Server, ix *twelvelabstest.Index) {
	t.Helper()
	ctx := context.Background()
	c := srv.Client()
	for _, v := range ix.Videos {
		if !v.Ready() {
			continue
		}
		a, err := c.RetrieveIndexedAsset(ctx, ix.ID, v.ID, twelvelabs.RetrieveOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if a.HLS == nil || len(a.HLS.ThumbnailURLs) == 0 || a.HLS.ThumbnailURLs[0] == "" {
			t.Fatalf("the fake server gave video %s no thumbnail: %+v", v.ID, a.HLS)
		}
		stored, err := db.Video(ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := stored.ThumbnailURL, a.HLS.ThumbnailURLs[0]; got != want {
			t.Errorf("video %s: thumbnail %q, want %q", v.ID, got, want)
		}
	}
}

func TestFetchIndexResumesAfterAFailedPage(t *testing.T) {
	ctx := context.Background()
	srv := fakeServer(t, twelvelabstest.WithVideos(30), twelvelabstest.WithIndexingVideos(2))
	ix := srv.Catalogue.Indexes[0]
	c := srv.Client(twelvelabs.WithRetryPolicy(twelvelabs.RetryPolicy{MaxRetries: 1}))
	db := openDB(t)

	// Page 2 (of 3, 10 per page) fails every time: the first run stores
	// page 1's assets and says why it stopped.
	fault := srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointListIndexedAssets,
		Match: twelvelabstest.QueryEquals("page", "2"), Status: 500})
	var last upstream.FetchProgress
	var calls int
	sum, err := upstream.FetchIndex(ctx, db, c, ix.ID, upstream.FetchOptions{PageSize: 10, Concurrency: 3,
		Progress: func(p upstream.FetchProgress) { last, calls = p, calls+1 }})
	if err == nil || !errors.Is(err, twelvelabs.ErrServer) || !strings.Contains(err.Error(), "stopped after 10 of 30 assets") {
		t.Fatalf("first run: err = %v, want the page 2 failure", err)
	}
	if len(sum.Fetched) != 10 || sum.Listed != 10 || last.Fetched != 10 || last.Total != 30 || calls < 20 {
		t.Fatalf("first run: summary %+v, progress %+v after %d calls", sum, last, calls)
	}
	first := storedSegments(t, db)
	if len(first) != 10 {
		t.Fatalf("%d videos stored after the first run, want 10", len(first))
	}
	fault.Remove()

	// The rerun fetches only what is missing.
	srv.ResetRequests()
	sum, err = upstream.FetchIndex(ctx, db, c, ix.ID, upstream.FetchOptions{PageSize: 10, Concurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := srv.Count(twelvelabstest.EndpointRetrieveIndexedAsset), 18; got != want {
		t.Errorf("rerun retrieved %d assets, want only the %d missing", got, want)
	}
	if sum.Listed != 30 || sum.NotReady != 2 || sum.AlreadyFetched != 10 || len(sum.Fetched) != 18 || len(sum.Failed) != 0 || sum.Replaced != 0 {
		t.Errorf("rerun summary: listed %d, not ready %d, already %d, fetched %d, failed %d, replaced %d",
			sum.Listed, sum.NotReady, sum.AlreadyFetched, len(sum.Fetched), len(sum.Failed), sum.Replaced)
	}
	if !slices.Equal(sum.Modalities, []string{"visual", "audio", "transcription"}) {
		t.Errorf("options used: %v", sum.Modalities)
	}
	checkIndexStored(t, db, ix)

	// A third run has nothing to do; --refetch replaces, never
	// duplicates: the same segments are found unchanged.
	srv.ResetRequests()
	if sum, err = upstream.FetchIndex(ctx, db, c, ix.ID, upstream.FetchOptions{}); err != nil || len(sum.Fetched) != 0 || sum.AlreadyFetched != 28 {
		t.Fatalf("third run: %v %+v", err, sum)
	}
	if n := srv.Count(twelvelabstest.EndpointRetrieveIndexedAsset); n != 0 {
		t.Errorf("third run retrieved %d assets", n)
	}
	st, _ := db.Stats(ctx)
	sum, err = upstream.FetchIndex(ctx, db, c, ix.ID, upstream.FetchOptions{Refetch: true})
	if err != nil || len(sum.Fetched) != 28 || sum.Imported != 0 || sum.Replaced != 0 || sum.Unchanged != st.Segments {
		t.Fatalf("refetch: %v: fetched %d, imported %d, replaced %d, unchanged %d of %d", err, len(sum.Fetched), sum.Imported, sum.Replaced, sum.Unchanged, st.Segments)
	}
	if st2, _ := db.Stats(ctx); st2.Generation != st.Generation {
		t.Errorf("refetching unchanged assets moved the generation %d → %d", st.Generation, st2.Generation)
	}
	checkIndexStored(t, db, ix)

	// The graphs were brought in step: the index is current.
	status, err := db.IndexStatus(ctx)
	if err != nil || len(status) != 1 || status[0].State != "current" {
		t.Errorf("index status after fetch: %v %+v", err, status)
	}

	// Deleting a video forgets its fetch: the next run brings it back.
	gone := ix.Videos[0].ID
	if _, err := db.Delete(ctx, gone); err != nil {
		t.Fatal(err)
	}
	srv.ResetRequests()
	if sum, err = upstream.FetchIndex(ctx, db, c, ix.ID, upstream.FetchOptions{}); err != nil || len(sum.Fetched) != 1 || sum.Fetched[0].ID != gone {
		t.Fatalf("after delete: %v %+v", err, sum.Fetched)
	}
	checkIndexStored(t, db, ix)
	checkThumbnails(t, db, srv, ix)
}

func TestFetchIndexOptionsAndScopes(t *testing.T) {
	ctx := context.Background()
	srv := fakeServer(t, twelvelabstest.WithVideos(6), twelvelabstest.WithMarengo27Index())
	c := srv.Client()
	db := openDB(t)

	// visual only: a later fetch of everything is not covered by it.
	ix := srv.Catalogue.Indexes[0]
	sum, err := upstream.FetchIndex(ctx, db, c, ix.ID, upstream.FetchOptions{Modalities: []string{"visual"}})
	if err != nil || len(sum.Fetched) != 5 {
		t.Fatalf("visual: %v %+v", err, sum)
	}
	for _, r := range srv.Requests() {
		if r.Endpoint == twelvelabstest.EndpointRetrieveIndexedAsset && !slices.Equal(r.Query["embedding_option"], []string{"visual"}) {
			t.Errorf("asked for %v", r.Query["embedding_option"])
		}
	}
	if sum, err = upstream.FetchIndex(ctx, db, c, ix.ID, upstream.FetchOptions{Modalities: []string{"visual"}}); err != nil || sum.AlreadyFetched != 5 {
		t.Errorf("visual again: %v %+v", err, sum)
	}
	if sum, err = upstream.FetchIndex(ctx, db, c, ix.ID, upstream.FetchOptions{}); err != nil || len(sum.Fetched) != 5 || sum.Replaced != 0 || sum.Unchanged != sum.Imported/2 {
		t.Errorf("all options after visual: %v fetched %d, imported %d, replaced %d, unchanged %d", err, len(sum.Fetched), sum.Imported, sum.Replaced, sum.Unchanged)
	}
	checkIndexStored(t, db, ix)

	// A Marengo 2.7 index: the default options are found by probing once.
	ix27 := srv.Catalogue.Indexes[1]
	srv.ResetRequests()
	sum, err = upstream.FetchIndex(ctx, db, c, ix27.ID, upstream.FetchOptions{Concurrency: 2})
	if err != nil || len(sum.Fetched) != 5 || !slices.Equal(sum.Modalities, []string{"visual-text", "audio"}) {
		t.Fatalf("2.7 index: %v %+v", err, sum)
	}
	if n := srv.Count(twelvelabstest.EndpointRetrieveIndexedAsset); n != 5+2 {
		t.Errorf("2.7 index: %d retrieves, want 5 and 2 probes", n)
	}
	spaces, _ := db.Spaces(ctx)
	if len(spaces) != 2 || spaces[1].Model != "marengo3.0" || spaces[0].Model != "marengo2.7" || spaces[0].Dim != 1024 {
		t.Errorf("spaces: %+v", spaces)
	}

	// A scope the assets do not have: recorded as fetched, nothing stored.
	db2 := openDB(t)
	sum, err = upstream.FetchIndex(ctx, db2, c, ix.ID, upstream.FetchOptions{Scopes: []string{"video"}})
	if err != nil || len(sum.Fetched) != 5 || sum.Imported != 0 || sum.Dropped == 0 {
		t.Fatalf("scope video: %v %+v", err, sum)
	}
	objs, err := db2.FetchedObjects(ctx, ix.ID)
	if err != nil || len(objs) != 5 || objs[0].Segments != 0 || !slices.Equal(objs[0].Scopes, []string{"video"}) {
		t.Errorf("fetched objects: %v %+v", err, objs)
	}
	if st, _ := db2.Stats(ctx); st.Segments != 0 {
		t.Errorf("%d segments stored", st.Segments)
	}
}

func TestFetchIndexErrors(t *testing.T) {
	ctx := context.Background()
	srv := fakeServer(t, twelvelabstest.WithVideos(8))
	ix := srv.Catalogue.Indexes[0]
	db := openDB(t)

	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := upstream.FetchIndex(ctx, db, srv.Client(), "nope", upstream.FetchOptions{})
		if !errors.Is(err, clipvec.ErrNotFound) || !twelvelabs.IsNotFound(err) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("ErrUnauthorizedStops", func(t *testing.T) {
		wrong := twelvelabs.NewClient("wrong", twelvelabs.WithBaseURL(srv.URL))
		srv.ResetRequests()
		sum, err := upstream.FetchIndex(ctx, db, wrong, ix.ID, upstream.FetchOptions{})
		if !errors.Is(err, twelvelabs.ErrUnauthorized) || len(sum.Fetched) != 0 {
			t.Errorf("err = %v, %+v", err, sum)
		}
	})
	t.Run("AssetFailuresGoOn", func(t *testing.T) {
		// Two assets answer 404 (deleted between list and retrieve).
		for _, v := range ix.Videos[:2] {
			srv.Inject(twelvelabstest.Fault{Path: "/indexes/" + ix.ID + "/indexed-assets/" + v.ID, Status: 404})
		}
		sum, err := upstream.FetchIndex(ctx, db, srv.Client(), ix.ID, upstream.FetchOptions{})
		if !errors.Is(err, clipvec.ErrNotFound) || len(sum.Failed) != 2 || len(sum.Fetched) != 5 ||
			!strings.Contains(err.Error(), "2 of 7 assets failed") {
			t.Fatalf("err = %v; fetched %d, failed %d", err, len(sum.Fetched), len(sum.Failed))
		}
		srv.ClearFaults()
		if sum, err = upstream.FetchIndex(ctx, db, srv.Client(), ix.ID, upstream.FetchOptions{}); err != nil || len(sum.Fetched) != 2 {
			t.Fatalf("retry: %v %+v", err, sum)
		}
		checkIndexStored(t, db, ix)
	})
	t.Run("ErrNoCredentials", func(t *testing.T) {
		if _, err := upstream.FetchIndex(ctx, db, nil, ix.ID, upstream.FetchOptions{}); !errors.Is(err, clipvec.ErrNoCredentials) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestFetchTask(t *testing.T) {
	ctx := context.Background()
	srv := fakeServer(t)
	c := srv.Client()
	db := openDB(t)

	v1, err := c.CreateEmbedTask(ctx, twelvelabs.EmbedTaskRequest{ModelName: "marengo3.0",
		VideoURL: "https://example.com/surfing.mp4", Scopes: []string{"clip", "video"}})
	if err != nil {
		t.Fatal(err)
	}
	v2task, err := c.CreateEmbedV2Task(ctx, twelvelabs.EmbedV2Request{InputType: "video", ModelName: "marengo3.0",
		Video: &twelvelabs.MediaInput{MediaSource: twelvelabs.MediaSource{URL: "https://example.com/cooking.mp4"}}})
	if err != nil {
		t.Fatal(err)
	}
	v2 := v2task.ID

	t.Run("ErrNotReady", func(t *testing.T) {
		id, err := c.CreateEmbedTask(ctx, twelvelabs.EmbedTaskRequest{ModelName: "marengo3.0", VideoURL: "https://example.com/x.mp4"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = upstream.FetchTask(ctx, db, c, id, upstream.FetchOptions{})
		if !errors.Is(err, clipvec.ErrNotReady) || !errors.Is(err, clipvec.ErrInvalidInput) || !strings.Contains(err.Error(), "is processing") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("V1WaitScopes", func(t *testing.T) {
		var statuses []string
		res, err := upstream.FetchTask(ctx, db, c, v1, upstream.FetchOptions{Wait: true, Scopes: []string{"video"},
			OnStatus: func(id, s string) { statuses = append(statuses, s) }})
		if err != nil {
			t.Fatal(err)
		}
		if res.Kind != clipvec.SourceEmbedTaskV1 || res.VideoID != v1 || res.Imported != 3 || res.Dropped == 0 || !slices.Equal(statuses, []string{"ready"}) {
			t.Errorf("result %+v, statuses %v", res, statuses)
		}
		segs := storedSegments(t, db)[v1]
		for _, s := range segs {
			if s.Scope != "video" || s.Source.Kind != clipvec.SourceEmbedTaskV1 {
				t.Errorf("segment %+v", s)
			}
		}
	})
	t.Run("V2Detected", func(t *testing.T) {
		res, err := upstream.FetchTask(ctx, db, c, v2, upstream.FetchOptions{Wait: true, VideoID: "cooking", Modalities: []string{"visual"}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Kind != clipvec.SourceEmbedTaskV2 || res.VideoID != "cooking" || res.Imported == 0 || res.Dropped == 0 || res.Model != "marengo3.0" {
			t.Errorf("result %+v", res)
		}
		for _, s := range storedSegments(t, db)["cooking"] {
			if s.Modality != "visual" || s.Source.ID != v2 {
				t.Errorf("segment %+v", s)
			}
		}
		objs, _ := db.FetchedObjects(ctx, "")
		if len(objs) != 2 || objs[1].Kind != clipvec.SourceEmbedTaskV2 || objs[1].VideoID != "cooking" || objs[1].Segments != res.Imported {
			t.Errorf("fetched objects %+v", objs)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := upstream.FetchTask(ctx, db, c, "000000000000000000000000", upstream.FetchOptions{})
		if !errors.Is(err, clipvec.ErrNotFound) || !strings.Contains(err.Error(), "no embed task (v1) or embed-v2 task has this id") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("FailedTask", func(t *testing.T) {
		id, err := c.CreateEmbedTask(ctx, twelvelabs.EmbedTaskRequest{ModelName: "marengo3.0", VideoURL: "https://example.com/fail.mp4"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = upstream.FetchTask(ctx, db, c, id, upstream.FetchOptions{Wait: true})
		if !errors.Is(err, clipvec.ErrNotReady) || !errors.Is(err, twelvelabs.ErrTaskFailed) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestFetchAsset(t *testing.T) {
	ctx := context.Background()
	srv := fakeServer(t, twelvelabstest.WithVideos(3), twelvelabstest.WithIndexingVideos(1))
	ix := srv.Catalogue.Indexes[0]
	db := openDB(t)
	res, err := upstream.FetchAsset(ctx, db, srv.Client(), ix.ID, ix.Videos[0].ID, upstream.FetchOptions{})
	if err != nil || res.Imported != len(ix.Videos[0].Segments) {
		t.Fatalf("%v %+v", err, res)
	}
	v, err := db.Video(ctx, ix.Videos[0].ID)
	if err != nil || v.Filename != ix.Videos[0].Filename || v.Duration != ix.Videos[0].Duration || len(v.UserMetadata) == 0 {
		t.Errorf("video metadata: %v %+v", err, v)
	}
	a, err := srv.Client().RetrieveIndexedAsset(ctx, ix.ID, ix.Videos[0].ID, twelvelabs.RetrieveOptions{})
	if err != nil || a.HLS == nil || len(a.HLS.ThumbnailURLs) == 0 {
		t.Fatalf("the fake server's asset: %v %+v", err, a)
	}
	if v != nil && v.ThumbnailURL != a.HLS.ThumbnailURLs[0] {
		t.Errorf("thumbnail %q, want the first hls thumbnail %q", v.ThumbnailURL, a.HLS.ThumbnailURLs[0])
	}
	if _, err := upstream.FetchAsset(ctx, db, srv.Client(), ix.ID, ix.Videos[2].ID, upstream.FetchOptions{}); !errors.Is(err, clipvec.ErrNotReady) {
		t.Errorf("indexing asset: %v", err)
	}
	if _, err := upstream.FetchAsset(ctx, db, srv.Client(), ix.ID, "nope", upstream.FetchOptions{}); !errors.Is(err, clipvec.ErrNotFound) {
		t.Errorf("unknown asset: %v", err)
	}
}

func TestEmbedVideo(t *testing.T) {
	ctx := context.Background()
	srv := fakeServer(t)
	c := srv.Client()
	db := openDB(t)

	t.Run("URLMakesAV2Task", func(t *testing.T) {
		res, err := upstream.EmbedVideo(ctx, db, c, upstream.EmbedOptions{URL: "https://example.com/soccer.mp4", Scopes: []string{"clip", "video"}})
		if err != nil {
			t.Fatal(err)
		}
		info, ok := srv.Task(res.ID)
		if !ok || info.Version != 2 || res.Kind != clipvec.SourceEmbedTaskV2 || res.Imported == 0 {
			t.Fatalf("result %+v, task %+v", res, info)
		}
		var whole int
		for _, s := range storedSegments(t, db)[res.ID] {
			if s.Scope == clipvec.ScopeVideo { // v2 sends "asset": stored as video
				whole++
			}
		}
		if whole != 3 {
			t.Errorf("%d whole-video segments, want one per option", whole)
		}
		for _, r := range srv.Requests() {
			if r.Endpoint == twelvelabstest.EndpointCreateEmbedV2Task && !strings.Contains(string(r.JSON), `"embedding_scope":["clip","asset"]`) {
				t.Errorf("create body %s", r.JSON)
			}
		}
	})
	t.Run("FileMakesAV1Upload", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "birds-lake.mp4")
		if err := os.WriteFile(path, []byte("not really a video"), 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := upstream.EmbedVideo(ctx, db, c, upstream.EmbedOptions{File: path, VideoID: "birds", ClipLength: 4})
		if err != nil {
			t.Fatal(err)
		}
		info, _ := srv.Task(res.ID)
		if info.Version != 1 || info.Input != "birds-lake.mp4" || res.VideoID != "birds" {
			t.Fatalf("result %+v, task %+v", res, info)
		}
		v, err := db.Video(ctx, "birds")
		if err != nil || v.Filename != "birds-lake.mp4" || v.Segments != res.Imported {
			t.Errorf("video %v %+v", err, v)
		}
	})
	t.Run("ErrInvalidQuery", func(t *testing.T) {
		for _, o := range []upstream.EmbedOptions{{}, {URL: "u", File: "f"}, {File: "f", Model: "marengo3.5"}, {URL: "u", Model: "marengo9"}} {
			if _, err := upstream.EmbedVideo(ctx, db, c, o); !errors.Is(err, clipvec.ErrInvalidQuery) {
				t.Errorf("%+v: err = %v", o, err)
			}
		}
	})
}

func TestEmbedQueryCaches(t *testing.T) {
	ctx := context.Background()
	srv := fakeServer(t, twelvelabstest.WithVideos(20), twelvelabstest.WithMarengo27Index())
	c := srv.Client()
	db := openDB(t)
	for _, ix := range srv.Catalogue.Indexes {
		if _, err := upstream.FetchIndex(ctx, db, c, ix.ID, upstream.FetchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.QuerySpace(ctx, ""); !errors.Is(err, clipvec.ErrInvalidQuery) {
		t.Errorf("two spaces, no model: %v", err)
	}
	topic := twelvelabstest.Topics()[3] // city street traffic at night with neon lights
	for _, model := range []string{"marengo3.0", "marengo2.7"} {
		t.Run(model, func(t *testing.T) {
			sp, err := db.QuerySpace(ctx, model)
			if err != nil {
				t.Fatal(err)
			}
			srv.ResetRequests()
			vec, cached, err := embedQuery(ctx, db, c, sp, clipvec.QueryInput{Text: topic.Description})
			if err != nil || cached {
				t.Fatalf("%v cached=%v", err, cached)
			}
			want := srv.Catalogue.TextVector(model, topic.Description)
			if !slices.Equal(vec, want) {
				t.Error("the vector is not the server's text embedding")
			}
			endpoint := twelvelabstest.EndpointEmbedV2
			if model == "marengo2.7" {
				endpoint = twelvelabstest.EndpointEmbed // 2.7 is v1 /embed only
			}
			if srv.Count(endpoint) != 1 {
				t.Errorf("requests: %v", srv.Counts())
			}
			// Cached: no client needed.
			again, cached, err := embedQuery(ctx, db, nil, sp, clipvec.QueryInput{Text: topic.Description})
			if err != nil || !cached || !slices.Equal(again, vec) {
				t.Fatalf("cached: %v %v", err, cached)
			}
			res, err := db.Search(ctx, clipvec.Query{Vector: vec, Model: sp.Model, K: 3, GroupBy: clipvec.GroupByVideo})
			if err != nil {
				t.Fatal(err)
			}
			if v := srv.Catalogue.Video(res.Hits[0].VideoID); v == nil || v.Topic.Name != topic.Name {
				t.Errorf("best video for %q: %+v", topic.Description, res.Hits[0])
			}
		})
	}
	sp, _ := db.QuerySpace(ctx, "marengo3.0/512")
	if _, _, err := embedQuery(ctx, db, nil, sp, clipvec.QueryInput{Text: "never asked"}); !errors.Is(err, clipvec.ErrNoCredentials) ||
		!strings.Contains(err.Error(), "cached queries work offline") {
		t.Errorf("uncached without a client: %v", err)
	}
	t.Run("Images", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "q.jpg")
		os.WriteFile(path, []byte("jpeg bytes"), 0o644)
		for _, img := range []string{"https://example.com/surfing.jpg", path} {
			_, cached, err := embedQuery(ctx, db, c, sp, clipvec.QueryInput{Image: img})
			if err != nil || cached {
				t.Fatalf("%s: %v", img, err)
			}
			if _, cached, err = embedQuery(ctx, db, nil, sp, clipvec.QueryInput{Image: img}); err != nil || !cached {
				t.Fatalf("%s again: %v", img, err)
			}
		}
	})
	qs, err := db.CachedQueries(ctx, false)
	if err != nil || len(qs) != 4 {
		t.Fatalf("%v %+v", err, qs)
	}
	kinds := map[string]int{}
	for _, q := range qs {
		kinds[q.Kind]++
		if q.Vector != nil {
			t.Error("vectors listed")
		}
		if q.Kind == clipvec.QueryImage && !strings.HasPrefix(q.Input, "https://") && !strings.HasPrefix(q.Input, "sha256:") {
			t.Errorf("image input %q", q.Input)
		}
	}
	if kinds["text"] != 2 || kinds["image"] != 2 {
		t.Errorf("kinds %v", kinds)
	}
	// The cache is no write to the store's data: the generation stays.
	st1, _ := db.Stats(ctx)
	embedQuery(ctx, db, c, sp, clipvec.QueryInput{Text: "another query"})
	if st2, _ := db.Stats(ctx); st2.Generation != st1.Generation {
		t.Errorf("caching a query bumped the generation %d → %d", st1.Generation, st2.Generation)
	}
}

func TestFetchConcurrentCallers(t *testing.T) {
	// FetchAsset from several goroutines at once: the store serialises the
	// imports, nothing is lost or duplicated.
	ctx := context.Background()
	srv := fakeServer(t, twelvelabstest.WithVideos(12), twelvelabstest.WithIndexingVideos(0))
	ix := srv.Catalogue.Indexes[0]
	db := openDB(t)
	var wg sync.WaitGroup
	for _, v := range ix.Videos {
		wg.Go(func() {
			if _, err := upstream.FetchAsset(ctx, db, srv.Client(), ix.ID, v.ID, upstream.FetchOptions{NoIndex: true}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	checkIndexStored(t, db, ix)
}

func TestFetchRejectedRecordsNothing(t *testing.T) {
	// An asset whose second vector is all zeros: the import is rejected,
	// and with it the fetch record (same transaction), so a FetchIndex
	// would try it again.
	ctx := context.Background()
	srv := fakeServer(t, twelvelabstest.WithVideos(2))
	ix := srv.Catalogue.Indexes[0]
	id := ix.Videos[0].ID
	srv.Inject(twelvelabstest.Fault{Path: "/indexes/" + ix.ID + "/indexed-assets/" + id, Status: 200,
		Body: []byte(`{"_id":"` + id + `","status":"ready","embedding":{"model_name":"marengo3.0","video_embedding":{"segments":[
			{"start_offset_sec":0,"end_offset_sec":6,"embedding_option":"visual","embedding_scope":"clip","float":[1,2,3]},
			{"start_offset_sec":6,"end_offset_sec":12,"embedding_option":"visual","embedding_scope":"clip","float":[0,0,0]}]}}}`)})
	db := openDB(t)
	_, err := upstream.FetchAsset(ctx, db, srv.Client(), ix.ID, id, upstream.FetchOptions{})
	if !errors.Is(err, clipvec.ErrInvalidInput) || !errors.Is(err, clipvec.ErrZeroVector) || !strings.Contains(err.Error(), "index:"+ix.ID+"/asset:"+id) {
		t.Fatalf("err = %v", err)
	}
	objs, _ := db.FetchedObjects(ctx, "")
	if st, _ := db.Stats(ctx); st.Segments != 0 || len(objs) != 0 {
		t.Errorf("after a rejected fetch: %d segments, fetches %+v", st.Segments, objs)
	}
}

func TestFetchIndexCancelled(t *testing.T) {
	// Cancelled part-way (Ctrl-C): what committed stays, the downloads in
	// flight are not failures, and the rerun fetches the rest.
	srv := fakeServer(t, twelvelabstest.WithVideos(20), twelvelabstest.WithIndexingVideos(0))
	ix := srv.Catalogue.Indexes[0]
	db := openDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sum, err := upstream.FetchIndex(ctx, db, srv.Client(), ix.ID, upstream.FetchOptions{Concurrency: 4, Progress: func(p upstream.FetchProgress) {
		if p.Fetched == 5 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || len(sum.Failed) != 0 || len(sum.Fetched) < 5 || len(sum.Fetched) == 20 {
		t.Fatalf("err = %v; fetched %d, failed %+v", err, len(sum.Fetched), sum.Failed)
	}
	objs, _ := db.FetchedObjects(context.Background(), ix.ID)
	if len(objs) != len(sum.Fetched) {
		t.Errorf("%d fetches recorded, %d reported", len(objs), len(sum.Fetched))
	}
	srv.ResetRequests()
	sum2, err := upstream.FetchIndex(context.Background(), db, srv.Client(), ix.ID, upstream.FetchOptions{})
	if err != nil || len(sum2.Fetched) != 20-len(sum.Fetched) {
		t.Fatalf("rerun: %v, fetched %d", err, len(sum2.Fetched))
	}
	// (Counting requests would be racy: a download the cancel cut short
	// may reach the server late. None of them is of a fetched asset.)
	for _, r := range srv.Requests() {
		for _, f := range sum.Fetched {
			if r.Endpoint == twelvelabstest.EndpointRetrieveIndexedAsset && strings.HasSuffix(r.Path, "/"+f.ID) {
				t.Errorf("the rerun retrieved %s again", f.ID)
			}
		}
	}
	checkIndexStored(t, db, ix)
}

// TestSyncFetched: objects fetched with NoIndex leave their space
// without a graph; SyncFetched builds it from what they wrote.
func TestSyncFetched(t *testing.T) {
	ctx := context.Background()
	srv := fakeServer(t)
	c := srv.Client()
	db := openDB(t)
	var results []*upstream.FetchResult
	for _, url := range []string{"https://example.com/surfing.mp4", "https://example.com/cooking.mp4"} {
		id, err := c.CreateEmbedTask(ctx, twelvelabs.EmbedTaskRequest{ModelName: "marengo3.0", VideoURL: url})
		if err != nil {
			t.Fatal(err)
		}
		res, err := upstream.FetchTask(ctx, db, c, id, upstream.FetchOptions{Wait: true, NoIndex: true})
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, res)
	}
	state := func() string {
		st, err := db.IndexStatus(ctx)
		if err != nil || len(st) != 1 {
			t.Fatalf("%+v %v", st, err)
		}
		return fmt.Sprintf("%s:%s:%d", st[0].Space, st[0].State, st[0].Nodes)
	}
	if got := state(); got != "marengo3.0/512:missing:0" {
		t.Fatalf("after fetching with NoIndex: %s", got)
	}
	if err := upstream.SyncFetched(ctx, db, results, nil); err != nil {
		t.Fatal(err)
	}
	st, _ := db.Stats(ctx)
	if got, want := state(), fmt.Sprintf("marengo3.0/512:current:%d", st.Segments); got != want {
		t.Fatalf("after SyncFetched: %s, want %s", got, want)
	}
}

// TestSearchText: a text query goes straight through Search, embedded by
// the DB's Embedder against the fake server the first time and from the
// query cache after, with no embedder at all (issue 9: the CLI's
// three-call sequence is one call).
func TestSearchText(t *testing.T) {
	ctx := context.Background()
	srv := fakeServer(t, twelvelabstest.WithVideos(16))
	db := openDB(t)
	ix := srv.Catalogue.Indexes[0]
	if _, err := upstream.FetchIndex(ctx, db, srv.Client(), ix.ID, upstream.FetchOptions{}); err != nil {
		t.Fatal(err)
	}
	topic := ix.Videos[2].Topic
	q := clipvec.Query{Text: topic.Description, GroupBy: clipvec.GroupByVideo, K: 3}
	if _, err := db.Search(ctx, q); !errors.Is(err, clipvec.ErrNoCredentials) {
		t.Fatalf("no embedder, not cached: %v", err)
	}
	db.Embedder = upstream.Embedder(srv.Client())
	for i, want := range []string{clipvec.QueryFromEmbedder, clipvec.QueryFromCache} {
		res, err := db.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if res.QuerySource != want || !reflect.DeepEqual(res.Query, clipvec.QueryInfo{Kind: clipvec.QueryText, Text: topic.Description}) || len(res.Hits) == 0 {
			t.Fatalf("search %d: source %q, query %+v, %d hits", i, res.QuerySource, res.Query, len(res.Hits))
		}
		if v := srv.Catalogue.Video(res.Hits[0].VideoID); v == nil || v.Topic.Name != topic.Name {
			t.Errorf("search %d: best video %+v, want one of topic %s", i, res.Hits[0], topic.Name)
		}
	}
	if n := srv.Count(twelvelabstest.EndpointEmbedV2); n != 1 {
		t.Errorf("%d embed requests, want 1 (the second search is cached)", n)
	}
	db.Embedder = nil
	if res, err := db.Search(ctx, q); err != nil || res.QuerySource != clipvec.QueryFromCache {
		t.Fatalf("cached, no embedder: %+v %v", res, err)
	}
}
