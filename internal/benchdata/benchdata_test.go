package benchdata_test

import (
	"bytes"
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/sofort-chat/sofort/corpus"
	"github.com/sofort-chat/sofort/internal/benchdata"
)

func TestSentences(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"two sentences", "Sie kündigen online. Die Frist beträgt einen Monat.", []string{"Sie kündigen online.", "Die Frist beträgt einen Monat."}},
		{"abbreviation before lower case stays", "Masks, e.g. cloth masks, help a lot. Wash them daily please.", []string{"Masks, e.g. cloth masks, help a lot.", "Wash them daily please."}},
		{"line breaks split, short bullets dropped", "First line has words.\n- short\nSecond line has words", []string{"First line has words.", "Second line has words"}},
		{"question and number", "Is it safe for kids? 3 of 4 doctors agree with that.", []string{"Is it safe for kids?", "3 of 4 doctors agree with that."}},
		{"quote opens a sentence", "Tap the button now. „Kündigen“ appears after that.", []string{"Tap the button now.", "„Kündigen“ appears after that."}},
		{"spaces collapse", "Too   many  spaces here.", []string{"Too many spaces here."}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := benchdata.Sentences(tt.text)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Sentences(%q) = %q; want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestLoadSuites(t *testing.T) {
	p, err := benchdata.LoadSuites("testdata/eval")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Languages(), []string{"de", "en"}; !slices.Equal(got, want) {
		t.Errorf("Languages() = %q; want %q", got, want)
	}
	var got []string
	for _, q := range p.Queries() {
		got = append(got, q.Lang+"/"+q.Suite+": "+q.Text)
	}
	want := []string{
		"de/faq-de: Vertrag beenden wie?",
		"en/intents-en: my refund is missing",
		"de/faq-de: Rechnung herunterladen",
		"en/intents-en: card stolen what now",
		"en/intents-en: tell me a joke",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Queries() = %q; want %q", got, want)
	}
	if !strings.Contains(p.Source, "faq-de, intents-en") {
		t.Errorf("Source = %q; want it to name both suites", p.Source)
	}
}

func TestLoadSuitesMissing(t *testing.T) {
	_, err := benchdata.LoadSuites(t.TempDir())
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadSuites(empty dir) error = %v; want one wrapping fs.ErrNotExist", err)
	}
}

func TestNewPoolRejectsUnusable(t *testing.T) {
	tests := []struct {
		name    string
		entries []benchdata.Entry
		queries []benchdata.Query
	}{
		{"no answer text", []benchdata.Entry{{Lang: "en", Questions: []string{"Why?"}}}, []benchdata.Query{{Text: "why", Lang: "en"}}},
		{"no questions", []benchdata.Entry{{Lang: "en", Text: "This is a whole sentence."}}, []benchdata.Query{{Text: "why", Lang: "en"}}},
		{"no queries", []benchdata.Entry{{Lang: "en", Questions: []string{"Why?"}, Text: "Because it is so."}}, []benchdata.Query{{Text: " ", Lang: "en"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := benchdata.NewPool("test", tt.entries, tt.queries); err == nil {
				t.Error("NewPool succeeded; want an error")
			}
		})
	}
}

// TestWriteJSONL checks that output is deterministic, that a smaller
// corpus is a prefix of a larger one, and that the importer accepts every
// document with a distinct id and the shapes the benchmarks rely on.
func TestWriteJSONL(t *testing.T) {
	p, err := benchdata.LoadSuites("testdata/eval")
	if err != nil {
		t.Fatal(err)
	}
	const n = 2000
	var big, again, small, other bytes.Buffer
	for _, w := range []struct {
		buf  *bytes.Buffer
		n    int
		seed uint64
	}{{&big, n, 1}, {&again, n, 1}, {&small, 100, 1}, {&other, 100, 2}} {
		if err := p.WriteJSONL(w.buf, w.n, w.seed); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(big.Bytes(), again.Bytes()) {
		t.Error("two runs with the same seed differ")
	}
	if !bytes.HasPrefix(big.Bytes(), small.Bytes()) {
		t.Error("the 100-document corpus is not a prefix of the 2000-document one")
	}
	if bytes.Equal(small.Bytes(), other.Bytes()) {
		t.Error("seeds 1 and 2 give the same corpus")
	}

	kinds := map[corpus.Kind]int{}
	langs := map[string]int{}
	var alts, accepted, qualified int
	err = corpus.ReadJSONL(&big, "generated.jsonl", func(r corpus.Record) error {
		if r.Err != nil {
			t.Errorf("line %d rejected: %v", r.Line, r.Err)
			return nil
		}
		d := r.Doc
		kinds[d.Kind]++
		langs[d.Lang]++
		if len(d.AltQuestions) > 0 {
			alts++
		}
		if d.AcceptedPost() != nil {
			accepted++
		}
		if strings.Contains(d.Text(), "(") {
			qualified++
		}
		if d.Kind == corpus.KindFAQ && (d.Question == "" || d.Answer == "") {
			t.Errorf("FAQ %s lacks a question or an answer", d.ID)
		}
		if d.Kind == corpus.KindThread && (d.Title == "" || len(d.Posts) == 0) {
			t.Errorf("thread %s lacks a title or posts", d.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds[corpus.KindFAQ] + kinds[corpus.KindThread]; got != n {
		t.Errorf("read %d documents; want %d", got, n)
	}
	// Loose bounds around the intended shares (see generate.go); with
	// 2000 documents each is many standard errors wide.
	within := func(name string, got int, lo, hi float64) {
		if f := float64(got) / n; f < lo || f > hi {
			t.Errorf("%s: %.2f of documents; want between %.2f and %.2f", name, f, lo, hi)
		}
	}
	within("threads", kinds[corpus.KindThread], 0.25, 0.35)
	within("German", langs["de"], 0.45, 0.55)
	within("FAQ entries with alternative phrasings", alts, 0.35, 0.50)
	within("threads with an accepted post", accepted, 0.12, 0.18)
	within("texts with a bracketed product name", qualified, 0.10, 0.40)
}
