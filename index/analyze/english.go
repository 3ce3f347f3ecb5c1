package analyze

import (
	"sync"

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
		tok.Term = []byte(englishStems.stem(string(tok.Term)))
	}
	return input
}

// stemCache memoises stems. The Snowball implementation converts the word
// to runes for every suffix it tries, which made stemming the largest cost
// of both indexing and search; a support corpus has a small vocabulary, so
// almost every lookup hits. A stem depends only on its word, so sharing
// the cache across analyzers and indexes is safe.
type stemCache struct {
	mu sync.RWMutex
	m  map[string]string
}

// maxCachedStems bounds the cache; when full it starts over, which costs a
// little speed and never correctness.
const maxCachedStems = 1 << 18

var englishStems = &stemCache{m: make(map[string]string)}

func (c *stemCache) stem(w string) string {
	c.mu.RLock()
	s, ok := c.m[w]
	c.mu.RUnlock()
	if ok {
		return s
	}
	s = english.Stem(w, true)
	c.mu.Lock()
	if len(c.m) >= maxCachedStems {
		c.m = make(map[string]string)
	}
	c.m[w] = s
	c.mu.Unlock()
	return s
}
