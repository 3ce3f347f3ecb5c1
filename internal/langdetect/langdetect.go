// Package langdetect guesses the language of a text, from a one-word chat
// message to a long document. It knows German and English first (sofort's
// two languages) and French, Spanish, Italian and Dutch well enough that
// those are not filed as English.
//
// The guess adds three kinds of evidence per language: function and chat
// words ("bitte", "thanks"), umlauts and ß (strong German evidence), and a
// character-trigram model generated from gettext catalogues (see gen/).
package langdetect

import (
	_ "embed"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

//go:generate go run ./gen -out profiles.txt

//go:embed profiles.txt
var profileData string

// Languages are the ISO 639-1 codes Detect can return, in the order used
// to break exact ties (sofort's own languages first).
var Languages = []string{"de", "en", "fr", "es", "it", "nl"}

const (
	// wordWeight is the log-odds a listed word adds to each language that
	// lists it: worth several trigrams, so "bitte" outweighs its letters.
	wordWeight = 6.0
	// umlautWeight is added to German for each ä, ö, ü or ß: other
	// languages Detect knows do not use them.
	umlautWeight = 6.0
	// minorPrior handicaps languages sofort does not serve, so a word shared
	// with German or English ("hallo") goes to the language users write.
	minorPrior = -3.0
	// trigramWeight tempers the trigram log-likelihood: the trigrams of
	// one word are far from independent, and counting each in full lets a
	// word's letters outvote the word itself.
	trigramWeight = 0.5
	// acronymWeight replaces trigramWeight for all-caps words in text that
	// has lowercase letters too: "COVID", "RKI" or "PDF" are names, and
	// their letters say little about the language around them.
	acronymWeight = 0.1
	// floorMargin lowers the log-probability of unseen trigrams below the
	// rarest one kept in any profile.
	floorMargin = 1.0
	// maxRunes bounds the work on long texts; a few thousand letters settle
	// any language question.
	maxRunes = 20000
)

type model struct {
	trigrams map[string][]float64 // trigram -> log-probability per language
	floor    float64
	words    map[string][]int // word -> indexes into Languages
}

var loadModel = sync.OnceValue(func() *model {
	m, err := parseModel(profileData, wordLists)
	if err != nil {
		// The profile is embedded at build time; a parse error is a
		// broken build, caught by the package tests.
		panic(err)
	}
	return m
})

func parseModel(profiles string, lists map[string]string) (*model, error) {
	idx := make(map[string]int, len(Languages))
	for i, l := range Languages {
		idx[l] = i
	}
	m := &model{trigrams: map[string][]float64{}, words: map[string][]int{}}
	floor := 0.0
	for n, line := range strings.Split(profiles, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, "\t")
		if len(parts) != 3 {
			return nil, fmt.Errorf("profiles.txt:%d: want 3 tab-separated fields, got %d", n+1, len(parts))
		}
		li, ok := idx[parts[0]]
		if !ok {
			return nil, fmt.Errorf("profiles.txt:%d: unknown language %q", n+1, parts[0])
		}
		lp, err := strconv.ParseFloat(parts[2], 64)
		if err != nil {
			return nil, fmt.Errorf("profiles.txt:%d: log-probability: %w", n+1, err)
		}
		v := m.trigrams[parts[1]]
		if v == nil {
			v = make([]float64, len(Languages))
			for i := range v {
				v[i] = math.NaN()
			}
			m.trigrams[parts[1]] = v
		}
		v[li] = lp
		floor = math.Min(floor, lp)
	}
	if len(m.trigrams) == 0 {
		return nil, fmt.Errorf("profiles.txt: no trigrams")
	}
	m.floor = floor - floorMargin
	for _, v := range m.trigrams {
		for i := range v {
			if math.IsNaN(v[i]) {
				v[i] = m.floor
			}
		}
	}
	for lang, list := range lists {
		li, ok := idx[lang]
		if !ok {
			return nil, fmt.Errorf("word list for unknown language %q", lang)
		}
		for _, w := range strings.Fields(list) {
			if !contains(m.words[w], li) {
				m.words[w] = append(m.words[w], li)
			}
		}
	}
	return m, nil
}

func contains(s []int, x int) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// Detect returns the most likely language of text as an ISO 639-1 code
// ("de", "en", "fr", "es", "it", "nl") and a confidence in (0, 1]: the
// model's probability of that language among the ones it knows. Text
// without letters (empty, digits, emoji, punctuation) carries no evidence:
// Detect returns "" and 0.
func Detect(text string) (lang string, confidence float64) {
	scores, ok := loadModel().score(text)
	if !ok {
		return "", 0
	}
	best := 0
	for i, s := range scores {
		if s > scores[best] {
			best = i
		}
	}
	sum := 0.0
	for _, s := range scores {
		sum += math.Exp(s - scores[best])
	}
	return Languages[best], 1 / sum
}

// score returns a log-score per language, or false when text has no
// letters.
func (m *model) score(text string) ([]float64, bool) {
	scores := make([]float64, len(Languages))
	for i := 2; i < len(scores); i++ {
		scores[i] = minorPrior
	}
	seen := false
	n := 0
	mixedCase := strings.ToUpper(text) != text
	for _, w := range tokenize(text) {
		if n > maxRunes {
			break
		}
		seen = true
		n += utf8.RuneCountInString(w.text)
		for _, li := range m.words[w.text] {
			scores[li] += wordWeight
		}
		for _, r := range w.text {
			switch r {
			case 'ä', 'ö', 'ü', 'ß':
				scores[0] += umlautWeight
			}
		}
		// Apostrophes stay in words for the word lists ("don't") but are
		// not in the trigram profiles.
		tw := trigramWeight
		if mixedCase && w.upper {
			tw = acronymWeight
		}
		r := []rune(" " + strings.ReplaceAll(w.text, "'", "") + " ")
		for i := 0; i+3 <= len(r); i++ {
			if lp, ok := m.trigrams[string(r[i:i+3])]; ok {
				for li := range scores {
					scores[li] += tw * lp[li]
				}
			} else {
				for li := range scores {
					scores[li] += tw * m.floor
				}
			}
		}
	}
	return scores, seen
}

type word struct {
	text  string // lowercase
	upper bool   // written in capitals only, at least two letters
}

// tokenize returns the words of text: runs of letters, with apostrophes
// kept inside words. Invalid UTF-8 and everything that is not a letter
// separate words.
func tokenize(text string) []word {
	var words []word
	var b strings.Builder
	letters, lower := 0, false
	flush := func() {
		w := strings.Trim(b.String(), "'")
		if w != "" {
			words = append(words, word{text: w, upper: letters > 1 && !lower})
		}
		b.Reset()
		letters, lower = 0, false
	}
	for _, r := range text {
		switch {
		case unicode.IsLetter(r):
			letters++
			lower = lower || !unicode.IsUpper(r)
			b.WriteRune(unicode.ToLower(r))
		case r == '\'' || r == '’':
			if b.Len() > 0 {
				b.WriteByte('\'')
			}
		default:
			flush()
		}
	}
	flush()
	return words
}
