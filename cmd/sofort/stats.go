package main

import (
	"context"
	"fmt"
	"io"
	"sort"
)

func cmdStats(ctx context.Context, args []string, io stdio) error {
	fs := newFlags("stats", "stats [--data DIR]", io)
	data := fs.String("data", defaultDataDir(), "data `dir` (store and indexes)")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: stats takes no arguments, got %q", errUsage, rest)
	}
	a, err := openApp(ctx, *data, openOptions{seedDemo: true}, io)
	if err != nil {
		return err
	}
	defer a.Close()
	st, err := a.store.Stats(ctx)
	if err != nil {
		return err
	}
	is, err := a.index.Stats()
	if err != nil {
		return err
	}
	w := io.out
	fmt.Fprintf(w, "data dir   %s\n", a.dir)
	fmt.Fprintf(w, "documents  %d\n", st.Total)
	printCounts(w, "kind", st.ByKind)
	printCounts(w, "lang", st.ByLang)
	printCounts(w, "status", st.ByStatus)
	fmt.Fprintf(w, "full-text  %d documents, %s on disk\n", is.Documents, human(is.FulltextBytes))
	fmt.Fprintf(w, "vectors    %d passages, %s on disk, %s in memory\n", is.Passages, human(is.VectorBytes), human(int64(is.VectorMemory)))
	fmt.Fprintf(w, "embedder   %s (%d dimensions)\n", is.Embedder, is.Dim)
	fmt.Fprintf(w, "applied    change %d\n", is.Seq)
	return nil
}

func printCounts[K ~string](w io.Writer, label string, m map[K]int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	fmt.Fprintf(w, "  by %-7s", label)
	for _, k := range keys {
		name := k
		if name == "" {
			name = "(none)"
		}
		fmt.Fprintf(w, " %s %d", name, m[K(k)])
	}
	fmt.Fprintln(w)
}

func human(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
