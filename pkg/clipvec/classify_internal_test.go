package clipvec

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/clipvec/clipvec/internal/engine"
)

// TestBackground: the median and robust spread of a histogram are a
// normal background's mean and standard deviation, and a minority of
// high scores (clips that show the class) moves them little.
func TestBackground(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	h := make([]uint32, engine.HistBins)
	for range 100_000 {
		h[engine.HistBin(float32(0.15+0.05*r.NormFloat64()))]++
	}
	bg := background(h)
	if bg.Clips != 100_000 || math.Abs(bg.Median-0.15) > 0.002 || math.Abs(bg.Spread-0.05) > 0.002 {
		t.Errorf("background of N(0.15, 0.05): %+v", bg)
	}
	for range 12_000 { // 11% of clips show the class
		h[engine.HistBin(float32(0.45+0.05*r.NormFloat64()))]++
	}
	with := background(h)
	if with.Median-bg.Median > 0.01 || with.Spread-bg.Spread > 0.01 {
		t.Errorf("an 11%% minority at 0.45 moved the background from %+v to %+v", bg, with)
	}
	if thr := with.Median + BackgroundZ*with.Spread; thr < 0.3 || thr > 0.4 {
		t.Errorf("threshold %v: want it between the background (0.15 ± 0.05) and the class (0.45 ± 0.05)", thr)
	}
	if got := background(make([]uint32, engine.HistBins)); got != (Background{}) {
		t.Errorf("empty histogram: %+v", got)
	}
	one := make([]uint32, engine.HistBins)
	one[engine.HistBin(0.2)] = 50
	if got := background(one); got.Spread <= 0 || math.Abs(got.Median-0.2) > 0.001 {
		t.Errorf("every clip alike: %+v; want the median and a spread above 0", got)
	}
}

// TestCoverage: a duration ratio counts overlapping clips once and only
// the video's own duration.
func TestCoverage(t *testing.T) {
	clips := []engine.ScoredClip{
		{Start: 0, End: 6}, {Start: 0, End: 6}, {Start: 3, End: 9}, {Start: 12, End: 18}, {Start: 18, End: 30}, {Start: 28, End: 40},
	}
	for _, c := range []struct {
		which    []int
		duration float64
		want     float64
	}{
		{[]int{0}, 60, 6.0 / 60},
		{[]int{0, 1}, 60, 6.0 / 60},     // two modalities of one span
		{[]int{1, 2}, 60, 9.0 / 60},     // overlapping
		{[]int{3, 0, 2}, 60, 15.0 / 60}, // out of order
		{[]int{3, 4}, 60, 18.0 / 60},    // touching
		{[]int{4, 5}, 35, 17.0 / 35},    // past the end
		{[]int{0, 1, 2, 3, 4, 5}, 40, 37.0 / 40},
		{nil, 60, 0},
		{[]int{0}, 0, 0},
	} {
		if got := coverage(clips, c.which, c.duration); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("clips %v of %g s: %v, want %v", c.which, c.duration, got, c.want)
		}
	}
}
