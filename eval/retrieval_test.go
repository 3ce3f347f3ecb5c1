package eval_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sofort-chat/sofort/eval"
	"github.com/sofort-chat/sofort/index"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestScore(t *testing.T) {
	l2 := func(rank int) float64 { return 1 / math.Log2(float64(rank+1)) }
	tests := []struct {
		name     string
		ranked   []string
		relevant []string
		want     eval.Metrics
	}{
		{"first", []string{"a", "b", "c"}, []string{"a"}, eval.Metrics{R1: 1, R5: 1, RR: 1, NDCG: 1, Rank: 1}},
		{"third", []string{"x", "y", "a"}, []string{"a"}, eval.Metrics{R5: 1, RR: 1.0 / 3, NDCG: l2(3), Rank: 3}},
		{"fifth still in R@5", []string{"1", "2", "3", "4", "a"}, []string{"a"}, eval.Metrics{R5: 1, RR: 0.2, NDCG: l2(5), Rank: 5}},
		{"sixth", []string{"1", "2", "3", "4", "5", "a"}, []string{"a"}, eval.Metrics{RR: 1.0 / 6, NDCG: l2(6), Rank: 6}},
		{"tenth", []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "a"}, []string{"a"}, eval.Metrics{RR: 0.1, NDCG: l2(10), Rank: 10}},
		{"eleventh is beyond the cut-off", []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "a"}, []string{"a"}, eval.Metrics{}},
		{"not found", []string{"x", "y"}, []string{"a"}, eval.Metrics{}},
		{"empty ranking", nil, []string{"a"}, eval.Metrics{}},
		{"nothing relevant", []string{"a"}, nil, eval.Metrics{}},
		{"two relevant, both found", []string{"a", "x", "b"}, []string{"a", "b"},
			eval.Metrics{R1: 1, R5: 1, RR: 1, NDCG: (1 + l2(3)) / (1 + l2(2)), Rank: 1}},
		{"two relevant, one found late", []string{"x", "b"}, []string{"a", "b"},
			eval.Metrics{R5: 1, RR: 0.5, NDCG: l2(2) / (1 + l2(2)), Rank: 2}},
		{"two relevant in ideal order", []string{"b", "a"}, []string{"a", "b"},
			eval.Metrics{R1: 1, R5: 1, RR: 1, NDCG: 1, Rank: 1}},
		{"relevant listed twice counts once", []string{"a"}, []string{"a", "a"}, eval.Metrics{R1: 1, R5: 1, RR: 1, NDCG: 1, Rank: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := eval.Score(tt.ranked, tt.relevant)
			if !near(got.R1, tt.want.R1) || !near(got.R5, tt.want.R5) || !near(got.RR, tt.want.RR) || !near(got.NDCG, tt.want.NDCG) || got.Rank != tt.want.Rank {
				t.Errorf("got %+v; want %+v", got, tt.want)
			}
		})
	}
}

func TestPercentiles(t *testing.T) {
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(100 - i) // 100 … 1, unsorted on purpose
	}
	tests := []struct {
		name string
		in   []float64
		want eval.Latency
	}{
		{"none", nil, eval.Latency{}},
		{"one", []float64{4.2}, eval.Latency{P50: 4.2, P99: 4.2}},
		{"two", []float64{9, 1}, eval.Latency{P50: 1, P99: 9}},
		{"hundred", hundred, eval.Latency{P50: 50, P99: 99}},
		{"rounded to microseconds", []float64{0.12345678}, eval.Latency{P50: 0.123, P99: 0.123}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.in)
			got := eval.Percentiles(in)
			if !near(got.P50, tt.want.P50) || !near(got.P99, tt.want.P99) {
				t.Errorf("got %+v; want %+v", got, tt.want)
			}
			if !slices.Equal(in, tt.in) {
				t.Errorf("input reordered: got %v", in)
			}
		})
	}
}

func TestRunRetrieval(t *testing.T) {
	ctx := context.Background()
	cases, err := eval.ReadCases("testdata/cases.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	env, err := eval.Setup(ctx, "testdata/corpus.jsonl", "", index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { env.Close() }()
	if env.Import.Added != 12 || env.Import.Rejected != 0 {
		t.Errorf("got import %s; want 12 added", env.Import)
	}
	// All cases but "human" (escalate only) count; all but "emoji" (no
	// words) are clear.
	const counted, skipped = 7, 1
	for _, m := range []index.Mode{index.ModeBM25, index.ModeVector, index.ModeHybrid} {
		t.Run(string(m), func(t *testing.T) {
			rep, err := eval.RunRetrieval(ctx, env.Index, cases, m, nil)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Cases != counted || rep.Skipped != skipped || rep.Mode != string(m) {
				t.Errorf("got %d cases, %d skipped, mode %q; want %d, %d, %q", rep.Cases, rep.Skipped, rep.Mode, counted, skipped, m)
			}
			want := float64(counted-1) / counted
			for name, v := range map[string]float64{"R@1": rep.R1, "R@5": rep.R5, "MRR": rep.MRR, "nDCG": rep.NDCG} {
				if !near(v, want) && name != "nDCG" {
					t.Errorf("got %s %.3f; want %.3f (every clear case right)", name, v, want)
				}
				if v < 0 || v > 1 {
					t.Errorf("got %s %v; want it in [0,1]", name, v)
				}
			}
			// "both" expects two documents: finding only one of them
			// costs nDCG but not recall.
			if rep.NDCG > want || rep.NDCG < want-0.1 {
				t.Errorf("got nDCG %.3f; want a little under %.3f", rep.NDCG, want)
			}
			if len(rep.Misses) != 1 || rep.Misses[0].Case.ID != "emoji" || rep.Misses[0].Rank != 0 || len(rep.Misses[0].Got) != 0 {
				t.Errorf("got misses %+v; want only the emoji case, unranked", rep.Misses)
			}
			if rep.Latency.P50 <= 0 || rep.Latency.P99 < rep.Latency.P50 {
				t.Errorf("got latency %+v; want 0 < p50 <= p99", rep.Latency)
			}
			var buf bytes.Buffer
			rep.Suite = "fixture"
			if err := rep.WriteText(&buf); err != nil {
				t.Fatal(err)
			}
			line := buf.String()
			for _, w := range []string{"fixture", string(m), "cases     7", "R@1 0.857", "latency p50"} {
				if !strings.Contains(line, w) {
					t.Errorf("report %q lacks %q", line, w)
				}
			}
			if strings.Count(line, "\n") != 1 {
				t.Errorf("report %q: want one line", line)
			}
		})
	}

	t.Run("fusion override", func(t *testing.T) {
		rep, err := eval.RunRetrieval(ctx, env.Index, cases, index.ModeHybrid, &index.FusionOptions{Candidates: 1})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Cases != counted {
			t.Errorf("got %d cases; want %d", rep.Cases, counted)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := eval.RunRetrieval(cctx, env.Index, cases, index.ModeBM25, nil); !errors.Is(err, context.Canceled) {
			t.Errorf("got %v; want context.Canceled", err)
		}
	})

	t.Run("escalate only", func(t *testing.T) {
		rep, err := eval.RunRetrieval(ctx, env.Index, []eval.Case{{ID: "h", Query: "Mensch bitte", Escalate: true}}, index.ModeHybrid, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Cases != 0 || rep.Skipped != 1 || rep.R1 != 0 || math.IsNaN(rep.MRR) || rep.Latency != (eval.Latency{}) {
			t.Errorf("got %+v; want nothing counted, no NaN", rep)
		}
	})

	t.Run("Close removes the temporary dir", func(t *testing.T) {
		dir := env.Dir
		if err := env.Close(); err != nil {
			t.Fatal(err)
		}
		env = &eval.Env{} // the deferred Close has nothing left to do
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stat %s after Close: %v; want it removed", dir, err)
		}
	})
}

func TestSetupErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte("{\"id\":\"x\"}\nnot json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, corpus, want string
	}{
		{"missing file", filepath.Join(dir, "missing.jsonl"), "missing.jsonl"},
		{"unknown format", filepath.Join(dir, "corpus.txt"), "corpus.txt"},
		{"no valid document", bad, "holds no valid document"},
	}
	if err := os.WriteFile(filepath.Join(dir, "corpus.txt"), []byte("text"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := filepath.Join(dir, "data-"+strings.ReplaceAll(tt.name, " ", "-"))
			if err := os.Mkdir(data, 0o755); err != nil {
				t.Fatal(err)
			}
			env, err := eval.Setup(ctx, tt.corpus, data, index.Options{})
			if err == nil {
				env.Close()
				t.Fatalf("got no error; want one containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q; want it to contain %q", err, tt.want)
			}
			// A dir the caller gave is the caller's: it stays.
			if _, err := os.Stat(data); err != nil {
				t.Errorf("caller's dir after a failed Setup: %v", err)
			}
		})
	}
}
