package evalmetrics_test

import (
	"math"
	"slices"
	"testing"

	"github.com/clipvec/clipvec/internal/evalmetrics"
)

func TestRecallAtK(t *testing.T) {
	// Three reference clips; the candidates find the first (IoU 0.5) and
	// the third (IoU 1), and overlap the second at IoU 1/3 only.
	ref := []evalmetrics.Clip{clip(0, 6), clip(10, 16), clip(20, 26)}
	cands := []evalmetrics.Clip{clip(20, 26), clip(40, 46), clip(2, 8), clip(13, 19)}
	for _, tc := range []struct {
		name   string
		k      int
		minIoU float64
		want   float64
	}{
		// Fewer reference results than k: the denominator is 3, not 10.
		{"FewerThanK", 10, 0.5, 2.0 / 3},
		{"FewerThanKAnyOverlap", 10, 0, 1},
		// Top-1 of the reference, [0,6], against candidates' top-1, [20,26].
		{"K1", 1, 0.5, 0},
		// Reference top-3 against candidates [20,26] [40,46] [2,8]: 2 of 3.
		{"K3", 3, 0.5, 2.0 / 3},
		// Reference top-2 against [20,26] [40,46]: neither [0,6] nor [10,16].
		{"K2", 2, 0.5, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := evalmetrics.RecallAtK(ref, cands, tc.k, tc.minIoU)
			if !ok {
				t.Fatalf("RecallAtK(k=%d) not ok", tc.k)
			}
			near(t, "recall", got, tc.want, 1e-15)
		})
	}
	t.Run("EmptyReference", func(t *testing.T) {
		if got, ok := evalmetrics.RecallAtK(nil, cands, 10, 0.5); ok {
			t.Errorf("RecallAtK(no reference) = %v, true; want not ok", got)
		}
	})
	t.Run("KZero", func(t *testing.T) {
		if got, ok := evalmetrics.RecallAtK(ref, cands, 0, 0.5); ok {
			t.Errorf("RecallAtK(k=0) = %v, true; want not ok", got)
		}
	})
	t.Run("NoCandidates", func(t *testing.T) {
		got, ok := evalmetrics.RecallAtK(ref, nil, 10, 0.5)
		if !ok || got != 0 {
			t.Errorf("RecallAtK(no candidates) = %v, %v; want 0, true", got, ok)
		}
	})
}

func TestVideoRecallAtK(t *testing.T) {
	v := func(id string) evalmetrics.Clip { return evalmetrics.Clip{VideoID: id, Start: 0, End: 6} }
	// Distinct videos: reference v1 v2 v3; candidates v2 v4 v1 v5.
	ref := []evalmetrics.Clip{v("v1"), v("v1"), v("v2"), v("v3")}
	cands := []evalmetrics.Clip{v("v2"), v("v2"), v("v4"), v("v1"), v("v5")}
	for _, tc := range []struct {
		name string
		k    int
		want float64
	}{
		{"K1", 1, 0},                   // {v1} against {v2}
		{"K2", 2, 1.0 / 2},             // {v1 v2} against {v2 v4}
		{"K3", 3, 2.0 / 3},             // {v1 v2 v3} against {v2 v4 v1}
		{"FewerThanK", 10, 2.0 / 3},    // 3 reference videos, not 10
		{"RanksAreVideos", 4, 2.0 / 3}, // the 4th distinct candidate video is v5
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := evalmetrics.VideoRecallAtK(ref, cands, tc.k)
			if !ok {
				t.Fatalf("VideoRecallAtK(k=%d) not ok", tc.k)
			}
			near(t, "video recall", got, tc.want, 1e-15)
		})
	}
	t.Run("EmptyReference", func(t *testing.T) {
		if got, ok := evalmetrics.VideoRecallAtK(nil, cands, 10); ok {
			t.Errorf("VideoRecallAtK(no reference) = %v, true; want not ok", got)
		}
	})
	t.Run("TimesIgnored", func(t *testing.T) {
		got, ok := evalmetrics.VideoRecallAtK([]evalmetrics.Clip{{VideoID: "a", Start: 0, End: 1}},
			[]evalmetrics.Clip{{VideoID: "a", Start: 50, End: 60}}, 1)
		if !ok || got != 1 {
			t.Errorf("VideoRecallAtK(same video, other time) = %v, %v; want 1, true", got, ok)
		}
	})
}

// The nDCG worked example: a reference of n = 3 clips r0 r1 r2, relevance
// 3, 2, 1; discounts 1/log2(i+2) = 1, 1/log2(3) = 0.6309298, 1/2.
//
//	IDCG@3 = 3 + 2/log2(3) + 1/2 = 3 + 1.2618595 + 0.5 = 4.7618595
//	IDCG@2 = 3 + 2/log2(3)                            = 4.2618595
func TestNDCGAtK(t *testing.T) {
	r0, r1, r2 := clip(0, 6), clip(10, 16), clip(20, 26)
	ref := []evalmetrics.Clip{r0, r1, r2}
	miss := clip(40, 46)
	lg3 := math.Log2(3)
	for _, tc := range []struct {
		name  string
		cands []evalmetrics.Clip
		k     int
		want  float64
	}{
		{"Perfect", []evalmetrics.Clip{r0, r1, r2}, 3, 1},
		// Shifted by 2 s, IoU 4/8 = 0.5: still matches, still perfect.
		{"PerfectAtThreshold", []evalmetrics.Clip{clip(2, 8), clip(12, 18), clip(22, 28)}, 3, 1},
		// DCG = 1 + 2/log2(3) + 3/2 = 3.7618595; / 4.7618595 = 0.7899980.
		{"Reversed", []evalmetrics.Clip{r2, r1, r0}, 3, (1 + 2/lg3 + 1.5) / (3 + 2/lg3 + 0.5)},
		// DCG = 0 + 3/log2(3) + 1/2 = 2.3927893; / 4.7618595 = 0.5024905.
		{"Missing", []evalmetrics.Clip{miss, r0, r2}, 3, (3/lg3 + 0.5) / (3 + 2/lg3 + 0.5)},
		// r2 lies below the reference's top-2 but gains its relevance 1:
		// DCG = 1 + 3/log2(3) = 2.8927893; / 4.2618595 = 0.6787622.
		{"BelowReferenceTopK", []evalmetrics.Clip{r2, r0}, 2, (1 + 3/lg3) / (3 + 2/lg3)},
		// The duplicate r0 claims nothing: DCG = 3 + 0 + 1/2 = 3.5; / 4.7618595.
		{"Duplicate", []evalmetrics.Clip{r0, r0, r2}, 3, 3.5 / (3 + 2/lg3 + 0.5)},
		{"NoneFound", []evalmetrics.Clip{miss}, 3, 0},
		// Only r0 is seen at k = 1: DCG = IDCG@1 = 3.
		{"CutAtK", []evalmetrics.Clip{r0, miss, miss}, 1, 1},
		// Fewer candidates than k: r0 alone, DCG = 3; / 4.7618595 = 0.6300.
		{"FewCandidates", []evalmetrics.Clip{r0}, 3, 3 / (3 + 2/lg3 + 0.5)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := evalmetrics.NDCGAtK(ref, tc.cands, tc.k, 0.5)
			if !ok {
				t.Fatalf("NDCGAtK not ok")
			}
			near(t, "nDCG", got, tc.want, 1e-12)
		})
	}
	// The hand-computed values themselves, to 7 decimals.
	near(t, "reversed example", (1+2/lg3+1.5)/(3+2/lg3+0.5), 0.7899980, 1e-7)
	near(t, "missing example", (3/lg3+0.5)/(3+2/lg3+0.5), 0.5024905, 1e-7)
	near(t, "below-top-k example", (1+3/lg3)/(3+2/lg3), 0.6787622, 1e-7)

	t.Run("FewerReferenceThanK", func(t *testing.T) {
		// n = 2 (relevance 2, 1), k = 10: IDCG = 2 + 1/log2(3) = 2.6309298.
		// Candidates r1, a miss, r0: DCG = 1/1 + 0 + 2/log2(4) = 2;
		// nDCG = 0.7601875.
		got, ok := evalmetrics.NDCGAtK([]evalmetrics.Clip{r0, r1}, []evalmetrics.Clip{r1, miss, r0}, 10, 0.5)
		if !ok {
			t.Fatal("not ok")
		}
		near(t, "nDCG", got, 2/(2+1/lg3), 1e-12)
		near(t, "example", 2/(2+1/lg3), 0.7601875, 1e-7)
	})
	t.Run("ClaimsBestRanked", func(t *testing.T) {
		// [4,12] matches both [0,10] (IoU 6/12) and [5,15] (IoU 7/11) at
		// 0.3; the first copy claims rank 0, the second rank 1: perfect.
		two := []evalmetrics.Clip{clip(0, 10), clip(5, 15)}
		c := clip(4, 12)
		got, ok := evalmetrics.NDCGAtK(two, []evalmetrics.Clip{c, c}, 2, 0.3)
		if !ok {
			t.Fatal("not ok")
		}
		near(t, "nDCG", got, 1, 0)
		// One copy: DCG = 2; IDCG@2 = 2 + 1/log2(3).
		got, _ = evalmetrics.NDCGAtK(two, []evalmetrics.Clip{c}, 2, 0.3)
		near(t, "nDCG", got, 2/(2+1/lg3), 1e-12)
	})
	t.Run("EmptyReference", func(t *testing.T) {
		if got, ok := evalmetrics.NDCGAtK(nil, ref, 10, 0.5); ok {
			t.Errorf("NDCGAtK(no reference) = %v, true; want not ok", got)
		}
	})
	t.Run("KZero", func(t *testing.T) {
		if got, ok := evalmetrics.NDCGAtK(ref, ref, 0, 0.5); ok {
			t.Errorf("NDCGAtK(k=0) = %v, true; want not ok", got)
		}
	})
}

func TestClipIDs(t *testing.T) {
	ref := []evalmetrics.Clip{clip(0, 10), clip(5, 15), clip(30, 40)}
	cands := []evalmetrics.Clip{
		clip(4, 12),  // matches r0 and r1 at 0.3: claims r0
		clip(60, 70), // nothing: c1
		clip(4, 12),  // r0 taken: claims r1
		clip(4, 12),  // both taken: c3
		clip(30, 40), // r2
	}
	gotRef, gotCand := evalmetrics.ClipIDs(ref, cands, 0.3)
	if want := []string{"r0", "r1", "r2"}; !slices.Equal(gotRef, want) {
		t.Errorf("reference ids = %v, want %v", gotRef, want)
	}
	if want := []string{"r0", "c1", "r1", "c3", "r2"}; !slices.Equal(gotCand, want) {
		t.Errorf("candidate ids = %v, want %v", gotCand, want)
	}
	t.Run("IdenticalRBO1", func(t *testing.T) {
		a, b := evalmetrics.ClipIDs(ref, ref, 0.5)
		near(t, "RBO", evalmetrics.RBO(a, b, 0.9), 1, 1e-12)
	})
	t.Run("Empty", func(t *testing.T) {
		a, b := evalmetrics.ClipIDs(nil, nil, 0.5)
		if len(a) != 0 || len(b) != 0 {
			t.Errorf("ClipIDs(nil, nil) = %v, %v; want none", a, b)
		}
	})
}
