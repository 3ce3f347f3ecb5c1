package localembed

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestRandomizedSVD checks the leading singular values against an exact
// eigendecomposition of X Xᵀ (a random matrix has a flat spectrum, so a
// rank-20 sketch is close, not exact).
func TestRandomizedSVD(t *testing.T) {
	const V, N = 60, 45
	rng := rand.New(rand.NewPCG(1, 2))
	dense := make([]float64, V*N)
	for n := range N {
		for v := range V {
			if rng.Float64() < 0.2 {
				dense[v*N+n] = rng.Float64()
			}
		}
	}
	cols := make([]sparseCol, N)
	for n := range N {
		for v := range V {
			if x := dense[v*N+n]; x != 0 {
				cols[n].rows = append(cols[n].rows, int32(v))
				cols[n].vals = append(cols[n].vals, x)
			}
		}
	}
	gram := make([]float64, V*V)
	for a := range V {
		for b := range V {
			for n := range N {
				gram[a*V+b] += dense[a*N+n] * dense[b*N+n]
			}
		}
	}
	want, _ := symEigen(gram, V)
	const L = 20
	U, sv := randomizedSVD(cols, V, L, 4)
	for j := range 5 {
		if w := math.Sqrt(want[j]); math.Abs(sv[j]-w) > 1e-3*w {
			t.Errorf("singular value %d = %.6f; want %.6f", j, sv[j], w)
		}
	}
	// Left singular vectors are orthonormal.
	for a := range 5 {
		for b := range 5 {
			var s float64
			for r := range V {
				s += U[r*L+a] * U[r*L+b]
			}
			want := 0.0
			if a == b {
				want = 1
			}
			if math.Abs(s-want) > 1e-6 {
				t.Errorf("u%d·u%d = %.6f; want %.0f", a, b, s, want)
			}
		}
	}
}
