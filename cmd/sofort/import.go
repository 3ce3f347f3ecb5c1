package main

import (
	"context"
	"fmt"

	"github.com/sofort-chat/sofort/corpus"
)

func cmdImport(ctx context.Context, args []string, io stdio) error {
	fs := newFlags("import", "import [--data DIR] FILE|DIR...", io)
	data := fs.String("data", defaultDataDir(), "data `dir` (store and indexes)")
	batch := fs.Int("batch", 500, "documents per transaction")
	lang := fs.String("lang", "", "language for records without one (default: detect)")
	paths, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		fs.Usage()
		return fmt.Errorf("%w: name at least one file or directory to import", errUsage)
	}
	// Check the paths first: opening the data dir loads the indexes.
	if err := corpus.CheckPaths(paths); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	a, err := openApp(ctx, *data, openOptions{}, io)
	if err != nil {
		return err
	}
	defer a.Close()
	// The importer counts bytes read: record counts are unknown upfront.
	p := newProgress(io.err, "importing, bytes read")
	rep, err := corpus.Import(ctx, a.store, paths, corpus.ImportOptions{BatchSize: *batch, Progress: p.update, DefaultLang: *lang})
	p.done()
	for _, e := range rep.Errors {
		fmt.Fprintln(io.err, "rejected:", e)
	}
	if rep.Rejected > len(rep.Errors) {
		fmt.Fprintf(io.err, "rejected: … and %d more\n", rep.Rejected-len(rep.Errors))
	}
	fmt.Fprintf(io.out, "import: %s\n", rep)
	if err != nil {
		return err
	}
	ip := newProgress(io.err, "indexing")
	sr, err := a.index.Sync(ctx, ip.update)
	ip.done()
	if err != nil {
		return fmt.Errorf("index after import (the store is complete; run 'sofort reindex' to retry): %w", err)
	}
	fmt.Fprintf(io.out, "index: %d indexed, %d removed, %d passages embedded\n", sr.Indexed, sr.Removed, sr.Embedded)
	return nil
}
