package analyze

import (
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
)

func newAnalyzer(t testing.TB) *Analyzer {
	t.Helper()
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestTerms(t *testing.T) {
	a := newAnalyzer(t)
	tests := []struct {
		name string
		lang string
		text string
		want []string
	}{
		{"de compound keeps whole and parts", "de", "Rechnungsadresse ändern", []string{"rechnungsadress", "rechnung", "adress", "and"}},
		{"de query words", "de", "Adresse auf der Rechnung ändern", []string{"adress", "rechnung", "and"}},
		{"de loanword compound", "de", "Inkubationszeit", []string{"inkubationszeit", "inkubation", "zeit"}},
		{"de three parts", "de", "Atemschutzmaske", []string{"atemschutzmask", "atem", "schutz", "mask", "atemschutz", "schutzmask"}},
		{"de plural compound", "de", "Atemschutzmasken", []string{"atemschutzmask", "atem", "schutz", "mask", "atemschutz", "schutzmask"}},
		{"de umlaut", "de", "Kündigung", []string{"kundigung"}},
		{"de ue spelling", "de", "Kuendigung", []string{"kundigung"}},
		{"de caps ue spelling", "de", "KUENDIGUNG", []string{"kundigung"}},
		{"de caps umlaut", "de", "KÜNDIGUNG", []string{"kundigung"}},
		{"de no umlaut", "de", "kundigung", []string{"kundigung"}},
		{"de eszett", "de", "Straße strasse", []string{"strass", "strass"}},
		{"de plurals", "de", "Maske Masken Rechnungen", []string{"mask", "mask", "rechnung"}},
		{"de latin plural", "de", "Coronavirus Coronaviren", []string{"coronavir", "corona", "vir", "coronavir", "corona", "vir"}},
		{"de feminine", "de", "Ärztinnen Arzt Mitarbeiterin", []string{"arzt", "arzt", "mitarbeit"}},
		{"de stop words in both spellings", "de", "für fuer über ueber die Kinder", []string{"kind"}},
		{"de only stop words", "de", "Wie ist das?", nil},
		{"de region code", "de-AT", "Masken", []string{"mask"}},
		{"en stems", "en", "The children's studies are running", []string{"children", "studi", "run"}},
		{"en possessive curly", "en", "the customer’s invoices", []string{"custom", "invoic"}},
		{"en porter2 stems", "en", "What's the cost of dying? Cancellations", []string{"cost", "die", "cancel"}},
		{"en diacritics", "en", "café in München", []string{"cafe", "munchen"}},
		{"simple folds", "fr", "Café Kündigung KUENDIGUNG", []string{"cafe", "kundigung", "kundigung"}},
		{"simple keeps words", "", "les données", []string{"les", "donnees"}},
		{"empty", "de", "", nil},
		{"emoji", "de", "😀👍", nil},
		{"punctuation", "en", "?!…", nil},
		{"control characters", "de", "Rechnung\x00\x1b\x07Adresse", []string{"rechnung", "adress"}},
		{"invalid utf-8", "de", "Rech\xffnung", []string{"rech", "nung"}},
		{"overlong token dropped", "simple", strings.Repeat("a", 65) + " b", []string{"b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := a.Terms(tt.lang, tt.text)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Terms(%q, %q) = %q; want %q", tt.lang, tt.text, got, tt.want)
			}
		})
	}
}

func TestTermsLongText(t *testing.T) {
	a := newAnalyzer(t)
	sentence := "Die Rechnungsadresse für Atemschutzmasken ändern wir während der Inkubationszeit. "
	text := strings.Repeat(sentence, (1<<20)/len(sentence))
	got := a.Terms("de", text)
	per := len(a.Terms("de", sentence))
	if want := per * strings.Count(text, sentence); len(got) != want {
		t.Errorf("Terms(1 MB) gave %d terms; want %d", len(got), want)
	}
}

func TestTermsConcurrent(t *testing.T) {
	a := newAnalyzer(t)
	want := a.Terms("de", "Rechnungsadresse ändern")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if got := a.Terms("de", "Rechnungsadresse ändern"); !slices.Equal(got, want) {
					t.Errorf("concurrent Terms = %q; want %q", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestFold(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"Kündigung", "kundigung"},
		{"Kuendigung", "kundigung"},
		{"KÜNDIGUNG", "kundigung"},
		{"Straße", "strasse"},
		{"Feuer Quelle", "feuer quelle"},
		{"Café Crème, naïve!", "cafe creme, naive!"},
		{"Ærø Œuvre", "aro ouvre"}, // as Fold("aero oeuvre")
		{"aero", "aro"},
		{"", ""},
		{"a\xffb", "a\ufffdb"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Fold(tt.in); got != tt.want {
				t.Errorf("Fold(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestAnalyzerFor(t *testing.T) {
	tests := []struct {
		lang string
		want string
	}{
		{"de", German},
		{"DE", German},
		{"de-AT", German},
		{"de_CH", German},
		{"en", English},
		{" en-GB ", English},
		{"fr", Simple},
		{"", Simple},
		{"deu", Simple},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			if got := AnalyzerFor(tt.lang); got != tt.want {
				t.Errorf("AnalyzerFor(%q) = %q; want %q", tt.lang, got, tt.want)
			}
		})
	}
}

func TestRegisterTwice(t *testing.T) {
	m := bleve.NewIndexMapping()
	if err := Register(m); err != nil {
		t.Fatalf("first Register: %v", err)
	}
	if err := Register(m); err == nil {
		t.Error("second Register on the same mapping: got nil error; want one")
	}
}

// TestIndex builds a real scorch index on disk with the analyzers,
// searches it, and searches it again after reopening, when Bleve rebuilds
// the analyzers from the stored mapping through the registry.
func TestIndex(t *testing.T) {
	docs := map[string]struct{ lang, title string }{
		"de-address":  {"de", "Rechnungsadresse ändern"},
		"de-delivery": {"de", "Lieferung verfolgen"},
		"de-cancel":   {"de", "Kündigung des Vertrags"},
		"de-incub":    {"de", "Wie lange ist die Inkubationszeit?"},
		"de-masks":    {"de", "Wo bekomme ich Atemschutzmasken?"},
		"en-cancel":   {"en", "How do I cancel my subscription?"},
		"en-refund":   {"en", "Refund policy for damaged items"},
	}
	m := bleve.NewIndexMapping()
	if err := Register(m); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"de", "en"} {
		dm := bleve.NewDocumentStaticMapping()
		fm := bleve.NewTextFieldMapping()
		fm.Analyzer = AnalyzerFor(lang)
		dm.AddFieldMappingsAt("title", fm)
		m.AddDocumentMapping(lang, dm)
	}
	m.TypeField = "lang"
	path := filepath.Join(t.TempDir(), "idx")
	idx, err := bleve.NewUsing(path, m, scorch.Name, scorch.Name, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := idx.NewBatch()
	for id, d := range docs {
		if err := b.Index(id, map[string]string{"lang": d.lang, "title": d.title}); err != nil {
			t.Fatal(err)
		}
	}
	if err := idx.Batch(b); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		analyzer string
		query    string
		want     string
	}{
		{"decompounded compound", German, "Adresse auf der Rechnung ändern", "de-address"},
		{"ue spelling", German, "Kuendigung", "de-cancel"},
		{"caps", German, "KÜNDIGUNG", "de-cancel"},
		{"compound part", German, "Inkubation", "de-incub"},
		{"head of a plural compound", German, "Maske", "de-masks"},
		{"english stem", English, "cancelling subscriptions", "en-cancel"},
		{"english plural", English, "refunds", "en-refund"},
	}
	search := func(t *testing.T, idx bleve.Index) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				q := bleve.NewMatchQuery(tt.query)
				q.SetField("title")
				q.Analyzer = tt.analyzer
				req := bleve.NewSearchRequest(q)
				req.SortBy([]string{"-_score", "_id"})
				res, err := idx.Search(req)
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Hits) == 0 || res.Hits[0].ID != tt.want {
					var ids []string
					for _, h := range res.Hits {
						ids = append(ids, h.ID)
					}
					t.Errorf("search %q: hits %q; want %q first", tt.query, ids, tt.want)
				}
			})
		}
	}
	t.Run("new", func(t *testing.T) { search(t, idx) })
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
	idx, err = bleve.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	t.Run("reopened", func(t *testing.T) { search(t, idx) })
}

func FuzzTerms(f *testing.F) {
	for _, s := range []string{"Rechnungsadresse ändern", "KUENDIGUNG", "", "\xff\xfe", "😀", "children's", "a\x00b"} {
		f.Add("de", s)
		f.Add("en", s)
	}
	a, err := New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, lang, text string) {
		terms := a.Terms(lang, text)
		if terms != nil && len(terms) == 0 {
			t.Errorf("Terms(%q, %q) = empty non-nil slice; want nil", lang, text)
		}
		for _, term := range terms {
			if term == "" || !utf8.ValidString(term) || utf8.RuneCountInString(term) > maxTermRunes {
				t.Errorf("Terms(%q, %q) has term %q; want non-empty valid UTF-8 of at most %d runes", lang, text, term, maxTermRunes)
			}
		}
	})
}

func BenchmarkTerms(b *testing.B) {
	a := newAnalyzer(b)
	for _, tt := range []struct{ lang, text string }{
		{"de", "Wie kann ich die Rechnungsadresse meiner Bestellung ändern?"},
		{"en", "How can I change the billing address of my order?"},
	} {
		b.Run(tt.lang, func(b *testing.B) {
			for b.Loop() {
				a.Terms(tt.lang, tt.text)
			}
		})
	}
}

func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		if _, err := New(); err != nil {
			b.Fatal(err)
		}
	}
}
