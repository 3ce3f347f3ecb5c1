package phrase

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/sofort-chat/sofort/internal/evaltest"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sofort-chat/sofort/index/analyze"
)

// synthCorpus builds n documents with perPhrasings phrasings each, and
// one held-out question per document. Words follow a Zipf law over a
// vocabulary of made-up words; each document has a few topic words of
// its own that its phrasings and question use, mixed with common words,
// the shape of real FAQ phrasings at any scale.
func synthCorpus(n, perDoc int, seed uint64) (train, test []Example) {
	rng := rand.New(rand.NewPCG(seed, 7))
	const vocab = 40000
	letters := "abcdefghijklmnopqrstuvwxyz"
	words := make([]string, vocab)
	seen := map[string]bool{}
	for i := range words {
		for {
			var b strings.Builder
			for j, l := 0, 3+rng.IntN(7); j < l; j++ {
				b.WriteByte(letters[rng.IntN(len(letters))])
			}
			if w := b.String(); !seen[w] {
				seen[w], words[i] = true, w
				break
			}
		}
	}
	zipf := rand.NewZipf(rand.New(rand.NewPCG(seed, 8)), 1.1, 2, vocab-1)
	phrase := func(topic []string) string {
		var ws []string
		for j, l := 0, 2+rng.IntN(2); j < l; j++ {
			ws = append(ws, topic[rng.IntN(len(topic))])
		}
		for j, l := 0, 3+rng.IntN(6); j < l; j++ {
			ws = append(ws, words[zipf.Uint64()])
		}
		rng.Shuffle(len(ws), func(i, j int) { ws[i], ws[j] = ws[j], ws[i] })
		return strings.Join(ws, " ")
	}
	for d := 0; d < n; d++ {
		id := fmt.Sprintf("doc-%05d", d)
		topic := make([]string, 6)
		for j := range topic {
			topic[j] = words[200+rng.IntN(vocab-200)]
		}
		for j := 0; j < perDoc; j++ {
			train = append(train, Example{DocID: id, Lang: "en", Text: phrase(topic)})
		}
		test = append(test, Example{DocID: id, Lang: "en", Text: phrase(topic)})
	}
	return train, test
}

// TestScale trains on synthetic corpora of growing size and reports
// training time, memory and accuracy. It is slow; PHRASE_SCALE=1 runs it.
func TestScale(t *testing.T) {
	if testing.Short() || os.Getenv("PHRASE_SCALE") == "" {
		t.Skip("set PHRASE_SCALE=1 to run")
	}
	an, err := analyze.New()
	if err != nil {
		t.Fatal(err)
	}
	opt := DefaultOptions()
	if s := os.Getenv("PHRASE_OPTIONS"); s != "" {
		if err := json.Unmarshal([]byte(s), &opt); err != nil {
			t.Fatalf("PHRASE_OPTIONS: %v", err)
		}
	}
	sizes := []int{150, 1000, 10000}
	if s := os.Getenv("PHRASE_SCALE_DOCS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("PHRASE_SCALE_DOCS: %v", err)
		}
		sizes = []int{n}
	}
	for _, n := range sizes {
		train, test := synthCorpus(n, 10, 1)
		start, cpu := time.Now(), cpuTime()
		m, err := Train(context.Background(), an, train, opt)
		if err != nil {
			t.Fatal(err)
		}
		wall, cpu := time.Since(start), cpuTime()-cpu
		right := 0
		start = time.Now()
		for _, ex := range test {
			if got := m.Score(ex.Lang, ex.Text, 1); len(got) > 0 && got[0].DocID == ex.DocID {
				right++
			}
		}
		per := time.Since(start) / time.Duration(len(test))
		st := m.Stats()
		t.Logf("%5d docs, %6d phrasings: trained in %v (CPU %v); %d rows (%d hot), %d weights, %.1f MB; R@1 %.3f; %v per question; peak RSS so far %.0f MB",
			n, len(train), wall.Round(time.Millisecond), cpu.Round(time.Millisecond), st.Rows, st.HotRows, st.Weights, float64(st.Bytes)/1e6,
			float64(right)/float64(len(test)), per, float64(maxRSS())/1e6)
	}
}

// BenchmarkScore measures one question against models of growing size:
// clinc150's 150 intents (when the eval data is there) and synthetic
// corpora (10,000 documents only with PHRASE_SCALE=1: training takes
// minutes).
func BenchmarkScore(b *testing.B) {
	an, err := analyze.New()
	if err != nil {
		b.Fatal(err)
	}
	type setup struct {
		name      string
		train     func() ([]Example, []Example)
		needScale bool
	}
	setups := []setup{
		{"clinc150", func() ([]Example, []Example) {
			if _, err := os.Stat(filepath.Join(evalDir, "clinc150", "dev.jsonl")); err != nil {
				b.Skipf("eval data missing: %v", err)
			}
			var qs []Example
			for _, c := range evaltest.ReadJSONL[evalCase](b, filepath.Join(evalDir, "clinc150", "dev.jsonl")) {
				qs = append(qs, Example{Lang: c.Lang, Text: c.Query})
			}
			return suiteExamples(b, "clinc150"), qs
		}, false},
		{"synthetic-1000", func() ([]Example, []Example) { return synthCorpus(1000, 10, 1) }, false},
		{"synthetic-10000", func() ([]Example, []Example) { return synthCorpus(10000, 10, 1) }, true},
	}
	for _, s := range setups {
		b.Run(s.name, func(b *testing.B) {
			if s.needScale && os.Getenv("PHRASE_SCALE") == "" {
				b.Skip("set PHRASE_SCALE=1 to run")
			}
			train, qs := s.train()
			m, err := Train(context.Background(), an, train, DefaultOptions())
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				q := qs[i%len(qs)]
				m.Score(q.Lang, q.Text, 10)
			}
		})
	}
}

// BenchmarkTrain measures training on clinc150's 15,000 phrasings.
func BenchmarkTrain(b *testing.B) {
	an, err := analyze.New()
	if err != nil {
		b.Fatal(err)
	}
	ex := suiteExamples(b, "clinc150")
	for b.Loop() {
		if _, err := Train(context.Background(), an, ex, DefaultOptions()); err != nil {
			b.Fatal(err)
		}
	}
}
