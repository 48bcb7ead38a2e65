// Command benchfake runs `clipvec bench upstream`'s comparison against
// the fake TwelveLabs server (pkg/twelvelabs/twelvelabstest) with the
// benchmark's search ranking — its own clip cuts, rank noise, and one
// result in ten from videos the local database lacks — and writes the
// report: the sample in benchmarks/results/bench-upstream-fake. It is a
// demonstration of the report on known ground, not a measurement of
// TwelveLabs.
//
//	go run ./benchmarks/cmd/benchfake                 # writes benchmarks/results/bench-upstream-fake
//	go run ./benchmarks/cmd/benchfake -videos 80 -out /tmp/b
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/clipvec/clipvec/pkg/clipvec"
	"github.com/clipvec/clipvec/pkg/clipvec/upstream"
	"github.com/clipvec/clipvec/pkg/twelvelabs/twelvelabstest"
)

func main() {
	videos := flag.Int("videos", 40, "videos in the fake index")
	out := flag.String("out", "benchmarks/results/bench-upstream-fake", "report `DIR` (replaced)")
	flag.Parse()
	if err := run(context.Background(), *videos, *out); err != nil {
		fmt.Fprintln(os.Stderr, "benchfake:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, videos int, out string) error {
	srv := twelvelabstest.NewServer(twelvelabstest.WithVideos(videos),
		twelvelabstest.WithSearchRanking(twelvelabstest.BenchmarkSearchRanking()))
	defer srv.Close()
	tmp, err := os.MkdirTemp("", "benchfake-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	db, err := clipvec.Open(ctx, filepath.Join(tmp, "clipvec.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	ix := srv.Catalogue.Indexes[0]
	if _, err := upstream.FetchIndex(ctx, db, srv.Client(), ix.ID, upstream.FetchOptions{}); err != nil {
		return err
	}
	db.Embedder = upstream.Embedder(srv.Client())
	var queries []upstream.BenchQuery
	for _, topic := range twelvelabstest.Topics() {
		queries = append(queries, upstream.BenchQuery{Text: topic.Description})
	}
	for _, topic := range twelvelabstest.Topics()[:3] {
		queries = append(queries, upstream.BenchQuery{Text: topic.Description, SearchOptions: []string{"visual"}},
			upstream.BenchQuery{Text: topic.Description, GroupBy: "video"})
	}
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	rep, err := upstream.Bench(ctx, db, srv.Client(), queries, upstream.BenchOptions{IndexID: ix.ID, Record: out})
	if err != nil {
		return err
	}
	note := fmt.Sprintf("**Made against the fake TwelveLabs server** (`go run ./benchmarks/cmd/benchfake`: %d videos, "+
		"`twelvelabstest.BenchmarkSearchRanking`), not the real API: it shows what the report says, on known ground.", videos)
	if err := upstream.WriteBenchReport(out, rep, note); err != nil {
		return err
	}
	fmt.Printf("%d queries: recall@10 %.3f [%.3f, %.3f] (graph vs upstream), %.3f (exact vs upstream), %.3f (graph vs exact); report in %s\n",
		len(rep.Queries), rep.Summary.RecallAtK["10"].Mean, rep.Summary.RecallAtK["10"].Lo, rep.Summary.RecallAtK["10"].Hi,
		rep.Summary.Exact.RecallAtK["10"].Mean, rep.Summary.GraphVsExact.RecallAtK["10"].Mean, filepath.Join(out, upstream.BenchReportFile))
	return nil
}
