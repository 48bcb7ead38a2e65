package ingest

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

func BenchmarkScanFloat32(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	var toks [][]byte
	for i := 0; i < 1024; i++ {
		toks = append(toks, append(strconv.AppendFloat(nil, float64(float32(r.NormFloat64()*0.05)), 'g', -1, 32), ','))
	}
	b.ResetTimer()
	var s float32
	for i := 0; i < b.N; i++ {
		f, _, _ := scanFloat32(toks[i&1023])
		s += f
	}
	_ = s
}
