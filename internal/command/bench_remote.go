package command

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/clipvec/clipvec/internal/evalmetrics"
	"github.com/clipvec/clipvec/internal/mirror/weaviate"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

func benchRemoteCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "remote",
		Usage: "the cluster beside local search: recall against the exact scan, latency",
		Description: `Asks the same queries of the local exact scan (the reference), the
local graph and the Weaviate cluster at --url that clipvec sync weaviate
fills, one at a time, and reports for each its recall@k against the exact
scan (the share of the true top k it returns; a mean with its 95%
confidence interval) and its latency p50 and p99.

Queries: --queries N clips drawn at random (--seed) from the space, each
asked as "clips like this clip" (itself left out), clip scope. The local
database and the cluster must hold the same data: sync first.

Examples:
   clipvec sync weaviate --url http://127.0.0.1:8080
   clipvec bench remote --url http://127.0.0.1:8080 --queries 200
   clipvec bench remote --url http://127.0.0.1:8080 --consistency QUORUM --json`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "url", Usage: "the Weaviate cluster's `URL`"},
			&cli.StringFlag{Name: "collection", Value: weaviate.DefaultPrefix, Usage: "the collections' `PREFIX`"},
			&cli.StringFlag{Name: "consistency", Value: weaviate.ConsistencyOne, Usage: "read at `LEVEL` ONE, QUORUM or ALL"},
			&cli.IntFlag{Name: "queries", Value: 200, Usage: "`N` clips to ask about"},
			&cli.IntFlag{Name: "k", Value: 10, Usage: "results `N` a query"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "the draw's `SEED`"},
			&cli.StringFlag{Name: "model", Usage: "the space's `MODEL`[/DIM], if several"},
			&cli.BoolFlag{Name: "json", Usage: "print the result as JSON"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("bench remote: unexpected argument %q", c.Args().First())
			}
			if c.String("url") == "" {
				return usagef("bench remote: give --url URL, the cluster's (http://127.0.0.1:8080 for scripts/weaviate-cluster)")
			}
			if c.Int("queries") < 1 || c.Int("k") < 1 {
				return usagef("bench remote: --queries and -k: want positive numbers")
			}
			level := strings.ToUpper(c.String("consistency"))
			if level != weaviate.ConsistencyOne && level != weaviate.ConsistencyQuorum && level != weaviate.ConsistencyAll {
				return usagef("bench remote: --consistency %q: want ONE, QUORUM or ALL", c.String("consistency"))
			}
			cl, err := weaviate.New(c.String("url"))
			if err != nil {
				return usagef("bench remote: --url: %v", err)
			}
			db, err := openDB(c)
			if err != nil {
				return err
			}
			defer db.Close()
			rep, err := benchRemote(c, db, cl, level)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(e.stdout, rep)
			}
			fmt.Fprintf(e.stdout, "%d clip queries, k=%d, space %s (%s segments), cluster %s at %s\n\n",
				rep.Queries, rep.K, rep.Space, count(int64(rep.Space.Segments)), rep.Cluster, rep.Consistency)
			t := newTable(e.stdout, "METHOD", "RECALL@"+strconv.Itoa(rep.K), "95% CI", "P50 MS", "P99 MS", "QUERIES/S")
			for _, m := range rep.Methods {
				t.row(m.Method, fmt.Sprintf("%.4f", m.Recall.Mean), fmt.Sprintf("%.4f–%.4f", m.Recall.Lo, m.Recall.Hi),
					fmt.Sprintf("%.2f", m.P50ms), fmt.Sprintf("%.2f", m.P99ms), fmt.Sprintf("%.0f", m.QPS))
			}
			return t.flush()
		},
	}
}

// remoteReport is bench remote's result.
type remoteReport struct {
	Space       clipvec.Space  `json:"space"`
	Cluster     string         `json:"cluster"`
	Consistency string         `json:"consistency"`
	Queries     int            `json:"queries"`
	K           int            `json:"k"`
	Methods     []remoteMethod `json:"methods"`
}

type remoteMethod struct {
	// Method is "local exact" (the reference), "local graph" or
	// "cluster".
	Method string           `json:"method"`
	Recall evalmetrics.Stat `json:"recall_at_k"`
	P50ms  float64          `json:"p50_ms"`
	P99ms  float64          `json:"p99_ms"`
	QPS    float64          `json:"qps"`
}

func benchRemote(c *cli.Context, db *clipvec.DB, cl *weaviate.Client, level string) (*remoteReport, error) {
	ctx := c.Context
	sp, err := db.QuerySpace(ctx, c.String("model"))
	if err != nil {
		return nil, err
	}
	k := c.Int("k")
	qs, err := drawClipQueries(c, db, sp, c.Int("queries"), k)
	if err != nil {
		return nil, err
	}
	videos, err := db.Videos(ctx)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, v := range videos {
		names[v.ID] = v.Filename
	}
	opts := weaviate.SearchOptions{Prefix: c.String("collection"), Consistency: level, Names: names}
	rep := &remoteReport{Space: sp, Cluster: cl.URL(), Consistency: level, Queries: len(qs), K: k}
	type method struct {
		name string
		run  func(q clipvec.Query) (*clipvec.Result, error)
	}
	methods := []method{
		{"local exact", func(q clipvec.Query) (*clipvec.Result, error) { q.Exact = true; return db.Search(ctx, q) }},
		{"local graph", func(q clipvec.Query) (*clipvec.Result, error) { return db.Search(ctx, q) }},
		{"cluster", func(q clipvec.Query) (*clipvec.Result, error) {
			r, err := db.Resolve(ctx, q)
			if err != nil {
				return nil, err
			}
			return weaviate.Search(ctx, cl, r, opts)
		}},
	}
	var truth [][]int64
	for _, m := range methods {
		for _, q := range qs[:min(3, len(qs))] { // warm up: graphs loaded, connections open
			if _, err := m.run(q); err != nil {
				return nil, fmt.Errorf("bench remote: %s: %w", m.name, err)
			}
		}
		var lat []time.Duration
		var recall []float64
		start := time.Now()
		for i, q := range qs {
			t0 := time.Now()
			res, err := m.run(q)
			if err != nil {
				return nil, fmt.Errorf("bench remote: %s: %w", m.name, err)
			}
			lat = append(lat, time.Since(t0))
			ids := make([]int64, len(res.Hits))
			for j, h := range res.Hits {
				ids[j] = h.ID
			}
			if truth == nil || len(truth) <= i {
				truth = append(truth, ids) // the first method is the reference
			}
			recall = append(recall, overlap(truth[i], ids))
		}
		secs := time.Since(start).Seconds()
		slices.Sort(lat)
		rep.Methods = append(rep.Methods, remoteMethod{Method: m.name, Recall: evalmetrics.MeanCI(recall),
			P50ms: quantileMS(lat, 0.5), P99ms: quantileMS(lat, 0.99), QPS: float64(len(qs)) / secs})
	}
	return rep, nil
}

// overlap is the share of want's ids that got holds.
func overlap(want, got []int64) float64 {
	if len(want) == 0 {
		return 1
	}
	n := 0
	for _, id := range want {
		if slices.Contains(got, id) {
			n++
		}
	}
	return float64(n) / float64(len(want))
}

func quantileMS(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return float64(sorted[min(len(sorted)-1, int(p*float64(len(sorted))))].Microseconds()) / 1000
}

// drawClipQueries draws n clip-scope segments of sp at random (seeded)
// and makes each a "clips like this clip" query.
func drawClipQueries(c *cli.Context, db *clipvec.DB, sp clipvec.Space, n, k int) ([]clipvec.Query, error) {
	videos, err := db.Videos(c.Context)
	if err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(c.Uint64("seed"), 7))
	var qs []clipvec.Query
	for tries := 0; len(qs) < n && tries < 20*n && len(videos) > 0; tries++ {
		v := videos[r.IntN(len(videos))]
		segs, err := db.VideoSegments(c.Context, v.ID, false)
		if err != nil {
			return nil, err
		}
		var clips []clipvec.Segment
		for _, s := range segs {
			if s.Scope == clipvec.ScopeClip && s.Model == sp.Model {
				clips = append(clips, s)
			}
		}
		if len(clips) == 0 {
			continue
		}
		s := clips[r.IntN(len(clips))]
		qs = append(qs, clipvec.Query{Like: &clipvec.SegmentRef{VideoID: s.VideoID, At: (s.Start + s.End) / 2, Modality: s.Modality},
			Model: sp.Model, K: k, Filter: clipvec.Filter{Scopes: []string{clipvec.ScopeClip}}})
	}
	if len(qs) == 0 {
		return nil, fmt.Errorf("bench remote: %w: space %s has no clips to ask about", clipvec.ErrNotFound, sp)
	}
	return qs, nil
}
