package vecmath

//go:noescape
func dotPanelAVX2(q0, q1, q2, q3, a, b *float32, dim int, out *float32)

func dotPanel(qs [][]float32, base []float32, dim int, ids []uint32, out []float32) {
	if !accelerated || !hasAVX2 || !hasFMA || dim%8 != 0 {
		dotPanelGo(qs, base, dim, ids, out)
		return
	}
	nq := len(qs)
	var panel [8]float32
	for j := 0; j < len(ids); j += 2 {
		a := &base[int(ids[j])*dim]
		b, rows := a, 1
		if j+1 < len(ids) {
			b, rows = &base[int(ids[j+1])*dim], 2
		}
		for i := 0; i < nq; i += 4 {
			// A last panel of fewer than 4 queries repeats the last one;
			// its extra sums are dropped.
			q := [4]*float32{&qs[i][0], &qs[min(i+1, nq-1)][0], &qs[min(i+2, nq-1)][0], &qs[min(i+3, nq-1)][0]}
			dotPanelAVX2(q[0], q[1], q[2], q[3], a, b, dim, &panel[0])
			for r := range rows {
				for k := range min(4, nq-i) {
					out[(j+r)*nq+i+k] = panel[r*4+k]
				}
			}
		}
	}
}
