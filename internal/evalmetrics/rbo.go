package evalmetrics

import "math"

// RBO is rank-biased overlap (Webber, Moffat & Zobel 2010) of two rankings
// of item ids, with persistence p (0 < p < 1), the extrapolated form
// RBO_ext for uneven, finite lists (see the package doc). 1 for identical
// lists, and for a list against its own extension (the shorter list is
// assumed to go on agreeing as it did); 0 for disjoint lists. Two empty
// lists give 1, one empty list 0, and p outside (0, 1) gives NaN. An id
// repeated within a list counts at its first rank only; later repeats
// hold their rank but overlap nothing. The result is symmetric in a and b.
func RBO(a, b []string, p float64) float64 {
	if !(p > 0 && p < 1) {
		return math.NaN()
	}
	short, long := a, b
	if len(short) > len(long) {
		short, long = long, short
	}
	s, l := len(short), len(long)
	switch {
	case l == 0:
		return 1
	case s == 0:
		return 0
	}
	inS := make(map[string]bool, s)
	inL := make(map[string]bool, l)
	x, xs := 0, 0 // overlap at depth d; at depth s
	var sum, ad float64
	pd := 1.0 // p^(d-1)
	for d := 1; d <= l; d++ {
		if d <= s {
			if id := short[d-1]; !inS[id] {
				inS[id] = true
				if inL[id] {
					x++
				}
			}
		}
		if id := long[d-1]; !inL[id] {
			inL[id] = true
			if inS[id] {
				x++
			}
		}
		if d == s {
			xs = x
		}
		// Agreement at depth d; past s, the short list's unseen items are
		// taken to agree at its rate at depth s, xs/s.
		ad = float64(x) / float64(d)
		if d > s {
			ad += float64(xs) * float64(d-s) / (float64(s) * float64(d))
		}
		sum += ad * pd
		pd *= p
	}
	// (1-p)/p · Σ A_d p^d, plus the agreement at depth l held to infinity.
	return min((1-p)*sum+ad*pd, 1)
}
