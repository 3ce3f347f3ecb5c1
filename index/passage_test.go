package index

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sofort-chat/sofort/corpus"
)

// sentences returns n words as sentences of ten words each, every word
// numbered so lost or duplicated words show.
func sentences(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "wort%d", i)
		if i%10 == 0 {
			b.WriteByte('.')
		}
	}
	return b.String()
}

func TestSplitPassagesFields(t *testing.T) {
	tests := []struct {
		name string
		doc  corpus.Document
		// want lists field and text of each passage, in order.
		want [][2]string
	}{
		{
			name: "faq with title, question and alternatives",
			doc: corpus.Document{ID: "faq-1", Kind: corpus.KindFAQ, Title: "Vertrag kündigen",
				Question: "Wie kündige ich?", Answer: "Im Kundenkonto.", AltQuestions: []string{"Abo beenden", "  ", "Kündigung"}},
			want: [][2]string{
				{FieldQuestion, "Vertrag kündigen. Wie kündige ich?"},
				{FieldAlt, "Abo beenden"},
				{FieldAlt, "Kündigung"},
				{FieldAnswer, "Im Kundenkonto."},
			},
		},
		{
			name: "title equal to question up to punctuation is not repeated",
			doc:  corpus.Document{ID: "faq-2", Kind: corpus.KindFAQ, Title: "How do I pay", Question: "How do I pay?", Answer: "By card."},
			want: [][2]string{{FieldQuestion, "How do I pay?"}, {FieldAnswer, "By card."}},
		},
		{
			name: "thread: title is the question side, posts split by acceptance",
			doc: corpus.Document{ID: "thr-1", Kind: corpus.KindThread, Title: "WLAN bricht ab", Body: "Seit gestern.",
				Posts: []corpus.Post{{Body: "Router neu starten?"}, {Body: "Kanal 6 wählen.", Accepted: true}, {Body: "   "}, {Body: "Danke!"}}},
			want: [][2]string{
				{FieldTitle, "WLAN bricht ab"},
				{FieldBody, "Seit gestern."},
				{FieldPosts, "Router neu starten?"},
				{FieldAccepted, "Kanal 6 wählen."},
				{FieldPosts, "Danke!"},
			},
		},
		{
			name: "question without title",
			doc:  corpus.Document{ID: "faq-3", Kind: corpus.KindFAQ, Question: "Where is my invoice?", Answer: "Under Invoices."},
			want: [][2]string{{FieldQuestion, "Where is my invoice?"}, {FieldAnswer, "Under Invoices."}},
		},
		{
			name: "article with body only",
			doc:  corpus.Document{ID: "art-1", Kind: corpus.KindArticle, Body: "  Install the app.  "},
			want: [][2]string{{FieldBody, "Install the app."}},
		},
		{
			name: "id containing the separator",
			doc:  corpus.Document{ID: "faq#7", Kind: corpus.KindFAQ, Title: "Hash", Answer: "Yes."},
			want: [][2]string{{FieldTitle, "Hash"}, {FieldAnswer, "Yes."}},
		},
		{
			name: "nothing to split",
			doc:  corpus.Document{ID: "empty", Kind: corpus.KindFAQ},
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := SplitPassages(&tt.doc)
			if len(ps) != len(tt.want) {
				t.Fatalf("got %d passages %+v; want %d", len(ps), ps, len(tt.want))
			}
			seen := map[string]bool{}
			for i, p := range ps {
				if p.Field != tt.want[i][0] || p.Text != tt.want[i][1] {
					t.Errorf("passage %d: got %s %q; want %s %q", i, p.Field, p.Text, tt.want[i][0], tt.want[i][1])
				}
				if p.DocID != tt.doc.ID {
					t.Errorf("passage %d: got DocID %q; want %q", i, p.DocID, tt.doc.ID)
				}
				if !strings.HasPrefix(p.ID, tt.doc.ID+"#") {
					t.Errorf("passage %d: got id %q; want prefix %q", i, p.ID, tt.doc.ID+"#")
				}
				if seen[p.ID] {
					t.Errorf("passage %d: duplicate id %q", i, p.ID)
				}
				seen[p.ID] = true
				// The search path reads document and field back from the id.
				if got := docOfPassage(p.ID); got != tt.doc.ID {
					t.Errorf("docOfPassage(%q) = %q; want %q", p.ID, got, tt.doc.ID)
				}
				if got := fieldOfPassage(p.ID); got != p.Field {
					t.Errorf("fieldOfPassage(%q) = %q; want %q", p.ID, got, p.Field)
				}
				if isQuestionSide(p.Field) != (p.Field == FieldTitle || p.Field == FieldQuestion || p.Field == FieldAlt) {
					t.Errorf("isQuestionSide(%s) = %v", p.Field, isQuestionSide(p.Field))
				}
			}
		})
	}
}

func TestSplitPassagesStableIDs(t *testing.T) {
	d := corpus.Document{ID: "thr-2", Kind: corpus.KindThread, Title: "Drucker", Body: sentences(400),
		AltQuestions: []string{"Drucker weg"}, Posts: []corpus.Post{{Body: sentences(20)}, {Body: sentences(200), Accepted: true}}}
	a, b := SplitPassages(&d), SplitPassages(&d)
	if len(a) != len(b) {
		t.Fatalf("got %d then %d passages for the same document", len(a), len(b))
	}
	seen := map[string]bool{}
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("passage %d: got %+v then %+v", i, a[i], b[i])
		}
		if seen[a[i].ID] {
			t.Errorf("duplicate id %q", a[i].ID)
		}
		seen[a[i].ID] = true
	}
	// A change after the question side leaves the question side's ids alone.
	d2 := d
	d2.Posts = append([]corpus.Post{}, d.Posts...)
	d2.Posts[1].Body = "Gelöst."
	c := SplitPassages(&d2)
	for i := 0; i < 2; i++ {
		if c[i].ID != a[i].ID {
			t.Errorf("passage %d: got id %q after editing a post; want %q", i, c[i].ID, a[i].ID)
		}
	}
}

func TestSplitPassagesChunking(t *testing.T) {
	tests := []struct {
		name      string
		words     int
		wantChunk int // number of answer passages
	}{
		{"short answer stays whole", 40, 1},
		{"up to one and a half windows stays whole", passageWords * 3 / 2, 1},
		{"just over is cut", passageWords*3/2 + 10, 2},
		{"long answer", 5 * passageWords, 5},
		{"very long answer", 20*passageWords + 7, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := sentences(tt.words)
			d := corpus.Document{ID: "long", Kind: corpus.KindFAQ, Question: "Frage?", Answer: text}
			var got []string
			for _, p := range SplitPassages(&d) {
				if p.Field == FieldAnswer {
					got = append(got, p.Text)
				}
			}
			if len(got) != tt.wantChunk {
				t.Fatalf("got %d answer passages; want %d", len(got), tt.wantChunk)
			}
			if joined := strings.Join(got, " "); joined != text {
				t.Errorf("passages do not add up to the answer: got %d words; want %d", len(strings.Fields(joined)), tt.words)
			}
			if len(got) == 1 {
				return
			}
			for i, c := range got {
				n := len(strings.Fields(c))
				if n < passageWords/3 || n > passageWords*3/2 {
					t.Errorf("passage %d: got %d words; want %d to %d", i, n, passageWords/3, passageWords*3/2)
				}
				if i < len(got)-1 && !endsSentence(c[len(c)-1:]) {
					t.Errorf("passage %d ends mid-sentence: …%q", i, c[max(0, len(c)-20):])
				}
			}
		})
	}
}

func TestSplitPassagesLongWord(t *testing.T) {
	// "€" is three bytes: no byte limit that is a multiple of two lands on
	// a rune boundary by luck.
	word := strings.Repeat("€", 3000)
	tests := []struct {
		name    string
		doc     corpus.Document
		field   string
		maxLen  int
		minRune int
	}{
		{"single word answer", corpus.Document{ID: "w1", Kind: corpus.KindFAQ, Answer: word}, FieldAnswer, 2 * passageMaxLen, passageMaxLen / 3},
		{"long word inside a long body", corpus.Document{ID: "w2", Kind: corpus.KindArticle, Body: sentences(150) + " " + word + " " + sentences(150)}, FieldBody, 2 * passageMaxLen, 1},
		{"long alternative question", corpus.Document{ID: "w3", Kind: corpus.KindFAQ, Question: "Frage?", Answer: "Ja.", AltQuestions: []string{word}}, FieldAlt, passageMaxLen, passageMaxLen / 3},
		{"pasted log line in a post", corpus.Document{ID: "w4", Kind: corpus.KindThread, Title: "Log", Posts: []corpus.Post{{Body: strings.Repeat("x", 10000)}}}, FieldPosts, 2 * passageMaxLen, passageMaxLen / 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			found := false
			for _, p := range SplitPassages(&tt.doc) {
				if !utf8.ValidString(p.Text) {
					t.Errorf("passage %s is not valid UTF-8 (cut inside a rune)", p.ID)
				}
				if len(p.Text) > tt.maxLen {
					t.Errorf("passage %s: got %d bytes; want at most %d", p.ID, len(p.Text), tt.maxLen)
				}
				if p.Field == tt.field {
					found = true
					if n := utf8.RuneCountInString(p.Text); n < tt.minRune {
						t.Errorf("passage %s: got %d runes; want at least %d (truncated too hard)", p.ID, n, tt.minRune)
					}
				}
			}
			if !found {
				t.Errorf("no %s passage", tt.field)
			}
		})
	}
}
