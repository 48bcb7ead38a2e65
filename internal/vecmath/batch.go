package vecmath

import "fmt"

// A graph search scores the unvisited neighbours of one node together:
// their ids are known at once, so their rows can all be fetched from
// memory at the same time (prefetched before the first is scored), and
// one call scores them all instead of one call each. At 96 dimensions a
// distance is a few nanoseconds of arithmetic and the walk waits on
// memory; see the hnsw package for the measurements.

// maxPrefetchLines caps the cache lines prefetched per row: past 8 lines
// (512 bytes) the CPU's own stream prefetcher follows a sequential read,
// and more requests only queue up behind the fill buffers.
const maxPrefetchLines = 8

// checkRows panics unless every ids[j] names a whole row of base (rows of
// dim values) and out has room: the kernels read rows without bounds
// checks. A violation is a bug in the caller, never bad input data.
func checkRows(nq, dim, nbase int, ids []uint32, nout int) {
	if nq != dim || dim <= 0 || nout < len(ids) {
		panic(fmt.Sprintf("vecmath: batch of %d rows: query %d values, dim %d, out %d", len(ids), nq, dim, nout))
	}
	rows := uint32(min(nbase/dim, 1<<32-1))
	for _, id := range ids {
		if id >= rows {
			panic(fmt.Sprintf("vecmath: batch row %d out of range (%d rows)", id, rows))
		}
	}
}

// DotBatchGo is the pure-Go reference for DotBatch.
func DotBatchGo(q, base []float32, dim int, ids []uint32, out []float32) {
	checkRows(len(q), dim, len(base), ids, len(out))
	for j, id := range ids {
		i := int(id) * dim
		out[j] = DotGo(q, base[i:i+dim])
	}
}

// DotInt8BatchGo is the pure-Go reference for DotInt8Batch.
func DotInt8BatchGo(q []int8, qscale float32, base []int8, scales []float32, dim int, ids []uint32, out []float32) {
	checkRows(len(q), dim, min(len(base), len(scales)*dim), ids, len(out))
	for j, id := range ids {
		i := int(id) * dim
		out[j] = float32(DotInt8Go(q, base[i:i+dim])) * qscale * scales[id]
	}
}
