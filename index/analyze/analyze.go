// Package analyze defines sofort's Bleve analyzers and gives Go code the
// terms they produce, so other components (a vector embedder, query
// expansion) can work on exactly the stems the full-text index holds.
//
//   - "sofort_de": Bleve's German analysis (folded stop words, normalize_de,
//     light stemmer) plus dictionary decompounding: "Rechnungsadresse"
//     also yields "rechnung" and "adress".
//   - "sofort_en": possessives, English stop words, Snowball English stems.
//   - "sofort_simple": lowercase and diacritic folding only, for other
//     languages and mixed text.
//
// The filters are registered with Bleve's global registry in init, which is
// how Bleve finds them again when it opens an index: any program that
// opens a sofort index must import this package.
package analyze

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/length"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/stop"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/registry"

	"github.com/sofort-chat/sofort/internal/lexicon"
)

// Analyzer names, as used in field mappings.
const (
	German  = "sofort_de"
	English = "sofort_en"
	Simple  = "sofort_simple"
)

// Names of the filters this package registers with Bleve.
const (
	cleanName      = "sofort_clean"
	foldName       = "sofort_fold"
	stopDEName     = "sofort_stop_de"
	stemDEName     = "sofort_stem_de"
	decompoundName = "sofort_decompound_de"
	snowballENName = "sofort_snowball_en"
	lengthName     = "sofort_length"
)

// maxTermRunes drops longer tokens (base64 blobs, minified code): they
// are never searched for and would only bloat the term dictionary.
const maxTermRunes = 64

func init() {
	// Registration fails only on a duplicate name, a programming error;
	// panicking in init is Bleve's own convention for it.
	must := func(err error) {
		if err != nil {
			panic(fmt.Sprintf("analyze: %v", err))
		}
	}
	must(registry.RegisterCharFilter(cleanName, func(map[string]interface{}, *registry.Cache) (analysis.CharFilter, error) {
		return cleanFilter{}, nil
	}))
	must(registry.RegisterTokenFilter(foldName, func(map[string]interface{}, *registry.Cache) (analysis.TokenFilter, error) {
		return foldFilter{}, nil
	}))
	must(registry.RegisterTokenFilter(stopDEName, func(map[string]interface{}, *registry.Cache) (analysis.TokenFilter, error) {
		return stop.NewStopTokensFilter(germanStopWords()), nil
	}))
	must(registry.RegisterTokenFilter(stemDEName, func(config map[string]interface{}, _ *registry.Cache) (analysis.TokenFilter, error) {
		stem, err := configStemmer(config)
		if err != nil {
			return nil, err
		}
		return stemFilter{stem: stem}, nil
	}))
	must(registry.RegisterTokenFilter(decompoundName, decompoundConstructor))
	must(registry.RegisterTokenFilter(snowballENName, func(map[string]interface{}, *registry.Cache) (analysis.TokenFilter, error) {
		return snowballEnglishFilter{}, nil
	}))
}

func configStemmer(config map[string]interface{}) (stemFunc, error) {
	name, _ := config["stemmer"].(string)
	stem, ok := stemmerNamed(name)
	if !ok {
		return nil, fmt.Errorf("analyze: stemmer %q: want \"light\" or \"snowball\"", name)
	}
	return stem, nil
}

// decompoundConstructor builds the splitter from the German lexicon.
// Config (all optional): "stemmer" ("light", "snowball"), "split_known"
// and "unknown_modifier" (booleans, see splitter).
func decompoundConstructor(config map[string]interface{}, _ *registry.Cache) (analysis.TokenFilter, error) {
	stem, err := configStemmer(config)
	if err != nil {
		return nil, err
	}
	splitKnown, unknownModifier := defaultSplitKnown, defaultUnknownModifier
	if v, ok := config["split_known"].(bool); ok {
		splitKnown = v
	}
	if v, ok := config["unknown_modifier"].(bool); ok {
		unknownModifier = v
	}
	name, _ := config["stemmer"].(string)
	key := fmt.Sprintf("%s/%t/%t", name, splitKnown, unknownModifier)
	splitters.mu.Lock()
	defer splitters.mu.Unlock()
	if s, ok := splitters.m[key]; ok {
		return decompoundFilter{s: s}, nil
	}
	th, err := lexicon.German()
	if err != nil {
		return nil, fmt.Errorf("analyze: decompounding dictionary: %w", err)
	}
	s := newSplitter(th.Words(), stem, germanStopWords(), splitKnown, unknownModifier)
	splitters.m[key] = s
	return decompoundFilter{s: s}, nil
}

// splitters memoises built splitters: building one from the 74,000-word
// dictionary takes a quarter of a second, and every index mapping and
// Analyzer asks for one. A splitter is read-only once built.
var splitters = struct {
	mu sync.Mutex
	m  map[string]*splitter
}{m: map[string]*splitter{}}

// Defaults of the decompounder. Words in the dictionary stay whole: most
// false splits were of such words (Schwangere → Schwan|gere, Behandlung →
// behand|Lunge), they are the thesaurus's business, and splitting them
// measured no better on covid-de (see TestRetrieval). Unknown first parts
// are needed for loanwords (Corona|viren, Inkubations|zeit).
const (
	defaultSplitKnown      = false
	defaultUnknownModifier = true
)

// Register adds sofort's analyzers (German, English, Simple) to m. It
// fails if m already defines one of them differently or the German
// dictionary cannot be loaded.
func Register(m *mapping.IndexMappingImpl) error {
	if err := m.AddCustomTokenFilter(lengthName, map[string]interface{}{
		"type": length.Name,
		"max":  float64(maxTermRunes),
	}); err != nil {
		return fmt.Errorf("analyze: token filter %s: %w", lengthName, err)
	}
	analyzers := []struct {
		name        string
		charFilters []string
		filters     []string
	}{
		{German, []string{cleanName}, []string{lowercase.Name, stopDEName, foldName, lengthName, decompoundName, stemDEName}},
		{English, []string{cleanName, asciifolding.Name}, []string{en.PossessiveName, lowercase.Name, lengthName, en.StopName, snowballENName}},
		{Simple, []string{cleanName}, []string{foldName, lengthName}},
	}
	for _, a := range analyzers {
		if err := m.AddCustomAnalyzer(a.name, map[string]interface{}{
			"type":          custom.Name,
			"char_filters":  a.charFilters,
			"tokenizer":     unicode.Name,
			"token_filters": a.filters,
		}); err != nil {
			return fmt.Errorf("analyze: analyzer %s: %w", a.name, err)
		}
	}
	return nil
}

// AnalyzerFor returns the analyzer name for a language code ("de",
// "en-GB", "DE_at"): German or English, and Simple for anything else,
// the empty code included.
func AnalyzerFor(lang string) string {
	base := strings.ToLower(strings.TrimSpace(lang))
	if i := strings.IndexAny(base, "-_"); i >= 0 {
		base = base[:i]
	}
	switch base {
	case "de":
		return German
	case "en":
		return English
	}
	return Simple
}

// Analyzer produces the index's terms outside the index. It is safe for
// concurrent use.
type Analyzer struct {
	byName map[string]analysis.Analyzer
}

// ErrMissingAnalyzer is returned (wrapped) by New if Register did not
// define one of the analyzers, which means Bleve's registry is broken.
var ErrMissingAnalyzer = errors.New("analyzer missing after registration")

// New builds the analyzers once, through a mapping exactly as an index
// does. It fails if the German dictionary cannot be loaded.
func New() (*Analyzer, error) {
	m := mapping.NewIndexMapping()
	if err := Register(m); err != nil {
		return nil, err
	}
	a := &Analyzer{byName: map[string]analysis.Analyzer{}}
	for _, name := range []string{German, English, Simple} {
		an := m.AnalyzerNamed(name)
		if an == nil {
			return nil, fmt.Errorf("analyze: %s: %w", name, ErrMissingAnalyzer)
		}
		a.byName[name] = an
	}
	return a, nil
}

// Terms returns the terms the index stores for text in a field analysed
// for lang (see AnalyzerFor), in order and with repeats; compound parts
// follow their compound. It returns nil if text yields no terms.
func (a *Analyzer) Terms(lang, text string) []string {
	toks := a.byName[AnalyzerFor(lang)].Analyze([]byte(text))
	if len(toks) == 0 {
		return nil
	}
	terms := make([]string, len(toks))
	for i, t := range toks {
		terms[i] = string(t.Term)
	}
	return terms
}
