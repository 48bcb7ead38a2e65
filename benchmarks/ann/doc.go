// Package ann holds the pieces of clipvec's approximate-nearest-neighbour
// benchmark (benchmarks/cmd/annbench) that are worth testing on their own:
// the TEXMEX vector file formats, exact top-k search for ground truth,
// recall and the recall–QPS interpolation that compares methods at equal
// recall, latency percentiles, and a small SVG plot of recall against
// queries per second.
//
// # File formats
//
// TEXMEX .fvecs and .ivecs files are a sequence of rows; each row is a
// little-endian int32 count d followed by d little-endian float32 (.fvecs)
// or int32 (.ivecs) values. Every row of a file has the same d. Ground truth
// files hold, per query, the ids (0-based row numbers of the base file) of
// its nearest neighbours, best first.
//
// # Concurrency
//
// Functions are safe for concurrent use on distinct arguments; a
// [Matrix] is read-only once built and may be shared by goroutines that
// only read it. [FvecsWriter] and [IvecsWriter] are not safe for
// concurrent use.
package ann
