// Package vecmath holds clipvec's vector arithmetic: dot products and
// norms over float32 slices, accelerated with SIMD through
// github.com/viterin/vek where the CPU has AVX2 and FMA, with a pure-Go
// reference that every accelerated function is tested against.
//
// For graph walks it has batch kernels (DotBatch, DotInt8Batch) that
// score many rows of an arena against one query in one call, prefetching
// every row first so the memory loads overlap; they are assembly (AVX2,
// and AVX-512 VNNI for int8 where the CPU has it) and give the same bits
// as Dot and the scalar int8 formula.
//
// It also owns vector validation: the checks every vector passes before
// it is stored (non-empty, finite, non-zero) and normalisation to unit
// length, so cosine similarity becomes a plain dot product.
//
// All functions are safe for concurrent use, except SetAccelerated, which
// must not run while other functions of the package do.
package vecmath
