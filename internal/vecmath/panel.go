package vecmath

import "fmt"

// DotPanel scores rows against several queries: out[j*len(qs)+i] is the
// dot product of query qs[i] with row ids[j] of base (rows of dim values;
// every query has dim values). Where the CPU has AVX2 and FMA and dim is
// a multiple of 8, it scores two rows against four queries at a time, so
// that each value loaded serves four or two products instead of one:
// the kernel of a pass that compares every row with many queries (a
// classification). The sums are in another order than Dot's: results
// agree with Dot's to float32 rounding, not bit for bit. It panics if a
// row is out of range or a query has the wrong length.
func DotPanel(qs [][]float32, base []float32, dim int, ids []uint32, out []float32) {
	for i, q := range qs {
		if len(q) != dim {
			panic(fmt.Sprintf("vecmath: DotPanel: query %d has %d values, want %d", i, len(q), dim))
		}
	}
	checkRows(dim, dim, len(base), ids, len(ids))
	if len(out) < len(ids)*len(qs) {
		panic(fmt.Sprintf("vecmath: DotPanel: out has %d values, want %d", len(out), len(ids)*len(qs)))
	}
	if len(ids) == 0 || len(qs) == 0 {
		return
	}
	dotPanel(qs, base, dim, ids, out)
}

// dotPanelGo is DotPanel in Go, one product at a time.
func dotPanelGo(qs [][]float32, base []float32, dim int, ids []uint32, out []float32) {
	nq := len(qs)
	for j, id := range ids {
		row := base[int(id)*dim : (int(id)+1)*dim]
		for i, q := range qs {
			out[j*nq+i] = Dot(q, row)
		}
	}
}
