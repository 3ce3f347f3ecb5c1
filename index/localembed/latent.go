package localembed

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
)

// Latent holds word vectors learned from the corpus's own co-occurrence
// (latent semantic analysis): a truncated SVD of the idf-weighted
// term-by-document matrix. Words that occur in the same documents get
// similar vectors even when no text ever puts them side by side with the
// visitor's word, which is the signal full text lacks.
type Latent struct {
	Dim   int
	Terms map[string]int32 // stem → row
	Vecs  []float32        // len(Terms)·Dim, row-major
}

func (l *Latent) vec(term string) []float32 {
	i, ok := l.Terms[term]
	if !ok {
		return nil
	}
	return l.Vecs[int(i)*l.Dim : int(i+1)*l.Dim]
}

// latentDocs collects the sampled documents' stems as ids, so fitting holds
// ints rather than millions of strings.
type latentDocs struct {
	ids   map[string]int32
	names []string
	docs  [][]int32
}

func (d *latentDocs) add(terms []string) {
	if d.ids == nil {
		d.ids = map[string]int32{}
	}
	doc := make([]int32, len(terms))
	for j, t := range terms {
		id, ok := d.ids[t]
		if !ok {
			id = int32(len(d.names))
			d.ids[t] = id
			d.names = append(d.names, t)
		}
		doc[j] = id
	}
	d.docs = append(d.docs, doc)
}

// fitLatent returns nil when the corpus is too small to learn anything.
func fitLatent(d *latentDocs, idf func(term string) float64, opt Options) *Latent {
	// Terms seen in one document only co-occur with nothing elsewhere.
	df := make([]int32, len(d.names))
	last := make([]int32, len(d.names))
	for i := range last {
		last[i] = -1
	}
	for j, doc := range d.docs {
		for _, id := range doc {
			if last[id] != int32(j) {
				last[id] = int32(j)
				df[id]++
			}
		}
	}
	var keep []int32
	minDF := int32(max(opt.LatentMinDF, 1))
	for id, n := range df {
		if n >= minDF {
			keep = append(keep, int32(id))
		}
	}
	slices.SortFunc(keep, func(a, b int32) int {
		if c := cmp.Compare(df[b], df[a]); c != 0 {
			return c
		}
		return cmp.Compare(d.names[a], d.names[b])
	})
	if opt.LatentVocab > 0 && len(keep) > opt.LatentVocab {
		keep = keep[:opt.LatentVocab]
	}
	row := make([]int32, len(d.names))
	for i := range row {
		row[i] = -1
	}
	for r, id := range keep {
		row[id] = int32(r)
	}

	// Columns: log tf · idf, unit length, so a long document does not
	// outweigh many short ones.
	var cols []sparseCol
	tf := map[int32]float64{}
	for _, doc := range d.docs {
		clear(tf)
		for _, id := range doc {
			if r := row[id]; r >= 0 {
				tf[r]++
			}
		}
		if len(tf) == 0 {
			continue
		}
		c := sparseCol{rows: make([]int32, 0, len(tf)), vals: make([]float64, 0, len(tf))}
		for r := range tf {
			c.rows = append(c.rows, r)
		}
		slices.Sort(c.rows) // map order would make the sums non-deterministic
		var s float64
		for _, r := range c.rows {
			w := (1 + math.Log(tf[r])) * idf(d.names[keep[r]])
			c.vals = append(c.vals, w)
			s += w * w
		}
		s = 1 / math.Sqrt(s)
		for i := range c.vals {
			c.vals[i] *= s
		}
		cols = append(cols, c)
	}
	V, N := len(keep), len(cols)
	k := opt.LatentDim
	L := min(k+max(opt.LatentOversample, 0), V, N)
	if L < 2 {
		return nil
	}
	k = min(k, L)

	U, sv := randomizedSVD(cols, V, L, opt.LatentIters)
	lat := &Latent{Dim: opt.LatentDim, Terms: make(map[string]int32, V), Vecs: make([]float32, V*opt.LatentDim)}
	scale := make([]float64, k)
	for j := range k {
		scale[j] = math.Pow(sv[j], opt.LatentPower)
	}
	for r, id := range keep {
		lat.Terms[d.names[id]] = int32(r)
		dst := lat.Vecs[r*opt.LatentDim : r*opt.LatentDim+k]
		var s float64
		for j := range k {
			x := U[r*L+j] * scale[j]
			dst[j] = float32(x)
			s += x * x
		}
		if opt.LatentUnit && s > 0 {
			inv := float32(1 / math.Sqrt(s))
			for j := range dst {
				dst[j] *= inv
			}
		}
	}
	return lat
}

type sparseCol struct {
	rows []int32
	vals []float64
}

// randomizedSVD returns the left singular vectors (V×L, row-major, columns
// by falling singular value) and the singular values of the V×N matrix
// given by its columns (Halko, Martinsson and Tropp 2011), with a fixed
// seed so fitting is deterministic.
func randomizedSVD(cols []sparseCol, V, L, iters int) ([]float64, []float64) {
	N := len(cols)
	rng := rand.New(rand.NewPCG(0x50f0, 0x7e57))
	omega := make([]float64, N*L)
	for i := range omega {
		omega[i] = rng.NormFloat64()
	}
	Y := make([]float64, V*L)
	mulX(cols, omega, Y, L)
	Z := make([]float64, N*L)
	// Power iterations sharpen the spectrum; one Cholesky pass each is
	// enough to keep the columns apart, the final basis gets two.
	for range iters {
		orthonormalize(Y, V, L, 1)
		mulXT(cols, Y, Z, L)
		orthonormalize(Z, N, L, 1)
		clear(Y)
		mulX(cols, Z, Y, L)
	}
	orthonormalize(Y, V, L, 2)
	mulXT(cols, Y, Z, L) // Z = Xᵀ Q, so Qᵀ X Xᵀ Q = Zᵀ Z
	C := make([]float64, L*L)
	for n := range N {
		z := Z[n*L : (n+1)*L]
		for a := range L {
			za := z[a]
			if za == 0 {
				continue
			}
			ca := C[a*L : (a+1)*L]
			for b := range L {
				ca[b] += za * z[b]
			}
		}
	}
	vals, W := symEigen(C, L)
	sv := make([]float64, L)
	for i, v := range vals {
		sv[i] = math.Sqrt(max(v, 0))
	}
	// U = Q W
	U := make([]float64, V*L)
	for r := range V {
		q := Y[r*L : (r+1)*L]
		u := U[r*L : (r+1)*L]
		for a, qa := range q {
			if qa == 0 {
				continue
			}
			w := W[a*L : (a+1)*L]
			for b := range L {
				u[b] += qa * w[b]
			}
		}
	}
	return U, sv
}

// mulX sets dst (V×L) += X · src (N×L).
func mulX(cols []sparseCol, src, dst []float64, L int) {
	for n, c := range cols {
		s := src[n*L : (n+1)*L]
		for i, r := range c.rows {
			v := c.vals[i]
			d := dst[int(r)*L : int(r+1)*L]
			for j, x := range s {
				d[j] += v * x
			}
		}
	}
}

// mulXT sets dst (N×L) = Xᵀ · src (V×L).
func mulXT(cols []sparseCol, src, dst []float64, L int) {
	clear(dst)
	for n, c := range cols {
		d := dst[n*L : (n+1)*L]
		for i, r := range c.rows {
			v := c.vals[i]
			s := src[int(r)*L : int(r+1)*L]
			for j, x := range s {
				d[j] += v * x
			}
		}
	}
}

// orthonormalize makes the columns of the row-major rows×L matrix A
// orthonormal by Cholesky QR through the L×L Gram matrix, repeated passes
// times (two passes, CholeskyQR2, are accurate to rounding). Columns that
// are linearly dependent become zero.
func orthonormalize(A []float64, rows, L, passes int) {
	for range passes {
		G := make([]float64, L*L)
		for r := range rows {
			a := A[r*L : (r+1)*L]
			for i, ai := range a {
				if ai == 0 {
					continue
				}
				g := G[i*L : (i+1)*L]
				for j := i; j < L; j++ {
					g[j] += ai * a[j]
				}
			}
		}
		// Cholesky G = RᵀR (upper R), skipping dependent columns.
		R := make([]float64, L*L)
		for j := range L {
			s := G[j*L+j]
			for k := range j {
				s -= R[k*L+j] * R[k*L+j]
			}
			if s <= 1e-12*max(G[j*L+j], 1e-300) || s <= 0 {
				continue // R row j stays zero: column dropped
			}
			d := math.Sqrt(s)
			R[j*L+j] = d
			for i := j + 1; i < L; i++ {
				t := G[j*L+i]
				for k := range j {
					t -= R[k*L+j] * R[k*L+i]
				}
				R[j*L+i] = t / d
			}
		}
		// A = A R⁻¹, row by row (forward substitution on aᵀ = qᵀ R).
		q := make([]float64, L)
		for r := range rows {
			a := A[r*L : (r+1)*L]
			for j := range L {
				d := R[j*L+j]
				if d == 0 {
					q[j] = 0
					continue
				}
				t := a[j]
				for k := range j {
					t -= q[k] * R[k*L+j]
				}
				q[j] = t / d
			}
			copy(a, q)
		}
	}
}

// symEigen returns the eigenvalues of the symmetric n×n matrix A (falling)
// and the eigenvectors as the columns of a row-major n×n matrix (cyclic
// Jacobi; n is small here).
func symEigen(A []float64, n int) ([]float64, []float64) {
	for i := range n { // fill the lower triangle
		for j := i + 1; j < n; j++ {
			A[j*n+i] = A[i*n+j]
		}
	}
	V := make([]float64, n*n)
	for i := range n {
		V[i*n+i] = 1
	}
	for sweep := 0; sweep < 60; sweep++ {
		var off, diag float64
		for i := range n {
			diag += A[i*n+i] * A[i*n+i]
			for j := i + 1; j < n; j++ {
				off += A[i*n+j] * A[i*n+j]
			}
		}
		if off <= 1e-22*diag || off == 0 {
			break
		}
		for p := range n {
			for q := p + 1; q < n; q++ {
				apq := A[p*n+q]
				if math.Abs(apq) < 1e-300 {
					continue
				}
				theta := (A[q*n+q] - A[p*n+p]) / (2 * apq)
				t := math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for k := range n {
					akp, akq := A[k*n+p], A[k*n+q]
					A[k*n+p] = c*akp - s*akq
					A[k*n+q] = s*akp + c*akq
				}
				for k := range n {
					apk, aqk := A[p*n+k], A[q*n+k]
					A[p*n+k] = c*apk - s*aqk
					A[q*n+k] = s*apk + c*aqk
				}
				for k := range n {
					vkp, vkq := V[k*n+p], V[k*n+q]
					V[k*n+p] = c*vkp - s*vkq
					V[k*n+q] = s*vkp + c*vkq
				}
			}
		}
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(A[b*n+b], A[a*n+a]) })
	vals := make([]float64, n)
	vecs := make([]float64, n*n)
	for j, o := range order {
		vals[j] = A[o*n+o]
		for i := range n {
			vecs[i*n+j] = V[i*n+o]
		}
	}
	return vals, vecs
}
