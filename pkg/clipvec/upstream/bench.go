package upstream

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clipvec/clipvec/internal/atomicfile"
	"github.com/clipvec/clipvec/internal/evalmetrics"
	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/pkg/clipvec"
	"github.com/clipvec/clipvec/pkg/twelvelabs"
)

// ErrNotFetched: the database a benchmark compares holds nothing fetched
// from its index. It also matches clipvec.ErrNotFound.
var ErrNotFetched = errors.New("index not fetched")

// BenchQuery is one query of a benchmark: a text, and optionally the
// search options (modalities) and grouping TwelveLabs' /search gets, and
// a filter.
type BenchQuery struct {
	Text string `json:"text"`
	// SearchOptions are /search's search_options (default: the index's
	// model options); the local search keeps the same modalities.
	SearchOptions []string `json:"search_options,omitempty"`
	// GroupBy is "clip" (default) or "video".
	GroupBy string `json:"group_by,omitempty"`
	// Filter is /search's filter, sent as it is; the local search applies
	// its "id" key (a list of video ids), the one it can.
	Filter json.RawMessage `json:"filter,omitempty"`
}

// ReadBenchQueries reads a query file: one text query per line, or JSON
// lines ({"text": ..., "search_options": [...], "group_by": "video",
// "filter": {...}}); blank lines and lines starting with # are skipped.
// A bad line is an error naming the file and the line, wrapping
// clipvec.ErrInvalidInput.
func ReadBenchQueries(r io.Reader, name string) ([]BenchQuery, error) {
	var out []BenchQuery
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		q := BenchQuery{Text: text}
		if strings.HasPrefix(text, "{") {
			dec := json.NewDecoder(strings.NewReader(text))
			dec.DisallowUnknownFields()
			q = BenchQuery{}
			if err := dec.Decode(&q); err != nil {
				return nil, fmt.Errorf("queries %s: line %d: %w: %v", name, line, clipvec.ErrInvalidInput, err)
			}
		}
		if err := q.check(); err != nil {
			return nil, fmt.Errorf("queries %s: line %d: %w: %v", name, line, clipvec.ErrInvalidInput, err)
		}
		out = append(out, q)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("queries %s: %w: %v", name, clipvec.ErrInvalidInput, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("queries %s: %w: no queries (one text per line, or JSON lines with a \"text\")", name, clipvec.ErrInvalidInput)
	}
	return out, nil
}

func (q *BenchQuery) check() error {
	if strings.TrimSpace(q.Text) == "" {
		return errors.New("the query has no text")
	}
	switch q.GroupBy {
	case "", "clip", "video":
	default:
		return fmt.Errorf("group_by %q: want clip or video", q.GroupBy)
	}
	for _, o := range q.SearchOptions {
		switch o {
		case "visual", "audio", "transcription":
		default:
			return fmt.Errorf("search option %q: want visual, audio or transcription", o)
		}
	}
	_, err := q.videoFilter()
	return err
}

// videoFilter returns the video ids the query's filter keeps (nil: all).
func (q *BenchQuery) videoFilter() ([]string, error) {
	if len(q.Filter) == 0 {
		return nil, nil
	}
	var f map[string]json.RawMessage
	if err := json.Unmarshal(q.Filter, &f); err != nil {
		return nil, fmt.Errorf("filter: want a JSON object: %v", err)
	}
	var ids []string
	for key, v := range f {
		if key != "id" {
			return nil, fmt.Errorf("filter key %q: the local search can filter by id (video ids) only", key)
		}
		if err := json.Unmarshal(v, &ids); err != nil {
			var one string
			if json.Unmarshal(v, &one) != nil {
				return nil, fmt.Errorf("filter id: want a video id or a list of them")
			}
			ids = []string{one}
		}
	}
	return ids, nil
}

// BenchOptions tune Bench.
type BenchOptions struct {
	// IndexID is the TwelveLabs index searched upstream; its videos must
	// have been fetched into the database (FetchIndex).
	IndexID string
	// Ks are the depths the metrics are computed at (default 1, 5, 10,
	// 50); Depth is how many results each side returns per query
	// (default: the largest k).
	Ks    []int
	Depth int
	// PageSize is /search's page_limit (default and API maximum 50): a
	// depth past it takes more requests.
	PageSize int
	// IoU is the temporal IoU at which a local clip matches an upstream
	// one (default 0.5); recall is also reported at any overlap.
	IoU float64
	// Ef is the local graph search's candidate list (0: the database's
	// fixed ef, or the one its graph calibrated for its target recall).
	Ef int
	// Model names the local space ("model" or "model/dim") when the
	// index's model has several; it must be the index's model.
	Model string
	// Record, when set, is a directory that keeps everything the run
	// learns upstream — the index, every response as it arrived, the
	// upstream results, the query vectors — and the local results: a run
	// killed midway and run again with the same Record goes on from the
	// queries whose upstream results are there, without asking again.
	Record string
	// Replay, when set, is a directory a run recorded: the comparison is
	// run again from it, offline (no client needed). With the same
	// options the report is the same, bit for bit.
	Replay string
	// Progress, when set, is called after each query.
	Progress func(done, total int)
}

// Stat is a mean with its 95% confidence interval.
type Stat = evalmetrics.Stat

// BenchReport is a benchmark's result: the parameters, the summary and
// each query's metrics.
type BenchReport struct {
	IndexID string  `json:"index_id"`
	Model   string  `json:"model"`
	Space   string  `json:"space"`
	Ks      []int   `json:"k"`
	Depth   int     `json:"depth"`
	IoU     float64 `json:"iou"`
	Ef      int     `json:"ef"`
	// Summary holds the means over the queries, each with its 95%
	// confidence interval (queries with no upstream results are left out
	// of a clip metric's mean).
	Summary BenchSummary  `json:"summary"`
	Queries []BenchResult `json:"queries"`
}

// BenchMetrics compare one local ranking with a reference ranking.
type BenchMetrics struct {
	// RecallAtK: the share of the reference's top k found in the local
	// top k (same video, temporal IoU >= BenchReport.IoU); keys "1",
	// "5", ...
	RecallAtK map[string]Stat `json:"recall_at_k"`
	// RecallAtKAnyOverlap: the same at any overlap (IoU > 0).
	RecallAtKAnyOverlap map[string]Stat `json:"recall_at_k_any_overlap"`
	// NDCGAtK: nDCG with the reference's rank as graded relevance.
	NDCGAtK map[string]Stat `json:"ndcg_at_k"`
	// RBO: rank-biased overlap, p = 0.9, of the two rankings (a local
	// clip is the reference clip it matches).
	RBO Stat `json:"rbo"`
	// VideoRecallAtK: recall@k of distinct videos.
	VideoRecallAtK map[string]Stat `json:"video_recall_at_k"`
}

// BenchSummary is BenchReport.Summary.
type BenchSummary struct {
	// BenchMetrics compare the local graph search with upstream.
	BenchMetrics
	// Exact compares the local exact scan with upstream: the model and
	// segmentation differences alone.
	Exact BenchMetrics `json:"exact"`
	// GraphVsExact compares the local graph with the local exact scan:
	// the graph's own approximation error, apart from model and
	// segmentation differences.
	GraphVsExact BenchMetrics `json:"graph_vs_exact"`
	// LatencyMS: an upstream query's round trips (every page) and a
	// local search's time, in milliseconds.
	LatencyMS struct {
		Upstream   Stat `json:"upstream"`
		LocalGraph Stat `json:"local_graph"`
		LocalExact Stat `json:"local_exact"`
	} `json:"latency_ms"`
	// UpstreamRequests counts the searches and page requests the upstream
	// side made, in all and per query (a request the client retried after
	// a 429 or a 5xx counts once; a query started over after its page
	// token expired counts again).
	UpstreamRequests         int  `json:"upstream_requests"`
	UpstreamRequestsPerQuery Stat `json:"upstream_requests_per_query"`
}

// BenchResult is one query's metrics.
type BenchResult struct {
	Text    string `json:"text"`
	GroupBy string `json:"group_by"`
	// Upstream and Local count the results of each side.
	Upstream int `json:"upstream_results"`
	Local    int `json:"local_results"`
	// QueryMetrics compare the local graph with upstream; Exact the local
	// exact scan with upstream; GraphVsExact the graph with the scan.
	QueryMetrics
	Exact        QueryMetrics `json:"exact"`
	GraphVsExact QueryMetrics `json:"graph_vs_exact"`

	UpstreamMS float64 `json:"upstream_ms"`
	GraphMS    float64 `json:"local_graph_ms"`
	ExactMS    float64 `json:"local_exact_ms"`
	Requests   int     `json:"upstream_requests"`
	// Ranks pairs, for each upstream clip the local graph found (at
	// BenchReport.IoU), its upstream rank and its first local rank
	// (1-based).
	Ranks [][2]int `json:"rank_pairs,omitempty"`
}

// QueryMetrics compare one query's local ranking with a reference: each
// map holds the depths the query has a value at (a video-grouped query
// has video recall only; one with no reference results, none).
type QueryMetrics struct {
	RecallAtK           map[string]float64 `json:"recall_at_k,omitempty"`
	RecallAtKAnyOverlap map[string]float64 `json:"recall_at_k_any_overlap,omitempty"`
	NDCGAtK             map[string]float64 `json:"ndcg_at_k,omitempty"`
	RBO                 *float64           `json:"rbo,omitempty"`
	VideoRecallAtK      map[string]float64 `json:"video_recall_at_k,omitempty"`
}

// Record files, in a Record or Replay directory.
const (
	benchIndexFile    = "index.json"
	benchUpstreamFile = "upstream.jsonl"
	benchLocalFile    = "local.jsonl"
	benchResponses    = "responses"
)

// upstreamRecord is one query's upstream side, as recorded.
type upstreamRecord struct {
	Query     int         `json:"query"`
	Text      string      `json:"text"`
	Results   []benchClip `json:"results"`
	Requests  int         `json:"requests"`
	LatencyMS float64     `json:"latency_ms"`
	Pages     []string    `json:"pages"` // response files, in order
	Vector    []float32   `json:"vector,omitempty"`
	Request   BenchQuery  `json:"request"`
	Restarts  int         `json:"restarts,omitempty"`
	Video     []string    `json:"videos,omitempty"` // group_by video: video ids in rank order
}

// localRecord is one query's local side, as recorded.
type localRecord struct {
	Query   int         `json:"query"`
	Ef      int         `json:"ef"`
	Depth   int         `json:"depth"`
	Graph   []benchClip `json:"graph"`
	Exact   []benchClip `json:"exact"`
	GraphMS float64     `json:"graph_ms"`
	ExactMS float64     `json:"exact_ms"`
}

// benchClip is a result of either side.
type benchClip struct {
	VideoID string  `json:"video_id"`
	Start   float64 `json:"start"`
	End     float64 `json:"end"`
	Rank    int     `json:"rank,omitempty"`
	Score   float64 `json:"score,omitempty"`
}

func clips(bs []benchClip) []evalmetrics.Clip {
	out := make([]evalmetrics.Clip, len(bs))
	for i, b := range bs {
		out[i] = evalmetrics.Clip{VideoID: b.VideoID, Start: b.Start, End: b.End}
	}
	return out
}

// Bench compares local search with TwelveLabs' /search for each query:
// it pages through /search up to opts.Depth results (its responses kept
// in opts.Record), runs the local graph search and the exact scan with
// the same text (embedded by the index's model: db.Embedder, or the
// query cache), modalities and filter, and computes recall@k, nDCG@k,
// RBO and video recall@k of each local side against upstream, and of the
// graph against the exact scan. c may be nil with opts.Replay.
func Bench(ctx context.Context, db *clipvec.DB, c *twelvelabs.Client, queries []BenchQuery, opts BenchOptions) (*BenchReport, error) {
	if len(opts.Ks) == 0 {
		opts.Ks = []int{1, 5, 10, 50}
	}
	slices.Sort(opts.Ks)
	opts.Ks = slices.Compact(opts.Ks)
	if opts.Ks[0] < 1 {
		return nil, fmt.Errorf("bench: %w: k %d, want 1 or more", clipvec.ErrInvalidQuery, opts.Ks[0])
	}
	if opts.Depth == 0 {
		opts.Depth = opts.Ks[len(opts.Ks)-1]
	}
	if opts.IoU == 0 {
		opts.IoU = 0.5
	}
	switch {
	case opts.IoU < 0 || opts.IoU > 1:
		return nil, fmt.Errorf("bench: %w: IoU %g, want 0 to 1", clipvec.ErrInvalidQuery, opts.IoU)
	case opts.Depth < opts.Ks[len(opts.Ks)-1]:
		return nil, fmt.Errorf("bench: %w: depth %d is less than k %d", clipvec.ErrInvalidQuery, opts.Depth, opts.Ks[len(opts.Ks)-1])
	case opts.IndexID == "" && opts.Replay == "":
		return nil, fmt.Errorf("bench: %w: no index", clipvec.ErrInvalidQuery)
	case opts.Replay == "" && c == nil:
		return nil, noClient("bench index " + opts.IndexID)
	}
	b := &bench{db: db, c: c, opts: opts, recorded: map[int]*upstreamRecord{}, localRec: map[int]*localRecord{}}
	if err := b.start(ctx, queries); err != nil {
		return nil, err
	}
	ef := opts.Ef
	if ef == 0 {
		p, err := db.IndexParams(ctx)
		if err != nil {
			return nil, err
		}
		ef = p.EfSearch
	}
	rep := &BenchReport{IndexID: b.index.ID, Model: b.model, Space: b.space.String(), Ks: opts.Ks, Depth: opts.Depth,
		IoU: opts.IoU, Ef: ef}
	for i := range b.queries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		up, err := b.upstream(ctx, i)
		if err != nil {
			return nil, err
		}
		loc, err := b.local(ctx, i, up, ef)
		if err != nil {
			return nil, err
		}
		rep.Queries = append(rep.Queries, b.metrics(up, loc))
		if rep.Ef == 0 {
			rep.Ef = loc.Ef // calibrated: what the graph chose
		}
		if opts.Progress != nil {
			opts.Progress(i+1, len(b.queries))
		}
	}
	rep.Summary = summarize(rep)
	if opts.Record != "" {
		if err := b.saveLocal(); err != nil {
			return nil, err
		}
		if err := writeJSONFile(filepath.Join(opts.Record, "bench.json"), rep); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

type bench struct {
	db      *clipvec.DB
	c       *twelvelabs.Client
	opts    BenchOptions
	queries []BenchQuery
	index   *twelvelabs.Index
	model   string
	space   clipvec.Space
	// recorded holds the upstream records found in Record or Replay.
	recorded map[int]*upstreamRecord
	localRec map[int]*localRecord // from Replay
	locals   []*localRecord       // this run's, for Record
}

// start loads or fetches the index and the records, and checks the
// model.
func (b *bench) start(ctx context.Context, queries []BenchQuery) error {
	src := cmp.Or(b.opts.Replay, b.opts.Record)
	if src != "" {
		if err := b.readRecords(src); err != nil {
			return err
		}
	}
	if b.opts.Replay != "" {
		if queries == nil {
			queries = b.recordedQueries()
		}
		if b.index == nil {
			return fmt.Errorf("bench: replay %s: %w: no %s: not a recorded benchmark", b.opts.Replay, clipvec.ErrInvalidInput, benchIndexFile)
		}
	}
	b.queries = queries
	if b.index == nil {
		ix, raw, err := b.c.RetrieveIndex(ctx, b.opts.IndexID)
		if err != nil {
			return fmt.Errorf("bench: %w", upstream(err))
		}
		b.index = ix
		if b.opts.Record != "" {
			if err := os.MkdirAll(filepath.Join(b.opts.Record, benchResponses), 0o755); err != nil {
				return fmt.Errorf("bench: %w", err)
			}
			if err := atomicfile.Write(filepath.Join(b.opts.Record, benchIndexFile), func(w io.Writer) error {
				_, err := w.Write(raw)
				return err
			}); err != nil {
				return fmt.Errorf("bench: record the index: %w", err)
			}
		}
	}
	if b.opts.IndexID != "" && b.index.ID != "" && b.index.ID != b.opts.IndexID {
		return fmt.Errorf("bench: %w: %s records index %s, not %s", clipvec.ErrInvalidQuery, src, b.index.ID, b.opts.IndexID)
	}
	if b.index.ID == "" {
		b.index.ID = b.opts.IndexID
	}
	// The index's embedding model: the local space must be of it.
	for _, m := range b.index.Models {
		if name := ingest.CanonicalModel(m.Name); strings.HasPrefix(name, "marengo") {
			b.model = name
		}
	}
	if b.model == "" {
		return fmt.Errorf("bench: index %s has no Marengo model (it has %v): nothing to compare embeddings with", b.index.ID, b.index.Models)
	}
	want := b.model
	if b.opts.Model != "" {
		m, _, _ := strings.Cut(b.opts.Model, "/")
		if ingest.CanonicalModel(m) != b.model {
			return fmt.Errorf("bench: %w: index %s searches with %s, and the local space asked for is %s: their vectors are not comparable",
				clipvec.ErrInvalidQuery, b.index.ID, b.model, b.opts.Model)
		}
		want = b.opts.Model
	}
	sp, err := b.db.QuerySpace(ctx, want)
	if err != nil {
		return fmt.Errorf("bench: index %s searches with %s: %w (fetch its embeddings first: FetchIndex)", b.index.ID, b.model, err)
	}
	b.space = sp
	// Compared with a database that holds none of the index, local search
	// would find nothing, and the report would say so at length.
	fetched, err := b.db.FetchedObjects(ctx, b.index.ID)
	if err != nil {
		return err
	}
	if len(fetched) == 0 {
		return fmt.Errorf("bench: %w: the database holds nothing fetched from index %s: fetch it first (FetchIndex)",
			&alsoError{clipvec.ErrNotFound, ErrNotFetched}, b.index.ID)
	}
	return nil
}

// readRecords loads what a recording directory holds.
func (b *bench) readRecords(dir string) error {
	raw, err := os.ReadFile(filepath.Join(dir, benchIndexFile))
	switch {
	case errors.Is(err, os.ErrNotExist) && b.opts.Replay == "":
		return nil // a new recording
	case err != nil:
		return fmt.Errorf("bench: %w", err)
	}
	var ix twelvelabs.Index
	if err := json.Unmarshal(raw, &ix); err != nil {
		return fmt.Errorf("bench: %s: %w: %v", filepath.Join(dir, benchIndexFile), clipvec.ErrInvalidInput, err)
	}
	b.index = &ix
	if err := readJSONL(filepath.Join(dir, benchUpstreamFile), func(r *upstreamRecord) { b.recorded[r.Query] = r }); err != nil {
		return err
	}
	if b.opts.Replay != "" {
		if err := readJSONL(filepath.Join(dir, benchLocalFile), func(r *localRecord) { b.localRec[r.Query] = r }); err != nil {
			return err
		}
	}
	return nil
}

// recordedQueries are the queries a replay directory holds, in order.
func (b *bench) recordedQueries() []BenchQuery {
	var ids []int
	for i := range b.recorded {
		ids = append(ids, i)
	}
	slices.Sort(ids)
	var out []BenchQuery
	for _, i := range ids {
		out = append(out, b.recorded[i].Request)
	}
	return out
}

func readJSONL[T any](path string, fn func(*T)) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			// A line cut by a kill is the last one: what it would have
			// held is asked again.
			continue
		}
		fn(&v)
	}
	return sc.Err()
}

// appendJSONL appends one record to a JSONL file and syncs it: a record
// there is complete.
func appendJSONL(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeJSONFile(path string, v any) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}

// maxRestarts bounds how often one query's paging starts over after its
// page token expired.
const maxRestarts = 3

// upstream returns query i's upstream results: recorded, or fetched (and
// recorded).
func (b *bench) upstream(ctx context.Context, i int) (*upstreamRecord, error) {
	q := b.queries[i]
	if r := b.recorded[i]; r != nil && r.Text == q.Text {
		return r, nil
	}
	if b.opts.Replay != "" {
		return nil, fmt.Errorf("bench: replay %s: %w: query %d (%q) was not recorded", b.opts.Replay, clipvec.ErrInvalidInput, i+1, q.Text)
	}
	options := q.SearchOptions
	if len(options) == 0 {
		for _, m := range b.index.Models {
			if ingest.CanonicalModel(m.Name) == b.model {
				options = m.Options
			}
		}
	}
	pageLimit := min(b.opts.Depth, cmp.Or(b.opts.PageSize, 50), 50)
	req := twelvelabs.SearchRequest{IndexID: b.index.ID, SearchOptions: options, QueryText: q.Text,
		GroupBy: q.GroupBy, PageLimit: pageLimit}
	if len(q.Filter) > 0 {
		req.Filter = q.Filter
	}
	rec := &upstreamRecord{Query: i, Text: q.Text, Request: q}
	rec.Request.SearchOptions = options
	start := time.Now()
	for attempt := 0; ; attempt++ {
		rec.Results, rec.Video, rec.Pages = nil, nil, nil
		err := b.pages(ctx, req, rec)
		if err == nil {
			break
		}
		if !errors.Is(err, twelvelabs.ErrPageTokenExpired) || attempt == maxRestarts {
			return nil, fmt.Errorf("bench: query %d (%q): %w", i+1, q.Text, upstream(err))
		}
		rec.Restarts++ // the token expired mid-query: start the query over
	}
	rec.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
	vec, _, err := b.db.EmbedQuery(ctx, b.space, clipvec.QueryInput{Text: q.Text})
	if err != nil {
		return nil, fmt.Errorf("bench: query %d: %w", i+1, err)
	}
	rec.Vector = vec
	if b.opts.Record != "" {
		if err := appendJSONL(filepath.Join(b.opts.Record, benchUpstreamFile), rec); err != nil {
			return nil, fmt.Errorf("bench: record query %d: %w", i+1, err)
		}
	}
	return rec, nil
}

// pages runs one search and follows its pages up to the depth, saving
// each response as it arrived.
func (b *bench) pages(ctx context.Context, req twelvelabs.SearchRequest, rec *upstreamRecord) error {
	res, raw, err := b.c.SearchRaw(ctx, req)
	for page := 1; ; page++ {
		rec.Requests++
		if err != nil {
			return err
		}
		if b.opts.Record != "" {
			name := fmt.Sprintf("q%04d-r%d-p%02d.json", rec.Query+1, rec.Restarts, page)
			if err := atomicfile.Write(filepath.Join(b.opts.Record, benchResponses, name), func(w io.Writer) error {
				_, err := w.Write(raw)
				return err
			}); err != nil {
				return fmt.Errorf("record a response: %w", err)
			}
			rec.Pages = append(rec.Pages, name)
		}
		for _, it := range res.Data {
			if req.GroupBy == "video" {
				id := cmp.Or(it.ID, it.VideoID)
				if !slices.Contains(rec.Video, id) && len(rec.Video) < b.opts.Depth {
					rec.Video = append(rec.Video, id)
				}
				continue
			}
			if len(rec.Results) < b.opts.Depth {
				rec.Results = append(rec.Results, benchClip{VideoID: it.VideoID, Start: it.Start, End: it.End,
					Rank: cmp.Or(it.Rank, len(rec.Results)+1), Score: float64(it.Score)})
			}
		}
		full := len(rec.Results) >= b.opts.Depth || len(rec.Video) >= b.opts.Depth
		token := res.PageInfo.NextPageToken
		if full || token == "" {
			return nil
		}
		res, raw, err = b.c.SearchPageRaw(ctx, token, false)
	}
}

// local runs the query locally: the graph and the exact scan.
func (b *bench) local(ctx context.Context, i int, up *upstreamRecord, ef int) (*localRecord, error) {
	q := up.Request
	videos, err := q.videoFilter()
	if err != nil {
		return nil, err
	}
	vec := up.Vector
	if vec == nil {
		if vec, _, err = b.db.EmbedQuery(ctx, b.space, clipvec.QueryInput{Text: q.Text}); err != nil {
			return nil, fmt.Errorf("bench: query %d: %w", i+1, err)
		}
	}
	query := clipvec.Query{Vector: vec, Model: b.space.Model, K: b.opts.Depth, Ef: ef,
		Filter: clipvec.Filter{Modalities: q.SearchOptions, Videos: videos, Scopes: []string{clipvec.ScopeClip}}}
	if q.GroupBy == "video" {
		query.GroupBy = clipvec.GroupByVideo
	}
	rec := &localRecord{Query: i, Ef: ef, Depth: b.opts.Depth}
	for _, exact := range []bool{false, true} {
		query.Exact = exact
		start := time.Now()
		res, err := b.db.Search(ctx, query)
		if err != nil {
			return nil, fmt.Errorf("bench: query %d (%q): local search: %w", i+1, q.Text, err)
		}
		ms := float64(time.Since(start).Microseconds()) / 1000
		var hits []benchClip
		for _, h := range res.Hits {
			hits = append(hits, benchClip{VideoID: h.VideoID, Start: h.Start, End: h.End, Score: float64(h.Score)})
		}
		if exact {
			rec.Exact, rec.ExactMS = hits, ms
		} else {
			rec.Graph, rec.GraphMS = hits, ms
			if ef == 0 && res.Method == clipvec.MethodGraph {
				rec.Ef = res.Ef // the graph's calibrated ef
			}
		}
	}
	// A replay with the recorded parameters reports the recorded times:
	// the same run, the same report.
	if old := b.localRec[i]; old != nil && old.Ef == rec.Ef && old.Depth == b.opts.Depth {
		rec.GraphMS, rec.ExactMS = old.GraphMS, old.ExactMS
	}
	b.locals = append(b.locals, rec)
	return rec, nil
}

// saveLocal writes the local results of the run.
func (b *bench) saveLocal() error {
	return atomicfile.Write(filepath.Join(b.opts.Record, benchLocalFile), func(w io.Writer) error {
		for _, r := range b.locals {
			data, err := json.Marshal(r)
			if err != nil {
				return err
			}
			if _, err := w.Write(append(data, '\n')); err != nil {
				return err
			}
		}
		return nil
	})
}

// metrics computes query i's metrics.
func (b *bench) metrics(up *upstreamRecord, loc *localRecord) BenchResult {
	q := up.Request
	r := BenchResult{Text: q.Text, GroupBy: cmp.Or(q.GroupBy, "clip"), Local: len(loc.Graph), Requests: up.Requests,
		UpstreamMS: up.LatencyMS, GraphMS: loc.GraphMS, ExactMS: loc.ExactMS}
	graph, exact := clips(loc.Graph), clips(loc.Exact)
	if q.GroupBy == "video" {
		ref := make([]evalmetrics.Clip, len(up.Video))
		for j, v := range up.Video {
			ref[j] = evalmetrics.Clip{VideoID: v}
		}
		r.Upstream = len(ref)
		r.QueryMetrics = b.compare(ref, graph, b.opts.IoU, true)
		r.Exact = b.compare(ref, exact, b.opts.IoU, true)
		r.GraphVsExact = b.compare(exact, graph, 1, true)
		return r
	}
	ref := clips(up.Results)
	r.Upstream = len(ref)
	r.QueryMetrics = b.compare(ref, graph, b.opts.IoU, false)
	r.Exact = b.compare(ref, exact, b.opts.IoU, false)
	// The graph against the scan: the same segments, so the same spans.
	r.GraphVsExact = b.compare(exact, graph, 1, false)
	// Rank pairs: each upstream clip's first local match.
	for j, u := range ref {
		for l, g := range graph {
			if v := evalmetrics.IoU(u, g); v >= b.opts.IoU && v > 0 {
				r.Ranks = append(r.Ranks, [2]int{j + 1, l + 1})
				break
			}
		}
	}
	return r
}

// compare computes the metrics of cand against ref at every k; videos
// says the rankings are of videos (only video recall applies).
func (b *bench) compare(ref, cand []evalmetrics.Clip, minIoU float64, videos bool) QueryMetrics {
	var m QueryMetrics
	put := func(dst *map[string]float64, k int, v float64, ok bool) {
		if !ok {
			return
		}
		if *dst == nil {
			*dst = map[string]float64{}
		}
		(*dst)[strconv.Itoa(k)] = v
	}
	for _, k := range b.opts.Ks {
		v, ok := evalmetrics.VideoRecallAtK(ref, cand, k)
		put(&m.VideoRecallAtK, k, v, ok)
		if videos {
			continue
		}
		v, ok = evalmetrics.RecallAtK(ref, cand, k, minIoU)
		put(&m.RecallAtK, k, v, ok)
		v, ok = evalmetrics.RecallAtK(ref, cand, k, 0)
		put(&m.RecallAtKAnyOverlap, k, v, ok)
		v, ok = evalmetrics.NDCGAtK(ref, cand, k, minIoU)
		put(&m.NDCGAtK, k, v, ok)
	}
	if !videos && len(ref) > 0 {
		a, c := evalmetrics.ClipIDs(ref, cand, minIoU)
		rbo := evalmetrics.RBO(a, c, 0.9)
		m.RBO = &rbo
	}
	return m
}

// summarize aggregates the queries' metrics.
func summarize(rep *BenchReport) BenchSummary {
	var s BenchSummary
	s.BenchMetrics = summarizeMetrics(rep, func(r *BenchResult) *QueryMetrics { return &r.QueryMetrics })
	s.Exact = summarizeMetrics(rep, func(r *BenchResult) *QueryMetrics { return &r.Exact })
	s.GraphVsExact = summarizeMetrics(rep, func(r *BenchResult) *QueryMetrics { return &r.GraphVsExact })
	var up, graph, exact, reqs []float64
	for _, q := range rep.Queries {
		up, graph, exact = append(up, q.UpstreamMS), append(graph, q.GraphMS), append(exact, q.ExactMS)
		reqs = append(reqs, float64(q.Requests))
		s.UpstreamRequests += q.Requests
	}
	s.LatencyMS.Upstream, s.LatencyMS.LocalGraph, s.LatencyMS.LocalExact = evalmetrics.MeanCI(up), evalmetrics.MeanCI(graph), evalmetrics.MeanCI(exact)
	s.UpstreamRequestsPerQuery = evalmetrics.MeanCI(reqs)
	return s
}

// summarizeMetrics means one of each query's QueryMetrics.
func summarizeMetrics(rep *BenchReport, of func(*BenchResult) *QueryMetrics) BenchMetrics {
	gather := func(get func(*QueryMetrics) map[string]float64) map[string]Stat {
		out := map[string]Stat{}
		for _, k := range rep.Ks {
			key := strconv.Itoa(k)
			var xs []float64
			for i := range rep.Queries {
				if v, ok := get(of(&rep.Queries[i]))[key]; ok {
					xs = append(xs, v)
				}
			}
			out[key] = evalmetrics.MeanCI(xs)
		}
		return out
	}
	m := BenchMetrics{
		RecallAtK:           gather(func(m *QueryMetrics) map[string]float64 { return m.RecallAtK }),
		RecallAtKAnyOverlap: gather(func(m *QueryMetrics) map[string]float64 { return m.RecallAtKAnyOverlap }),
		NDCGAtK:             gather(func(m *QueryMetrics) map[string]float64 { return m.NDCGAtK }),
		VideoRecallAtK:      gather(func(m *QueryMetrics) map[string]float64 { return m.VideoRecallAtK }),
	}
	var rbo []float64
	for i := range rep.Queries {
		if v := of(&rep.Queries[i]).RBO; v != nil {
			rbo = append(rbo, *v)
		}
	}
	m.RBO = evalmetrics.MeanCI(rbo)
	return m
}
