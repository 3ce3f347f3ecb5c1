package index

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/sofort-chat/sofort/corpus"
	"github.com/sofort-chat/sofort/index/analyze"
)

// FieldBoosts weight the full-text fields. The question side says what a
// document is about; answers and posts say a lot about many things.
type FieldBoosts map[string]float64

// DefaultFieldBoosts are the weights measured best on the dev suites.
func DefaultFieldBoosts() FieldBoosts {
	return FieldBoosts{
		FieldTitle:    2.0,
		FieldQuestion: 2.0,
		FieldAlt:      1.5,
		FieldAnswer:   1.0,
		FieldBody:     1.0,
		FieldAccepted: 1.0,
		FieldPosts:    0.4,
		FieldTags:     0.5,
	}
}

var textFields = []string{FieldTitle, FieldQuestion, FieldAlt, FieldAnswer, FieldBody, FieldAccepted, FieldPosts, FieldTags}

// typeFor chooses the Bleve document type, and so the analyzers, for a
// language.
func typeFor(lang string) string {
	switch lang {
	case "de", "en":
		return lang
	}
	return "xx"
}

type fulltext struct {
	idx bleve.Index
}

func newMapping(scoring string) (*mapping.IndexMappingImpl, error) {
	m := bleve.NewIndexMapping()
	if err := analyze.Register(m); err != nil {
		return nil, fmt.Errorf("register analyzers: %w", err)
	}
	m.ScoringModel = scoring
	m.DefaultAnalyzer = analyze.AnalyzerFor("")
	for _, lang := range []string{"de", "en", "xx"} {
		dm := bleve.NewDocumentMapping()
		an := analyze.AnalyzerFor(lang)
		for _, f := range textFields {
			fm := bleve.NewTextFieldMapping()
			fm.Analyzer = an
			fm.Store = false
			fm.IncludeInAll = false
			// Term vectors let a search report which fields matched
			// without re-analysing the document.
			fm.IncludeTermVectors = true
			fm.DocValues = false
			dm.AddFieldMappingsAt(f, fm)
		}
		kw := bleve.NewKeywordFieldMapping()
		kw.Store = false
		kw.IncludeInAll = false
		dm.AddFieldMappingsAt("lang", kw)
		dm.AddFieldMappingsAt("kind", kw)
		m.AddDocumentMapping(typeFor(lang), dm)
	}
	m.DefaultMapping = bleve.NewDocumentDisabledMapping()
	return m, nil
}

// openFulltext opens the on-disk scorch index at path, creating it if
// missing. scorch is also what makes BM25 scoring available.
func openFulltext(path, scoring string) (*fulltext, error) {
	idx, err := bleve.Open(path)
	if err == nil {
		return &fulltext{idx: idx}, nil
	}
	if !errors.Is(err, bleve.ErrorIndexPathDoesNotExist) {
		return nil, fmt.Errorf("open full-text index %s: %w", path, err)
	}
	m, err := newMapping(scoring)
	if err != nil {
		return nil, err
	}
	idx, err = bleve.NewUsing(path, m, scorch.Name, scorch.Name, nil)
	if err != nil {
		return nil, fmt.Errorf("create full-text index %s: %w", path, err)
	}
	return &fulltext{idx: idx}, nil
}

func removeFulltext(path string) error {
	if err := os.RemoveAll(path); err != nil {
		return fmt.Errorf("remove full-text index %s: %w", path, err)
	}
	return nil
}

// ftDoc is what Bleve indexes for one document.
func ftDoc(d *corpus.Document, lang string) map[string]any {
	doc := map[string]any{
		"_type": typeFor(lang),
		"lang":  lang,
		"kind":  string(d.Kind),
	}
	set := func(f, v string) {
		if v != "" {
			doc[f] = v
		}
	}
	set(FieldTitle, d.Title)
	if d.Question != d.Title {
		set(FieldQuestion, d.Question)
	}
	set(FieldAnswer, d.Answer)
	set(FieldBody, d.Body)
	if len(d.AltQuestions) > 0 {
		doc[FieldAlt] = d.AltQuestions
	}
	if len(d.Tags) > 0 {
		doc[FieldTags] = d.Tags
	}
	var acc, other []string
	for _, p := range d.Posts {
		if p.Accepted {
			acc = append(acc, p.Body)
		} else {
			other = append(other, p.Body)
		}
	}
	if len(acc) > 0 {
		doc[FieldAccepted] = acc
	}
	if len(other) > 0 {
		doc[FieldPosts] = other
	}
	return doc
}

type ftHit struct {
	ID    string
	Score float64
}

// ftQuery is the question against every text field, analysed as lang
// (both analyzers when lang is unknown), optionally only over documents in
// filterLang.
func ftQuery(text, lang, filterLang string, boosts FieldBoosts) query.Query {
	langs := []string{lang}
	if lang == "" {
		langs = []string{"de", "en"}
	}
	var should []query.Query
	for _, l := range langs {
		an := analyze.AnalyzerFor(l)
		for _, field := range textFields {
			b := boosts[field]
			if b <= 0 {
				continue
			}
			mq := bleve.NewMatchQuery(text)
			mq.SetField(field)
			mq.Analyzer = an
			mq.SetBoost(b)
			should = append(should, mq)
		}
	}
	var q query.Query = bleve.NewDisjunctionQuery(should...)
	if filterLang != "" {
		tq := bleve.NewTermQuery(filterLang)
		tq.SetField("lang")
		q = bleve.NewConjunctionQuery(q, tq)
	}
	return q
}

// search returns the n best documents for the question, best first, ties
// broken by id. Which fields matched is left to matchedFields, for the few
// hits that need it: asking Bleve for term locations here costs about as
// much as the search itself.
//
// Sorting by score alone is Bleve's fast path; sorting by score and id
// makes it load every candidate's id. So it fetches a few more hits than
// asked, sorted by score (ties in index order), and breaks ties by id
// itself. That gives exactly the score-and-id order whenever the last hit
// fetched scores below the n-th: every document tied with a kept one is
// then among those fetched. Otherwise (a tie group straddles the cut-off)
// it asks again with Bleve's id sort.
func (f *fulltext) search(ctx context.Context, text, lang, filterLang string, boosts FieldBoosts, n int) ([]ftHit, error) {
	q := ftQuery(text, lang, filterLang, boosts)
	fetch := n + n/2 + 1
	req := bleve.NewSearchRequestOptions(q, fetch, 0, false)
	res, err := f.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("full-text search: %w", err)
	}
	hits := res.Hits
	sortHits(hits)
	if len(hits) == fetch && hits[len(hits)-1].Score >= hits[n-1].Score {
		req := bleve.NewSearchRequestOptions(q, n, 0, false)
		req.SortBy([]string{"-_score", "_id"})
		if res, err = f.idx.SearchInContext(ctx, req); err != nil {
			return nil, fmt.Errorf("full-text search: %w", err)
		}
		hits = res.Hits
	}
	out := make([]ftHit, 0, min(n, len(hits)))
	for _, h := range hits[:min(n, len(hits))] {
		out = append(out, ftHit{ID: h.ID, Score: h.Score})
	}
	return out, nil
}

func sortHits(hits search.DocumentMatchCollection) {
	slices.SortFunc(hits, func(a, b *search.DocumentMatch) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// matchedFields returns, for each of ids that the question matches, the
// text fields holding a matching term: the same query, restricted to ids,
// with term locations.
func (f *fulltext) matchedFields(ctx context.Context, text, lang string, boosts FieldBoosts, ids []string) (map[string][]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	q := bleve.NewConjunctionQuery(bleve.NewDocIDQuery(ids), ftQuery(text, lang, "", boosts))
	req := bleve.NewSearchRequestOptions(q, len(ids), 0, false)
	req.IncludeLocations = true
	res, err := f.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("full-text fields: %w", err)
	}
	out := make(map[string][]string, len(res.Hits))
	for _, h := range res.Hits {
		var fields []string
		for _, f := range textFields {
			if len(h.Locations[f]) > 0 {
				fields = append(fields, f)
			}
		}
		out[h.ID] = fields
	}
	return out, nil
}

func (f *fulltext) count() (uint64, error) { return f.idx.DocCount() }

func (f *fulltext) close() error { return f.idx.Close() }
