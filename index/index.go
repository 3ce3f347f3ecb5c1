// Package index derives sofort's search indexes from the store of record: a
// Bleve full-text index with per-language analysis and a chromem-go vector
// store, and fuses both into one ranking. It is the only package that
// imports Bleve and chromem-go.
//
// Indexes are derived data. Each remembers the store's change sequence it
// has applied; Sync replays the store's changes after it, so a crash between
// a store commit and an index update is repaired on the next start, and
// Reindex rebuilds everything from the store.
package index

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/sofort-chat/sofort/corpus"
	"github.com/sofort-chat/sofort/index/analyze"
	"github.com/sofort-chat/sofort/index/localembed"
	"github.com/sofort-chat/sofort/index/phrase"
	"github.com/sofort-chat/sofort/internal/langdetect"
)

// Source is what the index needs from the store of record.
type Source interface {
	MaxSeq(ctx context.Context) (int64, error)
	Changes(ctx context.Context, afterSeq int64, limit int, fn func(d corpus.Document, seq int64) error) error
	Get(ctx context.Context, id string) (corpus.Document, error)
}

// layoutVersion changes when the on-disk layout or the passage split
// changes, forcing a rebuild.
const layoutVersion = 1

// Options configure an index. Zero values take defaults.
type Options struct {
	// Embedder overrides the local embedder (e.g. an OpenAI-compatible
	// one). With nil, the local embedder is used with IDF weights fitted on
	// the corpus.
	Embedder Embedder
	// Local configures the default local embedder.
	Local localembed.Options
	// Scoring is Bleve's scoring model: "" (TF-IDF) or "bm25".
	Scoring string
	Boosts  FieldBoosts
	Fusion  FusionOptions
	// Phrase configures the model learnt from documents' phrasings.
	Phrase phrase.Options
	Logger *slog.Logger
}

// Index is the pair of derived indexes plus the retriever over them.
type Index struct {
	dir  string
	src  Source
	opt  Options
	an   *analyze.Analyzer
	log  *slog.Logger
	mu   sync.RWMutex // guards the fields below against Sync/Reindex
	st   state
	ft   *fulltext
	vec  *vectors
	emb  Embedder
	lang map[string]string // document id → language, for filters

	phr         *phrase.Model   // nil when no document has enough phrasings
	phrDocs     map[string]bool // documents the model covers
	phraseDirty bool            // a change touched the model's documents
}

type state struct {
	Layout   int    `json:"layout"`
	Embedder string `json:"embedder"`
	Dim      int    `json:"dim"`
	Scoring  string `json:"scoring"`
	Seq      int64  `json:"seq"`
	// Docs is how many documents the IDF table was fitted on; a corpus
	// that has doubled since gets a refit.
	Docs int `json:"idf_docs"`
	// PhraseStale survives a crash between applying changes and
	// retraining the phrase model.
	PhraseStale bool `json:"phrase_stale,omitempty"`
}

// Open opens (or creates) the indexes in dir and catches up with the store.
func Open(ctx context.Context, dir string, src Source, opt Options) (*Index, error) {
	if opt.Boosts == nil {
		opt.Boosts = DefaultFieldBoosts()
	}
	if opt.Local.Dim == 0 {
		opt.Local = localembed.DefaultOptions()
	}
	if opt.Phrase.HashBits == 0 {
		opt.Phrase = phrase.DefaultOptions()
	}
	if opt.Fusion == (FusionOptions{}) {
		opt.Fusion = DefaultFusion()
	}
	opt.Fusion = opt.Fusion.withDefaults()
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create index dir %s: %w", dir, err)
	}
	an, err := analyze.New()
	if err != nil {
		return nil, fmt.Errorf("build analyzers: %w", err)
	}
	x := &Index{dir: dir, src: src, opt: opt, an: an, log: opt.Logger, lang: map[string]string{}}
	st, err := x.readState()
	if err != nil {
		return nil, err
	}
	x.st = st
	if err := x.openParts(ctx); err != nil {
		return nil, err
	}
	return x, nil
}

func (x *Index) statePath() string { return filepath.Join(x.dir, "state.json") }
func (x *Index) ftPath() string    { return filepath.Join(x.dir, "fulltext.bleve") }
func (x *Index) vecPath() string   { return filepath.Join(x.dir, "vectors") }
func (x *Index) idfPath() string   { return filepath.Join(x.dir, "idf.gob") }
func (x *Index) langPath() string  { return filepath.Join(x.dir, "lang.json") }

func (x *Index) readState() (state, error) {
	var st state
	b, err := os.ReadFile(x.statePath())
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read index state: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		// A torn state file means we cannot trust the indexes: rebuild.
		x.log.Warn("index state unreadable, rebuilding", "path", x.statePath(), "err", err)
		return state{}, nil
	}
	return st, nil
}

// writeState replaces the state file atomically, so a kill leaves either
// the old or the new state, never half of one.
func (x *Index) writeState() error {
	return writeFileAtomic(x.statePath(), func() ([]byte, error) { return json.MarshalIndent(x.st, "", "  ") })
}

func writeFileAtomic(path string, content func() ([]byte, error)) error {
	b, err := content()
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return nil
}

// openParts opens both indexes and the embedder matching the state. A
// layout or scoring change wipes everything; an embedder change wipes the
// vectors only.
func (x *Index) openParts(ctx context.Context) error {
	scoring := x.opt.Scoring
	if x.st.Layout != layoutVersion || x.st.Scoring != scoring {
		if err := x.wipe(); err != nil {
			return err
		}
		x.st = state{Layout: layoutVersion, Scoring: scoring}
	}
	ft, err := openFulltext(x.ftPath(), scoring)
	if err != nil {
		return err
	}
	x.ft = ft
	emb, err := x.embedder()
	if err != nil {
		return err
	}
	x.emb = emb
	if x.st.Embedder != "" && x.st.Embedder != emb.Name() {
		x.log.Info("embedder changed, re-embedding everything", "was", x.st.Embedder, "now", emb.Name())
		if err := removeVectors(x.vecPath()); err != nil {
			return err
		}
		// Full-text is fine, but the only way to re-embed is to replay all.
		x.st.Seq = 0
	}
	dim := emb.Dim()
	if dim == 0 && x.st.Embedder == emb.Name() {
		dim = x.st.Dim
	}
	if dim == 0 {
		// A remote embedder tells its dimension only when asked.
		v, err := emb.Embed(ctx, "en", []string{"dimension probe"})
		if err != nil {
			return fmt.Errorf("%w: probe %s: %w", ErrEmbedder, emb.Name(), err)
		}
		dim = len(v[0])
	}
	// Languages first: the vector index keeps each passage's language.
	if b, err := os.ReadFile(x.langPath()); err == nil {
		_ = json.Unmarshal(b, &x.lang)
	}
	vec, err := openVectors(x.vecPath(), dim, x.docLang)
	if err != nil {
		return err
	}
	x.vec = vec
	x.st.Embedder = emb.Name()
	x.st.Dim = dim
	x.loadPhrase()
	x.setPhrase(x.phr)
	return nil
}

func (x *Index) wipe() error {
	x.setPhrase(nil)
	for _, p := range []string{x.ftPath(), x.vecPath(), x.idfPath(), x.langPath(), x.phrasePath(), x.statePath()} {
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("remove %s: %w", p, err)
		}
	}
	return nil
}

// embedder returns the configured embedder, or the local one with the IDF
// table on disk (none yet on a fresh index: Sync fits it).
func (x *Index) embedder() (Embedder, error) {
	if x.opt.Embedder != nil {
		return x.opt.Embedder, nil
	}
	var idf *localembed.IDF
	if f, err := os.Open(x.idfPath()); err == nil {
		idf, err = localembed.ReadIDF(f)
		f.Close()
		if err != nil {
			x.log.Warn("idf table unreadable, refitting", "err", err)
			idf = nil
		}
	}
	return localembed.New(x.opt.Local, x.an, idf)
}

// ErrClosed is returned by calls on a closed index.
var ErrClosed = errors.New("index closed")

// Close releases both indexes. Closing twice is harmless.
func (x *Index) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.ft == nil {
		return nil
	}
	err := x.ft.close()
	x.ft = nil
	return err
}

// Embedder returns the embedder in use.
func (x *Index) Embedder() Embedder {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.emb
}

// DocLang returns the language a document was indexed with ("" if the
// document is not indexed).
func (x *Index) DocLang(id string) string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.lang[id]
}

// docLang is DocLang for callers holding x.mu.
func (x *Index) docLang(id string) string { return x.lang[id] }

// detectLang picks a document's language: its own field, else detection
// over its text, else "" (the language-neutral analysis).
func detectLang(d *corpus.Document) string {
	if d.Lang != "" {
		return d.Lang
	}
	l, conf := langdetect.Detect(d.Text())
	if conf < 0.5 {
		return ""
	}
	return l
}
