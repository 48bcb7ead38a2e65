package twelvelabstest_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/clipvec/clipvec/pkg/twelvelabs"
	"github.com/clipvec/clipvec/pkg/twelvelabs/twelvelabstest"
)

// exactClip is a segment's clip scored the way a local exact search
// scores it: its best cosine with the query over the options asked.
type exactClip struct {
	video      string
	start, end float64
	score      float64
}

// exactSearch ranks the clips of an index's ready indexed assets by
// exact cosine with the text, keeping those that reach MatchThreshold,
// the way the default server does.
func exactSearch(tb testing.TB, srv *twelvelabstest.Server, ix *twelvelabstest.Index, text string, options []string) []exactClip {
	tb.Helper()
	q := srv.Catalogue.TextVector(ix.ModelName, text)
	var out []exactClip
	for _, v := range ix.Videos {
		if !v.Ready() {
			continue
		}
		at := map[float64]int{}
		for _, s := range v.Segments {
			if !slices.Contains(options, s.Option) {
				continue
			}
			c := twelvelabstest.Cosine(q, s.Vector)
			if c < twelvelabstest.MatchThreshold {
				continue
			}
			if i, ok := at[s.Start]; ok {
				out[i].score = max(out[i].score, c)
				continue
			}
			at[s.Start] = len(out)
			out = append(out, exactClip{v.ID, s.Start, s.End, c})
		}
	}
	slices.SortFunc(out, func(a, b exactClip) int {
		return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.video, b.video), cmp.Compare(a.start, b.start))
	})
	return out
}

// iou is the temporal intersection over union of two clips.
func iou(a0, a1, b0, b1 float64) float64 {
	inter := math.Min(a1, b1) - math.Max(a0, b0)
	if inter <= 0 {
		return 0
	}
	return inter / (math.Max(a1, b1) - math.Min(a0, b0))
}

// searchAll walks every page of a search through the client.
func searchAll(tb testing.TB, c *twelvelabs.Client, req twelvelabs.SearchRequest) []twelvelabs.SearchItem {
	tb.Helper()
	it := c.SearchAll(context.Background(), req)
	var out []twelvelabs.SearchItem
	for it.Next() {
		out = append(out, it.Item())
	}
	if err := it.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

var visualAudio = []string{"visual", "audio"}

func TestSearchRankingDefaultIsExact(t *testing.T) {
	srv := newServer(t, twelvelabstest.WithVideos(20))
	ix := srv.Catalogue.Indexes[0]
	if len(ix.SearchOnly) != 0 {
		t.Fatalf("%d search-only videos without a ranking that asks for them", len(ix.SearchOnly))
	}
	for _, topic := range twelvelabstest.Topics() {
		got := searchAll(t, srv.Client(), twelvelabs.SearchRequest{IndexID: ix.ID, SearchOptions: visualAudio, QueryText: topic.Description, PageLimit: 50})
		want := exactSearch(t, srv, ix, topic.Description, visualAudio)
		if len(got) != len(want) {
			t.Fatalf("%q: %d results, want the %d exact matches", topic.Name, len(got), len(want))
		}
		for i, h := range got {
			if w := want[i]; h.VideoID != w.video || h.Start != w.start || h.End != w.end || h.Rank != i+1 {
				t.Errorf("%q: result %d is %s [%g, %g) rank %d, want %s [%g, %g)", topic.Name, i, h.VideoID, h.Start, h.End, h.Rank, w.video, w.start, w.end)
				break
			}
		}
	}
}

// rankingStats compares a server's search results with exact search.
type rankingStats struct {
	queries, top1      int     // queries with results; whose best result shows the topic
	results, foreign   int     // results; from search-only videos
	tau                float64 // mean Kendall τ of the local results' two orders
	recall10           float64 // mean recall@10, temporal IoU ≥ 0.5
	moveTop, moveDeep  float64 // mean places a local result moved, exact rank < 5; ≥ 15
	nTop, nDeep, nTaus int
}

func measureRanking(t *testing.T, srv *twelvelabstest.Server) rankingStats {
	t.Helper()
	ix := srv.Catalogue.Indexes[0]
	var st rankingStats
	for _, topic := range twelvelabstest.Topics() {
		got := searchAll(t, srv.Client(), twelvelabs.SearchRequest{IndexID: ix.ID, SearchOptions: visualAudio, QueryText: topic.Description, PageLimit: 50})
		exact := exactSearch(t, srv, ix, topic.Description, visualAudio)
		if len(got) == 0 {
			continue
		}
		st.queries++
		if srv.Catalogue.Video(got[0].VideoID).Topic.Name == topic.Name {
			st.top1++
		}
		var local []twelvelabs.SearchItem
		for _, h := range got {
			st.results++
			if srv.Catalogue.Video(h.VideoID).SearchOnly {
				st.foreign++
			} else {
				local = append(local, h)
			}
		}
		k := min(10, len(exact))
		found := 0
		for _, e := range exact[:k] {
			for _, h := range got[:min(10, len(got))] {
				if h.VideoID == e.video && iou(h.Start, h.End, e.start, e.end) >= 0.5 {
					found++
					break
				}
			}
		}
		st.recall10 += float64(found) / float64(k)
		// Each local result stands at the exact rank of the exact clip it
		// overlaps most.
		var pos []int
		for i, h := range local {
			best, overlap := -1, 0.0
			for j, e := range exact {
				if o := math.Min(h.End, e.end) - math.Max(h.Start, e.start); e.video == h.VideoID && o > overlap {
					best, overlap = j, o
				}
			}
			if best < 0 {
				continue
			}
			pos = append(pos, best)
			switch moved := math.Abs(float64(i - best)); {
			case best < 5:
				st.moveTop += moved
				st.nTop++
			case best >= 15:
				st.moveDeep += moved
				st.nDeep++
			}
		}
		concordant, discordant := 0, 0
		for i := range pos {
			for j := i + 1; j < len(pos); j++ {
				switch {
				case pos[i] < pos[j]:
					concordant++
				case pos[i] > pos[j]:
					discordant++
				}
			}
		}
		if concordant+discordant > 0 {
			st.tau += float64(concordant-discordant) / float64(concordant+discordant)
			st.nTaus++
		}
	}
	st.recall10 /= float64(max(st.queries, 1))
	st.tau /= float64(max(st.nTaus, 1))
	st.moveTop /= float64(max(st.nTop, 1))
	st.moveDeep /= float64(max(st.nDeep, 1))
	return st
}

// TestSearchRankingMeasured checks the benchmark ranking against exact
// search and logs the numbers BenchmarkSearchRanking's comment quotes.
func TestSearchRankingMeasured(t *testing.T) {
	for _, videos := range []int{12, 40} {
		srv := newServer(t, twelvelabstest.WithVideos(videos), twelvelabstest.WithSearchRanking(twelvelabstest.BenchmarkSearchRanking()))
		st := measureRanking(t, srv)
		t.Logf("%d videos: best result on topic %d/%d, τ %.2f, moved %.1f places (exact top 5) vs %.1f (exact rank ≥ 15), recall@10 (IoU 0.5) %.2f, foreign %d/%d",
			videos, st.top1, st.queries, st.tau, st.moveTop, st.moveDeep, st.recall10, st.foreign, st.results)
		if st.queries != len(twelvelabstest.Topics()) || st.top1 != st.queries {
			t.Errorf("%d videos: the best result shows the described topic for %d of %d queries, want all", videos, st.top1, st.queries)
		}
		if st.tau <= 0.3 || st.tau >= 0.95 {
			t.Errorf("%d videos: τ %.2f, want the orders correlated but not equal", videos, st.tau)
		}
		if st.moveDeep <= st.moveTop {
			t.Errorf("%d videos: results move %.1f places deep in the list, %.1f at the top; want more deep", videos, st.moveDeep, st.moveTop)
		}
		if st.recall10 <= 0.4 || st.recall10 >= 0.95 {
			t.Errorf("%d videos: recall@10 %.2f, want it exercised", videos, st.recall10)
		}
		if share := float64(st.foreign) / float64(st.results); share < 0.08 || share > 0.12 {
			t.Errorf("%d videos: %d of %d results foreign, want about 1 in 10", videos, st.foreign, st.results)
		}
	}
}

func TestSearchRanking(t *testing.T) {
	ctx := context.Background()
	rk := twelvelabstest.BenchmarkSearchRanking()
	srv := newServer(t, twelvelabstest.WithVideos(24), twelvelabstest.WithSearchRanking(rk), twelvelabstest.WithMarengo27Index())
	c := srv.Client()
	ix := srv.Catalogue.Indexes[0]
	if got, want := len(ix.SearchOnly), len(twelvelabstest.Topics()); got != want {
		t.Fatalf("%d search-only videos, want one per topic (%d)", got, want)
	}
	results := map[string][]twelvelabs.SearchItem{}
	for _, topic := range twelvelabstest.Topics() {
		results[topic.Name] = searchAll(t, c, twelvelabs.SearchRequest{IndexID: ix.ID, SearchOptions: visualAudio, QueryText: topic.Description, PageLimit: 10})
	}

	t.Run("OK/OwnClipBoundaries", func(t *testing.T) {
		moved, total := 0, 0
		for name, hits := range results {
			for _, h := range hits {
				v := srv.Catalogue.Video(h.VideoID)
				if h.Start < 0 || h.End > v.Duration || h.End-h.Start < 1 {
					t.Fatalf("%q: clip [%g, %g) of a %g s video", name, h.Start, h.End, v.Duration)
				}
				segs := v.Clips("visual")
				exact := false
				for _, s := range segs {
					exact = exact || (s.Start == h.Start && s.End == h.End)
				}
				total++
				if !exact {
					moved++
				}
				// Each end is an end of the video or a segment boundary
				// moved by at most BoundaryShift.
				for _, at := range []float64{h.Start, h.End} {
					near := at == 0 || at == v.Duration
					for _, s := range segs {
						near = near || math.Abs(at-s.Start) <= rk.BoundaryShift+1e-9
					}
					if !near {
						t.Errorf("%q: clip [%g, %g) of %s: %g is no segment boundary moved by ≤ %g s", name, h.Start, h.End, v.ID, at, rk.BoundaryShift)
					}
				}
			}
		}
		t.Logf("%d of %d clips differ from every segment", moved, total)
		if moved < total/2 {
			t.Errorf("%d of %d clips differ from every segment, want most", moved, total)
		}
	})

	t.Run("OK/RankNoise", func(t *testing.T) {
		reordered := 0
		for _, topic := range twelvelabstest.Topics() {
			exactSrv := newServer(t, twelvelabstest.WithVideos(24), twelvelabstest.WithSearchRanking(twelvelabstest.SearchRanking{
				Seed: rk.Seed, BoundaryShift: rk.BoundaryShift, MergeShare: rk.MergeShare}))
			plain := searchAll(t, exactSrv.Client(), twelvelabs.SearchRequest{IndexID: ix.ID, SearchOptions: visualAudio, QueryText: topic.Description, PageLimit: 50})
			noisy := searchAll(t, c, twelvelabs.SearchRequest{IndexID: ix.ID, SearchOptions: visualAudio, QueryText: topic.Description, PageLimit: 50})
			var a, b []string
			for _, h := range plain {
				a = append(a, h.VideoID+"@"+jsonNumber(h.Start))
			}
			for _, h := range noisy {
				if !srv.Catalogue.Video(h.VideoID).SearchOnly {
					b = append(b, h.VideoID+"@"+jsonNumber(h.Start))
				}
			}
			if !slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))) {
				t.Errorf("%q: noise changed which clips match, not just their order", topic.Name)
			}
			if !slices.Equal(a, b) {
				reordered++
			}
			for i, h := range noisy {
				if h.Rank != i+1 {
					t.Fatalf("%q: result %d has rank %d", topic.Name, i, h.Rank)
				}
			}
		}
		if reordered < len(twelvelabstest.Topics())/2 {
			t.Errorf("noise reordered %d of %d queries' results, want most", reordered, len(twelvelabstest.Topics()))
		}
	})

	t.Run("OK/ForeignResults", func(t *testing.T) {
		foreign := map[string]bool{}
		for name, hits := range results {
			for start := 0; start+10 <= len(hits); start += 10 {
				n := 0
				for _, h := range hits[start : start+10] {
					if srv.Catalogue.Video(h.VideoID).SearchOnly {
						n++
						foreign[h.VideoID] = true
					}
				}
				if n != 1 {
					t.Errorf("%q: %d foreign results among results %d–%d, want 1", name, n, start+1, start+10)
				}
			}
		}
		if len(foreign) == 0 {
			t.Fatal("no foreign results")
		}
		// Neither list has them, and retrieving one answers 404: a fetch
		// of the index never gets them.
		for _, list := range []func(context.Context, string, twelvelabs.ListAssetsParams) *twelvelabs.PageIter[twelvelabs.IndexedAsset]{c.ListIndexedAssets, c.ListVideos} {
			it := list(ctx, ix.ID, twelvelabs.ListAssetsParams{PageLimit: 5, SortBy: "created_at", SortOption: "asc"})
			n := 0
			for it.Next() {
				n++
				if a := it.Item(); foreign[a.ID] || srv.Catalogue.Video(a.ID).SearchOnly {
					t.Errorf("asset list has search-only video %s", a.ID)
				}
			}
			if err := it.Err(); err != nil || n != len(ix.Videos) {
				t.Errorf("listed %d assets (%v), want the %d indexed ones", n, err, len(ix.Videos))
			}
		}
		for id := range foreign {
			_, err := c.RetrieveIndexedAsset(ctx, ix.ID, id, twelvelabs.RetrieveOptions{EmbeddingOptions: []string{"visual"}})
			if !twelvelabs.IsNotFound(err) {
				t.Errorf("retrieve search-only %s: err = %v, want not found", id, err)
			}
			if _, err := c.RetrieveVideo(ctx, ix.ID, id, twelvelabs.RetrieveOptions{}); !twelvelabs.IsNotFound(err) {
				t.Errorf("retrieve search-only video %s: err = %v, want not found", id, err)
			}
		}
		for id := range foreign {
			body := `{"input_type":"video","model_name":"marengo3.0","video":{"media_source":{"asset_id":"` + id + `"}}}`
			if status, _, resp := raw(t, srv, "POST", "/embed-v2/tasks", "application/json", []byte(body)); status != 400 {
				t.Errorf("embed-v2 task of search-only %s: %d %s, want 400", id, status, resp)
			}
			break
		}
		res, err := c.Search(ctx, twelvelabs.SearchRequest{IndexID: ix.ID, SearchOptions: []string{"visual"}, QueryText: "x"})
		if err != nil {
			t.Fatal(err)
		}
		ready := 0
		for _, v := range ix.Videos {
			if v.Ready() {
				ready++
			}
		}
		if got, want := res.SearchPool.TotalCount, ready+len(ix.SearchOnly); got != want {
			t.Errorf("search pool of %d videos, want %d (search-only ones included)", got, want)
		}
	})

	t.Run("OK/Deterministic", func(t *testing.T) {
		body, ct := multipartBody(t, [][2]string{{"index_id", ix.ID}, {"search_options", "visual"}, {"search_options", "audio"},
			{"query_text", "a chef chopping vegetables"}, {"page_limit", "5"}})
		// The same request to two servers built alike: the same bytes,
		// page tokens included.
		var bodies [][]byte
		for range 2 {
			s := newServer(t, twelvelabstest.WithVideos(24), twelvelabstest.WithSearchRanking(rk))
			status, _, resp := raw(t, s, "POST", "/search", ct, body)
			if status != 200 {
				t.Fatalf("%d %s", status, resp)
			}
			bodies = append(bodies, resp)
		}
		if !bytes.Equal(bodies[0], bodies[1]) {
			t.Errorf("two servers answered differently:\n%s\n%s", bodies[0], bodies[1])
		}
		// Twice to one server: the same data (new page tokens).
		data := func(resp []byte) string {
			var v struct{ Data json.RawMessage }
			if err := json.Unmarshal(resp, &v); err != nil {
				t.Fatal(err)
			}
			return string(v.Data)
		}
		_, _, again := raw(t, srv, "POST", "/search", ct, body)
		_, _, again2 := raw(t, srv, "POST", "/search", ct, body)
		if data(again) != data(again2) || data(again) != data(bodies[0]) {
			t.Errorf("the same search answered differently")
		}
		// Paging does not change the ranking.
		walked := searchAll(t, c, twelvelabs.SearchRequest{IndexID: ix.ID, SearchOptions: visualAudio, QueryText: "a chef chopping vegetables", PageLimit: 3})
		one := searchAll(t, c, twelvelabs.SearchRequest{IndexID: ix.ID, SearchOptions: visualAudio, QueryText: "a chef chopping vegetables", PageLimit: 50})
		if len(walked) != len(one) || len(one) < 4 {
			t.Fatalf("walked %d results, one page has %d", len(walked), len(one))
		}
		if !slices.Equal(itemKeys(walked), itemKeys(one)) {
			t.Errorf("paged results %v, one page %v", itemKeys(walked), itemKeys(one))
		}
		// Another seed ranks differently.
		other := rk
		other.Seed = 2
		s2 := newServer(t, twelvelabstest.WithVideos(24), twelvelabstest.WithSearchRanking(other))
		_, _, resp := raw(t, s2, "POST", "/search", ct, body)
		if data(resp) == data(bodies[0]) {
			t.Errorf("seeds 1 and 2 rank alike")
		}
	})

	t.Run("OK/Marengo27Scores", func(t *testing.T) {
		ix27 := srv.Catalogue.Indexes[1]
		hits := searchAll(t, c, twelvelabs.SearchRequest{IndexID: ix27.ID, SearchOptions: []string{"visual"}, QueryText: "a surfer riding a big ocean wave", PageLimit: 50})
		if len(hits) < 2 {
			t.Fatalf("%d results", len(hits))
		}
		for i, h := range hits {
			if h.Rank != 0 || h.Confidence == "" || (i > 0 && h.Score > hits[i-1].Score) {
				t.Errorf("result %d: rank %d, score %g after %g, confidence %q; want scores best first", i, h.Rank, h.Score, hits[max(i-1, 0)].Score, h.Confidence)
			}
		}
	})
}

// itemKeys names search results by video, clip and rank.
func itemKeys(items []twelvelabs.SearchItem) []string {
	out := make([]string, len(items))
	for i, h := range items {
		out[i] = fmt.Sprintf("%s@%g-%g#%d", h.VideoID, h.Start, h.End, h.Rank)
	}
	return out
}

// jsonNumber formats a float the way encoding/json does.
func jsonNumber(x float64) string {
	b, _ := json.Marshal(x)
	return string(b)
}

func TestSearchFaults(t *testing.T) {
	ctx := context.Background()
	req := func(ix *twelvelabstest.Index) twelvelabs.SearchRequest {
		return twelvelabs.SearchRequest{IndexID: ix.ID, SearchOptions: visualAudio, QueryText: "a dog catching a frisbee", PageLimit: 2}
	}
	expired := func(t *testing.T, err error) {
		t.Helper()
		var e *twelvelabs.APIError
		if !errors.Is(err, twelvelabs.ErrPageTokenExpired) || !errors.As(err, &e) || e.StatusCode != 400 || e.Code != "search_page_token_expired" {
			t.Errorf("err = %v, want 400 search_page_token_expired", err)
		}
	}
	t.Run("ErrPageTokenExpired/Uses", func(t *testing.T) {
		srv := newServer(t, twelvelabstest.WithVideos(24), twelvelabstest.WithPageTokenUses(1))
		c := srv.Client()
		res, err := c.Search(ctx, req(srv.Catalogue.Indexes[0]))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.SearchPage(ctx, res.PageInfo.NextPageToken, false); err != nil {
			t.Fatalf("first use: %v", err)
		}
		_, err = c.SearchPage(ctx, res.PageInfo.NextPageToken, false)
		expired(t, err)
	})
	t.Run("ErrPageTokenExpired/Lifetime", func(t *testing.T) {
		srv := newServer(t, twelvelabstest.WithVideos(24), twelvelabstest.WithPageTokenLifetime(30*time.Second))
		c := srv.Client()
		res, err := c.Search(ctx, req(srv.Catalogue.Indexes[0]))
		if err != nil {
			t.Fatal(err)
		}
		if want := srv.Clock().Now().Add(30 * time.Second); !res.PageInfo.PageExpiresAt.Equal(want) {
			t.Errorf("page_expires_at %v, want %v", res.PageInfo.PageExpiresAt, want)
		}
		srv.Clock().(*twelvelabstest.ManualClock).Advance(29 * time.Second)
		if _, err := c.SearchPage(ctx, res.PageInfo.NextPageToken, false); err != nil {
			t.Fatalf("before expiry: %v", err)
		}
		srv.Clock().(*twelvelabstest.ManualClock).Advance(time.Second)
		_, err = c.SearchPage(ctx, res.PageInfo.NextPageToken, false)
		expired(t, err)
	})
	t.Run("ErrPageTokenExpired/Fault", func(t *testing.T) {
		srv := newServer(t, twelvelabstest.WithVideos(24))
		c := srv.Client()
		f := srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointSearchPage, Skip: 1, Times: 1, ExpirePageTokens: true})
		it := c.SearchAll(ctx, req(srv.Catalogue.Indexes[0]))
		n := 0
		for it.Next() {
			n++
		}
		if n != 4 {
			t.Errorf("%d results before the fault, want 2 pages of 2", n)
		}
		expired(t, it.Err())
		if f.Hits() != 1 {
			t.Errorf("fault hit %d requests", f.Hits())
		}
		// A new search gets tokens that work.
		res, err := c.Search(ctx, req(srv.Catalogue.Indexes[0]))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.SearchPage(ctx, res.PageInfo.NextPageToken, false); err != nil {
			t.Errorf("a fresh token: %v", err)
		}
	})
	t.Run("ErrPageTokenExpired/ExpirePageTokens", func(t *testing.T) {
		srv := newServer(t, twelvelabstest.WithVideos(24))
		c := srv.Client()
		res, err := c.Search(ctx, req(srv.Catalogue.Indexes[0]))
		if err != nil {
			t.Fatal(err)
		}
		srv.ExpirePageTokens()
		_, err = c.SearchPage(ctx, res.PageInfo.NextPageToken, false)
		expired(t, err)
	})
	t.Run("ErrPageTokenExpired/AfterRateLimit", func(t *testing.T) {
		// A 429 whose Retry-After outlasts the token: the client waits,
		// retries, and finds the token expired.
		srv := newServer(t, twelvelabstest.WithVideos(24), twelvelabstest.WithPageTokenLifetime(30*time.Second))
		c := srv.Client()
		res, err := c.Search(ctx, req(srv.Catalogue.Indexes[0]))
		if err != nil {
			t.Fatal(err)
		}
		srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointSearchPage, Times: 1, Status: 429, RetryAfter: "45"})
		_, err = c.SearchPage(ctx, res.PageInfo.NextPageToken, false)
		expired(t, err)
		if got := srv.Count(twelvelabstest.EndpointSearchPage); got != 2 {
			t.Errorf("%d page requests, want the 429 and its retry", got)
		}
	})
	t.Run("OK/RateLimitNthSearch", func(t *testing.T) {
		srv := newServer(t, twelvelabstest.WithVideos(24), twelvelabstest.WithSearchRanking(twelvelabstest.BenchmarkSearchRanking()))
		ix := srv.Catalogue.Indexes[0]
		srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointSearch, Skip: 2, Times: 1, Status: 429, RetryAfter: "5"})
		body, ct := multipartBody(t, [][2]string{{"index_id", ix.ID}, {"search_options", "visual"}, {"query_text", "surfer"}})
		for i, want := range []int{200, 200, 429, 200} {
			status, h, resp := raw(t, srv, "POST", "/search", ct, body)
			if status != want {
				t.Errorf("search %d: %d, want %d", i+1, status, want)
			}
			if status == 429 && (len(resp) != 0 || h.Get("Retry-After") != "5") {
				t.Errorf("429 body %q, Retry-After %q; want empty, 5", resp, h.Get("Retry-After"))
			}
		}
		// Through the client: the 429 is waited out on the server's clock
		// and the retry answers what the search answers without it.
		c := srv.Client()
		want, err := c.Search(ctx, req(ix))
		if err != nil {
			t.Fatal(err)
		}
		srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointSearch, Times: 1, Status: 429, RetryAfter: "5"})
		before := srv.Clock().Now()
		got, err := c.Search(ctx, req(ix))
		if err != nil {
			t.Fatal(err)
		}
		if waited := srv.Clock().Now().Sub(before); waited < 5*time.Second {
			t.Errorf("waited %v, want the Retry-After's 5s", waited)
		}
		if !slices.Equal(itemKeys(got.Data), itemKeys(want.Data)) {
			t.Errorf("results after the retry differ")
		}
	})
}
