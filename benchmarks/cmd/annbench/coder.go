package main

import (
	"bufio"
	"context"
	"fmt"
	"math/rand"
	"os"
	"runtime/debug"

	coder "github.com/coder/hnsw"

	"github.com/clipvec/clipvec/benchmarks/ann"
)

// coder/hnsw has one candidate-list length, EfSearch, used both while
// inserting and while searching: the harness sets it to efConstruction for
// the build and to each ef of the sweep before searching. Its Ml is the
// probability that a node reaches the next layer up; 1/M gives hnswlib's
// level distribution (hnswlib's mL = 1/ln M), where the library's default
// 0.25 would give more, smaller layers.
func init() {
	graphKinds["coder"] = graphKind{
		version: moduleVersion("github.com/coder/hnsw"),
		setup: "Graph[uint32]{M: M, Ml: 1/M, Distance: CosineDistance, Rng: seeded}; " +
			"EfSearch = efConstruction while adding (one Add per vector, one thread: not safe for concurrent Add), " +
			"then EfSearch = ef for each point of the sweep; snapshot with Export/Import",
		parallel: false,
		make: func(spec *childSpec, dim int) (graph, error) {
			g := coder.NewGraph[uint32]()
			g.M = spec.M
			g.Ml = 1 / float64(spec.M)
			g.Distance = coder.CosineDistance
			g.EfSearch = spec.EfConstruction
			g.Rng = rand.New(rand.NewSource(int64(spec.Seed)))
			return &coderGraph{g: g, efConstruction: spec.EfConstruction}, nil
		},
	}
}

type coderGraph struct {
	g              *coder.Graph[uint32]
	efConstruction int
}

func (c *coderGraph) build(ctx context.Context, base ann.Matrix, threads int, progress func(int)) error {
	c.g.EfSearch = c.efConstruction
	for i := range base.Len() {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			progress(i)
		}
		c.g.Add(coder.MakeNode(uint32(i), base.Row(i)))
	}
	progress(base.Len())
	return nil
}

func (c *coderGraph) search(q []float32, k, ef int, dst []int32) []int32 {
	c.g.EfSearch = ef
	dst = dst[:0]
	for _, n := range c.g.Search(q, k) {
		dst = append(dst, int32(n.Key))
	}
	return dst
}

func (c *coderGraph) save(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := c.g.Export(w); err != nil {
		f.Close()
		return fmt.Errorf("export coder/hnsw graph: %w", err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (c *coderGraph) load(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := c.g.Import(bufio.NewReaderSize(f, 1<<20)); err != nil {
		return fmt.Errorf("import coder/hnsw graph: %w", err)
	}
	return nil
}

func (c *coderGraph) len() int { return c.g.Len() }

// moduleVersion returns "path version" of a dependency of this binary.
func moduleVersion(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == path {
				return d.Path + " " + d.Version
			}
		}
	}
	return path
}
