package ann

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/viterin/vek"
)

// ErrNoConvergence is returned by [SymmetricEigen] when an eigenvalue has
// not separated after its iteration limit.
var ErrNoConvergence = errors.New("eigenvalue iteration did not converge")

// qlMaxIter is how many implicit QL steps one eigenvalue may take. Two or
// three is typical (the convergence is cubic); 50 is far beyond that.
const qlMaxIter = 50

// SymmetricEigen returns the eigenvalues of the symmetric n × n matrix a
// (row-major; only symmetric input is meaningful, and a is overwritten),
// in descending order, and its unit eigenvectors as the rows of vectors,
// row i belonging to values[i]. Each vector's sign is chosen so that its
// largest-magnitude entry is positive, so the result is deterministic.
//
// It reduces a to a tridiagonal matrix with n − 2 Householder reflections,
// then diagonalises that with implicit QL steps (Wilkinson shifts), both
// accumulated into the vectors: a few n³ flops, 3.5 s at n = 784 on one
// core of a loaded shared machine (BenchmarkSymmetricEigen784).
// Both steps are orthogonal transformations, so the eigenvalues are
// accurate to a small multiple of machine epsilon times a's largest
// |eigenvalue|.
func SymmetricEigen(a []float64, n int) (values, vectors []float64, err error) {
	if n < 1 || len(a) != n*n {
		return nil, nil, fmt.Errorf("symmetric eigen: %d values for a %d × %d matrix", len(a), n, n)
	}
	for _, x := range a {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, nil, fmt.Errorf("symmetric eigen: matrix holds %v", x)
		}
	}
	d, e, q := tridiagonalize(a, n)
	// The rotations of the QL steps combine columns of q; they run on rows
	// of its transpose, which are contiguous.
	v := make([]float64, n*n)
	for i := range n {
		for j := range n {
			v[j*n+i] = q[i*n+j]
		}
	}
	if err := tridiagonalQL(d, e, v, n); err != nil {
		return nil, nil, err
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		switch {
		case d[i] > d[j]:
			return -1
		case d[i] < d[j]:
			return 1
		}
		return 0
	})
	values = make([]float64, n)
	vectors = make([]float64, n*n)
	for r, i := range order {
		values[r] = d[i]
		row := vectors[r*n : (r+1)*n]
		copy(row, v[i*n:(i+1)*n])
		big := 0
		for j, x := range row {
			if math.Abs(x) > math.Abs(row[big]) {
				big = j
			}
		}
		if row[big] < 0 {
			for j := range row {
				row[j] = -row[j]
			}
		}
	}
	return values, vectors, nil
}

// tridiagonalize reduces the symmetric matrix a (overwritten) to the
// tridiagonal T = Qᵀ a Q by Householder reflections, one per column from
// the left, and returns T's diagonal d, its off-diagonal e (e[i] couples i
// and i+1; e[n-1] = 0) and the orthogonal Q (row-major).
//
// Reflection k maps the part of column k below the diagonal, x, onto
// α·e₁ with α = −sign(x₀)·‖x‖ (the sign that avoids cancellation in
// u = x − α·e₁), and is H = I − β·u·uᵀ with β = 2 / uᵀu. Applied to the
// trailing block A from both sides it is the rank-2 update
// A − u·wᵀ − w·uᵀ, where p = β·A·u and w = p − (β·uᵀp/2)·u.
func tridiagonalize(a []float64, n int) (d, e, q []float64) {
	d = make([]float64, n)
	e = make([]float64, n)
	q = make([]float64, n*n)
	for i := range n {
		q[i*n+i] = 1
	}
	ubuf := make([]float64, n)
	pbuf := make([]float64, n)
	for k := 0; k+2 < n; k++ {
		lo := k + 1 // the reflection acts on indices lo..n-1
		m := n - lo
		x := a[k*n+lo : k*n+n] // row k right of the diagonal: column k below it
		scale := 0.0
		for _, xi := range x {
			scale = max(scale, math.Abs(xi))
		}
		if scale == 0 {
			continue // already tridiagonal here: e[k] stays 0
		}
		ss := 0.0
		for _, xi := range x {
			ss += (xi / scale) * (xi / scale)
		}
		norm := scale * math.Sqrt(ss)
		alpha := -math.Copysign(norm, x[0])
		u, p := ubuf[:m], pbuf[:m]
		copy(u, x)
		u[0] -= alpha
		beta := 2 / vek.Dot(u, u)
		for i := range m {
			p[i] = beta * vek.Dot(a[(lo+i)*n+lo:(lo+i+1)*n], u)
		}
		kk := beta * vek.Dot(u, p) / 2
		for i := range m {
			p[i] -= kk * u[i] // p is w now
		}
		for i := range m {
			row := a[(lo+i)*n+lo : (lo+i+1)*n]
			ui, wi := u[i], p[i]
			for j := range row {
				row[j] -= ui*p[j] + wi*u[j]
			}
		}
		e[k] = alpha
		for i := range m {
			a[k*n+lo+i], a[(lo+i)*n+k] = 0, 0
		}
		a[k*n+lo], a[lo*n+k] = alpha, alpha
		// Q ← Q·H: each row r loses β·(r·u)·u on the columns lo..n-1.
		for r := range n {
			row := q[r*n+lo : (r+1)*n]
			s := beta * vek.Dot(row, u)
			if s == 0 {
				continue
			}
			for j := range row {
				row[j] -= s * u[j]
			}
		}
	}
	for i := range n {
		d[i] = a[i*n+i]
	}
	if n >= 2 {
		e[n-2] = a[(n-2)*n+n-1]
	}
	e[n-1] = 0
	return d, e, q
}

// tridiagonalQL diagonalises the symmetric tridiagonal matrix (d, e) in
// place, leaving the eigenvalues in d, and applies each plane rotation it
// makes to rows i, i+1 of v, whose rows then hold the eigenvectors.
//
// For each l in turn it looks for the first negligible e[m], m ≥ l,
// which splits off the block l..m; if m = l, d[l] is an eigenvalue.
// Otherwise one implicit QL step on the block: shift by the eigenvalue of
// the 2 × 2 at its top nearer d[l] (Wilkinson's shift), then chase the
// resulting bulge from the bottom of the block to its top with Givens
// rotations, which keeps the matrix tridiagonal and drives e[l] to 0.
func tridiagonalQL(d, e, v []float64, n int) error {
	const eps = 0x1p-52
	anorm := 0.0
	for i := range n {
		anorm = max(anorm, math.Abs(d[i])+math.Abs(e[i]))
	}
	negligible := func(m int) bool {
		return math.Abs(e[m]) <= eps*(math.Abs(d[m])+math.Abs(d[m+1])) || math.Abs(e[m]) <= eps*eps*anorm
	}
	for l := 0; l < n; l++ {
		for iter := 0; ; iter++ {
			m := l
			for m < n-1 && !negligible(m) {
				m++
			}
			if m == l {
				break
			}
			if iter == qlMaxIter {
				return fmt.Errorf("symmetric eigen: eigenvalue %d of %d after %d QL steps: %w", l, n, qlMaxIter, ErrNoConvergence)
			}
			// The shift: g is (d[l+1] − d[l]) / 2e[l]; the eigenvalue of the
			// top 2 × 2 nearer d[l] is d[l] − e[l] / (g ± √(g²+1)), the sign
			// that makes the denominator largest.
			g := (d[l+1] - d[l]) / (2 * e[l])
			r := math.Hypot(g, 1)
			g = d[m] - d[l] + e[l]/(g+math.Copysign(r, g))
			s, c, p := 1.0, 1.0, 0.0
			deflated := false
			for i := m - 1; i >= l; i-- {
				f, b := s*e[i], c*e[i]
				r = math.Hypot(f, g)
				e[i+1] = r
				if r == 0 {
					// The rotation underflowed: e[i+1] is zero, so the block
					// splits at i+1; undo the pending shift and start over.
					d[i+1] -= p
					e[m] = 0
					deflated = true
					break
				}
				s, c = f/r, g/r
				g = d[i+1] - p
				r = (d[i]-g)*s + 2*c*b
				p = s * r
				d[i+1] = g + p
				g = c*r - b
				vi, vj := v[i*n:(i+1)*n], v[(i+1)*n:(i+2)*n]
				for k := range vi {
					x, y := vi[k], vj[k]
					vj[k] = s*x + c*y
					vi[k] = c*x - s*y
				}
			}
			if deflated {
				continue
			}
			d[l] -= p
			e[l] = g
			e[m] = 0
		}
	}
	return nil
}
