package phrase

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sofort-chat/sofort/index/analyze"
)

// maxTextBytes bounds the text one example or question contributes. A
// pasted e-mail still gets features from its beginning, where the question
// usually is, and scoring a megabyte stays as cheap as scoring a line.
const maxTextBytes = 4000

// maxWordRunes bounds the characters of one word that become n-grams, so
// a pasted URL or token does not flood the character block.
const maxWordRunes = 40

// Feature blocks. Each block is normalised on its own before the blocks
// are weighted and added, so a long text's many character n-grams do not
// drown its few stems.
const (
	blockTerm = iota
	blockBigram
	blockChar
	blockWord
	blockWordBigram
	numBlocks
)

// featurizer turns a text into hashed feature buckets with counts.
type featurizer struct {
	an   *analyze.Analyzer
	opt  Options
	mask uint32
}

func newFeaturizer(an *analyze.Analyzer, opt Options) *featurizer {
	return &featurizer{an: an, opt: opt, mask: uint32(1)<<uint(opt.HashBits) - 1}
}

// bag is one text's features: hashed bucket → count, per block.
type bag struct {
	counts [numBlocks]map[uint32]float64
}

func newBag() *bag {
	var b bag
	for i := range b.counts {
		b.counts[i] = map[uint32]float64{}
	}
	return &b
}

func (b *bag) reset() {
	for i := range b.counts {
		clear(b.counts[i])
	}
}

// fnv-1a, inlined so hashing a gram does not allocate.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

func hashRunes(h uint64, rs []rune) uint64 {
	var buf [utf8.UTFMax]byte
	for _, r := range rs {
		n := utf8.EncodeRune(buf[:], r)
		for _, c := range buf[:n] {
			h ^= uint64(c)
			h *= fnvPrime
		}
	}
	return h
}

// bucket maps a hash to a bucket, mixing the high bits in first: fnv's low
// bits alone are weak for short inputs.
func (f *featurizer) bucket(h uint64) uint32 {
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 32
	return uint32(h) & f.mask
}

// extract fills b with the features of text analysed for lang.
func (f *featurizer) extract(b *bag, lang, text string) {
	b.reset()
	text = clip(text)
	if f.opt.TermWeight > 0 || f.opt.BigramWeight > 0 {
		terms := f.an.Terms(lang, text)
		for i, t := range terms {
			if f.opt.TermWeight > 0 {
				b.counts[blockTerm][f.bucket(hashString(hashString(fnvOffset, "t\x00"), t))]++
			}
			if i > 0 && f.opt.BigramWeight > 0 {
				h := hashString(hashString(fnvOffset, "b\x00"), terms[i-1])
				h = hashString(hashString(h, "\x00"), t)
				b.counts[blockBigram][f.bucket(h)]++
			}
		}
	}
	if f.opt.CharWeight <= 0 && f.opt.WordWeight <= 0 && f.opt.WordBigramWeight <= 0 {
		return
	}
	words := strings.FieldsFunc(analyze.Fold(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	rs := make([]rune, 0, maxWordRunes+2)
	for i, w := range words {
		if i > 0 && f.opt.WordBigramWeight > 0 {
			h := hashString(hashString(fnvOffset, "p\x00"), words[i-1])
			h = hashString(hashString(h, "\x00"), w)
			b.counts[blockWordBigram][f.bucket(h)]++
		}
		if f.opt.WordWeight > 0 {
			b.counts[blockWord][f.bucket(hashString(hashString(fnvOffset, "w\x00"), w))]++
		}
		if f.opt.CharWeight <= 0 {
			continue
		}
		rs = append(rs[:0], '<')
		for _, r := range w {
			if len(rs) > maxWordRunes {
				break
			}
			rs = append(rs, r)
		}
		rs = append(rs, '>')
		for n := f.opt.MinGram; n <= f.opt.MaxGram; n++ {
			for i := 0; i+n <= len(rs); i++ {
				h := hashRunes(hashString(fnvOffset, "c\x00"), rs[i:i+n])
				b.counts[blockChar][f.bucket(h)]++
			}
		}
	}
}

// clip cuts text to maxTextBytes at a rune boundary and replaces invalid
// UTF-8, so odd input cannot reach the analysers unbounded.
func clip(text string) string {
	if len(text) > maxTextBytes {
		cut := maxTextBytes
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
	}
	return strings.ToValidUTF8(text, " ")
}

func (f *featurizer) blockWeights() [numBlocks]float64 {
	return [numBlocks]float64{
		blockTerm:       f.opt.TermWeight,
		blockBigram:     f.opt.BigramWeight,
		blockChar:       f.opt.CharWeight,
		blockWord:       f.opt.WordWeight,
		blockWordBigram: f.opt.WordBigramWeight,
	}
}

// sparse is a feature vector over the model's rows, sorted by row.
type sparse struct {
	rows []int32
	vals []float32
}

type entry struct {
	row int32
	val float64
}

func cmpEntry(a, b entry) int {
	if c := cmp.Compare(a.row, b.row); c != 0 {
		return c
	}
	return cmp.Compare(a.val, b.val)
}

// vectorize turns a bag into a unit vector over known rows: sublinear term
// frequency times the row's inverse document frequency, each block scaled
// to its weight, the whole scaled to unit length. Buckets the model has
// never seen are dropped; row reports a bucket's row and idf. Entries are
// summed in sorted order, never in map order, so every bit of a score is
// reproducible. It returns scratch for reuse.
func (f *featurizer) vectorize(b *bag, row func(uint32) (int32, float64, bool), dst *sparse, scratch []entry) []entry {
	dst.rows, dst.vals = dst.rows[:0], dst.vals[:0]
	weights := f.blockWeights()
	all := scratch[:0]
	for blk := range b.counts {
		if weights[blk] == 0 {
			continue
		}
		start := len(all)
		for bk, c := range b.counts[blk] {
			if r, idf, ok := row(bk); ok {
				all = append(all, entry{r, (1 + math.Log(c)) * idf})
			}
		}
		part := all[start:]
		slices.SortFunc(part, cmpEntry)
		var norm float64
		for _, e := range part {
			norm += e.val * e.val
		}
		if norm == 0 {
			all = all[:start]
			continue
		}
		k := weights[blk] / math.Sqrt(norm)
		for i := range part {
			part[i].val *= k
		}
	}
	// Blocks can share a bucket; merge them into one entry per row.
	slices.SortFunc(all, cmpEntry)
	var total float64
	for _, e := range all {
		if n := len(dst.rows); n > 0 && dst.rows[n-1] == e.row {
			dst.vals[n-1] += float32(e.val)
			continue
		}
		dst.rows = append(dst.rows, e.row)
		dst.vals = append(dst.vals, float32(e.val))
	}
	for _, v := range dst.vals {
		total += float64(v) * float64(v)
	}
	if total > 0 {
		k := float32(1 / math.Sqrt(total))
		for i := range dst.vals {
			dst.vals[i] *= k
		}
	}
	return all
}
