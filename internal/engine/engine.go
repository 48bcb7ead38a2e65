package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"

	"github.com/clipvec/clipvec/internal/atomicfile"
	"github.com/clipvec/clipvec/internal/sqlite"
)

// ErrInvalidQuery is wrapped by the errors of a search or a parameter
// that cannot be used as given (clipvec.ErrInvalidQuery is this error).
var ErrInvalidQuery = errors.New("invalid query")

// Engine keeps the search indexes of one store: a graph and columns per
// embedding space, in memory, loaded from and saved to snapshots beside
// the store's file, and kept in step with it. It is safe for concurrent
// use; the lock protocol is written on spaceIndex.
type Engine struct {
	store *sqlite.DB
	path  string // the store's file; snapshots go in path + ".index"
	// storeID is the store's random id, stamped into every snapshot.
	storeID int64
	// readOnly: graphs live in memory only.
	readOnly bool
	// threads says how many goroutines builds and exact scans use.
	threads func() int
	// onWork is Options.OnWork.
	onWork func(Work)

	// mu guards the indexes map, and is never held while a graph is read,
	// built or saved.
	mu      sync.Mutex
	indexes map[spaceKey]*indexSlot

	params sqlite.GenCache[Params]
}

type spaceKey struct {
	model string
	dim   int
}

func keyOf(sp sqlite.Space) spaceKey { return spaceKey{sp.Model, sp.Dim} }

// Options configure an Engine.
type Options struct {
	// ReadOnly keeps graphs in memory: nothing is written beside the
	// store (and temporary files there are left alone).
	ReadOnly bool
	// Threads, when set, is asked before each build and exact scan how
	// many goroutines to use (default: GOMAXPROCS).
	Threads func() int
	// OnWork, when set, is told of every change to a graph as it goes
	// (see Work): what a search, a Sync, a Build or a Compact does to
	// which space, and why.
	OnWork func(Work)
}

// New opens the engine of store. Unless read-only, it removes what
// writers that died left in the index directory: a snapshot another
// process is writing is locked, and stays; a leftover that cannot be
// removed now is harmless, and a later New removes it.
func New(ctx context.Context, store *sqlite.DB, opts Options) (*Engine, error) {
	id, err := store.ID(ctx)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", store.Path(), err)
	}
	if !opts.ReadOnly {
		_ = atomicfile.CleanTemp(snapshotDir(store.Path()))
	}
	threads := opts.Threads
	if threads == nil {
		threads = func() int { return runtime.GOMAXPROCS(0) }
	}
	return &Engine{store: store, path: store.Path(), storeID: id, readOnly: opts.ReadOnly, threads: threads, onWork: opts.OnWork,
		indexes: map[spaceKey]*indexSlot{}}, nil
}

// Threads is how many goroutines to use now (at least 1).
func (e *Engine) Threads() int { return max(e.threads(), 1) }

// Close saves the snapshots of graphs that changed since they were loaded
// (a search that caught up with an import, say) and forgets every graph.
func (e *Engine) Close() error {
	err := e.saveIndexes(e.openedIndexes())
	e.mu.Lock()
	e.indexes = map[spaceKey]*indexSlot{}
	e.mu.Unlock()
	return err
}

// HasGraph reports whether space sp has a graph, in memory or on disk.
func (e *Engine) HasGraph(ctx context.Context, sp sqlite.Space) (bool, error) {
	if e.openedIndex(keyOf(sp)) != nil {
		return true, nil
	}
	id, err := e.store.SpaceID(ctx, sp.Model, sp.Dim)
	if err != nil {
		return false, err
	}
	_, err = os.Lstat(snapshotPath(e.path, id, sp))
	return err == nil, nil
}
