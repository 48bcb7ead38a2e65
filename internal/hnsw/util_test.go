package hnsw_test

import "unsafe"

// bytesView views an []uint64 as bytes: an 8-byte-aligned buffer, as
// Decode requires.
func bytesView(s []uint64) []byte {
	if len(s) == 0 {
		return []byte{}
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*8)
}
