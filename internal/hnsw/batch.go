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
// progress, if set, with the number done so far every 1,024 inserts. With
// one thread and a fixed Seed the graph is the same on every run; with
// more, the links depend on how the inserts interleave. It returns the
// node id of the first vector: the batch's ids are consecutive only when
// nothing else inserts concurrently.
func (g *Graph) InsertBatch(ctx context.Context, vecs []float32, labels []int64, threads int, progress func(done int)) error {
	if len(vecs) != len(labels)*g.dim {
		return fmt.Errorf("insert batch: %w: %d values for %d labels of dimension %d", ErrDimension, len(vecs), len(labels), g.dim)
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	g.Reserve(g.Len() + len(labels))
	var next, done atomic.Int64
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
				if _, err := g.Insert(vecs[i*g.dim:(i+1)*g.dim], labels[i]); err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
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
	if progress != nil && firstErr == nil {
		progress(len(labels))
	}
	return firstErr
}
