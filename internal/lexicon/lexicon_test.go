package lexicon

import (
	"errors"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

func mustLang(t testing.TB, lang string) *Thesaurus {
	t.Helper()
	th, err := ForLang(lang)
	if err != nil {
		t.Fatalf("ForLang(%q): %v", lang, err)
	}
	return th
}

func TestSynonymPairsBothWays(t *testing.T) {
	tests := []struct {
		name string
		lang string
		a, b string
	}{
		{"symptom", "de", "symptom", "krankheitszeichen"},
		{"anstecken", "de", "anstecken", "infizieren"},
		{"übertragen", "de", "übertragen", "infizieren"},
		{"kündigung", "de", "kündigung", "entlassung"},
		{"kündigen", "de", "kündigen", "stornieren"},
		{"rechnung", "de", "rechnung", "faktura"},
		{"lieferung", "de", "lieferung", "zustellung"},
		{"passwort", "de", "passwort", "kennwort"},
		{"umzug", "de", "umzug", "wohnsitzwechsel"},
		{"cancel", "en", "cancel", "invalidate"},
		{"refund", "en", "refund", "repay"},
		{"invoice", "en", "invoice", "bill"},
		{"mask", "en", "mask", "disguise"},
		{"card", "en", "card", "placard"},
		{"transfer", "en", "transfer", "reassign"},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.name, func(t *testing.T) {
			th := mustLang(t, tt.lang)
			if got := th.Synonyms(tt.a); !slices.Contains(got, tt.b) {
				t.Errorf("Synonyms(%q) = %q; want it to contain %q", tt.a, got, tt.b)
			}
			if got := th.Synonyms(tt.b); !slices.Contains(got, tt.a) {
				t.Errorf("Synonyms(%q) = %q; want it to contain %q", tt.b, got, tt.a)
			}
		})
	}
}

func TestSynonymsExcludeWordAndPhrases(t *testing.T) {
	tests := []struct {
		lang, word string
		notWant    string // a multiword member of one of the word's groups
	}{
		{"de", "kündigen", "außer kraft setzen"},
		{"de", "Kündigung", "kündigung"},
		{"en", "cancel", "call off"},
		{"en", "mice", "mouse"}, // resolved to "mouse", which is the word itself
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.word, func(t *testing.T) {
			th := mustLang(t, tt.lang)
			got := th.Synonyms(tt.word)
			if len(got) == 0 {
				t.Fatalf("Synonyms(%q) is empty", tt.word)
			}
			if slices.Contains(got, tt.notWant) || slices.Contains(got, strings.ToLower(tt.word)) {
				t.Errorf("Synonyms(%q) = %q; want neither %q nor the word itself", tt.word, got, tt.notWant)
			}
			if len(slices.Compact(slices.Sorted(slices.Values(got)))) != len(got) {
				t.Errorf("Synonyms(%q) = %q; want no duplicates", tt.word, got)
			}
		})
	}
}

// rankOf returns word's rank in the first group that also contains other.
func rankOf(t *testing.T, th *Thesaurus, word, other string) uint8 {
	t.Helper()
	for _, p := range th.lookup(word) {
		g := th.groups[p.group]
		if slices.Contains(th.members[g.lo:g.hi], other) {
			return p.rank
		}
	}
	t.Fatalf("no group holds both %q and %q", word, other)
	return 0
}

func TestGermanAnnotations(t *testing.T) {
	de := mustLang(t, "de")
	// Source lines: "abdüsen (ugs.)", "intramuskulär (fachspr.)",
	// "(eine Regel) mit den Füßen treten (ugs.)", "Sozis (derb)",
	// "Totgesagte leben länger. (sprichwörtlich)".
	tests := []struct {
		word, sameGroupAs string
		rank              uint8
	}{
		{"abdüsen", "abfliegen", 1},
		{"intramuskulär", "in einem muskel", 1},
		{"mit den füßen treten", "missachten", 1},
		{"sozis", "spd", 2},
		{"totgesagte leben länger", "unvergänglich", 2},
	}
	for _, tt := range tests {
		t.Run(tt.word, func(t *testing.T) {
			if got := rankOf(t, de, tt.word, tt.sameGroupAs); got != tt.rank {
				t.Errorf("rank of %q = %d; want %d", tt.word, got, tt.rank)
			}
		})
	}
	t.Run("no leftovers", func(t *testing.T) {
		for _, m := range de.members {
			if strings.ContainsAny(m, "()") || strings.Contains(m, "...") || m != strings.ToLower(m) ||
				strings.HasSuffix(m, "-") || strings.HasSuffix(m, ".") {
				t.Errorf("member %q still carries an annotation, placeholder, affix or abbreviation", m)
			}
		}
	})
	// Dropped entries: "MA (Abkürzung)", "cm (Einheitenzeichen)", "z. B.",
	// "Hrsg.", "Möchtegern-", "Deputat...", "&".
	for _, w := range []string{"cm", "z. b.", "hrsg.", "möchtegern-", "deputat...", "&"} {
		t.Run("dropped "+w, func(t *testing.T) {
			if got := de.Groups(w); got != nil {
				t.Errorf("Groups(%q) = %q; want nil", w, got)
			}
		})
	}
}

func TestHas(t *testing.T) {
	tests := []struct {
		lang, word string
		want       bool
	}{
		{"de", "kündigung", true},
		{"de", "Kündigung", true},
		{"de", "kuendigung", true},
		{"de", "kundigung", true},
		{"de", "haus", true},
		{"de", "mund-nasen-schutz", false}, // not in the 2016 snapshot
		{"de", "in brand setzen", false},   // a known phrase, but not a single word
		{"de", "xqzzyv", false},
		{"de", "", false},
		{"en", "mouse", true},
		{"en", "mice", true},
		{"en", "refunded", true},
		{"en", "call off", false},
		{"en", "qwertyuiop", false},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.word, func(t *testing.T) {
			if got := mustLang(t, tt.lang).Has(tt.word); got != tt.want {
				t.Errorf("Has(%q) = %v; want %v", tt.word, got, tt.want)
			}
		})
	}
}

func TestFoldedLookup(t *testing.T) {
	de := mustLang(t, "de")
	tests := []struct {
		query, canonical string
	}{
		{"kuendigung", "kündigung"},
		{"kundigung", "kündigung"},
		{"KÜNDIGUNG", "kündigung"},
		{"  Kuendigung ", "kündigung"},
		{"uebertragen", "übertragen"},
		{"strasse", "straße"},
		{"STRASSE", "straße"},
		{"massnahme", "maßnahme"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			want := de.Groups(tt.canonical)
			if len(want) == 0 {
				t.Fatalf("Groups(%q) is empty", tt.canonical)
			}
			if got := de.Groups(tt.query); !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("Groups(%q) = %q; want %q", tt.query, got, want)
			}
		})
	}
}

func TestEnglishMorphology(t *testing.T) {
	en := mustLang(t, "en")
	tests := []struct {
		query   string
		base    string
		wantPOS POS // every group found must have it; AnyPOS: no restriction
	}{
		{"mice", "mouse", Noun},
		{"refunded", "refund", Verb},
		{"invoices", "invoice", AnyPOS},
		{"cancelled", "cancelled", AnyPOS}, // a word itself wins over cancel + -ed
		{"geese", "goose", Noun},
		{"better", "better", AnyPOS},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got := en.Lookup(tt.query)
			if len(got) == 0 {
				t.Fatalf("Lookup(%q) is empty", tt.query)
			}
			for _, g := range got {
				if !slices.Contains(g.Words, tt.base) {
					t.Errorf("Lookup(%q) group %q; want it to contain %q", tt.query, g.Words, tt.base)
				}
				if tt.wantPOS != AnyPOS && g.POS != tt.wantPOS {
					t.Errorf("Lookup(%q) group %q is a %v; want %v", tt.query, g.Words, g.POS, tt.wantPOS)
				}
			}
		})
	}
}

func TestGroupOrder(t *testing.T) {
	tests := []struct {
		lang, word string
		first      []string // expected first group
		firstPOS   POS
	}{
		// "cancel" is tagged only as a verb; its noun (a musical sign) goes last.
		{"en", "cancel", []string{"cancel", "call off", "scratch", "scrub"}, Verb},
		{"en", "invoice", []string{"bill", "account", "invoice"}, Noun},
		{"de", "symptom", []string{"krankheitszeichen", "krankheitssymptom", "symptom", "beschwerde"}, AnyPOS},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.word, func(t *testing.T) {
			got := mustLang(t, tt.lang).Lookup(tt.word)
			if len(got) == 0 {
				t.Fatalf("Lookup(%q) is empty", tt.word)
			}
			if !slices.Equal(got[0].Words, tt.first) || got[0].POS != tt.firstPOS {
				t.Errorf("Lookup(%q)[0] = %v %q; want %v %q", tt.word, got[0].POS, got[0].Words, tt.firstPOS, tt.first)
			}
		})
	}
	t.Run("en/cancel noun last", func(t *testing.T) {
		got := mustLang(t, "en").Lookup("cancel")
		if last := got[len(got)-1]; last.POS != Noun {
			t.Errorf("last group of cancel = %v %q; want the noun", last.POS, last.Words)
		}
	})
}

func TestWords(t *testing.T) {
	tests := []struct {
		lang     string
		min      int
		contains string
	}{
		{"de", 50000, "kündigung"},
		{"en", 50000, "invoice"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			th := mustLang(t, tt.lang)
			ws := th.Words()
			if len(ws) < tt.min {
				t.Errorf("len(Words()) = %d; want at least %d", len(ws), tt.min)
			}
			if !slices.IsSorted(ws) {
				t.Error("Words() is not sorted")
			}
			if _, found := slices.BinarySearch(ws, tt.contains); !found {
				t.Errorf("Words() lacks %q", tt.contains)
			}
			for i, w := range ws {
				if strings.Contains(w, " ") || (i > 0 && ws[i-1] == w) {
					t.Fatalf("Words()[%d] = %q; want unique single words", i, w)
				}
				if !th.Has(w) {
					t.Fatalf("Has(%q) = false for a word from Words()", w)
				}
			}
			ws[0] = "changed"
			if th.Words()[0] == "changed" {
				t.Error("changing the result of Words() changed the thesaurus")
			}
		})
	}
}

func TestResultsAreCopies(t *testing.T) {
	de := mustLang(t, "de")
	g := de.Groups("passwort")
	want := slices.Clone(g[0])
	g[0][0] = "changed"
	if got := de.Groups("passwort")[0]; !slices.Equal(got, want) {
		t.Errorf("after changing a result, Groups(passwort)[0] = %q; want %q", got, want)
	}
}

func TestUnknownWord(t *testing.T) {
	for _, lang := range []string{"de", "en"} {
		th := mustLang(t, lang)
		if g, s, l := th.Groups("xqzzyv"), th.Synonyms("xqzzyv"), th.Lookup("xqzzyv"); g != nil || s != nil || l != nil {
			t.Errorf("%s: unknown word gave Groups %q, Synonyms %q, Lookup %v; want nil", lang, g, s, l)
		}
	}
}

func TestForLang(t *testing.T) {
	de, err := German()
	if err != nil {
		t.Fatal(err)
	}
	en, err := English()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		lang    string
		want    *Thesaurus
		wantErr error
	}{
		{"de", de, nil},
		{"DE", de, nil},
		{"de-AT", de, nil},
		{"en", en, nil},
		{"en_US", en, nil},
		{"fr", nil, ErrUnsupported},
		{"", nil, ErrUnsupported},
		{"deu", nil, ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			got, err := ForLang(tt.lang)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("ForLang(%q) = %p, %v; want %p, %v", tt.lang, got, err, tt.want, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), `"`+tt.lang+`"`) {
				t.Errorf("error %q does not name the language %q", err, tt.lang)
			}
		})
	}
	if de.Lang() != "de" || en.Lang() != "en" {
		t.Errorf("Lang() = %q, %q; want de, en", de.Lang(), en.Lang())
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, synsets, exceptions string
		wantErr                   string // "" for success
	}{
		{"valid", "n\ta|b#2\nv\tc#\n", "n\tas|a\n", ""},
		{"german without pos", "a|b\nc\n", "", ""},
		{"bad pos", "n\ta|b\nx\tc|d\n", "", "syn:2: unknown part of speech"},
		{"zero rank", "a#0|b\n", "", "syn:1: member \"a#0\": bad rank"},
		{"rank overflow", "a|b#300\n", "", "syn:1: member \"b#300\": bad rank"},
		{"empty member", "a||b\n", "", "syn:1: empty member"},
		{"exception without pos", "a|b\n", "as|a\n", "exc:1: missing part of speech"},
		{"exception without base", "a|b\n", "n\tas\n", "exc:1: want an inflected form"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th, err := parse("xx", "syn", tt.synsets, "exc", tt.exceptions)
			if tt.wantErr == "" {
				if err != nil || th == nil {
					t.Fatalf("parse = %v, %v; want a thesaurus", th, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parse error = %v; want it to contain %q", err, tt.wantErr)
			}
		})
	}
	t.Run("rank and c#", func(t *testing.T) {
		th, err := parse("en", "syn", "n\tc#|c sharp#2\n", "", "")
		if err != nil {
			t.Fatal(err)
		}
		if got := th.Lookup("c sharp"); len(got) != 1 || !slices.Equal(got[0].Words, []string{"c#", "c sharp"}) || got[0].POS != Noun {
			t.Errorf("Lookup(c sharp) = %v; want one noun group [c# c sharp]", got)
		}
		if got := rankOf(t, th, "c sharp", "c#"); got != 2 {
			t.Errorf("rank of c sharp = %d; want 2", got)
		}
	})
}

func TestConcurrentUse(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			lang := []string{"de", "en"}[i%2]
			th, err := ForLang(lang)
			if err != nil {
				t.Error(err)
				return
			}
			for _, w := range []string{"kündigung", "cancel", "mice", "kuendigung"} {
				th.Synonyms(w)
				th.Groups(w)
				th.Has(w)
			}
		})
	}
	wg.Wait()
}

// BenchmarkLoadGerman parses the embedded German data from scratch (not
// the shared copy) and reports the heap it keeps.
func BenchmarkLoadGerman(b *testing.B) { benchmarkLoad(b, "de", "data/de.synsets.gz", "") }

func BenchmarkLoadEnglish(b *testing.B) {
	benchmarkLoad(b, "en", "data/en.synsets.gz", "data/en.exc.gz")
}

func benchmarkLoad(b *testing.B, lang, syn, exc string) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := loadEmbedded(lang, syn, exc); err != nil {
			b.Fatal(err)
		}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	th, err := loadEmbedded(lang, syn, exc)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(th)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB-kept")
}

func BenchmarkSynonyms(b *testing.B) {
	de := mustLang(b, "de")
	en := mustLang(b, "en")
	for b.Loop() {
		de.Synonyms("kündigung")
		de.Synonyms("kuendigung")
		en.Synonyms("transfer")
		en.Synonyms("refunded")
	}
}
