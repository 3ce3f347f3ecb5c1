package analyze

import (
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/kljensen/snowball/english"
)

// snowballEnglishFilter stems with the Snowball English (Porter2)
// stemmer, which handles -ies/-ied and irregular forms ("dying", "news")
// better than Bleve's stock Porter stemmer.
type snowballEnglishFilter struct{}

func (snowballEnglishFilter) Filter(input analysis.TokenStream) analysis.TokenStream {
	for _, tok := range input {
		if tok.KeyWord {
			continue
		}
		tok.Term = []byte(english.Stem(string(tok.Term), true))
	}
	return input
}
