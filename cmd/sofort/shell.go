package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/sofort-chat/sofort/index"
)

func cmdShell(ctx context.Context, args []string, io stdio) error {
	fs := newFlags("shell", "shell [--data DIR] [--mode bm25|vector|hybrid]", io)
	data := fs.String("data", defaultDataDir(), "data `dir` (store and indexes)")
	mode := fs.String("mode", "hybrid", "ranking: bm25, vector or hybrid")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	m, err := index.ParseMode(*mode)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	a, err := openApp(ctx, *data, openOptions{seedDemo: true}, io)
	if err != nil {
		return err
	}
	defer a.Close()
	fmt.Fprintln(io.out, "sofort search shell. Type a question (German or English); :mode bm25|vector|hybrid switches ranking; :q or Ctrl-D quits.")
	sc := bufio.NewScanner(io.in)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for {
		fmt.Fprint(io.out, "? ")
		if !sc.Scan() {
			fmt.Fprintln(io.out)
			return sc.Err()
		}
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
			continue
		case line == ":q" || line == ":quit" || line == "exit":
			return nil
		case strings.HasPrefix(line, ":mode"):
			nm, err := index.ParseMode(strings.TrimSpace(strings.TrimPrefix(line, ":mode")))
			if err != nil {
				fmt.Fprintln(io.out, err)
				continue
			}
			m = nm
			fmt.Fprintln(io.out, "mode", m)
			continue
		}
		if err := printSearch(ctx, a.index, io.out, index.Query{Text: line, Mode: m, K: 5}); err != nil {
			fmt.Fprintln(io.out, "error:", err)
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}
