package analyze

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
)

// Fold lowercases s, removes diacritics (é → e, ß → ss) and folds umlauts
// the way Bleve's German normalizer does (ä, ae → a; ö, oe → o; ü, ue → u). Everything else, spaces and punctuation included, is
// kept, so the result suits character n-gram features: "Kündigung",
// "Kuendigung" and "KUNDIGUNG" all fold to "kundigung". Invalid UTF-8
// becomes U+FFFD.
func Fold(s string) string {
	lower := strings.ToLower(s)
	for i := 0; i < len(lower); i++ {
		if lower[i] >= utf8.RuneSelf {
			// Bleve's Lucene-derived folding table; the filter is
			// stateless. It spells ß as ss and Æ as ae, which the German
			// rule below then treats like any other ae.
			lower = string(asciifolding.New().Filter([]byte(lower)))
			break
		}
	}
	return string(normalizeGerman([]rune(lower)))
}

// normalizeGerman is Bleve's normalize_de (analysis/lang/de, after Lucene's
// GermanNormalizationFilter, Apache-2.0), kept on runes so Fold and the
// analyzers share one definition: umlauts lose their dots, ß becomes ss,
// and the e of ae/oe/ue is dropped unless the u follows a vowel or q
// ("feuer", "quelle" stay).
func normalizeGerman(runes []rune) []rune {
	const (
		ordinary = iota
		noUmlaut // after q or a vowel: u does not start an umlaut
		umlaut   // after a, o, u: a following e is dropped
	)
	state := ordinary
	out := make([]rune, 0, len(runes)+2)
	for _, r := range runes {
		switch r {
		case 'a', 'o':
			state = umlaut
		case 'u':
			if state == ordinary {
				state = umlaut
			} else {
				state = noUmlaut
			}
		case 'e':
			if state == umlaut {
				state = noUmlaut
				continue
			}
			state = noUmlaut
		case 'i', 'q', 'y':
			state = noUmlaut
		case 'ä':
			r, state = 'a', noUmlaut
		case 'ö':
			r, state = 'o', noUmlaut
		case 'ü':
			r, state = 'u', noUmlaut
		case 'ß':
			out = append(out, 's')
			r, state = 's', ordinary
		default:
			state = ordinary
		}
		out = append(out, r)
	}
	return out
}

// foldFilter applies Fold to every token.
type foldFilter struct{}

func (foldFilter) Filter(input analysis.TokenStream) analysis.TokenStream {
	for _, tok := range input {
		tok.Term = []byte(Fold(string(tok.Term)))
	}
	return input
}

// cleanFilter replaces invalid UTF-8 and control characters with spaces of
// the same byte length, so offsets stay valid and the tokenizer never sees
// bytes it could misread. Tabs and newlines are spaces anyway.
type cleanFilter struct{}

func (cleanFilter) Filter(input []byte) []byte {
	out := input
	copied := false
	for i := 0; i < len(input); {
		r, size := utf8.DecodeRune(input[i:])
		if (r == utf8.RuneError && size == 1) || unicode.IsControl(r) {
			if !copied {
				out = append([]byte(nil), input...)
				copied = true
			}
			for k := i; k < i+size; k++ {
				out[k] = ' '
			}
		}
		i += size
	}
	return out
}
