package vecmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDotPanel: every product agrees with Dot's, for row and query
// counts that fill the 2 × 4 panels and that leave remainders, at
// dimensions the kernel takes and ones it leaves to Go, with SIMD on and
// off.
func TestDotPanel(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	defer SetAccelerated(true)
	for _, accel := range []bool{true, false} {
		SetAccelerated(accel)
		for _, dim := range []int{8, 16, 40, 512, 1024, 7, 97} {
			base := make([]float32, 50*dim)
			for i := range base {
				base[i] = float32(r.NormFloat64())
			}
			for _, nq := range []int{1, 3, 4, 5, 8, 13} {
				qs := make([][]float32, nq)
				for i := range qs {
					qs[i] = make([]float32, dim)
					for k := range qs[i] {
						qs[i][k] = float32(r.NormFloat64())
					}
				}
				for _, nrows := range []int{1, 2, 7, 50} {
					ids := make([]uint32, nrows)
					for j := range ids {
						ids[j] = uint32(r.IntN(50))
					}
					out := make([]float32, nrows*nq)
					for i := range out {
						out[i] = float32(math.NaN())
					}
					DotPanel(qs, base, dim, ids, out)
					for j, id := range ids {
						for i, q := range qs {
							want := DotGo(q, base[int(id)*dim:(int(id)+1)*dim])
							got := out[j*nq+i]
							if d := math.Abs(float64(got - want)); !(d <= 1e-4*math.Sqrt(float64(dim))) {
								t.Fatalf("accel %v dim %d, %d queries, %d rows: row %d query %d: %v, want %v", accel, dim, nq, nrows, j, i, got, want)
							}
						}
					}
				}
			}
		}
	}
}

func TestDotPanelPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"row out of range": func() {
			DotPanel([][]float32{make([]float32, 8)}, make([]float32, 16), 8, []uint32{2}, make([]float32, 1))
		},
		"short out": func() {
			DotPanel([][]float32{make([]float32, 8), make([]float32, 8)}, make([]float32, 16), 8, []uint32{0, 1}, make([]float32, 3))
		},
		"query length": func() {
			DotPanel([][]float32{make([]float32, 7)}, make([]float32, 16), 8, []uint32{0}, make([]float32, 1))
		},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func BenchmarkScoreTile(b *testing.B) {
	const dim, rows, nq = 512, 64, 60
	r := rand.New(rand.NewPCG(1, 1))
	base := make([]float32, 4096*dim)
	for i := range base {
		base[i] = float32(r.NormFloat64())
	}
	qs := make([][]float32, nq)
	for i := range qs {
		qs[i] = base[i*dim : (i+1)*dim]
	}
	ids := make([]uint32, rows)
	out := make([]float32, rows*nq)
	b.Run("DotBatch per query", func(b *testing.B) {
		for n := 0; b.Loop(); n++ {
			for j := range ids {
				ids[j] = uint32((n*rows + j) % 4096)
			}
			for i, q := range qs {
				DotBatch(q, base, dim, ids, out[i*rows:(i+1)*rows])
			}
		}
	})
	b.Run("DotPanel", func(b *testing.B) {
		for n := 0; b.Loop(); n++ {
			for j := range ids {
				ids[j] = uint32((n*rows + j) % 4096)
			}
			DotPanel(qs, base, dim, ids, out)
		}
	})
}
