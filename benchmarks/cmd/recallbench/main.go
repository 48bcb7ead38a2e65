// Command recallbench measures, through the library (pkg/clipvec) as a
// user reaches it, the recall@10 that searches get when nobody sets an ef:
// it imports a TEXMEX base file into a fresh database (the import builds
// the graph on every core and calibrates it for the database's target
// recall), searches every query with no ef, and compares the answers with
// exact ones. It prints the calibration's estimate beside the recall
// measured on the real queries, the ef used, queries per second at that
// ef on one thread, and the cost of the calibration.
//
//	go run ./benchmarks/cmd/annbench -methods exact     # makes the synthetic 100k set in /tmp/clipvec-annbench
//	go run ./benchmarks/cmd/recallbench -base /tmp/clipvec-annbench/synthetic-…/base.fvecs -query …/query.fvecs
//	go run ./benchmarks/cmd/recallbench -base … -query … -target 0.99
//
// The base vectors become one modality's clips of videos of 100 clips
// (row r is video r/100, clip r%100), written to a Parquet export and
// imported as any export is.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/clipvec/clipvec/benchmarks/ann"
	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "recallbench:", err)
		os.Exit(1)
	}
}

// report is what one run measured.
type report struct {
	Command    string                    `json:"command"`
	Date       string                    `json:"date"`
	CPUs       int                       `json:"cpus"`
	LoadBefore string                    `json:"load_before"`
	LoadAfter  string                    `json:"load_after"`
	Base       string                    `json:"base"`
	Query      string                    `json:"query"`
	N          int                       `json:"n"`
	Dim        int                       `json:"dim"`
	Queries    int                       `json:"queries"`
	Params     clipvec.IndexParams       `json:"params"`
	ImportSecs float64                   `json:"import_seconds"` // import, graph build and calibration
	Calib      *clipvec.IndexCalibration `json:"calibration"`
	Ef         int                       `json:"ef"`
	Estimated  float64                   `json:"estimated_recall"`
	Recall     float64                   `json:"recall"`
	QPS        float64                   `json:"qps"`
	Methods    map[string]int            `json:"methods"`
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("recallbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	basePath := fs.String("base", "", "base vectors (`FILE.fvecs`)")
	queryPath := fs.String("query", "", "query vectors (`FILE.fvecs`)")
	n := fs.Int("n", 0, "use the first `N` base vectors (0: all)")
	nq := fs.Int("queries", 1000, "use the first `Q` queries (0: all)")
	target := fs.Float64("target", clipvec.DefaultTargetRecall, "the database's target recall@10")
	model := fs.String("model", "bench", "the space's model name")
	work := fs.String("dir", "", "work directory (default: a temporary one, removed afterwards)")
	jsonOut := fs.String("json", "", "also write the report as JSON to `FILE`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *basePath == "" || *queryPath == "" {
		return fmt.Errorf("give -base and -query (.fvecs files; see -help)")
	}
	rep := &report{Command: "recallbench " + joinArgs(args), Date: time.Now().Format(time.DateOnly), CPUs: runtime.NumCPU(),
		LoadBefore: ann.LoadAvg(), Base: *basePath, Query: *queryPath}
	fmt.Fprintf(stderr, "recallbench: %d CPUs, load average before %s\n", rep.CPUs, rep.LoadBefore)

	base, err := ann.ReadFvecs(*basePath, *n)
	if err != nil {
		return err
	}
	queries, err := ann.ReadFvecs(*queryPath, *nq)
	if err != nil {
		return err
	}
	if err := ann.Normalize(base); err != nil {
		return fmt.Errorf("%s: %w", *basePath, err)
	}
	if err := ann.Normalize(queries); err != nil {
		return fmt.Errorf("%s: %w", *queryPath, err)
	}
	rep.N, rep.Dim, rep.Queries = base.Len(), base.Dim, queries.Len()
	ctx := context.Background()
	fmt.Fprintf(stderr, "recallbench: exact ground truth of %d queries over %d × %d ...\n", queries.Len(), base.Len(), base.Dim)
	truth, err := ann.GroundTruth(ctx, base, queries, 10, runtime.NumCPU())
	if err != nil {
		return err
	}

	dir := *work
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	} else {
		if dir, err = os.MkdirTemp("", "recallbench-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	export := filepath.Join(dir, "base.parquet")
	if err := writeParquet(export, *model, base); err != nil {
		return err
	}
	dbPath := filepath.Join(dir, "bench.db")
	for _, p := range []string{dbPath, dbPath + "-wal", dbPath + "-shm"} {
		os.Remove(p)
	}
	os.RemoveAll(dbPath + ".index")
	db, err := clipvec.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	params := clipvec.DefaultIndexParams
	params.TargetRecall = *target
	if err := db.SetIndexParams(ctx, params); err != nil {
		return err
	}
	rep.Params = params
	fmt.Fprintf(stderr, "recallbench: importing %d segments (the graph is built on %d threads and calibrated) ...\n", base.Len(), runtime.NumCPU())
	start := time.Now()
	if _, err := db.Import(ctx, []string{export}, clipvec.ImportOptions{}); err != nil {
		return err
	}
	rep.ImportSecs = time.Since(start).Seconds()
	st, err := db.IndexStatus(ctx)
	if err != nil {
		return err
	}
	if len(st) != 1 {
		return fmt.Errorf("%d spaces after the import, want 1", len(st))
	}
	rep.Calib = st[0].Calibration

	// Every query with no ef, one thread; the first pass warms up.
	db.Threads = 1
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	results := make([][]int32, queries.Len())
	rep.Methods = map[string]int{}
	var secs float64
	for pass := range 2 {
		start := time.Now()
		for i := range queries.Len() {
			res, err := db.Search(ctx, clipvec.Query{Vector: queries.Row(i), K: 10})
			if err != nil {
				return err
			}
			if pass == 1 {
				continue
			}
			rep.Methods[string(res.Method)]++
			rep.Ef, rep.Estimated = res.Ef, res.Recall
			ids := make([]int32, len(res.Hits))
			for j, h := range res.Hits {
				var v int
				fmt.Sscanf(h.VideoID, "v%d", &v)
				ids[j] = int32(v*100 + int(h.Start/6))
			}
			results[i] = ids
		}
		secs = time.Since(start).Seconds()
	}
	rep.QPS = float64(queries.Len()) / secs
	rep.Recall = ann.MeanRecall(results, truth, 10)
	rep.LoadAfter = ann.LoadAvg()

	c := rep.Calib
	fmt.Fprintf(stdout, "data: %d × %d base vectors, %d queries (%s, %s)\n", rep.N, rep.Dim, rep.Queries, *basePath, *queryPath)
	fmt.Fprintf(stdout, "import, graph build (%d threads) and calibration: %.1f s\n", rep.CPUs, rep.ImportSecs)
	if c != nil {
		fmt.Fprintf(stdout, "calibration: target %.3g, %d %s, %.2f s; ef %d, estimated recall@10 %.4f\n",
			c.Target, c.Queries, c.Source, c.Seconds, c.Ef, c.Recall)
		fmt.Fprint(stdout, "  curve:")
		for _, p := range c.Curve {
			fmt.Fprintf(stdout, " ef %d → %.3f;", p.Ef, p.Recall)
		}
		fmt.Fprintln(stdout)
	}
	fmt.Fprintf(stdout, "search without ef: ef %d, estimated %.4f, measured recall@10 %.4f on the %d queries, %.0f queries/s on one thread (methods %v)\n",
		rep.Ef, rep.Estimated, rep.Recall, rep.Queries, rep.QPS, rep.Methods)
	fmt.Fprintf(stdout, "load average before %s, after %s\n", rep.LoadBefore, rep.LoadAfter)
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// writeParquet writes base as a clipvec Parquet export: row r is clip r%100
// (6 s each) of video "v<r/100>", modality visual.
func writeParquet(path, model string, base ann.Matrix) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := ingest.NewParquetWriter(f, ingest.Space{Model: model, Dim: base.Dim})
	var video *ingest.Video
	for r := range base.Len() {
		if r%100 == 0 {
			video = &ingest.Video{ID: fmt.Sprintf("v%d", r/100), Duration: 600}
		}
		c := float64(r % 100)
		seg := ingest.Segment{VideoID: video.ID, Model: model, Option: "visual", Scope: "clip", Start: 6 * c, End: 6*c + 6,
			Norm: 1, SourceKind: "file", SourceID: "recallbench", Vector: base.Row(r)}
		if err := w.WriteSegment(int64(r+1), &seg, video); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	return f.Close()
}

func joinArgs(args []string) string {
	b, _ := json.Marshal(args)
	return string(b)
}
