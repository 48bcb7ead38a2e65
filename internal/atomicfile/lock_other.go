//go:build !unix

package atomicfile

import "os"

// lock is a no-op where advisory locks are not available: CleanTemp
// relies on the files' age alone there.
func lock(*os.File) error { return nil }

// owned cannot tell without locks; CleanTemp's age rule decides.
func owned(string) (bool, error) { return false, nil }

// renameOpen is false on Windows, which cannot rename an open file.
const renameOpen = false
