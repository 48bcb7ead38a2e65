package clipvec

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/internal/sqlite"
)

// ImportOptions tune Import. The zero value imports with no overrides.
type ImportOptions struct {
	// VideoID, when set, is the video of every imported segment. Embed
	// tasks name only their task id, which is the default video id.
	//
	// So that it never merges different videos by mistake, Import then
	// reads every input once before it writes anything, and fails with
	// ErrSeveralVideos, importing nothing, when the inputs are of
	// different videos: when they name more than one video themselves
	// (indexed assets and videos name theirs; clipvec JSONL and Parquet
	// exports name each segment's), or when two inputs hold a segment
	// with the same model, dimension, option, scope and times (under one
	// video one would replace the other). Inputs that name no video
	// (embed tasks, sync responses) are otherwise taken as parts of the
	// one video: a visual task and an audio task of one video, say.
	// ImportReader, which reads its one stream once, does not check.
	VideoID string
	// MergeVideos files the inputs under VideoID even when they are of
	// different videos: no check.
	MergeVideos bool
	// Model is the model of responses that name none (embed-v2 responses;
	// default marengo3.0, or marengo3.5 when their metadata has
	// embedding_dimension). A model named by the response wins.
	Model string
	// Dim, when set, rejects vectors of any other length. Otherwise the
	// first vector of each model in a file sets the length for the rest.
	Dim int
	// SkipInvalid imports a file's good records and reports the bad ones
	// instead of rejecting the file. Malformed JSON, unknown shapes and
	// tasks that are not ready still reject it.
	SkipInvalid bool
	// Stdin is read for the path "-" (default os.Stdin).
	Stdin io.Reader
	// Progress, when set, is called every few hundred segments from the
	// importing goroutine.
	Progress func(ImportProgress)
	// NoIndex leaves the graphs alone: by default, once the files are
	// in, Import brings the graphs of the spaces it wrote to in step
	// (building them the first time) and saves their snapshots. Without,
	// the next search does it.
	NoIndex bool
	// IndexProgress, when set, reports that last step.
	IndexProgress IndexProgress

	// BeforeCommit, when set, runs in each file's transaction after its
	// segments are written and before it commits: a fetch
	// (pkg/clipvec/upstream) records the upstream object there, so the
	// record exists exactly when its segments do. An error rolls the file
	// back.
	BeforeCommit func(*ImportTx) error
}

// ImportTx is a file's import transaction, as BeforeCommit sees it.
type ImportTx struct{ tx *sqlite.Tx }

// Inserted counts the new segments the transaction wrote.
func (t *ImportTx) Inserted() int { return t.tx.Inserted }

// Replaced counts the segments that replaced stored ones.
func (t *ImportTx) Replaced() int { return t.tx.Replaced }

// Unchanged counts the segments found stored exactly as given (vector,
// norm, provenance), which were left as they are.
func (t *ImportTx) Unchanged() int { return t.tx.Unchanged }

// RecordFetch records, in the transaction, that an upstream object was
// fetched (see FetchedObjects).
func (t *ImportTx) RecordFetch(f Fetched) error { return t.tx.RecordFetch(f.row()) }

// ImportProgress is a snapshot of a running import.
type ImportProgress struct {
	File             string
	FileIndex, Files int   // 0-based index of File among Files
	Bytes, Size      int64 // raw bytes read of File and its size (-1: unknown)
	Segments         int   // segments of File decoded so far
	TotalSegments    int   // segments of all files decoded so far
}

// FileResult is what happened to one input. Imported counts new
// segments, Replaced stored segments given another vector or
// provenance, Unchanged stored segments found exactly as given (left as
// they are: importing a file again writes nothing, and leaves the
// generation and the search graphs as they were).
type FileResult struct {
	Name      string `json:"file"`
	Imported  int    `json:"imported"`
	Replaced  int    `json:"replaced"`
	Unchanged int    `json:"unchanged"`
	Skipped   int    `json:"skipped"`
	// QueryEmbeddings counts text/image query embeddings found beside
	// video segments (v1 /embed responses) and left out.
	QueryEmbeddings int `json:"query_embeddings,omitempty"`
	// Invalid holds the messages of skipped records (the first 100).
	Invalid []string `json:"invalid,omitempty"`
	// Spaces are the embedding spaces its segments went to (set by
	// ImportReader).
	Spaces []Space `json:"-"`
	// Err is why the file was rejected; nothing of it was stored.
	Err error `json:"-"`
}

// ImportSummary totals an import. Rejected counts files; the others count
// segments.
type ImportSummary struct {
	Files     []FileResult  `json:"files"`
	Imported  int           `json:"imported"`
	Replaced  int           `json:"replaced"`
	Unchanged int           `json:"unchanged"`
	Skipped   int           `json:"skipped"`
	Rejected  int           `json:"rejected"`
	Elapsed   time.Duration `json:"elapsed_ns"`
	// NewSpaces lists the embedding spaces this import created for a model
	// that already had vectors of another dimension: legitimate for
	// Marengo 3.5 (128, 256 or 512), a likely mistake otherwise, since
	// vectors of different spaces are never compared.
	NewSpaces []Space `json:"new_spaces,omitempty"`
	// IndexElapsed is the time spent bringing the graphs up to date
	// after the files were in (0 with NoIndex).
	IndexElapsed time.Duration `json:"index_elapsed_ns,omitempty"`
}

// Import reads files, directories (recursively: *.json, *.jsonl,
// *.ndjson, optionally .gz, and *.parquet) and "-" (standard input), in
// order, each file in its own transaction: a rejected file leaves the
// database exactly as it was, and a killed import keeps every file
// committed before.
//
// A Parquet file (recognised by its magic bytes or a .parquet name) is
// read as clipvec's Parquet export (see ExportParquet), with the JSONL
// export's guarantees and checks. Parquet is read at random offsets, so
// one that comes as a stream (standard input, a gzipped file) is first
// copied to an unlinked temporary file.
//
// A regular file is written as it is decoded. Any other input (standard
// input, a pipe, a FIFO), which can stall waiting for its writer, is
// first decoded and checked to its end into a spool (memory up to 16 MB,
// then an unlinked temporary file), and its transaction begins only
// then: the database's write lock is never held waiting for input.
//
// Inputs past the decoder's limits (arrays and objects nested more than
// 1,000 deep, strings longer than 16 MiB, ids longer than 1,024 bytes,
// model names, options and scopes longer than 128, vectors of more than
// 65,536 values) and identifiers that are not valid UTF-8 are rejected
// like any bad input (ErrInvalidInput); memory stays bounded whatever
// the input.
//
// The summary is always returned. The error is non-nil when a path does
// not exist (nothing is imported; it wraps ErrNotFound) or when any file
// was rejected (the others are imported; it wraps ErrInvalidInput and
// every file's error).
func (db *DB) Import(ctx context.Context, paths []string, opts ImportOptions) (*ImportSummary, error) {
	start := time.Now()
	sum := &ImportSummary{}
	files, err := ingest.Expand(paths)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return sum, fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		return sum, err
	}
	if len(files) == 0 {
		return sum, fmt.Errorf("import %s: %w: no .json, .jsonl or .ndjson files (optionally .gz) or .parquet files there",
			strings.Join(paths, " "), ErrNotFound)
	}
	if opts.VideoID != "" && !opts.MergeVideos {
		stdin, err := checkOneVideo(ctx, files, &opts)
		if stdin != nil {
			defer stdin.Close()
		}
		if err != nil {
			return sum, err
		}
	}
	before, err := db.Spaces(ctx)
	if err != nil {
		return sum, err
	}
	p := newPipeline(ctx, db.store)
	states := make([]*fileState, 0, len(files))
	for i, name := range files {
		if ctx.Err() != nil {
			break
		}
		states = append(states, p.importFile(name, i, len(files), opts))
	}
	p.wait()
	var rejected []error
	for _, f := range states {
		res := f.result(ctx)
		sum.Files = append(sum.Files, res)
		sum.Imported += res.Imported
		sum.Replaced += res.Replaced
		sum.Unchanged += res.Unchanged
		sum.Skipped += res.Skipped
		if res.Err != nil && ctx.Err() == nil {
			sum.Rejected++
			rejected = append(rejected, res.Err)
		}
	}
	sum.Elapsed = time.Since(start)
	if err := ctx.Err(); err != nil {
		return sum, err
	}
	after, err := db.Spaces(ctx)
	if err == nil {
		sum.NewSpaces = splitSpaces(before, after)
	}
	if !opts.NoIndex && sum.Imported+sum.Replaced > 0 && err == nil {
		var touched []Space
		for _, sp := range after {
			if p.touched[spaceKey{sp.Model, sp.Dim}] {
				touched = append(touched, sp)
			}
		}
		start := time.Now()
		if err := db.SyncCommitted(ctx, "import", touched, opts.IndexProgress); err != nil {
			rejected = append(rejected, err)
		} else {
			sum.IndexElapsed = time.Since(start)
		}
	}
	if len(rejected) > 0 {
		return sum, errors.Join(rejected...)
	}
	return sum, nil
}

// splitSpaces returns the spaces of after that are not in before and whose
// model before had at another dimension.
func splitSpaces(before, after []Space) []Space {
	var out []Space
	for _, a := range after {
		known, sameModel := false, false
		for _, b := range before {
			known = known || (b.Model == a.Model && b.Dim == a.Dim)
			sameModel = sameModel || b.Model == a.Model
		}
		if !known && sameModel {
			out = append(out, a)
		}
	}
	return out
}

// ImportReader imports one stream (any shape Import reads, gzip
// included) in one transaction. name is used in messages and as the
// source id of responses that name none. A stream that can stall is read
// to its end, and checked, before the transaction begins (see Import),
// so it never holds the database's write lock waiting; a body already in
// memory (a *bytes.Reader or *strings.Reader) is written as it is
// decoded. The result names the spaces its segments went to.
func (db *DB) ImportReader(ctx context.Context, name string, r io.Reader, opts ImportOptions) (FileResult, error) {
	stage := true
	switch r.(type) {
	case *bytes.Reader, *strings.Reader:
		stage = false
	}
	p := newPipeline(ctx, db.store)
	var f *fileState
	if rd, err := ingest.NewReader(r, -1, name); err != nil { // gzip detected by its magic bytes
		f = &fileState{res: FileResult{Name: name}, decErr: err}
	} else {
		defer rd.Close()
		f = p.importStream(name, rd, -1, nil, stage, 0, 1, opts)
	}
	p.wait()
	res := f.result(ctx)
	if res.Err == nil {
		// From what the pipeline wrote, not a query: once the file is
		// committed, nothing may turn it into a failure (the caller's
		// context may end right after).
		for k := range p.touched {
			res.Spaces = append(res.Spaces, Space{Model: k.model, Dim: k.dim})
		}
		slices.SortFunc(res.Spaces, func(a, b Space) int { return cmp.Or(strings.Compare(a.Model, b.Model), a.Dim-b.Dim) })
	}
	return res, res.Err
}

// pipeline imports files with decoding and writing on two goroutines:
// the caller's goroutine decodes (JSON → checked unit vectors), a writer
// goroutine applies batches to SQLite, one transaction per file. Decoding
// runs ahead into the next file while the writer commits the last one, so
// a directory of small files keeps both busy; a bounded pool of batches
// holds the decoder back when the writer falls behind.
type pipeline struct {
	ctx    context.Context
	events chan event
	free   chan *batch
	done   chan struct{}
	total  int // segments decoded, all files (decoder goroutine only)
	// touched records the spaces segments went to (decoder goroutine;
	// read after wait).
	touched map[spaceKey]bool
}

type eventKind int

const (
	evBegin eventKind = iota
	evBatch
	evEnd
)

type event struct {
	kind  eventKind
	file  *fileState
	batch *batch
}

// fileState is one input's journey through the pipeline. The decoder
// writes res (but for the counts), decErr; the writer writes writeErr and
// the counts. The channel hand-offs order those writes before wait
// returns.
type fileState struct {
	res          FileResult
	decErr       error
	writeErr     error
	cancel       context.CancelFunc    // stops the decoder when a write fails
	beforeCommit func(*ImportTx) error // ImportOptions.BeforeCommit
}

// result turns the file's errors into FileResult.Err.
func (f *fileState) result(ctx context.Context) FileResult {
	res := f.res
	switch {
	case f.writeErr != nil:
		res.Err = fmt.Errorf("import %s: %w", res.Name, f.writeErr)
	case f.decErr != nil:
		var ie *ingest.Error
		switch {
		case errors.As(f.decErr, &ie):
			res.Err = asInput(fmt.Errorf("import %w", f.decErr))
		case ctx.Err() != nil:
			res.Err = ctx.Err()
		default:
			res.Err = fmt.Errorf("import %s: %w", res.Name, f.decErr)
		}
	}
	if res.Err != nil {
		res.Imported, res.Replaced, res.Unchanged = 0, 0, 0
	}
	return res
}

// batchSize is segments per batch handed from the decoder to the writer.
const batchSize = 256

func newPipeline(ctx context.Context, store *sqlite.DB) *pipeline {
	p := &pipeline{ctx: ctx, events: make(chan event, 8), free: make(chan *batch, 6), done: make(chan struct{}), touched: map[spaceKey]bool{}}
	for i := 0; i < cap(p.free); i++ {
		p.free <- &batch{items: make([]item, 0, batchSize)}
	}
	go p.write(store)
	return p
}

// write is the writer goroutine.
func (p *pipeline) write(store *sqlite.DB) {
	defer close(p.done)
	var tx *sqlite.Tx
	for ev := range p.events {
		f := ev.file
		switch ev.kind {
		case evBegin:
			var err error
			if tx, err = store.Begin(p.ctx); err != nil {
				f.writeErr = err
				f.cancel()
			}
		case evBatch:
			if tx != nil && f.writeErr == nil {
				if err := apply(tx, ev.batch); err != nil {
					f.writeErr = err
					f.cancel()
				}
			}
			ev.batch.items = ev.batch.items[:0]
			p.free <- ev.batch
		case evEnd:
			if tx == nil {
				continue
			}
			if f.writeErr == nil && f.decErr == nil && f.beforeCommit != nil {
				f.writeErr = f.beforeCommit(&ImportTx{tx})
			}
			if f.writeErr == nil && f.decErr == nil {
				if err := tx.Commit(); err != nil {
					f.writeErr = err
				} else {
					f.res.Imported, f.res.Replaced, f.res.Unchanged = tx.Inserted, tx.Replaced, tx.Unchanged
				}
			}
			tx.Rollback() // no-op after a commit
			tx = nil
		}
	}
}

// wait lets the writer finish everything sent so far.
func (p *pipeline) wait() {
	close(p.events)
	<-p.done
}

func (p *pipeline) importFile(name string, index, files int, opts ImportOptions) *fileState {
	var r *ingest.Reader
	var err error
	switch {
	case name == "-" && opts.Stdin != nil:
		r, err = ingest.NewReader(opts.Stdin, -1, "-")
	default:
		r, err = ingest.Open(name, nil)
	}
	if err != nil {
		return &fileState{res: FileResult{Name: name}, decErr: err}
	}
	defer r.Close()
	return p.importStream(name, r, r.Size, r.Raw, !r.Regular, index, files, opts)
}

// importStream decodes one input into the pipeline; raw (optional) counts
// the input's bytes for progress.
//
// With stage, the input (one that can stall: stdin, a pipe) is decoded
// and checked to its end into an ingest.Stage before its transaction
// begins, so a slow writer upstream never holds the database's write lock
// (which another import would wait 10 s for, then fail with "database is
// locked"); a rejected input then never begins one. Without, it is
// written as it is decoded: a file is all there, and reads at disk speed.
func (p *pipeline) importStream(name string, r *ingest.Reader, size int64, raw *ingest.Counter, stage bool, index, files int, opts ImportOptions) *fileState {
	fctx, cancel := context.WithCancel(p.ctx)
	defer cancel()
	f := &fileState{res: FileResult{Name: name}, cancel: cancel, beforeCommit: opts.BeforeCommit}
	var progress func(int)
	if opts.Progress != nil {
		progress = func(n int) {
			var read int64
			if raw != nil {
				read = raw.N()
			}
			opts.Progress(ImportProgress{File: name, FileIndex: index, Files: files, Bytes: read, Size: size,
				Segments: n, TotalSegments: p.total + n})
		}
		progress(0)
	}
	dopts := ingest.Options{
		Name: name, VideoID: opts.VideoID, Model: opts.Model, Dim: opts.Dim,
		SkipInvalid: opts.SkipInvalid,
		Invalid: func(e *ingest.Error) {
			if len(f.res.Invalid) < 100 {
				f.res.Invalid = append(f.res.Invalid, e.Error())
			}
		},
		Progress: progress,
	}
	h := &importHandler{ctx: fctx, p: p, file: f}
	var st ingest.Stats
	var err error
	began := false
	if stage {
		var staged ingest.Stage
		defer staged.Close()
		if st, err = r.Decode(fctx, dopts, &staged); err == nil {
			p.events <- event{kind: evBegin, file: f}
			began = true
			err = staged.Replay(h)
			h.flush()
		}
	} else {
		p.events <- event{kind: evBegin, file: f}
		began = true
		st, err = r.Decode(fctx, dopts, h)
		h.flush()
	}
	f.decErr = err
	f.res.Skipped, f.res.QueryEmbeddings = st.Skipped, st.QueryEmbeddings
	if progress != nil {
		progress(st.Segments)
	}
	p.total += st.Segments
	if began {
		p.events <- event{kind: evEnd, file: f}
	}
	return f
}

type item struct {
	seg   sqlite.Segment
	video *sqlite.Video // non-nil: a video's metadata, not a segment
}

type batch struct{ items []item }

func apply(tx *sqlite.Tx, b *batch) error {
	for i := range b.items {
		it := &b.items[i]
		if it.video != nil {
			if err := tx.UpsertVideo(it.video); err != nil {
				return err
			}
			continue
		}
		if _, err := tx.UpsertSegment(&it.seg); err != nil {
			return err
		}
	}
	return nil
}

// importHandler copies decoded segments into batches for the writer.
type importHandler struct {
	ctx  context.Context
	p    *pipeline
	file *fileState
	cur  *batch
}

func (h *importHandler) flush() {
	if h.cur != nil && len(h.cur.items) > 0 {
		h.p.events <- event{kind: evBatch, file: h.file, batch: h.cur}
	} else if h.cur != nil {
		h.p.free <- h.cur
	}
	h.cur = nil
}

func (h *importHandler) slot() (*item, error) {
	if h.cur != nil && len(h.cur.items) == cap(h.cur.items) {
		h.flush()
	}
	if h.cur == nil {
		select {
		case h.cur = <-h.p.free:
		case <-h.ctx.Done():
			return nil, h.ctx.Err()
		}
	}
	n := len(h.cur.items)
	h.cur.items = h.cur.items[:n+1]
	return &h.cur.items[n], nil
}

func (h *importHandler) Segment(s *ingest.Segment) error {
	h.p.touched[spaceKey{s.Model, len(s.Vector)}] = true
	it, err := h.slot()
	if err != nil {
		return err
	}
	vec := append(it.seg.Vector[:0], s.Vector...) // reuse the slot's buffer
	it.video = nil
	it.seg = sqlite.Segment{VideoID: s.VideoID, Model: s.Model, Option: s.Option, Scope: s.Scope,
		Start: s.Start, End: s.End, SourceKind: s.SourceKind, SourceID: s.SourceID, Norm: s.Norm, Vector: vec}
	return nil
}

func (h *importHandler) Video(v *ingest.Video) error {
	it, err := h.slot()
	if err != nil {
		return err
	}
	it.video = &sqlite.Video{ID: v.ID, Filename: v.Filename, Duration: v.Duration, FPS: v.FPS,
		Width: v.Width, Height: v.Height, UserMetadata: v.UserMetadata, ThumbnailURL: v.ThumbnailURL}
	return nil
}
