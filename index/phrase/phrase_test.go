package phrase

import (
	"bytes"
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/sofort-chat/sofort/index/analyze"
)

// shared builds the analyzer once: loading the German dictionary takes a
// noticeable part of a second.
var shared = sync.OnceValues(analyze.New)

func analyzer(t testing.TB) *analyze.Analyzer {
	t.Helper()
	an, err := shared()
	if err != nil {
		t.Fatal(err)
	}
	return an
}

// toyExamples is a small FAQ: four English documents, one German one, and
// one with too few phrasings to be learned.
func toyExamples() []Example {
	docs := []struct {
		id, lang string
		texts    []string
	}{
		{"hours", "en", []string{
			"When are you open?", "What are your opening hours?", "What time do you open in the morning?",
			"Are you open on Sunday?", "Until when are you open today?", "what time do you close",
		}},
		{"password", "en", []string{
			"I forgot my password", "How do I reset my password?", "Password reset is not working",
			"I cannot log in because I forgot the password", "How can I change my password?",
		}},
		{"refund", "en", []string{
			"I want my money back", "How do I get a refund?", "Refund for my order please",
			"Can I return an item for a refund?", "can i get my money back for this",
		}},
		{"shipping", "en", []string{
			"How long does delivery take?", "When will my order arrive?", "Shipping time to Germany",
			"How can I track my parcel?", "Where is my package?",
		}},
		{"kuendigung", "de", []string{
			"Wie kann ich kündigen?", "Ich möchte meinen Vertrag kündigen", "Kündigung meines Abonnements",
			"Ich will mein Abo beenden", "Wie ist die Kündigungsfrist?",
		}},
		{"rare", "en", []string{"Do you sell gift vouchers?", "gift voucher"}},
	}
	var ex []Example
	for _, d := range docs {
		for _, t := range d.texts {
			ex = append(ex, Example{DocID: d.id, Lang: d.lang, Text: t})
		}
	}
	return ex
}

func trainToy(t testing.TB, opt Options) *Model {
	t.Helper()
	m, err := Train(context.Background(), analyzer(t), toyExamples(), opt)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestScoreClassifies(t *testing.T) {
	exact := DefaultOptions()
	sparseOnly := DefaultOptions()
	sparseOnly.ExactDocs = 0 // score candidates from sparse rows only
	models := map[string]*Model{"exact": trainToy(t, exact), "candidates": trainToy(t, sparseOnly)}
	cases := []struct {
		name, lang, query, want string
	}{
		{"paraphrase", "en", "what time do you open on saturday", "hours"},
		{"few words", "en", "forgot password", "password"},
		{"typo", "en", "I need a refnd for my ordr", "refund"},
		{"stop words matter", "en", "where is my parcel", "shipping"},
		{"German compound", "de", "Abo kündigen", "kuendigung"},
		{"German without umlaut", "de", "kuendigen", "kuendigung"},
	}
	for mode, m := range models {
		for _, c := range cases {
			t.Run(mode+"/"+c.name, func(t *testing.T) {
				got := m.Score(c.lang, c.query, 3)
				if len(got) == 0 {
					t.Fatalf("Score(%q) = nothing; want %s first", c.query, c.want)
				}
				if got[0].DocID != c.want {
					t.Errorf("Score(%q)[0] = %+v; want %s (all: %+v)", c.query, got[0], c.want, got)
				}
				sum := 0.0
				for i, s := range got {
					if !(s.P > 0 && s.P <= 1) {
						t.Errorf("P of %s = %g; want in (0,1]", s.DocID, s.P)
					}
					if i > 0 && s.P > got[i-1].P {
						t.Errorf("%s (P %g) ranked below %s (P %g)", s.DocID, s.P, got[i-1].DocID, got[i-1].P)
					}
					sum += s.P
				}
				if sum > 1+1e-9 {
					t.Errorf("probabilities sum to %g; want <= 1", sum)
				}
			})
		}
	}
}

func TestMinExamples(t *testing.T) {
	cases := []struct {
		name     string
		min      int
		wantRare bool
	}{
		{"default leaves out two phrasings", 3, false},
		{"two is enough when asked", 2, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt := DefaultOptions()
			opt.MinExamples = c.min
			docs := trainToy(t, opt).Docs()
			got := strings.Contains(strings.Join(docs, ","), "rare")
			if got != c.wantRare {
				t.Errorf("Docs() = %v; covers rare: %v, want %v", docs, got, c.wantRare)
			}
			if len(docs) < 5 {
				t.Errorf("Docs() = %v; want at least the five documents with enough phrasings", docs)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	a, b := trainToy(t, DefaultOptions()), trainToy(t, DefaultOptions())
	if a.Fingerprint() != b.Fingerprint() {
		t.Errorf("fingerprints %s and %s; want equal", a.Fingerprint(), b.Fingerprint())
	}
	other := DefaultOptions()
	other.Seed = 2
	if c := trainToy(t, other); c.Fingerprint() == a.Fingerprint() {
		t.Errorf("another seed gave the same fingerprint %s; want a different one", c.Fingerprint())
	}
	for _, q := range []string{"when do you open", "money back", "parcel", "Kündigung"} {
		if ga, gb := a.Score("en", q, 10), b.Score("en", q, 10); !reflect.DeepEqual(ga, gb) {
			t.Errorf("Score(%q): %+v, then %+v; want identical", q, ga, gb)
		}
	}
}

func TestTopKConsistent(t *testing.T) {
	m := trainToy(t, DefaultOptions())
	all := m.Score("en", "how do I reset my password", 100)
	if len(all) != len(m.Docs()) {
		t.Fatalf("Score(k=100) gave %d documents; want all %d", len(all), len(m.Docs()))
	}
	sum := 0.0
	for _, s := range all {
		sum += s.P
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Errorf("probabilities over all documents sum to %g; want 1", sum)
	}
	for k := 1; k <= len(all); k++ {
		if got := m.Score("en", "how do I reset my password", k); !reflect.DeepEqual(got, all[:k]) {
			t.Errorf("Score(k=%d) = %+v; want the first %d of %+v", k, got, k, all)
		}
	}
}

func TestTiesByDocID(t *testing.T) {
	opt := DefaultOptions()
	opt.ExactDocs = 0   // score only documents sharing a feature
	opt.CharWeight = 0  // whole words only: "sunday" is in one document
	opt.MinGradient = 1 // and no other document gets a weight for it
	m := trainToy(t, opt)
	// "sunday" reaches the hours document alone; the rest tie at the
	// bottom.
	got := m.Score("en", "sunday", 10)
	if len(got) != len(m.Docs()) {
		t.Fatalf("Score = %+v; want all %d documents", got, len(m.Docs()))
	}
	if got[0].DocID != "hours" {
		t.Errorf("Score[0] = %+v; want hours", got[0])
	}
	for i := 2; i < len(got); i++ {
		if got[i].P != got[i-1].P || got[i].DocID < got[i-1].DocID {
			t.Errorf("bottom ranks %+v then %+v; want equal P in DocID order", got[i-1], got[i])
		}
	}
}

func TestOddInput(t *testing.T) {
	m := trainToy(t, DefaultOptions())
	huge := strings.Repeat("password reset ", 70000) // about 1 MB
	cases := []struct {
		name, lang, text string
		k                int
		wantNil          bool
	}{
		{"empty", "en", "", 5, true},
		{"spaces", "en", "   \t\n", 5, true},
		{"emoji", "en", "🙂🙂🚀", 5, true},
		{"unknown words", "en", "xqzv wptk", 5, true},
		{"k zero", "en", "password", 0, true},
		{"k negative", "en", "password", -1, true},
		{"invalid UTF-8", "en", "pass\xffword \xc3 reset", 5, false},
		{"control characters", "en", "pass\x00word\x1b[31m reset", 5, false},
		{"one megabyte", "en", huge, 5, false},
		{"unknown language", "xx", "password", 5, false},
		{"empty language", "", "password", 5, false},
		{"huge k", "en", "password", 1 << 30, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := m.Score(c.lang, c.text, c.k)
			if (got == nil) != c.wantNil {
				t.Errorf("Score(%.40q, k=%d) = %+v; want nil: %v", c.text, c.k, got, c.wantNil)
			}
			if len(got) > len(m.Docs()) {
				t.Errorf("Score gave %d results for %d documents", len(got), len(m.Docs()))
			}
		})
	}
}

func TestTrainOddInput(t *testing.T) {
	an := analyzer(t)
	huge := strings.Repeat("wie kann ich kündigen ", 50000)
	ok := append(toyExamples(),
		Example{DocID: "odd", Lang: "de", Text: huge},
		Example{DocID: "odd", Lang: "", Text: "🙂"},
		Example{DocID: "odd", Lang: "en", Text: ""},
		Example{DocID: "", Lang: "en", Text: "an example without a document id"},
	)
	if _, err := Train(context.Background(), an, ok, DefaultOptions()); err != nil {
		t.Errorf("Train with odd examples: %v; want success", err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	with := func(change func(*Options)) Options {
		o := DefaultOptions()
		change(&o)
		return o
	}
	cases := []struct {
		name    string
		ctx     context.Context
		ex      []Example
		opt     Options
		wantErr error
	}{
		{"no examples", context.Background(), nil, DefaultOptions(), ErrNoDocuments},
		{"only emoji", context.Background(), []Example{{"a", "en", "🙂"}, {"a", "en", "🙃"}, {"a", "en", "🚀"}}, DefaultOptions(), ErrNoDocuments},
		{"too few phrasings", context.Background(), toyExamples()[len(toyExamples())-2:], DefaultOptions(), ErrNoDocuments},
		{"cancelled", cancelled, toyExamples(), DefaultOptions(), context.Canceled},
		{"no epochs", context.Background(), toyExamples(), with(func(o *Options) { o.Epochs = 0 }), nil},
		{"NaN L2", context.Background(), toyExamples(), with(func(o *Options) { o.L2 = math.NaN() }), nil},
		{"no feature block", context.Background(), toyExamples(), with(func(o *Options) {
			o.TermWeight, o.BigramWeight, o.CharWeight, o.WordWeight, o.WordBigramWeight = 0, 0, 0, 0, 0
		}), nil},
		{"n-grams backwards", context.Background(), toyExamples(), with(func(o *Options) { o.MinGram, o.MaxGram = 4, 3 }), nil},
		{"too many hash bits", context.Background(), toyExamples(), with(func(o *Options) { o.HashBits = 40 }), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Train(c.ctx, an, c.ex, c.opt)
			if err == nil {
				t.Fatalf("Train = model with %d documents; want an error", len(m.Docs()))
			}
			if c.wantErr != nil && !errors.Is(err, c.wantErr) {
				t.Errorf("Train error = %v; want %v", err, c.wantErr)
			}
		})
	}
}

func TestPersistence(t *testing.T) {
	m := trainToy(t, DefaultOptions())
	var buf bytes.Buffer
	n, err := m.WriteTo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Errorf("WriteTo = %d bytes; wrote %d", n, buf.Len())
	}
	data := buf.Bytes()
	got, err := Read(bytes.NewReader(data), analyzer(t))
	if err != nil {
		t.Fatal(err)
	}
	if got.Fingerprint() != m.Fingerprint() {
		t.Errorf("fingerprint after round trip %s; want %s", got.Fingerprint(), m.Fingerprint())
	}
	if !reflect.DeepEqual(got.Docs(), m.Docs()) {
		t.Errorf("Docs after round trip %v; want %v", got.Docs(), m.Docs())
	}
	for _, q := range []string{"when do you open", "refund", "Vertrag kündigen", "where is my package"} {
		if a, b := m.Score("en", q, 10), got.Score("en", q, 10); !reflect.DeepEqual(a, b) {
			t.Errorf("Score(%q) after round trip %+v; want %+v", q, b, a)
		}
	}

	flipped := bytes.Clone(data)
	flipped[len(flipped)/2] ^= 1
	cases := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not a model", []byte("hello, world, this is not a model at all, not even close to one")},
		{"truncated", data[:len(data)-10]},
		{"one bit flipped", flipped},
		{"trailing byte", append(bytes.Clone(data), 0)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Read(bytes.NewReader(c.data), analyzer(t)); !errors.Is(err, ErrFormat) {
				t.Errorf("Read = %v; want ErrFormat", err)
			}
		})
	}
}

func TestConcurrentScore(t *testing.T) {
	m := trainToy(t, DefaultOptions())
	queries := []string{"when do you open", "refund please", "reset password", "track parcel", "Abo kündigen", "🙂"}
	want := make([][]Scored, len(queries))
	for i, q := range queries {
		want[i] = m.Score("en", q, 3)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(queries))
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rep := 0; rep < 20; rep++ {
				for i, q := range queries {
					if got := m.Score("en", q, 3); !reflect.DeepEqual(got, want[i]) {
						errs <- q
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for q := range errs {
		t.Errorf("concurrent Score(%q) differed from the sequential result", q)
	}
}
