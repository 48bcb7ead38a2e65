package command

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

func deleteCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "delete",
		Usage:     "delete videos and all their segments",
		ArgsUsage: "VIDEO...",
		Description: `Deletes the videos in one transaction: if any does not exist, nothing is
deleted (exit code 3). A VIDEO is an id, a prefix of one that no other id
starts with (4 characters at least), or a file name as imported; one that
fits several videos deletes nothing (exit code 2).

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
			db, err := openExistingDB(c)
			if err != nil {
				return err
			}
			defer db.Close()
			var ids []string
			resolved := false // a reference was not the id itself
			for _, ref := range c.Args().Slice() {
				id, err := resolveVideo(c.Context, db, "delete", strconv.Quote(ref), ref)
				if err != nil {
					return err
				}
				if !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
				resolved = resolved || id != ref
			}
			n, err := db.Delete(c.Context, ids...)
			if err != nil && !errors.Is(err, clipvec.ErrIndexNotSaved) {
				return err
			}
			// Deleted: a graph that could not be saved is a warning (err).
			if c.Bool("json") {
				out := struct {
					Videos   int      `json:"videos"`
					Segments int      `json:"segments"`
					IDs      []string `json:"video_ids"`
				}{len(ids), n, ids}
				if werr := writeJSON(e.stdout, out); werr != nil {
					return werr
				}
				return err
			}
			fmt.Fprintf(e.stdout, "deleted %s (%s segments)", plural(len(ids), "video"), count(int64(n)))
			if resolved {
				// Say which, when the command line did not.
				fmt.Fprintf(e.stdout, ": %s", visible(strings.Join(ids, ", ")))
			}
			fmt.Fprintln(e.stdout)
			return err
		},
	}
}
