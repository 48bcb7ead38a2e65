package command

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/clipvec/clipvec/internal/atomicfile"
	"github.com/clipvec/clipvec/pkg/clipvec"
	"github.com/clipvec/clipvec/pkg/clipvec/upstream"
	"github.com/clipvec/clipvec/pkg/twelvelabs"
)

func benchCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "measure local search against a reference",
		Subcommands: []*cli.Command{{
			Name:  "upstream",
			Usage: "how close local search gets to TwelveLabs' /search, and what each costs",
			Description: `For each text query, pages through TwelveLabs' POST /search and
GET /search/{page-token} on --index, runs the same text locally (embedded
by the index's model, then cached) through the graph and the exact scan,
with the same modalities (search_options) and filter, and compares them.

Queries (--queries FILE): one text per line, or JSON lines:
   {"text": "...", "search_options": ["visual"], "group_by": "video",
    "filter": {"id": ["VIDEO", ...]}}
The local search applies a filter's "id" key only.

Matching: an upstream clip is found at depth k when one of the local top
k hits is in the same video and overlaps it with temporal IoU (the
intersection of the two time spans over their union) >= --iou (default
0.5); recall at any overlap (IoU > 0) is reported too. Videos (group_by
video, or the distinct videos of clip results, by first appearance) match
when their ids are equal.

Metrics, per query and as means with 95% confidence intervals, at k = 1,
5, 10, 50: recall@k, nDCG@k (upstream rank as graded relevance), rank-
biased overlap (p = 0.9), video recall@k; latencies; upstream requests.
Each for the local graph and the exact scan against upstream, and for the
graph against the scan (its approximation error alone).

Cost upstream: per query, one POST /search and one GET per further page
(pages of up to 50 results: one request for a depth of 50), plus one
text embedding the first time a query is asked. Rate limits (429) are
waited out; a page token that expires starts the query over.

--report DIR keeps everything: the index, every response as it arrived,
the raw results (JSONL), bench.json, and report.md with plots. A killed
run, rerun with the same --report, goes on without asking again what it
has. --replay DIR reruns the comparison offline from such a directory
(after changing --ef or --iou, say): same options, same numbers.

Examples:
   clipvec bench upstream --index 6650a0b2c1e3d4f5a6b7c8d9 --queries q.txt
   clipvec bench upstream --index IDX --queries q.jsonl --report out --json
   clipvec bench upstream --replay out --ef 400 --iou 0.3`,
			Flags: append([]cli.Flag{
				&cli.StringFlag{Name: "index", Usage: "TwelveLabs index `ID` (fetched first)"},
				&cli.StringFlag{Name: "queries", Usage: "query `FILE`: texts, or JSON lines"},
				&cli.IntFlag{Name: "k", Value: 10, Usage: "depth `N` the table leads with"},
				&cli.IntFlag{Name: "depth", Value: 50, Usage: "results `N` of each side a query"},
				&cli.Float64Flag{Name: "iou", Value: 0.5, Usage: "IoU `R` a clip match needs"},
				&cli.IntFlag{Name: "ef", Usage: "graph candidate list `N` (0: the database's)"},
				&cli.StringFlag{Name: "model", Usage: "local space `MODEL`[/DIM], if several"},
				&cli.StringFlag{Name: "report", Usage: "record and report in `DIR` (resumable)"},
				&cli.StringFlag{Name: "replay", Usage: "rerun offline from a recorded `DIR`"},
				&cli.BoolFlag{Name: "json", Usage: "print the result as JSON"},
			}, apiFlags()...),
			Action: func(c *cli.Context) error {
				if c.NArg() > 0 {
					return usagef("bench upstream: unexpected argument %q", c.Args().First())
				}
				replay, report := c.String("replay"), c.String("report")
				if replay == "" && (c.String("index") == "" || c.String("queries") == "") {
					return usagef("bench upstream: give --index ID and --queries FILE (or --replay DIR)")
				}
				if replay != "" && report != "" && filepath.Clean(replay) == filepath.Clean(report) {
					return usagef("bench upstream: --report and --replay name one directory: a replay writes its report elsewhere")
				}
				var queries []upstream.BenchQuery
				if path := c.String("queries"); path != "" {
					f, err := os.Open(path)
					if err != nil {
						return fmt.Errorf("bench upstream: %w", err)
					}
					queries, err = upstream.ReadBenchQueries(f, path)
					f.Close()
					if err != nil {
						return err
					}
				}
				db, err := openDB(c)
				if err != nil {
					return err
				}
				defer db.Close()
				var cl *twelvelabs.Client
				if replay == "" {
					if cl, err = upstreamClient(c, false); err != nil {
						return err
					}
					db.Embedder = upstream.Embedder(cl)
				}
				ks := []int{1, 5, 10, 50}
				if k := c.Int("k"); k > 0 {
					ks = append(ks, k)
				} else {
					return usagef("bench upstream: -k %d: want 1 or more", k)
				}
				opts := upstream.BenchOptions{IndexID: c.String("index"), Ks: ks, Depth: max(c.Int("depth"), c.Int("k")),
					IoU: c.Float64("iou"), Ef: c.Int("ef"), Model: c.String("model"), Replay: replay}
				if replay == "" {
					opts.Record = report
				}
				if c.IsSet("iou") && c.Float64("iou") == 0 {
					opts.IoU = 1e-9 // "any overlap" asked for explicitly
				}
				pb := e.progressBar(c)
				opts.Progress = func(done, total int) {
					pb.update("bench %s %d/%d queries", bar(float64(done)/float64(total), 20), done, total)
				}
				if report != "" {
					if err := os.MkdirAll(report, 0o755); err != nil {
						return fmt.Errorf("bench upstream: %w", err)
					}
				}
				rep, err := upstream.Bench(c.Context, db, cl, queries, opts)
				pb.done()
				switch {
				case errors.Is(err, clipvec.ErrInvalidQuery):
					return usageError{err}
				case errors.Is(err, upstream.ErrNotFetched):
					return fmt.Errorf("%w\n(clipvec fetch index %s)", err, opts.IndexID)
				case err != nil:
					return upstreamHint(err)
				}
				if report != "" {
					note := ""
					if replay != "" {
						note = "Replayed offline from " + replay + "."
						if err := writeJSONFile(filepath.Join(report, "bench.json"), rep); err != nil {
							return err
						}
					}
					if err := upstream.WriteBenchReport(report, rep, note); err != nil {
						return err
					}
				}
				if c.Bool("json") {
					return writeJSON(e.stdout, rep)
				}
				return printBench(e, rep, c.Int("k"), report)
			},
		}, benchRemoteCommand(e)},
	}
}

// writeJSONFile writes v, indented, to path atomically.
func writeJSONFile(path string, v any) error {
	return atomicfile.Write(path, func(w io.Writer) error { return writeJSON(w, v) })
}

func printBench(e *env, rep *upstream.BenchReport, k int, report string) error {
	fmt.Fprintf(e.stdout, "index %s (%s), local space %s\n%d queries, depth %d, a match at IoU >= %g, graph ef %d\n\n",
		visible(rep.IndexID), rep.Model, rep.Space, len(rep.Queries), rep.Depth, rep.IoU, rep.Ef)
	s := rep.Summary
	t := newTable(e.stdout, "METRIC", "GRAPH VS UPSTREAM", "EXACT VS UPSTREAM", "GRAPH VS EXACT")
	ci := func(st upstream.Stat, percent bool) string {
		if st.N == 0 {
			return "-"
		}
		if percent {
			return fmt.Sprintf("%.1f%% ±%.1f", 100*st.Mean, 100*(st.Hi-st.Lo)/2)
		}
		return fmt.Sprintf("%.3f ±%.3f", st.Mean, (st.Hi-st.Lo)/2)
	}
	for _, kk := range rep.Ks {
		key := strconv.Itoa(kk)
		t.row(fmt.Sprintf("recall@%d", kk), ci(s.RecallAtK[key], true), ci(s.Exact.RecallAtK[key], true), ci(s.GraphVsExact.RecallAtK[key], true))
	}
	key := strconv.Itoa(k)
	t.row(fmt.Sprintf("recall@%d, IoU > 0", k), ci(s.RecallAtKAnyOverlap[key], true), ci(s.Exact.RecallAtKAnyOverlap[key], true), "")
	t.row(fmt.Sprintf("nDCG@%d", k), ci(s.NDCGAtK[key], false), ci(s.Exact.NDCGAtK[key], false), ci(s.GraphVsExact.NDCGAtK[key], false))
	t.row("RBO, p 0.9", ci(s.RBO, false), ci(s.Exact.RBO, false), ci(s.GraphVsExact.RBO, false))
	t.row(fmt.Sprintf("video recall@%d", k), ci(s.VideoRecallAtK[key], true), ci(s.Exact.VideoRecallAtK[key], true), ci(s.GraphVsExact.VideoRecallAtK[key], true))
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\nmean per query: upstream %.0f ms, local graph %.2f ms, local exact %.2f ms\nupstream requests: %d\n",
		s.LatencyMS.Upstream.Mean, s.LatencyMS.LocalGraph.Mean, s.LatencyMS.LocalExact.Mean, s.UpstreamRequests)
	if report != "" {
		fmt.Fprintf(e.stdout, "report: %s\n", visible(filepath.Join(report, upstream.BenchReportFile)))
	}
	return nil
}
