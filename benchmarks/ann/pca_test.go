package ann_test

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/clipvec/clipvec/benchmarks/ann"
)

// jacobiEigen is the brute-force reference: cyclic Jacobi rotations on a
// copy of the symmetric n × n matrix a until its off-diagonal mass is
// below 1e-26 of its total, then eigenvalues descending and eigenvectors
// as rows.
func jacobiEigen(tb testing.TB, a []float64, n int) (values []float64, vectors [][]float64) {
	tb.Helper()
	a = slices.Clone(a)
	v := make([]float64, n*n)
	for i := range n {
		v[i*n+i] = 1
	}
	total := 0.0
	for _, x := range a {
		total += x * x
	}
	for sweep := 0; ; sweep++ {
		off := 0.0
		for i := range n {
			for j := range n {
				if i != j {
					off += a[i*n+j] * a[i*n+j]
				}
			}
		}
		if off <= 1e-26*total {
			break
		}
		if sweep == 100 {
			tb.Fatalf("jacobi: off-diagonal %g of %g after 100 sweeps", off, total)
		}
		for p := range n {
			for q := p + 1; q < n; q++ {
				if a[p*n+q] == 0 {
					continue
				}
				// The rotation in the (p, q) plane that zeroes a[p][q].
				theta := (a[q*n+q] - a[p*n+p]) / (2 * a[p*n+q])
				t := math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for k := range n { // columns p, q
					akp, akq := a[k*n+p], a[k*n+q]
					a[k*n+p], a[k*n+q] = c*akp-s*akq, s*akp+c*akq
				}
				for k := range n { // rows p, q
					apk, aqk := a[p*n+k], a[q*n+k]
					a[p*n+k], a[q*n+k] = c*apk-s*aqk, s*apk+c*aqk
				}
				for k := range n { // eigenvectors are the columns of v
					vkp, vkq := v[k*n+p], v[k*n+q]
					v[k*n+p], v[k*n+q] = c*vkp-s*vkq, s*vkp+c*vkq
				}
			}
		}
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int { return -cmpFloat(a[i*n+i], a[j*n+j]) })
	for _, i := range order {
		values = append(values, a[i*n+i])
		vec := make([]float64, n)
		for k := range n {
			vec[k] = v[k*n+i]
		}
		vectors = append(vectors, vec)
	}
	return values, vectors
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func dot64(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func randomSymmetric(rng *rand.Rand, n int) []float64 {
	a := make([]float64, n*n)
	for i := range n {
		for j := i; j < n; j++ {
			x := rng.NormFloat64()
			a[i*n+j], a[j*n+i] = x, x
		}
	}
	return a
}

func TestSymmetricEigen(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 1))
	// A matrix with a repeated eigenvalue and a zero row and column:
	// Q·diag(5, 2, 2, 0, -1, 7)·Qᵀ for a random orthogonal Q, then a row
	// and column of zeros appended.
	degenerate := func() []float64 {
		const n = 6
		lambda := []float64{5, 2, 2, 0, -1, 7}
		q := orthonormal(rng, n, n)
		a := make([]float64, (n+1)*(n+1))
		for i := range n {
			for j := range n {
				for k := range n {
					a[i*(n+1)+j] += q[k][i] * lambda[k] * q[k][j]
				}
			}
		}
		return a
	}
	cases := map[string][]float64{
		"Random1":       randomSymmetric(rng, 1),
		"Random2":       randomSymmetric(rng, 2),
		"Random12":      randomSymmetric(rng, 12),
		"Random40":      randomSymmetric(rng, 40),
		"Diagonal":      {3, 0, 0, 0, -2, 0, 0, 0, 9},
		"Zero":          make([]float64, 16),
		"DegenerateOK":  degenerate(),
		"TridiagonalOK": {2, 1, 0, 0, 1, 2, 1, 0, 0, 1, 2, 1, 0, 0, 1, 2},
	}
	for name, a := range cases {
		t.Run(name, func(t *testing.T) {
			n := int(math.Sqrt(float64(len(a))))
			scale := 1.0
			for _, x := range a {
				scale = max(scale, math.Abs(x))
			}
			wantValues, wantVectors := jacobiEigen(t, a, n)
			values, vectors, err := ann.SymmetricEigen(slices.Clone(a), n)
			if err != nil {
				t.Fatal(err)
			}
			for i := range n {
				if math.Abs(values[i]-wantValues[i]) > 1e-12*scale*float64(n) {
					t.Errorf("eigenvalue %d: %.15g, Jacobi %.15g", i, values[i], wantValues[i])
				}
				if i > 0 && values[i] > values[i-1] {
					t.Errorf("eigenvalues not descending: %v", values)
				}
			}
			for i := range n {
				vi := vectors[i*n : (i+1)*n]
				// A·v = λ·v.
				for r := range n {
					if res := dot64(a[r*n:(r+1)*n], vi) - values[i]*vi[r]; math.Abs(res) > 1e-11*scale*float64(n) {
						t.Errorf("vector %d: (A·v − λ·v)[%d] = %g", i, r, res)
					}
				}
				for j := range n {
					want := 0.0
					if i == j {
						want = 1
					}
					if got := dot64(vi, vectors[j*n:(j+1)*n]); math.Abs(got-want) > 1e-12*float64(n) {
						t.Errorf("vector %d · vector %d = %g, want %g", i, j, got, want)
					}
				}
				// Where the eigenvalue is simple, the vector is Jacobi's up
				// to its sign.
				simple := (i == 0 || values[i-1]-values[i] > 1e-6) && (i == n-1 || values[i]-values[i+1] > 1e-6)
				if simple {
					if got := math.Abs(dot64(vi, wantVectors[i])); math.Abs(got-1) > 1e-9 {
						t.Errorf("vector %d: |cos| to Jacobi's = %.12f, want 1", i, got)
					}
				}
			}
		})
	}
	t.Run("ErrShape", func(t *testing.T) {
		if _, _, err := ann.SymmetricEigen(make([]float64, 5), 2); err == nil {
			t.Fatal("a 5-value matrix of order 2 was accepted")
		}
	})
	t.Run("ErrNaN", func(t *testing.T) {
		if _, _, err := ann.SymmetricEigen([]float64{1, math.NaN(), math.NaN(), 1}, 2); err == nil {
			t.Fatal("a matrix holding NaN was accepted")
		}
	})
}

// orthonormal returns k random orthonormal vectors of dim values
// (Gram–Schmidt on Gaussian vectors).
func orthonormal(rng *rand.Rand, k, dim int) [][]float64 {
	var out [][]float64
	for len(out) < k {
		v := make([]float64, dim)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		for range 2 { // twice is enough for float64
			for _, u := range out {
				d := dot64(v, u)
				for i := range v {
					v[i] -= d * u[i]
				}
			}
		}
		norm := math.Sqrt(dot64(v, v))
		for i := range v {
			v[i] /= norm
		}
		out = append(out, v)
	}
	return out
}

func TestFitPCA(t *testing.T) {
	const (
		n, dim, k = 3000, 20, 3
		noise     = 0.1
	)
	rng := rand.New(rand.NewPCG(2025, 14))
	// Three dominant directions with standard deviations 10, 5 and 3, a
	// little isotropic noise, all around a mean far from the origin.
	dirs := orthonormal(rng, k, dim)
	sd := []float64{10, 5, 3}
	mean := make([]float64, dim)
	for i := range mean {
		mean[i] = 50 + 10*rng.NormFloat64()
	}
	x := ann.Matrix{Dim: dim, Data: make([]float32, n*dim)}
	for r := range n {
		row := x.Row(r)
		coef := []float64{sd[0] * rng.NormFloat64(), sd[1] * rng.NormFloat64(), sd[2] * rng.NormFloat64()}
		for i := range row {
			v := mean[i] + noise*rng.NormFloat64()
			for c := range k {
				v += coef[c] * dirs[c][i]
			}
			row[i] = float32(v)
		}
	}
	ctx := context.Background()
	p, err := ann.FitPCA(ctx, x, k, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Components) != k || len(p.Variances) != k || len(p.Mean) != dim {
		t.Fatalf("%d components, %d variances, mean of %d; want %d, %d, %d", len(p.Components), len(p.Variances), len(p.Mean), k, k, dim)
	}

	t.Run("SubspaceRecovered", func(t *testing.T) {
		// Each true direction lies in the fitted subspace (all principal
		// angles near 0): its projection onto the components keeps its
		// length. Noise of 0.1 against 3 tilts it by about 0.1/3 / √N.
		for c, d := range dirs {
			in := 0.0
			for _, comp := range p.Components {
				in += dot64(d, comp) * dot64(d, comp)
			}
			if angle := math.Acos(min(1, math.Sqrt(in))); angle > 0.01 {
				t.Errorf("direction %d is %.4f rad from the fitted subspace, want < 0.01", c, angle)
			}
			// And the components come in the same order as the directions.
			if got := math.Abs(dot64(d, p.Components[c])); got < 0.999 {
				t.Errorf("|cos| between direction %d and component %d = %.5f, want ≈ 1", c, c, got)
			}
		}
	})
	t.Run("Orthonormal", func(t *testing.T) {
		for i := range k {
			for j := range k {
				want := 0.0
				if i == j {
					want = 1
				}
				if got := dot64(p.Components[i], p.Components[j]); math.Abs(got-want) > 1e-12 {
					t.Errorf("component %d · component %d = %g, want %g", i, j, got, want)
				}
			}
		}
	})
	t.Run("VariancesDescendingAndRight", func(t *testing.T) {
		proj, err := p.Project(ctx, x, 3)
		if err != nil {
			t.Fatal(err)
		}
		if proj.Dim != k || proj.Len() != n {
			t.Fatalf("projection is %d × %d, want %d × %d", proj.Len(), proj.Dim, n, k)
		}
		// The variance along each component, measured on the projection
		// itself (its mean is 0), and the total from the centred data.
		total := 0.0
		for r := range n {
			for i, v := range x.Row(r) {
				total += (float64(v) - p.Mean[i]) * (float64(v) - p.Mean[i])
			}
		}
		total /= n
		kept := 0.0
		for c := range k {
			if c > 0 && p.Variances[c] > p.Variances[c-1] {
				t.Errorf("variances not descending: %v", p.Variances)
			}
			sum, sq := 0.0, 0.0
			for r := range n {
				v := float64(proj.Row(r)[c])
				sum += v
				sq += v * v
			}
			if math.Abs(sum/n) > 1e-4 {
				t.Errorf("component %d: projected mean %g, want 0", c, sum/n)
			}
			if got := sq / n; math.Abs(got-p.Variances[c]) > 1e-5*p.Variances[c] {
				t.Errorf("component %d: variance of the projection %g, Variances says %g", c, got, p.Variances[c])
			}
			if want := sd[c] * sd[c]; math.Abs(p.Variances[c]-want) > 0.1*want {
				t.Errorf("component %d: variance %g, generated with %g", c, p.Variances[c], want)
			}
			kept += p.Variances[c]
		}
		if math.Abs(p.TotalVariance-total) > 1e-9*total {
			t.Errorf("TotalVariance %g, centred data's mean squared norm %g", p.TotalVariance, total)
		}
		if got, want := p.VarianceKept(), kept/total; math.Abs(got-want) > 1e-12 {
			t.Errorf("VarianceKept %g, want %g", got, want)
		}
		// The noise holds dim·noise² of the total.
		if got, want := p.VarianceKept(), 1-dim*noise*noise/total; math.Abs(got-want) > 5e-4 {
			t.Errorf("VarianceKept %.5f, want about %.5f", got, want)
		}
	})
	t.Run("SameBitsOnAnyThreads", func(t *testing.T) {
		for _, threads := range []int{1, 5} {
			q, err := ann.FitPCA(ctx, x, k, threads)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(q.Mean, p.Mean) || !slices.Equal(q.Variances, p.Variances) || q.TotalVariance != p.TotalVariance {
				t.Fatalf("fit on %d threads differs from the fit on 2", threads)
			}
			for c := range k {
				if !slices.Equal(q.Components[c], p.Components[c]) {
					t.Fatalf("fit on %d threads: component %d differs from the fit on 2", threads, c)
				}
			}
		}
	})
	t.Run("ErrDimension", func(t *testing.T) {
		if _, err := p.Project(ctx, ann.Matrix{Dim: dim + 1, Data: make([]float32, dim+1)}, 1); err == nil {
			t.Fatal("Project accepted vectors of another dimension")
		}
	})
	for name, kk := range map[string]int{"ErrNoComponents": 0, "ErrTooManyComponents": dim + 1} {
		t.Run(name, func(t *testing.T) {
			if _, err := ann.FitPCA(ctx, x, kk, 1); err == nil {
				t.Fatalf("FitPCA with k = %d succeeded", kk)
			}
		})
	}
	t.Run("ErrOneVector", func(t *testing.T) {
		if _, err := ann.FitPCA(ctx, x.Slice(0, 1), 1, 1); err == nil {
			t.Fatal("FitPCA of one vector succeeded")
		}
	})
	t.Run("ErrCanceled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := ann.FitPCA(cctx, x, k, 1); err == nil {
			t.Fatal("FitPCA with a cancelled context succeeded")
		}
	})
}

// BenchmarkSymmetricEigen784 times the eigen solver at Fashion-MNIST's
// dimension, on a random covariance-like (positive semi-definite) matrix.
func BenchmarkSymmetricEigen784(b *testing.B) {
	const n = 784
	rng := rand.New(rand.NewPCG(784, 784))
	g := make([]float64, n*n)
	for i := range g {
		g[i] = rng.NormFloat64()
	}
	a := make([]float64, n*n) // Gᵀ·G / n
	for i := range n {
		for j := i; j < n; j++ {
			s := 0.0
			for k := range n {
				s += g[k*n+i] * g[k*n+j]
			}
			a[i*n+j], a[j*n+i] = s/n, s/n
		}
	}
	for b.Loop() {
		if _, _, err := ann.SymmetricEigen(slices.Clone(a), n); err != nil {
			b.Fatal(err)
		}
	}
}
