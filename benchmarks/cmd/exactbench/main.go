// Command exactbench measures clipvec's foundation in one run, beside its
// peer: import throughput on a synthetic Marengo-3.0-shaped export (the
// import alone: ImportOptions.NoIndex), exact search (Query.Exact)
// queries/s single-threaded and on all cores, the memory-bandwidth floor
// of an exact scan on this machine, and sqlite-vec's exact search on the
// same vectors and queries. The graph search is annbench's subject.
//
//	go run ./benchmarks/cmd/exactbench                 # 100k segments × 512
//	go run ./benchmarks/cmd/exactbench -segments 20000 -queries 50
//
// It also runs the same exact queries as one SearchBatch, which shares
// passes over the vectors between queries, and reports the speed-up.
//
// Everything is a ratio measured in the same process on the same data;
// the absolute numbers move with the machine's load, which is printed.
package main

import (
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	sqlitevec "github.com/asg017/sqlite-vec-go-bindings/cgo"
	_ "github.com/mattn/go-sqlite3"

	"github.com/clipvec/clipvec/benchmarks/ann"
	"github.com/clipvec/clipvec/internal/sample"
	"github.com/clipvec/clipvec/internal/sqlite"
	"github.com/clipvec/clipvec/internal/vecmath"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

func main() {
	segments := flag.Int("segments", 100_000, "approximate number of segments in the synthetic export")
	queries := flag.Int("queries", 200, "queries per measurement")
	k := flag.Int("k", 10, "results per query")
	work := flag.String("dir", "", "work directory (default: a temporary one, removed afterwards)")
	jsonOut := flag.String("json", "", "also write the results as JSON to `FILE`")
	skipVec := flag.Bool("skip-sqlite-vec", false, "do not measure sqlite-vec")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to `FILE`")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "exactbench:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(*segments, *queries, *k, *work, *jsonOut, *skipVec); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "exactbench:", err)
		os.Exit(1)
	}
}

type results struct {
	Machine struct {
		CPUs       int    `json:"cpus"`
		LoadBefore string `json:"load_before"`
		LoadAfter  string `json:"load_after"`
		Go         string `json:"go"`
		SIMD       bool   `json:"simd"`
	} `json:"machine"`
	Data struct {
		Segments int     `json:"segments"`
		Videos   int     `json:"videos"`
		Dim      int     `json:"dim"`
		Files    int     `json:"files"`
		RawBytes int64   `json:"raw_bytes"`
		Seed     uint64  `json:"seed"`
		Queries  int     `json:"queries"`
		K        int     `json:"k"`
		ScanMB   float64 `json:"scan_mb_per_query"`
	} `json:"data"`
	ImportSeconds     float64 `json:"import_seconds"`
	ImportPerSec      float64 `json:"import_segments_per_sec"`
	ImportGzSeconds   float64 `json:"import_half_gzipped_seconds"`
	ImportGzPerSec    float64 `json:"import_half_gzipped_segments_per_sec"`
	LoadSeconds       float64 `json:"first_search_seconds"`
	ExactQPS1         float64 `json:"exact_qps_1_thread"`
	ExactQPSAll       float64 `json:"exact_qps_all_threads"`
	BatchQPS1         float64 `json:"exact_batch_qps_1_thread"`
	BatchQPSAll       float64 `json:"exact_batch_qps_all_threads"`
	BatchSize         int     `json:"exact_batch_size"`
	BatchSameAnswers  bool    `json:"exact_batch_same_answers"`
	BandwidthGBs      float64 `json:"bandwidth_gb_per_sec_all_threads"`
	FloorQPS          float64 `json:"floor_qps_all_threads"`
	SqliteVecQPS      float64 `json:"sqlite_vec_qps"`
	SqliteVecLoadSecs float64 `json:"sqlite_vec_load_seconds"`
	SqliteVecRecall   float64 `json:"sqlite_vec_recall_at_k_vs_clipvec"`
}

func run(target, nq, k int, work, jsonOut string, skipVec bool) error {
	ctx := context.Background()
	var res results
	res.Machine.CPUs = runtime.GOMAXPROCS(0)
	res.Machine.LoadBefore = ann.LoadAvg()
	res.Machine.Go = runtime.Version()
	res.Machine.SIMD = vecmath.Accelerated()
	if work == "" {
		dir, err := os.MkdirTemp("", "clipvec-exactbench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		work = dir
	}

	// Data: the sample's model, scaled to about target segments.
	p := sample.DefaultParams()
	p.Videos = sample.VideosFor(p, target)
	g, err := sample.NewGenerator(p)
	if err != nil {
		return err
	}
	for _, v := range g.Videos() {
		res.Data.Segments += v.SegmentCount()
	}
	res.Data.Videos, res.Data.Dim, res.Data.Seed, res.Data.Queries, res.Data.K = p.Videos, p.Dim, p.Seed, nq, k
	res.Data.ScanMB = float64(res.Data.Segments*p.Dim*4) / 1e6
	exportDir := filepath.Join(work, "export")
	fmt.Printf("generating %d segments (%d videos, %d-d, seed %d) in %s ...\n", res.Data.Segments, p.Videos, p.Dim, p.Seed, exportDir)
	if err := sample.WriteExport(ctx, exportDir, g); err != nil {
		return err
	}
	// The generator gzips every other file; the headline figure is on
	// plain JSON (as API responses are saved), the gzipped mix is
	// measured too.
	plainDir := filepath.Join(work, "plain")
	if err := gunzipDir(exportDir, plainDir); err != nil {
		return err
	}
	files, _ := os.ReadDir(plainDir)
	res.Data.Files = len(files)
	for _, f := range files {
		if info, err := f.Info(); err == nil {
			res.Data.RawBytes += info.Size()
		}
	}

	importInto := func(path, dir string) (float64, int, error) {
		db, err := clipvec.Open(ctx, path)
		if err != nil {
			return 0, 0, err
		}
		defer db.Close()
		start := time.Now()
		// The import proper: the graph is built separately below (and
		// measured by annbench).
		sum, err := db.Import(ctx, []string{dir}, clipvec.ImportOptions{NoIndex: true})
		if err != nil {
			return 0, 0, err
		}
		return time.Since(start).Seconds(), sum.Imported, nil
	}
	secs, n, err := importInto(filepath.Join(work, "gz.db"), exportDir)
	if err != nil {
		return err
	}
	res.ImportGzSeconds, res.ImportGzPerSec = secs, float64(n)/secs
	fmt.Printf("import, half the files gzipped: %d segments in %.2fs: %.0f segments/s\n", n, secs, res.ImportGzPerSec)
	dbPath := filepath.Join(work, "clipvec.db")
	secs, n, err = importInto(dbPath, plainDir)
	if err != nil {
		return err
	}
	res.ImportSeconds, res.ImportPerSec = secs, float64(n)/secs
	fmt.Printf("import, plain JSON: %d segments from %d files (%.0f MB) in %.2fs: %.0f segments/s\n",
		n, res.Data.Files, float64(res.Data.RawBytes)/1e6, res.ImportSeconds, res.ImportPerSec)

	db, err := clipvec.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer db.Close()

	// Queries: text-like topic queries (they sit apart from the clips).
	topics := g.Topics()
	qs := make([][]float32, nq)
	for i := range qs {
		qs[i] = g.QueryVariant(topics[i%len(topics)], i/len(topics))
	}
	search := func(q []float32) (*clipvec.Result, error) {
		return db.Search(ctx, clipvec.Query{Vector: q, K: k, Exact: true})
	}
	start := time.Now()
	first, err := search(qs[0]) // loads the space into memory
	if err != nil {
		return err
	}
	res.LoadSeconds = time.Since(start).Seconds()
	fmt.Printf("first search (builds the space's graph from SQLite: %d vectors): %.2fs\n", first.Space.Segments, res.LoadSeconds)

	measure := func(threads int) (float64, [][]int64, error) {
		db.Threads = threads
		ids := make([][]int64, len(qs))
		for i := 0; i < 3; i++ { // warm up
			if _, err := search(qs[i%len(qs)]); err != nil {
				return 0, nil, err
			}
		}
		start := time.Now()
		for i, q := range qs {
			r, err := search(q)
			if err != nil {
				return 0, nil, err
			}
			for _, h := range r.Hits {
				ids[i] = append(ids[i], h.ID)
			}
		}
		return float64(len(qs)) / time.Since(start).Seconds(), ids, nil
	}
	var ours [][]int64
	if res.ExactQPS1, ours, err = measure(1); err != nil {
		return err
	}
	if res.ExactQPSAll, _, err = measure(runtime.GOMAXPROCS(0)); err != nil {
		return err
	}
	// The same queries as batches (SearchBatch): exact queries share
	// passes over the vectors, MaxExactBatch at a time.
	measureBatch := func(threads int) (float64, bool, error) {
		db.Threads = threads
		batch := make([]clipvec.Query, len(qs))
		for i, q := range qs {
			batch[i] = clipvec.Query{Vector: q, K: k, Exact: true}
		}
		if _, err := db.SearchBatch(ctx, batch[:min(len(batch), 8)]); err != nil { // warm up
			return 0, false, err
		}
		start := time.Now()
		out, err := db.SearchBatch(ctx, batch)
		if err != nil {
			return 0, false, err
		}
		qps := float64(len(qs)) / time.Since(start).Seconds()
		same := true
		for i, r := range out {
			if r.Err != nil {
				return 0, false, r.Err
			}
			for j, h := range r.Result.Hits {
				same = same && j < len(ours[i]) && h.ID == ours[i][j]
			}
			same = same && len(r.Result.Hits) == len(ours[i])
		}
		return qps, same, nil
	}
	var same1, sameAll bool
	if res.BatchQPS1, same1, err = measureBatch(1); err != nil {
		return err
	}
	if res.BatchQPSAll, sameAll, err = measureBatch(runtime.GOMAXPROCS(0)); err != nil {
		return err
	}
	res.BatchSize, res.BatchSameAnswers = clipvec.MaxExactBatch, same1 && sameAll
	fmt.Printf("exact batch (SearchBatch, %d queries a pass): %.1f q/s on 1 thread (%.1f× one at a time), %.1f q/s on %d threads (%.1f×); same answers: %v\n",
		res.BatchSize, res.BatchQPS1, res.BatchQPS1/res.ExactQPS1, res.BatchQPSAll, runtime.GOMAXPROCS(0), res.BatchQPSAll/res.ExactQPSAll, res.BatchSameAnswers)
	res.BandwidthGBs = bandwidth(res.Data.Segments * p.Dim)
	res.FloorQPS = res.BandwidthGBs * 1e9 / (res.Data.ScanMB * 1e6)
	fmt.Printf("exact search, %d queries, k=%d: %.1f q/s on 1 thread, %.1f q/s on %d threads\n",
		nq, k, res.ExactQPS1, res.ExactQPSAll, runtime.GOMAXPROCS(0))
	fmt.Printf("memory-bandwidth floor: %.1f GB/s read on %d threads = %.1f q/s for %.0f MB a query (clipvec at %.2f× the floor's time)\n",
		res.BandwidthGBs, runtime.GOMAXPROCS(0), res.FloorQPS, res.Data.ScanMB, res.FloorQPS/res.ExactQPSAll)

	if !skipVec {
		if err := sqliteVec(ctx, dbPath, work, qs, k, ours, &res); err != nil {
			return fmt.Errorf("sqlite-vec: %w", err)
		}
		fmt.Printf("sqlite-vec 0.1.6 exact (vec0, cosine): %.1f q/s, recall@%d against clipvec %.4f; clipvec is %.1f× faster on all threads, %.1f× on one\n",
			res.SqliteVecQPS, k, res.SqliteVecRecall, res.ExactQPSAll/res.SqliteVecQPS, res.ExactQPS1/res.SqliteVecQPS)
	}
	res.Machine.LoadAfter = ann.LoadAvg()
	fmt.Printf("load average before %s, after %s\n", res.Machine.LoadBefore, res.Machine.LoadAfter)
	if jsonOut != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// gunzipDir copies src to dst, decompressing .gz files.
func gunzipDir(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		in, err := os.Open(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		var r io.Reader = in
		name := e.Name()
		if strings.HasSuffix(name, ".gz") {
			zr, err := gzip.NewReader(in)
			if err != nil {
				in.Close()
				return err
			}
			r, name = zr, strings.TrimSuffix(name, ".gz")
		}
		out, err := os.Create(filepath.Join(dst, name))
		if err == nil {
			_, err = io.Copy(out, r)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
		}
		in.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// bandwidth measures how fast all threads can read n float32 values that
// are not in cache: the floor an exact scan cannot beat.
func bandwidth(n int) float64 {
	data := make([]float32, n)
	for i := range data {
		data[i] = float32(i & 7)
	}
	threads := runtime.GOMAXPROCS(0)
	best := 0.0
	for rep := 0; rep < 5; rep++ {
		start := time.Now()
		var wg sync.WaitGroup
		per := (n + threads - 1) / threads
		sums := make([]float32, threads)
		for t := 0; t < threads; t++ {
			lo, hi := t*per, min((t+1)*per, n)
			wg.Add(1)
			go func() {
				defer wg.Done()
				var s float32
				const chunk = 4096
				for i := lo; i < hi; i += chunk {
					c := data[i:min(i+chunk, hi)]
					s += vecmath.Dot(c, c[:len(c)]) // streams the chunk once
				}
				sums[t] = s
			}()
		}
		wg.Wait()
		gbs := float64(n*4) / time.Since(start).Seconds() / 1e9
		best = max(best, gbs)
	}
	return best
}

// sqliteVec loads the same unit vectors into a sqlite-vec vec0 table and
// runs the same queries as a KNN search.
func sqliteVec(ctx context.Context, dbPath, work string, qs [][]float32, k int, ours [][]int64, res *results) error {
	sqlitevec.Auto()
	store, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer store.Close()
	vdb, err := sql.Open("sqlite3", filepath.Join(work, "sqlite-vec.db")+"?_journal_mode=WAL&_synchronous=OFF")
	if err != nil {
		return err
	}
	defer vdb.Close()
	vdb.SetMaxOpenConns(1)
	dim := len(qs[0])
	if _, err := vdb.Exec(fmt.Sprintf("CREATE VIRTUAL TABLE vecs USING vec0(embedding float[%d] distance_metric=cosine)", dim)); err != nil {
		return err
	}
	start := time.Now()
	tx, err := vdb.Begin()
	if err != nil {
		return err
	}
	ins, err := tx.Prepare("INSERT INTO vecs (rowid, embedding) VALUES (?, ?)")
	if err != nil {
		return err
	}
	var blob []byte
	err = store.Segments(ctx, sqlite.SegmentQuery{Dim: dim}, func(s *sqlite.Segment) error {
		blob = sqlite.AppendVector(blob[:0], s.Vector)
		_, err := ins.Exec(s.ID, blob)
		return err
	})
	if err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	res.SqliteVecLoadSecs = time.Since(start).Seconds()
	knn, err := vdb.Prepare("SELECT rowid FROM vecs WHERE embedding MATCH ? AND k = ? ORDER BY distance")
	if err != nil {
		return err
	}
	query := func(q []float32) ([]int64, error) {
		u := append([]float32(nil), q...)
		if _, err := vecmath.Normalize(u); err != nil {
			return nil, err
		}
		rows, err := knn.Query(sqlite.AppendVector(nil, u), k)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return nil, err
			}
			ids = append(ids, id)
		}
		return ids, rows.Err()
	}
	if _, err := query(qs[0]); err != nil { // warm up
		return err
	}
	start = time.Now()
	got := make([][]int64, len(qs))
	for i, q := range qs {
		if got[i], err = query(q); err != nil {
			return err
		}
	}
	res.SqliteVecQPS = float64(len(qs)) / time.Since(start).Seconds()
	res.SqliteVecRecall = overlap(got, ours, k)
	return nil
}

// overlap is the mean fraction of b's ids that a also returned.
func overlap(a, b [][]int64, k int) float64 {
	total := 0.0
	for i := range a {
		set := map[int64]bool{}
		for _, id := range a[i] {
			set[id] = true
		}
		hit := 0
		for _, id := range b[i] {
			if set[id] {
				hit++
			}
		}
		total += float64(hit) / float64(k)
	}
	return total / float64(len(a))
}
