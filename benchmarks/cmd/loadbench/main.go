// Command loadbench measures clipvec serve under load, on loopback only:
// throughput and latency percentiles of the HTTP API at 1, 2 and 8
// concurrent clients, while another client imports videos through
// POST /v1/import the whole time, and beside it the same queries asked
// of the library in-process (the HTTP layer's cost is the difference).
//
//	go run ./benchmarks/cmd/loadbench                   # 50k segments
//	go run ./benchmarks/cmd/loadbench -segments 100000 -requests 4000 -json out.json
//
// Every phase is bounded in requests and in time. Any error (a transport
// error, a status other than 200, a body that does not decode) is counted
// and makes the command exit 1.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clipvec/clipvec/benchmarks/ann"
	"github.com/clipvec/clipvec/internal/sample"
	"github.com/clipvec/clipvec/internal/server"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

func main() {
	segments := flag.Int("segments", 50_000, "approximate number of segments in the database")
	requests := flag.Int("requests", 2000, "requests per phase (at most)")
	limit := flag.Duration("time", 30*time.Second, "time per phase (at most)")
	holdBack := flag.Float64("import-share", 0.1, "share of the videos imported during the load, not before")
	work := flag.String("dir", "", "work directory (default: a temporary one, removed afterwards)")
	jsonOut := flag.String("json", "", "also write the results as JSON to `FILE`")
	flag.Parse()
	if err := run(*segments, *requests, *limit, *holdBack, *work, *jsonOut); err != nil {
		fmt.Fprintln(os.Stderr, "loadbench:", err)
		os.Exit(1)
	}
}

// phase is one measurement: a number of concurrent clients, over HTTP or
// in-process.
type phase struct {
	Via        string  `json:"via"`
	Clients    int     `json:"clients"`
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors"`
	Seconds    float64 `json:"seconds"`
	QPS        float64 `json:"qps"`
	P50ms      float64 `json:"p50_ms"`
	P99ms      float64 `json:"p99_ms"`
	Imports    int     `json:"imports_during"`
	ImportErrs int     `json:"import_errors"`
	ImportP50  float64 `json:"import_p50_ms"`
	Generation [2]int64
}

type results struct {
	Machine struct {
		CPUs       int    `json:"cpus"`
		LoadBefore string `json:"load_before"`
		LoadAfter  string `json:"load_after"`
		Go         string `json:"go"`
	} `json:"machine"`
	Data struct {
		Segments int `json:"segments"`
		Videos   int `json:"videos"`
		Held     int `json:"videos_imported_during_load"`
	} `json:"data"`
	Mix    string  `json:"mix"`
	Phases []phase `json:"phases"`
}

func run(target, nreq int, limit time.Duration, holdBack float64, work, jsonOut string) error {
	ctx := context.Background()
	var res results
	res.Machine.CPUs = runtime.GOMAXPROCS(0)
	res.Machine.LoadBefore = ann.LoadAvg()
	res.Machine.Go = runtime.Version()
	if work == "" {
		dir, err := os.MkdirTemp("", "clipvec-loadbench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		work = dir
	}

	// Data: the sample's generator scaled to about target segments, one
	// file per video; the last share of the files is held back for the
	// imports that run during the load.
	p := sample.DefaultParams()
	p.Videos = max(8, target/37)
	g, err := sample.NewGenerator(p)
	if err != nil {
		return err
	}
	exportDir := filepath.Join(work, "export")
	if err := sample.WriteExport(ctx, exportDir, g); err != nil {
		return err
	}
	entries, err := os.ReadDir(exportDir)
	if err != nil {
		return err
	}
	var files []string
	for _, e := range entries {
		files = append(files, filepath.Join(exportDir, e.Name()))
	}
	held := max(1, int(float64(len(files))*holdBack))
	first, later := files[:len(files)-held], files[len(files)-held:]
	db, err := clipvec.Open(ctx, filepath.Join(work, "clips.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Printf("importing %d videos, building the graph ...\n", len(first))
	sum, err := db.Import(ctx, first, clipvec.ImportOptions{})
	if err != nil {
		return err
	}
	res.Data.Segments, res.Data.Videos, res.Data.Held = sum.Imported, len(first), held
	videos, err := db.Videos(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("%d segments of %d videos; %d more videos are imported during each phase\n", sum.Imported, len(videos), held)

	// The server, on a loopback port of its own.
	srv := server.New(db, server.Options{Version: "loadbench"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sctx, ln) }()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: time.Minute}

	// The mix: "more like this" clips, "videos like this video", and
	// text-like vectors, in a fixed order from a seeded generator.
	res.Mix = "50% like {video_id, at}, 25% like_video grouped by video, 25% a 512-d text-like vector; k = 10, graph"
	topics := g.Topics()
	queries := make([]clipvec.Query, 4096)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range queries {
		v := videos[r.IntN(len(videos))]
		switch i % 4 {
		case 0, 1:
			queries[i] = clipvec.Query{Like: &clipvec.SegmentRef{VideoID: v.ID, At: r.Float64() * v.Duration * 0.9}}
		case 2:
			queries[i] = clipvec.Query{LikeVideo: v.ID, GroupBy: clipvec.GroupByVideo}
		default:
			queries[i] = clipvec.Query{Vector: g.QueryVariant(topics[i%len(topics)], i)}
		}
		queries[i].K = 10
		queries[i].Filter.Scopes = []string{clipvec.ScopeClip}
	}
	bodies := make([][]byte, len(queries))
	for i, q := range queries {
		bodies[i], _ = json.Marshal(q)
	}

	var imported atomic.Int64
	for _, via := range []string{"http", "in-process"} {
		for _, clients := range []int{1, 2, 8} {
			ph := phase{Via: via, Clients: clients}
			// The importer: posts the held-back videos one at a time,
			// over and over, until the phase ends (a re-import replaces
			// the segments in place: every request is a real write).
			pctx, done := context.WithCancel(ctx)
			var iwg sync.WaitGroup
			var ilat []time.Duration
			iwg.Go(func() {
				for i := 0; pctx.Err() == nil; i++ {
					t0 := time.Now()
					err := post(pctx, client, base+"/v1/import", mustRead(later[i%len(later)]), nil)
					if pctx.Err() != nil {
						return
					}
					if err != nil {
						ph.ImportErrs++
						fmt.Fprintln(os.Stderr, "import:", err)
						continue
					}
					ilat = append(ilat, time.Since(t0))
					imported.Add(1)
				}
			})
			gen0, _ := db.Stats(ctx)
			lat := make([][]time.Duration, clients)
			var next atomic.Int64
			var errs atomic.Int64
			deadline := time.Now().Add(limit)
			start := time.Now()
			var wg sync.WaitGroup
			for c := range clients {
				wg.Go(func() {
					for time.Now().Before(deadline) {
						i := int(next.Add(1)) - 1
						if i >= nreq {
							return
						}
						t0 := time.Now()
						var err error
						if via == "http" {
							var out clipvec.Result
							err = post(ctx, client, base+"/v1/search", bodies[i%len(bodies)], &out)
							if err == nil && len(out.Hits) == 0 {
								err = errors.New("no hits")
							}
						} else {
							_, err = db.Search(ctx, queries[i%len(queries)])
						}
						if err != nil {
							errs.Add(1)
							fmt.Fprintln(os.Stderr, "search:", err)
							continue
						}
						lat[c] = append(lat[c], time.Since(t0))
					}
				})
			}
			wg.Wait()
			ph.Seconds = time.Since(start).Seconds()
			done()
			iwg.Wait()
			gen1, _ := db.Stats(ctx)
			all := slices.Concat(lat...)
			slices.Sort(all)
			slices.Sort(ilat)
			ph.Requests, ph.Errors = len(all)+int(errs.Load()), int(errs.Load())
			ph.QPS = float64(len(all)) / ph.Seconds
			ph.P50ms, ph.P99ms = pct(all, 0.5), pct(all, 0.99)
			ph.Imports, ph.ImportP50 = len(ilat), pct(ilat, 0.5)
			ph.Generation = [2]int64{gen0.Generation, gen1.Generation}
			fmt.Printf("%-10s %d clients: %5d requests in %5.1fs: %7.1f req/s, p50 %6.2f ms, p99 %6.2f ms, %d errors; %d imports meanwhile (p50 %.0f ms), generation %d → %d\n",
				via, clients, ph.Requests, ph.Seconds, ph.QPS, ph.P50ms, ph.P99ms, ph.Errors, ph.Imports, ph.ImportP50, ph.Generation[0], ph.Generation[1])
			res.Phases = append(res.Phases, ph)
		}
	}
	stop()
	if err := <-served; err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	res.Machine.LoadAfter = ann.LoadAvg()
	fmt.Printf("load average before %s, after %s\n", res.Machine.LoadBefore, res.Machine.LoadAfter)
	fmt.Println()
	fmt.Println("| via | clients | req/s | p50 ms | p99 ms | errors | imports during |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|")
	failed := 0
	for _, ph := range res.Phases {
		fmt.Printf("| %s | %d | %.0f | %.2f | %.2f | %d | %d |\n", ph.Via, ph.Clients, ph.QPS, ph.P50ms, ph.P99ms, ph.Errors, ph.Imports)
		failed += ph.Errors + ph.ImportErrs
	}
	if jsonOut != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d requests failed", failed)
	}
	return nil
}

func mustRead(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return b
}

// post sends body and decodes a 200 answer into out (when not nil).
func post(ctx context.Context, c *http.Client, url string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s: %s: %s", url, resp.Status, b)
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// pct is the p-th quantile of sorted latencies, in milliseconds.
func pct(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := min(len(sorted)-1, int(p*float64(len(sorted))))
	return float64(sorted[i].Microseconds()) / 1000
}
