package index

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/sofort-chat/sofort/corpus"
	"github.com/sofort-chat/sofort/index/localembed"
)

// SyncReport says what a Sync did.
type SyncReport struct {
	Indexed  int  // documents (re)indexed
	Removed  int  // documents dropped from the indexes (retired, draft)
	Rebuilt  bool // everything was rebuilt (fresh index, new embedder or refit)
	Embedded int  // passages embedded
}

// Progress is called during long syncs with documents done and an upper
// bound of the total. It may be nil.
type Progress func(done, total int)

const syncBatch = 500

// Sync brings both indexes up to date with the store: it replays every
// change after the last applied sequence, in batches, saving the new
// sequence after each batch. Re-applying a batch is harmless, so a crash
// anywhere costs at most one batch of rework.
func (x *Index) Sync(ctx context.Context, progress Progress) (SyncReport, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.sync(ctx, progress)
}

// Reindex rebuilds both indexes from the store (and refits the local
// embedder's weights).
func (x *Index) Reindex(ctx context.Context, progress Progress) (SyncReport, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.ft == nil {
		return SyncReport{}, ErrClosed
	}
	if err := x.reset(ctx); err != nil {
		return SyncReport{}, err
	}
	return x.sync(ctx, progress)
}

// reset drops both indexes and opens empty ones.
func (x *Index) reset(ctx context.Context) error {
	if err := x.ft.close(); err != nil {
		return fmt.Errorf("close full-text index: %w", err)
	}
	if err := x.wipe(); err != nil {
		return err
	}
	x.st = state{}
	x.lang = map[string]string{}
	return x.openParts(ctx)
}

func (x *Index) sync(ctx context.Context, progress Progress) (SyncReport, error) {
	var rep SyncReport
	if x.ft == nil {
		return rep, ErrClosed
	}
	maxSeq, err := x.src.MaxSeq(ctx)
	if err != nil {
		return rep, fmt.Errorf("sync: %w", err)
	}
	if x.st.Seq > maxSeq {
		// The store is older than the index (restored from a backup):
		// the index holds changes the store no longer has.
		x.log.Warn("index is ahead of the store, rebuilding", "index_seq", x.st.Seq, "store_seq", maxSeq)
		if err := x.reset(ctx); err != nil {
			return rep, err
		}
		rep.Rebuilt = true
	}
	if x.st.Seq >= maxSeq {
		return rep, x.retrainPhrase(ctx)
	}
	if x.opt.Embedder == nil {
		// The local embedder's weights come from the corpus. Fit them on
		// a fresh index, and again when the corpus has doubled since, so
		// early small imports do not fix the weights for good.
		refit, err := x.needsRefit(ctx, maxSeq)
		if err != nil {
			return rep, err
		}
		if refit {
			if err := x.refit(ctx); err != nil {
				return rep, err
			}
			rep.Rebuilt = true
		}
	}
	total := int(maxSeq - x.st.Seq)
	done := 0
	var batch []corpus.Document
	var lastSeq int64
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		r, err := x.apply(ctx, batch)
		if err != nil {
			return err
		}
		rep.Indexed += r.Indexed
		rep.Removed += r.Removed
		rep.Embedded += r.Embedded
		x.st.Seq = lastSeq
		x.st.PhraseStale = x.st.PhraseStale || x.phraseDirty
		if err := x.saveLang(); err != nil {
			return err
		}
		if err := x.writeState(); err != nil {
			return err
		}
		done += len(batch)
		if progress != nil {
			progress(done, total)
		}
		batch = batch[:0]
		return nil
	}
	err = x.src.Changes(ctx, x.st.Seq, 0, func(d corpus.Document, seq int64) error {
		batch = append(batch, d)
		lastSeq = seq
		if len(batch) >= syncBatch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("sync: %w", err)
	}
	if err := flush(); err != nil {
		return rep, fmt.Errorf("sync: %w", err)
	}
	if x.st.Seq < maxSeq {
		x.st.Seq = maxSeq
		if err := x.writeState(); err != nil {
			return rep, err
		}
	}
	if err := x.retrainPhrase(ctx); err != nil {
		return rep, err
	}
	if progress != nil {
		progress(total, total)
	}
	return rep, nil
}

func (x *Index) retrainPhrase(ctx context.Context) error {
	if !x.phraseDirty && !x.st.PhraseStale {
		return nil
	}
	if err := x.trainPhrase(ctx); err != nil {
		return err
	}
	x.phraseDirty, x.st.PhraseStale = false, false
	return x.writeState()
}

// needsRefit reports whether the IDF table is missing or was fitted on
// less than half of the corpus as it is now.
func (x *Index) needsRefit(ctx context.Context, maxSeq int64) (bool, error) {
	if x.st.Docs == 0 || x.st.Seq == 0 {
		return true, nil
	}
	// maxSeq bounds the published count from above and is free to get;
	// count exactly only when the bound says a refit may be due.
	if maxSeq < int64(2*x.st.Docs) {
		return false, nil
	}
	n := 0
	err := x.src.Changes(ctx, 0, 0, func(d corpus.Document, _ int64) error {
		if d.Status == corpus.StatusPublished {
			n++
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("count documents: %w", err)
	}
	return n >= 2*x.st.Docs, nil
}

// refit fits the IDF table on all published documents, then drops the
// vectors and replays everything so every vector uses the same weights.
func (x *Index) refit(ctx context.Context) error {
	type unit struct{ lang, text string }
	var units []unit
	err := x.src.Changes(ctx, 0, 0, func(d corpus.Document, _ int64) error {
		if d.Status != corpus.StatusPublished {
			return nil
		}
		units = append(units, unit{detectLang(&d), d.Text()})
		return nil
	})
	if err != nil {
		return fmt.Errorf("fit idf: %w", err)
	}
	idf, err := localembed.Fit(ctx, x.opt.Local, x.an, len(units), func(i int) (string, string) { return units[i].lang, units[i].text })
	if err != nil {
		return fmt.Errorf("fit idf: %w", err)
	}
	if err := writeFileAtomic(x.idfPath(), func() ([]byte, error) {
		var b bytes.Buffer
		_, err := idf.WriteTo(&b)
		return b.Bytes(), err
	}); err != nil {
		return err
	}
	emb, err := localembed.New(x.opt.Local, x.an, idf)
	if err != nil {
		return err
	}
	if err := removeVectors(x.vecPath()); err != nil {
		return err
	}
	vec, err := openVectors(x.vecPath(), emb.Dim(), x.docLang)
	if err != nil {
		return err
	}
	x.vec = vec
	x.emb = emb
	x.st.Embedder = emb.Name()
	x.st.Dim = emb.Dim()
	x.st.Docs = len(units)
	x.st.Seq = 0
	x.log.Info("fitted embedder weights", "documents", len(units), "embedder", emb.Name())
	return nil
}

// apply indexes one batch of changed documents in both indexes.
func (x *Index) apply(ctx context.Context, docs []corpus.Document) (SyncReport, error) {
	var rep SyncReport
	b := x.ft.idx.NewBatch()
	type pending struct {
		lang string
		ps   []Passage
	}
	var todo []pending
	for i := range docs {
		d := &docs[i]
		if x.touchesPhrase(d) {
			x.phraseDirty = true
		}
		if err := x.vec.removeDoc(ctx, d.ID); err != nil {
			return rep, err
		}
		if d.Status != corpus.StatusPublished {
			b.Delete(d.ID)
			delete(x.lang, d.ID)
			rep.Removed++
			continue
		}
		lang := detectLang(d)
		if err := b.Index(d.ID, ftDoc(d, lang)); err != nil {
			return rep, fmt.Errorf("index %s: %w", d.ID, err)
		}
		x.lang[d.ID] = lang
		todo = append(todo, pending{lang: lang, ps: SplitPassages(d)})
		rep.Indexed++
	}
	if err := x.ft.idx.Batch(b); err != nil {
		return rep, fmt.Errorf("full-text batch: %w", err)
	}
	// Embed per language, as the local embedder analyses by language.
	byLang := map[string][]Passage{}
	for _, p := range todo {
		byLang[p.lang] = append(byLang[p.lang], p.ps...)
	}
	for lang, ps := range byLang {
		texts := make([]string, len(ps))
		for i, p := range ps {
			texts[i] = p.Text
		}
		vecs, err := x.emb.Embed(ctx, lang, texts)
		if err != nil {
			return rep, fmt.Errorf("%w: %w", ErrEmbedder, err)
		}
		if len(vecs) != len(texts) {
			return rep, fmt.Errorf("%w: %s returned %d vectors for %d texts", ErrEmbedder, x.emb.Name(), len(vecs), len(texts))
		}
		if err := checkDims(x.emb.Name(), x.st.Dim, vecs); err != nil {
			return rep, err
		}
		if err := x.vec.add(ctx, ps, vecs, lang); err != nil {
			return rep, err
		}
		rep.Embedded += len(ps)
	}
	return rep, nil
}

func (x *Index) saveLang() error {
	return writeFileAtomic(x.langPath(), func() ([]byte, error) { return json.Marshal(x.lang) })
}

// Stats describes the derived indexes.
type Stats struct {
	Documents     uint64 // in the full-text index
	Passages      int    // in the vector store
	Embedder      string
	Dim           int
	Seq           int64
	FulltextBytes int64
	VectorBytes   int64 // on disk
	VectorMemory  int   // search structure in memory
}

// Stats reports sizes and the embedder in use.
func (x *Index) Stats() (Stats, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.ft == nil {
		return Stats{}, ErrClosed
	}
	n, err := x.ft.count()
	if err != nil {
		return Stats{}, fmt.Errorf("count full-text documents: %w", err)
	}
	return Stats{
		Documents:     n,
		Passages:      x.vec.count(),
		Embedder:      x.st.Embedder,
		Dim:           x.st.Dim,
		Seq:           x.st.Seq,
		FulltextBytes: dirSize(x.ftPath()),
		VectorBytes:   dirSize(x.vecPath()),
		VectorMemory:  x.vec.bytes(),
	}, nil
}

// dirSize sums the sizes of the files below path; unreadable entries count
// as empty, as the figure is informational.
func dirSize(path string) int64 {
	var n int64
	_ = filepath.WalkDir(path, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if fi, err := d.Info(); err == nil {
			n += fi.Size()
		}
		return nil
	})
	return n
}
