//go:build !amd64

package vecmath

import "unsafe"

// DotInt8 returns the dot product of a and b (same length).
func DotInt8(a, b []int8) int32 { return DotInt8Go(a, b) }

// Prefetch is a no-op on this architecture.
func Prefetch(p unsafe.Pointer) {}
