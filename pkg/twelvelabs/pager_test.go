package twelvelabs_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/clipvec/clipvec/pkg/twelvelabs"
	"github.com/clipvec/clipvec/pkg/twelvelabs/twelvelabstest"
)

// pagesAsked returns the page numbers of the list requests, in order.
func pagesAsked(srv *twelvelabstest.Server, endpoint string) []string {
	var out []string
	for _, r := range srv.Requests() {
		if r.Endpoint == endpoint {
			out = append(out, r.Query.Get("page"))
		}
	}
	return out
}

func TestPageIter(t *testing.T) {
	ctx := context.Background()
	t.Run("OK/ToTheEnd", func(t *testing.T) {
		srv := newServer(t, twelvelabstest.WithVideos(23))
		ix := srv.Catalogue.Indexes[0]
		it := srv.Client().ListIndexedAssets(ctx, ix.ID, twelvelabs.ListAssetsParams{PageLimit: 5, SortOption: "asc"})
		items := collect(t, it.Next, it.Item, it.Err)
		var got, want []string
		for _, a := range items {
			got = append(got, a.ID)
		}
		for _, v := range ix.Videos {
			want = append(want, v.ID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("ids %v, want %v", got, want)
		}
		// total_page is 5: no sixth, empty page is asked for.
		if got, want := pagesAsked(srv, twelvelabstest.EndpointListIndexedAssets), []string{"1", "2", "3", "4", "5"}; !slices.Equal(got, want) {
			t.Errorf("pages asked %v, want %v", got, want)
		}
		if info := it.PageInfo(); info.Page != 5 || info.TotalPage != 5 || info.TotalResults != 23 {
			t.Errorf("last page info %+v", info)
		}
		if it.Next() {
			t.Error("Next after the end returned true")
		}
	})
	t.Run("OK/StopsOnEmptyPage", func(t *testing.T) {
		// No page_info at all: walk until a page is empty.
		var calls atomic.Int32
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			if r.URL.Query().Get("page") == "1" {
				w.Write([]byte(`{"data":[{"_id":"a"},{"_id":"b"}]}`))
				return
			}
			w.Write([]byte(`{"data":[]}`))
		})
		c := handlerClient(t, h)
		it := c.ListVideos(ctx, "ix", twelvelabs.ListAssetsParams{})
		items := collect(t, it.Next, it.Item, it.Err)
		if len(items) != 2 || calls.Load() != 2 {
			t.Errorf("%d items over %d requests, want 2 over 2", len(items), calls.Load())
		}
	})
	t.Run("OK/Resume", func(t *testing.T) {
		srv := newServer(t, twelvelabstest.WithVideos(25))
		ix := srv.Catalogue.Indexes[0]
		c := srv.Client(twelvelabs.WithRetryPolicy(twelvelabs.RetryPolicy{MaxRetries: 0}))
		srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointListIndexedAssets, Match: twelvelabstest.QueryEquals("page", "3"), Times: 1, Status: 500})
		params := twelvelabs.ListAssetsParams{PageLimit: 5}
		it := c.ListIndexedAssets(ctx, ix.ID, params)
		var got []string
		for it.Next() {
			got = append(got, it.Item().ID)
		}
		if !errors.Is(it.Err(), twelvelabs.ErrServer) || len(got) != 10 {
			t.Fatalf("first walk: %d items, err %v; want 10 and the 500", len(got), it.Err())
		}
		if got := it.Err().Error(); got[:len("list indexed assets of index ")] != "list indexed assets of index " {
			t.Errorf("error text %q", got)
		}
		params.Page = it.NextPage()
		if params.Page != 3 {
			t.Fatalf("NextPage = %d, want 3", params.Page)
		}
		it = c.ListIndexedAssets(ctx, ix.ID, params)
		for it.Next() {
			got = append(got, it.Item().ID)
		}
		if err := it.Err(); err != nil {
			t.Fatal(err)
		}
		if len(got) != 25 || len(slices.Compact(slices.Sorted(slices.Values(got)))) != 25 {
			t.Errorf("%d items (%v), want the 25 assets once each", len(got), got)
		}
		// Pages 1 and 2 were not fetched again; page 3 twice (once failed).
		if got, want := pagesAsked(srv, twelvelabstest.EndpointListIndexedAssets), []string{"1", "2", "3", "3", "4", "5"}; !slices.Equal(got, want) {
			t.Errorf("pages asked %v, want %v", got, want)
		}
	})
	t.Run("OK/RetriedPage", func(t *testing.T) {
		srv := newServer(t, twelvelabstest.WithVideos(25))
		srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointListIndexedAssets, Match: twelvelabstest.QueryEquals("page", "2"), Times: 1, Status: 503})
		it := srv.Client().ListIndexedAssets(ctx, srv.Catalogue.Indexes[0].ID, twelvelabs.ListAssetsParams{PageLimit: 10})
		if items := collect(t, it.Next, it.Item, it.Err); len(items) != 25 {
			t.Errorf("%d items, want 25", len(items))
		}
	})
}

func TestTokenIter(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t, twelvelabstest.WithVideos(30))
	ix := srv.Catalogue.Indexes[0]
	req := twelvelabs.SearchRequest{IndexID: ix.ID, SearchOptions: []string{"visual", "transcription"}, QueryText: "a pianist on a concert stage", PageLimit: 4}
	it := srv.Client().SearchAll(ctx, req)
	items := collect(t, it.Next, it.Item, it.Err)
	all, err := srv.Client().Search(ctx, twelvelabs.SearchRequest{IndexID: ix.ID, SearchOptions: req.SearchOptions, QueryText: req.QueryText, PageLimit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != all.PageInfo.TotalResults || len(items) <= 4 {
		t.Fatalf("walked %d items, total_results %d", len(items), all.PageInfo.TotalResults)
	}
	for i := range items {
		if items[i].VideoID != all.Data[i].VideoID || items[i].Start != all.Data[i].Start {
			t.Errorf("item %d differs between the walk and one big page", i)
		}
	}
	pages := (len(items) + 3) / 4
	if it.Pages() != pages || srv.Count(twelvelabstest.EndpointSearchPage) != pages-1 || srv.Count(twelvelabstest.EndpointSearch) != 2 {
		t.Errorf("%d pages, %d page requests, %d searches", it.Pages(), srv.Count(twelvelabstest.EndpointSearchPage), srv.Count(twelvelabstest.EndpointSearch))
	}
	t.Run("ErrPageFails", func(t *testing.T) {
		srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointSearchPage, Status: 400, Body: readFixture(t, "search_page_error_400.json")})
		it := srv.Client().SearchAll(ctx, req)
		n := 0
		for it.Next() {
			n++
		}
		var e *twelvelabs.APIError
		if n != 4 || !errors.As(it.Err(), &e) || e.Code != "104" {
			t.Errorf("%d items then %v, want 4 then the error_code 104 body", n, it.Err())
		}
	})
}
