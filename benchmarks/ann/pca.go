package ann

import (
	"context"
	"fmt"
	"sync"

	"github.com/viterin/vek"
)

// PCA is a projection onto the leading principal components of a set of
// vectors. It is read-only once fitted and safe for concurrent use.
type PCA struct {
	// Mean is the fitted vectors' mean, subtracted before projecting.
	Mean []float64
	// Components are the K directions projected onto, each a unit vector
	// of len(Mean) values, mutually orthogonal, by descending variance.
	Components [][]float64
	// Variances are the fitted vectors' variances along each component:
	// the leading eigenvalues of their covariance, descending.
	Variances []float64
	// TotalVariance is the sum of the variances along every direction:
	// the trace of the covariance.
	TotalVariance float64
}

// covParts is how many row ranges the covariance is summed over, each
// into a matrix of its own, whatever the number of threads: the sums are
// then added in the same order on any machine, so a fit is reproducible
// to the bit.
const covParts = 8

// covChunk is how many rows the covariance takes at a time: their
// centred values, transposed, are 784 × 256 float64 (1.6 MB) at
// Fashion-MNIST's dimension, and each covariance entry gains the dot
// product of two contiguous 256-value columns.
const covChunk = 256

// FitPCA fits the k leading principal components of the rows of x: it
// centres them on their mean, accumulates their covariance (the mean of
// the outer products, in float64) on up to threads goroutines, and takes
// its k leading eigenvectors ([SymmetricEigen]). The covariance costs
// N·D²/2 multiply-adds: a few seconds for 60,000 × 784 on two cores.
func FitPCA(ctx context.Context, x Matrix, k, threads int) (*PCA, error) {
	n, dim := x.Len(), x.Dim
	switch {
	case n < 2:
		return nil, fmt.Errorf("fit PCA: %d vectors, want at least 2", n)
	case k < 1 || k > dim:
		return nil, fmt.Errorf("fit PCA: %d components of %d-dimensional vectors, want 1 to %d", k, dim, dim)
	}
	mean, cov, err := covariance(ctx, x, threads)
	if err != nil {
		return nil, err
	}
	total := 0.0
	for i := range dim {
		total += cov[i*dim+i]
	}
	values, vectors, err := SymmetricEigen(cov, dim)
	if err != nil {
		return nil, fmt.Errorf("fit PCA: covariance of %d × %d: %w", n, dim, err)
	}
	p := &PCA{Mean: mean, Variances: values[:k:k], TotalVariance: total}
	for i := range k {
		p.Components = append(p.Components, vectors[i*dim:(i+1)*dim:(i+1)*dim])
	}
	return p, nil
}

// VarianceKept returns the share of the fitted vectors' total variance
// that the components keep, 0 to 1.
func (p *PCA) VarianceKept() float64 {
	if p.TotalVariance == 0 {
		return 1
	}
	kept := 0.0
	for _, v := range p.Variances {
		kept += v
	}
	return kept / p.TotalVariance
}

// Project returns the rows of x centred on p's mean and projected onto its
// components: a matrix of len(Components) columns, computed in float64 on
// up to threads goroutines.
func (p *PCA) Project(ctx context.Context, x Matrix, threads int) (Matrix, error) {
	dim, k := len(p.Mean), len(p.Components)
	if x.Dim != dim {
		return Matrix{}, fmt.Errorf("project: %d-dimensional vectors, the PCA was fitted on %d", x.Dim, dim)
	}
	n := x.Len()
	out := Matrix{Dim: k, Data: make([]float32, n*k)}
	err := parallelRanges(ctx, n, max(1, threads), func(lo, hi int) {
		c := make([]float64, dim)
		for r := lo; r < hi; r++ {
			if (r-lo)%1024 == 0 && ctx.Err() != nil {
				return
			}
			for i, v := range x.Row(r) {
				c[i] = float64(v) - p.Mean[i]
			}
			o := out.Row(r)
			for j, comp := range p.Components {
				o[j] = float32(vek.Dot(c, comp))
			}
		}
	})
	return out, err
}

// covariance returns the mean of the rows of x and their covariance
// matrix (dim × dim, row-major, dividing by N).
func covariance(ctx context.Context, x Matrix, threads int) (mean, cov []float64, err error) {
	n, dim := x.Len(), x.Dim
	mean = make([]float64, dim)
	for r := range n {
		for i, v := range x.Row(r) {
			mean[i] += float64(v)
		}
	}
	for i := range mean {
		mean[i] /= float64(n)
	}
	parts := make([][]float64, covParts)
	err = parallelRanges(ctx, covParts, max(1, threads), func(lo, hi int) {
		t := make([]float64, dim*covChunk)
		for part := lo; part < hi; part++ {
			acc := make([]float64, dim*dim) // upper triangle only
			parts[part] = acc
			for start := part * n / covParts; start < (part+1)*n/covParts; start += covChunk {
				if ctx.Err() != nil {
					return
				}
				end := min(start+covChunk, (part+1)*n/covParts)
				rows := end - start
				// t[i*rows : (i+1)*rows] is column i of the chunk, centred.
				for r := range rows {
					for i, v := range x.Row(start + r) {
						t[i*rows+r] = float64(v) - mean[i]
					}
				}
				for i := range dim {
					ti := t[i*rows : (i+1)*rows]
					row := acc[i*dim : (i+1)*dim]
					for j := i; j < dim; j++ {
						row[j] += vek.Dot(ti, t[j*rows:(j+1)*rows])
					}
				}
			}
		}
	})
	if err != nil {
		return nil, nil, err
	}
	cov = make([]float64, dim*dim)
	for _, acc := range parts {
		for i, v := range acc {
			cov[i] += v
		}
	}
	for i := range dim {
		for j := i; j < dim; j++ {
			v := cov[i*dim+j] / float64(n)
			cov[i*dim+j], cov[j*dim+i] = v, v
		}
	}
	return mean, cov, nil
}

// parallelRanges splits [0, n) into up to threads contiguous ranges and
// calls f on each in a goroutine of its own. It returns ctx's error if ctx
// ended meanwhile (f should check it in long loops and return early).
func parallelRanges(ctx context.Context, n, threads int, f func(lo, hi int)) error {
	threads = max(1, min(threads, n))
	var wg sync.WaitGroup
	for t := range threads {
		wg.Go(func() { f(t*n/threads, (t+1)*n/threads) })
	}
	wg.Wait()
	return ctx.Err()
}
