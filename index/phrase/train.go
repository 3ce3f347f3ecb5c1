package phrase

import (
	"context"
	"math"
	"math/rand/v2"
)

// posting is one document's weight on one sparse feature.
type posting struct {
	c int32
	w float32
}

// train runs softmax regression by SGD with a linearly decaying learning
// rate. Each step scores the example's candidate documents (all of them
// up to ExactDocs, see candidates), then updates the true document and
// every document with probability at least MinGradient. Hot rows update
// m.hotW in place; sparse rows grow postings as documents first need a
// weight there. It returns the sparse rows' postings.
func (m *Model) train(ctx context.Context, xs []sparse, labels []int32) ([][]posting, error) {
	opt := m.opt
	nDocs := len(m.docs)
	exact := m.exact()
	rows := make([][]posting, len(m.buckets))
	logit := make([]float64, nDocs)
	stamp := make([]int64, nDocs) // step at which logit[c] was reset
	mark := make([]int64, nDocs)  // row visit at which c was seen
	grad := make([]float64, nDocs)
	// cand is all, touched (the classes sparse rows reached) or short
	// (the best of touched); each keeps its own buffer.
	var cand, touched, short, active []int32
	all := make([]int32, nDocs)
	for c := range all {
		all[c] = int32(c)
	}

	order := make([]int, len(xs))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x9e3779b97f4a7c15))
	total := float64(opt.Epochs * len(xs))
	var step, visit int64
	for epoch := 0; epoch < opt.Epochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			if step%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
			lr := opt.LearningRate * (1 - float64(step)/total)
			step++
			x, y := xs[i], labels[i]

			// Scores: sparse rows first, which also pick the candidates
			// above ExactDocs; then hot rows for the candidates.
			if exact {
				cand = all
				clear(logit)
			} else {
				cand = append(touched[:0], y)
				stamp[y], logit[y] = step, 0
			}
			for j, r := range x.rows {
				if m.hot[r] >= 0 {
					continue
				}
				v := float64(x.vals[j])
				for _, p := range rows[r] {
					if !exact && stamp[p.c] != step {
						stamp[p.c], logit[p.c] = step, 0
						cand = append(cand, p.c)
					}
					logit[p.c] += v * float64(p.w)
				}
			}
			if !exact {
				touched = cand
				cand = m.shortlist(touched, logit, y, short[:0])
				if len(cand) < len(touched) {
					short = cand
				}
			}
			m.addHot(&x, cand, logit)

			// Softmax; documents outside the candidates score 0.
			rest := nDocs - len(cand)
			mx := math.Inf(-1)
			if rest > 0 {
				mx = 0
			}
			for _, c := range cand {
				mx = math.Max(mx, logit[c])
			}
			z := float64(rest) * math.Exp(-mx)
			for _, c := range cand {
				logit[c] = math.Exp(logit[c] - mx) // logit now holds e^score
				z += logit[c]
			}
			active = active[:0]
			for _, c := range cand {
				p := logit[c] / z
				g := p
				if c == y {
					g = p - 1
				} else if p < opt.MinGradient {
					continue
				}
				if g != 0 {
					grad[c] = g
					active = append(active, c)
				}
			}
			if len(active) == 0 {
				continue
			}

			decay := float32(1 - lr*opt.L2)
			for j, r := range x.rows {
				v := x.vals[j]
				if h := int(m.hot[r]); h >= 0 {
					hw := m.hotW[h*nDocs : (h+1)*nDocs]
					for _, c := range active {
						hw[c] = hw[c]*decay - float32(lr*grad[c])*v
					}
					continue
				}
				visit++
				ps := rows[r]
				for k := range ps {
					c := ps[k].c
					mark[c] = visit
					if g := grad[c]; g != 0 {
						ps[k].w = ps[k].w*decay - float32(lr*g)*v
					}
				}
				for _, c := range active {
					if mark[c] != visit {
						ps = append(ps, posting{c, -float32(lr*grad[c]) * v})
					}
				}
				rows[r] = ps
			}
			for _, c := range active {
				grad[c] = 0
			}
		}
	}
	return rows, nil
}

// axpy adds v·src to dst, unrolled: it is the inner loop of training and
// scoring for hot rows.
func axpy(dst []float64, src []float32, v float64) {
	dst = dst[:len(src)]
	i := 0
	for ; i+4 <= len(src); i += 4 {
		d, s := dst[i:i+4:i+4], src[i:i+4:i+4]
		d[0] += v * float64(s[0])
		d[1] += v * float64(s[1])
		d[2] += v * float64(s[2])
		d[3] += v * float64(s[3])
	}
	for ; i < len(src); i++ {
		dst[i] += v * float64(src[i])
	}
}
