package eval

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sofort-chat/sofort/corpus"
	"github.com/sofort-chat/sofort/index"
)

// Env is a corpus imported into a throwaway data dir, with its index.
type Env struct {
	Dir    string
	Store  *corpus.Store
	Index  *index.Index
	Import corpus.ImportReport
	owned  bool
}

// Setup imports corpusPath into dir (a new temporary dir when dir is "")
// and builds the index with opt.
func Setup(ctx context.Context, corpusPath, dir string, opt index.Options) (*Env, error) {
	env := &Env{Dir: dir}
	if dir == "" {
		d, err := os.MkdirTemp("", "sofort-eval-*")
		if err != nil {
			return nil, fmt.Errorf("eval: temp dir: %w", err)
		}
		env.Dir, env.owned = d, true
	}
	st, err := corpus.Open(ctx, filepath.Join(env.Dir, "sofort.db"))
	if err != nil {
		env.Close()
		return nil, fmt.Errorf("eval: %w", err)
	}
	env.Store = st
	rep, err := corpus.Import(ctx, st, []string{corpusPath}, corpus.ImportOptions{})
	env.Import = rep
	if err != nil {
		env.Close()
		return nil, fmt.Errorf("eval: import %s: %w", corpusPath, err)
	}
	if rep.Added+rep.Updated+rep.Unchanged == 0 {
		env.Close()
		return nil, fmt.Errorf("eval: %s holds no valid document (%s)", corpusPath, rep)
	}
	idx, err := index.Open(ctx, filepath.Join(env.Dir, "index"), st, opt)
	if err != nil {
		env.Close()
		return nil, fmt.Errorf("eval: %w", err)
	}
	env.Index = idx
	if _, err := idx.Sync(ctx, nil); err != nil {
		env.Close()
		return nil, fmt.Errorf("eval: index: %w", err)
	}
	return env, nil
}

// Close releases everything and removes a temporary dir.
func (e *Env) Close() error {
	var errs []error
	if e.Index != nil {
		errs = append(errs, e.Index.Close())
	}
	if e.Store != nil {
		errs = append(errs, e.Store.Close())
	}
	if e.owned {
		errs = append(errs, os.RemoveAll(e.Dir))
	}
	return errors.Join(errs...)
}
