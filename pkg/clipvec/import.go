package clipvec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/internal/sqlite"
)

// ImportOptions tune Import. The zero value imports with no overrides.
type ImportOptions struct {
	// VideoID, when set, is the video of every imported segment. Embed
	// tasks name only their task id, which is the default video id.
	VideoID string
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
}

// ImportProgress is a snapshot of a running import.
type ImportProgress struct {
	File             string
	FileIndex, Files int   // 0-based index of File among Files
	Bytes, Size      int64 // raw bytes read of File and its size (-1: unknown)
	Segments         int   // segments of File decoded so far
}

// FileResult is what happened to one input.
type FileResult struct {
	Name     string `json:"file"`
	Imported int    `json:"imported"`
	Replaced int    `json:"replaced"`
	Skipped  int    `json:"skipped"`
	// QueryEmbeddings counts text/image query embeddings found beside
	// video segments (v1 /embed responses) and left out.
	QueryEmbeddings int `json:"query_embeddings,omitempty"`
	// Invalid holds the messages of skipped records (the first 100).
	Invalid []string `json:"invalid,omitempty"`
	// Err is why the file was rejected; nothing of it was stored.
	Err error `json:"-"`
}

// ImportSummary totals an import. Rejected counts files; the others count
// segments.
type ImportSummary struct {
	Files    []FileResult  `json:"files"`
	Imported int           `json:"imported"`
	Replaced int           `json:"replaced"`
	Skipped  int           `json:"skipped"`
	Rejected int           `json:"rejected"`
	Elapsed  time.Duration `json:"elapsed_ns"`
}

// Import reads files, directories (recursively: *.json, *.jsonl,
// *.ndjson, optionally .gz) and "-" (standard input), in order, each file
// in its own transaction: a rejected file leaves the database exactly as
// it was, and a killed import keeps every file committed before.
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
	var rejected []error
	for i, name := range files {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		res := db.importFile(ctx, name, i, len(files), opts)
		sum.Files = append(sum.Files, res)
		sum.Imported += res.Imported
		sum.Replaced += res.Replaced
		sum.Skipped += res.Skipped
		if res.Err != nil {
			if ctx.Err() != nil {
				return sum, ctx.Err()
			}
			sum.Rejected++
			rejected = append(rejected, res.Err)
		}
	}
	sum.Elapsed = time.Since(start)
	if len(rejected) > 0 {
		return sum, errors.Join(rejected...)
	}
	return sum, nil
}

func (db *DB) importFile(ctx context.Context, name string, index, files int, opts ImportOptions) FileResult {
	res := FileResult{Name: name}
	var r *ingest.Reader
	var err error
	if name == "-" {
		stdin := opts.Stdin
		if stdin == nil {
			r, err = ingest.Open("-", nil)
		} else {
			r, err = ingest.NewReader(stdin, -1, "-")
		}
	} else {
		r, err = ingest.Open(name, nil)
	}
	if err != nil {
		res.Err = fmt.Errorf("import %s: %w", name, err)
		return res
	}
	defer r.Close()
	var progress func(int)
	if opts.Progress != nil {
		progress = func(n int) {
			opts.Progress(ImportProgress{File: name, FileIndex: index, Files: files,
				Bytes: r.Raw.N(), Size: r.Size, Segments: n})
		}
	}
	if err := db.ImportReader(ctx, name, r, opts, progress, &res); err != nil {
		res.Err = err
		res.Imported, res.Replaced = 0, 0
	}
	return res
}

// ImportReader imports one stream (any shape Import reads, gzip
// included) in one transaction, adding its counts to res. name is used in
// messages and as the source id of responses that name none.
func (db *DB) ImportReader(ctx context.Context, name string, r io.Reader, opts ImportOptions, progress func(segments int), res *FileResult) error {
	if res == nil {
		res = &FileResult{Name: name}
	}
	tx, err := db.store.Begin(ctx)
	if err != nil {
		return fmt.Errorf("import %s: %w", name, err)
	}
	defer tx.Rollback()

	// Decoding (JSON → vectors) and writing (SQLite) each take about half
	// the time, so they run on two goroutines joined by a queue of
	// reusable batches.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := newBatchWriter(ctx, tx, cancel)
	h := &importHandler{w: w}
	st, decErr := ingest.Decode(ctx, r, ingest.Options{
		Name: name, VideoID: opts.VideoID, Model: opts.Model, Dim: opts.Dim,
		SkipInvalid: opts.SkipInvalid,
		Invalid: func(e *ingest.Error) {
			if len(res.Invalid) < 100 {
				res.Invalid = append(res.Invalid, e.Error())
			}
		},
		Progress: progress,
	}, h)
	writeErr := w.close(h.cur)
	res.Skipped += st.Skipped
	res.QueryEmbeddings += st.QueryEmbeddings
	switch {
	case writeErr != nil:
		return fmt.Errorf("import %s: %w", name, writeErr)
	case decErr != nil:
		var ie *ingest.Error
		if errors.As(decErr, &ie) {
			return &inputError{fmt.Errorf("import %w", decErr)}
		}
		return fmt.Errorf("import %s: %w", name, decErr)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("import %s: %w", name, err)
	}
	res.Imported += tx.Inserted
	res.Replaced += tx.Replaced
	return nil
}

// batchSize is segments per batch handed from the decoder to the writer.
const batchSize = 256

type item struct {
	seg   sqlite.Segment
	video *sqlite.Video // non-nil: a video's metadata, not a segment
}

type batch struct{ items []item }

// batchWriter applies batches to a transaction on its own goroutine.
type batchWriter struct {
	ctx    context.Context
	full   chan *batch
	free   chan *batch
	done   chan error
	cancel context.CancelFunc
}

func newBatchWriter(ctx context.Context, tx *sqlite.Tx, cancel context.CancelFunc) *batchWriter {
	w := &batchWriter{ctx: ctx, full: make(chan *batch, 3), free: make(chan *batch, 4), done: make(chan error, 1), cancel: cancel}
	for i := 0; i < 4; i++ {
		w.free <- &batch{items: make([]item, 0, batchSize)}
	}
	go func() {
		var err error
		for b := range w.full {
			if err == nil {
				err = apply(tx, b)
				if err != nil {
					cancel() // stop the decoder
				}
			}
			b.items = b.items[:0]
			w.free <- b
		}
		w.done <- err
	}()
	return w
}

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

// next returns an empty batch, waiting for the writer to free one.
func (w *batchWriter) next() (*batch, error) {
	select {
	case b := <-w.free:
		return b, nil
	case <-w.ctx.Done():
		return nil, w.ctx.Err()
	}
}

// close sends the last batch and waits for the writer.
func (w *batchWriter) close(last *batch) error {
	if last != nil && len(last.items) > 0 {
		w.full <- last
	}
	close(w.full)
	return <-w.done
}

// importHandler copies decoded segments into batches.
type importHandler struct {
	w   *batchWriter
	cur *batch
}

func (h *importHandler) slot() (*item, error) {
	if h.cur != nil && len(h.cur.items) == cap(h.cur.items) {
		h.w.full <- h.cur
		h.cur = nil
	}
	if h.cur == nil {
		b, err := h.w.next()
		if err != nil {
			return nil, err
		}
		h.cur = b
	}
	n := len(h.cur.items)
	h.cur.items = h.cur.items[:n+1]
	return &h.cur.items[n], nil
}

func (h *importHandler) Segment(s *ingest.Segment) error {
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
		Width: v.Width, Height: v.Height, UserMetadata: v.UserMetadata}
	return nil
}
