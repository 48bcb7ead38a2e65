package vecmath

import "math"

// QuantizeInt8 writes v scaled to int8 into dst (len(dst) = len(v)) and
// returns the scale s with v[i] ≈ s·dst[i]: symmetric scalar quantization
// with one scale per vector, s = max|v[i]| / 127. For a 512-d unit vector
// the error of a dot product of two quantized vectors is about 0.002,
// a tenth of the gap between neighbouring results in practice: enough to
// walk a graph by, not to rank the final answer by (callers re-rank those
// in float32).
//
// It runs once per search on the query, where at 96 dimensions and small
// ef it was 6% of a search's time with math.Abs and math.Round on
// float64: the loops below give the same bytes (rounding half away from
// zero: adding ±0.5 to a float32 value below 128 is exact in float64, and
// the conversion truncates) in a third of the time.
func QuantizeInt8(dst []int8, v []float32) float32 {
	dst = dst[:len(v)]
	var m float32
	for _, x := range v {
		a := math.Float32frombits(math.Float32bits(x) &^ (1 << 31))
		if a > m || a != a { // a NaN propagates, as max would
			m = a
		}
	}
	if m == 0 {
		clear(dst)
		return 0
	}
	inv := 127 / m
	for i, x := range v {
		y := float64(x * inv)
		if y >= 0 {
			dst[i] = int8(y + 0.5)
		} else {
			dst[i] = int8(y - 0.5)
		}
	}
	return m / 127
}

// DotInt8Go is the pure-Go reference for DotInt8.
func DotInt8Go(a, b []int8) int32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 int32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += int32(a[i]) * int32(b[i])
		s1 += int32(a[i+1]) * int32(b[i+1])
		s2 += int32(a[i+2]) * int32(b[i+2])
		s3 += int32(a[i+3]) * int32(b[i+3])
	}
	for ; i < len(a); i++ {
		s0 += int32(a[i]) * int32(b[i])
	}
	return s0 + s1 + s2 + s3
}
