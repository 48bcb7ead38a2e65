package vecmath

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// useAVX2Int8 says the assembly kernels may run; SetAccelerated(false)
// turns them off with vek's.
var hasAVX2 = cpu.X86.HasAVX2

//go:noescape
func dotInt8AVX2(a, b *int8, n int) int32

//go:noescape
func prefetch(p unsafe.Pointer)

// DotInt8 returns the dot product of a and b (same length; the sum of
// products fits int32 below 133,000 dimensions), with AVX2 when there is
// one: 32 products an iteration.
func DotInt8(a, b []int8) int32 {
	n := len(a)
	if n == 0 {
		return 0
	}
	b = b[:n]
	if !accelerated || !hasAVX2 || n < 32 {
		return DotInt8Go(a, b)
	}
	body := n &^ 31
	s := dotInt8AVX2(&a[0], &b[0], body)
	if body < n {
		s += DotInt8Go(a[body:], b[body:])
	}
	return s
}

// Prefetch asks the CPU to start loading the cache line at p: a graph
// search issues it for the next neighbour's vector while it computes the
// current distance, hiding part of the memory latency.
func Prefetch(p unsafe.Pointer) {
	if hasAVX2 {
		prefetch(p)
	}
}
