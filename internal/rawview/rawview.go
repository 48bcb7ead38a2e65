// Package rawview views slices of fixed-size values as their bytes and
// back, without copying: how snapshots are written from and mapped into
// typed arrays. The bytes are in the machine's order; callers that store
// them refuse to run on big-endian machines.
package rawview

import "unsafe"

// Bytes returns s's memory as bytes (nil for an empty s). It aliases s.
func Bytes[T any](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(zero)))
}

// As returns b's memory as a []T of len(b)/size(T) values, aliasing b
// when b is aligned for T, else a copy (never nil).
func As[T any](b []byte) []T {
	var zero T
	n := len(b) / int(unsafe.Sizeof(zero))
	if n == 0 {
		return []T{}
	}
	if uintptr(unsafe.Pointer(&b[0]))%unsafe.Alignof(zero) != 0 {
		out := make([]T, n)
		copy(Bytes(out), b)
		return out
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), n)
}
