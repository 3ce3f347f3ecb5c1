package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sofort-chat/sofort/corpus"
)

// sofort runs the command line in-process, as main does, and returns the
// exit code and both outputs.
func sofort(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errw bytes.Buffer
	code = run(context.Background(), args, stdio{in: strings.NewReader(stdin), out: &out, err: &errw})
	return code, out.String(), errw.String()
}

// hitLine matches a ranked hit: "  1. 0.812  Title  [faq, some-id]".
var hitLine = regexp.MustCompile(`(?m)^\s*(\d+)\. (\d\.\d{3})  .*  \[(faq|thread|article), ([^\]]+)\]$`)

type printedHit struct {
	rank  int
	score float64
	id    string
}

// hits parses the ranked hits of a search's output and checks that they
// are numbered from 1 with scores in [0,1], best first.
func hits(t *testing.T, stdout string) []printedHit {
	t.Helper()
	var out []printedHit
	for _, m := range hitLine.FindAllStringSubmatch(stdout, -1) {
		rank, _ := strconv.Atoi(m[1])
		score, _ := strconv.ParseFloat(m[2], 64)
		h := printedHit{rank: rank, score: score, id: m[4]}
		if h.rank != len(out)+1 {
			t.Errorf("hit %q: got rank %d; want %d", m[0], h.rank, len(out)+1)
		}
		if score < 0 || score > 1 {
			t.Errorf("hit %q: score outside [0,1]", m[0])
		}
		if len(out) > 0 && out[len(out)-1].score < score {
			t.Errorf("hit %q ranked below a lower score %.3f", m[0], out[len(out)-1].score)
		}
		out = append(out, h)
	}
	return out
}

func hitIDs(hs []printedHit) []string {
	var ids []string
	for _, h := range hs {
		ids = append(ids, h.id)
	}
	return ids
}

func TestTopLevelUsage(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string // in stdout
		wantErr  string // in stderr
	}{
		{"no command", nil, 2, "Usage: sofort <command>", ""},
		{"-h", []string{"-h"}, 0, "Commands:", ""},
		{"--help", []string{"--help"}, 0, "Commands:", ""},
		{"help", []string{"help"}, 0, "SOFORT_DATA", ""},
		{"unknown command", []string{"serch", "x"}, 2, "", `sofort: unknown command "serch"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := sofort(t, "", tt.args...)
			if code != tt.wantCode {
				t.Errorf("got exit %d; want %d", code, tt.wantCode)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("stdout %q lacks %q", out, tt.wantOut)
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr %q lacks %q", errOut, tt.wantErr)
			}
			// Usage lists every command, on whichever stream it went to.
			for name := range commands() {
				if !strings.Contains(out+errOut, "  "+name) {
					t.Errorf("usage lacks command %q", name)
				}
			}
		})
	}
}

func TestCommandHelp(t *testing.T) {
	flags := map[string][]string{
		"import":  {"-data", "-batch", "-lang"},
		"search":  {"-data", "-mode", "-lang", "-k"},
		"reindex": {"-data"},
		"stats":   {"-data"},
		"eval":    {"-corpus", "-cases", "-mode", "-json", "-misses", "-answer-threshold", "-intent-answer-threshold"},
		"shell":   {"-data", "-mode"},
		"serve":   {"-data", "-addr", "-webhook-url", "-rate-limit", "-trust-proxy", "-secure-cookies", "-answer-threshold", "-intent-answer-threshold"},
		"user":    {"-data"},
		"crawl":   {"-data", "-config", "-source", "-allow-private", "-type", "-status", "-refetch"},
	}
	for name := range commands() {
		if _, ok := flags[name]; !ok {
			t.Errorf("command %q has no help test", name)
		}
	}
	for name, want := range flags {
		for _, h := range []string{"-h", "--help"} {
			t.Run(name+" "+h, func(t *testing.T) {
				data := t.TempDir()
				code, out, errOut := sofort(t, "", name, h, "--data", data)
				if code != 0 {
					t.Errorf("got exit %d; want 0 (stderr %q)", code, errOut)
				}
				if !strings.Contains(errOut, "Usage: sofort "+name) {
					t.Errorf("stderr %q lacks the synopsis", errOut)
				}
				for _, f := range want {
					if !strings.Contains(errOut, "  "+f) {
						t.Errorf("help lacks flag %s:\n%s", f, errOut)
					}
				}
				if out != "" {
					t.Errorf("got stdout %q; want help on stderr only", out)
				}
				assertUntouched(t, data)
			})
		}
	}
}

// assertUntouched fails if a command that should stop at its arguments
// created anything in the data dir.
func assertUntouched(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) > 0 {
		t.Errorf("data dir %s: got %d entries; want it untouched", dir, len(entries))
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"search without question", []string{"search"}, "give a question"},
		{"search with blank question", []string{"search", "  "}, "give a question"},
		{"search unknown mode", []string{"search", "--mode", "semantic", "Rechnung"}, `unknown mode "semantic"`},
		{"search k zero", []string{"search", "-k", "0", "Rechnung"}, "-k 0 out of range"},
		{"search k too big", []string{"search", "-k", "101", "Rechnung"}, "-k 101 out of range"},
		{"search k not a number", []string{"search", "-k", "five", "Rechnung"}, `invalid value "five"`},
		{"search unknown flag", []string{"search", "--fast", "Rechnung"}, "flag provided but not defined: -fast"},
		{"import without paths", []string{"import"}, "name at least one file"},
		{"reindex with argument", []string{"reindex", "now"}, "reindex takes no arguments"},
		{"stats with argument", []string{"stats", "all"}, "stats takes no arguments"},
		{"eval without corpus", []string{"eval", "--cases", "testdata/cases.jsonl"}, "--corpus and --cases are required"},
		{"eval unknown mode", []string{"eval", "--corpus", "testdata/corpus.jsonl", "--cases", "testdata/cases.jsonl", "--mode", "bm25,fast"}, `unknown mode "fast"`},
		{"eval json with two modes", []string{"eval", "--corpus", "testdata/corpus.jsonl", "--cases", "testdata/cases.jsonl", "--json", "--mode", "bm25,vector"}, "--json reports one mode at a time"},
		{"eval with argument", []string{"eval", "--corpus", "testdata/corpus.jsonl", "--cases", "testdata/cases.jsonl", "extra"}, "unexpected arguments"},
		{"shell unknown mode", []string{"shell", "--mode", "x"}, `unknown mode "x"`},
		{"serve threshold out of range", []string{"serve", "--answer-threshold", "2"}, "answer threshold 2 outside [0,1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := t.TempDir()
			args := append(slices.Clone(tt.args), "--data", data)
			if tt.args[0] == "eval" {
				args = tt.args // eval has no data dir
			}
			code, out, errOut := sofort(t, "", args...)
			if code != 2 {
				t.Errorf("got exit %d; want 2 (stderr %q)", code, errOut)
			}
			if !strings.Contains(errOut, tt.wantErr) || !strings.Contains(errOut, "sofort "+tt.args[0]+":") {
				t.Errorf("stderr %q; want %q after \"sofort %s:\"", errOut, tt.wantErr, tt.args[0])
			}
			if out != "" {
				t.Errorf("got stdout %q; want nothing", out)
			}
			assertUntouched(t, data)
		})
	}
}

// indexedAtLeast reports whether an import's index line counts at least n
// documents: when the corpus has grown a lot, the index refits its
// weights and re-indexes everything.
func indexedAtLeast(out string, n int) bool {
	m := regexp.MustCompile(`(?m)^index: (\d+) indexed`).FindStringSubmatch(out)
	if m == nil {
		return false
	}
	got, _ := strconv.Atoi(m[1])
	return got >= n
}

func TestImportAndSearch(t *testing.T) {
	data := t.TempDir()
	step := func(name string, fn func(t *testing.T)) {
		if !t.Run(name, fn) {
			t.FailNow()
		}
	}
	step("JSONL with bad lines", func(t *testing.T) {
		code, out, errOut := sofort(t, "", "import", "--data", data, "testdata/mixed.jsonl")
		if code != 0 {
			t.Fatalf("got exit %d; want 0 (stderr %q)", code, errOut)
		}
		if !strings.Contains(out, "import: added 2, updated 0, unchanged 0, rejected 3") {
			t.Errorf("stdout %q; want 2 added, 3 rejected", out)
		}
		if !strings.Contains(out, "index: 2 indexed") {
			t.Errorf("stdout %q; want 2 documents indexed", out)
		}
		for _, line := range []string{"2", "4", "5"} {
			want := "rejected: " + filepath.Join("testdata", "mixed.jsonl") + ":" + line + ":"
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr %q lacks %q", errOut, want)
			}
		}
	})
	step("imported documents are searchable", func(t *testing.T) {
		code, out, errOut := sofort(t, "", "search", "--data", data, "Rufnummer mitnehmen, wie lange dauert die Portierung?")
		if code != 0 {
			t.Fatalf("got exit %d; want 0 (stderr %q)", code, errOut)
		}
		hs := hits(t, out)
		if len(hs) == 0 || hs[0].id != "faq-porting" {
			t.Errorf("got hits %v; want faq-porting first:\n%s", hitIDs(hs), out)
		}
		if strings.Contains(errOut, "demo corpus") {
			t.Errorf("stderr %q: the demo corpus went into a data dir that has documents", errOut)
		}
		if !strings.Contains(out, "»") {
			t.Errorf("stdout %q: want highlighted words", out)
		}
	})
	step("CSV and Markdown dir", func(t *testing.T) {
		code, out, errOut := sofort(t, "", "import", "--data", data, "testdata/docs.csv", "testdata/md")
		if code != 0 {
			t.Fatalf("got exit %d; want 0 (stderr %q)", code, errOut)
		}
		if !strings.Contains(out, "import: added 4, updated 0, unchanged 0, rejected 1") || !indexedAtLeast(out, 4) {
			t.Errorf("stdout %q; want 4 added and indexed, 1 rejected", out)
		}
		if want := filepath.Join("testdata", "docs.csv") + ":4:"; !strings.Contains(errOut, want) {
			t.Errorf("stderr %q lacks %q", errOut, want)
		}
	})
	step("CSV and Markdown documents are searchable", func(t *testing.T) {
		// One shell answers several questions for one index load; the last
		// line has no newline and no :q, as when input is piped.
		in := "share mobile data as a hotspot\n:mode bm25\nchange the IBAN of my direct debit"
		code, out, errOut := sofort(t, in, "shell", "--data", data, "--mode", "hybrid")
		if code != 0 {
			t.Fatalf("got exit %d; want 0 (stderr %q)", code, errOut)
		}
		out, prompts := stripPrompts(out)
		if prompts != 4 {
			t.Errorf("got %d prompts; want 4 (3 lines, then end of input)", prompts)
		}
		parts := strings.SplitN(out, "mode bm25\n", 2)
		if len(parts) != 2 {
			t.Fatalf("no mode switch in:\n%s", out)
		}
		for i, want := range []string{"faq-tethering", "billing/direct-debit"} {
			hs := hits(t, parts[i])
			if len(hs) == 0 || hs[0].id != want {
				t.Errorf("question %d: got hits %v; want %s first:\n%s", i+1, hitIDs(hs), want, parts[i])
			}
		}
	})
}

// TestDemoDataDir starts from an empty data dir, as a newcomer does.
func TestDemoDataDir(t *testing.T) {
	data := t.TempDir()
	step := func(name string, fn func(t *testing.T)) {
		if !t.Run(name, fn) {
			t.FailNow()
		}
	}
	step("search loads the demo corpus", func(t *testing.T) {
		code, out, errOut := sofort(t, "", "search", "--data", data, "Wie kann ich meinen Vertrag kündigen?")
		if code != 0 {
			t.Fatalf("got exit %d; want 0 (stderr %q)", code, errOut)
		}
		if !strings.Contains(errOut, "loaded the bundled demo corpus (90 documents)") {
			t.Errorf("stderr %q; want the demo corpus announced", errOut)
		}
		hs := hits(t, out)
		if len(hs) != 5 {
			t.Errorf("got %d hits; want the default 5:\n%s", len(hs), out)
		}
		if len(hs) == 0 || hs[0].id != "faq-de-kuendigung" {
			t.Errorf("got %v; want faq-de-kuendigung first", hitIDs(hs))
		}
		if !strings.Contains(out, "https://hilfe.funkfuchs.example/de/kuendigung") || !strings.Contains(out, "matched: ") {
			t.Errorf("stdout lacks the URL or matched fields:\n%s", out)
		}
	})
	var english []string
	step("k, mode and lang", func(t *testing.T) {
		code, out, errOut := sofort(t, "", "search", "--data", data, "How do I cancel my contract?", "-k", "3", "--mode", "bm25", "--lang", "EN")
		if code != 0 {
			t.Fatalf("got exit %d; want 0 (stderr %q)", code, errOut)
		}
		if strings.Contains(errOut, "demo corpus") {
			t.Errorf("stderr %q: demo corpus loaded twice", errOut)
		}
		hs := hits(t, out)
		if len(hs) != 3 || hs[0].id != "faq-en-cancel-contract" {
			t.Errorf("got %v; want 3 hits, faq-en-cancel-contract first:\n%s", hitIDs(hs), out)
		}
		english = hitIDs(hs)
	})
	step("stats honours SOFORT_DATA", func(t *testing.T) {
		t.Setenv("SOFORT_DATA", data)
		code, out, errOut := sofort(t, "", "stats")
		if code != 0 {
			t.Fatalf("got exit %d; want 0 (stderr %q)", code, errOut)
		}
		for _, want := range []string{
			"data dir   " + data + "\n",
			"documents  90\n",
			"by kind    faq 63 thread 27\n",
			"by lang    de 46 en 44\n",
			"by status  draft 1 published 86 retired 3\n",
			"full-text  86 documents",
			"embedder   local",
			"dimensions)",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("stats lack %q:\n%s", want, out)
			}
		}
	})
	step("the --lang filter kept to English", func(t *testing.T) {
		st, err := corpus.Open(context.Background(), filepath.Join(data, "sofort.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		for _, id := range english {
			d, err := st.Get(context.Background(), id)
			if err != nil || d.Lang != "en" {
				t.Errorf("hit %s: lang %q, %v; want en", id, d.Lang, err)
			}
		}
	})
	step("shell", func(t *testing.T) {
		in := "Wie kann ich meinen Vertrag kündigen?\n\n:mode bm25\nHow do I cancel my contract?\n:mode fast\n😀\n:mode vector\nKuendigung\n:q\nnot read\n"
		code, out, errOut := sofort(t, in, "shell", "--data", data)
		if code != 0 {
			t.Fatalf("got exit %d; want 0 (stderr %q)", code, errOut)
		}
		for _, want := range []string{"sofort search shell", "? ", "mode bm25", `unknown mode "fast"`, "(nothing to search for", "mode vector"} {
			if !strings.Contains(out, want) {
				t.Errorf("shell output lacks %q:\n%s", want, out)
			}
		}
		out, prompts := stripPrompts(out)
		if prompts != 9 {
			t.Errorf("got %d prompts; want 9 (input after :q unread):\n%s", prompts, out)
		}
		parts := strings.SplitN(out, "mode bm25\n", 2)
		if len(parts) != 2 {
			t.Fatalf("no mode switch in:\n%s", out)
		}
		ids := hitIDs(hits(t, parts[0]))
		if len(ids) == 0 || ids[0] != "faq-de-kuendigung" {
			t.Errorf("first question: got %v; want faq-de-kuendigung first", ids)
		}
		ids = hitIDs(hits(t, strings.Split(parts[1], "unknown mode")[0]))
		if len(ids) == 0 || ids[0] != "faq-en-cancel-contract" {
			t.Errorf("second question: got %v; want faq-en-cancel-contract first", ids)
		}
		vec := strings.SplitN(parts[1], "mode vector\n", 2)
		if len(vec) != 2 {
			t.Fatalf("no switch to vector mode in:\n%s", parts[1])
		}
		if ids = hitIDs(hits(t, vec[1])); len(ids) == 0 || ids[0] != "faq-de-kuendigung" {
			t.Errorf("vector mode, no umlaut: got %v; want faq-de-kuendigung first", ids)
		}
	})
	step("reindex", func(t *testing.T) {
		code, out, errOut := sofort(t, "", "reindex", "--data", data)
		if code != 0 {
			t.Fatalf("got exit %d; want 0 (stderr %q)", code, errOut)
		}
		if !regexp.MustCompile(`^reindex: 86 documents indexed, [1-9]\d* passages embedded\n$`).MatchString(out) {
			t.Errorf("got %q; want 86 documents reindexed", out)
		}
	})
}

// stripPrompts removes the shell's "? " prompts, which start the line
// after them, and counts them.
func stripPrompts(out string) (string, int) {
	n := 0
	out = regexp.MustCompile(`(?m)^(\? )+`).ReplaceAllStringFunc(out, func(p string) string {
		n += len(p) / 2
		return ""
	})
	return out, n
}

func TestEval(t *testing.T) {
	t.Run("json", func(t *testing.T) {
		code, out, errOut := sofort(t, "", "eval", "--corpus", "testdata/corpus.jsonl", "--cases", "testdata/cases.jsonl", "--json", "--mode", "bm25")
		if code != 0 {
			t.Fatalf("got exit %d; want 0 (stderr %q)", code, errOut)
		}
		dec := json.NewDecoder(strings.NewReader(out))
		var rep map[string]json.RawMessage
		if err := dec.Decode(&rep); err != nil {
			t.Fatalf("stdout %q: %v", out, err)
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			t.Errorf("stdout %q: want exactly one JSON object", out)
		}
		var keys []string
		for k := range rep {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if want := []string{"cases", "latency_ms", "mrr@10", "ndcg@10", "recall@1", "recall@5"}; !slices.Equal(keys, want) {
			t.Errorf("got keys %v; want %v", keys, want)
		}
		var cases int
		if err := json.Unmarshal(rep["cases"], &cases); err != nil || cases != 7 {
			t.Errorf("got cases %s; want 7", rep["cases"])
		}
		for _, k := range []string{"recall@1", "recall@5", "mrr@10", "ndcg@10"} {
			var v float64
			if err := json.Unmarshal(rep[k], &v); err != nil || v <= 0 || v > 1 {
				t.Errorf("got %s %s; want a number in (0,1]", k, rep[k])
			}
		}
		var lat map[string]float64
		if err := json.Unmarshal(rep["latency_ms"], &lat); err != nil || len(lat) != 2 || lat["p50"] <= 0 || lat["p99"] < lat["p50"] {
			t.Errorf("got latency_ms %s; want {p50, p99} with 0 < p50 <= p99", rep["latency_ms"])
		}
	})
	t.Run("text, three modes", func(t *testing.T) {
		code, out, errOut := sofort(t, "", "eval", "--corpus", "testdata/corpus.jsonl", "--cases", "testdata/cases.jsonl", "--mode", "bm25,vector,hybrid")
		if code != 0 {
			t.Fatalf("got exit %d; want 0 (stderr %q)", code, errOut)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != 3 {
			t.Fatalf("got %d lines; want 3:\n%s", len(lines), out)
		}
		for i, m := range []string{"bm25", "vector", "hybrid"} {
			f := strings.Fields(lines[i])
			if len(f) < 4 || f[0] != "testdata" || f[1] != m || f[2] != "cases" || f[3] != "7" {
				t.Errorf("line %d %q; want suite testdata, mode %s, 7 cases", i, lines[i], m)
			}
		}
	})
	t.Run("bot json", func(t *testing.T) {
		code, out, errOut := sofort(t, "", "eval", "--corpus", "testdata/corpus.jsonl", "--cases", "testdata/cases.jsonl", "--json", "--mode", "bot")
		if code != 0 {
			t.Fatalf("got exit %d; want 0 (stderr %q)", code, errOut)
		}
		var rep map[string]json.RawMessage
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("stdout %q: %v", out, err)
		}
		var keys []string
		for k := range rep {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if want := []string{"answer_precision", "answered", "cases", "clarified", "escalated", "in_scope_accuracy", "latency_ms", "oos_recall"}; !slices.Equal(keys, want) {
			t.Errorf("got keys %v; want %v", keys, want)
		}
		var cases int
		var oos, acc float64
		if json.Unmarshal(rep["cases"], &cases) != nil || cases != 8 {
			t.Errorf("got cases %s; want 8 (the bot asks escalate cases too)", rep["cases"])
		}
		// The one escalate case asks for a person: the bot must not answer it.
		if json.Unmarshal(rep["oos_recall"], &oos) != nil || oos != 1 {
			t.Errorf("got oos_recall %s; want 1", rep["oos_recall"])
		}
		if json.Unmarshal(rep["in_scope_accuracy"], &acc) != nil || acc <= 0.5 || acc > 1 {
			t.Errorf("got in_scope_accuracy %s; want above 0.5", rep["in_scope_accuracy"])
		}
	})
	t.Run("bot text next to retrieval", func(t *testing.T) {
		code, out, errOut := sofort(t, "", "eval", "--corpus", "testdata/corpus.jsonl", "--cases", "testdata/cases.jsonl", "--mode", "hybrid,bot")
		if code != 0 {
			t.Fatalf("got exit %d; want 0 (stderr %q)", code, errOut)
		}
		if !strings.Contains(out, "testdata   hybrid") || !strings.Contains(out, "testdata   bot     cases     8  answered") || !strings.Contains(out, "clarified with the expected document first") {
			t.Errorf("stdout %q; want a hybrid line and the bot's lines", out)
		}
	})
	t.Run("bot with bad thresholds", func(t *testing.T) {
		code, _, errOut := sofort(t, "", "eval", "--corpus", "testdata/corpus.jsonl", "--cases", "testdata/cases.jsonl", "--mode", "bot", "--clarify-threshold", "0.9", "--answer-threshold", "0.5")
		if code != 2 || !strings.Contains(errOut, "clarify threshold 0.9 above answer threshold 0.5") {
			t.Errorf("got exit %d, stderr %q; want 2 and the thresholds named", code, errOut)
		}
	})
	t.Run("broken cases file", func(t *testing.T) {
		code, _, errOut := sofort(t, "", "eval", "--corpus", "testdata/corpus.jsonl", "--cases", "testdata/mixed.jsonl")
		if code != 1 {
			t.Errorf("got exit %d; want 1", code)
		}
		if !strings.Contains(errOut, filepath.Join("testdata", "mixed.jsonl")+":1:") {
			t.Errorf("stderr %q; want the file and line at fault", errOut)
		}
	})
}

func TestSuiteName(t *testing.T) {
	tests := []struct{ path, want string }{
		{"shared/eval/covid-de/dev.jsonl", "covid-de"},
		{"dev.jsonl", "dev"},
		{"/cases.jsonl", "cases"},
	}
	for _, tt := range tests {
		if got := suiteName(tt.path); got != tt.want {
			t.Errorf("suiteName(%q) = %q; want %q", tt.path, got, tt.want)
		}
	}
}

func TestMarkSnippet(t *testing.T) {
	tests := []struct {
		name string
		s    string
		hl   [][2]int
		want string
	}{
		{"none", "a  b\nc", nil, "a b c"},
		{"two", "Passwort vergessen?", [][2]int{{0, 8}, {9, 18}}, "»Passwort« »vergessen«?"},
		{"out of range and overlapping are ignored", "abc def", [][2]int{{0, 3}, {1, 2}, {4, 99}, {5, 4}}, "»abc« def"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := markSnippet(tt.s, tt.hl); got != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}
