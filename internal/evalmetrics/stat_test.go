package evalmetrics_test

import (
	"math"
	"testing"

	"github.com/clipvec/clipvec/internal/evalmetrics"
)

func TestMeanCI(t *testing.T) {
	t.Run("Worked", func(t *testing.T) {
		// xs = 1..5: mean 3; squared deviations 4+1+0+1+4 = 10; variance
		// 10/4 = 2.5, sd 1.5811388; se = sd/√5 = √0.5 = 0.7071068;
		// t(0.975, 4) = 2.7764451; half-width 1.9632432: [1.0367568, 4.9632432].
		got := evalmetrics.MeanCI([]float64{1, 2, 3, 4, 5})
		if got.N != 5 {
			t.Errorf("N = %d, want 5", got.N)
		}
		near(t, "mean", got.Mean, 3, 1e-15)
		near(t, "lo", got.Lo, 1.0367568, 1e-7)
		near(t, "hi", got.Hi, 4.9632432, 1e-7)
	})
	t.Run("Two", func(t *testing.T) {
		// xs = 0, 1: mean 0.5, sd √0.5, se 0.5, t(0.975, 1) = 12.7062047:
		// 0.5 ± 6.3531024.
		got := evalmetrics.MeanCI([]float64{0, 1})
		near(t, "lo", got.Lo, 0.5-6.3531024, 1e-7)
		near(t, "hi", got.Hi, 0.5+6.3531024, 1e-7)
	})
	t.Run("Constant", func(t *testing.T) {
		got := evalmetrics.MeanCI([]float64{0.25, 0.25, 0.25})
		if want := (evalmetrics.Stat{Mean: 0.25, Lo: 0.25, Hi: 0.25, N: 3}); got != want {
			t.Errorf("MeanCI = %+v, want %+v", got, want)
		}
	})
	t.Run("One", func(t *testing.T) {
		got := evalmetrics.MeanCI([]float64{0.7})
		if want := (evalmetrics.Stat{Mean: 0.7, Lo: 0.7, Hi: 0.7, N: 1}); got != want {
			t.Errorf("MeanCI = %+v, want %+v", got, want)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		if got := evalmetrics.MeanCI(nil); got != (evalmetrics.Stat{}) {
			t.Errorf("MeanCI(nil) = %+v, want zeros", got)
		}
	})
}

func TestTQuantileKnown(t *testing.T) {
	// Two-sided 95% critical values from printed t tables, to 3 decimals.
	for _, tc := range []struct {
		df   int
		want float64
	}{
		{1, 12.706}, {2, 4.303}, {3, 3.182}, {4, 2.776}, {5, 2.571},
		{10, 2.228}, {20, 2.086}, {30, 2.042}, {60, 2.000}, {120, 1.980},
		{1000, 1.962}, {1001, 1.962}, {1_000_000, 1.960},
	} {
		got := evalmetrics.TQuantile(0.975, tc.df)
		if r := math.Round(got*1000) / 1000; r != tc.want {
			t.Errorf("TQuantile(0.975, %d) = %.6f, rounds to %.3f, want %.3f", tc.df, got, r, tc.want)
		}
	}
}

func TestTQuantileClosedForms(t *testing.T) {
	// df 1 is the Cauchy distribution: t = tan(π(p-1/2)); df 2 has
	// t = (2p-1)/√(2p(1-p)).
	for _, p := range []float64{0.6, 0.75, 0.9, 0.95, 0.975, 0.995, 0.9995} {
		near(t, "df 1", evalmetrics.TQuantile(p, 1), math.Tan(math.Pi*(p-0.5)), 1e-9*math.Tan(math.Pi*(p-0.5)))
		want := (2*p - 1) / math.Sqrt(2*p*(1-p))
		near(t, "df 2", evalmetrics.TQuantile(p, 2), want, 1e-9*want)
		for _, df := range []int{1, 2, 7, 40, 5000} {
			if got, neg := evalmetrics.TQuantile(p, df), evalmetrics.TQuantile(1-p, df); math.Abs(got+neg) > 1e-9*got {
				t.Errorf("TQuantile(%v, %d) = %v, TQuantile(%v) = %v: not symmetric", p, df, got, 1-p, neg)
			}
		}
	}
	if got := evalmetrics.TQuantile(0.5, 3); got != 0 {
		t.Errorf("TQuantile(0.5, 3) = %v, want 0", got)
	}
}

func TestTQuantileSwitch(t *testing.T) {
	// TQuantile inverts the exact distribution up to df 1000 and uses the
	// Cornish-Fisher expansion above. Across the switch the steps
	// t(df) - t(df+1) change smoothly (by about 5e-9 per df here); a
	// mismatch between the methods would show as a step of its own size.
	q := func(df int) float64 { return evalmetrics.TQuantile(0.975, df) }
	near(t, "t(0.975, 1000)", q(1000), 1.9623391, 1e-7)
	before, across, after := q(999)-q(1000), q(1000)-q(1001), q(1001)-q(1002)
	near(t, "step across the switch", across, (before+after)/2, 1e-10)
	// Decreasing in df throughout.
	prev := math.Inf(1)
	for df := 1; df <= 2000; df++ {
		q := evalmetrics.TQuantile(0.975, df)
		if !(q < prev) {
			t.Fatalf("TQuantile(0.975, %d) = %v, not below df %d's %v", df, q, df-1, prev)
		}
		prev = q
	}
	if z := 1.959963985; prev < z {
		t.Errorf("TQuantile(0.975, 2000) = %v, below the normal quantile %v", prev, z)
	}
}

func TestTQuantileBadInput(t *testing.T) {
	for _, tc := range []struct {
		p  float64
		df int
	}{{0.975, 0}, {0.975, -1}, {0, 5}, {1, 5}, {math.NaN(), 5}} {
		if got := evalmetrics.TQuantile(tc.p, tc.df); !math.IsNaN(got) {
			t.Errorf("TQuantile(%v, %d) = %v, want NaN", tc.p, tc.df, got)
		}
	}
}
