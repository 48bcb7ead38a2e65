package hnsw

import (
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps a snapshot file into memory, private (writes, such as a
// tombstone set after loading, never reach the file), so loading copies
// nothing: the checksum pass faults the pages in, a batch at a time.
// Measured on a 2.76 GB snapshot of 1M × 512 (page cache warm, 2 cores,
// load average 5): mapping and verifying 0.62 s; with MAP_POPULATE 2.0 s
// (populating alone took 1.2 s); reading into a buffer 1.7 s before any
// check. The mapping is released by release.
func mapFile(f *os.File, size int64) (buf []byte, release func(), err error) {
	if size == 0 {
		return []byte{}, func() {}, nil
	}
	buf, err = unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE)
	if err != nil {
		return readFile(f, size)
	}
	return buf, func() { unix.Munmap(buf) }, nil
}
