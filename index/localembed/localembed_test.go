package localembed

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/sofort-chat/sofort/index/analyze"
)

func newTestEmbedder(t *testing.T, idf *IDF) *Embedder {
	t.Helper()
	an, err := analyze.New()
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(DefaultOptions(), an, idf)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func cos(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func TestEmbedProperties(t *testing.T) {
	e := newTestEmbedder(t, nil)
	ctx := context.Background()
	texts := []string{"Wie kündige ich meinen Vertrag?", "", "😀👍", strings.Repeat("Rechnung ", 10000)}
	v1, err := e.Embed(ctx, "de", texts)
	if err != nil {
		t.Fatal(err)
	}
	v2, _ := e.Embed(ctx, "de", texts)
	for i, v := range v1 {
		if len(v) != e.Dim() {
			t.Fatalf("text %d: got %d dims; want %d", i, len(v), e.Dim())
		}
		var n float64
		for j, x := range v {
			if x != v2[i][j] {
				t.Fatalf("text %d: not deterministic at %d", i, j)
			}
			if math.IsNaN(float64(x)) {
				t.Fatalf("text %d: NaN", i)
			}
			n += float64(x) * float64(x)
		}
		want := 1.0
		if i == 1 || i == 2 {
			want = 0 // nothing to embed
		}
		if math.Abs(n-want) > 1e-4 {
			t.Errorf("text %d: squared norm %.4f; want %.0f", i, n, want)
		}
	}
}

// The embedder must bring together what a lexical index keeps apart:
// typos, missing umlauts and thesaurus synonyms.
func TestEmbedSimilarity(t *testing.T) {
	e := newTestEmbedder(t, nil)
	tests := []struct {
		name, lang, a, near, far string
	}{
		{"missing umlauts", "de", "Kündigung des Vertrags", "Kuendigung des Vertrags", "Lieferung des Routers"},
		{"typo", "de", "Kündigung", "Kündigugn", "Rechnung"},
		{"compound", "de", "Rechnungsadresse ändern", "Adresse auf der Rechnung ändern", "Passwort vergessen"},
		{"inflection en", "en", "cancelling my contracts", "cancel contract", "delivery of the router"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := e.Embed(context.Background(), tc.lang, []string{tc.a, tc.near, tc.far})
			if err != nil {
				t.Fatal(err)
			}
			near, far := cos(v[0], v[1]), cos(v[0], v[2])
			if near <= far {
				t.Errorf("cos(%q, %q) = %.3f; want above cos(%q, %q) = %.3f", tc.a, tc.near, near, tc.a, tc.far, far)
			}
		})
	}
}

// Synonyms from the thesaurus must pull synonymous questions together
// compared with the same embedder without them.
func TestEmbedSynonyms(t *testing.T) {
	an, err := analyze.New()
	if err != nil {
		t.Fatal(err)
	}
	with, _ := New(DefaultOptions(), an, nil)
	o := DefaultOptions()
	o.SynonymWeight = 0
	without, _ := New(o, an, nil)
	tests := []struct{ lang, a, b string }{
		{"de", "Welche Symptome gibt es?", "Welche Krankheitszeichen gibt es?"},
		{"de", "Passwort vergessen", "Kennwort vergessen"},
		{"en", "I want a refund", "I want a repayment"},
		{"en", "where is my invoice", "where is my bill"},
	}
	for _, tc := range tests {
		t.Run(tc.a, func(t *testing.T) {
			vw, _ := with.Embed(context.Background(), tc.lang, []string{tc.a, tc.b})
			vo, _ := without.Embed(context.Background(), tc.lang, []string{tc.a, tc.b})
			if cw, co := cos(vw[0], vw[1]), cos(vo[0], vo[1]); cw <= co+0.02 {
				t.Errorf("cos(%q, %q) with synonyms %.3f; want clearly above %.3f without", tc.a, tc.b, cw, co)
			}
		})
	}
}

func TestIDF(t *testing.T) {
	an, err := analyze.New()
	if err != nil {
		t.Fatal(err)
	}
	docs := []string{"Router blinkt rot", "Router Lieferung", "Router Rechnung", "Passwort vergessen"}
	idf, err := Fit(context.Background(), DefaultOptions(), an, len(docs), func(i int) (string, string) { return "de", docs[i] })
	if err != nil {
		t.Fatal(err)
	}
	if common, rare := idf.Weight(wordKey("rout")), idf.Weight(wordKey("passwort")); common >= rare {
		t.Errorf("weight of a word in 3 of 4 docs %.3f; want below one in 1 doc %.3f", common, rare)
	}
	var buf bytes.Buffer
	if _, err := idf.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadIDF(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if back.Fingerprint() != idf.Fingerprint() || back.N != idf.N || len(back.DF) != len(idf.DF) {
		t.Errorf("round trip: got N %d, %d terms, fp %s; want N %d, %d terms, fp %s", back.N, len(back.DF), back.Fingerprint(), idf.N, len(idf.DF), idf.Fingerprint())
	}
	if _, err := ReadIDF(strings.NewReader("garbage")); err == nil {
		t.Error("ReadIDF(garbage) succeeded; want an error")
	}
	e1 := newTestEmbedder(t, nil)
	e2 := newTestEmbedder(t, idf)
	if e1.Name() == e2.Name() {
		t.Errorf("embedders with and without IDF share the name %q; vectors would mix", e1.Name())
	}
	if _, err := New(Options{Dim: 4}, an, nil); err == nil {
		t.Error("New with dim 4 succeeded; want an error")
	}
}

func TestEmbedCancelled(t *testing.T) {
	e := newTestEmbedder(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Embed(ctx, "en", []string{"a", "b"}); err == nil {
		t.Error("Embed with a cancelled context succeeded; want context.Canceled")
	}
}

// BenchmarkEmbed measures one short question, without fitted weights and
// with IDF and the latent model fitted on 2,000 realistic documents (the
// demo-sized latentCorpus when the evaluation suites are not there).
func BenchmarkEmbed(b *testing.B) {
	an, err := analyze.New()
	if err != nil {
		b.Fatal(err)
	}
	text := "Ich bin umgezogen und möchte meine Rechnungsadresse ändern. Wie geht das im Kundenportal?"
	var idf *IDF
	for _, fitted := range []bool{false, true} {
		if fitted {
			units := benchUnitsOr(b, 2000, latentCorpus)
			idf, err = Fit(context.Background(), DefaultOptions(), an, len(units), func(i int) (string, string) { return units[i].lang, units[i].text })
			if err != nil {
				b.Fatal(err)
			}
		}
		e, _ := New(DefaultOptions(), an, idf)
		b.Run(fmt.Sprintf("fitted=%t", fitted), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e.Embed(context.Background(), "de", []string{text})
			}
		})
	}
}
