package command

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

func deleteCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "delete",
		Usage:     "delete videos and all their segments",
		ArgsUsage: "VIDEO...",
		Description: `Deletes the videos in one transaction: if any id does not exist, nothing is
deleted (exit code 3).

Examples:
   clipvec delete 663e16ac4d11aff765088b3a
   clipvec videos --json | jq -r '.[] | select(.segments < 3) | .video_id' | xargs clipvec delete`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the counts as JSON"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usagef("delete: no video ids given")
			}
			if err := noFlagsAfterArgs(c); err != nil {
				return err
			}
			db, err := openDB(c)
			if err != nil {
				return err
			}
			defer db.Close()
			n, err := db.Delete(c.Context, c.Args().Slice()...)
			if err != nil && !errors.Is(err, clipvec.ErrIndexNotSaved) {
				return err
			}
			// Deleted: a graph that could not be saved is a warning (err).
			if c.Bool("json") {
				if werr := writeJSON(e.stdout, map[string]int{"videos": c.NArg(), "segments": n}); werr != nil {
					return werr
				}
				return err
			}
			fmt.Fprintf(e.stdout, "deleted %d videos (%s segments)\n", c.NArg(), count(int64(n)))
			return err
		},
	}
}
