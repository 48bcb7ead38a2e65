// Command annbench compares clipvec's HNSW graph (internal/hnsw) with an
// exact scan, hnswlib 0.6.2 (compiled for this machine, and Debian's
// Python module), FAISS 1.7.3's HNSW (flat and 8-bit) and
// github.com/coder/hnsw v0.6.1 side by side, in one run, on the same data
// and parameters: recall@10 against exact ground truth and single-thread
// QPS over an ef sweep at M=16,
// efConstruction=200, build time on one and on all threads, peak RSS,
// snapshot size and load time. Each method runs in a child process of its
// own so that its peak RSS is its own. See benchmarks/README.md (annbench).
//
//	go run ./benchmarks/cmd/annbench                   # synthetic 100k × 512
//	go run ./benchmarks/cmd/annbench -quick            # 10k, for smoke runs
//	go run ./benchmarks/cmd/annbench -data texmex -base sift_base.fvecs -query sift_query.fvecs
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runContext(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
