package command

import (
	"compress/gzip"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/clipvec/clipvec/internal/atomicfile"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

func exportCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "write segments as clipvec JSONL (import reads it back exactly)",
		Description: `Writes a header line, then per video a metadata line and one line per
segment: {"video_id", "model_name", "embedding_option", "embedding_scope",
"start_sec", "end_sec", "source_kind", "source_id", "norm", "embedding"}.
Vectors are the stored unit vectors, printed exactly, with the norm they
arrived with: export then import restores every bit.

Examples:
   clipvec export > all.jsonl
   clipvec export -o backup.jsonl.gz
   clipvec export --video 663e16ac4d11aff765088b3a --model marengo3.0 | clipvec --db other.db import -`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to `FILE` (gzip if it ends in .gz) instead of stdout"},
			&cli.StringSliceFlag{Name: "video", Usage: "only this `VIDEO` (repeatable)"},
			&cli.StringFlag{Name: "model", Usage: "only this `MODEL`'s segments"},
			&cli.BoolFlag{Name: "json", Usage: "print the counts as JSON (to stderr when the data goes to stdout)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("export: unexpected argument %q (write to a file with -o FILE)", c.Args().First())
			}
			db, err := openDB(c)
			if err != nil {
				return err
			}
			defer db.Close()
			opts := clipvec.ExportOptions{Videos: c.StringSlice("video"), Model: c.String("model")}
			report := e.stderr
			var st clipvec.ExportStats
			if path := c.String("output"); path != "" && path != "-" {
				// Written beside path and renamed into place on success: a
				// failed export never leaves a half-written file there.
				report = e.stdout
				err = atomicfile.Write(path, func(f io.Writer) error {
					w, gz := f, (*gzip.Writer)(nil)
					if strings.HasSuffix(path, ".gz") {
						gz = gzip.NewWriter(f)
						w = gz
					}
					if st, err = db.Export(c.Context, w, opts); err != nil || gz == nil {
						return err
					}
					return gz.Close()
				})
			} else {
				st, err = db.Export(c.Context, e.stdout, opts)
			}
			if err != nil {
				return fmt.Errorf("export: %w", err)
			}
			if c.Bool("json") {
				return writeJSON(report, st)
			}
			fmt.Fprintf(report, "exported %s segments of %s videos\n", count(int64(st.Segments)), count(int64(st.Videos)))
			return nil
		},
	}
}
