package vecmath

import (
	"errors"
	"fmt"
	"math"

	"github.com/viterin/vek"
	"github.com/viterin/vek/vek32"
)

// Sentinel errors returned by Validate and Normalize. Wrap them with the
// file and record that carried the vector.
var (
	ErrEmptyVector = errors.New("vector is empty")
	ErrZeroVector  = errors.New("vector is all zeros")
	ErrNotFinite   = errors.New("vector has a value that is not finite")
)

// NotFiniteError reports the first NaN or infinite value of a vector.
type NotFiniteError struct {
	Index int
	Value float32
}

func (e *NotFiniteError) Error() string {
	return fmt.Sprintf("vector value %d is %v", e.Index, e.Value)
}

// Unwrap makes errors.Is(err, ErrNotFinite) hold.
func (e *NotFiniteError) Unwrap() error { return ErrNotFinite }

// accelerated reports whether vek's SIMD kernels are in use. It starts as
// vek's own detection (AVX2 and FMA present, not darwin).
var accelerated = vek.Info().Acceleration

// Accelerated reports whether Dot and Norm use SIMD kernels.
func Accelerated() bool { return accelerated }

// SetAccelerated switches the SIMD kernels on or off (off always works; on
// is ignored where the CPU lacks AVX2/FMA). It exists for tests and
// benchmarks; it is not safe to call while other goroutines use the
// package.
func SetAccelerated(on bool) {
	if on && !vek.Info().Acceleration {
		return
	}
	accelerated = on
	vek.SetAcceleration(on)
}

// Dot returns the dot product of a and b, which must have the same
// non-zero length (callers validate at the boundary; this is a hot path).
// For unit vectors it is the cosine similarity.
func Dot(a, b []float32) float32 {
	if accelerated {
		return vek32.Dot(a, b)
	}
	return DotGo(a, b)
}

// Norm returns the Euclidean length of a, accumulated in float64 so the
// stored norm does not depend on the kernel.
func Norm(a []float32) float64 {
	var s float64
	for _, x := range a {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// DotGo is the pure-Go reference for Dot: four independent accumulators,
// the same association a SIMD kernel uses, so results agree closely.
func DotGo(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// Validate checks that v is usable as an embedding: non-empty, every value
// finite, not all zeros. The error wraps ErrEmptyVector, ErrNotFinite or
// ErrZeroVector.
func Validate(v []float32) error {
	if len(v) == 0 {
		return ErrEmptyVector
	}
	zero := true
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return &NotFiniteError{Index: i, Value: x}
		}
		if x != 0 {
			zero = false
		}
	}
	if zero {
		return ErrZeroVector
	}
	return nil
}

// Normalize validates v, scales it in place to unit length and returns its
// original norm. A norm that overflows float32 arithmetic (values near
// ±3.4e38) is reported as not finite.
func Normalize(v []float32) (norm float64, err error) {
	if err := Validate(v); err != nil {
		return 0, err
	}
	norm = Norm(v)
	if norm == 0 || math.IsInf(norm, 0) {
		return 0, ErrZeroVector
	}
	inv := 1 / norm
	for i, x := range v {
		v[i] = float32(float64(x) * inv)
	}
	return norm, nil
}

// IsUnit reports whether v has length 1 within tol (a stored, normalised
// vector read back from an export passes with tol = 1e-4).
func IsUnit(v []float32, tol float64) bool {
	return math.Abs(Norm(v)-1) <= tol
}

// Mean writes the component-wise mean of vs into dst (len dst = dim) and
// returns dst. vs must be non-empty and every vector of length len(dst).
func Mean(dst []float32, vs [][]float32) []float32 {
	acc := make([]float64, len(dst))
	for _, v := range vs {
		for i, x := range v {
			acc[i] += float64(x)
		}
	}
	n := float64(len(vs))
	for i := range dst {
		dst[i] = float32(acc[i] / n)
	}
	return dst
}
