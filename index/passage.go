package index

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sofort-chat/sofort/corpus"
)

// Field names a passage's origin. They double as the names reported in
// Hit.Fields.
const (
	FieldTitle    = "title"
	FieldQuestion = "question"
	FieldAlt      = "alt_questions"
	FieldAnswer   = "answer"
	FieldBody     = "body"
	FieldAccepted = "accepted_post"
	FieldPosts    = "posts"
	FieldTags     = "tags"
)

// fieldCode names a passage's field inside its id, so the hot search path
// can tell question-side from answer-side passages without a lookup.
var fieldCode = map[string]string{
	FieldTitle: "t", FieldQuestion: "q", FieldAlt: "l", FieldAnswer: "a",
	FieldBody: "b", FieldAccepted: "c", FieldPosts: "p",
}

// fieldOfPassage reads the field back from a passage id.
func fieldOfPassage(pid string) string {
	i := strings.LastIndexByte(pid, '#')
	if i < 0 || i+1 >= len(pid) {
		return ""
	}
	for f, c := range fieldCode {
		if pid[i+1:i+2] == c {
			return f
		}
	}
	return ""
}

// Passage is a piece of a document small enough to embed and to show as a
// snippet. A document's vector hit is its best passage.
type Passage struct {
	ID    string // docID + "#" + field code + ordinal; stable for the same content
	DocID string
	Field string
	Text  string
}

// passageWords is the target passage length. Around 100 words keeps a
// passage on one topic in support texts and short enough for a snippet,
// while long enough to carry context for the embedder.
const (
	passageWords  = 100
	passageMaxLen = 1600 // bytes; bounds very long "words" such as pasted logs
)

// SplitPassages cuts d into passages: the question side (title/question and
// each alternative phrasing, one passage each, because each is a complete
// way to ask) and the answer side (answer, body and posts, cut into
// word windows at sentence ends where possible).
func SplitPassages(d *corpus.Document) []Passage {
	var out []Passage
	add := func(field, text string) {
		text = strings.TrimSpace(text)
		if text == "" {
			return
		}
		out = append(out, Passage{
			ID:    d.ID + "#" + fieldCode[field] + strconv.Itoa(len(out)),
			DocID: d.ID,
			Field: field,
			Text:  text,
		})
	}
	q := d.Question
	switch {
	case q == "":
		q = d.Title
	case d.Title != "" && !strings.EqualFold(strings.TrimRight(d.Title, "?!. "), strings.TrimRight(q, "?!. ")):
		q = d.Title + ". " + q
	}
	field := FieldQuestion
	if d.Question == "" {
		field = FieldTitle
	}
	for _, c := range chunk(q) {
		add(field, c)
	}
	for _, a := range d.AltQuestions {
		add(FieldAlt, truncate(a, passageMaxLen))
	}
	for _, c := range chunk(d.Answer) {
		add(FieldAnswer, c)
	}
	for _, c := range chunk(d.Body) {
		add(FieldBody, c)
	}
	for _, p := range d.Posts {
		f := FieldPosts
		if p.Accepted {
			f = FieldAccepted
		}
		for _, c := range chunk(p.Body) {
			add(f, c)
		}
	}
	return out
}

// chunk splits text into windows of about passageWords words, preferring to
// end a window at a sentence end once it is at least half full.
func chunk(text string) []string {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil
	}
	words := strings.Fields(text)
	if len(words) <= passageWords*3/2 {
		return []string{truncate(strings.Join(words, " "), passageMaxLen*2)}
	}
	var out []string
	start := 0
	for start < len(words) {
		end := start + passageWords
		if end >= len(words) || len(words)-end < passageWords/3 {
			end = len(words)
		} else {
			// Walk back to a sentence end, but not below half a window.
			for i := end; i > start+passageWords/2; i-- {
				if endsSentence(words[i-1]) {
					end = i
					break
				}
			}
		}
		out = append(out, truncate(strings.Join(words[start:end], " "), passageMaxLen))
		start = end
	}
	return out
}

func endsSentence(w string) bool {
	r, _ := utf8.DecodeLastRuneInString(w)
	return r == '.' || r == '?' || r == '!' || r == ':'
}

// truncate cuts s to at most n bytes at a rune boundary, preferring a space.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if sp := strings.LastIndexFunc(s[:cut], unicode.IsSpace); sp > n/2 {
		cut = sp
	}
	return strings.TrimSpace(s[:cut])
}
