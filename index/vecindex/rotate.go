package vecindex

import (
	"math"
	"math/bits"
	"math/rand/v2"
)

// rotationRounds is how many sign-flip + Hadamard rounds make up the
// rotation. One round already spreads a sparse vector over every
// coordinate; three make the coordinates close enough to those of a
// uniformly random rotation that the 1-bit estimator's error bound holds
// for the structured inputs the hashed embedder produces (measured: with
// one round, recall on non-negative n-gram vectors dropped).
const rotationRounds = 3

// rotationSeed fixes the rotation so that codes, and therefore results,
// are the same in every process.
const rotationSeed = 0x736f666f7274 // "sofort"

// rotation is a fast pseudo-random orthogonal transform of R^d padded with
// zeros to R^p, p the next multiple of 64 (one code word): rounds of
// random sign flips, Walsh-Hadamard transforms on power-of-two blocks
// that tile p (384 = 256+128) and a random permutation that mixes the
// blocks for the next round. It costs O(p log p) per vector where a dense
// random matrix would cost O(d*p): 15k instead of 150k multiply-adds at
// d=384, so loading 100k vectors takes about a second.
//
// Tiling instead of padding to a power of two keeps the code at d bits
// for the common d=384: padding to 512 would cost a third more scan time
// and memory for a 13% smaller estimator error.
type rotation struct {
	dim    int
	pdim   int
	blocks []int // power-of-two block sizes, largest first, summing to pdim
	signs  [rotationRounds][]float32
	perms  [rotationRounds][]int32
}

func newRotation(dim int) *rotation {
	p := (dim + 63) / 64 * 64
	r := &rotation{dim: dim, pdim: p}
	for rest := p; rest > 0; {
		b := 1 << (bits.Len(uint(rest)) - 1)
		r.blocks = append(r.blocks, b)
		rest -= b
	}
	rng := rand.New(rand.NewPCG(rotationSeed, uint64(dim)))
	for k := range r.signs {
		s := make([]float32, p)
		off := 0
		for _, b := range r.blocks {
			// The block's normalisation is folded into its signs.
			scale := float32(1 / math.Sqrt(float64(b)))
			for i := off; i < off+b; i++ {
				s[i] = scale
				if rng.Uint64()&1 == 1 {
					s[i] = -scale
				}
			}
			off += b
		}
		r.signs[k] = s
		perm := make([]int32, p)
		for i, j := range rng.Perm(p) {
			perm[i] = int32(j)
		}
		r.perms[k] = perm
	}
	return r
}

// apply writes the rotation of v (len dim) into out (len pdim), using
// tmp (len pdim) as scratch.
func (r *rotation) apply(v, out, tmp []float32) {
	n := copy(out, v)
	clear(out[n:])
	for k := range r.signs {
		s := r.signs[k][:len(out)]
		for i := range out {
			out[i] *= s[i]
		}
		off := 0
		for _, b := range r.blocks {
			fwht(out[off : off+b])
			off += b
		}
		if len(r.blocks) > 1 {
			perm := r.perms[k][:len(out)]
			for i, j := range perm {
				tmp[i] = out[j]
			}
			copy(out, tmp)
		}
	}
}

// fwht is the in-place unnormalised Walsh-Hadamard transform; len(a) must
// be a power of two.
func fwht(a []float32) {
	n := len(a)
	// The two smallest strides in one pass: their sub-slices would be
	// shorter than the loop overhead.
	for i := 0; i+4 <= n; i += 4 {
		q := (*[4]float32)(a[i:])
		a0, a1, a2, a3 := q[0]+q[1], q[0]-q[1], q[2]+q[3], q[2]-q[3]
		q[0], q[1], q[2], q[3] = a0+a2, a1+a3, a0-a2, a1-a3
	}
	for h := 4; h < n; h *= 2 {
		for i := 0; i < n; i += 2 * h {
			x := a[i : i+h]
			y := a[i+h : i+2*h]
			for j := range x {
				u, v := x[j], y[j]
				x[j], y[j] = u+v, u-v
			}
		}
	}
}
