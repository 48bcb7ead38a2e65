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

// Export formats (--format).
const (
	formatJSONL   = "jsonl"
	formatParquet = "parquet"
	formatNPY     = "npy"
)

func exportCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "write segments as clipvec JSONL, Parquet or NumPy arrays (import reads JSONL and Parquet back exactly)",
		Description: `--format chooses what is written:

jsonl (the default): a header line, then per video a metadata line and one
line per segment: {"video_id", "model_name", "embedding_option",
"embedding_scope", "start_sec", "end_sec", "source_kind", "source_id",
"norm", "embedding"}. Gzipped when -o FILE ends in .gz.

parquet (the default when -o FILE ends in .parquet): one row per segment,
with segment_id, video_id, model_name, dim, embedding_option,
embedding_scope, start_sec, end_sec, norm, source_kind, source_id, the
video's filename, duration, fps, width, height, user_metadata and
thumbnail_url (null when unknown), and embedding, a LIST<FLOAT>. zstd
compressed; DuckDB, Polars, Spark and pyarrow read it.

npy: -o names a directory (created if need be) that gets, per embedding
space, MODEL_DIM.npy (a float32 matrix, one row per segment) and
MODEL_DIM.jsonl (line i describes row i: its segment, video, modality,
scope, times, norm and source), then manifest.json listing them.

Vectors are the stored unit vectors, exactly, with the norm they arrived
with: export then import (JSONL or Parquet) restores every bit.

-o FILE replaces a file only once the export is complete (a failed export
leaves it as it was); a device or a FIFO (/dev/null, a named pipe,
/dev/stdout) is written in place; a symbolic link is followed, so a link
to a file stays a link and its target is replaced. A directory, a socket
and a link to nothing are refused. With npy, each file in DIR is replaced
the same way, all of them once every one is complete.

Examples:
   clipvec export > all.jsonl
   clipvec export -o backup.jsonl.gz
   clipvec export --video 663e16ac4d11aff765088b3a --model marengo3.0 | clipvec --db other.db import -
   clipvec export --format parquet -o clips.parquet
   duckdb -c "SELECT video_id, start_sec, len(embedding) FROM 'clips.parquet' LIMIT 5"
   clipvec export --format npy -o arrays/
   python3 -c "import numpy; print(numpy.load('arrays/marengo3.0_512.npy').shape)"`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "`FORMAT` to write: jsonl, parquet or npy (default: jsonl, or parquet when -o ends in .parquet)"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to `PATH` instead of stdout: a file (jsonl, gzip if it ends in .gz; parquet), a directory (npy)"},
			&cli.StringSliceFlag{Name: "video", Usage: "only this `VIDEO` (repeatable)"},
			&cli.StringFlag{Name: "model", Usage: "only this `MODEL`'s segments"},
			&cli.BoolFlag{Name: "json", Usage: "print the counts as JSON (to stderr when the data goes to stdout)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("export: unexpected argument %q (write to a file with -o FILE)", c.Args().First())
			}
			path := c.String("output")
			if path == "-" {
				path = ""
			}
			format, err := exportFormat(c.String("format"), path)
			if err != nil {
				return err
			}
			db, err := openReadDB(c)
			if err != nil {
				return err
			}
			defer db.Close()
			videos, err := resolveVideos(c.Context, db, "export", "video", c.StringSlice("video"))
			if err != nil {
				return err
			}
			pb := e.progressBar(c)
			opts := clipvec.ExportOptions{Videos: videos, Model: c.String("model"),
				Progress: func(done, total int) { pb.show(exportStatus(done, total)) }}
			report := e.stderr
			var st clipvec.ExportStats
			switch {
			case format == formatNPY:
				report = e.stdout
				st, err = db.ExportNPY(c.Context, path, opts)
			case path != "":
				// The counts go to stdout, unless the data does (-o /dev/stdout).
				if !isFile(e.stdout, path) {
					report = e.stdout
				}
				st, err = exportFile(c.Context, db, path, format, opts)
			default:
				st, err = exportTo(c.Context, db, e.stdout, format, opts)
			}
			pb.done()
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(report, st)
			}
			fmt.Fprintf(report, "exported %s of %s", plural(st.Segments, "segment"), plural(st.Videos, "video"))
			if format == formatNPY {
				fmt.Fprintf(report, " into %s (%s lists the files)", path, clipvec.NPYManifest)
			}
			fmt.Fprintln(report)
			return nil
		},
	}
}

// exportStatus is the progress line of an export.
func exportStatus(done, total int) status {
	if total <= 0 {
		return status{what: "exporting", frac: -1, count: plural(done, "segment"), items: done}
	}
	return status{what: "exporting", frac: float64(done) / float64(total),
		count: countOf(done, total) + " segments", items: done}
}

// exportFormat checks --format against -o and fills in its default.
func exportFormat(format, path string) (string, error) {
	if format == "" {
		format = formatJSONL
		if strings.HasSuffix(strings.ToLower(path), ".parquet") {
			format = formatParquet
		}
	}
	switch format = strings.ToLower(format); format {
	case formatJSONL:
	case formatParquet:
		if strings.HasSuffix(path, ".gz") {
			return "", usagef("export: --format parquet is compressed already (zstd): name -o without .gz")
		}
	case formatNPY:
		if path == "" {
			return "", usagef("export: --format npy writes a directory of files: name it with -o DIR")
		}
		if info, err := os.Stat(path); err == nil && !info.IsDir() {
			return "", usagef("export: --format npy writes a directory of files, and -o %s is not a directory", path)
		}
	default:
		return "", usagef("export: unknown --format %q: want jsonl, parquet or npy", format)
	}
	return format, nil
}

// exportTo writes the export in format (jsonl or parquet) to w.
func exportTo(ctx context.Context, db *clipvec.DB, w io.Writer, format string, opts clipvec.ExportOptions) (clipvec.ExportStats, error) {
	export := db.Export
	if format == formatParquet {
		export = db.ExportParquet
	}
	st, err := export(ctx, w, opts)
	if err != nil {
		return st, fmt.Errorf("export: %w", err)
	}
	return st, nil
}

// exportFile writes the export to path, as [atomicfile.OpenOutput] does:
// a regular file is replaced only once the export is complete, a device
// or a FIFO is written in place, a symbolic link leads to one of those.
func exportFile(ctx context.Context, db *clipvec.DB, path, format string, opts clipvec.ExportOptions) (clipvec.ExportStats, error) {
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
	if format == formatJSONL && strings.HasSuffix(path, ".gz") {
		gz = gzip.NewWriter(out)
		w = gz
	}
	st, err := exportTo(ctx, db, w, format, opts)
	if err != nil {
		return st, err
	}
	if gz != nil {
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
