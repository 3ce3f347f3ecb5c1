// Package lexicon gives sofort's offline text analysis synonym groups and
// word lists: German from OpenThesaurus, English from WordNet 3.0. The data
// is embedded (see data/README.md for origin and licences), so nothing is
// downloaded and no system package is needed at run time.
//
// Lookups are lowercase and forgiving: German words are also found when
// written with ae/oe/ue/ss or without umlauts ("kuendigung", "kundigung"
// find "kündigung"), and English inflected forms fall back to their base
// form ("mice" finds "mouse", "refunded" finds "refund"). A word that is
// itself in the data is taken as it is, without these fallbacks.
package lexicon

import (
	"bytes"
	"compress/gzip"
	"embed"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
)

//go:embed data/de.synsets.gz data/en.synsets.gz data/en.exc.gz
var dataFS embed.FS

// ErrUnsupported is returned (wrapped) by ForLang for a language without data.
var ErrUnsupported = errors.New("unsupported language")

// The embedded data is immutable once parsed, so one copy per process is
// shared by every caller; parsing happens on first use only.
var (
	german  = sync.OnceValues(func() (*Thesaurus, error) { return loadEmbedded("de", "data/de.synsets.gz", "") })
	english = sync.OnceValues(func() (*Thesaurus, error) {
		return loadEmbedded("en", "data/en.synsets.gz", "data/en.exc.gz")
	})
)

// German returns the OpenThesaurus synonym groups. It fails only if the
// embedded data is corrupt; the result is shared and safe for concurrent use.
func German() (*Thesaurus, error) { return german() }

// English returns the WordNet 3.0 synsets. It fails only if the embedded
// data is corrupt; the result is shared and safe for concurrent use.
func English() (*Thesaurus, error) { return english() }

// ForLang returns the thesaurus for a language code: "de" or "en", case
// insensitive, with any region ("de-AT", "en_US") ignored. Other languages
// give an error wrapping ErrUnsupported.
func ForLang(lang string) (*Thesaurus, error) {
	base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(lang)), "-")
	base, _, _ = strings.Cut(base, "_")
	switch base {
	case "de":
		return German()
	case "en":
		return English()
	}
	return nil, fmt.Errorf("lexicon: language %q: %w", lang, ErrUnsupported)
}

// POS is a part of speech, as WordNet assigns them.
type POS byte

const (
	AnyPOS    POS = 0 // German groups: OpenThesaurus has no word classes
	Noun      POS = 'n'
	Verb      POS = 'v'
	Adjective POS = 'a'
	Adverb    POS = 'r'
)

func (p POS) String() string {
	switch p {
	case AnyPOS:
		return "any"
	case Noun:
		return "noun"
	case Verb:
		return "verb"
	case Adjective:
		return "adjective"
	case Adverb:
		return "adverb"
	}
	return "pos(" + strconv.Itoa(int(p)) + ")"
}

// Group is one synonym group (a WordNet synset, an OpenThesaurus line).
type Group struct {
	POS   POS      // AnyPOS for German
	Words []string // lowercased; multiword entries contain single spaces
}

// Thesaurus holds the synonym groups of one language. It is immutable
// after loading, so all methods are safe for concurrent use.
type Thesaurus struct {
	lang     string
	groups   []group
	members  []string // all groups' members, back to back
	ranks    []uint8  // rank of members[i] in its group; 1 is best
	index    map[string]span
	postings []posting
	folded   map[string][]string // umlaut-folded spelling → words in the data
	exc      map[string][]target // English inflected form → base forms
	words    []string            // sorted single words
}

type group struct {
	pos    POS
	lo, hi int32 // members[lo:hi]
}

// span is the range of postings of one word.
type span struct{ lo, hi int32 }

// posting says that a word is in a group with a rank.
type posting struct {
	group int32
	rank  uint8
}

// target is a word in the data that a lookup resolved to; pos restricts
// the groups it stands for (AnyPOS: all of them).
type target struct {
	word string
	pos  POS
}

// Lang returns "de" or "en".
func (t *Thesaurus) Lang() string { return t.lang }

// NumGroups returns the number of synonym groups.
func (t *Thesaurus) NumGroups() int { return len(t.groups) }

// Groups returns the synonym groups containing word, best first: for
// English in WordNet's sense order (most frequent sense first), for German
// groups where the word is used plainly before those where OpenThesaurus
// labels it figurative, pejorative, archaic or the like. It returns nil
// for an unknown word. The slices are the caller's to keep or change.
func (t *Thesaurus) Groups(word string) [][]string {
	ps := t.lookup(word)
	if len(ps) == 0 {
		return nil
	}
	out := make([][]string, len(ps))
	for i, p := range ps {
		g := t.groups[p.group]
		out[i] = slices.Clone(t.members[g.lo:g.hi])
	}
	return out
}

// Lookup is Groups with each group's part of speech.
func (t *Thesaurus) Lookup(word string) []Group {
	ps := t.lookup(word)
	if len(ps) == 0 {
		return nil
	}
	out := make([]Group, len(ps))
	for i, p := range ps {
		g := t.groups[p.group]
		out[i] = Group{POS: g.pos, Words: slices.Clone(t.members[g.lo:g.hi])}
	}
	return out
}

// Synonyms returns the single-word synonyms of word, without the word
// itself and without duplicates, most reliable first: ordered by the sum
// of both words' ranks in the best group they share (English: sense
// numbers; German: 1 plain, 2 labelled figurative etc.), then by how many
// groups they share, then by first appearance. It returns nil for an
// unknown word.
func (t *Thesaurus) Synonyms(word string) []string {
	q := normalize(word)
	targets := t.resolve(q)
	ps := t.postingsOf(targets)
	if len(ps) == 0 {
		return nil
	}
	type candidate struct {
		word         string
		score, count int
		order        int
	}
	byWord := make(map[string]int)
	var cands []candidate
	for _, p := range ps {
		g := t.groups[p.group]
		for i := g.lo; i < g.hi; i++ {
			m := t.members[i]
			if m == q || strings.Contains(m, " ") || isTarget(targets, m) {
				continue
			}
			score := int(p.rank) + int(t.ranks[i])
			if j, ok := byWord[m]; ok {
				cands[j].score = min(cands[j].score, score)
				cands[j].count++
				continue
			}
			byWord[m] = len(cands)
			cands = append(cands, candidate{word: m, score: score, count: 1, order: len(cands)})
		}
	}
	slices.SortFunc(cands, func(a, b candidate) int {
		if a.score != b.score {
			return a.score - b.score
		}
		if a.count != b.count {
			return b.count - a.count
		}
		return a.order - b.order
	})
	out := make([]string, len(cands))
	for i, c := range cands {
		out[i] = c.word
	}
	return out
}

// Has reports whether word is a known single word (no spaces), with the
// same spelling and inflection tolerance as Groups. Decompounders use it
// to test the parts of a compound.
func (t *Thesaurus) Has(word string) bool {
	q := normalize(word)
	if q == "" || strings.Contains(q, " ") {
		return false
	}
	for _, tg := range t.resolve(q) {
		if !strings.Contains(tg.word, " ") {
			return true
		}
	}
	return false
}

// Words returns all known single words (no spaces), lowercased and sorted,
// as a new slice on each call.
func (t *Thesaurus) Words() []string { return slices.Clone(t.words) }

func isTarget(ts []target, w string) bool {
	for _, t := range ts {
		if t.word == w {
			return true
		}
	}
	return false
}

func (t *Thesaurus) lookup(word string) []posting {
	return t.postingsOf(t.resolve(normalize(word)))
}

// postingsOf merges the postings of the targets: each group once, with
// the best rank, ordered by rank and then by position in the data.
func (t *Thesaurus) postingsOf(targets []target) []posting {
	if len(targets) == 1 && targets[0].pos == AnyPOS {
		s := t.index[targets[0].word]
		return t.postings[s.lo:s.hi]
	}
	var out []posting
	for _, tg := range targets {
		s := t.index[tg.word]
		for _, p := range t.postings[s.lo:s.hi] {
			if tg.pos != AnyPOS && t.groups[p.group].pos != tg.pos {
				continue
			}
			if j := slices.IndexFunc(out, func(o posting) bool { return o.group == p.group }); j >= 0 {
				out[j].rank = min(out[j].rank, p.rank)
				continue
			}
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, comparePostings)
	return out
}

func comparePostings(a, b posting) int {
	if a.rank != b.rank {
		return int(a.rank) - int(b.rank)
	}
	return int(a.group) - int(b.group)
}

// normalize lowercases and trims, and collapses inner whitespace to single
// spaces as the data has it.
func normalize(word string) string {
	s := strings.ToLower(strings.TrimSpace(word))
	if strings.ContainsAny(s, "\t\n\r") || strings.Contains(s, "  ") {
		s = strings.Join(strings.Fields(s), " ")
	}
	return s
}

// resolve finds the words in the data that q stands for: q itself; else
// its umlaut spellings; else (English) its base forms.
func (t *Thesaurus) resolve(q string) []target {
	if q == "" {
		return nil
	}
	if _, ok := t.index[q]; ok {
		return []target{{word: q}}
	}
	var out []target
	add := func(w string, pos POS) {
		if !slices.Contains(out, target{w, pos}) {
			out = append(out, target{w, pos})
		}
	}
	// ae/oe/ue/ss spellings first: they are deliberate; bare vowels
	// ("kundigung") may also be a different word.
	prev := q
	for _, fold := range []func(string) string{foldDigraph, foldBare} {
		f := fold(q)
		if f != q && f != prev {
			if _, ok := t.index[f]; ok {
				add(f, AnyPOS)
			}
		}
		for _, w := range t.folded[f] {
			add(w, AnyPOS)
		}
		if len(out) > 0 {
			return out
		}
		prev = f
	}
	if t.exc != nil {
		for _, tg := range t.exc[q] {
			add(tg.word, tg.pos)
		}
		for _, r := range detachRules {
			if !strings.HasSuffix(q, r.suffix) || len(q) <= len(r.suffix) {
				continue
			}
			base := q[:len(q)-len(r.suffix)] + r.ending
			if t.hasPOS(base, r.pos) {
				add(base, r.pos)
			}
		}
	}
	return out
}

func (t *Thesaurus) hasPOS(word string, pos POS) bool {
	s, ok := t.index[word]
	if !ok {
		return false
	}
	for _, p := range t.postings[s.lo:s.hi] {
		if t.groups[p.group].pos == pos {
			return true
		}
	}
	return false
}

// detachRules are WordNet's suffix rules (morphy(7WN)) for regular
// inflections; irregular ones come from the exception lists.
var detachRules = []struct {
	pos            POS
	suffix, ending string
}{
	{Noun, "s", ""}, {Noun, "ses", "s"}, {Noun, "xes", "x"}, {Noun, "zes", "z"},
	{Noun, "ches", "ch"}, {Noun, "shes", "sh"}, {Noun, "men", "man"}, {Noun, "ies", "y"},
	{Verb, "s", ""}, {Verb, "ies", "y"}, {Verb, "es", "e"}, {Verb, "es", ""},
	{Verb, "ed", "e"}, {Verb, "ed", ""}, {Verb, "ing", "e"}, {Verb, "ing", ""},
	{Adjective, "er", ""}, {Adjective, "est", ""}, {Adjective, "er", "e"}, {Adjective, "est", "e"},
}

var (
	digraphFolder = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss")
	bareFolder    = strings.NewReplacer("ä", "a", "ö", "o", "ü", "u", "ß", "ss")
)

// foldDigraph spells umlauts and ß as ae, oe, ue, ss.
func foldDigraph(s string) string { return digraphFolder.Replace(s) }

// foldBare drops the umlaut dots and spells ß as ss, as Bleve's German
// normalizer does.
func foldBare(s string) string { return bareFolder.Replace(s) }

func hasFoldable(s string) bool { return strings.ContainsAny(s, "äöüß") }

func loadEmbedded(lang, synsetsPath, excPath string) (*Thesaurus, error) {
	syn, err := gunzipFile(synsetsPath)
	if err != nil {
		return nil, err
	}
	var exc string
	if excPath != "" {
		if exc, err = gunzipFile(excPath); err != nil {
			return nil, err
		}
	}
	return parse(lang, synsetsPath, syn, excPath, exc)
}

func gunzipFile(path string) (string, error) {
	raw, err := dataFS.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("lexicon: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return "", fmt.Errorf("lexicon: %s: %w", path, err)
	}
	var b strings.Builder
	b.Grow(4 * len(raw))
	if _, err := io.Copy(&b, zr); err != nil {
		return "", fmt.Errorf("lexicon: %s: %w", path, err)
	}
	return b.String(), nil
}

// parse reads the generator's format (see gen/main.go). Members are
// substrings of synsets, so the whole text stays in memory once and no
// member is allocated separately.
func parse(lang, synName, synsets, excName, exceptions string) (*Thesaurus, error) {
	t := &Thesaurus{lang: lang}
	n := 0
	for line := range strings.Lines(synsets) {
		n++
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			continue
		}
		g := group{lo: int32(len(t.members))}
		if p, rest, ok := strings.Cut(line, "\t"); ok {
			pos, err := parsePOS(p)
			if err != nil {
				return nil, fmt.Errorf("lexicon: %s:%d: %w", synName, n, err)
			}
			g.pos, line = pos, rest
		}
		for m := range strings.SplitSeq(line, "|") {
			text, rank, err := parseMember(m)
			if err != nil {
				return nil, fmt.Errorf("lexicon: %s:%d: %w", synName, n, err)
			}
			t.members = append(t.members, text)
			t.ranks = append(t.ranks, rank)
		}
		g.hi = int32(len(t.members))
		t.groups = append(t.groups, g)
	}
	t.buildIndex()
	if exceptions != "" {
		exc, err := parseExceptions(excName, exceptions)
		if err != nil {
			return nil, err
		}
		t.exc = exc
	}
	return t, nil
}

func parsePOS(s string) (POS, error) {
	if len(s) == 1 {
		switch p := POS(s[0]); p {
		case Noun, Verb, Adjective, Adverb:
			return p, nil
		}
	}
	return 0, fmt.Errorf("unknown part of speech %q", s)
}

// parseMember splits "word#3" into the word and its rank; a member with no
// digits after its last "#" ("c#") is a plain word.
func parseMember(m string) (string, uint8, error) {
	text, rank := m, uint8(1)
	if i := strings.LastIndexByte(m, '#'); i > 0 && i < len(m)-1 && strings.Trim(m[i+1:], "0123456789") == "" {
		r, err := strconv.ParseUint(m[i+1:], 10, 8)
		if err != nil || r == 0 {
			return "", 0, fmt.Errorf("member %q: bad rank", m)
		}
		text, rank = m[:i], uint8(r)
	}
	if text == "" {
		return "", 0, fmt.Errorf("empty member")
	}
	return text, rank, nil
}

// buildIndex fills index and postings in two passes over the members
// (count, then place), so all postings share one allocation.
func (t *Thesaurus) buildIndex() {
	t.index = make(map[string]span, len(t.members)*3/4)
	for _, m := range t.members {
		s := t.index[m]
		s.hi++
		t.index[m] = s
	}
	t.postings = make([]posting, len(t.members))
	t.words = make([]string, 0, len(t.index))
	t.folded = make(map[string][]string)
	var next int32
	for w, s := range t.index {
		t.index[w] = span{lo: next, hi: next} // hi advances as postings are placed
		next += s.hi
		if !strings.Contains(w, " ") {
			t.words = append(t.words, w)
		}
		if hasFoldable(w) {
			for _, f := range []string{foldDigraph(w), foldBare(w)} {
				if !slices.Contains(t.folded[f], w) {
					t.folded[f] = append(t.folded[f], w)
				}
			}
		}
	}
	for gi, g := range t.groups {
		for i := g.lo; i < g.hi; i++ {
			s := t.index[t.members[i]]
			t.postings[s.hi] = posting{group: int32(gi), rank: t.ranks[i]}
			s.hi++
			t.index[t.members[i]] = s
		}
	}
	for _, s := range t.index {
		if s.hi-s.lo > 1 {
			slices.SortStableFunc(t.postings[s.lo:s.hi], comparePostings)
		}
	}
	slices.Sort(t.words)
	// Map iteration order is random; sorting keeps lookups deterministic.
	for _, ws := range t.folded {
		slices.Sort(ws)
	}
}

func parseExceptions(name, text string) (map[string][]target, error) {
	exc := make(map[string][]target)
	n := 0
	for line := range strings.Lines(text) {
		n++
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			continue
		}
		p, rest, ok := strings.Cut(line, "\t")
		if !ok {
			return nil, fmt.Errorf("lexicon: %s:%d: missing part of speech", name, n)
		}
		pos, err := parsePOS(p)
		if err != nil {
			return nil, fmt.Errorf("lexicon: %s:%d: %w", name, n, err)
		}
		forms := strings.Split(rest, "|")
		if len(forms) < 2 || slices.Contains(forms, "") {
			return nil, fmt.Errorf("lexicon: %s:%d: want an inflected form and base forms", name, n)
		}
		for _, base := range forms[1:] {
			exc[forms[0]] = append(exc[forms[0]], target{word: base, pos: pos})
		}
	}
	return exc, nil
}
