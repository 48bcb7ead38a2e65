//go:build !amd64

package vecmath

// DotBatch sets out[j] to the dot product of q with row ids[j] of base
// (rows of dim values, dim = len(q)). It panics if a row is out of range.
func DotBatch(q, base []float32, dim int, ids []uint32, out []float32) {
	DotBatchGo(q, base, dim, ids, out)
}

// DotInt8Batch is DotBatch over int8 rows with a scale each: out[j] =
// float32(q·row) · qscale · scales[ids[j]], the dot product of the
// vectors the rows were quantized from (see QuantizeInt8).
func DotInt8Batch(q []int8, qscale float32, base []int8, scales []float32, dim int, ids []uint32, out []float32) {
	DotInt8BatchGo(q, qscale, base, scales, dim, ids, out)
}
