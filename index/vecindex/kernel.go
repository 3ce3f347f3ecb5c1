package vecindex

import (
	"math"
	"math/bits"
)

var minusInf = float32(math.Inf(-1))

// queryBits is how finely the rotated query is quantised, and queryStep
// the matching quantiser spacing in standard deviations. The rounding
// error adds to the 1-bit code's own (and is covered by the bound): at 4
// bits about a fifth of it, at 3 bits a third; each bit costs a popcount
// per code word in the scan. levelSum is written out for 4 bits and
// queryStep is Max's optimum for 16 levels; change all three together.
const (
	queryBits = 4
	queryStep = 0.3352
)

// scanBlock is how many vectors scanRange handles per pass of the
// popcount kernel; their sums stay in L1 for the bound arithmetic.
const scanBlock = 256

// scanRange computes, for vectors [lo, hi), an upper bound on each one's
// cosine with the query into ub[i-lo], and keeps in lbs (a min-heap of at
// most k values) the k largest lower bounds: the k-th of those is a score
// the true k-th best result reaches with high probability.
//
// With a label (not noLabel), vectors with another label get an upper
// bound of -Inf and no lower bound, so they are never candidates.
func (x *Index) scanRange(q *query, lo, hi, k int, label int64, ub []float32, lbs []float32) []float32 {
	w := x.words
	lo2, delta2, sum := q.lo2, q.delta2, q.sum
	epsData, epsQuery := q.epsData, q.epsQuery
	var sums [scanBlock]int32
	for b := lo; b < hi; b += scanBlock {
		e := min(b+scanBlock, hi)
		s := sums[:e-b]
		codeSums(x.codes[b*w:e*w], q.planes, w, s)
		meta := x.meta[b:e]
		u := ub[b-lo : e-lo]
		u = u[:len(meta)]
		s = s[:len(meta)]
		if label != noLabel {
			labels := x.label[b:e]
			labels = labels[:len(meta)]
			want := uint32(label)
			for i := range meta {
				if labels[i] != want {
					u[i] = minusInf
					continue
				}
				m := &meta[i]
				est := (lo2*float32(m.ones) + delta2*float32(s[i]) - sum) * m.scale
				eps := epsData*m.epsUnit + epsQuery*m.invF
				u[i] = est + eps
				if lb := est - eps; len(lbs) < k {
					lbs = pushMin(lbs, lb)
				} else if lb > lbs[0] {
					lbs[0] = lb
					siftDownMin(lbs, 0)
				}
			}
			continue
		}
		for i := range meta {
			m := &meta[i]
			est := (lo2*float32(m.ones) + delta2*float32(s[i]) - sum) * m.scale
			eps := epsData*m.epsUnit + epsQuery*m.invF
			u[i] = est + eps
			if lb := est - eps; len(lbs) < k {
				lbs = pushMin(lbs, lb)
			} else if lb > lbs[0] {
				lbs[0] = lb
				siftDownMin(lbs, 0)
			}
		}
	}
	return lbs
}

// codeSums writes, for each code of w words in codes, the sum of the
// query's levels at the code's set bits: Σ_b 2^b·popcount(code & plane_b).
// This is the hot loop of every search. The fixed-size versions take two
// codes per iteration, sharing the plane loads and giving the CPU two
// independent chains of work (23% faster than one at a time at w=6).
func codeSums(codes, planes []uint64, w int, out []int32) {
	switch w {
	case 4:
		codeSums4(codes, (*[4 * queryBits]uint64)(planes), out)
	case 6:
		codeSums6(codes, (*[6 * queryBits]uint64)(planes), out)
	case 8:
		codeSums8(codes, (*[8 * queryBits]uint64)(planes), out)
	default:
		codeSumsN(codes, planes, w, out)
	}
}

// levelSum is one code word's contribution: Σ_b 2^b·popcount(c & p[b]).
func levelSum(c uint64, p *[queryBits]uint64) int {
	return bits.OnesCount64(c&p[0]) + bits.OnesCount64(c&p[1])<<1 +
		bits.OnesCount64(c&p[2])<<2 + bits.OnesCount64(c&p[3])<<3
}

func codeSums4(codes []uint64, pl *[4 * queryBits]uint64, out []int32) {
	const w = 4
	codes = codes[:len(out)*w]
	i := 0
	for ; i+2 <= len(out); i += 2 {
		c := (*[2 * w]uint64)(codes[i*w:])
		var a, b int
		for j := range w {
			p := (*[queryBits]uint64)(pl[j*queryBits:])
			a += levelSum(c[j], p)
			b += levelSum(c[j+w], p)
		}
		out[i], out[i+1] = int32(a), int32(b)
	}
	if i < len(out) {
		codeSumsN(codes[i*w:], pl[:], w, out[i:])
	}
}

func codeSums6(codes []uint64, pl *[6 * queryBits]uint64, out []int32) {
	const w = 6
	codes = codes[:len(out)*w]
	i := 0
	for ; i+2 <= len(out); i += 2 {
		c := (*[2 * w]uint64)(codes[i*w:])
		var a, b int
		for j := range w {
			p := (*[queryBits]uint64)(pl[j*queryBits:])
			a += levelSum(c[j], p)
			b += levelSum(c[j+w], p)
		}
		out[i], out[i+1] = int32(a), int32(b)
	}
	if i < len(out) {
		codeSumsN(codes[i*w:], pl[:], w, out[i:])
	}
}

func codeSums8(codes []uint64, pl *[8 * queryBits]uint64, out []int32) {
	const w = 8
	codes = codes[:len(out)*w]
	i := 0
	for ; i+2 <= len(out); i += 2 {
		c := (*[2 * w]uint64)(codes[i*w:])
		var a, b int
		for j := range w {
			p := (*[queryBits]uint64)(pl[j*queryBits:])
			a += levelSum(c[j], p)
			b += levelSum(c[j+w], p)
		}
		out[i], out[i+1] = int32(a), int32(b)
	}
	if i < len(out) {
		codeSumsN(codes[i*w:], pl[:], w, out[i:])
	}
}

func codeSumsN(codes, planes []uint64, w int, out []int32) {
	codes = codes[:len(out)*w]
	planes = planes[:w*queryBits]
	for i := range out {
		var s int
		for j, cw := range codes[i*w : i*w+w] {
			s += levelSum(cw, (*[queryBits]uint64)(planes[j*queryBits:]))
		}
		out[i] = int32(s)
	}
}

// dot is the float32 inner product, four accumulators wide so the adds
// do not wait on each other.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func pushMin(h []float32, v float32) []float32 {
	h = append(h, v)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h[p] <= h[i] {
			break
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
	return h
}

func siftDownMin(h []float32, i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h[r] < h[l] {
			m = r
		}
		if h[i] <= h[m] {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// cand is a vector slot waiting for its exact score.
type cand struct {
	ub   float32
	slot int32
}

// candHeap is a max-heap of candidates by upper bound (ties by slot, for
// determinism), so they are re-scored best-first and the loop can stop as
// soon as the next bound cannot beat the k-th exact score.
type candHeap []cand

func (h candHeap) above(a, b cand) bool {
	if a.ub != b.ub {
		return a.ub > b.ub
	}
	return a.slot < b.slot
}

func (h candHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h *candHeap) pop() cand {
	old := *h
	top := old[0]
	last := len(old) - 1
	old[0] = old[last]
	*h = old[:last]
	h.down(0)
	return top
}

func (h candHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.above(h[r], h[l]) {
			m = r
		}
		if !h.above(h[m], h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// hitHeap keeps the best k exact hits with the worst on top: lowest
// score, and among equal scores the greatest key, since ties rank by key.
type hitHeap []Hit

func worse(a, b Hit) bool {
	if a.Score != b.Score {
		return a.Score < b.Score
	}
	return a.Key > b.Key
}

func (h hitHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !worse(h[i], h[p]) {
			return
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

func (h hitHeap) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && worse(h[r], h[l]) {
			m = r
		}
		if !worse(h[m], h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// offer adds hit if it ranks among the best k seen.
func (h *hitHeap) offer(hit Hit, k int) {
	if len(*h) < k {
		*h = append(*h, hit)
		h.up(len(*h) - 1)
		return
	}
	if worse((*h)[0], hit) {
		(*h)[0] = hit
		h.down(0)
	}
}
