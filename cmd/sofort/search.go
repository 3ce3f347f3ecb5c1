package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sofort-chat/sofort/index"
)

func cmdSearch(ctx context.Context, args []string, io stdio) error {
	fs := newFlags("search", `search [--data DIR] [--mode bm25|vector|hybrid] [--lang de|en] [-k N] "question"`, io)
	data := fs.String("data", defaultDataDir(), "data `dir` (store and indexes)")
	mode := fs.String("mode", "hybrid", "ranking: bm25, vector or hybrid")
	lang := fs.String("lang", "", "only documents in this language (de, en); default: all, question language detected")
	k := fs.Int("k", 5, "number of hits")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	m, err := index.ParseMode(*mode)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *k < 1 || *k > 100 {
		return fmt.Errorf("%w: -k %d out of range (1 to 100)", errUsage, *k)
	}
	q := strings.TrimSpace(strings.Join(pos, " "))
	if q == "" {
		fs.Usage()
		return fmt.Errorf("%w: give a question, e.g. sofort search \"Wie kündige ich?\"", errUsage)
	}
	a, err := openApp(ctx, *data, openOptions{seedDemo: true}, io)
	if err != nil {
		return err
	}
	defer a.Close()
	return printSearch(ctx, a.index, io.out, index.Query{Text: q, Lang: strings.ToLower(*lang), Mode: m, K: *k})
}

func printSearch(ctx context.Context, idx *index.Index, w io.Writer, q index.Query) error {
	hits, err := idx.Search(ctx, q)
	if errors.Is(err, index.ErrEmptyQuery) {
		fmt.Fprintln(w, "(nothing to search for: the question has no words)")
		return nil
	}
	if err != nil {
		return err
	}
	if len(hits) == 0 {
		fmt.Fprintln(w, "no hits")
		return nil
	}
	for i, h := range hits {
		title := h.Doc.Title
		if title == "" {
			title = h.Doc.Question
		}
		fmt.Fprintf(w, "%2d. %.3f  %s  [%s, %s]\n", i+1, h.Score, title, h.Doc.Kind, h.DocID)
		if h.Doc.URL != "" {
			fmt.Fprintf(w, "    %s\n", h.Doc.URL)
		}
		if h.Snippet != "" {
			fmt.Fprintf(w, "    %s\n", markSnippet(h.Snippet, h.Highlights))
		}
		if len(h.Fields) > 0 {
			fmt.Fprintf(w, "    matched: %s\n", strings.Join(h.Fields, ", "))
		}
	}
	return nil
}

// markSnippet wraps highlighted ranges in »…« so they show in any terminal
// and in piped output alike.
func markSnippet(s string, hl [][2]int) string {
	var b strings.Builder
	last := 0
	for _, r := range hl {
		if r[0] < last || r[1] > len(s) || r[0] > r[1] {
			continue
		}
		b.WriteString(s[last:r[0]])
		b.WriteString("»")
		b.WriteString(s[r[0]:r[1]])
		b.WriteString("«")
		last = r[1]
	}
	b.WriteString(s[last:])
	return strings.Join(strings.Fields(b.String()), " ")
}
