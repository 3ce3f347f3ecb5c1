package analyze

import (
	"flag"
	"github.com/sofort-chat/sofort/internal/evaltest"
	"path/filepath"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/token/compound"
	"github.com/blevesearch/bleve/v2/analysis/tokenmap"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/sofort-chat/sofort/internal/lexicon"
)

// allVariants also runs the analyzer variants behind sofort_de's choices
// (go test -run TestRetrieval -v -variants): light vs Snowball stemming,
// Bleve's DictionaryCompoundFilter, splitting known words, no unknown
// first parts.
var allVariants = flag.Bool("variants", false, "TestRetrieval: also measure the rejected analyzer variants")

// evalDir is the shared evaluation data beside the repository.
var evalDir = filepath.Join("..", "..", "..", "shared", "eval")

type evalDoc struct {
	ID       string `json:"id"`
	Question string `json:"question"`
	Answer   string `json:"answer"`
}

type evalCase struct {
	Query  string   `json:"query"`
	Expect []string `json:"expect"`
}

// retrieval indexes docs on disk (scorch, TF-IDF) with question and answer
// analysed by analyzer, runs every case as a match query on both fields
// and returns Recall@1 and MRR@10. Ties are broken by document id so the
// figures repeat exactly from run to run.
func retrieval(t *testing.T, docs []evalDoc, cases []evalCase, analyzer string, define func(*mapping.IndexMappingImpl) error) (r1, mrr float64) {
	t.Helper()
	m := bleve.NewIndexMapping()
	if err := Register(m); err != nil {
		t.Fatal(err)
	}
	if define != nil {
		if err := define(m); err != nil {
			t.Fatal(err)
		}
	}
	dm := bleve.NewDocumentStaticMapping()
	for _, f := range []string{"question", "answer"} {
		fm := bleve.NewTextFieldMapping()
		fm.Analyzer = analyzer
		fm.Store = false
		fm.IncludeTermVectors = false
		dm.AddFieldMappingsAt(f, fm)
	}
	m.DefaultMapping = dm
	idx, err := bleve.NewUsing(filepath.Join(t.TempDir(), "idx"), m, scorch.Name, scorch.Name, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	b := idx.NewBatch()
	for _, d := range docs {
		if err := b.Index(d.ID, map[string]string{"question": d.Question, "answer": d.Answer}); err != nil {
			t.Fatal(err)
		}
	}
	if err := idx.Batch(b); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		qq := bleve.NewMatchQuery(c.Query)
		qq.SetField("question")
		qa := bleve.NewMatchQuery(c.Query)
		qa.SetField("answer")
		req := bleve.NewSearchRequestOptions(query.NewDisjunctionQuery([]query.Query{qq, qa}), 10, 0, false)
		req.SortBy([]string{"-_score", "_id"})
		res, err := idx.Search(req)
		if err != nil {
			t.Fatal(err)
		}
		for rank, hit := range res.Hits {
			if contains(c.Expect, hit.ID) {
				if rank == 0 {
					r1++
				}
				mrr += 1 / float64(rank+1)
				break
			}
		}
	}
	n := float64(len(cases))
	return r1 / n, mrr / n
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// withAnalyzer returns a define func for a sofort_de variant.
func withAnalyzer(name string, filters []string, custom map[string]map[string]interface{}) func(*mapping.IndexMappingImpl) error {
	return func(m *mapping.IndexMappingImpl) error {
		for fname, cfg := range custom {
			if err := m.AddCustomTokenFilter(fname, cfg); err != nil {
				return err
			}
		}
		return m.AddCustomAnalyzer(name, map[string]interface{}{
			"type":          "custom",
			"char_filters":  []string{cleanName},
			"tokenizer":     "unicode",
			"token_filters": filters,
		})
	}
}

// bleveCompound defines analyzer "v": sofort_de with Bleve's own
// DictionaryCompoundFilter over the folded lexicon in place of ours.
func bleveCompound(t *testing.T, longestOnly bool) func(*mapping.IndexMappingImpl) error {
	th, err := lexicon.German()
	if err != nil {
		t.Fatal(err)
	}
	var tokens []interface{}
	for _, w := range th.Words() {
		if f := Fold(w); isWord([]rune(f)) {
			tokens = append(tokens, f)
		}
	}
	return func(m *mapping.IndexMappingImpl) error {
		if err := m.AddCustomTokenMap("lex", map[string]interface{}{"type": tokenmap.Name, "tokens": tokens}); err != nil {
			return err
		}
		return withAnalyzer("v", []string{"to_lower", stopDEName, foldName, lengthName, "dc_bleve", stemDEName},
			map[string]map[string]interface{}{"dc_bleve": {
				"type": compound.Name, "dict_token_map": "lex", "min_subword_size": 4.0,
				"only_longest_match": longestOnly,
			}})(m)
	}
}

// TestRetrieval measures the analyzers on the covid suites' dev cases:
// Recall@1 and MRR@10 over question+answer, TF-IDF, ties broken by id.
// The variants document how sofort_de's defaults were chosen (run with -v
// for the table). sofort_de must beat Bleve's stock "de" clearly and
// sofort_en must not fall behind the stock "en".
func TestRetrieval(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes two corpora several times")
	}
	deDocs := evaltest.ReadJSONL[evalDoc](t, filepath.Join(evalDir, "covid-de", "corpus.jsonl"))
	deCases := evaltest.ReadJSONL[evalCase](t, filepath.Join(evalDir, "covid-de", "dev.jsonl"))
	enDocs := evaltest.ReadJSONL[evalDoc](t, filepath.Join(evalDir, "covid-en", "corpus.jsonl"))
	enCases := evaltest.ReadJSONL[evalCase](t, filepath.Join(evalDir, "covid-en", "dev.jsonl"))

	deFilters := func(decompound, stem string) []string {
		f := []string{"to_lower", stopDEName, foldName, lengthName}
		if decompound != "" {
			f = append(f, decompound)
		}
		return append(f, stem)
	}
	dc := func(cfg map[string]interface{}) map[string]interface{} {
		cfg["type"] = decompoundName
		return cfg
	}
	variants := []struct {
		name     string
		docs     []evalDoc
		cases    []evalCase
		analyzer string
		define   func(*mapping.IndexMappingImpl) error
		variant  bool // run only with -variants
	}{
		{"de/stock de", deDocs, deCases, "de", nil, false},
		{"de/no decompounding, light", deDocs, deCases, "v", withAnalyzer("v", deFilters("", stemDEName), nil), true},
		{"de/no decompounding, snowball", deDocs, deCases, "v", withAnalyzer("v", deFilters("", "stem_sb"),
			map[string]map[string]interface{}{"stem_sb": {"type": stemDEName, "stemmer": "snowball"}}), true},
		{"de/decompounding, snowball", deDocs, deCases, "v", withAnalyzer("v", deFilters("dc_sb", "stem_sb"),
			map[string]map[string]interface{}{
				"stem_sb": {"type": stemDEName, "stemmer": "snowball"},
				"dc_sb":   dc(map[string]interface{}{"stemmer": "snowball"}),
			}), true},
		{"de/decompounding, known words split too", deDocs, deCases, "v", withAnalyzer("v", deFilters("dc", stemDEName),
			map[string]map[string]interface{}{"dc": dc(map[string]interface{}{"split_known": true})}), true},
		{"de/decompounding, dictionary parts only", deDocs, deCases, "v", withAnalyzer("v", deFilters("dc", stemDEName),
			map[string]map[string]interface{}{"dc": dc(map[string]interface{}{"unknown_modifier": false})}), true},
		{"de/Bleve dict_compound, longest match", deDocs, deCases, "v", bleveCompound(t, true), true},
		{"de/Bleve dict_compound, all matches", deDocs, deCases, "v", bleveCompound(t, false), true},
		{"de/sofort_de", deDocs, deCases, German, nil, false},
		{"en/stock en", enDocs, enCases, "en", nil, false},
		{"en/sofort_en", enDocs, enCases, English, nil, false},
	}
	type result struct{ r1, mrr float64 }
	results := map[string]result{}
	for _, v := range variants {
		if v.variant && !*allVariants {
			continue
		}
		t.Run(v.name, func(t *testing.T) {
			r1, mrr := retrieval(t, v.docs, v.cases, v.analyzer, v.define)
			t.Logf("%-45s R@1 %.3f  MRR@10 %.3f", v.name, r1, mrr)
			results[v.name] = result{r1, mrr}
		})
	}
	checks := []struct {
		ours, stock string
		minGain     float64 // in MRR@10; R@1 must not drop
	}{
		{"de/sofort_de", "de/stock de", 0.03},
		{"en/sofort_en", "en/stock en", -0.01},
	}
	for _, c := range checks {
		ours, stock := results[c.ours], results[c.stock]
		if ours.r1 < stock.r1 || ours.mrr < stock.mrr+c.minGain {
			t.Errorf("%s: R@1 %.3f, MRR@10 %.3f; want R@1 >= %.3f and MRR@10 >= %.3f (%s %+.2f)",
				c.ours, ours.r1, ours.mrr, stock.r1, stock.mrr+c.minGain, c.stock, c.minGain)
		}
	}
}
