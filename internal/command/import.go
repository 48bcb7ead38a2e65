package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

func importCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "import embedding segments from saved TwelveLabs responses or clipvec JSONL or Parquet",
		ArgsUsage: "PATH...",
		Description: `Reads files, directories (recursively: *.json, *.jsonl, *.ndjson, optionally
.gz, and *.parquet) and - (standard input). The shape of each file is detected:

   embed task v1       GET /embed/tasks/{id}           video_embedding.segments[].float
   embed task v2       GET /embed-v2/tasks/{id}        data[].embedding (scope "asset": stored as video)
   embed-v2 sync       POST /embed-v2 (video, audio)   data[].embedding
   embed v1 sync       POST /embed (audio segments)    audio_embedding.segments[].float
   indexed asset       GET /indexes/{i}/indexed-assets/{id}?embedding_option=...
   video (deprecated)  GET /indexes/{i}/videos/{id}?embedding_option=...
   older eras          v1.2 engine_name, video_embeddings[], Marengo 2.7 visual-text
   clipvec JSONL       what clipvec export writes (one segment per line)
   clipvec Parquet     what clipvec export --format parquet writes (one segment per row)

A response that does not name its video (embed tasks name only their task)
is filed under the task id, or the file name for sync responses; --video-id
overrides. Vectors are checked (dimension, NaN/Inf, zero, empty) and
normalised; each file is imported in one transaction, so a rejected file
changes nothing. Importing a segment again replaces it when its vector or
provenance differs, and leaves it alone (counted as unchanged) when not:
importing unchanged files again writes nothing. Then the search graph of
each space written to is brought up to date (built the first time) and
saved beside the database; --no-index defers that.

--video-id files every segment under one video, so it is refused (exit 2,
nothing imported) when the inputs are of different videos:
   - they name more than one video themselves: indexed assets and videos
     name theirs, clipvec JSONL and Parquet exports name each segment's;
   - two inputs hold the same segment (model, dimension, option, scope and
     times): under one video, one would replace the other.
Inputs that name no video (embed tasks, sync responses) are otherwise taken
as parts of that one video: a visual task and an audio task of one video,
say. To check, import reads every input once before it writes anything.
--merge-videos files them under one video all the same.

Examples:
   clipvec import exports/
   clipvec import --video-id my-video task-66419a20.json
   curl -s ... | clipvec import --video-id clip7 -
   clipvec import --skip-invalid --json dump.jsonl.gz
   clipvec import clips.parquet`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "video-id", Usage: "file every segment under this video `ID` (refused for inputs of different videos: see above)"},
			&cli.BoolFlag{Name: "merge-videos", Usage: "with --video-id, file inputs of different videos under one video all the same"},
			&cli.StringFlag{Name: "model", Usage: "`MODEL` of responses that name none (embed-v2; default marengo3.0)"},
			&cli.IntFlag{Name: "dim", Usage: "reject vectors that do not have `N` values"},
			&cli.BoolFlag{Name: "skip-invalid", Usage: "import a file's good records and report the bad ones, instead of rejecting the file"},
		}, writeFlags("print the summary as JSON")...),
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usagef("import: no paths given (a file, a directory, or - for stdin)")
			}
			if err := noFlagsAfterArgs(c); err != nil {
				return err
			}
			db, err := openDB(c)
			if err != nil {
				return err
			}
			defer db.Close()
			pb := e.progressBar(c)
			e.watchIndex(c, db) // the last step: the search graphs
			sum, err := db.Import(c.Context, c.Args().Slice(), clipvec.ImportOptions{
				VideoID: c.String("video-id"), MergeVideos: c.Bool("merge-videos"), Model: c.String("model"), Dim: c.Int("dim"),
				SkipInvalid: c.Bool("skip-invalid"), Stdin: e.stdin, NoIndex: c.Bool("no-index"),
				Progress: func(p clipvec.ImportProgress) { pb.show(importStatus(p)) },
			})
			pb.done()
			if sum != nil && len(sum.Files) > 0 {
				if c.Bool("json") {
					if werr := writeJSON(e.stdout, importJSON(sum)); werr != nil {
						return werr
					}
				} else if !c.Bool("quiet") {
					printImport(e.stdout, sum)
				}
			}
			return importHint(err)
		},
	}
}

// importStatus is the progress line of an import: through the files, and
// through the current file by bytes when its size is known.
func importStatus(p clipvec.ImportProgress) status {
	frac := float64(p.FileIndex) / float64(p.Files)
	if p.Size > 0 {
		frac += min(float64(p.Bytes)/float64(p.Size), 1) / float64(p.Files)
	}
	n := plural(p.TotalSegments, "segment")
	if p.Files > 1 {
		n = fmt.Sprintf("file %d/%d, %s", p.FileIndex+1, p.Files, n)
	}
	return status{what: "importing", detail: filepath.Base(p.File), frac: frac, count: n, items: p.TotalSegments}
}

// importHint adds the flag that would have given a rejected file what it
// lacked.
func importHint(err error) error {
	switch {
	case errors.Is(err, clipvec.ErrSeveralVideos):
		return usagef("%w\n(to keep each video apart, leave out --video-id; to merge them all the same, add --merge-videos)", err)
	case errors.Is(err, clipvec.ErrNoModel):
		return fmt.Errorf("%w\n(give the model with --model MODEL)", err)
	case errors.Is(err, clipvec.ErrNoVideo):
		return fmt.Errorf("%w\n(file the segments under a video with --video-id ID)", err)
	case errors.Is(err, clipvec.ErrQueryVectors):
		return fmt.Errorf("%w\n(search with it: clipvec search --vector FILE)", err)
	}
	return err
}

type fileJSON struct {
	clipvec.FileResult
	Error string `json:"error,omitempty"`
}

func importJSON(sum *clipvec.ImportSummary) any {
	files := make([]fileJSON, len(sum.Files))
	for i, f := range sum.Files {
		files[i] = fileJSON{FileResult: f}
		if f.Err != nil {
			files[i].Error = f.Err.Error()
		}
	}
	return struct {
		Files     []fileJSON `json:"files"`
		Imported  int        `json:"imported"`
		Replaced  int        `json:"replaced"`
		Unchanged int        `json:"unchanged"`
		Skipped   int        `json:"skipped"`
		Rejected  int        `json:"rejected"`
		Seconds   float64    `json:"seconds"`
		Index     float64    `json:"index_seconds"`
	}{files, sum.Imported, sum.Replaced, sum.Unchanged, sum.Skipped, sum.Rejected, sum.Elapsed.Seconds(), sum.IndexElapsed.Seconds()}
}

func printImport(w io.Writer, sum *clipvec.ImportSummary) {
	for _, f := range sum.Files {
		for _, msg := range f.Invalid {
			fmt.Fprintf(w, "skipped: %s\n", visible(msg))
		}
		if f.Skipped > len(f.Invalid) {
			fmt.Fprintf(w, "skipped: %s: %d more invalid records\n", visible(f.Name), f.Skipped-len(f.Invalid))
		}
		if f.QueryEmbeddings > 0 {
			fmt.Fprintf(w, "note: %s: left out %d text/image query embeddings (not video segments)\n", visible(f.Name), f.QueryEmbeddings)
		}
	}
	printRejected(w, sum.Files)
	for _, sp := range sum.NewSpaces {
		fmt.Fprintf(w, "note: %s vectors now come in another dimension too: %s is a separate space, never compared with the others (fine for marengo3.5's 128/256/512; otherwise check the input)\n", visible(sp.Model), visible(sp.String()))
	}
	unchanged := ""
	if sum.Unchanged > 0 {
		unchanged = ", unchanged " + count(int64(sum.Unchanged))
	}
	fmt.Fprintf(w, "%s: imported %s, replaced %s%s, skipped %s, rejected %s\n",
		plural(len(sum.Files), "file"), count(int64(sum.Imported)), count(int64(sum.Replaced)), unchanged, count(int64(sum.Skipped)),
		plural(sum.Rejected, "file"))
	// Timings on a line of their own: the counts fit 80 columns then.
	var took []string
	segs := sum.Imported + sum.Replaced + sum.Unchanged
	if s := sum.Elapsed.Seconds(); s > 0 && segs > 0 {
		took = append(took, fmt.Sprintf("read in %.2fs (%s segments/s)", s, count(int64(float64(segs)/s))))
	}
	if sum.IndexElapsed > 0 {
		took = append(took, fmt.Sprintf("search graphs updated in %.2fs", sum.IndexElapsed.Seconds()))
	}
	if len(took) > 0 {
		fmt.Fprintln(w, strings.Join(took, "; "))
	}
}

// printRejected says why files were rejected, as --json does: one line
// per reason, naming its files (the first three, when a full disk, say,
// rejected hundreds alike).
func printRejected(w io.Writer, files []clipvec.FileResult) {
	var reasons []string
	names := map[string][]string{}
	for _, f := range files {
		if f.Err == nil || errors.Is(f.Err, context.Canceled) || errors.Is(f.Err, context.DeadlineExceeded) {
			continue // an interrupted import's files were not rejected
		}
		reason := strings.TrimPrefix(f.Err.Error(), "import "+f.Name+": ")
		if names[reason] == nil {
			reasons = append(reasons, reason)
		}
		names[reason] = append(names[reason], f.Name)
	}
	for _, reason := range reasons {
		list := names[reason]
		shown := strings.Join(list[:min(len(list), 3)], ", ")
		if len(list) > 3 {
			shown += fmt.Sprintf(" and %d more files", len(list)-3)
		}
		fmt.Fprintf(w, "rejected: %s: %s\n", visible(shown), visibleLines(reason))
	}
}
