package main

import (
	"context"
	"fmt"
)

func cmdReindex(ctx context.Context, args []string, io stdio) error {
	fs := newFlags("reindex", "reindex [--data DIR]", io)
	data := fs.String("data", defaultDataDir(), "data `dir` (store and indexes)")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: reindex takes no arguments, got %q", errUsage, rest)
	}
	a, err := openApp(ctx, *data, openOptions{}, io)
	if err != nil {
		return err
	}
	defer a.Close()
	p := newProgress(io.err, "reindexing")
	rep, err := a.index.Reindex(ctx, p.update)
	p.done()
	if err != nil {
		return err
	}
	fmt.Fprintf(io.out, "reindex: %d documents indexed, %d passages embedded\n", rep.Indexed, rep.Embedded)
	return nil
}
