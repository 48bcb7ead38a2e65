package main

import (
	"context"
	"fmt"

	"github.com/clipvec/clipvec/benchmarks/ann"
	"github.com/clipvec/clipvec/internal/hnsw"
)

// Two rows for clipvec: "clipvec" is the graph as the engine builds it
// by default (int8 walk, float32 re-rank: IndexParams.Quantize), and
// "clipvec-f32" walks in float32 only, like hnswlib.
func init() {
	for name, quantize := range map[string]bool{"clipvec": true, "clipvec-f32": false} {
		setup := "hnsw.New(dim, Config{M, EfConstruction, Seed, Quantize: %v}); InsertBatch(all rows, labels = row numbers, threads); " +
			"Search(q, k, ef, nil, dst); Save/Load"
		graphKinds[name] = graphKind{
			version:  "github.com/clipvec/clipvec/internal/hnsw (this checkout)",
			setup:    fmt.Sprintf(setup, quantize),
			parallel: true,
			make: func(spec *childSpec, dim int) (graph, error) {
				g, err := hnsw.New(dim, hnsw.Config{M: spec.M, EfConstruction: spec.EfConstruction, Seed: spec.Seed, Quantize: quantize})
				if err != nil {
					return nil, err
				}
				return &clipvecGraph{g: g}, nil
			},
		}
	}
}

type clipvecGraph struct {
	g   *hnsw.Graph
	res []hnsw.Result
}

func (c *clipvecGraph) build(ctx context.Context, base ann.Matrix, threads int, progress func(int)) error {
	labels := make([]int64, base.Len())
	for i := range labels {
		labels[i] = int64(i)
	}
	_, err := c.g.InsertBatch(ctx, base.Data, labels, threads, progress)
	return err
}

func (c *clipvecGraph) search(q []float32, k, ef int, dst []int32) []int32 {
	c.res = c.g.Search(q, k, ef, nil, c.res)
	dst = dst[:0]
	for _, r := range c.res {
		dst = append(dst, int32(r.Label))
	}
	return dst
}

func (c *clipvecGraph) len() int { return c.g.Len() }

func (c *clipvecGraph) save(path string) error { return c.g.Save(path, hnsw.Meta{Generation: 1}) }

func (c *clipvecGraph) load(path string) error {
	g, _, _, err := hnsw.Load(path)
	if err != nil {
		return err
	}
	c.g = g
	return nil
}
