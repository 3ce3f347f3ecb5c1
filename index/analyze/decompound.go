package analyze

import (
	"math"
	"strings"

	"github.com/blevesearch/bleve/v2/analysis"
)

// Limits of the splitter, in runes of the folded word.
const (
	minModifier = 4  // "atem", "haus"; shorter ones are mostly prefixes (ver-, auf-)
	minHead     = 3  // "amt", "tag", but only after a linking s (see validPart)
	minLongHead = 4  // heads without a linking s
	minUnknown  = 6  // an unknown first part ("corona") must be this long...
	minAfterUnk = 5  // ...and the known part after it this long ("viren")
	minStem     = 3  // a part whose stem is shorter is noise
	maxCompound = 40 // longer tokens are not words; the DP is quadratic
)

// linkingElements are what may stand between a modifier and the next
// part: Kind+er, Woche+n, Frau+en, Hund+e, Arbeit+s, Land+es, Herz+ens,
// Student+en, or nothing.
func linkingElements() []string {
	return []string{"", "e", "s", "es", "n", "en", "er", "ens", "ns", "nen"}
}

// splitter decompounds folded German words with a dictionary of stems.
// Comparing stems rather than surface forms absorbs the linking elements
// (Rechnung+s+adresse, Krank+en+haus, Kind+er+garten) and dropped final e's
// (Schul+buch), because the stemmer strips exactly those endings.
type splitter struct {
	stem stemFunc
	// known holds the stems of dictionary words.
	known map[string]bool
	// notModifier and notHead hold stems that are words but, as parts,
	// are mostly function words, prefixes or suffixes: "uber" (über-),
	// "ange" (an|ge|boten), "schaft" (-schaft), "isch" (-isch).
	notModifier, notHead map[string]bool
	// splitKnown splits words that are themselves in the dictionary
	// ("Krankenhaus"); otherwise only unknown words are split.
	splitKnown bool
	// unknownModifier accepts one unknown first part before known ones
	// ("Inkubations|zeit", "Corona|viren").
	unknownModifier bool
	// surface holds the folded dictionary words as spelled.
	surface map[string]bool
	// heads and modifiers count the dictionary words that end or begin
	// with a stem (Bundesamt, Finanzamt, ... for "amt"): how productive
	// it is as a part of compounds.
	heads, modifiers map[string]int
	// particles holds particle+ge and particle+zu ("ange", "einzu"),
	// which begin participles and infinitives, not compounds.
	particles []string
}

// isParticiple reports whether an unknown part begins like a participle
// or zu-infinitive (ange|nommen, einzu|halten).
func (s *splitter) isParticiple(w []rune) bool {
	str := string(w)
	for _, p := range s.particles {
		if strings.HasPrefix(str, p) {
			return true
		}
	}
	return false
}

func newSplitter(words []string, stem stemFunc, stop analysis.TokenMap, splitKnown, unknownModifier bool) *splitter {
	s := &splitter{
		stem:            stem,
		known:           make(map[string]bool, len(words)),
		notModifier:     map[string]bool{},
		notHead:         map[string]bool{},
		splitKnown:      splitKnown,
		unknownModifier: unknownModifier,
	}
	// surface keeps plain words only (isWord: a-z), so byte offsets below
	// are rune offsets.
	s.surface = make(map[string]bool, len(words))
	for _, w := range words {
		f := Fold(w)
		if !isWord([]rune(f)) {
			continue
		}
		s.surface[f] = true
		if st := stem([]rune(f)); len(st) >= minStem {
			s.known[string(st)] = true
		}
	}
	// Productivity is counted on plain juxtapositions only (Lohn|steuer:
	// both halves are dictionary words as spelled). With linking
	// elements allowed, every Lohns|teuer would count for "teuer" too.
	s.heads, s.modifiers = map[string]int{}, map[string]int{}
	for w := range s.surface {
		for k := minHead; k <= len(w)-minHead; k++ {
			if s.surface[w[:k]] && s.surface[w[k:]] {
				s.modifiers[s.stemOf([]rune(w[:k]))]++
				s.heads[s.stemOf([]rune(w[k:]))]++
			}
		}
	}
	add := func(set map[string]bool, words ...string) {
		for _, w := range words {
			set[string(stem([]rune(Fold(w))))] = true
		}
	}
	for w := range stop {
		// "weg" is also the noun Weg, head of Atem|weg, Übertragungs|weg.
		if w != "weg" {
			add(s.notModifier, w)
			add(s.notHead, w)
		}
	}
	// Verb particles and adverbs (zurück|zahlung is a word of its own),
	// and particle+ge/zu of participles and infinitives (an|ge|nommen,
	// auf|zu|suchen).
	particles := []string{"ab", "an", "auf", "aus", "bei", "durch", "ein", "fest", "fort", "frei",
		"gegen", "her", "hin", "hinter", "mit", "nach", "nieder", "um", "uber", "unter", "vor",
		"weg", "weiter", "wider", "zu", "zuruck", "zusammen"}
	add(s.notModifier, particles...)
	for _, p := range particles {
		add(s.notModifier, p+"ge", p+"zu")
	}
	add(s.notModifier, "heraus", "herein", "hinaus", "hinein", "voraus", "vorbei", "entgegen",
		"vorher", "nachher", "daran", "darauf", "daruber", "dazu", "davon", "bevor", "eben", "erst",
		"statt", "drin", "dran", "schon", "gerade", "fast", "mal")
	for _, p := range particles {
		s.particles = append(s.particles, p+"ge", p+"zu")
	}
	// Words that are also suffixes of derivatives (freund|schaft,
	// mach|bar, ernst|haft, arbeits|los, moglicher|weise, regel|massig,
	// chines|isch, biologi|sche, finanzi|elle) or rare words that end
	// participles (studie|rend).
	add(s.notHead, "schaft", "bar", "haft", "los", "weise", "massig", "lich", "sam", "heit", "keit",
		"ung", "isch", "sche", "elle", "rend",
		// and a preposition: bundes|amt, not bunde|samt
		"samt")
	return s
}

// isWord reports whether a dictionary entry is a plain word: letters only,
// no digits, hyphens or abbreviations.
func isWord(r []rune) bool {
	if len(r) < minHead {
		return false
	}
	for _, c := range r {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func (s *splitter) stemOf(w []rune) string {
	return string(s.stem(append([]rune(nil), w...)))
}

// split returns the parts of a folded word, surface spelling kept (the
// stemmer runs after it), or nil if it is not a compound the dictionary
// explains. Of all explanations it takes the one with the fewest parts,
// then the one whose parts are most productive (bundes|amt, not
// bunde|samt; kranken|stand, not krankens|tand). Three or more parts also yield their adjacent pairs
// ("atemschutz", "schutzmaske"), which are often words of their own.
func (s *splitter) split(w []rune) []string {
	n := len(w)
	if n < minModifier+minHead || n > maxCompound || !isWord(w) {
		return nil
	}
	wholeKnown := s.known[s.stemOf(w)]
	if wholeKnown && !s.splitKnown {
		return nil
	}
	type seg struct {
		parts   int
		score   float64 // how productive the parts are as parts, see weight
		next    int     // end of the first part
		nextLen int     // length of the first part
		ok      bool
	}
	better := func(a, b seg) bool { // a better than b
		switch {
		case !b.ok:
			return a.ok
		case a.parts != b.parts:
			return a.parts < b.parts
		}
		return a.score > b.score
	}
	// best[i] explains w[i:] with known parts only.
	best := make([]seg, n+1)
	best[n] = seg{ok: true}
	for i := n - minHead; i >= 0; i-- {
		for j := i + minHead; j <= n; j++ {
			// The whole word is not one of its own explanations.
			if !best[j].ok || j < n && j-i < minModifier || i == 0 && j == n {
				continue
			}
			if !s.validPart(w, i, j) {
				continue
			}
			c := seg{parts: best[j].parts + 1, score: best[j].score + s.weight(w, i, j),
				next: j, nextLen: j - i, ok: true}
			if better(c, best[i]) {
				best[i] = c
			}
		}
	}
	var cuts []int
	switch {
	case best[0].ok:
		for i := 0; i < n; i = best[i].next {
			cuts = append(cuts, best[i].next)
		}
	case s.unknownModifier && !wholeKnown:
		// One unknown first part, then known parts: fewer parts win, then
		// the shorter unknown part (Inkubations|zeitraum, not
		// Inkubationszeit|raum). Short unknown parts or short heads are
		// mostly inflected words (behand|elt, einge|reicht), unless a
		// linking s marks the seam (Inkubations|zeit).
		bestCost, bestJ := 0.0, -1
		for j := minUnknown - 1; j <= n-minLongHead; j++ {
			if !best[j].ok || s.notModifier[s.stemOf(w[:j])] || s.isParticiple(w[:j]) {
				continue
			}
			fugenS := w[j-1] == 's' && hasLinkingSuffix(w[:j-1])
			if !fugenS && (j < minUnknown || best[j].nextLen < minAfterUnk) {
				continue
			}
			cost := float64(best[j].parts) + float64(j)/float64(n)
			if bestJ < 0 || cost < bestCost {
				bestCost, bestJ = cost, j
			}
		}
		if bestJ < 0 {
			return nil
		}
		cuts = append(cuts, bestJ)
		for i := bestJ; i < n; i = best[i].next {
			cuts = append(cuts, best[i].next)
		}
	}
	if len(cuts) < 2 {
		return nil
	}
	parts := make([]string, 0, 2*len(cuts)-1)
	start := 0
	for _, c := range cuts {
		parts = append(parts, string(w[start:c]))
		start = c
	}
	if len(cuts) >= 3 {
		start = 0
		for k := 0; k+1 < len(cuts); k++ {
			parts = append(parts, string(w[start:cuts[k+1]]))
			start = cuts[k]
		}
	}
	return parts
}

// plainModifier reports whether m is a dictionary word, one without its
// final e (Schul|buch) or a verb stem (Impf|stoff), followed by a linking
// element: not abgabe+m|engen or kont|akte, which the stemmer would also
// accept.
func (s *splitter) plainModifier(m string) bool {
	for _, l := range linkingElements() {
		base, ok := strings.CutSuffix(m, l)
		if ok && (s.surface[base] || s.surface[base+"e"] || s.surface[base+"en"] || s.surface[base+"n"]) {
			return true
		}
	}
	return false
}

// weight scores w[i:j] as a part by how many dictionary words have it in
// the same place; log-scaled so one very common part does not outweigh
// two plausible ones.
func (s *splitter) weight(w []rune, i, j int) float64 {
	counts := s.modifiers
	if j == len(w) {
		counts = s.heads
	}
	return math.Log1p(float64(counts[s.stemOf(w[i:j])]))
}

// validPart reports whether w[i:j] can be a part: its stem is a known
// word that is not excluded at this place. Short heads ("amt", "tag") and
// a final "ende" need a linking element before them (Gesundheits|amt,
// Wochen|ende): otherwise inflected words split (alte|ren, best|eck) and
// so do participles (Reis|ende).
func (s *splitter) validPart(w []rune, i, j int) bool {
	st := s.stemOf(w[i:j])
	if len([]rune(st)) < minStem || !s.known[st] {
		return false
	}
	if j < len(w) {
		// Derivational suffixes take a linking s before the next part
		// (Gesundheit+s+amt, not Gesundheit|samt).
		if w[j] == 's' && hasLinkingSuffix(w[i:j]) {
			return false
		}
		// an|ge|h|alten, auf|ge|h|oben: participles, unless the first
		// part is a word as it stands (Angebot|s|preis).
		if i == 0 && s.isParticiple(w[i:j]) && !s.surface[string(w[i:j])] && !s.surface[st] {
			return false
		}
		return s.plainModifier(string(w[i:j])) && !s.notModifier[st]
	}
	if s.notHead[st] {
		return false
	}
	if (j-i < minLongHead || st == "end") && !s.linked(w[:i]) {
		return false
	}
	return true
}

// linked reports whether modifier ends in a linking n or s after a known
// word: Woche+n, Jahre+s, Arbeit+s, but not Rei+s (Reis|ende is a
// participle).
func (s *splitter) linked(modifier []rune) bool {
	n := len(modifier)
	if n < minModifier || modifier[n-1] != 'n' && modifier[n-1] != 's' {
		return false
	}
	st := s.stemOf(modifier[:n-1])
	return len(st) >= minModifier && s.known[st]
}

// hasLinkingSuffix reports whether a modifier ends in a suffix that is
// always followed by a linking s inside a compound.
func hasLinkingSuffix(w []rune) bool {
	str := string(w)
	// Suffixes of German nouns that take a linking s inside a compound
	// (Gesundheit+s+amt, Inkubation+s+zeit).
	for _, suf := range []string{"ung", "heit", "keit", "ion", "tat", "schaft", "ling", "tum"} {
		if strings.HasSuffix(str, suf) {
			return true
		}
	}
	return false
}

// decompoundFilter adds the parts of each compound after it, at the same
// position, so a query for "Adresse" finds "Rechnungsadresse" and the
// compound itself still matches exactly.
type decompoundFilter struct{ s *splitter }

func (f decompoundFilter) Filter(input analysis.TokenStream) analysis.TokenStream {
	var out analysis.TokenStream
	for i, tok := range input {
		var parts []string
		if !tok.KeyWord {
			parts = f.s.split([]rune(string(tok.Term)))
		}
		if parts == nil {
			if out != nil {
				out = append(out, tok)
			}
			continue
		}
		if out == nil {
			out = make(analysis.TokenStream, 0, len(input)+4*len(parts))
			out = append(out, input[:i]...)
		}
		out = append(out, tok)
		for _, p := range parts {
			out = append(out, &analysis.Token{
				Term:     []byte(p),
				Start:    tok.Start,
				End:      tok.End,
				Position: tok.Position,
				Type:     tok.Type,
			})
		}
	}
	if out == nil {
		return input
	}
	return out
}
