package evalmetrics

import "math"

// Stat is a mean with its 95% confidence interval (Student's t on the
// sample standard deviation; for N == 1 the interval is the mean itself;
// N == 0 gives zeros).
type Stat struct {
	Mean float64 `json:"mean"`
	Lo   float64 `json:"lo"`
	Hi   float64 `json:"hi"`
	N    int     `json:"n"`
}

// MeanCI is the mean of xs with its 95% confidence interval: mean ±
// TQuantile(0.975, N-1) · sd/√N, sd the sample standard deviation (N-1 in
// the denominator). A NaN in xs makes the whole Stat NaN but N.
func MeanCI(xs []float64) Stat {
	n := len(xs)
	if n == 0 {
		return Stat{}
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	m := sum / float64(n)
	if n == 1 {
		return Stat{Mean: m, Lo: m, Hi: m, N: 1}
	}
	var ss float64
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	sd := math.Sqrt(ss / float64(n-1))
	h := TQuantile(0.975, n-1) * sd / math.Sqrt(float64(n))
	return Stat{Mean: m, Lo: m - h, Hi: m + h, N: n}
}

// exactTMaxDF is the largest df for which TQuantile inverts the exact
// distribution function; above it the Cornish-Fisher expansion is used.
// The switch leaves no step above 1e-10 at p = 0.975 (TestTQuantileSwitch);
// the expansion's first omitted term is below 1e-14 there.
const exactTMaxDF = 1000

// TQuantile is the p-quantile of Student's t distribution with df degrees
// of freedom: TQuantile(0.975, df) is the two-sided 95% critical value
// (12.706 at df 1, 2.228 at df 10, 1.960 as df grows). For df <= 1000 it
// inverts the exact distribution function (the finite series of
// Abramowitz & Stegun 26.7.3-4 for integer df) by bisection, within 1e-9
// relative (TestTQuantileClosedForms checks df 1 and 2); above, it uses
// the Cornish-Fisher expansion in 1/df to the fourth order (A&S 26.7.5)
// around the normal quantile. NaN for df < 1 or p outside (0, 1).
func TQuantile(p float64, df int) float64 {
	switch {
	case df < 1 || !(p > 0 && p < 1):
		return math.NaN()
	case p == 0.5:
		return 0
	case p < 0.5:
		return -TQuantile(1-p, df)
	case df > exactTMaxDF:
		return tCornishFisher(p, float64(df))
	}
	target := 2*p - 1 // P(|T| <= t)
	lo, hi := 0.0, 1.0
	for tAbsCDF(hi, df) < target && hi < math.MaxFloat64/4 {
		lo, hi = hi, hi*2
	}
	for range 200 {
		mid := lo + (hi-lo)/2
		if mid <= lo || mid >= hi {
			break
		}
		if tAbsCDF(mid, df) < target {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo + (hi-lo)/2
}

// tAbsCDF is A(t|df) = P(|T| <= t) for t >= 0, by Abramowitz & Stegun
// 26.7.3 (odd df) and 26.7.4 (even df), with θ = atan(t/√df):
//
//	odd:  (2/π)(θ + sinθ(cosθ + (2/3)cos³θ + … + (2·4…(df-3))/(1·3…(df-2)) cos^(df-2)θ)), θ·2/π for df 1
//	even: sinθ(1 + (1/2)cos²θ + … + (1·3…(df-3))/(2·4…(df-2)) cos^(df-2)θ)
func tAbsCDF(t float64, df int) float64 {
	theta := math.Atan(t / math.Sqrt(float64(df)))
	sin, cos := math.Sincos(theta)
	c2 := cos * cos
	if df%2 == 1 {
		if df == 1 {
			return 2 / math.Pi * theta
		}
		term, total := cos, cos
		for j := 1; 2*j+1 <= df-2; j++ {
			term *= c2 * float64(2*j) / float64(2*j+1)
			total += term
		}
		return 2 / math.Pi * (theta + sin*total)
	}
	term, total := 1.0, 1.0
	for j := 1; 2*j <= df-2; j++ {
		term *= c2 * float64(2*j-1) / float64(2*j)
		total += term
	}
	return sin * total
}

// tCornishFisher is the t quantile by A&S 26.7.5: z + g1/ν + g2/ν² +
// g3/ν³ + g4/ν⁴, z the normal quantile.
func tCornishFisher(p, nu float64) float64 {
	z := math.Sqrt2 * math.Erfinv(2*p-1)
	z2 := z * z
	g1 := z * (z2 + 1) / 4
	g2 := z * ((5*z2+16)*z2 + 3) / 96
	g3 := z * (((3*z2+19)*z2+17)*z2 - 15) / 384
	g4 := z * ((((79*z2+776)*z2+1482)*z2-1920)*z2 - 945) / 92160
	return z + (g1+(g2+(g3+g4/nu)/nu)/nu)/nu
}
