package server_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/clipvec/clipvec/internal/server"
	"github.com/clipvec/clipvec/pkg/clipvec"
	"github.com/clipvec/clipvec/pkg/clipvec/upstream"
	"github.com/clipvec/clipvec/pkg/twelvelabs"
	"github.com/clipvec/clipvec/pkg/twelvelabs/twelvelabstest"
)

// TestTextSearch: with an embedder (the fake TwelveLabs API), a text query
// is embedded once and then answered from the query cache; TwelveLabs'
// failures become 429 and 502; stats says text search is on.
func TestTextSearch(t *testing.T) {
	fake := twelvelabstest.NewServer()
	defer fake.Close()
	path := filepath.Join(t.TempDir(), "c.db")
	db, err := clipvec.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	files := []string{filepath.Join(sampleExports, "02-cooking-01.embed-v2-task.json"), filepath.Join(sampleExports, "04-city-timelapse-01.embed-task.json")}
	if _, err := db.Import(context.Background(), files, clipvec.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	db.Embedder = upstream.Embedder(fake.Client(twelvelabs.WithRetryPolicy(twelvelabs.RetryPolicy{MaxRetries: 0})))
	_, c := start(t, db, server.Options{})

	var st struct {
		TextSearch bool `json:"text_search"`
	}
	c.ok(c.do("GET", "/v1/stats", nil), &st)
	if !st.TextSearch {
		t.Error("stats: text_search false with an embedder")
	}

	q := clipvec.Query{Text: "a chef chopping onions", K: 3, GroupBy: clipvec.GroupByVideo}
	var res result
	c.ok(c.do("POST", "/v1/search", q), &res)
	if res.QuerySource != clipvec.QueryFromEmbedder || len(res.Hits) != 2 || res.Space.Dim != 512 {
		t.Fatalf("first text search: %+v", res)
	}
	if n := fake.Count(twelvelabstest.EndpointEmbedV2); n != 1 {
		t.Fatalf("%d embed requests, want 1", n)
	}
	c.ok(c.do("POST", "/v1/search", q), &res)
	if res.QuerySource != clipvec.QueryFromCache || len(res.Hits) != 2 || fake.Count(twelvelabstest.EndpointEmbedV2) != 1 {
		t.Fatalf("second text search: %+v; %d embed requests", res, fake.Count(twelvelabstest.EndpointEmbedV2))
	}
	// In a batch too.
	var out struct {
		Results []struct {
			Result *result `json:"result"`
		} `json:"results"`
	}
	c.ok(c.do("POST", "/v1/search/batch", map[string]any{"queries": []clipvec.Query{q, {Image: "https://example.com/onions.jpg", K: 2}}}), &out)
	if len(out.Results) != 2 || out.Results[0].Result == nil || out.Results[0].Result.QuerySource != clipvec.QueryFromCache ||
		out.Results[1].Result == nil || len(out.Results[1].Result.Hits) != 2 {
		t.Fatalf("batch of text and image: %+v", out)
	}

	fake.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointEmbedV2, Status: 429, RetryAfter: "1"})
	wantError(t, c.do("POST", "/v1/search", clipvec.Query{Text: "a city at night"}), 429, server.CodeRateLimited, "", "rate limit")
	fake.ClearFaults()
	fake.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointEmbedV2, Status: 500})
	wantError(t, c.do("POST", "/v1/search", clipvec.Query{Text: "a city at night"}), 502, server.CodeUpstream, "", "TwelveLabs")
	fake.ClearFaults()
	fake.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointEmbedV2, Status: 400})
	wantError(t, c.do("POST", "/v1/search", clipvec.Query{Text: "a city at night"}), 400, server.CodeBadRequest, "", "rejected the query")
	fake.ClearFaults()

	// Without an embedder, the cached query still answers; others not.
	db.Close()
	db2, err := clipvec.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	_, c = start(t, db2, server.Options{})
	c.ok(c.do("POST", "/v1/search", q), &res)
	if res.QuerySource != clipvec.QueryFromCache {
		t.Errorf("cached, no embedder: %+v", res)
	}
	wantError(t, c.do("POST", "/v1/search", clipvec.Query{Text: "never asked"}), 422, server.CodeNoCredentials, "", "API key")
	c.ok(c.do("GET", "/v1/stats", nil), &st)
	if st.TextSearch {
		t.Error("stats: text_search true without an embedder")
	}
}
