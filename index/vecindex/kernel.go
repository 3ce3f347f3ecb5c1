package vecindex

import "math/bits"

// queryBits is how finely the rotated query is quantised for the 1-bit
// scan. Its rounding error adds to the estimator's (and is covered by the
// error bound), at 4 bits about a fifth of the data side's error; each
// extra bit costs another popcount per code word.
const queryBits = 4

// scanBlock is how many vectors scanRange handles per pass of the
// popcount kernel; their sums stay in L1 for the bound arithmetic.
const scanBlock = 256

// scanRange computes, for vectors [lo, hi), an upper bound on each one's
// cosine with the query into ub[i-lo], and keeps in lbs (a min-heap of at
// most k values) the k largest lower bounds: the k-th of those is a score
// the true k-th best result reaches with high probability.
func (x *Index) scanRange(q *query, lo, hi, k int, ub []float32, lbs []float32) []float32 {
	w := x.words
	twoLo, twoDelta, sumq := 2*q.lo, 2*q.delta, q.sum
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
		for i := range meta {
			m := &meta[i]
			est := (twoLo*float32(m.ones) + twoDelta*float32(s[i]) - sumq) * m.scale
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
// 4-bit query values at the code's set bits: Σ_b 2^b·popcount(code & plane_b).
// This is the hot loop of every search; the fixed-size versions keep
// their loop state in registers, which the generic one does not.
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

func codeSums4(codes []uint64, pl *[4 * queryBits]uint64, out []int32) {
	codes = codes[:len(out)*4]
	for i := range out {
		c := (*[4]uint64)(codes[i*4:])
		var s0, s1, s2, s3 int
		for j := range 4 {
			cw := c[j]
			s0 += bits.OnesCount64(cw & pl[j*4])
			s1 += bits.OnesCount64(cw & pl[j*4+1])
			s2 += bits.OnesCount64(cw & pl[j*4+2])
			s3 += bits.OnesCount64(cw & pl[j*4+3])
		}
		out[i] = int32(s0 + s1<<1 + s2<<2 + s3<<3)
	}
}

func codeSums6(codes []uint64, pl *[6 * queryBits]uint64, out []int32) {
	codes = codes[:len(out)*6]
	for i := range out {
		c := (*[6]uint64)(codes[i*6:])
		var s0, s1, s2, s3 int
		for j := range 6 {
			cw := c[j]
			s0 += bits.OnesCount64(cw & pl[j*4])
			s1 += bits.OnesCount64(cw & pl[j*4+1])
			s2 += bits.OnesCount64(cw & pl[j*4+2])
			s3 += bits.OnesCount64(cw & pl[j*4+3])
		}
		out[i] = int32(s0 + s1<<1 + s2<<2 + s3<<3)
	}
}

func codeSums8(codes []uint64, pl *[8 * queryBits]uint64, out []int32) {
	codes = codes[:len(out)*8]
	for i := range out {
		c := (*[8]uint64)(codes[i*8:])
		var s0, s1, s2, s3 int
		for j := range 8 {
			cw := c[j]
			s0 += bits.OnesCount64(cw & pl[j*4])
			s1 += bits.OnesCount64(cw & pl[j*4+1])
			s2 += bits.OnesCount64(cw & pl[j*4+2])
			s3 += bits.OnesCount64(cw & pl[j*4+3])
		}
		out[i] = int32(s0 + s1<<1 + s2<<2 + s3<<3)
	}
}

func codeSumsN(codes, planes []uint64, w int, out []int32) {
	codes = codes[:len(out)*w]
	planes = planes[:w*queryBits]
	for i := range out {
		c := codes[i*w : i*w+w]
		var s0, s1, s2, s3 int
		for j, cw := range c {
			p := (*[queryBits]uint64)(planes[j*queryBits:])
			s0 += bits.OnesCount64(cw & p[0])
			s1 += bits.OnesCount64(cw & p[1])
			s2 += bits.OnesCount64(cw & p[2])
			s3 += bits.OnesCount64(cw & p[3])
		}
		out[i] = int32(s0 + s1<<1 + s2<<2 + s3<<3)
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
