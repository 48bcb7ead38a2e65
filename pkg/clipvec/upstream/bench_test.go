package upstream_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/pkg/clipvec"
	"github.com/clipvec/clipvec/pkg/clipvec/upstream"
	"github.com/clipvec/clipvec/pkg/twelvelabs/twelvelabstest"
)

// benchSetUp serves an index whose /search ranks as the benchmark's
// ranking says (its own clip cuts, rank noise, videos the database
// lacks), fetches its assets, and returns the queries: one per topic.
func benchSetUp(t *testing.T, opts ...twelvelabstest.Option) (*twelvelabstest.Server, *clipvec.DB, string, []upstream.BenchQuery) {
	t.Helper()
	srv := fakeServer(t, append([]twelvelabstest.Option{twelvelabstest.WithVideos(20),
		twelvelabstest.WithSearchRanking(twelvelabstest.BenchmarkSearchRanking())}, opts...)...)
	db := openDB(t)
	ix := srv.Catalogue.Indexes[0]
	if _, err := upstream.FetchIndex(context.Background(), db, srv.Client(), ix.ID, upstream.FetchOptions{}); err != nil {
		t.Fatal(err)
	}
	db.Embedder = upstream.Embedder(srv.Client())
	var qs []upstream.BenchQuery
	for _, topic := range twelvelabstest.Topics()[:6] {
		qs = append(qs, upstream.BenchQuery{Text: topic.Description})
	}
	qs = append(qs, upstream.BenchQuery{Text: twelvelabstest.Topics()[0].Description, GroupBy: "video"})
	return srv, db, ix.ID, qs
}

func reportJSON(t *testing.T, rep *upstream.BenchReport) []byte {
	t.Helper()
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBenchUpstream runs the benchmark end to end against the fake
// server, writes its report, and replays it offline to the same JSON.
func TestBenchUpstream(t *testing.T) {
	ctx := context.Background()
	srv, db, index, queries := benchSetUp(t)
	dir := t.TempDir()
	rep, err := upstream.Bench(ctx, db, srv.Client(), queries, upstream.BenchOptions{IndexID: index, Record: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Queries) != len(queries) || rep.Model != "marengo3.0" || rep.Depth != 50 {
		t.Fatalf("report: %d queries, model %s, depth %d", len(rep.Queries), rep.Model, rep.Depth)
	}
	s := rep.Summary
	r10, r50 := s.RecallAtK["10"], s.RecallAtK["50"]
	// The fake ranks differently: the metrics are exercised, neither 0
	// nor trivially 1.
	if r10.N != 6 || r10.Mean <= 0.05 || r10.Mean >= 0.999 || r50.Mean < r10.Mean || r10.Lo > r10.Mean || r10.Hi < r10.Mean {
		t.Errorf("recall@10 %+v, @50 %+v", r10, r50)
	}
	if any := s.RecallAtKAnyOverlap["10"]; any.Mean < r10.Mean {
		t.Errorf("recall at any overlap %v below recall at IoU 0.5 %v", any.Mean, r10.Mean)
	}
	if s.GraphVsExact.RecallAtK["10"].Mean < 0.9 {
		t.Errorf("the graph against the exact scan: %+v", s.GraphVsExact.RecallAtK["10"])
	}
	if v := s.VideoRecallAtK["10"]; v.N != 7 || v.Mean <= 0 {
		t.Errorf("video recall@10 %+v (the video-grouped query counts too)", v)
	}
	if s.RBO.N != 6 || s.RBO.Mean <= 0 || s.RBO.Mean >= 1 || s.NDCGAtK["10"].Mean <= 0 {
		t.Errorf("rbo %+v ndcg %+v", s.RBO, s.NDCGAtK["10"])
	}
	// Depth 50 in pages of 50: one request a query.
	if s.UpstreamRequests != len(queries) || srv.Count(twelvelabstest.EndpointSearch) != len(queries) {
		t.Errorf("%d requests reported, %v made", s.UpstreamRequests, srv.Counts())
	}
	for _, name := range []string{"index.json", "upstream.jsonl", "local.jsonl", "bench.json"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "responses", "*.json"))
	if len(pages) != len(queries) {
		t.Errorf("%d responses saved, want %d", len(pages), len(queries))
	}
	if err := upstream.WriteBenchReport(dir, rep, "Made against the fake server."); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil || !bytes.Contains(md, []byte("recall@10")) || !bytes.Contains(md, []byte("recall.svg")) {
		t.Errorf("report.md: %v\n%s", err, md)
	}
	for _, svg := range []string{"recall.svg", "ranks.svg"} {
		if b, err := os.ReadFile(filepath.Join(dir, svg)); err != nil || !bytes.HasPrefix(b, []byte("<svg")) {
			t.Errorf("%s: %v", svg, err)
		}
	}

	t.Run("ReplayIsBitForBit", func(t *testing.T) {
		srv.Close() // offline
		db.Embedder = nil
		again, err := upstream.Bench(ctx, db, nil, nil, upstream.BenchOptions{Replay: dir})
		if err != nil {
			t.Fatal(err)
		}
		if a, b := reportJSON(t, rep), reportJSON(t, again); !bytes.Equal(a, b) {
			t.Errorf("the replay's report differs:\n%s\n---\n%s", a, b)
		}
		// Other parameters, same record: a new comparison, no requests.
		wider, err := upstream.Bench(ctx, db, nil, nil, upstream.BenchOptions{Replay: dir, IoU: 0.1})
		if err != nil || wider.Summary.RecallAtK["10"].Mean < rep.Summary.RecallAtK["10"].Mean {
			t.Errorf("replay at IoU 0.1: %v, recall@10 %+v", err, wider.Summary.RecallAtK["10"])
		}
	})
}

// TestBenchUpstreamResumes: a run killed midway (its record cut after two
// queries) goes on without asking again what it has.
func TestBenchUpstreamResumes(t *testing.T) {
	ctx := context.Background()
	srv, db, index, queries := benchSetUp(t)
	dir := t.TempDir()
	if _, err := upstream.Bench(ctx, db, srv.Client(), queries, upstream.BenchOptions{IndexID: index, Record: dir}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "upstream.jsonl")
	raw, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(raw), "\n")
	// Two whole records and half a third, as a kill leaves it.
	cut := lines[0] + lines[1] + lines[2][:len(lines[2])/2]
	if err := os.WriteFile(path, []byte(cut), 0o644); err != nil {
		t.Fatal(err)
	}
	srv.ResetRequests()
	rep, err := upstream.Bench(ctx, db, srv.Client(), queries, upstream.BenchOptions{IndexID: index, Record: dir})
	if err != nil {
		t.Fatal(err)
	}
	if n := srv.Count(twelvelabstest.EndpointSearch); n != len(queries)-2 {
		t.Errorf("the resumed run searched %d queries, want %d", n, len(queries)-2)
	}
	if len(rep.Queries) != len(queries) {
		t.Errorf("%d queries in the report", len(rep.Queries))
	}
}

// TestBenchUpstreamFaults: rate limits and expired page tokens are waited
// out or started over; bad input and a mismatched model are refused
// clearly.
func TestBenchUpstreamFaults(t *testing.T) {
	ctx := context.Background()
	srv, db, index, queries := benchSetUp(t)
	t.Run("RateLimitedAndExpiredToken", func(t *testing.T) {
		// Pages of 4 up to a depth of 10: most queries page.
		opts := upstream.BenchOptions{IndexID: index, Ks: []int{1, 10}, Depth: 10, PageSize: 4}
		calm, err := upstream.Bench(ctx, db, srv.Client(), queries[:3], opts)
		if err != nil {
			t.Fatal(err)
		}
		srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointSearch, Skip: 1, Times: 1, Status: 429, RetryAfter: "0"})
		srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointSearchPage, Times: 1, ExpirePageTokens: true})
		defer srv.ClearFaults()
		srv.ResetRequests()
		rep, err := upstream.Bench(ctx, db, srv.Client(), queries[:3], opts)
		if err != nil {
			t.Fatal(err)
		}
		// 3 searches, the 429's retry, and the first query started over
		// once its page token expired.
		if n := srv.Count(twelvelabstest.EndpointSearch); n != 5 {
			t.Errorf("%d searches, want 5 (%v)", n, srv.Counts())
		}
		// Waited out and started over, the run finds what a calm one does.
		for i, q := range rep.Queries {
			c := calm.Queries[i]
			if q.Upstream != c.Upstream || q.RecallAtK["10"] != c.RecallAtK["10"] || q.Requests <= c.Requests-1 {
				t.Errorf("%q: %d results, recall %v, %d requests; calm: %d, %v, %d", q.Text, q.Upstream, q.RecallAtK["10"], q.Requests,
					c.Upstream, c.RecallAtK["10"], c.Requests)
			}
		}
		if rep.Queries[0].Upstream < 5 || calm.Summary.UpstreamRequests <= 3 {
			t.Errorf("the test needs paging: %d results, %d requests", rep.Queries[0].Upstream, calm.Summary.UpstreamRequests)
		}
	})
	t.Run("UnknownIndex", func(t *testing.T) {
		_, err := upstream.Bench(ctx, db, srv.Client(), queries, upstream.BenchOptions{IndexID: "000000000000000000000000"})
		if !errors.Is(err, clipvec.ErrNotFound) {
			t.Errorf("unknown index: %v", err)
		}
	})
	t.Run("NothingFetched", func(t *testing.T) {
		// A marengo3.0/512 space, none of it from the index.
		other := openDB(t)
		if _, err := other.Import(ctx, []string{"../../../testdata/sample/exports"}, clipvec.ImportOptions{NoIndex: true}); err != nil {
			t.Fatal(err)
		}
		_, err := upstream.Bench(ctx, other, srv.Client(), queries, upstream.BenchOptions{IndexID: index})
		if !errors.Is(err, clipvec.ErrNotFound) || !strings.Contains(err.Error(), "nothing fetched from index") {
			t.Errorf("a database without the index: %v", err)
		}
	})
	t.Run("ModelMismatch", func(t *testing.T) {
		_, err := upstream.Bench(ctx, db, srv.Client(), queries, upstream.BenchOptions{IndexID: index, Model: "marengo2.7"})
		if !errors.Is(err, clipvec.ErrInvalidQuery) || !strings.Contains(err.Error(), "not comparable") {
			t.Errorf("model mismatch: %v", err)
		}
	})
	t.Run("BadQueryFiles", func(t *testing.T) {
		for name, body := range map[string]string{
			"empty":       "\n# nothing\n",
			"malformed":   "a fine query\n{\"text\": \"x\", \"oops\": 1}\n",
			"bad group":   `{"text": "x", "group_by": "scene"}`,
			"bad filter":  `{"text": "x", "filter": {"duration": {"gte": 10}}}`,
			"blank query": `{"text": "  "}`,
		} {
			if _, err := upstream.ReadBenchQueries(strings.NewReader(body), name); !errors.Is(err, clipvec.ErrInvalidInput) || !strings.Contains(err.Error(), name) {
				t.Errorf("%s: %v", name, err)
			}
		}
		qs, err := upstream.ReadBenchQueries(strings.NewReader("plain text\n{\"text\": \"j\", \"search_options\": [\"visual\"], \"filter\": {\"id\": [\"a\"]}}\n"), "ok")
		if err != nil || len(qs) != 2 || qs[0].Text != "plain text" || qs[1].SearchOptions[0] != "visual" {
			t.Errorf("good file: %+v %v", qs, err)
		}
	})
}
