package vecmath_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/clipvec/clipvec/internal/vecmath"
)

// batchLengths are the odd lengths SIMD code is tested at, plus the
// benchmark dimensions (96, 784).
var batchLengths = []int{1, 3, 7, 8, 15, 16, 31, 32, 33, 63, 64, 96, 511, 512, 784, 1023, 1024}

// batchIDs draws n row ids among rows, with repeats, in no order.
func batchIDs(r *rand.Rand, n, rows int) []uint32 {
	ids := make([]uint32, n)
	for i := range ids {
		ids[i] = uint32(r.IntN(rows))
	}
	return ids
}

func TestDotBatchAgreesWithDot(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const rows = 40
	for _, dim := range batchLengths {
		base := make([]float32, rows*dim)
		for i := 0; i < rows; i++ {
			v := randVec(r, dim)
			if _, err := vecmath.Normalize(v); err != nil {
				t.Fatal(err)
			}
			copy(base[i*dim:], v)
		}
		q := randVec(r, dim)
		if _, err := vecmath.Normalize(q); err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{0, 1, 5, 32} {
			ids := batchIDs(r, n, rows)
			got, ref := make([]float32, n), make([]float32, n)
			vecmath.DotBatch(q, base, dim, ids, got)
			vecmath.DotBatchGo(q, base, dim, ids, ref)
			for j, id := range ids {
				row := base[int(id)*dim : int(id+1)*dim]
				want := exactDot(q, row)
				if d := math.Abs(float64(got[j]) - want); d > 1e-5 {
					t.Errorf("dim %d, row %d: DotBatch %v, exact %v (off by %g)", dim, id, got[j], want, d)
				}
				// Bit for bit: a graph's walk and re-rank score with
				// DotBatch, its exact scans with Dot.
				if d := vecmath.Dot(q, row); got[j] != d {
					t.Errorf("dim %d, row %d: DotBatch %v, Dot %v", dim, id, got[j], d)
				}
				if ref[j] != vecmath.DotGo(q, row) {
					t.Errorf("dim %d, row %d: DotBatchGo %v, DotGo %v", dim, id, ref[j], vecmath.DotGo(q, row))
				}
			}
		}
	}
}

func TestDotInt8BatchEqualsScalarFormula(t *testing.T) {
	// Both amd64 kernels where the CPU has AVX-512 VNNI (elsewhere the
	// second pass repeats the first).
	for _, vnni := range []bool{true, false} {
		t.Run(map[bool]string{true: "VNNI", false: "AVX2"}[vnni], func(t *testing.T) {
			defer vecmath.SetVNNI(vecmath.SetVNNI(vnni))
			testDotInt8Batch(t)
		})
	}
}

func testDotInt8Batch(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const rows = 40
	for _, dim := range batchLengths {
		base := make([]int8, rows*dim)
		for i := range base {
			base[i] = int8(r.IntN(256) - 128)
		}
		q := make([]int8, dim)
		for i := range q {
			q[i] = int8(r.IntN(256) - 128)
		}
		// One row of extremes: -128·-128 in every lane.
		for i := 0; i < dim; i++ {
			base[i], q[i] = -128, -128
		}
		scales := make([]float32, rows)
		for i := range scales {
			scales[i] = r.Float32() / 127
		}
		qscale := r.Float32() / 127
		ids := append(batchIDs(r, 31, rows), 0)
		got, ref := make([]float32, len(ids)), make([]float32, len(ids))
		vecmath.DotInt8Batch(q, qscale, base, scales, dim, ids, got)
		vecmath.DotInt8BatchGo(q, qscale, base, scales, dim, ids, ref)
		for j, id := range ids {
			var sum int32
			for i := 0; i < dim; i++ {
				sum += int32(q[i]) * int32(base[int(id)*dim+i])
			}
			// The graph's scalar formula, which the batch must equal.
			want := float32(sum) * qscale * scales[id]
			if got[j] != want || ref[j] != want {
				t.Errorf("dim %d, row %d: DotInt8Batch %v, DotInt8BatchGo %v, want %v (sum %d)", dim, id, got[j], ref[j], want, sum)
			}
		}
	}
}

func TestDotBatchWithoutAcceleration(t *testing.T) {
	if !vecmath.Accelerated() {
		t.Skip("no SIMD on this CPU: the batch kernels are the Go ones already")
	}
	r := rand.New(rand.NewPCG(11, 12))
	const dim, rows = 97, 10
	base := randVec(r, rows*dim)
	q := randVec(r, dim)
	ids := batchIDs(r, 16, rows)
	base8, q8, scales := make([]int8, rows*dim), make([]int8, dim), make([]float32, rows)
	for i := range base8 {
		base8[i] = int8(r.IntN(255) - 127)
	}
	for i := range scales {
		scales[i] = r.Float32()
	}
	vecmath.SetAccelerated(false)
	defer vecmath.SetAccelerated(true)
	got, ref := make([]float32, len(ids)), make([]float32, len(ids))
	vecmath.DotBatch(q, base, dim, ids, got)
	vecmath.DotBatchGo(q, base, dim, ids, ref)
	got8, ref8 := make([]float32, len(ids)), make([]float32, len(ids))
	vecmath.DotInt8Batch(q8, 0.5, base8, scales, dim, ids, got8)
	vecmath.DotInt8BatchGo(q8, 0.5, base8, scales, dim, ids, ref8)
	for j := range ids {
		if got[j] != ref[j] || got8[j] != ref8[j] {
			t.Errorf("row %d without acceleration: %v, %v; want the Go reference's %v, %v", ids[j], got[j], got8[j], ref[j], ref8[j])
		}
	}
}

func TestDotBatchPanicsOnRowOutOfRange(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func()
	}{
		{"Float32", func() {
			vecmath.DotBatch(make([]float32, 4), make([]float32, 8), 4, []uint32{0, 2}, make([]float32, 2))
		}},
		{"Int8", func() {
			vecmath.DotInt8Batch(make([]int8, 4), 1, make([]int8, 8), make([]float32, 2), 4, []uint32{2}, make([]float32, 1))
		}},
		{"Int8ShortScales", func() {
			vecmath.DotInt8Batch(make([]int8, 4), 1, make([]int8, 8), make([]float32, 1), 4, []uint32{1}, make([]float32, 1))
		}},
		{"ShortOut", func() {
			vecmath.DotBatch(make([]float32, 4), make([]float32, 8), 4, []uint32{0, 1}, make([]float32, 1))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic: the kernel would have read past the rows")
				}
			}()
			tc.run()
		})
	}
}

func BenchmarkDotBatch96x32(b *testing.B) { benchDotBatch(b, 96) }

func BenchmarkDotBatch512x32(b *testing.B) { benchDotBatch(b, 512) }

func benchDotBatch(b *testing.B, dim int) {
	r := rand.New(rand.NewPCG(1, 1))
	const rows = 4096
	base, q := randVec(r, rows*dim), randVec(r, dim)
	ids := batchIDs(r, 32, rows)
	out := make([]float32, len(ids))
	b.ReportAllocs()
	for b.Loop() {
		vecmath.DotBatch(q, base, dim, ids, out)
	}
}

// quantizeRef is QuantizeInt8 as first written, with math.Abs and
// math.Round: the bytes it gives are the stored format of every quantized
// graph, so QuantizeInt8 must keep giving them.
func quantizeRef(dst []int8, v []float32) float32 {
	var m float32
	for _, x := range v {
		m = max(m, float32(math.Abs(float64(x))))
	}
	if m == 0 {
		clear(dst[:len(v)])
		return 0
	}
	inv := 127 / m
	for i, x := range v {
		dst[i] = int8(math.Round(float64(x * inv)))
	}
	return m / 127
}

func TestQuantizeInt8MatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	check := func(v []float32) {
		t.Helper()
		got, want := make([]int8, len(v)), make([]int8, len(v))
		gs, ws := vecmath.QuantizeInt8(got, v), quantizeRef(want, v)
		if gs != ws {
			t.Fatalf("%v: scale %v, want %v", v, gs, ws)
		}
		for i := range v {
			if got[i] != want[i] {
				t.Fatalf("value %d (%v of max scale): %d, want %d", i, v[i], got[i], want[i])
			}
		}
	}
	for _, n := range batchLengths {
		for trial := 0; trial < 200; trial++ {
			check(randVec(r, n))
		}
	}
	// Values that land exactly on a half step (x·127/m = k + 0.5), and
	// next to it, in both signs.
	for k := 0; k < 127; k++ {
		h := float32(k) + 0.5
		check([]float32{127, h, -h, math.Nextafter32(h, 0), -math.Nextafter32(h, 0), math.Nextafter32(h, 200)})
	}
	check([]float32{0, 0, 0})
	check([]float32{-1e-30, 3e-39, 1})
}

func BenchmarkQuantizeInt8_96(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	v, dst := randVec(r, 96), make([]int8, 96)
	for b.Loop() {
		vecmath.QuantizeInt8(dst, v)
	}
}

func BenchmarkQuantizeInt8Reference_96(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	v, dst := randVec(r, 96), make([]int8, 96)
	for b.Loop() {
		quantizeRef(dst, v)
	}
}
