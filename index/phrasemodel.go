package index

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/sofort-chat/sofort/corpus"
	"github.com/sofort-chat/sofort/index/phrase"
)

// The phrase model learns, from documents that staff gave several
// phrasings, which words and word pieces tell those documents apart. It is
// the third ranking in hybrid mode; documents with fewer phrasings are
// left to the other two.

func (x *Index) phrasePath() string { return filepath.Join(x.dir, "phrase.bin") }

// phraseCandidate reports whether a document belongs in the phrase model.
func (x *Index) phraseCandidate(d *corpus.Document) bool {
	return d.Status == corpus.StatusPublished && len(questionTexts(d)) >= x.opt.Phrase.MinExamples
}

func questionTexts(d *corpus.Document) []string {
	var out []string
	q := d.Question
	if q == "" {
		q = d.Title
	}
	if q != "" {
		out = append(out, q)
	}
	return append(out, d.AltQuestions...)
}

// loadPhrase reads the persisted model, if any. A model that cannot be
// read is retrained on the next Sync rather than failing the open.
func (x *Index) loadPhrase() {
	b, err := os.ReadFile(x.phrasePath())
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err == nil {
		var m *phrase.Model
		if m, err = phrase.Read(bytes.NewReader(b), x.an); err == nil {
			x.setPhrase(m)
			return
		}
	}
	x.log.Warn("phrase model unreadable, retraining on next sync", "path", x.phrasePath(), "err", err)
	x.phraseDirty = true
}

// backgroundID names the model's "none of these" class. A softmax over
// only the documents with phrasings would hand a question about any other
// document to one of them with high probability; the background class,
// trained on the questions of all other documents, takes that mass.
const backgroundID = "\x00background"

// trainPhrase fits the model on every qualifying published document and
// installs it.
func (x *Index) trainPhrase(ctx context.Context) error {
	m, n, err := x.buildPhrase(ctx)
	if err != nil {
		return err
	}
	return x.installPhrase(m, n)
}

// buildPhrase fits the model on every qualifying published document (nil
// if none qualifies) and returns it with its number of examples. It reads
// only the store and x's options, never the indexes, so it may run while
// a sync updates them.
func (x *Index) buildPhrase(ctx context.Context) (*phrase.Model, int, error) {
	var ex, background []phrase.Example
	err := x.src.Changes(ctx, 0, 0, func(d corpus.Document, _ int64) error {
		if d.Status != corpus.StatusPublished {
			return nil
		}
		lang := detectLang(&d)
		own := x.phraseCandidate(&d)
		for _, t := range questionTexts(&d) {
			if own {
				ex = append(ex, phrase.Example{DocID: d.ID, Lang: lang, Text: t})
			} else {
				background = append(background, phrase.Example{DocID: backgroundID, Lang: lang, Text: t})
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("train phrase model: %w", err)
	}
	if len(ex) == 0 {
		return nil, 0, nil
	}
	ex = append(ex, background...)
	m, err := phrase.Train(ctx, x.an, ex, x.opt.Phrase)
	if err != nil && !errors.Is(err, phrase.ErrNoDocuments) {
		return nil, 0, fmt.Errorf("train phrase model: %w", err)
	}
	return m, len(ex), nil
}

// installPhrase persists m (removes the model file for nil) and serves it.
func (x *Index) installPhrase(m *phrase.Model, examples int) error {
	if m == nil {
		x.setPhrase(nil)
		if err := os.Remove(x.phrasePath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove phrase model: %w", err)
		}
		return nil
	}
	if err := writeFileAtomic(x.phrasePath(), func() ([]byte, error) {
		var b bytes.Buffer
		_, err := m.WriteTo(&b)
		return b.Bytes(), err
	}); err != nil {
		return err
	}
	x.setPhrase(m)
	x.log.Info("trained phrase model", "examples", examples, "documents", len(m.Docs()))
	return nil
}

// phraseJob is a phrase model trained beside a sync's indexing (see
// startPhrase).
type phraseJob struct {
	seq    int64 // the store had every change up to here when training began
	cancel context.CancelFunc
	done   chan struct{}
	m      *phrase.Model
	n      int
	err    error
}

// startPhrase begins training on a goroutine. The model depends only on
// the store, so a large sync need not wait for the indexing to finish
// before training: that would leave one of the two cores idle for the
// whole training.
func (x *Index) startPhrase(ctx context.Context, seq int64) *phraseJob {
	ctx, cancel := context.WithCancel(ctx)
	j := &phraseJob{seq: seq, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(j.done)
		j.m, j.n, j.err = x.buildPhrase(ctx)
	}()
	return j
}

// stop cancels the job and waits for it; harmless on nil or a finished job.
func (j *phraseJob) stop() {
	if j == nil {
		return
	}
	j.cancel()
	<-j.done
}

func (x *Index) setPhrase(m *phrase.Model) {
	x.phr = m
	x.phrDocs = map[string]bool{}
	if m != nil {
		for _, d := range m.Docs() {
			if d != backgroundID {
				x.phrDocs[d] = true
			}
		}
	}
}

// touchesPhrase reports whether a changed document may change the model:
// it qualifies now, or the model covered it before. Changes to other
// documents only shift the background class a little; they are picked up
// at the next retraining.
func (x *Index) touchesPhrase(d *corpus.Document) bool {
	return x.phraseCandidate(d) || x.phrDocs[d.ID]
}
