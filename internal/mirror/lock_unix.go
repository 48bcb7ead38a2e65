//go:build unix

package mirror

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// Lock takes the sync lock of the database at dbPath: an advisory lock
// on the file dbPath + ".sync-lock", held until unlock is called or the
// process dies (a killed sync leaves nothing to clean up). A lock held by
// another process is ErrLocked.
func Lock(dbPath string) (unlock func(), err error) {
	path := dbPath + ".sync-lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("lock %s: %w", path, ErrLocked)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
