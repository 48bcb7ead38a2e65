//go:build unix

package weaviatetest

import (
	"os"
	"syscall"
)

// lockPorts takes, waiting for it, the lock every test binary holds
// while it picks its cluster's ports and starts it, so two packages
// tested at once never pick the same ones.
func lockPorts(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}
