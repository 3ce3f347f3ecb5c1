package index

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
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
	ID     string
	Score  float64
	Fields []string // fields with a matching term
}

// search runs the question against every text field, analysed as lang
// (both analyzers when lang is unknown), optionally only over documents in
// filterLang.
func (f *fulltext) search(ctx context.Context, text, lang, filterLang string, boosts FieldBoosts, n int) ([]ftHit, error) {
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
	req := bleve.NewSearchRequestOptions(q, n, 0, false)
	req.IncludeLocations = true
	// Ties are common on short fields; without a second key their order
	// is random from run to run.
	req.SortBy([]string{"-_score", "_id"})
	res, err := f.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("full-text search: %w", err)
	}
	out := make([]ftHit, 0, len(res.Hits))
	for _, h := range res.Hits {
		fh := ftHit{ID: h.ID, Score: h.Score}
		for _, f := range textFields {
			if len(h.Locations[f]) > 0 {
				fh.Fields = append(fh.Fields, f)
			}
		}
		out = append(out, fh)
	}
	return out, nil
}

func (f *fulltext) count() (uint64, error) { return f.idx.DocCount() }

func (f *fulltext) close() error { return f.idx.Close() }
