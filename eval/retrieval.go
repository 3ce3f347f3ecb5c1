package eval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"time"

	"github.com/sofort-chat/sofort/index"
)

// Searcher is what retrieval evaluation needs from the index.
type Searcher interface {
	Search(ctx context.Context, q index.Query) ([]index.Hit, error)
}

// Latency holds percentiles in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
}

// RetrievalReport holds the figures of one retrieval run.
type RetrievalReport struct {
	Suite   string  `json:"suite,omitempty"`
	Mode    string  `json:"mode,omitempty"`
	Cases   int     `json:"cases"`
	Skipped int     `json:"skipped,omitempty"` // escalate cases
	R1      float64 `json:"recall@1"`
	R5      float64 `json:"recall@5"`
	MRR     float64 `json:"mrr@10"`
	NDCG    float64 `json:"ndcg@10"`
	Latency Latency `json:"latency_ms"`
	// Misses lists the cases whose expected document was not first, for
	// error analysis (not in the JSON report).
	Misses []Miss `json:"-"`
}

// Miss is one case answered wrongly at rank 1.
type Miss struct {
	Case Case
	Got  []string // top document ids
	Rank int      // rank of the first expected document, 0 if not in the top 10
}

// RunRetrieval asks every case with a non-empty expect and scores the top
// ten. Escalate-only cases are skipped: they measure the bot, not the index.
// fusion, when not nil, overrides the index's fusion settings.
func RunRetrieval(ctx context.Context, s Searcher, cases []Case, mode index.Mode, fusion *index.FusionOptions) (RetrievalReport, error) {
	rep := RetrievalReport{Mode: string(mode)}
	var lat []float64
	for _, c := range cases {
		if len(c.Expect) == 0 {
			rep.Skipped++
			continue
		}
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		t0 := time.Now()
		hits, err := s.Search(ctx, index.Query{Text: c.Query, Lang: c.Lang, Mode: mode, K: 10, Fusion: fusion})
		lat = append(lat, float64(time.Since(t0).Microseconds())/1000)
		if err != nil && !errors.Is(err, index.ErrEmptyQuery) {
			return rep, fmt.Errorf("case %s: %w", c.ID, err)
		}
		ids := make([]string, len(hits))
		for i, h := range hits {
			ids[i] = h.DocID
		}
		m := Score(ids, c.Expect)
		rep.Cases++
		rep.R1 += m.R1
		rep.R5 += m.R5
		rep.MRR += m.RR
		rep.NDCG += m.NDCG
		if m.R1 == 0 {
			top := ids
			if len(top) > 3 {
				top = top[:3]
			}
			rep.Misses = append(rep.Misses, Miss{Case: c, Got: top, Rank: m.Rank})
		}
	}
	if rep.Cases > 0 {
		n := float64(rep.Cases)
		rep.R1 /= n
		rep.R5 /= n
		rep.MRR /= n
		rep.NDCG /= n
	}
	rep.Latency = Percentiles(lat)
	return rep, nil
}

// Metrics of one ranked list against its relevant documents.
type Metrics struct {
	R1, R5, RR, NDCG float64
	Rank             int // rank of the first relevant document in the top 10, 0 if none
}

// Score computes Recall@1, Recall@5 (any relevant document in the top k),
// reciprocal rank and nDCG, all at cut-off 10 with binary relevance.
func Score(ranked, relevant []string) Metrics {
	rel := map[string]bool{}
	for _, r := range relevant {
		rel[r] = true
	}
	var m Metrics
	var dcg float64
	for i, id := range ranked {
		if i >= 10 {
			break
		}
		if !rel[id] {
			continue
		}
		dcg += 1 / math.Log2(float64(i+2))
		if m.Rank == 0 {
			m.Rank = i + 1
			m.RR = 1 / float64(i+1)
			if i == 0 {
				m.R1 = 1
			}
			if i < 5 {
				m.R5 = 1
			}
		}
	}
	var idcg float64
	for i := 0; i < len(rel) && i < 10; i++ {
		idcg += 1 / math.Log2(float64(i+2))
	}
	if idcg > 0 {
		m.NDCG = dcg / idcg
	}
	return m
}

// Percentiles returns p50 and p99 of samples (nearest rank).
func Percentiles(ms []float64) Latency {
	if len(ms) == 0 {
		return Latency{}
	}
	s := append([]float64(nil), ms...)
	sort.Float64s(s)
	at := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		if i < 0 {
			i = 0
		}
		return math.Round(s[i]*1000) / 1000
	}
	return Latency{P50: at(0.50), P99: at(0.99)}
}

// WriteText prints a report for people.
func (r RetrievalReport) WriteText(w io.Writer) error {
	name := r.Suite
	if name == "" {
		name = "suite"
	}
	_, err := fmt.Fprintf(w, "%-10s %-7s cases %5d  R@1 %.3f  R@5 %.3f  MRR@10 %.3f  nDCG@10 %.3f  latency p50 %.2f ms p99 %.2f ms\n",
		name, r.Mode, r.Cases, r.R1, r.R5, r.MRR, r.NDCG, r.Latency.P50, r.Latency.P99)
	return err
}
