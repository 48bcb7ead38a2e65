package vecmath

import "golang.org/x/sys/cpu"

// hasFMA: the float32 batch kernel needs FMA besides AVX2.
var hasFMA = cpu.X86.HasFMA

// useVNNI selects the AVX-512 VNNI int8 kernel (it needs AVX-512 F and BW
// for the zmm sign extension too). At 512 dimensions it runs a row in
// 4 instructions per 64 bytes where the AVX2 kernel takes 16.
var useVNNI = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VNNI

//go:noescape
func dotBatchAVX2(q, base *float32, ids *uint32, n, dim int, out *float32, lines int)

//go:noescape
func dotInt8BatchAVX2(q, base *int8, ids *uint32, n, dim int, out *float32, lines int, scales *float32, qscale float32)

//go:noescape
func dotInt8BatchAVX512(q, base *int8, ids *uint32, n, dim int, out *float32, lines int, scales *float32, qscale float32)

// prefetchLines is how many cache lines of a row of rowBytes bytes the
// kernels prefetch before scoring (a row may straddle one more line than
// its length needs; the kernels prefetch from the row's first byte).
func prefetchLines(rowBytes int) int {
	return min((rowBytes+63)/64, maxPrefetchLines)
}

// DotBatch sets out[j] to the dot product of q with row ids[j] of base
// (rows of dim values, dim = len(q)): first it prefetches every row, then
// scores them one after another, in one call. It panics if a row is out
// of range. Each result equals Dot's for the same pair bit for bit (the
// kernel adds in vek's order; without acceleration both are DotGo).
func DotBatch(q, base []float32, dim int, ids []uint32, out []float32) {
	checkRows(len(q), dim, len(base), ids, len(out))
	if len(ids) == 0 {
		return
	}
	if !accelerated || !hasAVX2 || !hasFMA {
		DotBatchGo(q, base, dim, ids, out)
		return
	}
	dotBatchAVX2(&q[0], &base[0], &ids[0], len(ids), dim, &out[0], prefetchLines(4*dim))
}

// DotInt8Batch is DotBatch over int8 rows with a scale each: out[j] =
// float32(q·row) · qscale · scales[ids[j]], the dot product of the
// vectors the rows were quantized from (see QuantizeInt8). The integer
// sums are exact and the two products are rounded in that order, so the
// results equal DotInt8BatchGo's bit for bit. The prefetch pass fetches
// each row's scale too.
func DotInt8Batch(q []int8, qscale float32, base []int8, scales []float32, dim int, ids []uint32, out []float32) {
	checkRows(len(q), dim, min(len(base), len(scales)*dim), ids, len(out))
	if len(ids) == 0 {
		return
	}
	if !accelerated || !hasAVX2 {
		DotInt8BatchGo(q, qscale, base, scales, dim, ids, out)
		return
	}
	if useVNNI {
		dotInt8BatchAVX512(&q[0], &base[0], &ids[0], len(ids), dim, &out[0], prefetchLines(dim), &scales[0], qscale)
		return
	}
	dotInt8BatchAVX2(&q[0], &base[0], &ids[0], len(ids), dim, &out[0], prefetchLines(dim), &scales[0], qscale)
}
