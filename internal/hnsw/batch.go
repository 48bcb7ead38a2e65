package hnsw

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// InsertBatch inserts len(labels) unit vectors (vecs is row-major,
// len(labels)·dim values) on threads goroutines (0: GOMAXPROCS), calling
// progress, if set, with the number done so far every 1,024 inserts. The
// vectors get consecutive node ids, in order, from the one returned. With
// one thread and a fixed Seed the graph is the same on every run; with
// more, the links depend on how the inserts interleave. A cancelled batch
// leaves its unfinished ids allocated but unreachable: they are
// tombstoned.
func (g *Graph) InsertBatch(ctx context.Context, vecs []float32, labels []int64, threads int, progress func(done int)) (first uint32, err error) {
	if len(vecs) != len(labels)*g.dim {
		return 0, fmt.Errorf("insert batch: %w: %d values for %d labels of dimension %d", ErrDimension, len(vecs), len(labels), g.dim)
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	g.writeMu.RLock()
	defer g.writeMu.RUnlock()
	first = g.alloc(len(labels))
	var next, done atomic.Int64
	var inserted []atomic.Bool
	if len(labels) > 0 {
		inserted = make([]atomic.Bool, len(labels))
	}
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	for t := 0; t < min(threads, max(1, len(labels))); t++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(labels) {
					return
				}
				if i%256 == 0 && ctx.Err() != nil {
					errOnce.Do(func() { firstErr = ctx.Err() })
					return
				}
				g.insertAt(first+uint32(i), vecs[i*g.dim:(i+1)*g.dim], labels[i])
				inserted[i].Store(true)
				if d := done.Add(1); progress != nil && d%1024 == 0 {
					progress(int(d))
				}
			}
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		// Ids allocated but never linked: no search can reach them, and
		// tombstones keep exact scans from returning them.
		g.mu.RLock()
		for i := range inserted {
			if !inserted[i].Load() {
				g.tombstone(first + uint32(i))
			}
		}
		g.mu.RUnlock()
		return first, firstErr
	}
	if progress != nil {
		progress(len(labels))
	}
	return first, nil
}
