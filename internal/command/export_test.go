package command

import (
	"context"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

// SetOpenRW replaces how commands open a database for writing, until
// the returned function restores it: tests make it fail as a read-only
// file would, whoever runs them (root writes read-only files).
func SetOpenRW(open func(ctx context.Context, path string) (*clipvec.DB, error)) (restore func()) {
	old := openRW
	openRW = open
	return func() { openRW = old }
}
