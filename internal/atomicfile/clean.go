package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"time"
)

// TempGrace is how old a temporary file must be before CleanTemp removes
// it: a writer locks its file right after creating it, and this covers
// that moment (and, where there are no locks, a whole write).
var TempGrace = time.Minute

// CleanTemp removes the temporary files that writers which died left in
// dir: those no live process holds locked and that have not been written
// for TempGrace. A file another process is writing is left alone.
func CleanTemp(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	var errs []error
	for _, e := range entries {
		if !IsTemp(e.Name()) || !e.Type().IsRegular() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		info, err := e.Info()
		if err != nil || time.Since(info.ModTime()) < TempGrace {
			continue // gone already, or too young to judge
		}
		live, err := owned(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !live {
			if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
