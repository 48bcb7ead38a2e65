package command

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/clipvec/clipvec/pkg/clipvec"
	"github.com/clipvec/clipvec/pkg/clipvec/upstream"
	"github.com/clipvec/clipvec/pkg/twelvelabs"
)

func fetchCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "fetch",
		Usage: "fetch embeddings from the TwelveLabs API: embed tasks, indexed assets, whole indexes",
		Description: `Downloads embedding segments from the TwelveLabs API and imports them, each
object in one transaction that also records the fetch. Needs an API key:
$TWELVELABS_API_KEY or --api-key; $TWELVELABS_BASE_URL or --base-url points
clipvec at a proxy or a fake server.

   clipvec fetch task ID...                 embed tasks, v1 or v2 (found by asking v1, then v2)
   clipvec fetch asset --index IDX ID...    indexed assets
   clipvec fetch index IDX                  every ready asset of an index; resumable

Requests (see docs/upstream.md for rate-limit categories):
   fetch task    GET /embed/tasks/{id}/status, then GET /embed/tasks/{id}
                 (or GET /embed-v2/tasks/{id}); --wait polls the status
   fetch asset   GET /indexes/{idx}/indexed-assets/{id}?embedding_option=...
   fetch index   GET /indexes/{idx}/indexed-assets?page=N (50 per page),
                 then one retrieve per asset not fetched before

Examples:
   export TWELVELABS_API_KEY=tlk_...
   clipvec fetch index 6790a1b2c3d4e5f6a7b8c9d0
   clipvec fetch index --modality visual --scope clip --concurrency 8 IDX
   clipvec fetch task --wait 66419a20c70bb578439bd8f4
   clipvec fetch asset --index IDX --json ASSET1 ASSET2`,
		Subcommands: []*cli.Command{fetchTaskCommand(e), fetchAssetCommand(e), fetchIndexCommand(e)},
	}
}

// subcommandFlags adds the flags every fetch subcommand takes.
func subcommandFlags(own ...cli.Flag) []cli.Flag {
	flags := append(own, fetchFlags()...)
	return append(flags, apiFlags()...)
}

func fetchTaskCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "task",
		Usage:     "fetch embed tasks (v1 or v2) by id",
		ArgsUsage: "TASK_ID...",
		Description: `Fetches each task's segments and files them under the task id (or
--video-id). A task still processing is an error (exit 4) unless --wait.
--modality is sent upstream for v1 tasks (embedding_option) and applied
locally for v2 tasks; --scope is applied locally.

Examples:
   clipvec fetch task 66419a20c70bb578439bd8f4
   clipvec fetch task --wait --poll-interval 10s --video-id my-clip 64f8d2c7e4a1b37f8a9c5d12`,
		Flags: subcommandFlags(
			&cli.BoolFlag{Name: "wait", Usage: "wait for tasks still processing"},
			pollFlag("with --wait, the `WAIT` between status polls"),
			&cli.StringFlag{Name: "video-id", Usage: "file the segments under this video `ID` (one task only)"},
			&cli.StringFlag{Name: "model", Usage: "`MODEL` of embed-v2 tasks (their responses name none; default marengo3.0, or marengo3.5 when they carry a dimension)"},
		),
		OnUsageError: subUsageError,
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usagef("fetch task: no task ids given")
			}
			if err := noFlagsAfterArgs(c); err != nil {
				return err
			}
			if c.String("video-id") != "" && c.NArg() > 1 {
				return usagef("fetch task: --video-id names the video of one task; %d were given", c.NArg())
			}
			opts, err := fetchOptions(c)
			if err != nil {
				return err
			}
			opts.Wait, opts.PollInterval = c.Bool("wait"), c.Duration("poll-interval")
			opts.VideoID, opts.Model = c.String("video-id"), c.String("model")
			return fetchEach(c, e, opts, func(db *clipvec.DB, cl *twelvelabs.Client, id string, opts upstream.FetchOptions) (*upstream.FetchResult, error) {
				return upstream.FetchTask(c.Context, db, cl, id, opts)
			})
		},
	}
}

func fetchAssetCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "asset",
		Usage:     "fetch indexed assets of an index by id",
		ArgsUsage: "ASSET_ID...",
		Description: `Fetches each indexed asset's segments (and its file name, duration and
user metadata) and files them under the asset id. Without --modality every
modality of the index's model is asked for (visual, audio, transcription for
Marengo 3.0; visual-text, audio for 2.7).

Examples:
   clipvec fetch asset --index 6790a1b2c3d4e5f6a7b8c9d0 61e17be5777e6caec646fa07
   clipvec fetch asset --index IDX --modality visual --json A B C`,
		Flags: subcommandFlags(
			&cli.StringFlag{Name: "index", Usage: "the assets' index `ID` (required)"},
		),
		OnUsageError: subUsageError,
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usagef("fetch asset: no asset ids given")
			}
			if err := noFlagsAfterArgs(c); err != nil {
				return err
			}
			index := c.String("index")
			if index == "" {
				return usagef("fetch asset: --index IDX is required")
			}
			opts, err := fetchOptions(c)
			if err != nil {
				return err
			}
			return fetchEach(c, e, opts, func(db *clipvec.DB, cl *twelvelabs.Client, id string, opts upstream.FetchOptions) (*upstream.FetchResult, error) {
				return upstream.FetchAsset(c.Context, db, cl, index, id, opts)
			})
		},
	}
}

func fetchIndexCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "index",
		Usage:     "fetch every ready asset of an index (resumable)",
		ArgsUsage: "INDEX_ID",
		Description: `Lists the index's assets (every page), leaves out those not ready and those
fetched before with the same (or wider) --modality and --scope, and fetches
the rest, --concurrency at a time, each in one transaction with its fetch
record. Killed or failed part-way, running it again fetches only what is
missing; nothing is ever stored twice. --refetch downloads everything again
(replacing it in place). Deleting a video (clipvec delete) forgets that it
was fetched.

Examples:
   clipvec fetch index 6790a1b2c3d4e5f6a7b8c9d0
   clipvec fetch index --concurrency 8 --modality visual IDX
   clipvec fetch index --refetch --json IDX`,
		Flags: subcommandFlags(
			&cli.IntFlag{Name: "concurrency", Aliases: []string{"j"}, Value: upstream.DefaultFetchConcurrency, Usage: "retrieve `N` assets at a time"},
			&cli.BoolFlag{Name: "refetch", Usage: "fetch assets fetched before too (their segments are replaced, never duplicated)"},
		),
		OnUsageError: subUsageError,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("fetch index: give one index id")
			}
			if err := noFlagsAfterArgs(c); err != nil {
				return err
			}
			if c.Int("concurrency") < 1 {
				return usagef("fetch index: --concurrency %d: want a positive number", c.Int("concurrency"))
			}
			opts, err := fetchOptions(c)
			if err != nil {
				return err
			}
			cl, db, err := openUpstream(c)
			if err != nil {
				return err
			}
			defer db.Close()
			pb := e.progressBar(c)
			opts.Concurrency, opts.Refetch = c.Int("concurrency"), c.Bool("refetch")
			opts.IndexProgress = indexProgress(pb)
			index := c.Args().First()
			opts.Progress = func(p upstream.FetchProgress) {
				todo := max(p.Total, p.Listed) - p.NotReady - p.AlreadyFetched
				frac := 1.0
				if todo > 0 {
					frac = float64(p.Fetched+p.Failed) / float64(todo)
				}
				pb.update("fetching index %s %s %d/%d assets (%d skipped), %s segments", index, bar(frac, 20),
					p.Fetched+p.Failed, max(todo, 0), p.AlreadyFetched+p.NotReady, count(int64(p.Segments)))
			}
			sum, err := upstream.FetchIndex(c.Context, db, cl, index, opts)
			pb.done()
			switch {
			case c.Bool("json"):
				out := struct {
					*upstream.FetchSummary
					Fetched []resultJSON `json:"fetched"`
					Failed  []resultJSON `json:"failed,omitempty"`
					Seconds float64      `json:"seconds"`
					Error   string       `json:"error,omitempty"`
				}{FetchSummary: sum, Fetched: resultsJSON(sum.Fetched), Failed: resultsJSON(sum.Failed), Seconds: sum.Elapsed.Seconds()}
				if err != nil {
					out.Error = err.Error()
				}
				if werr := writeJSON(e.stdout, out); werr != nil {
					return werr
				}
			case !c.Bool("quiet") && (err == nil || sum.Listed > 0):
				printFetchSummary(e, sum)
			}
			if err != nil && sum.Listed > 0 && !errors.Is(err, clipvec.ErrNoCredentials) {
				err = fmt.Errorf("%w\n(run the same command again to fetch the rest: what was fetched is kept)", err)
			}
			return upstreamHint(err)
		},
	}
}

func printFetchSummary(e *env, sum *upstream.FetchSummary) {
	for _, f := range sum.Failed {
		fmt.Fprintf(e.stdout, "failed: asset %s: %v\n", f.ID, f.Err)
	}
	fmt.Fprintf(e.stdout, "index %s: %s listed: %d fetched, %d already fetched, %d not ready, %d failed\n",
		sum.IndexID, plural(sum.Listed, "asset"), len(sum.Fetched), sum.AlreadyFetched, sum.NotReady, len(sum.Failed))
	if len(sum.Fetched)+len(sum.Failed) == 0 {
		fmt.Fprintln(e.stdout, "nothing new to fetch")
		return
	}
	opts := ""
	if len(sum.Modalities) > 0 {
		opts = " (modalities " + strings.Join(sum.Modalities, ", ") + ")"
	}
	fmt.Fprintf(e.stdout, "segments: imported %s, replaced %s, unchanged %s%s in %.1fs\n", count(int64(sum.Imported)), count(int64(sum.Replaced)),
		count(int64(sum.Unchanged)), opts, sum.Elapsed.Seconds())
	if sum.Dropped > 0 {
		fmt.Fprintf(e.stdout, "left out %s segments of other scopes\n", count(int64(sum.Dropped)))
	}
	if sum.IndexElapsed > 0 {
		fmt.Fprintf(e.stdout, "search graphs updated in %.2fs\n", sum.IndexElapsed.Seconds())
	}
}

// fetchOptions reads the flags fetchFlags defines.
func fetchOptions(c *cli.Context) (upstream.FetchOptions, error) {
	scopes, err := scopesFlag(c)
	if err != nil {
		return upstream.FetchOptions{}, err
	}
	return upstream.FetchOptions{Modalities: c.StringSlice("modality"), Scopes: scopes, NoIndex: c.Bool("no-index")}, nil
}

// fetchEach fetches objects one by one (each its own transaction), going
// on past failures, then brings the search graphs in step once.
func fetchEach(c *cli.Context, e *env, opts upstream.FetchOptions, fetch func(*clipvec.DB, *twelvelabs.Client, string, upstream.FetchOptions) (*upstream.FetchResult, error)) error {
	cl, db, err := openUpstream(c)
	if err != nil {
		return err
	}
	defer db.Close()
	pb := e.progressBar(c)
	opts.OnStatus = statusLine(pb)
	sync := !opts.NoIndex
	opts.NoIndex = true // once, below
	var results []*upstream.FetchResult
	var errs []error
	for _, id := range c.Args().Slice() {
		res, err := fetch(db, cl, id, opts)
		pb.done()
		if err != nil {
			res.Err = err
			errs = append(errs, upstreamHint(err))
		}
		results = append(results, res)
		if err == nil && !c.Bool("json") && !c.Bool("quiet") {
			fmt.Fprintln(e.stdout, "fetched "+describeResult(res))
		}
		if c.Context.Err() != nil {
			break
		}
	}
	if sync && c.Context.Err() == nil {
		if err := upstream.SyncFetched(c.Context, db, results, indexProgress(pb)); err != nil {
			errs = append(errs, err)
		}
		pb.done()
	}
	if c.Bool("json") {
		rs := make([]upstream.FetchResult, len(results))
		for i, r := range results {
			rs[i] = *r
		}
		if err := writeJSON(e.stdout, resultsJSON(rs)); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

// subUsageError makes a subcommand's flag mistakes usage errors.
func subUsageError(_ *cli.Context, err error, _ bool) error { return usageError{err} }
