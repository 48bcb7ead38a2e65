package command

import (
	"fmt"
	"strconv"

	"github.com/urfave/cli/v2"
)

func videosCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "videos",
		Usage: "list videos with their segment counts",
		Description: `Lists every video in the database: its id (the upstream video, indexed-asset
or task id), file name, duration and number of segments.

Examples:
   clipvec videos
   clipvec videos --json | jq -r '.[].video_id'`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the list as JSON"},
		},
		Action: func(c *cli.Context) error {
			db, err := openDB(c)
			if err != nil {
				return err
			}
			defer db.Close()
			videos, err := db.Videos(c.Context)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(e.stdout, videos)
			}
			if len(videos) == 0 {
				fmt.Fprintln(e.stdout, "no videos (import some with: clipvec import PATH)")
				return nil
			}
			t := newTable(e.stdout, "VIDEO", "FILE", "DURATION", "SEGMENTS")
			for _, v := range videos {
				dur := "-"
				if v.Duration > 0 {
					dur = seconds(v.Duration) + "s"
				}
				t.row(v.ID, orDash(v.Filename), dur, strconv.Itoa(v.Segments))
			}
			return t.flush()
		},
	}
}
