package evalmetrics_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/clipvec/clipvec/internal/evalmetrics"
)

func TestRBO(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b []string
		want float64
	}{
		// Equal lengths, l = s = 3, p = 0.9: X_1 = 0, X_2 = 2, X_3 = 2.
		//	(1-p) Σ A_d p^(d-1) = 0.1·(0 + 1·0.9 + (2/3)·0.81) = 0.1·1.44 = 0.144
		//	A_3 p^3             = (2/3)·0.729                             = 0.486
		//	RBO                                                           = 0.630
		{"Swapped", []string{"A", "B", "C"}, []string{"B", "A", "D"}, 0.63},
		// Uneven: S = A B (s = 2), L = B C A D (l = 4), p = 0.9.
		// X_1 = 0, X_2 = 1 ({A,B}∩{B,C}), X_3 = 2, X_4 = 2; X_s = 1.
		//	A_1 = 0, A_2 = 1/2
		//	A_3 = 2/3 + 1·(3-2)/(2·3) = 5/6
		//	A_4 = 2/4 + 1·(4-2)/(2·4) = 3/4
		//	(1-p) Σ A_d p^(d-1) = 0.1·(0 + 0.45 + 0.675 + 0.54675) = 0.167175
		//	A_4 p^4             = 0.75·0.6561                      = 0.492075
		//	RBO                                                    = 0.65925
		{"Uneven", []string{"A", "B"}, []string{"B", "C", "A", "D"}, 0.65925},
		// A repeat counts at its first rank only: X_1 = 1, X_2 = 1.
		//	0.1·(1 + (1/2)·0.9) + (1/2)·0.81 = 0.145 + 0.405 = 0.55
		{"Repeat", []string{"A", "A"}, []string{"A", "B"}, 0.55},
		// One common item at rank 1 of both, l = s = 2: X_1 = 1, X_2 = 1.
		{"TopOnly", []string{"A", "B"}, []string{"A", "C"}, 0.55},
		{"Disjoint", []string{"A", "B", "C"}, []string{"D", "E", "F"}, 0},
		{"DisjointUneven", []string{"A"}, []string{"D", "E", "F"}, 0},
		// A prefix is assumed to go on agreeing: 1.
		{"Prefix", []string{"A", "B"}, []string{"A", "B", "C", "D"}, 1},
		{"BothEmpty", nil, nil, 1},
		{"OneEmpty", nil, []string{"A"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			near(t, "RBO(a, b)", evalmetrics.RBO(tc.a, tc.b, 0.9), tc.want, 1e-12)
			near(t, "RBO(b, a)", evalmetrics.RBO(tc.b, tc.a, 0.9), tc.want, 1e-12)
		})
	}
	t.Run("Identical", func(t *testing.T) {
		for _, n := range []int{1, 2, 3, 10, 50, 1000} {
			ids := make([]string, n)
			for i := range ids {
				ids[i] = fmt.Sprint(i)
			}
			for _, p := range []float64{0.5, 0.9, 0.98} {
				near(t, fmt.Sprintf("RBO(n=%d, p=%v)", n, p), evalmetrics.RBO(ids, ids, p), 1, 1e-12)
			}
		}
	})
	t.Run("Reversed", func(t *testing.T) {
		// A B against B A: X_1 = 0, X_2 = 2: 0.1·(0 + 1·0.9) + 1·0.81 = 0.9.
		near(t, "RBO", evalmetrics.RBO([]string{"A", "B"}, []string{"B", "A"}, 0.9), 0.9, 1e-12)
	})
	t.Run("TopWeighted", func(t *testing.T) {
		// Disagreeing at the top costs more than disagreeing at the bottom.
		top := evalmetrics.RBO([]string{"A", "B", "C", "D"}, []string{"X", "B", "C", "D"}, 0.9)
		bottom := evalmetrics.RBO([]string{"A", "B", "C", "D"}, []string{"A", "B", "C", "X"}, 0.9)
		if !(top < bottom) {
			t.Errorf("RBO with the top replaced = %v, with the bottom replaced = %v; want the first lower", top, bottom)
		}
	})
	t.Run("BadP", func(t *testing.T) {
		for _, p := range []float64{0, 1, -0.5, 2, math.NaN()} {
			if got := evalmetrics.RBO([]string{"A"}, []string{"A"}, p); !math.IsNaN(got) {
				t.Errorf("RBO(p=%v) = %v, want NaN", p, got)
			}
		}
	})
}
