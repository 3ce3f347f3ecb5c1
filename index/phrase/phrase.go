// Package phrase learns, at index time, which document a visitor question
// belongs to from the documents' own question-side texts (question and
// alternative phrasings), the way Rasa or DialogFlow learn intents from
// training phrases.
//
// The model is a multinomial logistic regression (softmax, no bias: every
// document is a priori as likely) over hashed features: analysed stems,
// stem bigrams, folded words, folded word bigrams and character 3–4-grams
// of folded words, each block weighted by inverse document frequency and
// normalised. It is trained by SGD with a linearly decaying learning rate
// in a seeded order, so two trainings on the same input give the same
// model bit for bit.
//
// Memory stays bounded by keeping weights feature-major and sparse: a
// feature holds weights only for the documents whose training touched it,
// and a step pushes down only documents the model gives noticeable
// probability (MinGradient), so the weights grow with how confusable the
// documents are, not with documents × features. Features found with many
// documents ("what", "<ca") would make every list long; up to ExactDocs
// documents they form a dense matrix instead, above it they are left out
// like stop words and only the best-scoring candidates are scored in full.
// Measured (see TestEval, TestScale): 150 documents with 15,000 phrasings
// 4.5 MB; 1,000 documents with 10,000 phrasings 11 MB; 10,000 documents
// with 100,000 phrasings 48 MB.
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
	// Block weights; a zero weight leaves the block out. Term: analysed
	// stems; Bigram: adjacent stems; Char: character n-grams of folded
	// words; Word: folded words, stop words included ("how", "can");
	// WordBigram: adjacent folded words ("how do", "is there").
	TermWeight, BigramWeight, CharWeight, WordWeight, WordBigramWeight float64
	// MinExamples leaves out documents with fewer phrasings: one or two
	// phrasings say nothing about how a question may vary, and the
	// retriever's other rankings handle such documents as well.
	MinExamples int
	// Epochs over the examples, in an order shuffled with Seed.
	Epochs int
	// LearningRate decays linearly to zero over the training.
	LearningRate float64
	// L2 shrinks the weights a step updates.
	L2 float64
	// MinGradient is the probability below which a wrong document is not
	// pushed down by an example: what keeps the weights sparse.
	MinGradient float64
	// PruneBelow drops smaller sparse weights after training.
	PruneBelow float64
	// ExactDocs: up to this many documents, every document is scored for
	// every question. Above it only candidates are: documents sharing a
	// sparse (not hot) feature with the question.
	ExactDocs int
	// Up to ExactDocs documents, a feature in the phrasings of more than
	// HotShare of the documents ("what", "<ca") is hot: its weights form
	// a row of a dense matrix (the most widespread features first, within
	// MaxHotWeights weights) instead of a list.
	HotShare      float64
	MaxHotWeights int
	// Above ExactDocs, a feature in the phrasings of more than MaxDocs
	// documents is left out, as a stop word is: it would cost time in
	// every step and every question and tell few documents apart. Of the
	// candidates, only the MaxCandidates with the best scores are kept.
	MaxDocs       int
	MaxCandidates int
	// Temperature divides the scores before the softmax in Score; above 1
	// it softens overconfident probabilities.
	Temperature float64
	Seed        uint64
}

// DefaultOptions returns the settings measured best on the dev suites.
func DefaultOptions() Options {
	return Options{
		HashBits:         20,
		MinGram:          3,
		MaxGram:          4,
		TermWeight:       0.5,
		BigramWeight:     0.5,
		CharWeight:       1,
		WordWeight:       1,
		WordBigramWeight: 0.75,
		MinExamples:      3,
		Epochs:           10,
		LearningRate:     2,
		L2:               0.002,
		MinGradient:      0.03,
		PruneBelow:       1e-3,
		ExactDocs:        2048,
		HotShare:         0.125,
		MaxHotWeights:    1 << 22,
		MaxDocs:          256,
		MaxCandidates:    128,
		Temperature:      1,
		Seed:             1,
	}
}

func (o Options) validate() error {
	switch {
	case o.HashBits < 8 || o.HashBits > 30:
		return fmt.Errorf("phrase: hash bits %d outside 8..30", o.HashBits)
	case o.MinGram < 1 || o.MaxGram < o.MinGram || o.MaxGram > 10:
		return fmt.Errorf("phrase: n-gram sizes %d..%d invalid", o.MinGram, o.MaxGram)
	case !nonNegative(o.TermWeight, o.BigramWeight, o.CharWeight, o.WordWeight, o.WordBigramWeight):
		return errors.New("phrase: block weight negative or NaN")
	case o.TermWeight+o.BigramWeight+o.CharWeight+o.WordWeight+o.WordBigramWeight == 0:
		return errors.New("phrase: all block weights are zero")
	case o.Epochs < 1:
		return fmt.Errorf("phrase: epochs %d < 1", o.Epochs)
	case !(o.LearningRate > 0):
		return fmt.Errorf("phrase: learning rate %g not positive", o.LearningRate)
	case !nonNegative(o.L2, o.MinGradient, o.PruneBelow, o.HotShare) || o.MaxDocs < 0 || o.ExactDocs < 0:
		return errors.New("phrase: L2, min gradient, prune threshold, hot share, max docs or exact docs negative or NaN")
	case o.MaxCandidates < 1:
		return fmt.Errorf("phrase: max candidates %d < 1", o.MaxCandidates)
	case o.MaxHotWeights < 1:
		return fmt.Errorf("phrase: max hot weights %d < 1", o.MaxHotWeights)
	case !(o.Temperature > 0):
		return fmt.Errorf("phrase: temperature %g not positive", o.Temperature)
	}
	return nil
}

func nonNegative(xs ...float64) bool {
	for _, x := range xs {
		if !(x >= 0) || math.IsInf(x, 1) {
			return false
		}
	}
	return true
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

	// Rows are the buckets seen in training, sorted, with their inverse
	// document frequency. Hot row r's weight for class c is
	// hotW[hot[r]*len(docs)+c]; a sparse row's weights are
	// cls/w[start[r]:start[r+1]], ordered by class.
	buckets []uint32
	idf     []float32
	hot     []int32
	nHot    int
	hotW    []float32
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

// scratch holds one Score call's buffers.
type scratch struct {
	bag     *bag
	x       sparse
	entries []entry
	logit   []float64
	seen    []bool
	cand    []int32
	short   []int32
	top     []candidate
}

type candidate struct {
	c int32
	p float64
}

// Score returns the k most probable documents for a question, best first,
// ties by DocID. The probabilities are a softmax over all documents the
// model covers, so they mean the same across questions. It returns nil for
// a question without a feature the model knows (emoji, an empty string,
// words never seen in training) and for k < 1.
func (m *Model) Score(lang, text string, k int) []Scored {
	nDocs := len(m.docs)
	if k < 1 || nDocs == 0 {
		return nil
	}
	k = min(k, nDocs)
	sc, _ := m.pool.Get().(*scratch)
	if sc == nil {
		sc = &scratch{bag: newBag(), logit: make([]float64, nDocs), seen: make([]bool, nDocs)}
	}
	defer m.pool.Put(sc)
	m.fz.extract(sc.bag, lang, text)
	sc.entries = m.fz.vectorize(sc.bag, m.row, &sc.x, sc.entries)
	x := &sc.x
	if len(x.rows) == 0 {
		return nil
	}
	all := m.candidates(x, sc.logit, sc.seen, sc.cand[:0])
	sc.cand = all
	cand := m.shortlist(all, sc.logit, -1, sc.short[:0])
	sc.short = cand
	if len(cand) < len(all) {
		// The rest count as unscored, like documents no feature reached.
		for _, c := range all {
			sc.seen[c] = false
		}
		for _, c := range cand {
			sc.seen[c] = true
		}
	}
	defer func() {
		for _, c := range cand {
			sc.seen[c] = false
		}
	}()
	m.addHot(x, cand, sc.logit)
	// Documents not among the candidates score 0; they stay in the
	// normaliser, so a question that matches nothing well gets low
	// probabilities everywhere.
	t := m.opt.Temperature
	mx := math.Inf(-1)
	if len(cand) < nDocs {
		mx = 0
	}
	for _, c := range cand {
		mx = math.Max(mx, sc.logit[c]/t)
	}
	z := float64(nDocs-len(cand)) * math.Exp(-mx)
	for _, c := range cand {
		z += math.Exp(sc.logit[c]/t - mx)
	}
	top := sc.top[:0]
	for _, c := range cand {
		top = append(top, candidate{c, math.Exp(sc.logit[c]/t-mx) / z})
	}
	// Documents left out tie at the bottom; add them by id when k asks
	// for more than the candidates.
	if len(top) < k && len(cand) < nDocs {
		rest := math.Exp(-mx) / z
		for c := range m.docs {
			if len(top) >= k {
				break
			}
			if !sc.seen[c] {
				top = append(top, candidate{int32(c), rest})
			}
		}
	}
	sc.top = top
	best := topK(top, k)
	out := make([]Scored, len(best))
	for i, c := range best {
		out[i] = Scored{DocID: m.docs[c.c], P: c.p}
	}
	return out
}

// exact reports whether every document is scored for every question.
func (m *Model) exact() bool { return len(m.docs) <= m.opt.ExactDocs }

// addHot adds the hot rows' scores of the candidates to logit.
func (m *Model) addHot(x *sparse, cand []int32, logit []float64) {
	nDocs := len(m.docs)
	for i, r := range x.rows {
		h := int(m.hot[r])
		if h < 0 {
			continue
		}
		v := float64(x.vals[i])
		hw := m.hotW[h*nDocs : (h+1)*nDocs]
		if len(cand) == nDocs {
			axpy(logit, hw, v)
			continue
		}
		for _, c := range cand {
			logit[c] += v * float64(hw[c])
		}
	}
}

// candidates resets and fills logit with the sparse rows' scores of the
// documents worth scoring, marks them in seen and returns them. Up to
// ExactDocs documents, or when no sparse row touches any document, that
// is every document.
func (m *Model) candidates(x *sparse, logit []float64, seen []bool, cand []int32) []int32 {
	if !m.exact() {
		for i, r := range x.rows {
			v := float64(x.vals[i])
			for j := m.start[r]; j < m.start[r+1]; j++ {
				c := m.cls[j]
				if !seen[c] {
					seen[c], logit[c] = true, 0
					cand = append(cand, c)
				}
				logit[c] += v * float64(m.w[j])
			}
		}
		if len(cand) > 0 {
			return cand
		}
	}
	for c := range m.docs {
		seen[c], logit[c] = true, 0
		cand = append(cand, int32(c))
	}
	for i, r := range x.rows {
		v := float64(x.vals[i])
		for j := m.start[r]; j < m.start[r+1]; j++ {
			logit[m.cls[j]] += v * float64(m.w[j])
		}
	}
	return cand
}

// shortlist returns the MaxCandidates candidates with the best scores so
// far (ties by class), and keep (a class, or -1 for none) among them, in
// dst; or cand itself when it is short enough or every document is
// scored anyway. It reorders nothing in cand.
func (m *Model) shortlist(cand []int32, logit []float64, keep int32, dst []int32) []int32 {
	max := m.opt.MaxCandidates
	if m.exact() || len(cand) <= max {
		return cand
	}
	dst = append(dst, cand...)
	better := func(a, b int32) bool {
		if logit[a] != logit[b] {
			return logit[a] > logit[b]
		}
		return a < b
	}
	// Quickselect with a median-of-three pivot: deterministic, linear on
	// average.
	lo, hi := 0, len(dst)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		if better(dst[mid], dst[lo]) {
			dst[mid], dst[lo] = dst[lo], dst[mid]
		}
		if better(dst[hi], dst[lo]) {
			dst[hi], dst[lo] = dst[lo], dst[hi]
		}
		if better(dst[hi], dst[mid]) {
			dst[hi], dst[mid] = dst[mid], dst[hi]
		}
		pivot := dst[mid]
		i, j := lo, hi
		for i <= j {
			for better(dst[i], pivot) {
				i++
			}
			for better(pivot, dst[j]) {
				j--
			}
			if i <= j {
				dst[i], dst[j] = dst[j], dst[i]
				i++
				j--
			}
		}
		switch {
		case max-1 <= j:
			hi = j
		case max-1 >= i:
			lo = i
		default:
			lo = hi
		}
	}
	dst = dst[:max]
	if keep >= 0 && !slices.Contains(dst, keep) {
		dst[max-1] = keep
	}
	return dst
}

// topK returns the k most probable candidates, ties by class (documents
// are sorted by id, so by DocID); it reorders cand.
func topK(cand []candidate, k int) []candidate {
	less := func(a, b candidate) int {
		if a.p != b.p {
			return cmp.Compare(b.p, a.p)
		}
		return cmp.Compare(a.c, b.c)
	}
	if len(cand) <= 4*k {
		slices.SortFunc(cand, less)
		return cand[:min(k, len(cand))]
	}
	// Keep a sorted prefix of the k best seen so far.
	slices.SortFunc(cand[:k], less)
	for i := k; i < len(cand); i++ {
		if less(cand[i], cand[k-1]) >= 0 {
			continue
		}
		c, j := cand[i], k-1
		for j > 0 && less(c, cand[j-1]) < 0 {
			j--
		}
		copy(cand[j+1:k], cand[j:k-1])
		cand[j] = c
	}
	return cand[:k]
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
		bkts []uint32
		cnts []float32
		ends [numBlocks]int
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
		for blk, counts := range b.counts {
			for bk, c := range counts {
				r.bkts = append(r.bkts, bk)
				r.cnts = append(r.cnts, float32(c))
			}
			r.ends[blk] = len(r.bkts)
		}
		if len(r.bkts) == 0 {
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

	// Rows: every bucket of a covered document's example, with its
	// document frequency over examples and how many documents have it.
	type stat struct{ df, docs, last int32 }
	stats := map[uint32]stat{}
	byDoc := make([]int, len(raws))
	for i := range byDoc {
		byDoc[i] = i
	}
	slices.SortStableFunc(byDoc, func(a, b int) int { return cmp.Compare(class[raws[a].doc], class[raws[b].doc]) })
	for _, i := range byDoc {
		r, c := raws[i], class[raws[i].doc]
		for _, bk := range r.bkts {
			s, ok := stats[bk]
			if !ok {
				s.last = -1
			}
			s.df++ // a bucket repeats across blocks only by collision
			if s.last != c {
				s.last = c
				s.docs++
			}
			stats[bk] = s
		}
	}
	m.buckets = make([]uint32, 0, len(stats))
	for bk, s := range stats {
		if m.exact() || int(s.docs) <= opt.MaxDocs {
			m.buckets = append(m.buckets, bk)
		}
	}
	slices.Sort(m.buckets)
	m.idf = make([]float32, len(m.buckets))
	n := float64(len(raws))
	for i, bk := range m.buckets {
		m.idf[i] = float32(math.Log((n+1)/(float64(stats[bk].df)+1)) + 1)
	}
	m.chooseHot(func(r int) int { return int(stats[m.buckets[r]].docs) })
	stats = nil

	// Training vectors.
	xs := make([]sparse, len(raws))
	labels := make([]int32, len(raws))
	var scratch []entry
	var x sparse
	for i, r := range raws {
		b.reset()
		from := 0
		for blk, end := range r.ends {
			for j := from; j < end; j++ {
				b.counts[blk][r.bkts[j]] = float64(r.cnts[j])
			}
			from = end
		}
		scratch = m.fz.vectorize(b, m.row, &x, scratch)
		// Exact-size copies: there is one per phrasing.
		xs[i] = sparse{rows: slices.Clone(x.rows), vals: slices.Clone(x.vals)}
		labels[i] = class[r.doc]
		raws[i] = raw{}
	}
	raws = nil

	rows, err := m.train(ctx, xs, labels)
	if err != nil {
		return nil, err
	}
	m.pack(rows)
	m.fingerprint = m.computeFingerprint()
	return m, nil
}

// chooseHot makes the rows found with the most documents dense (see
// Options). docsOf reports in how many documents' phrasings a row is.
func (m *Model) chooseHot(docsOf func(int) int) {
	nDocs := len(m.docs)
	m.hot = make([]int32, len(m.buckets))
	var hot []int
	for r := range m.buckets {
		m.hot[r] = -1
		if d := docsOf(r); m.exact() && d > 1 && float64(d) > m.opt.HotShare*float64(nDocs) {
			hot = append(hot, r)
		}
	}
	slices.SortStableFunc(hot, func(a, b int) int { return cmp.Compare(docsOf(b), docsOf(a)) })
	if max := m.opt.MaxHotWeights / nDocs; len(hot) > max {
		hot = hot[:max]
	}
	slices.Sort(hot)
	for i, r := range hot {
		m.hot[r] = int32(i)
	}
	m.nHot = len(hot)
	m.hotW = make([]float32, len(hot)*nDocs)
}

// pack moves the training rows' sparse weights into flat arrays ordered
// by class, dropping weights below opt.PruneBelow.
func (m *Model) pack(rows [][]posting) {
	m.start = make([]int32, len(rows)+1)
	keep := func(w float32) bool { return w != 0 && math.Abs(float64(w)) >= m.opt.PruneBelow }
	total := 0
	for _, ps := range rows {
		for _, p := range ps {
			if keep(p.w) {
				total++
			}
		}
	}
	m.cls = make([]int32, 0, total)
	m.w = make([]float32, 0, total)
	for i, ps := range rows {
		slices.SortFunc(ps, func(a, b posting) int { return cmp.Compare(a.c, b.c) })
		for _, p := range ps {
			if keep(p.w) {
				m.cls = append(m.cls, p.c)
				m.w = append(m.w, p.w)
			}
		}
		m.start[i+1] = int32(len(m.cls))
		rows[i] = nil // let training memory go as the model fills
	}
}

// Stats describes a model's size.
type Stats struct {
	Docs, Rows, HotRows, Weights int
	// Bytes is the memory the model's arrays hold.
	Bytes int64
}

// Stats reports the model's size.
func (m *Model) Stats() Stats {
	s := Stats{Docs: len(m.docs), Rows: len(m.buckets), HotRows: m.nHot, Weights: len(m.w) + len(m.hotW)}
	s.Bytes = 4 * int64(len(m.buckets)+len(m.idf)+len(m.hot)+len(m.hotW)+len(m.start)+len(m.cls)+len(m.w))
	for _, d := range m.docs {
		s.Bytes += int64(len(d)) + 16
	}
	return s
}
