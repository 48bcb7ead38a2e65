package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/clipvec/clipvec/benchmarks/ann"
	"github.com/clipvec/clipvec/internal/sample"
	"github.com/clipvec/clipvec/internal/vecmath"
)

// gtDepth is how many neighbours ground truth files keep per query (as
// TEXMEX's do), whatever k is.
const gtDepth = 100

// datasetInfo describes a dataset in the report.
type datasetInfo struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"` // "synthetic", "texmex" or "fashion-mnist"
	N         int    `json:"n"`
	Dim       int    `json:"dim"`
	Queries   int    `json:"queries"`
	BasePath  string `json:"base"`
	QueryPath string `json:"query"`
	GTPath    string `json:"ground_truth"`
	GTDepth   int    `json:"ground_truth_depth"`

	// Synthetic data only: the generator's parameters (Seed among them),
	// how many videos made up the base, and its segments by scope.
	Generator     string         `json:"generator,omitempty"`
	Params        *sample.Params `json:"params,omitempty"`
	ClipSegments  int            `json:"clip_segments,omitempty"`
	VideoSegments int            `json:"video_segments,omitempty"`
	QueryKind     string         `json:"query_kind,omitempty"`

	// Real data only (Fashion-MNIST): source files, and what was done to
	// them.
	Provenance *provenance `json:"provenance,omitempty"`
}

type dataset struct {
	info  datasetInfo
	truth [][]int32 // per query, exact neighbours by cosine, best first
}

// SyntheticParams returns the synthetic dataset's parameters: the
// sample's defaults, changed where calibration needed (see
// benchmarks/README.md), with seed and the -sample overrides applied.
// Videos is set later, to as many as N needs.
func syntheticParams(seed uint64, overrides string) (sample.Params, error) {
	p := sample.DefaultParams()
	calibrate(&p)
	p.Seed = seed
	if err := applyOverrides(&p, overrides); err != nil {
		return p, err
	}
	return p, nil
}

// calibrate changes the sample's defaults so that hnswlib at M=16,
// efConstruction=200, ef=10 finds between half and 85% of the exact top 10
// at 100k vectors (measured runs in benchmarks/README.md).
//
// The sample's 8 topics are right for its 36 videos but put 12,500
// vectors in each topic at 100k, where a text query's top 10 are near-ties
// among thousands of its topic's clips: hnswlib's recall@10 at ef=10 was
// 0.42. A library of 2,700 videos spans more subjects; with 64 topics
// (about 42 videos, 1,560 vectors each) it is 0.70, with 32 it was 0.62.
// Everything else keeps the sample's values.
func calibrate(p *sample.Params) {
	p.Topics = 64
}

// applyOverrides sets the Params fields named in s ("Noise=0.3,Topics=64",
// names case-insensitive) from their values.
func applyOverrides(p *sample.Params, s string) error {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	v := reflect.ValueOf(p).Elem()
	for _, kv := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return fmt.Errorf("-sample %q: want Name=value pairs", kv)
		}
		f := v.FieldByNameFunc(func(n string) bool { return strings.EqualFold(n, strings.TrimSpace(name)) })
		if !f.IsValid() {
			return fmt.Errorf("-sample: sample.Params has no field %q", name)
		}
		val = strings.TrimSpace(val)
		var err error
		switch f.Kind() {
		case reflect.Float64:
			var x float64
			x, err = strconv.ParseFloat(val, 64)
			f.SetFloat(x)
		case reflect.Int:
			var x int64
			x, err = strconv.ParseInt(val, 10, 64)
			f.SetInt(x)
		case reflect.Uint64:
			var x uint64
			x, err = strconv.ParseUint(val, 10, 64)
			f.SetUint(x)
		case reflect.String:
			f.SetString(val)
		default:
			return fmt.Errorf("-sample: field %s cannot be set from the command line", name)
		}
		if err != nil {
			return fmt.Errorf("-sample %s: %w", kv, err)
		}
	}
	return nil
}

func prepareDataset(ctx context.Context, c *config, name string, log io.Writer) (*dataset, error) {
	var ds *dataset
	var err error
	switch name {
	case "synthetic":
		ds, err = prepareSynthetic(ctx, c, log)
	case "texmex":
		ds, err = prepareTexmex(ctx, c, log)
	case "fmnist", "fmnist96":
		ds, err = prepareFmnist(ctx, c, name, log)
	default:
		err = fmt.Errorf("unknown dataset %q", name)
	}
	// The parent's copies of the vectors are garbage now; hand the memory
	// back before the children measure theirs.
	runtime.GC()
	debug.FreeOSMemory()
	return ds, err
}

func prepareSynthetic(ctx context.Context, c *config, log io.Writer) (*dataset, error) {
	p, err := syntheticParams(c.seed, c.sampleOverrides)
	if err != nil {
		return nil, err
	}
	videos, p, err := videosFor(p, c.n)
	if err != nil {
		return nil, err
	}
	key, _ := json.Marshal(struct {
		Format  int
		Params  sample.Params
		N, Q    int
		Queries string
	}{1, p, c.n, c.queries, "QueryVariant(topics[i%T], i/T)"})
	sum := sha256.Sum256(key)
	dir := filepath.Join(c.cache, fmt.Sprintf("synthetic-n%d-q%d-%s", c.n, c.queries, hex.EncodeToString(sum[:6])))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create cache dir: %w", err)
	}
	info := datasetInfo{
		Name: "synthetic", Kind: "synthetic", N: c.n, Dim: p.Dim, Queries: c.queries,
		BasePath:  filepath.Join(dir, "base.fvecs"),
		QueryPath: filepath.Join(dir, "query.fvecs"),
		GTPath:    filepath.Join(dir, fmt.Sprintf("groundtruth-top%d.ivecs", gtDepth)),
		GTDepth:   gtDepth,
		Generator: "github.com/clipvec/clipvec/internal/sample",
		Params:    &p,
		QueryKind: "text-like topic queries: QueryVariant(topics[i % Topics], i / Topics)",
	}
	g, err := sample.NewGenerator(p)
	if err != nil {
		return nil, err
	}
	scopesPath := filepath.Join(dir, "scopes.json")
	if !exists(info.BasePath) || !exists(scopesPath) {
		fmt.Fprintf(log, "annbench: generating %d vectors from %d videos (seed %d) into %s ...\n", c.n, len(videos), p.Seed, dir)
		start := time.Now()
		var clips, whole int
		err := ann.WriteFileAtomic(info.BasePath, func(w io.Writer) error {
			var err error
			clips, whole, err = writeSyntheticBase(ctx, g, videos, c.n, p.Dim, c.threads, w)
			return err
		})
		if err != nil {
			return nil, err
		}
		b, _ := json.Marshal(map[string]int{"clip": clips, "video": whole})
		if err := ann.WriteFileAtomic(scopesPath, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
			return nil, err
		}
		fmt.Fprintf(log, "annbench: generated in %.1fs\n", time.Since(start).Seconds())
	}
	var scopes map[string]int
	if b, err := os.ReadFile(scopesPath); err == nil && json.Unmarshal(b, &scopes) == nil {
		info.ClipSegments, info.VideoSegments = scopes["clip"], scopes["video"]
	}
	if !exists(info.QueryPath) {
		topics := g.Topics()
		err := ann.WriteFileAtomic(info.QueryPath, func(w io.Writer) error {
			fw := ann.NewFvecsWriter(w, p.Dim)
			for i := range c.queries {
				q := g.QueryVariant(topics[i%len(topics)], i/len(topics))
				if _, err := vecmath.Normalize(q); err != nil {
					return fmt.Errorf("query %d: %w", i, err)
				}
				if err := fw.Write(q); err != nil {
					return err
				}
			}
			return fw.Flush()
		})
		if err != nil {
			return nil, err
		}
	}
	paramsPath := filepath.Join(dir, "params.json")
	if !exists(paramsPath) {
		b, _ := json.MarshalIndent(info, "", "  ")
		if err := ann.WriteFileAtomic(paramsPath, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
			return nil, err
		}
	}
	truth, err := groundTruth(ctx, c, info.BasePath, info.QueryPath, info.GTPath, "", c.queries, log)
	if err != nil {
		return nil, err
	}
	return &dataset{info: info, truth: truth}, nil
}

// videosFor returns the first videos of p's generator whose segments add
// up to at least n, and p with Videos set to their number.
func videosFor(p sample.Params, n int) ([]sample.Video, sample.Params, error) {
	// Average segments per video with the defaults: 13.5 per option, 2.75
	// options; guess low and grow.
	p.Videos = max(1, n/40)
	for {
		g, err := sample.NewGenerator(p)
		if err != nil {
			return nil, p, err
		}
		total := 0
		for i, v := range g.Videos() {
			total += v.SegmentCount()
			if total >= n {
				p.Videos = i + 1
				g, err := sample.NewGenerator(p)
				if err != nil {
					return nil, p, err
				}
				return g.Videos(), p, nil
			}
		}
		p.Videos *= 2
	}
}

// writeSyntheticBase writes the unit-length segment vectors of videos, in
// order, until n are written, generating batches of videos in parallel.
// It returns how many were clip-scope and video-scope segments.
func writeSyntheticBase(ctx context.Context, g *sample.Generator, videos []sample.Video, n, dim, threads int, w io.Writer) (clips, whole int, err error) {
	type seg struct {
		vec   []float32
		video bool
	}
	fw := ann.NewFvecsWriter(w, dim)
	written := 0
	batch := 16 * threads
	for start := 0; start < len(videos) && written < n; start += batch {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		vs := videos[start:min(start+batch, len(videos))]
		out := make([][]seg, len(vs))
		errs := make([]error, len(vs))
		var wg sync.WaitGroup
		var next sync.Mutex
		j := 0
		for range threads {
			wg.Go(func() {
				for {
					next.Lock()
					i := j
					j++
					next.Unlock()
					if i >= len(vs) {
						return
					}
					errs[i] = g.EachSegment(vs[i], func(s sample.Segment) error {
						if _, err := vecmath.Normalize(s.Vector); err != nil {
							return err
						}
						out[i] = append(out[i], seg{s.Vector, s.Scope != "clip"})
						return nil
					})
				}
			})
		}
		wg.Wait()
		for i, segs := range out {
			if errs[i] != nil {
				return 0, 0, fmt.Errorf("generate video %s: %w", vs[i].ID, errs[i])
			}
			for _, s := range segs {
				if written == n {
					break
				}
				if err := fw.Write(s.vec); err != nil {
					return 0, 0, err
				}
				written++
				if s.video {
					whole++
				} else {
					clips++
				}
			}
		}
	}
	if written < n {
		return 0, 0, fmt.Errorf("generate base: %d videos make %d vectors, want %d", len(videos), written, n)
	}
	return clips, whole, fw.Flush()
}

func prepareTexmex(ctx context.Context, c *config, log io.Writer) (*dataset, error) {
	base, err := ann.ReadFvecs(c.base, 1) // the dimension, and a format check
	if err != nil {
		return nil, err
	}
	rows, err := countRows(c.base, base.Dim)
	if err != nil {
		return nil, err
	}
	q, err := ann.ReadFvecs(c.query, 0)
	if err != nil {
		return nil, err
	}
	if q.Dim != base.Dim {
		return nil, fmt.Errorf("texmex: %s has dimension %d, %s has %d", c.query, q.Dim, c.base, base.Dim)
	}
	nq := min(c.queries, q.Len())
	stem := func(p string) string { return strings.TrimSuffix(filepath.Base(p), filepath.Ext(p)) }
	info := datasetInfo{
		Name: stem(c.base), Kind: "texmex", N: rows, Dim: base.Dim, Queries: nq,
		BasePath: c.base, QueryPath: c.query, GTDepth: gtDepth,
	}
	given := c.gt
	if given != "" {
		info.GTPath = given
	} else {
		info.GTPath = filepath.Join(filepath.Dir(c.base), fmt.Sprintf("%s.%s.cosine-q%d-top%d.ivecs", stem(c.base), stem(c.query), nq, gtDepth))
	}
	truth, err := groundTruth(ctx, c, c.base, c.query, info.GTPath, given, nq, log)
	if err != nil && given == "" && errors.Is(err, fs.ErrPermission) {
		// The data's directory is read-only: cache beside the synthetic data.
		info.GTPath = filepath.Join(c.cache, filepath.Base(info.GTPath))
		truth, err = groundTruth(ctx, c, c.base, c.query, info.GTPath, "", nq, log)
	}
	if err != nil {
		return nil, err
	}
	info.GTDepth = len(truth[0])
	return &dataset{info: info, truth: truth}, nil
}

func countRows(path string, dim int) (int, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return int(st.Size() / int64(4+4*dim)), nil
}

// groundTruth returns the exact neighbours of the first nq queries: read
// from path if it exists (given is the user's -gt file, checked against an
// exact search of a few queries), computed on all threads and cached at
// path otherwise. Vectors are normalised first: neighbours are by cosine.
func groundTruth(ctx context.Context, c *config, basePath, queryPath, path, given string, nq int, log io.Writer) ([][]int32, error) {
	if exists(path) {
		truth, err := ann.ReadIvecs(path, nq)
		if err != nil {
			return nil, err
		}
		switch {
		case len(truth) < nq:
			return nil, fmt.Errorf("ground truth %s: %d rows, want %d queries", path, len(truth), nq)
		case len(truth[0]) < c.k:
			return nil, fmt.Errorf("ground truth %s: %d neighbours per query, want k = %d", path, len(truth[0]), c.k)
		}
		if given == "" {
			return truth, nil
		}
		// A user's file: TEXMEX ships Euclidean ground truth, which is not
		// the cosine one unless the vectors are unit length. Check a few.
		base, queries, err := loadUnit(basePath, queryPath, min(nq, 20))
		if err != nil {
			return nil, err
		}
		check, err := ann.GroundTruth(ctx, base, queries, c.k, c.threads)
		if err != nil {
			return nil, err
		}
		if r := ann.MeanRecall(truth[:len(check)], check, c.k); r < 0.99 {
			fmt.Fprintf(log, "annbench: WARNING: %s agrees with an exact cosine search on only %.1f%% of the top %d of the first %d queries: it is probably Euclidean ground truth; recall below is against it. Omit -gt to compute cosine ground truth.\n",
				given, 100*r, c.k, len(check))
		}
		return truth, nil
	}
	if given != "" {
		return nil, fmt.Errorf("ground truth %s: %w", given, fs.ErrNotExist)
	}
	base, queries, err := loadUnit(basePath, queryPath, nq)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "annbench: exact ground truth of %d queries over %d vectors on %d threads ...\n", queries.Len(), base.Len(), c.threads)
	start := time.Now()
	truth, err := ann.GroundTruth(ctx, base, queries, min(gtDepth, base.Len()), c.threads)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "annbench: ground truth in %.1fs\n", time.Since(start).Seconds())
	err = ann.WriteFileAtomic(path, func(w io.Writer) error {
		iw := ann.NewIvecsWriter(w, len(truth[0]))
		for _, row := range truth {
			if err := iw.Write(row); err != nil {
				return err
			}
		}
		return iw.Flush()
	})
	if err != nil {
		return nil, err
	}
	return truth, nil
}

// loadUnit reads a base file and the first nq rows of a query file and
// scales every vector to unit length.
func loadUnit(basePath, queryPath string, nq int) (base, queries ann.Matrix, err error) {
	if base, err = ann.ReadFvecs(basePath, 0); err != nil {
		return
	}
	if queries, err = ann.ReadFvecs(queryPath, nq); err != nil {
		return
	}
	if err = ann.Normalize(base); err != nil {
		return base, queries, fmt.Errorf("%s: %w", basePath, err)
	}
	if err = ann.Normalize(queries); err != nil {
		return base, queries, fmt.Errorf("%s: %w", queryPath, err)
	}
	return base, queries, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
