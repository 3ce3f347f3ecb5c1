package index

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/philippgille/chromem-go"

	"github.com/sofort-chat/sofort/index/vecindex"
)

const collectionName = "passages"

// vectors keeps passage vectors persistent in chromem-go and searchable in
// a vecindex: chromem-go's exhaustive query sends every document through a
// channel and locks per document, too slow for 100k passages.
type vectors struct {
	path string
	db   *chromem.DB
	col  *chromem.Collection

	mu     sync.RWMutex
	idx    *vecindex.Index
	byDoc  map[string][]string // document id → its passage ids
	labels map[string]uint32   // language → vecindex label, for the language filter
}

// errNoEmbed guards against chromem-go's default of calling OpenAI when a
// document arrives without a vector: sofort always embeds itself.
func errNoEmbed(context.Context, string) ([]float32, error) {
	return nil, errors.New("sofort computes embeddings itself; chromem-go must not")
}

// openVectors opens the store at path; langOf gives a stored document's
// language, which the search structure keeps per passage for the language
// filter.
func openVectors(path string, dim int, langOf func(docID string) string) (*vectors, error) {
	db, err := chromem.NewPersistentDB(path, false)
	if err != nil {
		return nil, fmt.Errorf("open vector store %s: %w", path, err)
	}
	col, err := db.GetOrCreateCollection(collectionName, nil, errNoEmbed)
	if err != nil {
		return nil, fmt.Errorf("open vector collection in %s: %w", path, err)
	}
	v := &vectors{path: path, db: db, col: col, byDoc: map[string][]string{}, labels: map[string]uint32{}}
	if err := v.load(dim, langOf); err != nil {
		return nil, err
	}
	return v, nil
}

// load fills the search structure from the persisted collection.
func (v *vectors) load(dim int, langOf func(string) string) error {
	n := v.col.Count()
	v.idx = vecindex.New(dim)
	if n == 0 {
		return nil
	}
	// chromem-go has no listing call; a query for all documents is one.
	probe := make([]float32, dim)
	probe[0] = 1
	all, err := v.col.QueryEmbedding(context.Background(), probe, n, nil, nil)
	if err != nil {
		return fmt.Errorf("load vectors from %s: %w", v.path, err)
	}
	v.idx.Grow(len(all))
	for _, r := range all {
		doc := docOfPassage(r.ID)
		if err := v.idx.AddLabel(r.ID, r.Embedding, v.label(langOf(doc))); err != nil {
			return fmt.Errorf("load vectors from %s: %w", v.path, err)
		}
		v.byDoc[doc] = append(v.byDoc[doc], r.ID)
	}
	return nil
}

// label returns the vecindex label of a language, assigning the next
// free one to a language not seen before. Labels live in memory only:
// they are rebuilt from the languages on every open. v.mu must be held
// for writing, or v not yet shared.
func (v *vectors) label(lang string) uint32 {
	l, ok := v.labels[lang]
	if !ok {
		l = uint32(len(v.labels))
		v.labels[lang] = l
	}
	return l
}

func docOfPassage(pid string) string {
	if i := strings.LastIndexByte(pid, '#'); i >= 0 {
		return pid[:i]
	}
	return pid
}

// removeDoc drops every passage of a document.
func (v *vectors) removeDoc(ctx context.Context, docID string) error {
	v.mu.Lock()
	ids := v.byDoc[docID]
	delete(v.byDoc, docID)
	for _, id := range ids {
		v.idx.Remove(id)
	}
	v.mu.Unlock()
	if len(ids) == 0 {
		return nil
	}
	if err := v.col.Delete(ctx, nil, nil, ids...); err != nil {
		return fmt.Errorf("delete vectors of %s: %w", docID, err)
	}
	return nil
}

// add stores passages with their vectors; zero vectors (texts without any
// feature) are skipped, as they can match nothing.
// All passages are in language lang.
func (v *vectors) add(ctx context.Context, ps []Passage, vecs [][]float32, lang string) error {
	docs := make([]chromem.Document, 0, len(ps))
	for i, p := range ps {
		if !normalize(vecs[i]) {
			continue
		}
		docs = append(docs, chromem.Document{
			ID:        p.ID,
			Metadata:  map[string]string{"doc": p.DocID, "field": p.Field},
			Embedding: vecs[i],
			Content:   p.Text,
		})
	}
	if len(docs) == 0 {
		return nil
	}
	if err := v.col.AddDocuments(ctx, docs, 4); err != nil {
		return fmt.Errorf("store vectors: %w", err)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	label := v.label(lang)
	v.idx.Grow(len(docs))
	for _, d := range docs {
		if err := v.idx.AddLabel(d.ID, d.Embedding, label); err != nil {
			return fmt.Errorf("index vectors: %w", err)
		}
		v.byDoc[d.Metadata["doc"]] = append(v.byDoc[d.Metadata["doc"]], d.ID)
	}
	return nil
}

type vecHit struct {
	PassageID string
	Score     float32
}

// search returns the k passages nearest to q, only those of documents in
// language lang unless lang is "".
func (v *vectors) search(q []float32, k int, lang string) []vecHit {
	v.mu.RLock()
	var hits []vecindex.Hit
	if lang == "" {
		hits = v.idx.Search(q, k, nil)
	} else if l, ok := v.labels[lang]; ok {
		hits = v.idx.SearchLabel(q, k, l)
	}
	v.mu.RUnlock()
	out := make([]vecHit, len(hits))
	for i, h := range hits {
		out[i] = vecHit{PassageID: h.Key, Score: h.Score}
	}
	return out
}

// passage returns a stored passage's text and field.
func (v *vectors) passage(ctx context.Context, pid string) (text, field string, err error) {
	d, err := v.col.GetByID(ctx, pid)
	if err != nil {
		return "", "", fmt.Errorf("passage %s: %w", pid, err)
	}
	return d.Content, d.Metadata["field"], nil
}

func (v *vectors) passagesOf(docID string) []string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return append([]string(nil), v.byDoc[docID]...)
}

func (v *vectors) count() int { return v.col.Count() }

func (v *vectors) bytes() int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.idx.Bytes()
}

func removeVectors(path string) error {
	if err := os.RemoveAll(path); err != nil {
		return fmt.Errorf("remove vector store %s: %w", path, err)
	}
	return nil
}
