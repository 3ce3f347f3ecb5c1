package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/term"

	"github.com/sofort-chat/sofort/corpus"
	"github.com/sofort-chat/sofort/corpus/demo"
	"github.com/sofort-chat/sofort/index"
	"github.com/sofort-chat/sofort/internal/openaiembed"
)

// app is an opened data dir: the store of record and its indexes.
type app struct {
	dir   string
	store *corpus.Store
	index *index.Index
}

type openOptions struct {
	// seedDemo loads the bundled demo corpus into an empty store.
	seedDemo bool
	index    index.Options
}

// openApp opens the data dir, seeds the demo corpus if asked and the store
// is empty, and brings the indexes up to date (with progress on a
// terminal).
func openApp(ctx context.Context, dir string, o openOptions, io stdio) (*app, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir %s: %w", dir, err)
	}
	st, err := corpus.Open(ctx, filepath.Join(dir, "sofort.db"))
	if err != nil {
		return nil, err
	}
	a := &app{dir: dir, store: st}
	if o.seedDemo {
		if err := seedDemo(ctx, st, io); err != nil {
			a.Close()
			return nil, err
		}
	}
	if o.index.Embedder == nil {
		emb, err := embedderFromEnv()
		if err != nil {
			a.Close()
			return nil, err
		}
		o.index.Embedder = emb
	}
	if o.index.Logger == nil {
		o.index.Logger = slog.New(slog.NewTextHandler(io.err, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	idx, err := index.Open(ctx, filepath.Join(dir, "index"), st, o.index)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.index = idx
	p := newProgress(io.err, "indexing")
	_, err = idx.Sync(ctx, p.update)
	p.done()
	if err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

func (a *app) Close() error {
	var errs []error
	if a.index != nil {
		errs = append(errs, a.index.Close())
	}
	if a.store != nil {
		errs = append(errs, a.store.Close())
	}
	return errors.Join(errs...)
}

// embedderFromEnv returns the OpenAI-compatible embedder when
// SOFORT_EMBED_URL is set, and nil (the local embedder) otherwise.
func embedderFromEnv() (index.Embedder, error) {
	cfg := openaiembed.Config{}.FromEnv()
	if cfg.BaseURL == "" {
		return nil, nil
	}
	e, err := openaiembed.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("SOFORT_EMBED_URL is set: %w", err)
	}
	return e, nil
}

const metaDemo = "demo_corpus"

// seedDemo imports the bundled demo corpus into a store that has never held
// a document, so a newcomer can search at once. A store that has had data
// is left alone, even if everything in it is retired.
func seedDemo(ctx context.Context, st *corpus.Store, io stdio) error {
	n, err := st.MaxSeq(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	docs, err := demo.Documents()
	if err != nil {
		return fmt.Errorf("load bundled demo corpus: %w", err)
	}
	res, err := st.Upsert(ctx, docs)
	if err != nil {
		return fmt.Errorf("import demo corpus: %w", err)
	}
	if err := st.SetMeta(ctx, metaDemo, demo.Version()); err != nil {
		return err
	}
	fmt.Fprintf(io.err, "sofort: empty data dir, loaded the bundled demo corpus (%d documents)\n", res.Added)
	return nil
}

// progress prints "label done/total (pct%)" on one refreshed line when w is
// a terminal, at most ten times a second, and nothing otherwise: piped
// output stays clean for scripts.
type progress struct {
	w     io.Writer
	label string
	tty   bool
	last  time.Time
	shown bool
}

func newProgress(w io.Writer, label string) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return &progress{w: w, label: label, tty: tty}
}

func (p *progress) update(done, total int) {
	if !p.tty || time.Since(p.last) < 100*time.Millisecond && done < total {
		return
	}
	p.last = time.Now()
	pct := 100
	if total > 0 {
		pct = done * 100 / total
	}
	fmt.Fprintf(p.w, "\r%s %d/%d (%d%%)   ", p.label, done, total, pct)
	p.shown = true
}

func (p *progress) done() {
	if p.shown {
		fmt.Fprintln(p.w)
	}
}
