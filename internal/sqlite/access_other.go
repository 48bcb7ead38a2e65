//go:build !unix

package sqlite

// access asks nothing where the system has no access(2): SQLite's own
// errors then say what it could not write.
func access(string) error { return nil }
