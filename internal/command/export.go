package command

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
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

-o FILE replaces a file only once the export is complete (a failed export
leaves it as it was); a device or a FIFO (/dev/null, a named pipe,
/dev/stdout) is written in place; a symbolic link is followed, so a link
to a file stays a link and its target is replaced. A directory, a socket
and a link to nothing are refused.

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
				// The counts go to stdout, unless the data does (-o /dev/stdout).
				if !isFile(e.stdout, path) {
					report = e.stdout
				}
				st, err = exportFile(c.Context, db, path, opts)
			} else {
				if st, err = db.Export(c.Context, e.stdout, opts); err != nil {
					err = fmt.Errorf("export: %w", err)
				}
			}
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(report, st)
			}
			fmt.Fprintf(report, "exported %s segments of %s videos\n", count(int64(st.Segments)), count(int64(st.Videos)))
			return nil
		},
	}
}

// exportFile writes the export to path, as [atomicfile.OpenOutput] does:
// a regular file is replaced only once the export is complete, a device
// or a FIFO is written in place, a symbolic link leads to one of those.
func exportFile(ctx context.Context, db *clipvec.DB, path string, opts clipvec.ExportOptions) (clipvec.ExportStats, error) {
	out, err := atomicfile.OpenOutput(path)
	var nw *atomicfile.NotWritableError
	if errors.As(err, &nw) {
		return clipvec.ExportStats{}, usagef("export: -o %w", err)
	}
	if err != nil {
		return clipvec.ExportStats{}, fmt.Errorf("export: %w", err)
	}
	defer out.Abort()
	w, gz := io.Writer(out), (*gzip.Writer)(nil)
	if strings.HasSuffix(path, ".gz") {
		gz = gzip.NewWriter(out)
		w = gz
	}
	st, err := db.Export(ctx, w, opts)
	if err == nil && gz != nil {
		err = gz.Close()
	}
	if err == nil {
		err = out.Commit()
	}
	if err != nil {
		return st, fmt.Errorf("export: %w", err)
	}
	return st, nil
}

// isFile reports whether w is the file at path (following links): an
// *os.File that is, say, the pipe or terminal /dev/stdout leads to.
func isFile(w io.Writer, path string) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && os.SameFile(a, b)
}
