package index_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sofort-chat/sofort/corpus"
	"github.com/sofort-chat/sofort/index"
)

func TestExplore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	t0 := time.Now()
	st, err := corpus.Open(ctx, filepath.Join(dir, "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := corpus.Import(ctx, st, []string{"testdata/corpus.jsonl"}, corpus.ImportOptions{})
	fmt.Println(rep, err, time.Since(t0))
	x, err := index.Open(ctx, filepath.Join(dir, "idx"), st, index.Options{})
	fmt.Println(err, time.Since(t0))
	sr, err := x.Sync(ctx, nil)
	fmt.Println(sr, err, time.Since(t0))
	for _, q := range []string{"Wie kündige ich meinen Vertrag?", "KÜNDIGUNG", "Kuendigung", "Kündigugn", "forgot password", "LOS-Lampe Glasfasermodem Patchkabel", "USB hub monitor rear port", "Sommeraktion", "telefax", "battery drains"} {
		for _, m := range []index.Mode{index.ModeBM25, index.ModeVector, index.ModeHybrid} {
			hs, err := x.Search(ctx, index.Query{Text: q, Mode: m, K: 3})
			fmt.Printf("%q %s err=%v\n", q, m, err)
			for _, h := range hs {
				fmt.Printf("   %s %.3f %v %s | %q %v\n", h.DocID, h.Score, h.Fields, h.PassageField, h.Snippet, h.Highlights)
			}
		}
	}
	fmt.Println(time.Since(t0))
	s, _ := x.Stats()
	fmt.Printf("%+v %q\n", s, x.DocLang("en-nolang-battery"))
}
