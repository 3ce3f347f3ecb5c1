package phrase

import (
	"context"
	"math"
	"math/rand/v2"
)

// trainRow holds one feature's weights during training: the classes it
// has weights for, in the order they were first touched.
type trainRow struct {
	cls []int32
	w   []float32
}

// train runs softmax regression by SGD with a linearly decaying learning
// rate. Each step computes the scores of the classes sharing a feature
// with the example (the others score 0), then updates the true class and
// every class whose probability is at least opt.MinGradient. Classes
// untouched by an example are not pushed down by it: they share none of
// its features, so their score for it is 0 and stays 0.
func train(ctx context.Context, xs []sparse, labels []int32, nClass, nRows int, opt Options) ([]trainRow, error) {
	rows := make([]trainRow, nRows)
	logit := make([]float64, nClass)
	stamp := make([]int64, nClass) // step at which logit[c] was reset
	mark := make([]int64, nClass)  // row visit at which c was seen
	grad := make([]float64, nClass)
	var touched, active []int32

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

			// Reset only the scores this step touches.
			touched = append(touched[:0], y)
			stamp[y], logit[y] = step, 0
			for j, r := range x.rows {
				v := float64(x.vals[j])
				row := &rows[r]
				ws := row.w[:len(row.cls)]
				for k, c := range row.cls {
					if stamp[c] != step {
						stamp[c], logit[c] = step, 0
						touched = append(touched, c)
					}
					logit[c] += v * float64(ws[k])
				}
			}

			untouched := nClass - len(touched)
			mx := math.Inf(-1)
			if untouched > 0 {
				mx = 0
			}
			for _, c := range touched {
				mx = math.Max(mx, logit[c])
			}
			z := float64(untouched) * math.Exp(-mx)
			for _, c := range touched {
				z += math.Exp(logit[c] - mx)
			}
			active = active[:0]
			for _, c := range touched {
				p := math.Exp(logit[c]-mx) / z
				g := p
				if c == y {
					g = p - 1
				} else if p < opt.MinGradient {
					continue
				}
				grad[c] = g
				active = append(active, c)
			}

			decay := float32(1 - lr*opt.L2)
			for j, r := range x.rows {
				visit++
				v := x.vals[j]
				row := &rows[r]
				for k, c := range row.cls {
					mark[c] = visit
					if g := grad[c]; g != 0 {
						row.w[k] = row.w[k]*decay - float32(lr*g)*v
					}
				}
				for _, c := range active {
					if mark[c] != visit {
						row.cls = append(row.cls, c)
						row.w = append(row.w, -float32(lr*grad[c])*v)
					}
				}
			}
			for _, c := range active {
				grad[c] = 0
			}
		}
	}
	if debugTrain {
		tot := 0
		for _, r := range rows {
			tot += len(r.cls)
		}
		nnz := 0
		for _, x := range xs {
			nnz += len(x.rows)
		}
		println("train postings", tot, "avg nnz", nnz/len(xs), "avg visited/row", float64(tot)/float64(nRows))
	}
	return rows, nil
}

const debugTrain = true
