// Package phrase learns, at index time, which document a visitor question
// belongs to from the documents' own question-side texts (question and
// alternative phrasings), the way Rasa or DialogFlow learn intents from
// training phrases.
//
// The model is a multinomial logistic regression (softmax) over sparse
// hashed features: analysed stems, stem bigrams, folded words and
// character n-grams of folded words, each weighted by inverse document
// frequency. Its weights are stored feature-major and sparsely: a feature
// holds weights only for the documents whose training actually touched it.
// Training updates a document's weights only where the model puts
// noticeable probability on it (sampled-softmax style), so memory and
// training time grow with how confusable the documents are, not with
// documents × features.
package phrase

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/sofort-chat/sofort/index/analyze"
)

// Example is one training phrasing of a document.
type Example struct {
	DocID, Lang, Text string
}

// Scored is one document with the probability the model gives it.
type Scored struct {
	DocID string
	P     float64
}

// Options tune features and training. Start from DefaultOptions.
type Options struct {
	// HashBits sets the number of hash buckets (2^HashBits). Only buckets
	// seen in training take memory.
	HashBits int
	// Character n-gram sizes, inclusive.
	MinGram, MaxGram int
	// Block weights; a zero weight leaves the block out.
	TermWeight, BigramWeight, CharWeight, WordWeight float64
	// MinExamples leaves out documents with fewer phrasings: one or two
	// phrasings say nothing about how a question may vary, and the
	// retriever's other rankings handle such documents as well.
	MinExamples int
	// Epochs over the examples, in an order shuffled with Seed.
	Epochs int
	// LearningRate decays linearly to zero over the training.
	LearningRate float64
	// L2 shrinks the weights a step touches.
	L2 float64
	// MinGradient is the probability below which a wrong document is not
	// pushed down for an example: the sparse-update threshold.
	MinGradient float64
	// PruneBelow drops smaller weights after training.
	PruneBelow float64
	// Temperature divides the scores before the softmax in Score; above 1
	// it softens overconfident probabilities.
	Temperature float64
	Seed        uint64
}

// DefaultOptions returns the settings measured best on the dev suites.
func DefaultOptions() Options {
	return Options{
		HashBits:     20,
		MinGram:      3,
		MaxGram:      5,
		TermWeight:   1,
		BigramWeight: 0.5,
		CharWeight:   1,
		WordWeight:   0.5,
		MinExamples:  3,
		Epochs:       10,
		LearningRate: 0.5,
		L2:           0,
		MinGradient:  1e-3,
		PruneBelow:   1e-3,
		Temperature:  1,
		Seed:         1,
	}
}

func (o Options) validate() error {
	switch {
	case o.HashBits < 8 || o.HashBits > 30:
		return fmt.Errorf("phrase: hash bits %d outside 8..30", o.HashBits)
	case o.MinGram < 1 || o.MaxGram < o.MinGram || o.MaxGram > 10:
		return fmt.Errorf("phrase: n-gram sizes %d..%d invalid", o.MinGram, o.MaxGram)
	case o.TermWeight < 0 || o.BigramWeight < 0 || o.CharWeight < 0 || o.WordWeight < 0:
		return errors.New("phrase: negative block weight")
	case o.TermWeight+o.BigramWeight+o.CharWeight+o.WordWeight == 0:
		return errors.New("phrase: all block weights are zero")
	case o.Epochs < 1:
		return fmt.Errorf("phrase: epochs %d < 1", o.Epochs)
	case !(o.LearningRate > 0):
		return fmt.Errorf("phrase: learning rate %g not positive", o.LearningRate)
	case o.L2 < 0 || o.MinGradient < 0 || o.PruneBelow < 0:
		return errors.New("phrase: negative L2, min gradient or prune threshold")
	case !(o.Temperature > 0):
		return fmt.Errorf("phrase: temperature %g not positive", o.Temperature)
	}
	return nil
}

// ErrNoDocuments is returned by Train when no document has MinExamples
// phrasings with any features.
var ErrNoDocuments = errors.New("phrase: no document with enough phrasings")

// Model scores questions against the documents it was trained on. It is
// safe for concurrent use.
type Model struct {
	opt  Options
	an   *analyze.Analyzer
	fz   *featurizer
	docs []string // class → document id, sorted

	// Rows are the buckets seen in training, sorted; row i's weights are
	// cls/w[start[i]:start[i+1]].
	buckets []uint32
	idf     []float32
	start   []int32
	cls     []int32
	w       []float32

	fingerprint string
	pool        sync.Pool // *scratch
}

// Docs returns the ids of the documents the model covers, sorted.
func (m *Model) Docs() []string { return slices.Clone(m.docs) }

// row looks a bucket up.
func (m *Model) row(b uint32) (int32, float64, bool) {
	i, ok := slices.BinarySearch(m.buckets, b)
	if !ok {
		return 0, 0, false
	}
	return int32(i), float64(m.idf[i]), true
}

// Score returns the k most probable documents for a question, best first,
// ties by DocID. The probabilities are a softmax over all documents the
// model covers, so they mean the same across questions. It returns nil for
// a question without a feature the model knows (emoji, an empty string,
// words never seen in training) and for k < 1.
func (m *Model) Score(lang, text string, k int) []Scored {
	if k < 1 || len(m.docs) == 0 {
		return nil
	}
	sc, _ := m.pool.Get().(*scratch)
	if sc == nil {
		sc = &scratch{bag: newBag(), logit: make([]float64, len(m.docs)), seen: make([]bool, len(m.docs))}
	}
	defer m.pool.Put(sc)
	m.fz.extract(sc.bag, lang, text)
	sc.entries = m.fz.vectorize(sc.bag, m.row, &sc.x, sc.entries)
	x := &sc.x
	if len(x.rows) == 0 {
		return nil
	}
	touched := sc.touched[:0]
	for i, r := range x.rows {
		v := float64(x.vals[i])
		for j := m.start[r]; j < m.start[r+1]; j++ {
			c := m.cls[j]
			if !sc.seen[c] {
				sc.seen[c] = true
				sc.logit[c] = 0
				touched = append(touched, c)
			}
			sc.logit[c] += v * float64(m.w[j])
		}
	}
	sc.touched = touched
	defer func() {
		for _, c := range touched {
			sc.seen[c] = false
		}
	}()
	// Documents no feature touched score 0; they stay in the
	// normaliser, so a question that matches nothing well gets low
	// probabilities everywhere.
	t := m.opt.Temperature
	mx := math.Inf(-1)
	if len(touched) < len(m.docs) {
		mx = 0
	}
	for _, c := range touched {
		mx = math.Max(mx, sc.logit[c]/t)
	}
	z := float64(len(m.docs)-len(touched)) * math.Exp(-mx)
	for _, c := range touched {
		z += math.Exp(sc.logit[c]/t - mx)
	}
	cand := sc.cand[:0]
	for _, c := range touched {
		cand = append(cand, candidate{c, math.Exp(sc.logit[c]/t-mx) / z})
	}
	// Untouched documents tie at the bottom; add them by id when k asks
	// for more than the touched ones.
	if len(cand) < k && len(touched) < len(m.docs) {
		rest := math.Exp(-mx) / z
		for c := range m.docs {
			if len(cand) >= k {
				break
			}
			if !sc.seen[c] {
				cand = append(cand, candidate{int32(c), rest})
			}
		}
	}
	sc.cand = cand
	// Documents are sorted by id, so class order breaks ties by DocID.
	less := func(a, b candidate) int {
		if a.p != b.p {
			return cmp.Compare(b.p, a.p)
		}
		return cmp.Compare(a.c, b.c)
	}
	top := topK(cand, k, less)
	out := make([]Scored, len(top))
	for i, c := range top {
		out[i] = Scored{DocID: m.docs[c.c], P: c.p}
	}
	return out
}

type candidate struct {
	c int32
	p float64
}

// scratch holds one Score call's buffers.
type scratch struct {
	bag     *bag
	x       sparse
	entries []entry
	logit   []float64
	seen    []bool
	touched []int32
	cand    []candidate
}

// topK returns the k smallest by less, sorted; it reorders cand.
func topK(cand []candidate, k int, less func(a, b candidate) int) []candidate {
	if len(cand) > 4*k {
		// Partial selection: keep a sorted prefix of k.
		slices.SortFunc(cand[:k], less)
		for i := k; i < len(cand); i++ {
			if less(cand[i], cand[k-1]) < 0 {
				j := k - 1
				for j > 0 && less(cand[i], cand[j-1]) < 0 {
					j--
				}
				copy(cand[j+1:k], cand[j:k-1])
				cand[j] = cand[i]
			}
		}
		return cand[:k]
	}
	slices.SortFunc(cand, less)
	if len(cand) > k {
		cand = cand[:k]
	}
	return cand
}

// Train learns a model from examples. Documents with fewer than
// opt.MinExamples phrasings that yield features are left out. It fails
// with ErrNoDocuments if none is left, on invalid options, and with
// ctx.Err() when ctx ends.
func Train(ctx context.Context, an *analyze.Analyzer, examples []Example, opt Options) (*Model, error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	if an == nil {
		var err error
		if an, err = analyze.New(); err != nil {
			return nil, fmt.Errorf("phrase: %w", err)
		}
	}
	m := &Model{opt: opt, an: an, fz: newFeaturizer(an, opt)}

	// Features of every example, and which documents keep enough.
	type raw struct {
		doc  string
		bkts [numBlocks][]uint32
		cnts [numBlocks][]float64
	}
	raws := make([]raw, 0, len(examples))
	perDoc := map[string]int{}
	b := newBag()
	for i, ex := range examples {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		m.fz.extract(b, ex.Lang, ex.Text)
		r := raw{doc: ex.DocID}
		n := 0
		for blk, counts := range b.counts {
			for bk, c := range counts {
				r.bkts[blk] = append(r.bkts[blk], bk)
				r.cnts[blk] = append(r.cnts[blk], c)
			}
			n += len(counts)
		}
		if n == 0 {
			continue
		}
		raws = append(raws, r)
		perDoc[ex.DocID]++
	}
	for id, n := range perDoc {
		if n >= opt.MinExamples {
			m.docs = append(m.docs, id)
		}
	}
	if len(m.docs) == 0 {
		return nil, ErrNoDocuments
	}
	slices.Sort(m.docs)
	class := make(map[string]int32, len(m.docs))
	for i, id := range m.docs {
		class[id] = int32(i)
	}
	kept := raws[:0]
	for _, r := range raws {
		if _, ok := class[r.doc]; ok {
			kept = append(kept, r)
		}
	}
	raws = kept

	// Rows: every bucket an example of a covered document has, with its
	// document frequency over examples.
	df := map[uint32]int{}
	for _, r := range raws {
		seen := map[uint32]bool{}
		for blk := range r.bkts {
			for _, bk := range r.bkts[blk] {
				if !seen[bk] {
					seen[bk] = true
					df[bk]++
				}
			}
		}
	}
	m.buckets = make([]uint32, 0, len(df))
	for bk := range df {
		m.buckets = append(m.buckets, bk)
	}
	slices.Sort(m.buckets)
	m.idf = make([]float32, len(m.buckets))
	n := float64(len(raws))
	for i, bk := range m.buckets {
		m.idf[i] = float32(math.Log((n+1)/(float64(df[bk])+1)) + 1)
	}

	// Training vectors, flat.
	xs := make([]sparse, len(raws))
	labels := make([]int32, len(raws))
	var scratch []entry
	for i, r := range raws {
		b.reset()
		for blk := range r.bkts {
			for j, bk := range r.bkts[blk] {
				b.counts[blk][bk] = r.cnts[blk][j]
			}
		}
		scratch = m.fz.vectorize(b, m.row, &xs[i], scratch)
		labels[i] = class[r.doc]
	}
	raws = nil

	rows, err := train(ctx, xs, labels, len(m.docs), len(m.buckets), opt)
	if err != nil {
		return nil, err
	}
	m.pack(rows)
	m.fingerprint = m.computeFingerprint()
	return m, nil
}

// pack moves the training rows into flat arrays, dropping small weights
// and ordering each row by class.
func (m *Model) pack(rows []trainRow) {
	m.start = make([]int32, len(rows)+1)
	total := 0
	for _, r := range rows {
		for _, w := range r.w {
			if math.Abs(float64(w)) >= m.opt.PruneBelow && w != 0 {
				total++
			}
		}
	}
	m.cls = make([]int32, 0, total)
	m.w = make([]float32, 0, total)
	type cw struct {
		c int32
		w float32
	}
	var buf []cw
	for i, r := range rows {
		buf = buf[:0]
		for j, w := range r.w {
			if math.Abs(float64(w)) >= m.opt.PruneBelow && w != 0 {
				buf = append(buf, cw{r.cls[j], w})
			}
		}
		slices.SortFunc(buf, func(a, b cw) int { return cmp.Compare(a.c, b.c) })
		for _, e := range buf {
			m.cls = append(m.cls, e.c)
			m.w = append(m.w, e.w)
		}
		m.start[i+1] = int32(len(m.cls))
	}
}

// Stats describes a model's size.
type Stats struct {
	Docs, Rows, Weights int
	// Bytes is the memory the model's arrays hold.
	Bytes int64
}

// Stats reports the model's size.
func (m *Model) Stats() Stats {
	s := Stats{Docs: len(m.docs), Rows: len(m.buckets), Weights: len(m.w)}
	s.Bytes = int64(len(m.buckets))*4 + int64(len(m.idf))*4 + int64(len(m.start))*4 +
		int64(len(m.cls))*4 + int64(len(m.w))*4
	for _, d := range m.docs {
		s.Bytes += int64(len(d)) + 16
	}
	return s
}
