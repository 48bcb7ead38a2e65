package clipvec_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/internal/sqlite"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

// bruteForce is the reference: every segment of the export, scored in
// float64, filtered by pred, sorted best first.
type refSeg struct {
	ingest.Segment
	score float64
}

func bruteForce(t testing.TB, db *clipvec.DB, model string, dim int, q []float32, pred func(*ingest.Segment) bool) []refSeg {
	t.Helper()
	var qn float64
	for _, x := range q {
		qn += float64(x) * float64(x)
	}
	qn = math.Sqrt(qn)
	var out []refSeg
	all, ok := segmentCache.Load(db)
	if !ok {
		all = segments(t, db)
		segmentCache.Store(db, all)
	}
	for _, s := range all.(map[string]ingest.Segment) {
		if s.Model != model || len(s.Vector) != dim || !pred(&s) {
			continue
		}
		var dot float64
		for i := range q {
			dot += float64(q[i]) * float64(s.Vector[i])
		}
		out = append(out, refSeg{s, dot / qn})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].score > out[j].score })
	return out
}

// segmentCache memoises segments(db) for databases that do not change
// after searchDB built them.
var segmentCache sync.Map

// searchDB returns a database of two spaces, marengo3.0/512 (30 videos
// of 60 clips in 3 modalities) and marengo2.7/1024, graphs built, and the
// directory of the JSONL files it was imported from. Each caller gets its
// own copy of one database built once per run: building it under -race
// took 14 s, and nine tests use it.
func searchDB(t testing.TB) (*clipvec.DB, string) {
	t.Helper()
	searchTemplate.once.Do(func() {
		// Should t fail while building, the sentinel stays for the rest.
		searchTemplate.err = errors.New("the shared search database could not be built: see the first test that asked for it")
		searchTemplate.err = buildSearchDB(t)
	})
	if searchTemplate.err != nil {
		t.Fatal(searchTemplate.err)
	}
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(searchTemplate.dir)); err != nil {
		t.Fatal(err)
	}
	db, err := clipvec.Open(context.Background(), filepath.Join(dir, "clipvec.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, filepath.Join(dir, "src")
}

// searchTemplate is the database searchDB copies, in a directory that
// TestMain removes.
var searchTemplate struct {
	once sync.Once
	dir  string
	err  error
}

func buildSearchDB(t testing.TB) error {
	dir, err := os.MkdirTemp("", "clipvec-searchdb-")
	if err != nil {
		return err
	}
	searchTemplate.dir = dir
	src := filepath.Join(dir, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		return err
	}
	synth{seed: 21, model: "marengo3.0", dim: 512, videos: 30, clips: 60, options: []string{"visual", "audio", "transcription"}}.write(t, filepath.Join(src, "a.jsonl"))
	synth{seed: 22, model: "marengo2.7", dim: 1024, videos: 5, clips: 3, options: []string{"visual-text"}}.write(t, filepath.Join(src, "b.jsonl"))
	ctx := context.Background()
	db, err := clipvec.Open(ctx, filepath.Join(dir, "clipvec.db"))
	if err != nil {
		return err
	}
	err = db.SetIndexParams(ctx, testParams)
	if err == nil {
		_, err = db.Import(ctx, []string{src}, clipvec.ImportOptions{})
	}
	return errors.Join(err, db.Close())
}

func TestMain(m *testing.M) {
	code := m.Run()
	if searchTemplate.dir != "" {
		os.RemoveAll(searchTemplate.dir)
	}
	os.Exit(code)
}

func randQuery(seed uint64, dim int) []float32 {
	r := rand.New(rand.NewPCG(seed, 5))
	q := make([]float32, dim)
	for i := range q {
		q[i] = float32(r.NormFloat64())
	}
	return q
}

func TestExactSearchMatchesBruteForce(t *testing.T) {
	ctx := context.Background()
	db, _ := searchDB(t)
	for _, threads := range []int{1, 2, 7} {
		db.Threads = threads
		for _, tc := range []struct {
			name   string
			filter clipvec.Filter
			pred   func(*ingest.Segment) bool
		}{
			{"NoFilter", clipvec.Filter{}, func(*ingest.Segment) bool { return true }},
			{"Options", clipvec.Filter{Modalities: []string{"audio", "transcription"}},
				func(s *ingest.Segment) bool { return s.Option != "visual" }},
			{"Videos", clipvec.Filter{Videos: []string{"video-003", "video-017"}},
				func(s *ingest.Segment) bool { return s.VideoID == "video-003" || s.VideoID == "video-017" }},
			{"ExcludeVideos", clipvec.Filter{ExcludeVideos: []string{"video-000", "video-001"}},
				func(s *ingest.Segment) bool { return s.VideoID != "video-000" && s.VideoID != "video-001" }},
			{"TimeRange", clipvec.Filter{TimeRange: &clipvec.TimeRange{From: 30, To: 60}},
				func(s *ingest.Segment) bool { return s.End > 30 && s.Start < 60 }},
			{"Combined", clipvec.Filter{Modalities: []string{"visual"}, Scopes: []string{"clip"}, TimeRange: &clipvec.TimeRange{From: 100, To: 200},
				ExcludeVideos: []string{"video-005"}},
				func(s *ingest.Segment) bool {
					return s.Option == "visual" && s.End > 100 && s.Start < 200 && s.VideoID != "video-005"
				}},
		} {
			t.Run(fmt.Sprintf("%s/threads=%d", tc.name, threads), func(t *testing.T) {
				q := randQuery(uint64(threads), 512)
				res, err := db.Search(ctx, clipvec.Query{Vector: q, K: 25, Filter: tc.filter, Exact: true})
				if err != nil {
					t.Fatal(err)
				}
				want := bruteForce(t, db, "marengo3.0", 512, q, tc.pred)
				if res.Searched != len(want) {
					t.Errorf("searched %d, want the %d segments the filter leaves", res.Searched, len(want))
				}
				if len(res.Hits) != min(25, len(want)) {
					t.Fatalf("%d hits, want %d", len(res.Hits), min(25, len(want)))
				}
				for i, h := range res.Hits {
					w := want[i]
					if h.VideoID != w.VideoID || h.Start != w.Start || h.Modality != w.Option || math.Abs(float64(h.Score)-w.score) > 1e-5 {
						t.Fatalf("hit %d = %s %g %s %.6f, want %s %g %s %.6f", i, h.VideoID, h.Start, h.Modality, h.Score, w.VideoID, w.Start, w.Option, w.score)
					}
				}
			})
		}
	}
}

// TestSearchedCountsCompared: a graph search reports the nodes its walk
// compared, fewer than the space holds and more than it returns; an
// exact one every segment (issue 13: 5).
func TestSearchedCountsCompared(t *testing.T) {
	ctx := context.Background()
	db, _ := searchDB(t)
	q := randQuery(3, 512)
	graph, err := db.Search(ctx, clipvec.Query{Vector: q, K: 10, Ef: 40})
	if err != nil {
		t.Fatal(err)
	}
	exact, err := db.Search(ctx, clipvec.Query{Vector: q, K: 10, Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	if graph.Method != clipvec.MethodGraph {
		t.Fatalf("method %s, want graph", graph.Method)
	}
	if n := graph.Space.Segments; graph.Searched <= 40 || graph.Searched >= n {
		t.Errorf("graph search compared %d of %d segments, want more than ef 40 and fewer than all", graph.Searched, n)
	}
	if exact.Searched != exact.Space.Segments {
		t.Errorf("exact search compared %d, want all %d", exact.Searched, exact.Space.Segments)
	}
}

func TestGroupByVideo(t *testing.T) {
	ctx := context.Background()
	db, _ := searchDB(t)
	q := randQuery(9, 512)
	all := bruteForce(t, db, "marengo3.0", 512, q, func(s *ingest.Segment) bool { return s.Option == "visual" })
	best := map[string]float64{}
	sum := map[string]float64{}
	n := map[string]int{}
	for _, s := range all {
		if _, ok := best[s.VideoID]; !ok {
			best[s.VideoID] = s.score
		}
		sum[s.VideoID] += s.score
		n[s.VideoID]++
	}
	for _, agg := range []string{clipvec.AggMax, clipvec.AggMean} {
		t.Run(agg, func(t *testing.T) {
			res, err := db.Search(ctx, clipvec.Query{Vector: q, K: 8, GroupBy: clipvec.GroupByVideo, Aggregate: agg,
				Filter: clipvec.Filter{Modalities: []string{"visual"}}, Exact: true})
			if err != nil {
				t.Fatal(err)
			}
			type vs struct {
				id    string
				score float64
			}
			var want []vs
			for id := range best {
				s := best[id]
				if agg == clipvec.AggMean {
					s = sum[id] / float64(n[id])
				}
				want = append(want, vs{id, s})
			}
			sort.Slice(want, func(i, j int) bool { return want[i].score > want[j].score })
			if len(res.Hits) != 8 {
				t.Fatalf("%d hits, want 8", len(res.Hits))
			}
			seen := map[string]bool{}
			for i, h := range res.Hits {
				if seen[h.VideoID] {
					t.Errorf("video %s twice", h.VideoID)
				}
				seen[h.VideoID] = true
				if h.VideoID != want[i].id || math.Abs(float64(h.Score)-want[i].score) > 1e-5 || h.Matches != 60 {
					t.Errorf("hit %d: %s %.6f (%d matches), want %s %.6f (60)", i, h.VideoID, h.Score, h.Matches, want[i].id, want[i].score)
				}
			}
		})
	}
}

func TestLikeQueries(t *testing.T) {
	ctx := context.Background()
	db, _ := searchDB(t)
	t.Run("LikeClipExcludesItself", func(t *testing.T) {
		res, err := db.Search(ctx, clipvec.Query{Like: &clipvec.SegmentRef{VideoID: "video-014", At: 13}, K: 5})
		if err != nil {
			t.Fatal(err)
		}
		if c := res.Query.Clip; res.Query.Kind != clipvec.QueryClip || c == nil || c.VideoID != "video-014" || c.Modality != "visual" ||
			c.Start != 12 || c.End != 18 || c.Vector != nil {
			t.Errorf("query = %+v %+v", res.Query, res.Query.Clip)
		}
		for _, h := range res.Hits {
			if h.VideoID == "video-014" && h.Start == 12 && h.Modality == "visual" {
				t.Errorf("the query clip is in its own results: %+v", h)
			}
		}
		self, err := db.Search(ctx, clipvec.Query{Like: &clipvec.SegmentRef{VideoID: "video-014", At: 13}, K: 1, IncludeSelf: true})
		if err != nil || self.Hits[0].VideoID != "video-014" || self.Hits[0].Start != 12 || self.Hits[0].Score < 0.9999 {
			t.Errorf("with IncludeSelf the query clip should match itself first: %+v %v", self, err)
		}
	})
	t.Run("LikeClipOption", func(t *testing.T) {
		res, err := db.Search(ctx, clipvec.Query{Like: &clipvec.SegmentRef{VideoID: "video-014", At: 13, Modality: "audio"},
			K: 3, ExcludeQueryVideo: true})
		if err != nil {
			t.Fatal(err)
		}
		if c := res.Query.Clip; c == nil || c.Modality != "audio" {
			t.Errorf("query = %+v", res.Query)
		}
		for _, h := range res.Hits {
			if h.VideoID == "video-014" {
				t.Errorf("ExcludeQueryVideo returned the query video: %+v", h)
			}
		}
	})
	t.Run("LikeVideoIsMeanOfClips", func(t *testing.T) {
		res, err := db.Search(ctx, clipvec.Query{LikeVideo: "video-012", K: 4, GroupBy: clipvec.GroupByVideo, Exact: true})
		if err != nil {
			t.Fatal(err)
		}
		if want := (clipvec.QueryInfo{Kind: clipvec.QueryVideo, VideoID: "video-012", Modality: "visual", Clips: 60}); !reflect.DeepEqual(res.Query, want) || len(res.Hits) != 4 {
			t.Fatalf("result %+v", res)
		}
		// Reference: the normalised mean of the video's visual clips.
		mean := make([]float64, 512)
		for _, s := range segments(t, db) {
			if s.VideoID == "video-012" && s.Option == "visual" {
				for i, x := range s.Vector {
					mean[i] += float64(x)
				}
			}
		}
		q := make([]float32, 512)
		for i := range q {
			q[i] = float32(mean[i])
		}
		want := bruteForce(t, db, "marengo3.0", 512, q, func(s *ingest.Segment) bool { return s.VideoID != "video-012" })
		if res.Hits[0].VideoID != want[0].VideoID || math.Abs(float64(res.Hits[0].Score)-want[0].score) > 1e-4 {
			t.Errorf("best video %s %.5f, want %s %.5f", res.Hits[0].VideoID, res.Hits[0].Score, want[0].VideoID, want[0].score)
		}
		for _, h := range res.Hits {
			if h.VideoID == "video-012" {
				t.Error("like-video returned the query video")
			}
		}
	})
	t.Run("LikeVideoUsesVideoScopeVector", func(t *testing.T) {
		db := openDB(t)
		if _, err := db.Import(ctx, []string{filepath.Join(fixtures, "embed_task_retrieve.json")}, clipvec.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		res, err := db.Search(ctx, clipvec.Query{LikeVideo: "663e16ac4d11aff765088b3a", IncludeSelf: true})
		if want := (clipvec.QueryInfo{Kind: clipvec.QueryVideo, VideoID: "663e16ac4d11aff765088b3a", Modality: "visual", Scope: "video"}); err != nil || !reflect.DeepEqual(res.Query, want) {
			t.Fatalf("%+v %v", res, err)
		}
	})
}

func TestSpaceErrors(t *testing.T) {
	ctx := context.Background()
	db, dir := searchDB(t)
	// A second 512-d space.
	synth{seed: 23, model: "marengo3.5", dim: 512, videos: 2, clips: 2, options: []string{"visual"}}.write(t, filepath.Join(dir, "c.jsonl"))
	synth{seed: 24, model: "marengo3.5", dim: 512, videos: 1, clips: 2, options: []string{"visual"}}.write(t, filepath.Join(dir, "d.jsonl"))
	if _, err := db.Import(ctx, []string{filepath.Join(dir, "c.jsonl")}, clipvec.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		q    clipvec.Query
		want error
		msg  string
	}{
		{"ErrInvalidQueryNoSpace", clipvec.Query{Vector: randQuery(1, 384)}, clipvec.ErrInvalidQuery,
			"no embedding space fits a 384-d query vector; the database has marengo2.7/1024 (15 segments), marengo3.0/512 (5400 segments), marengo3.5/512 (4 segments)"},
		{"ErrInvalidQueryTwoSpaces", clipvec.Query{Vector: randQuery(1, 512)}, clipvec.ErrInvalidQuery,
			"fits several embedding spaces (marengo3.0/512 (5400 segments), marengo3.5/512 (4 segments)); choose one with a model"},
		{"ErrInvalidQueryVideoInTwoSpaces", clipvec.Query{LikeVideo: "video-000"}, clipvec.ErrInvalidQuery, "has vectors in several embedding spaces"},
		{"ErrInvalidQueryNothing", clipvec.Query{}, clipvec.ErrInvalidQuery, "exactly one"},
		{"ErrZeroVector", clipvec.Query{Vector: make([]float32, 512)}, clipvec.ErrZeroVector, "query vector"},
		{"ErrInvalidQueryZeroVector", clipvec.Query{Vector: make([]float32, 512)}, clipvec.ErrInvalidQuery, "query vector"},
		{"ErrNotFoundVideo", clipvec.Query{LikeVideo: "nope"}, clipvec.ErrNotFound, `like video: video "nope": no such video (the database has 30)`},
		{"ErrNotFoundOption", clipvec.Query{Like: &clipvec.SegmentRef{VideoID: "video-003", At: 1, Modality: "smell"}, Model: "marengo3.0"},
			clipvec.ErrNotFound, "has no smell segment (it has audio, transcription, visual)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.Search(ctx, tc.q)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v\nwant %v saying %q", err, tc.want, tc.msg)
			}
		})
	}
	t.Run("ModelPicksTheSpace", func(t *testing.T) {
		res, err := db.Search(ctx, clipvec.Query{Vector: randQuery(1, 512), Model: "marengo3.5"})
		if err != nil || res.Space.String() != "marengo3.5/512" || len(res.Hits) != 4 {
			t.Fatalf("%+v %v", res, err)
		}
	})
}

// Searches run while imports commit: every search sees a consistent
// database (run with -race).
func TestConcurrentSearchAndImport(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	dir := t.TempDir()
	var files []string
	for i := 0; i < 6; i++ {
		p := filepath.Join(dir, fmt.Sprintf("%d.jsonl", i))
		synth{seed: uint64(100 + i), model: "m", dim: 32, videos: 5, clips: 20, options: []string{"visual"}}.write(t, p)
		files = append(files, p)
	}
	if _, err := db.Import(ctx, files[:1], clipvec.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, f := range files[1:] {
			if _, err := db.Import(ctx, []string{f}, clipvec.ImportOptions{}); err != nil {
				errs <- err
			}
		}
	}()
	wg.Add(1)
	go func() { // deletes run too
		defer wg.Done()
		for _, v := range []string{"video-004", "video-003"} {
			if _, err := db.Delete(ctx, v); err != nil && !errors.Is(err, clipvec.ErrNotFound) {
				errs <- err
			}
		}
	}()
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				res, err := db.Search(ctx, clipvec.Query{Vector: randQuery(uint64(g*100+i), 32), K: 10})
				if err != nil {
					errs <- err
					return
				}
				if !slices.IsSortedFunc(res.Hits, func(a, b clipvec.Hit) int {
					return -compare(a.Score, b.Score)
				}) || len(res.Hits) != 10 {
					errs <- fmt.Errorf("bad result %+v", res.Hits)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Once quiet, the graph agrees with the store, whatever the
	// interleaving was: every hit is the segment the store holds under
	// the hit's id, with its video, option, scope and times, and scored
	// against its stored vector (not a deleted or replaced one's).
	held := storeByID(t, db.Path())
	for i := 0; i < 20; i++ {
		q := randQuery(uint64(500+i), 32)
		res, err := db.Search(ctx, clipvec.Query{Vector: q, K: 50})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Hits) != 50 {
			t.Fatalf("query %d: %d hits, want 50", i, len(res.Hits))
		}
		for _, h := range res.Hits {
			s, ok := held[h.ID]
			if !ok {
				t.Fatalf("query %d: hit %d (%s %s %g–%g) is not in the store", i, h.ID, h.VideoID, h.Modality, h.Start, h.End)
			}
			if h.VideoID != s.VideoID || h.Model != s.Model || h.Modality != s.Option || h.Scope != s.Scope || h.Start != s.Start || h.End != s.End {
				t.Fatalf("query %d: hit %d is %s/%s/%s/%s %g–%g, the store's segment %d is %s/%s/%s/%s %g–%g", i,
					h.ID, h.VideoID, h.Model, h.Modality, h.Scope, h.Start, h.End, s.ID, s.VideoID, s.Model, s.Option, s.Scope, s.Start, s.End)
			}
			if got, want := float64(h.Score), cosine(q, s.Vector); math.Abs(got-want) > 1e-4 {
				t.Fatalf("query %d: hit %d scored %.5f, its stored vector scores %.5f", i, h.ID, got, want)
			}
		}
	}
}

// storeByID reads every segment of the database at path from SQLite
// itself, by segment id.
func storeByID(t testing.TB, path string) map[int64]sqlite.Segment {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	held := map[int64]sqlite.Segment{}
	err = st.Segments(ctx, sqlite.SegmentQuery{}, func(s *sqlite.Segment) error {
		c := *s
		c.Vector = slices.Clone(s.Vector)
		held[s.ID] = c
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return held
}

// cosine is the cosine similarity of a and b, in float64.
func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return dot / math.Sqrt(na*nb)
}

func compare(a, b float32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// An image query's scheme is matched in any case: HTTP://... is a URL
// for the embedder, never a path on this machine to read.
func TestImageURLSchemeAnyCase(t *testing.T) {
	ctx := context.Background()
	db, _ := searchDB(t)
	for _, img := range []string{"HTTP://example.invalid/../../etc/passwd", "Https://example.invalid/x.png"} {
		_, err := db.Search(ctx, clipvec.Query{Image: img, Model: "marengo3.0"})
		if !errors.Is(err, clipvec.ErrNoCredentials) {
			t.Errorf("image %s: %v, want ErrNoCredentials (a URL, with no embedder to send it to)", img, err)
		}
	}
}
