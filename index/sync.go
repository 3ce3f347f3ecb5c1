package index

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

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
	refit := false
	if x.opt.Embedder == nil {
		// The local embedder's weights come from the corpus. Fit them on
		// a fresh index, and again when the corpus has doubled since, so
		// early small imports do not fix the weights for good.
		if refit, err = x.needsRefit(ctx, maxSeq); err != nil {
			return rep, err
		}
	}
	from := x.st.Seq
	if refit {
		from = 0 // a refit replays everything
	}
	// A large change set usually touches the phrase model; if it does,
	// train the model beside the refit and the indexing instead of after
	// them.
	var job *phraseJob
	if maxSeq-from >= syncBatch {
		dirty, err := x.changesTouchPhrase(ctx, from)
		if err != nil {
			return rep, fmt.Errorf("sync: %w", err)
		}
		if dirty {
			job = x.startPhrase(ctx, maxSeq)
			defer job.stop()
		}
	}
	if refit {
		if err := x.refit(ctx); err != nil {
			return rep, err
		}
		rep.Rebuilt = true
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
	if err := x.retrainPhraseWith(ctx, job); err != nil {
		return rep, err
	}
	if progress != nil {
		progress(total, total)
	}
	return rep, nil
}

func (x *Index) retrainPhrase(ctx context.Context) error { return x.retrainPhraseWith(ctx, nil) }

// retrainPhraseWith retrains the model if a change touched it, taking the
// model job trained when the job saw every change the sync applied.
func (x *Index) retrainPhraseWith(ctx context.Context, job *phraseJob) error {
	if !x.phraseDirty && !x.st.PhraseStale {
		return nil
	}
	if job != nil && x.st.Seq <= job.seq {
		<-job.done
		if job.err != nil {
			return job.err
		}
		if err := x.installPhrase(job.m, job.n); err != nil {
			return err
		}
	} else if err := x.trainPhrase(ctx); err != nil {
		return err
	}
	x.phraseDirty, x.st.PhraseStale = false, false
	return x.writeState()
}

// changesTouchPhrase reports whether the changes after from may
// change the phrase model (see touchesPhrase), or it is stale already.
// Reading the changes once more costs a fraction of a second per 10,000
// documents; training costs seconds.
func (x *Index) changesTouchPhrase(ctx context.Context, from int64) (bool, error) {
	if x.phraseDirty || x.st.PhraseStale {
		return true, nil
	}
	errFound := errors.New("found")
	err := x.src.Changes(ctx, from, 0, func(d corpus.Document, _ int64) error {
		if x.touchesPhrase(&d) {
			return errFound
		}
		return nil
	})
	if errors.Is(err, errFound) {
		return true, nil
	}
	return false, err
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
	// Embed per language, as the local embedder analyses by language, in
	// a fixed language order; embedding runs while Bleve indexes the batch.
	byLang := map[string][]Passage{}
	for _, p := range todo {
		byLang[p.lang] = append(byLang[p.lang], p.ps...)
	}
	langs := slices.Sorted(maps.Keys(byLang))
	vecs := make([][][]float32, len(langs))
	var embErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		for i, lang := range langs {
			ps := byLang[lang]
			texts := make([]string, len(ps))
			for j, p := range ps {
				texts[j] = p.Text
			}
			if vecs[i], embErr = x.embedTexts(ctx, lang, texts); embErr != nil {
				return
			}
		}
	})
	ftErr := x.ft.idx.Batch(b)
	wg.Wait()
	if ftErr != nil {
		return rep, fmt.Errorf("full-text batch: %w", ftErr)
	}
	if embErr != nil {
		return rep, embErr
	}
	for i, lang := range langs {
		ps := byLang[lang]
		if err := x.vec.add(ctx, ps, vecs[i], lang); err != nil {
			return rep, err
		}
		rep.Embedded += len(ps)
	}
	return rep, nil
}

// embedChunk is how many texts one worker embeds at a time: small enough
// to keep both cores busy to the end of a batch.
const embedChunk = 32

// embedTexts embeds texts and checks the result. The local embedder runs
// on every core, each worker taking the next chunk of texts; a vector
// depends on its text alone, so the result is the same as one call's. A
// remote embedder gets one call, as it may limit concurrent requests.
func (x *Index) embedTexts(ctx context.Context, lang string, texts []string) ([][]float32, error) {
	workers := 1
	if x.opt.Embedder == nil {
		workers = min(runtime.GOMAXPROCS(0), (len(texts)+embedChunk-1)/embedChunk)
	}
	var vecs [][]float32
	if workers <= 1 {
		var err error
		if vecs, err = x.emb.Embed(ctx, lang, texts); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrEmbedder, err)
		}
	} else {
		vecs = make([][]float32, len(texts))
		var next atomic.Int64
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for {
					from := int(next.Add(embedChunk)) - embedChunk
					if from >= len(texts) {
						return
					}
					to := min(from+embedChunk, len(texts))
					v, err := x.emb.Embed(ctx, lang, texts[from:to])
					if err == nil && len(v) != to-from {
						err = fmt.Errorf("%s returned %d vectors for %d texts", x.emb.Name(), len(v), to-from)
					}
					if err != nil {
						errs[w] = err
						return
					}
					copy(vecs[from:to], v)
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrEmbedder, err)
		}
	}
	if len(vecs) != len(texts) {
		return nil, fmt.Errorf("%w: %s returned %d vectors for %d texts", ErrEmbedder, x.emb.Name(), len(vecs), len(texts))
	}
	if err := checkDims(x.emb.Name(), x.st.Dim, vecs); err != nil {
		return nil, err
	}
	return vecs, nil
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
