// Command classifybench measures DB.Classify, which scores every clip of
// a space against every prompt of every class in one pass over the
// vectors, beside what a caller without it would run: one search per
// prompt. In one process, on one database, interleaved round by round:
//
//	(a) classify   DB.Classify over every video, calibrated thresholds,
//	               default options
//	(b) exact-all  each prompt as its own DB.Search{Text, Exact, K = every
//	               clip of the space}: the scores a classify made of
//	               searches needs
//	(c) graph      each prompt as a default graph search {Text, K: 100,
//	               GroupBy: video}: cheap, but it sees only the top hits,
//	               so it cannot give thresholds nor duration ratios
//	(d) batch-all  (b)'s queries as one DB.SearchBatch (-batch)
//	(e) exact-k10  each prompt as an exact search for its 10 best clips:
//	               (b)'s passes over the vectors without its answers, the
//	               least any exact search per prompt costs
//
//	go run ./benchmarks/cmd/classifybench                          # 100k segments, 20 classes × 3 prompts, about 3 minutes
//	go run ./benchmarks/cmd/classifybench -segments 20000 -exact-prompts 0 -batch -json ""  # every prompt in (b) and (d), no JSON
//
// A search for every clip costs seconds at 100k (the engine sorts its
// answer by insertion, which is quadratic in K), so (b) and (d) search
// only the first -exact-prompts prompts (3: one class) and their times
// are scaled to all the prompts; -exact-prompts 0 searches them all.
//
// The database is the sample generator's (internal/sample) with 20
// topics, imported through pkg/clipvec with the defaults (the graph is
// built and calibrated); it is kept in a directory under -cache named by
// its parameters and reused by later runs. Each topic is a class; its
// prompts are the generator's text-like query variants of the topic
// (sample.Generator.QueryVariant 0, 1, 2: the topic's centre and the
// direction every text query shares, each with its own noise, as
// phrasings of one request would be). DB.Embedder maps the prompt texts
// to those vectors, so the first classify caches them; nothing timed
// embeds.
//
// Before timing, (b)'s answers are turned into a classification by hand
// (per video and class: the best score among the clips at or above the
// class's threshold for their modality) and compared with DB.Classify's,
// video by video, for the classes whose prompts it searched. Every figure is a ratio measured in the same run; the
// machine's load is printed.
package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/clipvec/clipvec/benchmarks/ann"
	"github.com/clipvec/clipvec/internal/sample"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "classifybench:", err)
		os.Exit(1)
	}
}

// cacheVersion names the layout of a cached database; change it when
// what goes into one changes.
const cacheVersion = 1

// config is what the flags ask for.
type config struct {
	Segments int
	Topics   int
	Prompts  int
	Seed     uint64
	Rounds   int
	GraphK   int
	// ExactPrompts is how many of the prompts (b) and (d) search per
	// run (0: all); their times are scaled to all the prompts.
	ExactPrompts int
	Batch        bool
	Cache        string
	JSON         string
}

// report is what one run measured: printed as a table and written as
// JSON.
type report struct {
	Command string      `json:"command"`
	Date    string      `json:"date"`
	Machine machineInfo `json:"machine"`
	Params  paramsInfo  `json:"params"`
	Data    dataInfo    `json:"data"`
	// Methods are (a) to (d), in that order.
	Methods  []methodResult `json:"methods"`
	Ratios   []ratio        `json:"ratios"`
	Accuracy accuracy       `json:"accuracy"`
	Check    check          `json:"check"`
}

type machineInfo struct {
	CPU        string `json:"cpu"`
	Cores      int    `json:"cores"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	Threads    int    `json:"threads"` // DB.Threads
	LoadBefore string `json:"load_before"`
	LoadAfter  string `json:"load_after"`
	Go         string `json:"go"`
	Commit     string `json:"commit"`
}

type paramsInfo struct {
	Seed            uint64 `json:"seed"`
	Topics          int    `json:"topics"`
	Videos          int    `json:"videos"`
	Dim             int    `json:"dim"`
	Classes         int    `json:"classes"`
	PromptsPerClass int    `json:"prompts_per_class"`
	// PromptVectors says how the prompts' vectors were made.
	PromptVectors string `json:"prompt_vectors"`
	Rounds        int    `json:"rounds"`
	GraphK        int    `json:"graph_k"`
	CacheDir      string `json:"cache_dir"`
	// Reused says the database came from the cache, made by an earlier
	// run (ImportSeconds is that run's).
	Reused bool `json:"reused"`
}

type dataInfo struct {
	Segments int    `json:"segments"`
	Clips    int    `json:"clips"` // clip-scope segments: what classify scores
	Videos   int    `json:"videos"`
	Space    string `json:"space"`
	// ImportSeconds is the import through pkg/clipvec with the default
	// parameters: files, graph build and calibration.
	ImportSeconds float64 `json:"import_seconds"`
}

type methodResult struct {
	Name  string `json:"name"`
	What  string `json:"what"`
	Calls int    `json:"calls"` // library calls per run, scaled
	// RunsMs are the timed runs, one per round, in milliseconds, as
	// measured; BestMs and MedianMs are scaled by Scale: the prompts
	// there are over the prompts a run searched.
	RunsMs   []float64 `json:"runs_ms"`
	Scale    float64   `json:"scale"`
	BestMs   float64   `json:"best_ms"`
	MedianMs float64   `json:"median_ms"`
}

// ratio is how many times longer method Of took than method To.
type ratio struct {
	Of     string  `json:"of"`
	To     string  `json:"to"`
	Best   float64 `json:"best"`
	Median float64 `json:"median"`
}

// accuracy is DB.Classify's answer against the generator's topics.
type accuracy struct {
	Videos int `json:"videos"`
	// BestIsTopic counts videos whose best class is their topic.
	BestIsTopic      int     `json:"best_is_topic"`
	BestIsTopicShare float64 `json:"best_is_topic_share"`
	// TopicHolds counts videos on which their topic's class holds at
	// all; NoClass those on which no class holds.
	TopicHolds int `json:"topic_holds"`
	NoClass    int `json:"no_class"`
	// MeanClasses is the mean number of classes that hold on a video.
	MeanClasses float64 `json:"mean_classes"`
	// MeanTopicDuration is the mean duration ratio of a video's topic
	// class where it holds.
	MeanTopicDuration float64 `json:"mean_topic_duration_ratio"`
}

// check is what the run verified besides timing.
type check struct {
	// HandRolledAgree counts the videos whose classes, made by hand from
	// (b)'s exact searches and Classify's thresholds, are Classify's
	// (same classes, same scores within ScoreTolerance).
	// HandRolledClasses counts the classes compared: those whose
	// prompts were all searched.
	HandRolledAgree   int     `json:"hand_rolled_agree"`
	HandRolledVideos  int     `json:"hand_rolled_videos"`
	HandRolledClasses int     `json:"hand_rolled_classes"`
	MaxScoreDiff      float64 `json:"max_score_diff"`
	ScoreTolerance    float64 `json:"score_tolerance"`
	// GraphVideos counts the distinct videos (c)'s searches returned,
	// of Data.Videos.
	GraphVideos int `json:"graph_videos"`
	// ExactMethod is (b)'s Result.Method.
	ExactMethod string `json:"exact_method"`
	// Embedded counts the prompts the embedder was asked for in this run
	// (the prompts when the database is new, 0 when its cache had them);
	// none during the timed runs.
	Embedded int64 `json:"embedded"`
}

// scoreTolerance is how far a hand-rolled score may be from Classify's:
// a search and classify sum the same products in different orders.
const scoreTolerance = 1e-5

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("classifybench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	fs.IntVar(&cfg.Segments, "segments", 100_000, "about how many segments the database holds")
	fs.IntVar(&cfg.Topics, "topics", 20, "topics of the data, and classes")
	fs.IntVar(&cfg.Prompts, "prompts", 3, "prompts per class")
	fs.Uint64Var(&cfg.Seed, "seed", 2025, "the data's seed")
	fs.IntVar(&cfg.Rounds, "rounds", 3, "timed rounds (each runs every method once)")
	fs.IntVar(&cfg.GraphK, "graph-k", 100, "videos per graph search (c)")
	fs.IntVar(&cfg.ExactPrompts, "exact-prompts", 3, "how many of the prompts (b) and (d) search per run, their times scaled to all the prompts (0: all; each takes seconds at 100k: see the README)")
	fs.BoolVar(&cfg.Batch, "batch", false, "also time (b)'s queries as one SearchBatch (d)")
	fs.StringVar(&cfg.Cache, "cache", filepath.Join(os.TempDir(), "clipvec-classifybench"), "directory of cached databases, one per set of data parameters")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the timed rounds to `FILE`")
	fs.StringVar(&cfg.JSON, "json", "benchmarks/results/classifybench-<segments>.json", "write the report as JSON to `FILE` (\"\": none); <segments> is -segments in thousands, e.g. 100k")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected arguments %q: every setting is a flag (see -help)", fs.Args())
	case cfg.Segments < 100:
		return fmt.Errorf("-segments %d: want at least 100", cfg.Segments)
	case cfg.Topics < 1:
		return fmt.Errorf("-topics %d: want at least 1", cfg.Topics)
	case cfg.Prompts < 1:
		return fmt.Errorf("-prompts %d: want at least 1", cfg.Prompts)
	case cfg.Rounds < 1:
		return fmt.Errorf("-rounds %d: want at least 1", cfg.Rounds)
	case cfg.GraphK < 1:
		return fmt.Errorf("-graph-k %d: want at least 1", cfg.GraphK)
	case cfg.ExactPrompts < 0:
		return fmt.Errorf("-exact-prompts %d: want a number of prompts, or 0 for all", cfg.ExactPrompts)
	}
	cfg.JSON = strings.ReplaceAll(cfg.JSON, "<segments>", sizeLabel(cfg.Segments))

	rep := &report{Command: "go run ./benchmarks/cmd/classifybench " + strings.Join(args, " "),
		Date: time.Now().Format(time.DateOnly), Machine: describeMachine()}
	rep.Command = strings.TrimSpace(rep.Command)
	fmt.Fprintf(stderr, "classifybench: %s, %d cores, load average %s\n", rep.Machine.CPU, rep.Machine.Cores, rep.Machine.LoadBefore)

	p := sample.DefaultParams()
	p.Seed, p.Topics = cfg.Seed, cfg.Topics
	p.Videos = sample.VideosFor(p, cfg.Segments)
	g, err := sample.NewGenerator(p)
	if err != nil {
		return err
	}
	classes, vectors := makeClasses(g, cfg.Prompts)
	rep.Params = paramsInfo{Seed: p.Seed, Topics: p.Topics, Videos: p.Videos, Dim: p.Dim, Classes: len(classes),
		PromptsPerClass: cfg.Prompts, Rounds: cfg.Rounds, GraphK: cfg.GraphK,
		PromptVectors: fmt.Sprintf("per topic, sample.Generator.QueryVariant(topic, 0..%d): its text-like query vectors (topic centre, the direction all text queries share, independent noise per variant)", cfg.Prompts-1)}
	for _, v := range g.Videos() {
		rep.Data.Segments += v.SegmentCount()
		rep.Data.Clips += v.Clips * len(v.Options)
	}
	rep.Data.Videos = p.Videos

	db, err := openCached(ctx, cfg.Cache, g, rep, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	rep.Machine.Threads = db.Threads

	// The embedder maps the prompts to their vectors and counts the
	// calls: the first classify caches every prompt, and no timed run
	// embeds.
	var embedded atomic.Int64
	db.Embedder = func(_ context.Context, _ clipvec.Space, in clipvec.QueryInput, _ []byte) ([]float32, error) {
		v, ok := vectors[in.Text]
		if !ok {
			return nil, fmt.Errorf("no vector for %q: not one of the benchmark's prompts", in.Text)
		}
		embedded.Add(1)
		return slices.Clone(v), nil
	}
	cq := clipvec.ClassifyQuery{Classes: classes}
	first, err := db.Classify(ctx, cq)
	if err != nil {
		return err
	}
	if err := checkCache(ctx, db, first.Space, vectors, cfg.Cache); err != nil {
		return err
	}
	rep.Data.Space = fmt.Sprintf("%s/%d", first.Space.Model, first.Space.Dim)
	if first.Scored != rep.Data.Clips {
		return fmt.Errorf("classify scored %d clips, but the generator made %d", first.Scored, rep.Data.Clips)
	}
	var prompts []string
	var classOf []int
	for c, cl := range classes {
		for _, t := range cl.Prompts {
			prompts = append(prompts, t)
			classOf = append(classOf, c)
		}
	}
	// (b) and (d) search the first ExactPrompts prompts: whole classes
	// first, so the hand-rolled check covers whole classes.
	exactPrompts := prompts
	if n := cfg.ExactPrompts; n > 0 && n < len(prompts) {
		exactPrompts = prompts[:n]
	}
	scale := float64(len(prompts)) / float64(len(exactPrompts))
	exactQuery := func(text string, k int) clipvec.Query {
		return clipvec.Query{Text: text, Exact: true, K: k, Filter: clipvec.Filter{Scopes: []string{clipvec.ScopeClip}}}
	}
	exactWhat := func(what string) string {
		if len(exactPrompts) < len(prompts) {
			return fmt.Sprintf("%s; %d of the %d prompts searched, times ×%.4g", what, len(exactPrompts), len(prompts), scale)
		}
		return what
	}

	// The methods. Each run checks its answer's shape, nothing more:
	// what a caller would then do with it is not timed.
	var classification *clipvec.Classification
	var exactMethod clipvec.Method
	var onExact func(p int, hits []clipvec.Hit) // the verification's, in the warm-up run
	graphVideos := map[string]bool{}
	classify := &method{name: "classify", calls: 1, scale: 1,
		what: fmt.Sprintf("DB.Classify, %d classes × %d prompts, every video, calibrated thresholds", len(classes), cfg.Prompts),
		run: func() error {
			res, err := db.Classify(ctx, cq)
			if err != nil {
				return err
			}
			for _, c := range res.Classes {
				if c.Cached != len(c.Prompts) {
					return fmt.Errorf("classify: class %q: %d of %d prompts cached", c.Name, c.Cached, len(c.Prompts))
				}
			}
			classification = res
			return nil
		}}
	exact := &method{name: "exact-all", calls: len(prompts), scale: scale,
		what: exactWhat(fmt.Sprintf("%d × DB.Search{Text, Exact, K: %d (every clip), clip scope}", len(prompts), rep.Data.Clips)),
		run: func() error {
			for i, t := range exactPrompts {
				res, err := db.Search(ctx, exactQuery(t, rep.Data.Clips))
				if err != nil {
					return err
				}
				if len(res.Hits) != rep.Data.Clips {
					return fmt.Errorf("exact search %q: %d hits, want every clip (%d)", t, len(res.Hits), rep.Data.Clips)
				}
				exactMethod = res.Method
				if onExact != nil {
					onExact(i, res.Hits)
				}
			}
			return nil
		}}
	graph := &method{name: "graph", calls: len(prompts), scale: 1,
		what: fmt.Sprintf("%d × DB.Search{Text, K: %d, GroupBy: video} (graph, default ef)", len(prompts), cfg.GraphK),
		run: func() error {
			for _, t := range prompts {
				res, err := db.Search(ctx, clipvec.Query{Text: t, K: cfg.GraphK, GroupBy: clipvec.GroupByVideo})
				if err != nil {
					return err
				}
				if want := min(cfg.GraphK, rep.Data.Videos); len(res.Hits) != want {
					return fmt.Errorf("graph search %q: %d hits, want %d", t, len(res.Hits), want)
				}
				for _, h := range res.Hits {
					graphVideos[h.VideoID] = true
				}
			}
			return nil
		}}
	scan := &method{name: "exact-k10", calls: len(prompts), scale: 1,
		what: fmt.Sprintf("%d × DB.Search{Text, Exact, K: 10, clip scope}: (b)'s passes over the vectors without its answers", len(prompts)),
		run: func() error {
			for _, t := range prompts {
				res, err := db.Search(ctx, exactQuery(t, 10))
				if err != nil {
					return err
				}
				if want := min(10, rep.Data.Clips); len(res.Hits) != want {
					return fmt.Errorf("exact search %q: %d hits, want %d", t, len(res.Hits), want)
				}
			}
			return nil
		}}
	methods := []*method{classify, exact, graph}
	if cfg.Batch {
		batch := make([]clipvec.Query, len(exactPrompts))
		for i, t := range exactPrompts {
			batch[i] = exactQuery(t, rep.Data.Clips)
		}
		methods = append(methods, &method{name: "batch-all", calls: 1, scale: scale,
			what: exactWhat(fmt.Sprintf("DB.SearchBatch of (b)'s %d queries", len(prompts))),
			run: func() error {
				out, err := db.SearchBatch(ctx, batch)
				if err != nil {
					return err
				}
				for i, r := range out {
					if r.Err != nil {
						return fmt.Errorf("batch query %q: %w", exactPrompts[i], r.Err)
					}
					if len(r.Result.Hits) != rep.Data.Clips {
						return fmt.Errorf("batch query %q: %d hits, want every clip (%d)", exactPrompts[i], len(r.Result.Hits), rep.Data.Clips)
					}
				}
				return nil
			}})
	}
	methods = append(methods, scan)

	// The warm-up round, untimed: classify first (its answer is what the
	// exact searches are checked against), then the exact searches made
	// into a classification by hand.
	fmt.Fprintf(stderr, "classifybench: warm-up round, and the hand-rolled classification from %d exact searches ...\n", len(exactPrompts))
	if err := classify.run(); err != nil {
		return err
	}
	hand := newHandRolled(classification, classOf)
	onExact = hand.add
	if err := exact.run(); err != nil {
		return err
	}
	onExact = nil
	rep.Check = hand.compare(classification, len(exactPrompts))
	for _, m := range methods {
		if m != classify && m != exact {
			if err := m.run(); err != nil {
				return err
			}
		}
	}
	rep.Check.GraphVideos = len(graphVideos)
	rep.Check.ExactMethod = string(exactMethod)
	rep.Accuracy = measureAccuracy(g, classification)
	embeddedBefore := embedded.Load()

	// The timed rounds: every method once a round, in an order that
	// rotates, each after a garbage collection.
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	for r := range cfg.Rounds {
		fmt.Fprintf(stderr, "classifybench: round %d of %d, load average %s\n", r+1, cfg.Rounds, ann.LoadAvg())
		for i := range methods {
			m := methods[(r+i)%len(methods)]
			runtime.GC()
			start := time.Now()
			if err := m.run(); err != nil {
				return err
			}
			m.times = append(m.times, time.Since(start))
		}
	}
	if n := embedded.Load(); n != embeddedBefore {
		return fmt.Errorf("the timed runs embedded %d prompts: the query cache missed", n-embeddedBefore)
	}
	rep.Check.Embedded = embedded.Load()
	rep.Machine.LoadAfter = ann.LoadAvg()
	for _, m := range methods {
		rep.Methods = append(rep.Methods, m.result())
	}
	for _, m := range rep.Methods[1:] {
		rep.Ratios = append(rep.Ratios, ratio{Of: m.Name, To: rep.Methods[0].Name,
			Best: m.BestMs / rep.Methods[0].BestMs, Median: m.MedianMs / rep.Methods[0].MedianMs})
	}
	printReport(stdout, rep)
	if cfg.JSON != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(cfg.JSON, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		fmt.Fprintf(stderr, "classifybench: wrote %s\n", cfg.JSON)
	}
	return nil
}

// method is one way of scoring the prompts, and its timed runs.
type method struct {
	name, what string
	calls      int
	// scale is what a run's time is multiplied by: the prompts there
	// are over the prompts a run searches.
	scale float64
	run   func() error
	times []time.Duration
}

func (m *method) result() methodResult {
	r := methodResult{Name: m.name, What: m.what, Calls: m.calls, Scale: m.scale}
	for _, t := range m.times {
		r.RunsMs = append(r.RunsMs, roundMs(t))
	}
	sorted := slices.Clone(r.RunsMs)
	slices.Sort(sorted)
	r.BestMs, r.MedianMs = round2(sorted[0]*m.scale), round2(median(sorted)*m.scale)
	return r
}

// median of sorted values (the mean of the middle two for an even count).
func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

func roundMs(d time.Duration) float64 { return round2(d.Seconds() * 1e3) }

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// makeClasses makes one class per topic of g, named after it, with
// perClass prompts: the topic's query text in a few phrasings. vectors
// maps each prompt to the generator's text-like query variant of the
// topic, variant n for the n-th prompt.
func makeClasses(g *sample.Generator, perClass int) ([]clipvec.Class, map[string][]float32) {
	var classes []clipvec.Class
	vectors := map[string][]float32{}
	for _, topic := range g.Topics() {
		text := g.QueryText(topic)
		cl := clipvec.Class{Name: topic}
		for n := range perClass {
			var prompt string
			switch n {
			case 0:
				prompt = text
			case 1:
				prompt = "a video of " + text
			case 2:
				prompt = "a clip showing " + text
			default:
				prompt = fmt.Sprintf("%s (phrasing %d)", text, n+1)
			}
			cl.Prompts = append(cl.Prompts, prompt)
			vectors[prompt] = g.QueryVariant(topic, n)
		}
		classes = append(classes, cl)
	}
	return classes, vectors
}

// cacheMarker is the file that says a cached database is complete.
const cacheMarker = "ready.json"

// cacheEntry is what cacheMarker holds.
type cacheEntry struct {
	Version       int           `json:"version"`
	Params        sample.Params `json:"params"`
	Segments      int           `json:"segments"`
	ImportSeconds float64       `json:"import_seconds"`
}

// cacheDir is the directory, under root, of the database made from p.
func cacheDir(root string, p sample.Params) string {
	b, _ := json.Marshal(cacheEntry{Version: cacheVersion, Params: p})
	sum := sha256.Sum256(b)
	return filepath.Join(root, fmt.Sprintf("v%d-%dvideos-%dtopics-seed%d-%s", cacheVersion, p.Videos, p.Topics, p.Seed, hex.EncodeToString(sum[:6])))
}

// openCached opens the cached database of g's data, making it first if
// the cache has none: g's export written and imported through
// pkg/clipvec with the default parameters (the graph built and
// calibrated), the export then removed.
func openCached(ctx context.Context, root string, g *sample.Generator, rep *report, stderr io.Writer) (*clipvec.DB, error) {
	p := g.Params()
	dir := cacheDir(root, p)
	dbPath := filepath.Join(dir, "clipvec.db")
	rep.Params.CacheDir = dir
	if b, err := os.ReadFile(filepath.Join(dir, cacheMarker)); err == nil {
		var e cacheEntry
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, fmt.Errorf("read cache %s: %w (delete the directory)", dir, err)
		}
		if e.Segments != rep.Data.Segments {
			return nil, fmt.Errorf("cache %s holds %d segments, want %d (delete the directory)", dir, e.Segments, rep.Data.Segments)
		}
		rep.Params.Reused, rep.Data.ImportSeconds = true, e.ImportSeconds
		fmt.Fprintf(stderr, "classifybench: reusing the database in %s\n", dir)
		return clipvec.Open(ctx, dbPath)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	export := filepath.Join(dir, "export")
	fmt.Fprintf(stderr, "classifybench: writing %d segments (%d videos, %d topics, seed %d) to %s ...\n",
		rep.Data.Segments, p.Videos, p.Topics, p.Seed, export)
	if err := sample.WriteExport(ctx, export, g); err != nil {
		return nil, err
	}
	db, err := clipvec.Open(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "classifybench: importing (the graph is built and calibrated) ...\n")
	start := time.Now()
	sum, err := db.Import(ctx, []string{export}, clipvec.ImportOptions{})
	if err == nil && (sum.Imported != rep.Data.Segments || sum.Rejected != 0) {
		err = fmt.Errorf("import %s: %d segments imported and %d rejected, want %d imported", export, sum.Imported, sum.Rejected, rep.Data.Segments)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	rep.Data.ImportSeconds = math.Round(time.Since(start).Seconds()*100) / 100
	fmt.Fprintf(stderr, "classifybench: imported %d segments in %.1f s\n", sum.Imported, rep.Data.ImportSeconds)
	if err := os.RemoveAll(export); err != nil {
		db.Close()
		return nil, err
	}
	b, _ := json.MarshalIndent(cacheEntry{Version: cacheVersion, Params: p, Segments: rep.Data.Segments, ImportSeconds: rep.Data.ImportSeconds}, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, cacheMarker), b, 0o644); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// checkCache makes sure the query cache holds each prompt with the
// vector this run means (a database reused from an older run could hold
// others).
func checkCache(ctx context.Context, db *clipvec.DB, sp clipvec.Space, vectors map[string][]float32, root string) error {
	for text, want := range vectors {
		got, cached, err := db.EmbedQuery(ctx, sp, clipvec.QueryInput{Text: text})
		if err != nil {
			return err
		}
		if !cached || !slices.Equal(got, want) {
			return fmt.Errorf("the query cache holds another vector for prompt %q: delete the cached database (under %s)", text, root)
		}
	}
	return nil
}

// handRolled is the classification a caller would make from one exact
// search per prompt, with Classify's thresholds: per video and class,
// the best score among the clips at or above the class's threshold for
// their modality.
type handRolled struct {
	classes int
	classOf []int
	thr     []map[string]float64 // per class, per modality
	videos  map[string]int
	best    []float32 // per video, per class; -Inf: the class does not hold
}

func newHandRolled(c *clipvec.Classification, classOf []int) *handRolled {
	h := &handRolled{classes: len(c.Classes), classOf: classOf, videos: map[string]int{}}
	for _, ci := range c.Classes {
		h.thr = append(h.thr, ci.Thresholds)
	}
	for i, v := range c.Videos {
		h.videos[v.VideoID] = i
	}
	h.best = make([]float32, len(c.Videos)*h.classes)
	for i := range h.best {
		h.best[i] = float32(math.Inf(-1))
	}
	return h
}

// add takes prompt p's hits.
func (h *handRolled) add(p int, hits []clipvec.Hit) {
	c := h.classOf[p]
	for _, hit := range hits {
		t, ok := h.thr[c][hit.Modality]
		v, known := h.videos[hit.VideoID]
		if !ok || !known || float64(hit.Score) < t {
			continue
		}
		b := &h.best[v*h.classes+c]
		*b = max(*b, hit.Score)
	}
}

// compare counts the videos on which h and c agree: the same classes
// hold, with the same scores within scoreTolerance. Only the classes
// whose every prompt is among the first searched prompts are compared.
func (h *handRolled) compare(c *clipvec.Classification, searched int) check {
	ck := check{HandRolledVideos: len(c.Videos), ScoreTolerance: scoreTolerance}
	covered := make([]bool, h.classes)
	for k := range covered {
		covered[k] = true
	}
	for p, k := range h.classOf {
		if p >= searched {
			covered[k] = false
		}
	}
	for _, ok := range covered {
		if ok {
			ck.HandRolledClasses++
		}
	}
	index := map[string]int{}
	for i, ci := range c.Classes {
		index[ci.Name] = i
	}
	for v, vc := range c.Videos {
		agree := true
		holds := make([]bool, h.classes)
		for _, k := range vc.Classes {
			ci := index[k.Name]
			holds[ci] = true
			if !covered[ci] {
				continue
			}
			diff := math.Abs(float64(h.best[v*h.classes+ci]) - float64(k.Score))
			if math.IsInf(diff, 0) || diff > scoreTolerance {
				agree = false
			}
			if !math.IsInf(diff, 0) {
				ck.MaxScoreDiff = max(ck.MaxScoreDiff, diff)
			}
		}
		for ci, held := range holds {
			if covered[ci] && !held && !math.IsInf(float64(h.best[v*h.classes+ci]), -1) {
				agree = false // the hand-rolled one holds where classify's does not
			}
		}
		if agree {
			ck.HandRolledAgree++
		}
	}
	return ck
}

// measureAccuracy compares c with the topics g gave the videos.
func measureAccuracy(g *sample.Generator, c *clipvec.Classification) accuracy {
	topic := map[string]string{}
	for _, v := range g.Videos() {
		topic[v.ID] = v.Topic
	}
	a := accuracy{Videos: len(c.Videos)}
	classes, durations, topicHolds := 0, 0.0, 0
	for _, v := range c.Videos {
		classes += len(v.Classes)
		if len(v.Classes) == 0 {
			a.NoClass++
			continue
		}
		if v.Classes[0].Name == topic[v.VideoID] {
			a.BestIsTopic++
		}
		for _, k := range v.Classes {
			if k.Name == topic[v.VideoID] {
				topicHolds++
				durations += k.DurationRatio
			}
		}
	}
	a.TopicHolds = topicHolds
	if a.Videos > 0 {
		a.BestIsTopicShare = float64(a.BestIsTopic) / float64(a.Videos)
		a.MeanClasses = float64(classes) / float64(a.Videos)
	}
	if topicHolds > 0 {
		a.MeanTopicDuration = durations / float64(topicHolds)
	}
	return a
}

// printReport prints the table and the checks.
func printReport(w io.Writer, rep *report) {
	fmt.Fprintf(w, "data: %d segments (%d clips) of %d videos, %s, %d classes × %d prompts\n",
		rep.Data.Segments, rep.Data.Clips, rep.Data.Videos, rep.Data.Space, rep.Params.Classes, rep.Params.PromptsPerClass)
	fmt.Fprintf(w, "machine: %s, %d cores, DB.Threads %d, %s, commit %s; load average before %s, after %s\n",
		rep.Machine.CPU, rep.Machine.Cores, rep.Machine.Threads, rep.Machine.Go, rep.Machine.Commit, rep.Machine.LoadBefore, rep.Machine.LoadAfter)
	fmt.Fprintf(w, "\n%-9s %5s %10s %10s %12s %10s  %s\n", "method", "calls", "best ms", "median ms", "ms per call", "÷ classify", "what")
	for i, m := range rep.Methods {
		rel := "1"
		if i > 0 {
			r := rep.Ratios[i-1]
			rel = fmt.Sprintf("%.1f / %.1f", r.Best, r.Median)
		}
		fmt.Fprintf(w, "%-9s %5d %10.1f %10.1f %12.2f %10s  %s\n", m.Name, m.Calls, m.BestMs, m.MedianMs, m.MedianMs/float64(m.Calls), rel, m.What)
	}
	fmt.Fprintf(w, "(÷ classify: best / median; %d rounds)\n\n", rep.Params.Rounds)
	a := rep.Accuracy
	fmt.Fprintf(w, "classify: best class is the video's topic on %d of %d videos (%.1f%%); the topic holds on %d; no class on %d; %.2f classes hold per video; topic's duration ratio %.2f on average\n",
		a.BestIsTopic, a.Videos, 100*a.BestIsTopicShare, a.TopicHolds, a.NoClass, a.MeanClasses, a.MeanTopicDuration)
	c := rep.Check
	fmt.Fprintf(w, "hand-rolled classification from the exact searches (%d of %d classes) agrees with classify on %d of %d videos (scores within %.0e, largest difference %.1e)\n",
		c.HandRolledClasses, rep.Params.Classes, c.HandRolledAgree, c.HandRolledVideos, c.ScoreTolerance, c.MaxScoreDiff)
	fmt.Fprintf(w, "graph searches (K %d by video) reached %d of %d videos: no threshold, no duration ratio for the others\n",
		rep.Params.GraphK, c.GraphVideos, rep.Data.Videos)
}

// describeMachine reads the CPU model, the Go version, the load and the
// commit.
func describeMachine() machineInfo {
	m := machineInfo{Cores: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), Go: runtime.Version(), LoadBefore: ann.LoadAvg()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	m.CPU = cmp.Or(m.CPU, "unknown")
	m.Commit = "unknown"
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
		if out, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(out) > 0 {
			m.Commit += " (modified)"
		}
	}
	return m
}

// sizeLabel is n in thousands ("100k"), or n itself below 1,000.
func sizeLabel(n int) string {
	if n >= 1000 {
		return fmt.Sprintf("%dk", int(math.Round(float64(n)/1000)))
	}
	return fmt.Sprint(n)
}
