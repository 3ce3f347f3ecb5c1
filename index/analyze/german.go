package analyze

import (
	"strings"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/de"
	"github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/german"
)

// stemFunc stems one folded German word.
type stemFunc func([]rune) []rune

// stemmerNamed returns the German stemmer for a filter config value:
// "light" (the default, see lightStem) or "snowball".
func stemmerNamed(name string) (stemFunc, bool) {
	switch name {
	case "", "light":
		return lightStem, true
	case "snowball":
		return snowballStem, true
	}
	return nil, false
}

// lightStem is Bleve's stemmer_de_light (Savoy's light stemmer, from
// Lucene's GermanLightStemmer, Apache-2.0) followed by latinStem. It
// expects folded input and may reuse s.
func lightStem(s []rune) []rune {
	return latinStem(lightStep2(lightStep1(feminineStem(s))))
}

// feminineStem drops the feminine -in/-innen after r, t or d, so
// Mitarbeiterinnen, Ärztin and Kundinnen meet Mitarbeiter, Arzt and Kunde
// (gender-inclusive wording is everywhere in German service texts).
// "beginnen", "Medizin" and "Termin" keep their ending.
func feminineStem(s []rune) []rune {
	l := len(s)
	switch {
	case l >= 8 && string(s[l-5:]) == "innen" && isFeminineStemEnd(s[l-6]):
		return s[:l-5]
	case l >= 6 && s[l-2] == 'i' && s[l-1] == 'n' && isFeminineStemEnd(s[l-3]):
		return s[:l-2]
	}
	return s
}

func isFeminineStemEnd(r rune) bool { return r == 'r' || r == 't' || r == 'd' }

func stEnding(r rune) bool {
	switch r {
	case 'b', 'd', 'f', 'g', 'h', 'k', 'l', 'm', 'n', 't':
		return true
	}
	return false
}

func lightStep1(s []rune) []rune {
	l := len(s)
	switch {
	case l > 5 && s[l-3] == 'e' && s[l-2] == 'r' && s[l-1] == 'n':
		return s[:l-3]
	case l > 4 && s[l-2] == 'e' && (s[l-1] == 'm' || s[l-1] == 'n' || s[l-1] == 'r' || s[l-1] == 's'):
		return s[:l-2]
	case l > 3 && s[l-1] == 'e':
		return s[:l-1]
	case l > 3 && s[l-1] == 's' && stEnding(s[l-2]):
		return s[:l-1]
	}
	return s
}

func lightStep2(s []rune) []rune {
	l := len(s)
	switch {
	case l > 5 && s[l-3] == 'e' && s[l-2] == 's' && s[l-1] == 't':
		return s[:l-3]
	case l > 4 && s[l-2] == 'e' && (s[l-1] == 'r' || s[l-1] == 'n'):
		return s[:l-2]
	case l > 4 && s[l-2] == 's' && s[l-1] == 't' && stEnding(s[l-3]):
		return s[:l-2]
	}
	return s
}

// latinStem merges the singular and plural of Latin loanwords, which the
// light stemmer leaves apart (FINDINGS: Coronaviren → coronavir but
// Coronavirus → coronavirus): Virus/Viren, Organismus/Organismen,
// Zentrum/Zentren, Studium/Studien all end up on one stem. Native words
// ending in -aus, -eus, -aum, -tum ("Haus", "Raum", "Irrtum") are left
// alone, as are "warum"/"herum" and the folded "Kostüm".
func latinStem(s []rune) []rune {
	l := len(s)
	if l < 5 || s[l-1] != 's' && s[l-1] != 'm' || s[l-2] != 'u' {
		return s
	}
	before := s[l-3]
	if s[l-1] == 's' {
		switch before {
		case 'a', 'e', 'o', 'u', 's':
			return s
		}
		return s[:l-2]
	}
	w := string(s)
	if w == "datum" {
		return s[:l-2]
	}
	if l < 6 || strings.HasSuffix(w, "herum") || w == "kostum" {
		return s
	}
	switch before {
	case 'a', 'o', 'u', 't':
		return s
	}
	return s[:l-2]
}

// snowballStem is the Snowball German stemmer, offered for comparison.
func snowballStem(s []rune) []rune {
	env := snowballstem.NewEnv(string(s))
	german.Stem(env)
	return []rune(env.Current())
}

// stemFilter stems every token with its stemFunc.
type stemFilter struct{ stem stemFunc }

func (f stemFilter) Filter(input analysis.TokenStream) analysis.TokenStream {
	for _, tok := range input {
		if tok.KeyWord {
			continue
		}
		tok.Term = []byte(string(f.stem([]rune(string(tok.Term)))))
	}
	return input
}

// germanStopWords returns Bleve's German stop words (Snowball's list) and
// their spellings without umlauts ("fuer", "ueber", "dass"). The stop
// filter runs before folding: folded, the list would also drop content
// words that fold onto a stop word ("ändern" onto "andern").
func germanStopWords() analysis.TokenMap {
	words := analysis.NewTokenMap()
	// LoadBytes cannot fail on an in-memory list; an empty map would
	// show in the analyzer tests.
	_ = words.LoadBytes(de.GermanStopWords)
	digraphs := strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss")
	for w := range words {
		words.AddToken(digraphs.Replace(w))
	}
	return words
}
