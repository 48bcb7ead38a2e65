package vecmath_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/clipvec/clipvec/internal/vecmath"
)

func randVec(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// exactDot is the float64 ground truth both kernels are compared with.
func exactDot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func TestDotAgreesWithReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 3, 7, 8, 15, 16, 31, 33, 511, 512, 1023, 1024} {
		for trial := 0; trial < 20; trial++ {
			a, b := randVec(r, n), randVec(r, n)
			// Unit vectors: the scale cosine similarity works at.
			if _, err := vecmath.Normalize(a); err != nil {
				t.Fatal(err)
			}
			if _, err := vecmath.Normalize(b); err != nil {
				t.Fatal(err)
			}
			simd, ref, want := vecmath.Dot(a, b), vecmath.DotGo(a, b), exactDot(a, b)
			if d := math.Abs(float64(simd - ref)); d > 1e-5 {
				t.Errorf("n=%d: Dot=%v DotGo=%v differ by %g", n, simd, ref, d)
			}
			if d := math.Abs(float64(ref) - want); d > 1e-5 {
				t.Errorf("n=%d: DotGo=%v exact=%v differ by %g", n, ref, want, d)
			}
		}
	}
}

func TestDotWithoutAcceleration(t *testing.T) {
	if !vecmath.Accelerated() {
		t.Skip("no SIMD on this CPU: Dot is DotGo already")
	}
	r := rand.New(rand.NewPCG(3, 4))
	a, b := randVec(r, 513), randVec(r, 513)
	accel := vecmath.Dot(a, b)
	vecmath.SetAccelerated(false)
	defer vecmath.SetAccelerated(true)
	if vecmath.Accelerated() {
		t.Fatal("SetAccelerated(false) left acceleration on")
	}
	plain := vecmath.Dot(a, b)
	if got, want := plain, vecmath.DotGo(a, b); got != want {
		t.Errorf("Dot without acceleration = %v, want DotGo's %v", got, want)
	}
	if d := math.Abs(float64(accel - plain)); d > 1e-3 {
		t.Errorf("accelerated %v and plain %v differ by %g", accel, plain, d)
	}
}

func TestValidate(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	for _, tc := range []struct {
		name string
		v    []float32
		want error
	}{
		{"OK", []float32{0, 1, -2}, nil},
		{"ErrEmptyVector", nil, vecmath.ErrEmptyVector},
		{"ErrZeroVector", []float32{0, 0, 0}, vecmath.ErrZeroVector},
		{"ErrNotFiniteNaN", []float32{1, nan}, vecmath.ErrNotFinite},
		{"ErrNotFiniteInf", []float32{-inf, 1}, vecmath.ErrNotFinite},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := vecmath.Validate(tc.v)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Validate(%v) = %v, want %v", tc.v, err, tc.want)
			}
		})
	}
	t.Run("NotFiniteNamesIndex", func(t *testing.T) {
		var nf *vecmath.NotFiniteError
		if err := vecmath.Validate([]float32{1, 2, nan}); !errors.As(err, &nf) || nf.Index != 2 {
			t.Fatalf("got %v, want a NotFiniteError at index 2", err)
		}
	})
}

func TestNormalize(t *testing.T) {
	v := []float32{3, 4}
	norm, err := vecmath.Normalize(v)
	if err != nil {
		t.Fatal(err)
	}
	if norm != 5 {
		t.Errorf("norm = %v, want 5", norm)
	}
	if v[0] != 0.6 || v[1] != 0.8 {
		t.Errorf("normalised = %v, want [0.6 0.8]", v)
	}
	if !vecmath.IsUnit(v, 1e-6) {
		t.Errorf("IsUnit(%v) = false", v)
	}
	t.Run("TinyValues", func(t *testing.T) {
		v := []float32{1e-30, 1e-30}
		if _, err := vecmath.Normalize(v); err != nil {
			t.Fatal(err)
		}
		if !vecmath.IsUnit(v, 1e-6) {
			t.Errorf("tiny vector normalised to %v", v)
		}
	})
	t.Run("HugeValues", func(t *testing.T) {
		v := []float32{3e38, 3e38}
		if _, err := vecmath.Normalize(v); err != nil {
			t.Fatal(err)
		}
		if !vecmath.IsUnit(v, 1e-6) {
			t.Errorf("huge vector normalised to %v", v)
		}
	})
}

func TestMean(t *testing.T) {
	got := vecmath.Mean(make([]float32, 2), [][]float32{{1, 2}, {3, 6}})
	if got[0] != 2 || got[1] != 4 {
		t.Errorf("Mean = %v, want [2 4]", got)
	}
}

func BenchmarkDot512(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	x, y := randVec(r, 512), randVec(r, 512)
	b.ReportAllocs()
	var s float32
	for b.Loop() {
		s += vecmath.Dot(x, y)
	}
	_ = s
}

func TestDotInt8AgreesWithReference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 3, 7, 8, 15, 16, 31, 32, 33, 63, 64, 511, 512, 1023, 1024} {
		a, b := make([]int8, n), make([]int8, n)
		for trial := 0; trial < 20; trial++ {
			for i := range a {
				a[i], b[i] = int8(r.IntN(255)-127), int8(r.IntN(255)-127)
			}
			if trial == 0 { // extremes
				for i := range a {
					a[i], b[i] = -127, -127
				}
			}
			var want int32
			for i := range a {
				want += int32(a[i]) * int32(b[i])
			}
			if got := vecmath.DotInt8(a, b); got != want {
				t.Fatalf("n=%d: DotInt8 = %d, want %d", n, got, want)
			}
			if got := vecmath.DotInt8Go(a, b); got != want {
				t.Fatalf("n=%d: DotInt8Go = %d, want %d", n, got, want)
			}
		}
	}
}

func TestQuantizeInt8(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	a, b := randVec(r, 512), randVec(r, 512)
	vecmath.Normalize(a)
	vecmath.Normalize(b)
	qa, qb := make([]int8, 512), make([]int8, 512)
	sa, sb := vecmath.QuantizeInt8(qa, a), vecmath.QuantizeInt8(qb, b)
	approx := float64(vecmath.DotInt8(qa, qb)) * float64(sa) * float64(sb)
	if d := math.Abs(approx - exactDot(a, b)); d > 0.01 {
		t.Errorf("quantized dot %.5f, exact %.5f: error %.5f", approx, exactDot(a, b), d)
	}
	if s := vecmath.QuantizeInt8(qa, make([]float32, 512)); s != 0 {
		t.Errorf("zero vector scale %v", s)
	}
}

func BenchmarkDotInt8_512(b *testing.B) {
	x, y := make([]int8, 512), make([]int8, 512)
	for i := range x {
		x[i], y[i] = int8(i), int8(-i)
	}
	var s int32
	for b.Loop() {
		s += vecmath.DotInt8(x, y)
	}
	_ = s
}
