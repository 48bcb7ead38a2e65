//go:build unix

package command

import (
	"os"

	"golang.org/x/sys/unix"
)

// osColumns asks the terminal f how wide it is (0 when it will not say).
func osColumns(f *os.File) int {
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0
	}
	return int(ws.Col)
}
