//go:build !unix

package mirror

// Lock does nothing where advisory locks are not available: running one
// sync at a time per database is then the caller's to ensure.
func Lock(string) (unlock func(), err error) { return func() {}, nil }
