//go:build !amd64

package vecmath

func dotPanel(qs [][]float32, base []float32, dim int, ids []uint32, out []float32) {
	dotPanelGo(qs, base, dim, ids, out)
}
