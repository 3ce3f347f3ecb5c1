package phrase

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/sofort-chat/sofort/internal/evaltest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sofort-chat/sofort/index/analyze"
)

// evalDir is the shared evaluation data beside the repository.
var evalDir = filepath.Join("..", "..", "..", "shared", "eval")

type evalDoc struct {
	ID           string   `json:"id"`
	Lang         string   `json:"lang"`
	Question     string   `json:"question"`
	AltQuestions []string `json:"alt_questions"`
}

type evalCase struct {
	Query    string   `json:"query"`
	Lang     string   `json:"lang"`
	Expect   []string `json:"expect"`
	Escalate bool     `json:"escalate"`
}

// suiteExamples turns a suite's corpus into training phrasings: the
// question and every alternative question of each document.
func suiteExamples(t testing.TB, suite string) []Example {
	docs := evaltest.ReadJSONL[evalDoc](t, filepath.Join(evalDir, suite, "corpus.jsonl"))
	var ex []Example
	for _, d := range docs {
		if strings.TrimSpace(d.Question) != "" {
			ex = append(ex, Example{DocID: d.ID, Lang: d.Lang, Text: d.Question})
		}
		for _, q := range d.AltQuestions {
			ex = append(ex, Example{DocID: d.ID, Lang: d.Lang, Text: q})
		}
	}
	return ex
}

type evalResult struct {
	r1, mrr   float64
	inScope   int
	top       []float64 // max probability per in-scope case
	correct   []bool
	oosTop    []float64 // max probability per out-of-scope case
	trainTime time.Duration
	trainCPU  time.Duration
	model     *Model
}

func runSuite(t testing.TB, an *analyze.Analyzer, suite string, opt Options, extraOOS []evalCase) evalResult {
	t.Helper()
	ex := suiteExamples(t, suite)
	start, cpu := time.Now(), cpuTime()
	m, err := Train(context.Background(), an, ex, opt)
	if err != nil {
		t.Fatal(err)
	}
	wall, cpu := time.Since(start), cpuTime()-cpu
	res := runSuiteModel(t, m, suite, extraOOS)
	res.trainTime, res.trainCPU = wall, cpu
	return res
}

func runSuiteModel(t testing.TB, m *Model, suite string, extraOOS []evalCase) evalResult {
	cases := evaltest.ReadJSONL[evalCase](t, filepath.Join(evalDir, suite, "dev.jsonl"))
	start := time.Now()
	res := evalResult{model: m}
	for _, c := range append(cases, extraOOS...) {
		got := m.Score(c.Lang, c.Query, 10)
		p := 0.0
		if len(got) > 0 {
			p = got[0].P
		}
		if c.Escalate {
			res.oosTop = append(res.oosTop, p)
			continue
		}
		res.inScope++
		ok := false
		for rank, s := range got {
			if contains(c.Expect, s.DocID) {
				res.mrr += 1 / float64(rank+1)
				ok = rank == 0
				break
			}
		}
		if ok {
			res.r1++
		}
		res.top = append(res.top, p)
		res.correct = append(res.correct, ok)
	}
	res.r1 /= float64(res.inScope)
	res.mrr /= float64(res.inScope)
	res.trainTime = time.Since(start)
	return res
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// oosTable reports, per threshold on the top probability, in-scope
// accuracy (correct and above the threshold, over all in-scope cases, as
// Larson et al. count it) and out-of-scope recall (below the threshold).
func oosTable(r evalResult, thresholds []float64) []string {
	var out []string
	for _, th := range thresholds {
		acc, rec := 0, 0
		for i, p := range r.top {
			if r.correct[i] && p >= th {
				acc++
			}
		}
		for _, p := range r.oosTop {
			if p < th {
				rec++
			}
		}
		out = append(out, fmt.Sprintf("threshold %.2f: in-scope accuracy %.3f, out-of-scope recall %.3f",
			th, float64(acc)/float64(len(r.top)), float64(rec)/float64(len(r.oosTop))))
	}
	return out
}

// bestOperatingPoint returns the threshold with the highest out-of-scope
// recall whose in-scope accuracy stays at least minAcc.
func bestOperatingPoint(r evalResult, minAcc float64) (th, acc, rec float64) {
	ps := append(append([]float64{}, r.top...), r.oosTop...)
	sort.Float64s(ps)
	th = -1
	for _, cand := range ps {
		a, c := 0, 0
		for i, p := range r.top {
			if r.correct[i] && p >= cand {
				a++
			}
		}
		for _, p := range r.oosTop {
			if p < cand {
				c++
			}
		}
		fa, fc := float64(a)/float64(len(r.top)), float64(c)/float64(len(r.oosTop))
		if fa >= minAcc && fc > rec {
			th, acc, rec = cand, fa, fc
		}
	}
	return th, acc, rec
}

// TestEval trains on each intent suite's phrasings and scores its dev
// questions. It prints the figures and fails below floors a little under
// what the defaults achieve, so a regression shows. PHRASE_OPTIONS (JSON)
// overrides options and drops the floors, for tuning; PHRASE_SUITES
// (comma-separated) runs other suites without floors.
func TestEval(t *testing.T) {
	if testing.Short() {
		t.Skip("eval runs in full mode only")
	}
	opt := DefaultOptions()
	tuning := os.Getenv("PHRASE_OPTIONS") != ""
	if tuning {
		if err := json.Unmarshal([]byte(os.Getenv("PHRASE_OPTIONS")), &opt); err != nil {
			t.Fatalf("PHRASE_OPTIONS: %v", err)
		}
	}
	oos := evaltest.ReadJSONL[evalCase](t, filepath.Join(evalDir, "clinc150", "oos_train.jsonl"))
	type suite struct {
		name  string
		floor float64
		oos   []evalCase
	}
	suites := []suite{
		{"clinc150", 0.92, oos},
		{"banking77", 0.91, nil},
	}
	if s := os.Getenv("PHRASE_SUITES"); s != "" {
		suites = nil
		for _, name := range strings.Split(s, ",") {
			suites = append(suites, suite{name: name})
		}
	}
	an, err := analyze.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range suites {
		t.Run(tc.name, func(t *testing.T) {
			r := runSuite(t, an, tc.name, opt, tc.oos)
			st := r.model.Stats()
			t.Logf("%s: R@1 %.4f MRR@10 %.4f (%d in scope); trained in %v (CPU %v); %d docs, %d rows (%d hot), %d weights, %.1f MB",
				tc.name, r.r1, r.mrr, r.inScope, r.trainTime.Round(time.Millisecond), r.trainCPU.Round(time.Millisecond),
				st.Docs, st.Rows, st.HotRows, st.Weights, float64(st.Bytes)/1e6)
			if len(r.oosTop) > 0 {
				t.Logf("  top probability as out-of-scope signal (%d in scope, %d out of scope):", len(r.top), len(r.oosTop))
				for _, line := range oosTable(r, []float64{0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7}) {
					t.Logf("  %s", line)
				}
				for _, min := range []float64{0.92, 0.90} {
					th, acc, rec := bestOperatingPoint(r, min)
					t.Logf("  best with in-scope accuracy >= %.2f: threshold %.3f, accuracy %.3f, OOS recall %.3f", min, th, acc, rec)
				}
			}
			if !tuning && r.r1 < tc.floor {
				t.Errorf("%s R@1 = %.4f; want >= %.2f", tc.name, r.r1, tc.floor)
			}
		})
	}
}
