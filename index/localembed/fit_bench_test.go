package localembed

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sofort-chat/sofort/index/analyze"
	"github.com/sofort-chat/sofort/internal/benchdata"
)

type fitUnit struct{ lang, text string }

// benchUnits generates n realistic documents from the evaluation suites
// (../shared/eval, or SOFORT_EVAL_DIR) and returns each one's language and
// full text, as the index hands them to Fit.
func benchUnits(b *testing.B, n int) []fitUnit {
	b.Helper()
	units, err := loadUnits(n)
	if err != nil {
		b.Skipf("no benchmark material: %v", err)
	}
	return units
}

// benchUnitsOr is benchUnits with a German fallback when the suites are
// missing.
func benchUnitsOr(b *testing.B, n int, fallback []string) []fitUnit {
	b.Helper()
	units, err := loadUnits(n)
	if err == nil {
		return units
	}
	fmt.Fprintf(os.Stderr, "NOTE: no benchmark material (%v); fitting on %d test sentences\n", err, len(fallback))
	units = nil
	for _, t := range fallback {
		units = append(units, fitUnit{"de", t})
	}
	return units
}

func loadUnits(n int) ([]fitUnit, error) {
	dir := os.Getenv("SOFORT_EVAL_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "eval")
	}
	pool, err := benchdata.LoadSuites(dir)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := pool.WriteJSONL(&buf, n, 1); err != nil {
		return nil, err
	}
	var units []fitUnit
	dec := json.NewDecoder(&buf)
	for dec.More() {
		var d struct {
			Lang, Title, Question, Answer, Body string
			AltQuestions                        []string `json:"alt_questions"`
			Posts                               []struct{ Body string }
		}
		if err := dec.Decode(&d); err != nil {
			return nil, err
		}
		parts := append([]string{d.Title, d.Question}, d.AltQuestions...)
		parts = append(parts, d.Answer, d.Body)
		for _, p := range d.Posts {
			parts = append(parts, p.Body)
		}
		units = append(units, fitUnit{d.Lang, strings.Join(parts, "\n")})
	}
	return units, nil
}

// BenchmarkFit measures fitting the embedder's corpus statistics at index
// time on 10,000 documents (SOFORT_BENCH_FIT_DOCS overrides): analysis,
// IDF and the latent model.
func BenchmarkFit(b *testing.B) {
	an, err := analyze.New()
	if err != nil {
		b.Fatal(err)
	}
	n := 10_000
	if v, err := strconv.Atoi(os.Getenv("SOFORT_BENCH_FIT_DOCS")); err == nil && v > 0 {
		n = v
	}
	units := benchUnits(b, n)
	for _, latent := range []bool{false, true} {
		opt := DefaultOptions()
		if !latent {
			opt.LatentWeight = 0
		}
		b.Run(fmt.Sprintf("docs=%d/latent=%t", len(units), latent), func(b *testing.B) {
			t0 := cpuTime()
			defer func() { b.ReportMetric((cpuTime()-t0).Seconds()/float64(b.N), "cpu-s/op") }()
			for b.Loop() {
				if _, err := Fit(context.Background(), opt, an, len(units), func(i int) (string, string) { return units[i].lang, units[i].text }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFitLatent measures the latent model alone (the SVD) on
// LatentDocs documents, the most it is ever fitted on: a larger corpus is
// sampled down to that many, so this is its cost at 100k documents too.
func BenchmarkFitLatent(b *testing.B) {
	an, err := analyze.New()
	if err != nil {
		b.Fatal(err)
	}
	opt := DefaultOptions()
	units := benchUnits(b, opt.LatentDocs)
	var ld latentDocs
	df := map[string]int{}
	for _, u := range units {
		ts := an.Terms(u.lang, u.text)
		ld.add(ts)
		for _, t := range ts {
			df[wordKey(t)]++ // an upper bound of DF is enough for timing
		}
	}
	idf := &IDF{N: len(units), DF: df}
	for _, sketch := range [][2]int{{opt.LatentIters, opt.LatentOversample}, {4, 60}} {
		o := opt
		o.LatentIters, o.LatentOversample = sketch[0], sketch[1]
		b.Run(fmt.Sprintf("docs=%d/iters=%d/oversample=%d", len(units), sketch[0], sketch[1]), func(b *testing.B) {
			t0 := cpuTime()
			for b.Loop() {
				if fitLatent(&ld, func(t string) float64 { return idf.Weight(wordKey(t)) }, o) == nil {
					b.Fatal("no latent model")
				}
			}
			b.ReportMetric((cpuTime()-t0).Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}

// cpuTime is the process's user plus system CPU time. On a shared machine
// it says more than wall-clock time, which includes waiting for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
