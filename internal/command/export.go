package command

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

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
			out, report := e.stdout, e.stderr
			var commit func() error
			if path := c.String("output"); path != "" && path != "-" {
				w, done, err := createAtomic(path)
				if err != nil {
					return err
				}
				defer done(false)
				out, report = w, e.stdout
				commit = func() error { return done(true) }
			}
			st, err := db.Export(c.Context, out, clipvec.ExportOptions{Videos: c.StringSlice("video"), Model: c.String("model")})
			if err != nil {
				return err
			}
			if commit != nil {
				if err := commit(); err != nil {
					return err
				}
			}
			if c.Bool("json") {
				return writeJSON(report, st)
			}
			fmt.Fprintf(report, "exported %s segments of %s videos\n", count(int64(st.Segments)), count(int64(st.Videos)))
			return nil
		},
	}
}

// createAtomic writes path through a temporary file in the same directory,
// renamed into place only on success, so a failed export never leaves a
// half-written file under the final name. done(true) commits.
func createAtomic(path string) (io.Writer, func(ok bool) error, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, nil, fmt.Errorf("export: %w", err)
	}
	var w io.Writer = f
	var gz *gzip.Writer
	if strings.HasSuffix(path, ".gz") {
		gz = gzip.NewWriter(f)
		w = gz
	}
	finished := false
	done := func(ok bool) error {
		if finished {
			return nil
		}
		finished = true
		if !ok {
			f.Close()
			os.Remove(f.Name())
			return nil
		}
		if gz != nil {
			if err := gz.Close(); err != nil {
				f.Close()
				os.Remove(f.Name())
				return fmt.Errorf("export: %w", err)
			}
		}
		if err := f.Sync(); err != nil {
			f.Close()
			os.Remove(f.Name())
			return fmt.Errorf("export: %w", err)
		}
		if err := f.Close(); err != nil {
			os.Remove(f.Name())
			return fmt.Errorf("export: %w", err)
		}
		if err := os.Rename(f.Name(), path); err != nil {
			os.Remove(f.Name())
			return fmt.Errorf("export: %w", err)
		}
		return nil
	}
	return w, done, nil
}
