package hnsw

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// noHuge turns the advice off (CLIPVEC_HUGEPAGES=off), to measure it.
var noHuge = os.Getenv("CLIPVEC_HUGEPAGES") == "off"

// adviseHuge asks Linux to back a large array with transparent huge
// pages. A search touches vectors and link lists at random across the
// whole arena: with 4 kB pages nearly every touch is a TLB miss, with
// 2 MB pages few are. Where the kernel's THP mode is "madvise" (the
// common default) nothing is huge without this. Errors are ignored: it
// is a hint.
func adviseHuge[T any](s []T) {
	if cap(s) == 0 || noHuge {
		return
	}
	var zero T
	size := cap(s) * int(unsafe.Sizeof(zero))
	if size < 4<<20 {
		return
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), size)
	unix.Madvise(b, unix.MADV_HUGEPAGE)
}
