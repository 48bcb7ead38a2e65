//go:build !unix

package command

import "os"

// osColumns is 0 (unknown) where the terminal cannot be asked: $COLUMNS
// or 80 columns are assumed.
func osColumns(*os.File) int { return 0 }
