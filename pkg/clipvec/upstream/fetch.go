package upstream

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/pkg/clipvec"
	"github.com/clipvec/clipvec/pkg/twelvelabs"
)

// FetchOptions tune FetchTask, FetchAsset and FetchIndex. The zero value
// fetches every modality and scope, fails on objects that are not ready,
// and brings the search graphs in step afterwards.
type FetchOptions struct {
	// Options are the embedding options (modalities) to fetch: visual,
	// audio, transcription (Marengo 3.0) or visual-text, audio (2.7).
	// Empty means all the object has. The API filters v1 tasks and
	// indexed assets (embedding_option); embed-v2 tasks are filtered
	// here. For an indexed asset, where the API returns embeddings only
	// when options are named, empty tries 3.0's options and then 2.7's.
	Modalities []string
	// Scopes keeps segments of these scopes: clip, video (asset and
	// video both name the whole-media vector). Empty keeps all. Applied
	// here, before import.
	Scopes []string
	// VideoID files a task's segments under this video (default: the
	// task id). Indexed assets are always filed under their own id.
	VideoID string
	// Model is the model of responses that name none (embed-v2 tasks;
	// default marengo3.0, or marengo3.5 when their metadata has an
	// embedding_dimension).
	Model string
	// Wait waits for a task that is still processing, polling every
	// PollInterval (default twelvelabs.DefaultPollInterval), instead of
	// failing with ErrNotReady.
	Wait         bool
	PollInterval time.Duration
	// OnStatus, when set, is called with a waited-for task's status after
	// every poll.
	OnStatus func(taskID, status string)

	// Concurrency is how many assets FetchIndex retrieves at once
	// (default 4). Imports are serialised by the store's single writer
	// whatever this is; more only overlaps the downloads.
	Concurrency int
	// Refetch makes FetchIndex download assets it fetched before too
	// (their segments are replaced, never duplicated).
	Refetch bool
	// PageSize is FetchIndex's list page size (default and API maximum 50).
	PageSize int
	// Progress, when set, reports FetchIndex's progress. It is never
	// called concurrently.
	Progress func(FetchProgress)

	// NoIndex leaves the search graphs alone: by default, once the
	// objects are in, the graphs of the spaces written to are brought in
	// step (once, after all of FetchIndex's assets) and saved.
	NoIndex bool
	// IndexProgress, when set, reports that last step.
	IndexProgress clipvec.IndexProgress
}

// FetchResult is what happened to one upstream object.
type FetchResult struct {
	// Kind is SourceEmbedTaskV1, SourceEmbedTaskV2 or SourceIndexedAsset
	// (KindTask while a task's version is not known).
	Kind clipvec.SourceKind `json:"kind"`
	// ID is the task or asset id; IndexID the asset's index.
	ID      string `json:"id"`
	IndexID string `json:"index_id,omitempty"`
	// VideoID is the video its segments were filed under.
	VideoID string `json:"video_id,omitempty"`
	// Model is the model its vectors belong to.
	Model    string `json:"model,omitempty"`
	Imported int    `json:"imported"`
	Replaced int    `json:"replaced"`
	// Unchanged counts segments found stored exactly as fetched (left
	// as they are).
	Unchanged int `json:"unchanged"`
	// Dropped counts segments left out by FetchOptions.Scopes (and, for
	// embed-v2 tasks, Options).
	Dropped int `json:"dropped,omitempty"`
	// Err is why the object was not fetched (FetchIndex's failures).
	Err error `json:"-"`
	// spaces are the embedding spaces its segments went to, whose graphs
	// a sync brings in step.
	spaces []clipvec.Space
}

// ErrStillProcessing: a task is still being processed upstream, and
// FetchOptions.Wait would wait for it. It also matches clipvec.ErrNotReady.
var ErrStillProcessing = errors.New("still processing")

// KindTask is a FetchResult's kind while a task's version (v1 or
// embed-v2) is not known.
const KindTask clipvec.SourceKind = "task"

// FetchProgress is a snapshot of a running FetchIndex.
type FetchProgress struct {
	IndexID string
	// Total is the number of assets in the index according to the list
	// (0 before its first page).
	Total int
	// Listed counts assets listed so far; NotReady those not ready (not
	// fetched); AlreadyFetched those skipped as fetched before; Fetched
	// and Failed those done.
	Listed, NotReady, AlreadyFetched, Fetched, Failed int
	// Segments counts segments stored so far.
	Segments int
	// Current is the asset just finished ("" for a list step).
	Current string
}

// FetchSummary totals a FetchIndex.
type FetchSummary struct {
	IndexID string `json:"index_id"`
	// Listed counts the index's assets; NotReady those not ready (still
	// indexing, failed: not fetched); AlreadyFetched those skipped as
	// fetched before with options that cover this fetch's.
	Listed         int `json:"listed"`
	NotReady       int `json:"not_ready"`
	AlreadyFetched int `json:"already_fetched"`
	// Fetched are the assets fetched now, by id; Failed those that failed
	// (each with its Err), by id.
	Fetched []FetchResult `json:"fetched"`
	Failed  []FetchResult `json:"failed,omitempty"`
	// Imported, Replaced, Unchanged and Dropped total the segments of
	// Fetched.
	Imported  int `json:"imported"`
	Replaced  int `json:"replaced"`
	Unchanged int `json:"unchanged"`
	Dropped   int `json:"dropped,omitempty"`
	// Modalities are the modalities the assets were retrieved with.
	Modalities   []string      `json:"modalities,omitempty"`
	Elapsed      time.Duration `json:"elapsed_ns"`
	IndexElapsed time.Duration `json:"index_elapsed_ns,omitempty"`
}

// upstream makes an upstream 404 match ErrNotFound too.
func upstream(err error) error {
	if err != nil && twelvelabs.IsNotFound(err) && !errors.Is(err, clipvec.ErrNotFound) {
		return &alsoError{err, clipvec.ErrNotFound}
	}
	return err
}

// alsoError gives err a second identity: errors.Is matches also as well
// as err's own chain, and the message stays err's.
type alsoError struct{ err, also error }

func (e *alsoError) Error() string   { return e.err.Error() }
func (e *alsoError) Unwrap() []error { return []error{e.err, e.also} }

// asInput marks an error (a task not ready) as ErrInvalidInput too, like
// a saved response that is not ready.
func asInput(err error) error { return &alsoError{err, clipvec.ErrInvalidInput} }

func noClient(what string) error {
	return fmt.Errorf("%s: %w", what, clipvec.ErrNoCredentials)
}

// FetchTask fetches an embed task's segments (GET /embed/tasks/{id}, or
// for an embed-v2 task GET /embed-v2/tasks/{id}: the version is found by
// asking v1 first and v2 when v1 does not know the id) and imports them
// in one transaction that also records the fetch. A task still processing
// fails with ErrNotReady unless opts.Wait.
func FetchTask(ctx context.Context, db *clipvec.DB, c *twelvelabs.Client, taskID string, opts FetchOptions) (*FetchResult, error) {
	res, err := fetchTask(ctx, db, c, taskID, opts)
	if err != nil {
		return res, err
	}
	return res, syncAfterFetch(ctx, db, res.spaces, opts)
}

func fetchTask(ctx context.Context, db *clipvec.DB, c *twelvelabs.Client, taskID string, opts FetchOptions) (*FetchResult, error) {
	res := &FetchResult{Kind: KindTask, ID: taskID}
	if c == nil {
		return res, noClient("fetch task " + taskID)
	}
	st, err := c.EmbedTaskStatus(ctx, taskID)
	if err == nil {
		if err := waitV1(ctx, db, c, taskID, st.Status, opts); err != nil {
			res.Kind = clipvec.SourceEmbedTaskV1
			return res, err
		}
		return importTaskV1(ctx, db, c, taskID, opts)
	}
	if !twelvelabs.IsNotFound(err) && !errors.Is(err, twelvelabs.ErrBadRequest) {
		return res, fmt.Errorf("fetch: %w", err)
	}
	// Not a v1 task (v1 answers 404, or 400 for an id of another form):
	// perhaps an embed-v2 one.
	t, err2 := c.GetEmbedV2Task(ctx, taskID)
	if err2 != nil {
		if twelvelabs.IsNotFound(err2) && twelvelabs.IsNotFound(err) {
			return res, upstream(fmt.Errorf("fetch task %s: no embed task (v1) or embed-v2 task has this id: %w", taskID, err2))
		}
		if twelvelabs.IsNotFound(err2) {
			return res, upstream(fmt.Errorf("fetch task %s: v1 refused the id (%v), and no embed-v2 task has it: %w", taskID, err, err2))
		}
		return res, fmt.Errorf("fetch: %w", err2)
	}
	res.Kind = clipvec.SourceEmbedTaskV2
	if t, err = waitV2(ctx, db, c, t, opts); err != nil {
		return res, err
	}
	return importTaskV2(ctx, db, t, opts)
}

func waitOptions(taskID string, opts FetchOptions) []twelvelabs.WaitOption {
	var w []twelvelabs.WaitOption
	if opts.PollInterval > 0 {
		w = append(w, twelvelabs.WithPollInterval(opts.PollInterval))
	}
	if opts.OnStatus != nil {
		w = append(w, twelvelabs.WithStatusCallback(func(s string) { opts.OnStatus(taskID, s) }))
	}
	return w
}

// notReady reports a task or asset that is not ready (or failed).
func notReady(what, status string, cause error) error {
	return notReadyWait(what, status, cause, true)
}

// notReadyWait is notReady; canWait says whether waiting is an option.
func notReadyWait(what, status string, cause error, canWait bool) error {
	if status == twelvelabs.StatusFailed || errors.Is(cause, twelvelabs.ErrTaskFailed) {
		if cause != nil {
			return asInput(fmt.Errorf("fetch %s: %w: it failed upstream: %w", what, clipvec.ErrNotReady, cause))
		}
		return asInput(fmt.Errorf("fetch %s: %w: it failed upstream", what, clipvec.ErrNotReady))
	}
	if !canWait {
		return asInput(fmt.Errorf("fetch %s: %w: it is %s; fetch it again once it is ready", what, clipvec.ErrNotReady, status))
	}
	return asInput(fmt.Errorf("fetch %s: %w: it is %s; fetch it again once it is ready, or wait for it", what,
		&alsoError{clipvec.ErrNotReady, ErrStillProcessing}, status))
}

// waitV1 returns nil once a v1 task is ready: at once, or after waiting
// when opts.Wait.
func waitV1(ctx context.Context, db *clipvec.DB, c *twelvelabs.Client, taskID, status string, opts FetchOptions) error {
	switch {
	case status == twelvelabs.StatusReady:
		return nil
	case status == twelvelabs.StatusFailed || !opts.Wait:
		return notReady("task "+taskID, status, nil)
	}
	_, err := c.WaitForTask(ctx, taskID, waitOptions(taskID, opts)...)
	if errors.Is(err, twelvelabs.ErrTaskFailed) {
		return notReady("task "+taskID, twelvelabs.StatusFailed, err)
	}
	if err != nil {
		return fmt.Errorf("fetch: %w", upstream(err))
	}
	return nil
}

// waitV2 returns t once it is ready: at once, or after waiting when
// opts.Wait.
func waitV2(ctx context.Context, db *clipvec.DB, c *twelvelabs.Client, t *twelvelabs.EmbedV2Task, opts FetchOptions) (*twelvelabs.EmbedV2Task, error) {
	switch {
	case t.Status == twelvelabs.StatusReady:
		return t, nil
	case t.Status == twelvelabs.StatusFailed:
		var cause error
		if t.Error != nil && t.Error.Message != "" {
			cause = errors.New(t.Error.Message)
		}
		return nil, notReady("embed-v2 task "+t.ID, t.Status, cause)
	case !opts.Wait:
		return nil, notReady("embed-v2 task "+t.ID, t.Status, nil)
	}
	ready, err := c.WaitForTaskV2(ctx, t.ID, waitOptions(t.ID, opts)...)
	if errors.Is(err, twelvelabs.ErrTaskFailed) {
		return nil, notReady("embed-v2 task "+t.ID, twelvelabs.StatusFailed, err)
	}
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", upstream(err))
	}
	return ready, nil
}

// importTaskV1 retrieves a ready v1 task and imports it.
func importTaskV1(ctx context.Context, db *clipvec.DB, c *twelvelabs.Client, taskID string, opts FetchOptions) (*FetchResult, error) {
	res := &FetchResult{Kind: clipvec.SourceEmbedTaskV1, ID: taskID, VideoID: cmp.Or(opts.VideoID, taskID)}
	t, err := c.RetrieveEmbedTask(ctx, taskID, opts.Modalities...)
	if err != nil {
		return res, fmt.Errorf("fetch: %w", upstream(err))
	}
	if t.Status != "" && t.Status != twelvelabs.StatusReady {
		return res, notReady("task "+taskID, t.Status, nil)
	}
	res.Model = ingest.CanonicalModel(cmp.Or(t.Model(), opts.Model))
	var kept []twelvelabs.Segment
	if t.VideoEmbedding != nil {
		scopes := scopeSet(opts.Scopes)
		for _, s := range t.VideoEmbedding.Segments {
			if scopes.keep(s.EmbeddingScope) {
				kept = append(kept, s)
			}
		}
		res.Dropped = len(t.VideoEmbedding.Segments) - len(kept)
		ve := *t.VideoEmbedding
		ve.Segments = kept
		t.VideoEmbedding = &ve
	}
	rec := clipvec.Fetched{Kind: clipvec.SourceEmbedTaskV1, ID: taskID, VideoID: res.VideoID,
		Modalities: opts.Modalities, Scopes: canonicalScopes(opts.Scopes)}
	err = importFetched(ctx, db, "task:"+taskID, t, len(kept) == 0 && res.Dropped > 0, rec,
		clipvec.ImportOptions{VideoID: opts.VideoID, Model: opts.Model}, res)
	return res, err
}

// importTaskV2 imports a ready embed-v2 task (its data came with it).
func importTaskV2(ctx context.Context, db *clipvec.DB, t *twelvelabs.EmbedV2Task, opts FetchOptions) (*FetchResult, error) {
	res := &FetchResult{Kind: clipvec.SourceEmbedTaskV2, ID: t.ID, VideoID: cmp.Or(opts.VideoID, t.ID)}
	dim := 0
	if t.Metadata != nil {
		dim = t.Metadata.EmbeddingDimension
	}
	res.Model = ingest.CanonicalModel(ingest.V2Model(opts.Model, dim))
	scopes := scopeSet(opts.Scopes)
	var kept []twelvelabs.EmbeddingData
	for _, d := range t.Data {
		if scopes.keep(d.EmbeddingScope) && (len(opts.Modalities) == 0 || slices.Contains(opts.Modalities, d.EmbeddingOption)) {
			kept = append(kept, d)
		}
	}
	res.Dropped = len(t.Data) - len(kept)
	tt := *t
	tt.Data = kept
	rec := clipvec.Fetched{Kind: clipvec.SourceEmbedTaskV2, ID: t.ID, VideoID: res.VideoID,
		Modalities: opts.Modalities, Scopes: canonicalScopes(opts.Scopes)}
	err := importFetched(ctx, db, "task:"+t.ID, &tt, len(kept) == 0 && res.Dropped > 0, rec,
		clipvec.ImportOptions{VideoID: opts.VideoID, Model: res.Model}, res)
	return res, err
}

// importFetched imports one fetched object, re-encoded as the JSON the
// API sent, through the importer every saved response goes through (one
// validation path, one provenance rule), and records the fetch in the
// same transaction (ImportOptions.BeforeCommit). When the scope filter
// left nothing (empty), only the fetch is recorded.
func importFetched(ctx context.Context, db *clipvec.DB, name string, body any, empty bool, rec clipvec.Fetched, opts clipvec.ImportOptions, res *FetchResult) error {
	if empty {
		if err := db.RecordFetch(ctx, rec); err != nil {
			return fmt.Errorf("import %s: %w", name, err)
		}
		return nil
	}
	data, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("import %s: encode: %w", name, err)
	}
	opts.BeforeCommit = func(tx *clipvec.ImportTx) error {
		rec.Segments = tx.Inserted() + tx.Replaced() + tx.Unchanged()
		return tx.RecordFetch(rec)
	}
	fr, err := db.ImportReader(ctx, name, bytes.NewReader(data), opts)
	res.Imported, res.Replaced, res.Unchanged = fr.Imported, fr.Replaced, fr.Unchanged
	if err == nil {
		res.spaces = fr.Spaces
	}
	return err
}

// FetchAsset fetches an indexed asset's segments
// (GET /indexes/{index}/indexed-assets/{asset} with embedding_option) and
// imports them, filed under the asset id, in one transaction that also
// records the fetch. An asset that is not ready fails with ErrNotReady.
func FetchAsset(ctx context.Context, db *clipvec.DB, c *twelvelabs.Client, indexID, assetID string, opts FetchOptions) (*FetchResult, error) {
	res, err := fetchAsset(ctx, db, c, indexID, assetID, opts, &optionPicker{})
	if err != nil {
		return res, err
	}
	return res, syncAfterFetch(ctx, db, res.spaces, opts)
}

func fetchAsset(ctx context.Context, db *clipvec.DB, c *twelvelabs.Client, indexID, assetID string, opts FetchOptions, picker *optionPicker) (*FetchResult, error) {
	res := &FetchResult{Kind: clipvec.SourceIndexedAsset, ID: assetID, IndexID: indexID, VideoID: assetID}
	if c == nil {
		return res, noClient("fetch asset " + assetID)
	}
	a, err := picker.retrieve(ctx, c, indexID, assetID, opts.Modalities)
	if err != nil {
		return res, fmt.Errorf("fetch: %w", upstream(err))
	}
	what := fmt.Sprintf("indexed asset %s of index %s", assetID, indexID)
	if a.Status != "" && a.Status != twelvelabs.StatusReady {
		return res, notReadyWait(what, a.Status, nil, false)
	}
	var kept []twelvelabs.Segment
	if a.Embedding != nil {
		res.Model = ingest.CanonicalModel(cmp.Or(a.Embedding.ModelName, opts.Model))
		if a.Embedding.VideoEmbedding != nil {
			scopes := scopeSet(opts.Scopes)
			for _, s := range a.Embedding.VideoEmbedding.Segments {
				if scopes.keep(s.EmbeddingScope) {
					kept = append(kept, s)
				}
			}
			res.Dropped = len(a.Embedding.VideoEmbedding.Segments) - len(kept)
			ve := *a.Embedding.VideoEmbedding
			ve.Segments = kept
			emb := *a.Embedding
			emb.VideoEmbedding = &ve
			a.Embedding = &emb
		}
	}
	rec := clipvec.Fetched{Kind: clipvec.SourceIndexedAsset, ID: assetID, IndexID: indexID, VideoID: assetID,
		Modalities: opts.Modalities, Scopes: canonicalScopes(opts.Scopes)}
	err = importFetched(ctx, db, "index:"+indexID+"/asset:"+assetID, a, len(kept) == 0 && res.Dropped > 0, rec,
		clipvec.ImportOptions{Model: opts.Model}, res)
	return res, err
}

// assetOptionSets are the embedding options tried, in order, for an
// indexed asset when none are asked for: the API returns embeddings only
// for named options, and only options of the index's model (a 400
// otherwise), which the asset alone does not tell.
var assetOptionSets = [][]string{
	{twelvelabs.OptionVisual, twelvelabs.OptionAudio, twelvelabs.OptionTranscription}, // Marengo 3.0
	{twelvelabs.OptionVisual, twelvelabs.OptionAudio},                                 // 3.0 without transcription
	{twelvelabs.OptionVisualText, twelvelabs.OptionAudio},                             // Marengo 2.7
}

// optionPicker remembers which of assetOptionSets an index accepts, so
// that only its first asset pays for the probing. It is safe for
// concurrent use.
type optionPicker struct {
	// mu guards options and is held while probing, so one asset probes
	// and the others wait for its answer.
	mu      sync.Mutex
	options []string
}

func (p *optionPicker) retrieve(ctx context.Context, c *twelvelabs.Client, indexID, assetID string, requested []string) (*twelvelabs.IndexedAsset, error) {
	get := func(opts []string) (*twelvelabs.IndexedAsset, error) {
		return c.RetrieveIndexedAsset(ctx, indexID, assetID, twelvelabs.RetrieveOptions{EmbeddingOptions: opts})
	}
	if len(requested) > 0 {
		return get(requested)
	}
	p.mu.Lock()
	if p.options != nil {
		opts := p.options
		p.mu.Unlock()
		return get(opts)
	}
	defer p.mu.Unlock()
	var first error
	for _, set := range assetOptionSets {
		a, err := get(set)
		if err == nil {
			p.options = set
			return a, nil
		}
		if !errors.Is(err, twelvelabs.ErrBadRequest) {
			return nil, err
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// used returns the options in use ("" before the first success).
func (p *optionPicker) used() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.options
}

// DefaultFetchConcurrency is FetchIndex's default number of assets
// retrieved at once: enough to overlap downloads with imports, few enough
// to stay far below the API's request rate limits.
const DefaultFetchConcurrency = 4

// FetchIndex fetches every ready asset of an index: it walks the asset
// list page by page (page-number pagination, oldest first, so assets
// added meanwhile come last), skips assets not ready and assets fetched
// before with options covering these (unless Refetch), and fetches the
// rest, Concurrency at a time, each imported in its own transaction
// together with its fetch record. So it is resumable: after a kill or a
// failure, running it again fetches only what is missing, and never
// duplicates a segment. The search graphs are brought in step once, at
// the end.
//
// An asset that fails (not found, not ready, invalid, a server error)
// is reported in the summary's Failed and the others go on; a failure
// every request would meet (credentials, rate limit, the list itself)
// stops the walk. The error then says what stopped it; the summary is
// always returned.
func FetchIndex(ctx context.Context, db *clipvec.DB, c *twelvelabs.Client, indexID string, opts FetchOptions) (*FetchSummary, error) {
	start := time.Now()
	sum := &FetchSummary{IndexID: indexID, Fetched: []FetchResult{}}
	if c == nil {
		return sum, noClient("fetch index " + indexID)
	}
	if indexID == "" {
		return sum, fmt.Errorf("fetch index: %w: no index id", clipvec.ErrInvalidQuery)
	}
	done := map[string]clipvec.Fetched{}
	if !opts.Refetch {
		recs, err := db.FetchedObjects(ctx, indexID)
		if err != nil {
			return sum, err
		}
		for _, r := range recs {
			if r.Kind == clipvec.SourceIndexedAsset {
				done[r.ID] = r
			}
		}
	}
	wantOptions := opts.Modalities
	wantScopes := canonicalScopes(opts.Scopes)
	conc := opts.Concurrency
	if conc <= 0 {
		conc = DefaultFetchConcurrency
	}
	pageSize := opts.PageSize
	if pageSize <= 0 || pageSize > 50 {
		pageSize = 50
	}

	wctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	picker := &optionPicker{}
	var touched []clipvec.Space
	// mu guards sum, touched and progress, and serialises Progress calls.
	var mu sync.Mutex
	progress := FetchProgress{IndexID: indexID}
	report := func(current string) {
		progress.Current = current
		if opts.Progress != nil {
			opts.Progress(progress)
		}
	}
	perAsset := opts
	perAsset.VideoID = ""

	jobs := make(chan string)
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for id := range jobs {
				res, err := fetchAsset(wctx, db, c, indexID, id, perAsset, picker)
				mu.Lock()
				switch {
				case err != nil && wctx.Err() != nil && errors.Is(err, context.Canceled):
					// Cut short by the stop, not a failure of its own:
					// it is simply not fetched.
				case err != nil:
					res.Err = err
					sum.Failed = append(sum.Failed, *res)
					progress.Failed++
				default:
					sum.Fetched = append(sum.Fetched, *res)
					sum.Imported += res.Imported
					sum.Replaced += res.Replaced
					sum.Unchanged += res.Unchanged
					sum.Dropped += res.Dropped
					progress.Fetched++
					progress.Segments += res.Imported + res.Replaced + res.Unchanged
					touched = append(touched, res.spaces...)
				}
				report(id)
				mu.Unlock()
				if err != nil && !assetFailure(err) {
					stop(err)
				}
			}
		})
	}

	it := c.ListIndexedAssets(wctx, indexID, twelvelabs.ListAssetsParams{PageLimit: pageSize, SortBy: "created_at", SortOption: "asc"})
	seen := map[string]bool{}
list:
	for it.Next() {
		a := it.Item()
		mu.Lock()
		progress.Total = max(it.PageInfo().TotalResults, progress.Total)
		if seen[a.ID] { // the list shifted under us: an item came twice
			mu.Unlock()
			continue
		}
		seen[a.ID] = true
		progress.Listed++
		sum.Listed++
		skip := true
		switch rec, ok := done[a.ID]; {
		case a.Status != "" && a.Status != twelvelabs.StatusReady:
			sum.NotReady++
			progress.NotReady++
		case ok && covers(rec.Modalities, wantOptions) && covers(rec.Scopes, wantScopes):
			sum.AlreadyFetched++
			progress.AlreadyFetched++
		default:
			skip = false
		}
		report("")
		mu.Unlock()
		if skip {
			continue
		}
		select {
		case jobs <- a.ID:
		case <-wctx.Done():
			break list
		}
	}
	listErr := it.Err()
	close(jobs)
	wg.Wait()

	byID := func(a, b FetchResult) int { return strings.Compare(a.ID, b.ID) }
	slices.SortFunc(sum.Fetched, byID)
	slices.SortFunc(sum.Failed, byID)
	sum.Modalities = picker.used()
	if len(opts.Modalities) > 0 {
		sum.Modalities = opts.Modalities
	}
	sum.Elapsed = time.Since(start)

	var errs []error
	cause := context.Cause(wctx)
	switch {
	case ctx.Err() != nil:
		errs = append(errs, fmt.Errorf("fetch index %s: %w", indexID, ctx.Err()))
	case listErr != nil && sum.Listed == 0:
		errs = append(errs, fmt.Errorf("fetch index %s: %w", indexID, upstream(listErr)))
	case cause != nil || listErr != nil:
		why := cause
		if why == nil {
			why = upstream(listErr)
		}
		errs = append(errs, fmt.Errorf("fetch index %s: stopped after %d of %d assets: %w", indexID,
			len(sum.Fetched)+sum.AlreadyFetched, max(sum.Listed, progress.Total)-sum.NotReady, why))
	}
	if n := len(sum.Failed); n > 0 && ctx.Err() == nil {
		var failures []error
		for _, f := range sum.Failed {
			if f.Err != cause {
				failures = append(failures, f.Err)
			}
		}
		if len(failures) > 0 {
			errs = append(errs, fmt.Errorf("fetch index %s: %d of %d assets failed: %w", indexID, len(failures),
				len(sum.Fetched)+len(failures), errors.Join(failures...)))
		}
	}
	if ctx.Err() == nil && sum.Imported+sum.Replaced > 0 {
		t := time.Now()
		if err := syncAfterFetch(ctx, db, touched, opts); err != nil {
			errs = append(errs, err)
		}
		sum.IndexElapsed = time.Since(t)
	}
	return sum, errors.Join(errs...)
}

// assetFailure reports whether an asset's failure concerns that asset
// alone (so a FetchIndex goes on with the others) rather than every
// request (credentials, rate limits, cancellation, the store).
func assetFailure(err error) bool {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, twelvelabs.ErrUnauthorized), errors.Is(err, twelvelabs.ErrRateLimited):
		return false
	}
	return twelvelabs.IsNotFound(err) || errors.Is(err, clipvec.ErrInvalidInput) ||
		errors.Is(err, twelvelabs.ErrBadRequest) || errors.Is(err, twelvelabs.ErrServer)
}

// syncAfterFetch brings the graphs of the touched spaces in step, unless
// opts.NoIndex.
func syncAfterFetch(ctx context.Context, db *clipvec.DB, touched []clipvec.Space, opts FetchOptions) error {
	if opts.NoIndex || len(touched) == 0 {
		return nil
	}
	return syncSpaces(ctx, db, touched, opts.IndexProgress)
}

// syncSpaces brings the graphs of the given spaces in step. The data is
// committed by then: a graph that cannot be saved is an
// *IndexNotSavedError, which callers may treat as a warning.
func syncSpaces(ctx context.Context, db *clipvec.DB, touched []clipvec.Space, progress clipvec.IndexProgress) error {
	spaces, err := db.Spaces(ctx) // current counts, for progress
	if err != nil {
		return err
	}
	var sync []clipvec.Space
	for _, sp := range spaces {
		if slices.ContainsFunc(touched, func(t clipvec.Space) bool { return t.Model == sp.Model && t.Dim == sp.Dim }) {
			sync = append(sync, sp)
		}
	}
	return db.SyncCommitted(ctx, "fetch", sync, progress)
}

// SyncFetched brings the graphs of the spaces fetches wrote to in step,
// after fetches made with NoIndex (FetchTask and FetchAsset of several
// objects, say).
func SyncFetched(ctx context.Context, db *clipvec.DB, results []*FetchResult, progress clipvec.IndexProgress) error {
	var touched []clipvec.Space
	for _, r := range results {
		if r != nil && r.Err == nil {
			touched = append(touched, r.spaces...)
		}
	}
	return syncSpaces(ctx, db, touched, progress)
}

// scopes is a scope filter: nil keeps everything; "video" stands for
// the whole-media scope, which v1 calls video and v2 asset.
type scopes map[string]bool

func scopeSet(list []string) scopes {
	if len(list) == 0 {
		return nil
	}
	s := scopes{}
	for _, sc := range canonicalScopes(list) {
		s[sc] = true
	}
	return s
}

func (s scopes) keep(scope string) bool {
	if s == nil {
		return true
	}
	if scope == clipvec.ScopeAsset {
		scope = clipvec.ScopeVideo
	}
	return s[scope]
}

// canonicalScopes maps asset to video (both mean the whole media).
func canonicalScopes(list []string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s == clipvec.ScopeAsset {
			s = clipvec.ScopeVideo
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// covers reports whether a fetch of have (a recorded list, empty for
// all) holds everything a fetch of want asks for.
func covers(have, want []string) bool {
	if len(have) == 0 {
		return true
	}
	if len(want) == 0 {
		return false
	}
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
