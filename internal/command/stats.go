package command

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

func statsCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "stats",
		Usage: "show embedding spaces, counts and database size",
		Description: `An embedding space is one model at one dimension (marengo3.0/512,
marengo2.7/1024, ...): searches run within one space.

Examples:
   clipvec stats
   clipvec --db clips.db stats --json`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print as JSON"},
		},
		Action: func(c *cli.Context) error {
			db, err := openReadDB(c)
			if err != nil {
				return err
			}
			defer db.Close()
			st, err := db.Stats(c.Context)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(e.stdout, st)
			}
			fmt.Fprintf(e.stdout, "database:   %s (%s)\nvideos:     %s\nsegments:   %s\ngeneration: %d\n",
				visible(st.Path), bytesHuman(st.Bytes), count(int64(st.Videos)), count(int64(st.Segments)), st.Generation)
			if len(st.Spaces) == 0 {
				return nil
			}
			fmt.Fprintln(e.stdout)
			t := newTable(e.stdout, "SPACE", "MODEL", "DIM", "SEGMENTS", "VIDEOS")
			for _, s := range st.Spaces {
				t.row(s.String(), s.Model, fmt.Sprint(s.Dim), count(int64(s.Segments)), count(int64(s.Videos)))
			}
			return t.flush()
		},
	}
}
