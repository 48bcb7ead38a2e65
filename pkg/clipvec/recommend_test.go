package clipvec_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

// videoVector is what a recommendation takes for a video: the
// normalised mean of its clips of one modality (synth videos have no
// whole-video vector).
func videoVector(t testing.TB, db *clipvec.DB, id, model, modality string) []float64 {
	t.Helper()
	segs, err := db.VideoSegments(context.Background(), id, true)
	if err != nil {
		t.Fatal(err)
	}
	var sum []float64
	for _, s := range segs {
		if s.Model != model || s.Modality != modality {
			continue
		}
		if sum == nil {
			sum = make([]float64, len(s.Vector))
		}
		for i, x := range s.Vector {
			sum[i] += float64(x)
		}
	}
	return unit(sum)
}

func unit(v []float64) []float64 {
	var n float64
	for _, x := range v {
		n += x * x
	}
	n = math.Sqrt(n)
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x / n
	}
	return out
}

func TestRecommend(t *testing.T) {
	ctx := context.Background()
	db, _ := searchDB(t)
	search := func(q clipvec.Query) *clipvec.Result {
		t.Helper()
		res, err := db.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	recommend := func(q clipvec.RecommendQuery) *clipvec.Result {
		t.Helper()
		res, err := db.Recommend(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	t.Run("OnePositiveIsLikeVideo", func(t *testing.T) {
		got := recommend(clipvec.RecommendQuery{Positive: []string{"video-004"}, Model: "marengo3.0", K: 7, GroupBy: clipvec.GroupByVideo, Exact: true})
		want := search(clipvec.Query{LikeVideo: "video-004", Model: "marengo3.0", K: 7, GroupBy: clipvec.GroupByVideo, Exact: true})
		sameHits(t, "recommend", got, want)
		if got.Query.Kind != clipvec.QueryRecommend || got.Query.Modality != "visual" || !slices.Equal(got.Query.Positive, []string{"video-004"}) {
			t.Errorf("query %+v", got.Query)
		}
	})
	t.Run("PositivesAndNegatives", func(t *testing.T) {
		pos := []string{"video-001", "video-002", "video-003"}
		neg := []string{"video-010", "video-011"}
		// The query vector, computed here from the stored vectors.
		q := make([]float64, 512)
		for _, set := range []struct {
			ids []string
			w   float64
		}{{pos, 1}, {neg, -clipvec.NegativeWeight}} {
			for _, id := range set.ids {
				for i, x := range videoVector(t, db, id, "marengo3.0", "audio") {
					q[i] += set.w * x / float64(len(set.ids))
				}
			}
		}
		vec := make([]float32, 512)
		for i, x := range unit(q) {
			vec[i] = float32(x)
		}
		flt := clipvec.Filter{Scopes: []string{clipvec.ScopeClip}, ExcludeVideos: []string{"video-020"}}
		got := recommend(clipvec.RecommendQuery{Positive: pos, Negative: neg, Modality: "audio", Model: "marengo3.0", K: 12, Filter: flt, Exact: true})
		wantFlt := flt
		wantFlt.ExcludeVideos = append(slices.Clone(flt.ExcludeVideos), append(slices.Clone(pos), neg...)...)
		want := search(clipvec.Query{Vector: vec, Model: "marengo3.0", K: 12, Filter: wantFlt, Exact: true})
		if len(got.Hits) != 12 {
			t.Fatalf("%d hits", len(got.Hits))
		}
		for i := range got.Hits {
			g, w := got.Hits[i], want.Hits[i]
			if g.ID != w.ID || math.Abs(float64(g.Score-w.Score)) > 1e-5 {
				t.Fatalf("hit %d = %d %.6f, want %d %.6f", i, g.ID, g.Score, w.ID, w.Score)
			}
			if slices.Contains(wantFlt.ExcludeVideos, g.VideoID) {
				t.Fatalf("hit %d is of excluded video %s", i, g.VideoID)
			}
		}
	})
	t.Run("MaxPerVideo", func(t *testing.T) {
		base := clipvec.RecommendQuery{Positive: []string{"video-006"}, Model: "marengo3.0", K: 15, Exact: true}
		plain := recommend(func() clipvec.RecommendQuery { q := base; q.K = 2000; return q }())
		capped := base
		capped.MaxPerVideo = 1
		got := recommend(capped)
		// The reference: the plain ranking, keeping each video's first.
		var want []clipvec.Hit
		seen := map[string]bool{}
		for _, h := range plain.Hits {
			if !seen[h.VideoID] && len(want) < 15 {
				seen[h.VideoID] = true
				want = append(want, h)
			}
		}
		sameHits(t, "capped", got, &clipvec.Result{Method: got.Method, Searched: got.Searched, Hits: want})
	})
	t.Run("MinScore", func(t *testing.T) {
		plain := recommend(clipvec.RecommendQuery{Positive: []string{"video-006"}, Model: "marengo3.0", K: 40, Exact: true})
		min := plain.Hits[9].Score
		got := recommend(clipvec.RecommendQuery{Positive: []string{"video-006"}, Model: "marengo3.0", K: 40, Exact: true, MinScore: &min})
		n := 0
		for _, h := range plain.Hits {
			if h.Score >= min {
				n++
			}
		}
		if len(got.Hits) != n {
			t.Fatalf("%d hits, want the %d at or above %.4f", len(got.Hits), n, min)
		}
		for _, h := range got.Hits {
			if h.Score < min || h.Vector != nil {
				t.Fatalf("hit %+v", h)
			}
		}
	})
	t.Run("Errors", func(t *testing.T) {
		half := float32(2)
		for _, tc := range []struct {
			name string
			q    clipvec.RecommendQuery
			want error
		}{
			{"NoPositive", clipvec.RecommendQuery{Negative: []string{"video-001"}}, clipvec.ErrInvalidQuery},
			{"BothSides", clipvec.RecommendQuery{Positive: []string{"video-001"}, Negative: []string{"video-001"}}, clipvec.ErrInvalidQuery},
			{"Lambda", clipvec.RecommendQuery{Positive: []string{"video-001"}, Lambda: 1.5}, clipvec.ErrInvalidQuery},
			{"MinScore", clipvec.RecommendQuery{Positive: []string{"video-001"}, MinScore: &half}, clipvec.ErrInvalidQuery},
			{"CapWithGroups", clipvec.RecommendQuery{Positive: []string{"video-001"}, MaxPerVideo: 2, GroupBy: clipvec.GroupByVideo}, clipvec.ErrInvalidQuery},
			{"UnknownVideo", clipvec.RecommendQuery{Positive: []string{"video-001", "nope"}, Model: "marengo3.0"}, clipvec.ErrNotFound},
			{"OtherSpace", clipvec.RecommendQuery{Positive: []string{"video-001"}, Model: "marengo3.0", Modality: "visual-text"}, clipvec.ErrNotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := db.Recommend(ctx, tc.q); !errors.Is(err, tc.want) {
					t.Fatalf("err %v, want %v", err, tc.want)
				}
			})
		}
	})
}

// TestRecommendDiversity builds a case MMR exists for: one video holds
// ten near-copies of the liked clip, ten other videos one clip each that
// is on topic (similarity 0.6) but different. Plain relevance returns
// the copies; MMR spreads the results across videos.
func TestRecommendDiversity(t *testing.T) {
	ctx := context.Background()
	const dim = 16
	r := rand.New(rand.NewPCG(3, 4))
	topic := make([]float32, dim)
	topic[0] = 1
	var buf bytes.Buffer
	w := ingest.NewWriter(&buf)
	add := func(video string, scope string, start float64, vec []float32) {
		if err := w.WriteSegment(&ingest.Segment{VideoID: video, Model: "marengo3.0", Option: "visual", Scope: scope,
			Start: start, End: start + 6, SourceKind: "file", SourceID: "t", Vector: vec}); err != nil {
			t.Fatal(err)
		}
	}
	add("liked", "video", 0, topic)
	for c := range 10 {
		v := slices.Clone(topic)
		v[1+c] = 0.05 // a near copy
		add("copies", "clip", float64(6*c), v)
	}
	for o := range 10 {
		v := make([]float32, dim)
		v[0] = 0.6
		// 0.8 in a direction of its own, so on-topic clips differ.
		for i := 1; i < dim; i++ {
			v[i] = float32(r.NormFloat64())
		}
		var n float64
		for _, x := range v[1:] {
			n += float64(x * x)
		}
		for i := 1; i < dim; i++ {
			v[i] *= float32(0.8 / math.Sqrt(n))
		}
		add(fmt.Sprintf("other-%d", o), "clip", 0, v)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "mmr.jsonl")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	db := openDB(t)
	if _, err := db.Import(ctx, []string{path}, clipvec.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	videos := func(res *clipvec.Result) map[string]int {
		n := map[string]int{}
		for _, h := range res.Hits {
			n[h.VideoID]++
		}
		return n
	}
	q := clipvec.RecommendQuery{Positive: []string{"liked"}, K: 5, Exact: true}
	plain, err := db.Recommend(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if n := videos(plain); n["copies"] != 5 {
		t.Fatalf("plain relevance: %v, want the 5 copies", n)
	}
	q.Lambda = 1
	same, err := db.Recommend(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	sameHits(t, "lambda 1", same, plain)
	q.Lambda = 0.3
	div, err := db.Recommend(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	// λ·1 − (1−λ)·~1 for a second copy is about −0.4; an other video
	// scores λ·0.6 − (1−λ)·0.6 = −0.24: MMR takes one copy, then others.
	if n := videos(div); n["copies"] != 1 || len(n) != 5 || div.Hits[0].VideoID != "copies" {
		t.Fatalf("MMR λ=0.3: %v (first %s), want one copy first, then 4 other videos", n, div.Hits[0].VideoID)
	}
	for _, h := range div.Hits[1:] {
		if math.Abs(float64(h.Score)-0.6) > 1e-4 {
			t.Fatalf("%s scores %.5f, want its plain similarity 0.6", h.VideoID, h.Score)
		}
	}
}
