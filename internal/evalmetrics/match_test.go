package evalmetrics_test

import (
	"math"
	"slices"
	"testing"

	"github.com/clipvec/clipvec/internal/evalmetrics"
)

// clip is a clip of video "v" unless the id says otherwise.
func clip(start, end float64) evalmetrics.Clip {
	return evalmetrics.Clip{VideoID: "v", Start: start, End: end}
}

func near(tb testing.TB, what string, got, want, tol float64) {
	tb.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		tb.Errorf("%s = %.9g, want %.9g (±%g)", what, got, want, tol)
	}
}

func TestIoU(t *testing.T) {
	other := evalmetrics.Clip{VideoID: "w", Start: 0, End: 6}
	for _, tc := range []struct {
		name string
		a, b evalmetrics.Clip
		want float64
	}{
		// [0,6] ∩ [3,9] = [3,6], 3 s; union [0,9], 9 s.
		{"Third", clip(0, 6), clip(3, 9), 3.0 / 9},
		// [0,6] ∩ [2,8] = [2,6], 4 s; union [0,8], 8 s: 0.5 exactly.
		{"Half", clip(0, 6), clip(2, 8), 0.5},
		{"Same", clip(2, 8), clip(2, 8), 1},
		// [0,10] ∩ [2,4] = [2,4]; union [0,10]: 2/10.
		{"Inside", clip(0, 10), clip(2, 4), 0.2},
		{"OtherVideo", clip(0, 6), other, 0},
		{"Disjoint", clip(0, 3), clip(4, 6), 0},
		{"Touching", clip(0, 3), clip(3, 6), 0},
		{"SameInstant", clip(5, 5), clip(5, 5), 1},
		{"OtherInstant", clip(5, 5), clip(6, 6), 0},
		{"InstantInOtherVideo", clip(5, 5), evalmetrics.Clip{VideoID: "w", Start: 5, End: 5}, 0},
		{"InstantInsideSpan", clip(5, 5), clip(0, 10), 0},
		{"Reversed", clip(6, 0), clip(0, 6), 0},
		{"NaN", clip(math.NaN(), 6), clip(0, 6), 0},
		{"Inf", clip(0, math.Inf(1)), clip(0, math.Inf(1)), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := evalmetrics.IoU(tc.a, tc.b); got != tc.want {
				t.Errorf("IoU(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
			}
			if got := evalmetrics.IoU(tc.b, tc.a); got != tc.want {
				t.Errorf("IoU(%v, %v) = %v, want %v (not symmetric)", tc.b, tc.a, got, tc.want)
			}
		})
	}
}

func TestMatchThreshold(t *testing.T) {
	half := [2]evalmetrics.Clip{clip(0, 6), clip(2, 8)}  // IoU 0.5
	third := [2]evalmetrics.Clip{clip(0, 6), clip(3, 9)} // IoU 1/3
	for _, tc := range []struct {
		name   string
		pair   [2]evalmetrics.Clip
		minIoU float64
		want   bool
	}{
		{"HalfAtHalf", half, 0.5, true},
		{"HalfAboveHalf", half, 0.5000001, false},
		{"HalfAtZero", half, 0, true},
		{"ThirdAtHalf", third, 0.5, false},
		{"ThirdAtThird", third, 1.0 / 3, true},
		{"ThirdAtZero", third, 0, true},
		{"TouchingAtZero", [2]evalmetrics.Clip{clip(0, 3), clip(3, 6)}, 0, false},
		{"SameInstantAtZero", [2]evalmetrics.Clip{clip(5, 5), clip(5, 5)}, 0, true},
		{"SameInstantAtOne", [2]evalmetrics.Clip{clip(5, 5), clip(5, 5)}, 1, true},
		{"NegativeIsZero", third, -1, true},
		{"OtherVideoAtZero", [2]evalmetrics.Clip{clip(0, 6), {VideoID: "w", Start: 0, End: 6}}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := evalmetrics.Match(tc.pair[0], tc.pair[1], tc.minIoU); got != tc.want {
				t.Errorf("Match(%v, %v, %v) = %v, want %v", tc.pair[0], tc.pair[1], tc.minIoU, got, tc.want)
			}
		})
	}
}

func TestFound(t *testing.T) {
	ref := []evalmetrics.Clip{clip(0, 6), clip(10, 16), clip(20, 26), clip(30, 36)}
	cands := []evalmetrics.Clip{
		clip(2, 8),   // IoU 0.5 with ref 0
		clip(13, 19), // IoU 1/3 with ref 1
		clip(50, 60), // nothing
		clip(30, 36), // ref 3, but only from depth 4
	}
	for _, tc := range []struct {
		name   string
		k      int
		minIoU float64
		want   []bool
	}{
		{"Depth1", 1, 0.5, []bool{true, false, false, false}},
		{"Depth3", 3, 0.5, []bool{true, false, false, false}},
		{"Depth4", 4, 0.5, []bool{true, false, false, true}},
		{"AnyOverlap", 4, 0, []bool{true, true, false, true}},
		{"KBeyondCandidates", 50, 0, []bool{true, true, false, true}},
		{"KZero", 0, 0, []bool{false, false, false, false}},
		{"KNegative", -1, 0, []bool{false, false, false, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := evalmetrics.Found(ref, cands, tc.k, tc.minIoU); !slices.Equal(got, tc.want) {
				t.Errorf("Found(k=%d, iou=%v) = %v, want %v", tc.k, tc.minIoU, got, tc.want)
			}
		})
	}
	t.Run("OneCandidateFindsTwo", func(t *testing.T) {
		// [0,10] and [5,15] both overlap [4,12]; found is not one-to-one.
		got := evalmetrics.Found([]evalmetrics.Clip{clip(0, 10), clip(5, 15)}, []evalmetrics.Clip{clip(4, 12)}, 1, 0)
		if want := []bool{true, true}; !slices.Equal(got, want) {
			t.Errorf("Found = %v, want %v", got, want)
		}
	})
}

func TestVideos(t *testing.T) {
	got := evalmetrics.Videos([]evalmetrics.Clip{
		{VideoID: "b"}, {VideoID: "a"}, {VideoID: "b"}, {VideoID: "c"}, {VideoID: "a"},
	})
	if want := []string{"b", "a", "c"}; !slices.Equal(got, want) {
		t.Errorf("Videos = %v, want %v", got, want)
	}
	if got := evalmetrics.Videos(nil); len(got) != 0 {
		t.Errorf("Videos(nil) = %v, want none", got)
	}
}
