// Package localembed is sofort's default embedder: pure Go, offline and
// deterministic. It hashes several kinds of features into one dense vector:
//
//   - stems from the same analysis as the full-text index, weighted by how
//     rare they are in the corpus (inverse document frequency learned at
//     index time), so the vector side agrees with BM25 on what matters;
//   - character n-grams of the folded words, which survive typos, missing
//     umlauts, inflection and compounds that stemming misses;
//   - synonyms from real lexical resources (OpenThesaurus, WordNet), which
//     bridge vocabulary gaps ("Symptome" and "Krankheitszeichen") that no
//     lexical index can;
//   - adjacent stem pairs, which keep a little word order.
//
// Each block is normalised on its own and weighted, so no block drowns
// another however long the text is.
package localembed

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"unicode"

	"github.com/sofort-chat/sofort/index/analyze"
	"github.com/sofort-chat/sofort/internal/lexicon"
)

// Version changes whenever the features or their weighting change, so
// indexes built with an older version are re-embedded.
const Version = "3"

// Options tune the embedder. The zero value is not useful; start from
// DefaultOptions.
type Options struct {
	Dim int
	// Block weights (relative; each block is unit-normalised first).
	WordWeight    float64
	CharWeight    float64
	SynonymWeight float64
	BigramWeight  float64
	// Character n-gram sizes, inclusive.
	MinGram, MaxGram int
	// GramIDFPower softens the IDF weights of character n-grams (0: all
	// grams weigh the same; 1: full IDF). Rare grams are mostly typos and
	// rare words; the grams shared by inflected forms are mid-frequency.
	GramIDFPower float64
	// MaxSynonyms bounds the synonyms taken per word; thesaurus groups for
	// common words are large and mostly noise.
	MaxSynonyms int

	// LatentWeight weighs the block of word vectors learned from the
	// corpus's co-occurrence at fit time (0: no latent block).
	LatentWeight float64
	// LatentDim is the number of latent dimensions (at most Dim); they
	// take the vector's first LatentDim positions.
	LatentDim int
	// LatentPower scales latent dimension j by its singular value to this
	// power (0: all dimensions count the same; 1: classic LSA).
	LatentPower float64
	// LatentUnit makes every word's latent vector unit length.
	LatentUnit bool
	// LatentIters is the number of power iterations of the randomized SVD,
	// LatentOversample its extra sketch columns: both make it closer to
	// the exact truncated SVD.
	LatentIters, LatentOversample int
	// LatentDocs bounds the documents the latent model is fitted on (an
	// even sample of larger corpora); LatentVocab bounds its words (the
	// most widespread are kept).
	LatentDocs, LatentVocab int
	// LatentMinDF is the fewest documents a word must occur in to get a
	// latent vector.
	LatentMinDF int
}

// DefaultOptions returns the settings measured best on the dev suites (see
// docs/retrieval.md).
func DefaultOptions() Options {
	return Options{
		Dim:              384,
		WordWeight:       1.0,
		CharWeight:       0.8,
		SynonymWeight:    0.35,
		BigramWeight:     0.3,
		MinGram:          3,
		MaxGram:          5,
		MaxSynonyms:      8,
		GramIDFPower:     0,
		LatentWeight:     1,
		LatentDim:        100,
		LatentPower:      0,
		LatentUnit:       true,
		LatentIters:      2,
		LatentDocs:       10_000,
		LatentVocab:      30_000,
		LatentMinDF:      2,
		LatentOversample: 10,
	}
}

// Embedder implements index.Embedder.
type Embedder struct {
	opt Options
	an  *analyze.Analyzer
	idf *IDF

	// synCache memoises a word's synonym stems: thesaurus lookup plus
	// analysis of each synonym was half of all embedding time, and a
	// corpus repeats its words.
	synMu    sync.RWMutex
	synCache map[string][]string
}

const maxSynCache = 1 << 17

// New builds an embedder. idf may be nil (all terms weigh the same); with a
// fitted table, rare terms weigh more.
func New(opt Options, an *analyze.Analyzer, idf *IDF) (*Embedder, error) {
	if opt.Dim < 16 {
		return nil, fmt.Errorf("localembed: dim %d too small (at least 16)", opt.Dim)
	}
	if opt.LatentWeight > 0 && (opt.LatentDim < 1 || opt.LatentDim > opt.Dim) {
		return nil, fmt.Errorf("localembed: latent dim %d out of range 1..%d", opt.LatentDim, opt.Dim)
	}
	if an == nil {
		var err error
		if an, err = analyze.New(); err != nil {
			return nil, fmt.Errorf("localembed: %w", err)
		}
	}
	return &Embedder{opt: opt, an: an, idf: idf, synCache: map[string][]string{}}, nil
}

// Name identifies the embedder with every setting that changes a vector.
func (e *Embedder) Name() string {
	o := e.opt
	n := fmt.Sprintf("local-v%s-d%d-w%g-c%g-s%g-b%g-g%d%d-p%g-m%d", Version, o.Dim, o.WordWeight, o.CharWeight, o.SynonymWeight, o.BigramWeight, o.MinGram, o.MaxGram, o.GramIDFPower, o.MaxSynonyms)
	if o.LatentWeight > 0 {
		n += fmt.Sprintf("-l%g-%d-%g-%t-%d-%d-%d-%d-%d", o.LatentWeight, o.LatentDim, o.LatentPower, o.LatentUnit, o.LatentIters, o.LatentOversample, o.LatentDocs, o.LatentVocab, o.LatentMinDF)
	}
	if e.idf != nil {
		n += "-idf" + e.idf.Fingerprint()
	}
	return n
}

// Dim returns the vector length.
func (e *Embedder) Dim() int { return e.opt.Dim }

// Embed returns one unit vector per text (a zero vector for a text with no
// features, such as emoji only).
func (e *Embedder) Embed(ctx context.Context, lang string, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		out[i] = e.embed(lang, t)
	}
	return out, nil
}

type accum struct {
	v    []float64
	norm float64
}

func (e *Embedder) embed(lang, text string) []float32 {
	dim := e.opt.Dim
	words := make([]float64, dim)
	chars := make([]float64, dim)
	syns := make([]float64, dim)
	bigr := make([]float64, dim)

	terms := e.an.Terms(lang, text)
	for i, t := range terms {
		w := e.weight(wordKey(t))
		addHashed(words, wordKey(t), w)
		if i > 0 {
			addHashed(bigr, "b\x00"+terms[i-1]+"\x00"+t, math.Sqrt(w*e.weight(wordKey(terms[i-1]))))
		}
	}

	raw := splitWords(analyze.Fold(text))
	e.charGrams(raw, func(g string) {
		k := gramKey(g)
		w := 1.0
		if e.opt.GramIDFPower != 0 { // the default: a fifth of embedding time saved
			w = math.Pow(e.weight(k), e.opt.GramIDFPower)
		}
		addHashed(chars, k, w)
	})
	if e.opt.SynonymWeight > 0 {
		if th, err := lexicon.ForLang(lang); err == nil {
			e.synonyms(syns, th, lang, raw)
		}
	}

	out := make([]float32, dim)
	mix := func(block []float64, weight float64) {
		var s float64
		for _, x := range block {
			s += x * x
		}
		if s == 0 || weight == 0 {
			return
		}
		k := weight / math.Sqrt(s)
		for i, x := range block {
			out[i] += float32(x * k)
		}
	}
	mix(words, e.opt.WordWeight)
	mix(chars, e.opt.CharWeight)
	mix(syns, e.opt.SynonymWeight)
	mix(bigr, e.opt.BigramWeight)
	if e.opt.LatentWeight > 0 && e.idf != nil && e.idf.Latent != nil {
		lat := e.latent(terms)
		mix(lat, e.opt.LatentWeight)
	}
	normalizeInPlace(out)
	return out
}

// latent is the idf-weighted sum of the text's word vectors, in the
// vector's first LatentDim positions.
func (e *Embedder) latent(terms []string) []float64 {
	l := e.idf.Latent
	dst := make([]float64, e.opt.Dim)
	for _, t := range terms {
		v := l.vec(t)
		if v == nil {
			continue
		}
		w := e.weight(wordKey(t))
		for j, x := range v {
			dst[j] += w * float64(x)
		}
	}
	return dst
}

func (e *Embedder) weight(key string) float64 {
	if e.idf == nil {
		return 1
	}
	return e.idf.Weight(key)
}

func wordKey(t string) string { return "w\x00" + t }
func gramKey(g string) string { return "c\x00" + g }

// charGrams calls fn with each word's character n-grams, with boundary
// markers so prefixes and suffixes are told apart from word-inner grams.
// Their IDF weights make the grams of function words ("wie", "the") and
// common endings count little.
func (e *Embedder) charGrams(words []string, fn func(string)) {
	for _, word := range words {
		r := []rune("<" + word + ">")
		if len(r) > 40 {
			// Pasted tokens (URLs, log lines) would flood the block.
			r = r[:40]
		}
		for n := e.opt.MinGram; n <= e.opt.MaxGram; n++ {
			for i := 0; i+n <= len(r); i++ {
				fn(string(r[i : i+n]))
			}
		}
	}
}

// Fit learns the IDF table from n units (documents); text returns the
// i-th unit's language and text. Words get weights, and character n-grams
// too when GramIDFPower uses them. With LatentWeight above 0 it also fits
// the latent model, on an even sample of at most LatentDocs units. text is
// called from several goroutines at once.
func Fit(ctx context.Context, opt Options, an *analyze.Analyzer, n int, text func(i int) (lang, text string)) (*IDF, error) {
	e, err := New(opt, an, nil)
	if err != nil {
		return nil, err
	}
	var ld latentDocs
	stride := 1
	if opt.LatentDocs > 0 && n > opt.LatentDocs {
		stride = (n + opt.LatentDocs - 1) / opt.LatentDocs
	}
	latent := opt.LatentWeight > 0 && opt.LatentDim > 0

	// Analysis is nearly all of fitting, and documents are independent:
	// each batch is analysed on every core, then counted in order, so the
	// result does not depend on scheduling and memory stays one batch.
	const batch = 512
	workers := max(1, runtime.GOMAXPROCS(0))
	type unit struct{ terms, keys []string }
	buf := make([]unit, batch)
	var ctxErr error
	analyse := func(lo, hi int) {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := lo + w; i < hi; i += workers {
					lang, t := text(i)
					terms := e.an.Terms(lang, t)
					keys := make([]string, 0, len(terms))
					for _, term := range terms {
						keys = append(keys, wordKey(term))
					}
					if opt.GramIDFPower != 0 {
						// Gram weights are only looked up when they count:
						// counting them was most of the table and a good
						// part of fitting.
						e.charGrams(splitWords(analyze.Fold(t)), func(g string) { keys = append(keys, gramKey(g)) })
					}
					buf[i-lo] = unit{terms, keys}
				}
			}()
		}
		wg.Wait()
	}
	idf := FitIDF(n, func(i int) []string {
		if ctxErr != nil {
			return nil
		}
		if i%batch == 0 {
			if ctxErr = ctx.Err(); ctxErr != nil {
				return nil
			}
			analyse(i, min(i+batch, n))
		}
		u := buf[i%batch]
		if latent && i%stride == 0 {
			ld.add(u.terms)
		}
		return u.keys
	})
	if ctxErr != nil {
		return nil, ctxErr
	}
	if latent {
		idf.Latent = fitLatent(&ld, func(t string) float64 { return idf.Weight(wordKey(t)) }, opt)
		idf.fp = idf.fingerprint()
	}
	return idf, nil
}

// synonyms adds the stems of each word's thesaurus synonyms. A word with
// many synonyms spreads one unit of weight over them, so ambiguous common
// words do not dominate.
func (e *Embedder) synonyms(dst []float64, th *lexicon.Thesaurus, lang string, words []string) {
	for _, w := range words {
		if len([]rune(w)) < 3 {
			continue
		}
		stems := e.synonymStems(th, lang, w)
		if len(stems) == 0 {
			continue
		}
		share := 1 / math.Sqrt(float64(len(stems)))
		for _, t := range stems {
			addHashed(dst, wordKey(t), share*e.weight(wordKey(t)))
		}
	}
}

// synonymStems returns the analysed terms of a word's first MaxSynonyms
// synonyms, one list entry per synonym term.
func (e *Embedder) synonymStems(th *lexicon.Thesaurus, lang, w string) []string {
	key := lang + "\x00" + w
	e.synMu.RLock()
	stems, ok := e.synCache[key]
	e.synMu.RUnlock()
	if ok {
		return stems
	}
	syn := th.Synonyms(w)
	if len(syn) > e.opt.MaxSynonyms {
		syn = syn[:e.opt.MaxSynonyms]
	}
	for _, s := range syn {
		stems = append(stems, e.an.Terms(lang, s)...)
	}
	e.synMu.Lock()
	if len(e.synCache) >= maxSynCache {
		e.synCache = map[string][]string{}
	}
	e.synCache[key] = stems
	e.synMu.Unlock()
	return stems
}

func splitWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// addHashed adds w at a signed hashed position. The sign bit makes
// collisions cancel in expectation instead of adding up.
func addHashed(dst []float64, feature string, w float64) {
	// FNV-1a, inline: the hash.Hash64 interface costs an allocation per
	// feature, and a passage has hundreds of features.
	x := uint64(14695981039346656037)
	for i := 0; i < len(feature); i++ {
		x ^= uint64(feature[i])
		x *= 1099511628211
	}
	i := int(x % uint64(len(dst)))
	if x>>63 == 1 {
		w = -w
	}
	dst[i] += w
}

func normalizeInPlace(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	k := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= k
	}
}
