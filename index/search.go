package index

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/sofort-chat/sofort/corpus"
	"github.com/sofort-chat/sofort/index/analyze"
	"github.com/sofort-chat/sofort/index/phrase"
	"github.com/sofort-chat/sofort/internal/langdetect"
)

// Mode chooses which indexes answer a query.
type Mode string

const (
	ModeBM25   Mode = "bm25"
	ModeVector Mode = "vector"
	ModeHybrid Mode = "hybrid"
)

// ParseMode accepts the CLI spelling of a mode.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case ModeBM25, ModeVector, ModeHybrid:
		return m, nil
	case "":
		return ModeHybrid, nil
	}
	return "", fmt.Errorf("unknown mode %q (want bm25, vector or hybrid)", s)
}

// ErrEmptyQuery is returned for a question with nothing searchable in it.
var ErrEmptyQuery = errors.New("empty question")

// MaxQueryBytes bounds the text a query analyses. A visitor pasting a whole
// e-mail still gets hits from its beginning, where the question usually is.
const MaxQueryBytes = 4000

// Query is one search.
type Query struct {
	Text string
	// Lang restricts hits to documents in that language and sets the
	// query's analysis. Empty: detect the analysis, search all languages.
	Lang string
	Mode Mode
	K    int
	// Fusion overrides the index's fusion settings for this query (for
	// evaluation and tuning); nil uses the index's.
	Fusion *FusionOptions
	// Bare skips what only a display of the hits needs: Fields, Snippet,
	// Highlights and PassageField stay empty. The hits, their order,
	// scores, components and Doc are the same. The bot, which shows
	// documents rather than snippets, asks for bare hits: the snippets and
	// the matched-fields query were about a third of a chat turn's CPU.
	Bare bool
}

// Hit is one document found.
type Hit struct {
	DocID string
	// Score is in [0,1] and comparable across queries: the bot's
	// thresholds apply to it.
	Score float64
	// Fields names the document fields the question matched.
	Fields []string
	// Snippet is the best passage, shortened; Highlights are byte ranges
	// of Snippet that match the question's terms.
	Snippet    string
	Highlights [][2]int
	// PassageField is the field of the best passage.
	PassageField string
	Doc          corpus.Document
	// Components, for evaluation and debugging.
	BM25   float64 // raw full-text score (0 when not found that way)
	Vector float64 // vector evidence (cosines of the best passages)
	Phrase float64 // phrase-model probability
	Rank   struct{ BM25, Vector int }
}

type cand struct {
	id             string
	bm25           float64
	bRank          int
	vq, va, vector float64   // best question-side, answer-side and combined cosine
	qsims          []float64 // question-side cosines, best first (up to KNN)
	vRank          int
	passage        string  // best passage id
	phrase         float64 // phrase-model probability
	score          float64
}

// Search answers q. It never panics on odd input; it returns
// ErrEmptyQuery for a question with no letters or digits.
func (x *Index) Search(ctx context.Context, q Query) ([]Hit, error) {
	text := strings.ToValidUTF8(q.Text, " ")
	text = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, text)
	if len(text) > MaxQueryBytes {
		text = truncate(text, MaxQueryBytes)
	}
	if strings.IndexFunc(text, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) < 0 {
		return nil, ErrEmptyQuery
	}
	if q.K <= 0 {
		q.K = 10
	}
	if q.Mode == "" {
		q.Mode = ModeHybrid
	}
	lang := q.Lang
	if lang == "" {
		if l, conf := langdetect.Detect(text); conf >= 0.5 {
			lang = l
		}
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.ft == nil {
		return nil, ErrClosed
	}

	f := x.opt.Fusion
	if q.Fusion != nil {
		f = q.Fusion.withDefaults()
	}
	cands := map[string]*cand{}
	get := func(id string) *cand {
		c := cands[id]
		if c == nil {
			c = &cand{id: id}
			cands[id] = c
		}
		return c
	}
	// Full-text and vector retrieval are independent: run them on both
	// cores, and merge in a fixed order so the result does not depend on
	// which finished first.
	var (
		ftHits []ftHit
		ftErr  error
		wg     sync.WaitGroup
	)
	if q.Mode != ModeVector {
		wg.Go(func() {
			ftHits, ftErr = x.ft.search(ctx, text, lang, q.Lang, x.opt.Boosts, f.Candidates)
		})
	}
	var vHits []vecHit
	var vErr error
	if q.Mode != ModeBM25 {
		vHits, vErr = x.vectorSearch(ctx, f, text, lang, q.Lang)
	}
	var phr []phrase.Scored
	if q.Mode == ModeHybrid && x.phr != nil {
		phr = x.phr.Score(lang, text, f.PhraseK)
	}
	wg.Wait()
	if ftErr != nil {
		return nil, ftErr
	}
	if vErr != nil {
		return nil, vErr
	}
	for i, h := range ftHits {
		c := get(h.ID)
		c.bm25, c.bRank = h.Score, i+1
	}
	if q.Mode != ModeBM25 {
		foldVectorHits(f, vHits, get, cands)
	}
	for _, s := range phr {
		if s.DocID == backgroundID || q.Lang != "" && x.lang[s.DocID] != q.Lang {
			continue
		}
		get(s.DocID).phrase = s.P
	}
	list := make([]*cand, 0, len(cands))
	for _, c := range cands {
		c.score = f.score(q.Mode, c)
		list = append(list, c)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].score != list[j].score {
			return list[i].score > list[j].score
		}
		return list[i].id < list[j].id
	})
	if len(list) > q.K {
		list = list[:q.K]
	}
	if q.Bare {
		out, _, err := x.buildHits(ctx, list, text, lang, true)
		return out, err
	}
	return x.hits(ctx, list, text, lang)
}

// hits loads the documents of the final candidates (in one store query
// when the store can) and the fields that matched, and builds the hits.
func (x *Index) hits(ctx context.Context, list []*cand, text, lang string) ([]Hit, error) {
	var ftIDs []string
	for _, c := range list {
		if c.bRank > 0 {
			ftIDs = append(ftIDs, c.id)
		}
	}
	// Which fields matched is a second Bleve query; it runs while the
	// documents load and the snippets are cut.
	var (
		fields map[string][]string
		fErr   error
		wg     sync.WaitGroup
	)
	wg.Go(func() { fields, fErr = x.ft.matchedFields(ctx, text, lang, x.opt.Boosts, ftIDs) })
	out, vfields, err := x.buildHits(ctx, list, text, lang, false)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if fErr != nil {
		return nil, fErr
	}
	for i := range out {
		h := &out[i]
		// The fields full-text matched, then the best vector passage's.
		f := fields[h.DocID]
		if vf := vfields[i]; vf != "" && !contains(f, vf) {
			f = append(f, vf)
		}
		h.Fields = f
	}
	return out, nil
}

// buildHits loads the documents and, unless bare, cuts the snippets.
// Fields is left to the caller; vfields holds each hit's best vector
// passage field.
func (x *Index) buildHits(ctx context.Context, list []*cand, text, lang string, bare bool) (hits []Hit, vfields []string, err error) {
	ids := make([]string, len(list))
	for i, c := range list {
		ids[i] = c.id
	}
	var docs map[string]corpus.Document
	if mg, ok := x.src.(manyGetter); ok {
		if docs, err = mg.GetMany(ctx, ids); err != nil {
			return nil, nil, fmt.Errorf("load hits: %w", err)
		}
	}
	var hc *hitContext
	if !bare {
		hc = x.newHitContext(text, lang)
	}
	out := make([]Hit, 0, len(list))
	for _, c := range list {
		var d corpus.Document
		if docs != nil {
			var ok bool
			if d, ok = docs[c.id]; !ok {
				// Indexed but gone from the store: the next Sync drops it.
				continue
			}
		} else if d, err = x.src.Get(ctx, c.id); errors.Is(err, corpus.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, nil, fmt.Errorf("load hit %s: %w", c.id, err)
		}
		if bare {
			out = append(out, bareHit(c, d))
			continue
		}
		h, vf := x.hit(ctx, c, d, hc)
		out = append(out, h)
		vfields = append(vfields, vf)
	}
	return out, vfields, nil
}

// manyGetter is the optional batch read of a Source (corpus.Store has it).
type manyGetter interface {
	GetMany(ctx context.Context, ids []string) (map[string]corpus.Document, error)
}

// vectorSearch embeds the question and returns the nearest passages,
// only those of documents in filterLang unless it is "".
func (x *Index) vectorSearch(ctx context.Context, f FusionOptions, text, lang, filterLang string) ([]vecHit, error) {
	vecs, err := x.emb.Embed(ctx, lang, []string{text})
	if err != nil {
		return nil, fmt.Errorf("%w: embed question: %w", ErrEmbedder, err)
	}
	if len(vecs) != 1 {
		return nil, fmt.Errorf("%w: %s returned %d vectors for one question", ErrEmbedder, x.emb.Name(), len(vecs))
	}
	if err := checkDims(x.emb.Name(), x.st.Dim, vecs); err != nil {
		return nil, err
	}
	if !normalize(vecs[0]) {
		return nil, nil
	}
	return x.vec.search(vecs[0], f.Passages, filterLang), nil
}

// foldVectorHits folds the nearest passages into per-document candidates:
// the best question-side passage and the best answer-side passage each
// count.
func foldVectorHits(f FusionOptions, hits []vecHit, get func(string) *cand, cands map[string]*cand) {
	rank := 0
	for _, h := range hits {
		doc := docOfPassage(h.PassageID)
		c := cands[doc]
		if c == nil || c.vRank == 0 {
			rank++
		}
		c = get(doc)
		if c.vRank == 0 {
			c.vRank = rank
		}
		s := float64(h.Score)
		if isQuestionSide(fieldOfPassage(h.PassageID)) {
			if s > c.vq {
				c.vq = s
			}
			if len(c.qsims) < f.KNN {
				c.qsims = append(c.qsims, s) // hits arrive best first
			}
		} else if s > c.va {
			c.va = s
		}
		if s > c.vector || c.passage == "" {
			if s > c.vector {
				c.vector = s
			}
			c.passage = h.PassageID
		}
	}
	for _, c := range cands {
		c.vector = f.combineVector(c)
	}
}

func isQuestionSide(field string) bool {
	return field == FieldQuestion || field == FieldTitle || field == FieldAlt
}

// FusionOptions control how the rankings become one score. In hybrid
// mode the score is a logistic function of three evidence values, each
// absolute (not a rank, not a ratio to the query's best hit), so the same
// score means the same evidence in any query: it estimates the probability
// that the document answers the question, which is what the bot's
// thresholds need.
type FusionOptions struct {
	// Candidates is how many full-text hits enter fusion, Passages how
	// many nearest passages, PhraseK how many phrase-model documents.
	Candidates int
	Passages   int
	PhraseK    int
	// BM25Half is the raw full-text score that maps to 0.5: raw Bleve
	// scores are unbounded.
	BM25Half float64
	// AnswerWeight is the answer side's share against the question side
	// in a document's vector evidence.
	AnswerWeight float64
	// KNN and KNNWeight blend the best question-side cosine with the mean
	// of the document's KNN best: a document with several close phrasings
	// is a safer bet than one with a single lucky one.
	KNN       int
	KNNWeight float64
	// Logistic weights: score = σ(Bias + WVector·v + WBM25·b + WPhrase·p).
	Bias, WVector, WBM25, WPhrase float64
}

// DefaultFusion returns the settings fitted on the dev suites (see
// docs/retrieval.md).
func DefaultFusion() FusionOptions {
	return FusionOptions{
		Candidates: 50, Passages: 300, PhraseK: 20,
		BM25Half: 1.0, AnswerWeight: 0.33, KNN: 3, KNNWeight: 0.5,
		Bias: -6, WVector: 6, WBM25: 5, WPhrase: 8,
	}
}

func (f FusionOptions) withDefaults() FusionOptions {
	d := DefaultFusion()
	if f.Candidates <= 0 {
		f.Candidates = d.Candidates
	}
	if f.Passages <= 0 {
		f.Passages = d.Passages
	}
	if f.PhraseK <= 0 {
		f.PhraseK = d.PhraseK
	}
	if f.BM25Half <= 0 {
		f.BM25Half = d.BM25Half
	}
	if f.KNN <= 0 {
		f.KNN = 1
	}
	if f.WVector == 0 && f.WBM25 == 0 && f.WPhrase == 0 {
		f.Bias, f.WVector, f.WBM25, f.WPhrase = d.Bias, d.WVector, d.WBM25, d.WPhrase
	}
	return f
}

// combineVector is a document's vector evidence: its question side (the
// best phrasing, blended with its next best) plus a share of its best
// answer passage.
func (f FusionOptions) combineVector(c *cand) float64 {
	vq := c.vq
	if len(c.qsims) > 1 && f.KNNWeight > 0 {
		var sum float64
		for _, s := range c.qsims {
			sum += s
		}
		vq = (1-f.KNNWeight)*vq + f.KNNWeight*sum/float64(len(c.qsims))
	}
	if vq == 0 {
		// A document without question-side passages (an article) is
		// judged on its text alone.
		return c.va
	}
	return (1-f.AnswerWeight)*vq + f.AnswerWeight*c.va
}

// score maps a candidate to [0,1].
func (f FusionOptions) score(m Mode, c *cand) float64 {
	b := c.bm25 / (c.bm25 + f.BM25Half)
	v := math.Max(0, math.Min(1, c.vector))
	switch m {
	case ModeBM25:
		return b
	case ModeVector:
		return v
	}
	z := f.Bias + f.WVector*v + f.WBM25*b + f.WPhrase*c.phrase
	return 1 / (1 + math.Exp(-z))
}

// hitContext is what every hit of one search shares: the question's
// terms and prefixes, analysed once, and the words already tested for a
// match by language.
type hitContext struct {
	qterms map[string]bool
	prefix func(string) int
	match  map[[2]string]bool // (language, word) → one of its terms is a question term
}

func (x *Index) newHitContext(text, lang string) *hitContext {
	hc := &hitContext{qterms: map[string]bool{}, prefix: newPrefixMatcher(text), match: map[[2]string]bool{}}
	for _, t := range x.an.Terms(lang, text) {
		hc.qterms[t] = true
	}
	return hc
}

// bareHit is a hit without the parts for display.
func bareHit(c *cand, d corpus.Document) Hit {
	h := Hit{DocID: c.id, Score: c.score, Doc: d, BM25: c.bm25, Vector: c.vector, Phrase: c.phrase}
	h.Rank.BM25, h.Rank.Vector = c.bRank, c.vRank
	return h
}

// hit builds a hit's snippet from its document. It also returns the field
// of the best vector passage, which counts as matched.
func (x *Index) hit(ctx context.Context, c *cand, d corpus.Document, hc *hitContext) (Hit, string) {
	h := bareHit(c, d)
	dl := x.lang[c.id]
	ptext, pfield := "", ""
	if c.passage != "" {
		ptext, pfield, _ = x.vec.passage(ctx, c.passage)
	}
	vfield := pfield
	if ptext == "" || isQuestionSide(pfield) {
		// Show the answer, not the question the visitor already asked.
		if p := bestAnswerPassage(&d, hc.prefix); p.Text != "" {
			ptext, pfield = p.Text, p.Field
		}
	}
	h.PassageField = pfield
	h.Snippet, h.Highlights = x.snippet(ptext, dl, hc)
	return h, vfield
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// bestAnswerPassage picks the answer-side passage sharing most question
// words (the first one on a tie, usually the direct answer).
func bestAnswerPassage(d *corpus.Document, shared func(string) int) Passage {
	var best Passage
	bestN := -1
	for _, p := range SplitPassages(d) {
		if isQuestionSide(p.Field) {
			continue
		}
		n := shared(p.Text)
		if p.Field == FieldAccepted {
			n++ // the accepted answer is what solved it
		}
		if n > bestN {
			best, bestN = p, n
		}
	}
	return best
}

const snippetBytes = 240

// snippet cuts a window of about snippetBytes around the first matching
// word and reports where the matching words are.
func (x *Index) snippet(text, lang string, hc *hitContext) (string, [][2]int) {
	if text == "" {
		return "", nil
	}
	type span struct{ s, e int }
	var words []span
	inWord := false
	start := 0
	for i, r := range text {
		isW := unicode.IsLetter(r) || unicode.IsDigit(r)
		if isW && !inWord {
			start, inWord = i, true
		} else if !isW && inWord {
			words = append(words, span{start, i})
			inWord = false
		}
	}
	if inWord {
		words = append(words, span{start, len(text)})
	}
	var marks []span
	for _, w := range words {
		key := [2]string{lang, text[w.s:w.e]}
		m, ok := hc.match[key]
		if !ok {
			for _, t := range x.an.Terms(lang, key[1]) {
				if hc.qterms[t] {
					m = true
					break
				}
			}
			hc.match[key] = m
		}
		if m {
			marks = append(marks, w)
		}
	}
	from := 0
	if len(marks) > 0 && marks[0].s > snippetBytes/3 {
		from = marks[0].s - snippetBytes/4
		for from > 0 && !utf8.RuneStart(text[from]) {
			from--
		}
		if sp := strings.IndexByte(text[from:marks[0].s], ' '); sp >= 0 {
			from += sp + 1
		}
	}
	to := len(text)
	if to-from > snippetBytes {
		cut := truncate(text[from:], snippetBytes)
		to = from + len(cut)
	}
	out := strings.TrimSpace(text[from:to])
	lead := strings.Index(text[from:to], out)
	prefix, suffix := "", ""
	if from > 0 {
		prefix = "… "
	}
	if to < len(text) {
		suffix = " …"
	}
	var hl [][2]int
	base := from + lead
	for _, m := range marks {
		if m.s >= base && m.e <= base+len(out) {
			hl = append(hl, [2]int{m.s - base + len(prefix), m.e - base + len(prefix)})
		}
	}
	return prefix + out + suffix, hl
}

// newPrefixMatcher returns a cheap relatedness count for choosing among a
// document's passages: how many words of a text share a five-letter folded
// prefix with a word of the question. Full analysis of every passage of
// every hit costs more than the whole search.
func newPrefixMatcher(question string) func(string) int {
	const n = 5
	prefixes := map[string]bool{}
	for _, w := range splitFolded(question) {
		if r := []rune(w); len(r) >= 4 {
			prefixes[string(r[:min(n, len(r))])] = true
		}
	}
	return func(text string) int {
		count := 0
		for _, w := range splitFolded(text) {
			if r := []rune(w); len(r) >= 4 && prefixes[string(r[:min(n, len(r))])] {
				count++
			}
		}
		return count
	}
}

func splitFolded(s string) []string {
	return strings.FieldsFunc(analyze.Fold(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}
