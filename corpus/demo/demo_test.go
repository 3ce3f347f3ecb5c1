package demo

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sofort-chat/sofort/corpus"
)

func load(t *testing.T) []corpus.Document {
	t.Helper()
	docs, err := Documents()
	if err != nil {
		t.Fatalf("Documents: %v", err)
	}
	return docs
}

// TestEveryLineDecodes reads the file from disk rather than trusting
// Documents alone, so a line that decode skipped would show up as a count
// mismatch.
func TestEveryLineDecodes(t *testing.T) {
	raw, err := os.ReadFile(fileName)
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	for i, line := range strings.Split(string(raw), "\n") {
		if line == "" {
			continue
		}
		lines++
		if _, err := decodeLine(line); err != nil {
			t.Errorf("line %d: %v", i+1, err)
		}
	}
	if got := len(load(t)); got != lines {
		t.Errorf("Documents returned %d documents; want %d (one per non-empty line)", got, lines)
	}
}

func TestCounts(t *testing.T) {
	docs := load(t)
	published := make(map[corpus.Kind]map[string]int)
	for _, d := range docs {
		if d.Status != corpus.StatusPublished {
			continue
		}
		if published[d.Kind] == nil {
			published[d.Kind] = make(map[string]int)
		}
		published[d.Kind][d.Lang]++
	}
	tests := []struct {
		name string
		kind corpus.Kind
		lang string // "" sums all languages
		min  int
	}{
		{"faq total", corpus.KindFAQ, "", 50},
		{"faq de", corpus.KindFAQ, "de", 25},
		{"faq en", corpus.KindFAQ, "en", 25},
		{"thread total", corpus.KindThread, "", 24},
		{"thread de", corpus.KindThread, "de", 12},
		{"thread en", corpus.KindThread, "en", 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := 0
			for lang, n := range published[tt.kind] {
				if tt.lang == "" || lang == tt.lang {
					got += n
				}
			}
			if got < tt.min {
				t.Errorf("published %s documents in %q: got %d; want at least %d", tt.kind, tt.lang, got, tt.min)
			}
		})
	}
	for kind, byLang := range published {
		for lang := range byLang {
			if lang != "de" && lang != "en" {
				t.Errorf("published %s in lang %q; want only de and en", kind, lang)
			}
		}
	}
}

func TestStatuses(t *testing.T) {
	count := make(map[corpus.Status]int)
	for _, d := range load(t) {
		count[d.Status]++
	}
	if got := count[corpus.StatusRetired]; got < 2 {
		t.Errorf("retired documents: got %d; want at least 2", got)
	}
	if got := count[corpus.StatusDraft]; got != 1 {
		t.Errorf("draft documents: got %d; want 1", got)
	}
}

func TestIDsUniqueAndWellFormed(t *testing.T) {
	seen := make(map[string]bool)
	for _, d := range load(t) {
		if seen[d.ID] {
			t.Errorf("id %s used twice", d.ID)
		}
		seen[d.ID] = true
		if prefix := string(d.Kind) + "-" + d.Lang + "-"; !strings.HasPrefix(d.ID, prefix) {
			t.Errorf("id %s: want prefix %q matching kind and lang", d.ID, prefix)
		}
	}
}

func TestTitlesUnique(t *testing.T) {
	seen := make(map[string]string) // lower-cased title -> id
	for _, d := range load(t) {
		if d.Title == "" {
			t.Errorf("id %s: empty title", d.ID)
			continue
		}
		key := strings.ToLower(d.Title)
		if other, ok := seen[key]; ok {
			t.Errorf("title %q used by %s and %s", d.Title, other, d.ID)
		}
		seen[key] = d.ID
	}
}

func TestURLs(t *testing.T) {
	wantHost := map[corpus.Kind]string{
		corpus.KindFAQ:    "hilfe.funkfuchs.example",
		corpus.KindThread: "community.funkfuchs.example",
	}
	seen := make(map[string]string)
	for _, d := range load(t) {
		u, err := url.Parse(d.URL)
		if err != nil {
			t.Errorf("id %s: url %q: %v", d.ID, d.URL, err)
			continue
		}
		if u.Scheme != "https" || !strings.HasSuffix(u.Hostname(), ".example") {
			t.Errorf("id %s: url %q: want https on a .example host", d.ID, d.URL)
		}
		if got := u.Hostname(); got != wantHost[d.Kind] {
			t.Errorf("id %s: host %q; want %q", d.ID, got, wantHost[d.Kind])
		}
		if other, ok := seen[d.URL]; ok {
			t.Errorf("url %s used by %s and %s", d.URL, other, d.ID)
		}
		seen[d.URL] = d.ID
	}
}

func TestFAQs(t *testing.T) {
	wantSource := map[string]string{"de": "Hilfe-Center", "en": "Help Centre"}
	for _, d := range load(t) {
		if d.Kind != corpus.KindFAQ {
			continue
		}
		t.Run(d.ID, func(t *testing.T) {
			if d.Question == "" || d.Answer == "" {
				t.Errorf("question %q, answer %q: want both", d.Question, d.Answer)
			}
			if n := len(d.AltQuestions); n < 1 || n > 4 {
				t.Errorf("got %d alt_questions; want 1 to 4", n)
			}
			if len(d.Tags) == 0 {
				t.Error("no tags")
			}
			if len(d.Posts) != 0 {
				t.Errorf("got %d posts; want none on an FAQ", len(d.Posts))
			}
			if d.Source != wantSource[d.Lang] {
				t.Errorf("source %q; want %q", d.Source, wantSource[d.Lang])
			}
		})
	}
}

func TestThreads(t *testing.T) {
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	long := 0
	for _, d := range load(t) {
		if d.Kind != corpus.KindThread {
			continue
		}
		if len(d.Posts) >= 6 {
			long++
		}
		t.Run(d.ID, func(t *testing.T) {
			if d.Question == "" || d.Source != "Community" || len(d.Tags) == 0 {
				t.Errorf("question %q, source %q, tags %v: want a question, source Community and tags", d.Question, d.Source, d.Tags)
			}
			if len(d.Posts) < 2 {
				t.Errorf("got %d posts; want at least 2", len(d.Posts))
			}
			accepted := 0
			prev := d.Created
			if prev.Before(from) || !prev.Before(to) {
				t.Errorf("created %v; want a time in 2025 or 2026", prev)
			}
			for i, p := range d.Posts {
				if p.Accepted {
					accepted++
				}
				if p.Author == "" || strings.TrimSpace(p.Body) == "" {
					t.Errorf("post %d: author %q, body %q: want both", i, p.Author, p.Body)
				}
				if !p.Created.After(prev) || !p.Created.Before(to) {
					t.Errorf("post %d: created %v; want after %v and in 2025 or 2026", i, p.Created, prev)
				}
				prev = p.Created
			}
			if accepted != 1 {
				t.Errorf("got %d accepted posts; want exactly 1", accepted)
			}
			if !d.Updated.Equal(prev) {
				t.Errorf("updated %v; want the last post's time %v", d.Updated, prev)
			}
		})
	}
	if long < 3 {
		t.Errorf("threads with 6 or more posts: got %d; want at least 3", long)
	}
}

// TestMarkupFixtures keeps the documents that rendering tests rely on: text
// with HTML in it that must be shown, never executed.
func TestMarkupFixtures(t *testing.T) {
	n := 0
	for _, d := range load(t) {
		if d.Status == corpus.StatusPublished && strings.Contains(d.Text(), "<script>") {
			n++
		}
	}
	if n < 2 {
		t.Errorf("published documents containing <script>: got %d; want at least 2", n)
	}
}

func TestDocumentsAreFresh(t *testing.T) {
	first := load(t)
	first[0].Title = "changed"
	first[0].Tags[0] = "changed"
	second := load(t)
	if second[0].Title == "changed" || second[0].Tags[0] == "changed" {
		t.Error("a change to one call's result showed up in the next call")
	}
}

func TestNameAndVersion(t *testing.T) {
	if Name() == "" {
		t.Error("Name() is empty")
	}
	raw, err := os.ReadFile(fileName)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	if got, want := Version(), hex.EncodeToString(sum[:])[:16]; got != want {
		t.Errorf("Version() = %s; want %s (SHA-256 prefix of %s)", got, want, fileName)
	}
}

func TestDecode(t *testing.T) {
	const ok = `{"id":"faq-de-a","kind":"faq","lang":"de","question":"Frage?"}`
	tests := []struct {
		name    string
		src     string
		wantN   int
		wantErr string // substring; "" means success
	}{
		{"two documents and blank lines", ok + "\n\n" + `{"id":"faq-en-b","kind":"FAQ ","answer":"x"}` + "\n", 2, ""},
		{"malformed json", ok + "\n{\"id\":", 0, "demo.jsonl:2:"},
		{"unknown field", `{"id":"x","kind":"faq","title":"t","alt_question":["y"]}`, 0, `demo.jsonl:1: invalid document: json: unknown field "alt_question"`},
		{"unknown kind", ok + "\n" + `{"id":"y","kind":"wiki","title":"t"}`, 0, `demo.jsonl:2: invalid document: id y: unknown kind "wiki"`},
		{"missing id", `{"kind":"faq","title":"t"}`, 0, "demo.jsonl:1: invalid document: missing id"},
		{"no text", `{"id":"x","kind":"thread"}`, 0, "demo.jsonl:1: invalid document: id x: no text"},
		{"trailing data", ok + ` {"id":"z"}`, 0, "demo.jsonl:1: invalid document: data after the document"},
		{"duplicate id", ok + "\n\n" + ok, 0, "demo.jsonl:3: invalid document: id faq-de-a already used on line 1"},
		{"bad time", `{"id":"x","kind":"thread","title":"t","posts":[{"body":"b","created":"yesterday"}]}`, 0, "demo.jsonl:1: invalid document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := decode(tt.src)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got error %v; want none", err)
				}
			} else {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v; want one containing %q", err, tt.wantErr)
				}
				if !errors.Is(err, corpus.ErrInvalid) {
					t.Errorf("error %v does not wrap corpus.ErrInvalid", err)
				}
			}
			if len(docs) != tt.wantN {
				t.Errorf("got %d documents; want %d", len(docs), tt.wantN)
			}
			for _, d := range docs {
				if d.Status != corpus.StatusPublished || d.Kind != corpus.KindFAQ {
					t.Errorf("id %s: status %q, kind %q; want normalised published faq", d.ID, d.Status, d.Kind)
				}
			}
		})
	}
}
