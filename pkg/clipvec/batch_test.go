package clipvec_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

// sameHits fails unless two results list the same segments with the
// same scores, matches and vectors, in the same order.
func sameHits(t testing.TB, what string, got, want *clipvec.Result) {
	t.Helper()
	if len(got.Hits) != len(want.Hits) {
		t.Fatalf("%s: %d hits, want %d", what, len(got.Hits), len(want.Hits))
	}
	if got.Method != want.Method || got.Searched != want.Searched {
		t.Errorf("%s: method %s over %d, want %s over %d", what, got.Method, got.Searched, want.Method, want.Searched)
	}
	for i := range got.Hits {
		g, w := got.Hits[i], want.Hits[i]
		if g.ID != w.ID || g.Score != w.Score || g.Matches != w.Matches || g.VideoID != w.VideoID || g.Filename != w.Filename {
			t.Fatalf("%s: hit %d = segment %d %s %.6f (%d), want %d %s %.6f (%d)", what, i, g.ID, g.VideoID, g.Score, g.Matches, w.ID, w.VideoID, w.Score, w.Matches)
		}
	}
}

func TestSearchBatchMatchesSearch(t *testing.T) {
	ctx := context.Background()
	db, _ := searchDB(t)
	var qs []clipvec.Query
	// More exact queries than one pass takes, of every kind, so the
	// batch is split; graph queries; queries of the other space.
	for i := range clipvec.MaxExactBatch + 9 {
		q := clipvec.Query{Vector: randQuery(uint64(100+i), 512), K: 1 + i%17, Exact: true}
		switch i % 6 {
		case 1:
			q.GroupBy = clipvec.GroupByVideo
		case 2:
			q.GroupBy, q.Aggregate = clipvec.GroupByVideo, clipvec.AggMean
		case 3:
			q.Filter = clipvec.Filter{Modalities: []string{"audio"}, TimeRange: &clipvec.TimeRange{From: 30, To: 90}}
		case 4:
			q.Filter = clipvec.Filter{Videos: []string{"video-003", "video-004"}, ExcludeVideos: []string{"video-004"}}
		case 5:
			q.Exact = false
		}
		qs = append(qs, q)
	}
	qs = append(qs,
		clipvec.Query{Like: &clipvec.SegmentRef{VideoID: "video-007", At: 12, Modality: "audio"}, K: 6, Exact: true},
		clipvec.Query{LikeVideo: "video-009", K: 5, GroupBy: clipvec.GroupByVideo},
		clipvec.Query{Vector: randQuery(7, 1024), K: 4, Exact: true},
		clipvec.Query{Vector: randQuery(8, 1024), K: 4},
	)
	bad := len(qs)
	qs = append(qs,
		clipvec.Query{LikeVideo: "no-such-video"},
		clipvec.Query{Vector: randQuery(1, 77)},
		clipvec.Query{Vector: randQuery(2, 512), K: -1},
	)
	for _, threads := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("threads=%d", threads), func(t *testing.T) {
			db.Threads = threads
			got, err := db.SearchBatch(ctx, qs)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(qs) {
				t.Fatalf("%d results for %d queries", len(got), len(qs))
			}
			for i, q := range qs {
				want, werr := db.Search(ctx, q)
				if i >= bad {
					if got[i].Err == nil || werr == nil || got[i].Err.Error() != werr.Error() {
						t.Errorf("query %d: error %v, want %v", i, got[i].Err, werr)
					}
					continue
				}
				if werr != nil || got[i].Err != nil {
					t.Fatalf("query %d: %v / %v", i, got[i].Err, werr)
				}
				sameHits(t, fmt.Sprintf("query %d", i), got[i].Result, want)
			}
		})
	}
	t.Run("NotFound", func(t *testing.T) {
		got, err := db.SearchBatch(ctx, qs[bad:bad+1])
		if err != nil || !errors.Is(got[0].Err, clipvec.ErrNotFound) {
			t.Fatalf("%v, %v: want ErrNotFound for the query alone", got, err)
		}
	})
	t.Run("Cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := db.SearchBatch(cctx, qs); !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want context.Canceled", err)
		}
	})
}

func TestNeighbours(t *testing.T) {
	ctx := context.Background()
	db, _ := searchDB(t)
	db.Threads = 2
	collect := func(q clipvec.NeighboursQuery) []*clipvec.Neighbours {
		t.Helper()
		var out []*clipvec.Neighbours
		if err := db.Neighbours(ctx, q, func(n *clipvec.Neighbours) error { out = append(out, n); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	t.Run("Videos", func(t *testing.T) {
		for _, exact := range []bool{true, false} {
			all := collect(clipvec.NeighboursQuery{Of: clipvec.NeighboursOfVideos, Model: "marengo3.0", K: 5, Modality: "audio", Exact: exact})
			if len(all) != 30 {
				t.Fatalf("%d videos, want 30", len(all))
			}
			for i, n := range all {
				if want := fmt.Sprintf("video-%03d", i); n.VideoID != want || n.Modality != "audio" {
					t.Fatalf("entry %d is %s (%s), want %s (audio)", i, n.VideoID, n.Modality, want)
				}
				want, err := db.Search(ctx, clipvec.Query{LikeVideo: n.VideoID, Model: "marengo3.0", Modality: "audio", K: 5, GroupBy: clipvec.GroupByVideo, Exact: exact})
				if err != nil {
					t.Fatal(err)
				}
				sameHits(t, n.VideoID, &clipvec.Result{Method: want.Method, Searched: want.Searched, Hits: n.Hits}, want)
			}
			// Resuming after video-019 lists exactly the rest.
			rest := collect(clipvec.NeighboursQuery{Of: clipvec.NeighboursOfVideos, Model: "marengo3.0", K: 5, Modality: "audio", Exact: exact, AfterVideo: "video-019"})
			if len(rest) != 10 || rest[0].VideoID != "video-020" {
				t.Fatalf("resumed: %d entries from %v", len(rest), rest[0].VideoID)
			}
		}
	})
	t.Run("Clips", func(t *testing.T) {
		q := clipvec.NeighboursQuery{Of: clipvec.NeighboursOfClips, Model: "marengo2.7", K: 3, Exact: true}
		all := collect(q)
		if len(all) != 15 {
			t.Fatalf("%d clips, want 15", len(all))
		}
		for i, n := range all {
			if i > 0 && n.Clip.ID <= all[i-1].Clip.ID {
				t.Fatalf("clips out of order: %d after %d", n.Clip.ID, all[i-1].Clip.ID)
			}
			want, err := db.Search(ctx, clipvec.Query{Like: &clipvec.SegmentRef{VideoID: n.VideoID, At: n.Clip.Start}, Model: "marengo2.7", K: 3, Exact: true})
			if err != nil {
				t.Fatal(err)
			}
			sameHits(t, fmt.Sprint("clip ", n.Clip.ID), &clipvec.Result{Method: want.Method, Searched: want.Searched, Hits: n.Hits}, want)
		}
		q.AfterSegment = all[9].Clip.ID
		if rest := collect(q); len(rest) != 5 || rest[0].Clip.ID != all[10].Clip.ID {
			t.Fatalf("resumed after clip %d: %d entries", q.AfterSegment, len(rest))
		}
		q.AfterSegment, q.OtherVideos = 0, true
		for _, n := range collect(q) {
			for _, h := range n.Hits {
				if h.VideoID == n.VideoID {
					t.Fatalf("clip %d: neighbour %d of its own video", n.Clip.ID, h.ID)
				}
			}
		}
	})
	t.Run("StopsOnError", func(t *testing.T) {
		stop := errors.New("stop")
		calls := 0
		err := db.Neighbours(ctx, clipvec.NeighboursQuery{Of: clipvec.NeighboursOfVideos, Model: "marengo3.0"}, func(*clipvec.Neighbours) error {
			calls++
			return stop
		})
		if !errors.Is(err, stop) || calls != 1 {
			t.Fatalf("err %v after %d calls, want stop after 1", err, calls)
		}
	})
	t.Run("BadOf", func(t *testing.T) {
		err := db.Neighbours(ctx, clipvec.NeighboursQuery{Of: "frames", Model: "marengo3.0"}, func(*clipvec.Neighbours) error { return nil })
		if !errors.Is(err, clipvec.ErrInvalidQuery) {
			t.Fatalf("err %v, want ErrInvalidQuery", err)
		}
	})
}
