package benchdata

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Shape of the generated corpus. The proportions follow what a support
// site of a small company holds: mostly FAQ entries of a paragraph or two
// with a few alternative phrasings, and community threads of a handful of
// posts.
const (
	threadShare = 0.3 // of all documents
	// qualifierShare of questions name a product or plan, which makes
	// near-identical questions distinct documents, as real help centres
	// have one entry per product.
	qualifierShare = 0.5
)

// doc is the JSONL import format (see corpus.Document); the package cannot
// import corpus, so it writes what the importer reads.
type doc struct {
	ID           string   `json:"id"`
	Kind         string   `json:"kind"`
	Lang         string   `json:"lang"`
	Title        string   `json:"title,omitempty"`
	Question     string   `json:"question,omitempty"`
	Answer       string   `json:"answer,omitempty"`
	Body         string   `json:"body,omitempty"`
	AltQuestions []string `json:"alt_questions,omitempty"`
	Posts        []post   `json:"posts,omitempty"`
	URL          string   `json:"url,omitempty"`
	Source       string   `json:"source,omitempty"`
	Tags         []string `json:"tags,omitempty"`
	Created      string   `json:"created,omitempty"`
}

type post struct {
	Author   string `json:"author,omitempty"`
	Body     string `json:"body"`
	Accepted bool   `json:"accepted,omitempty"`
	Votes    int    `json:"votes,omitempty"`
	Created  string `json:"created,omitempty"`
}

// WriteJSONL writes n generated documents, one JSON object a line, in the
// format corpus.Import reads. It returns the first write error.
func (p *Pool) WriteJSONL(w io.Writer, n int, seed uint64) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := range n {
		if err := enc.Encode(p.document(i, seed)); err != nil {
			return fmt.Errorf("benchdata: write document %d: %w", i, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("benchdata: write: %w", err)
	}
	return nil
}

// epoch anchors generated timestamps, so output does not depend on the
// clock.
var epoch = time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)

// document generates document i. It depends only on the pool, seed and i.
func (p *Pool) document(i int, seed uint64) doc {
	rng := rand.New(rand.NewPCG(seed, uint64(i)))
	lang := p.langs[rng.IntN(len(p.langs))]
	lp := p.byLang[lang]
	e := lp.entries[rng.IntN(len(lp.entries))]
	created := epoch.Add(time.Duration(rng.IntN(4*365*24)) * time.Hour)
	d := doc{Lang: lang, Created: created.Format(time.RFC3339)}
	q := e.questions[rng.IntN(len(e.questions))]
	if rng.Float64() < qualifierShare {
		q = qualify(rng, lang, q)
	}
	if len(lp.tags) > 0 {
		for range rng.IntN(4) {
			d.Tags = append(d.Tags, lp.tags[rng.IntN(len(lp.tags))])
		}
	}
	if rng.Float64() < threadShare {
		p.thread(rng, &d, i, lp, e, q, created)
		return d
	}
	d.Kind = "faq"
	d.Question = q
	switch r := rng.Float64(); {
	case r < 0.6:
		d.Title = q
	case r < 0.8:
		d.Title = shortTitle(q)
	}
	d.AltQuestions = alternatives(rng, lp, e, q)
	d.Answer = strings.Join(answer(rng, lp, e, 1+rng.IntN(7)), " ")
	d.ID, d.URL = faqID(rng, i, lang, q)
	d.Source = map[string]string{"de": "Hilfe-Center", "en": "Help Centre"}[lang]
	if d.Source == "" {
		d.Source = "Help Centre"
	}
	return d
}

func (p *Pool) thread(rng *rand.Rand, d *doc, i int, lp *langPool, e entry, q string, created time.Time) {
	d.Kind = "thread"
	d.Title = q
	// The opening post restates the problem with some context.
	body := []string{q}
	body = append(body, answer(rng, lp, entry{}, rng.IntN(3))...)
	d.Body = strings.Join(body, " ")
	n := 1 + rng.IntN(6)
	accepted := -1
	if rng.Float64() < 0.5 {
		accepted = rng.IntN(n)
	}
	at := created
	for j := range n {
		at = at.Add(time.Duration(1+rng.IntN(72)) * time.Hour)
		var sents []string
		if rng.Float64() < 0.15 {
			// A follow-up question ("me too", "does this also work for…").
			sents = append(sents, lp.questions[rng.IntN(len(lp.questions))])
		}
		// The accepted answer draws on the entry's own answer, the others
		// mostly on anything.
		src := entry{}
		if j == accepted {
			src = e
		}
		sents = append(sents, answer(rng, lp, src, 1+rng.IntN(4))...)
		d.Posts = append(d.Posts, post{
			Author:   "user" + strconv.Itoa(rng.IntN(50000)),
			Body:     strings.Join(sents, " "),
			Accepted: j == accepted,
			Votes:    rng.IntN(20),
			Created:  at.Format(time.RFC3339),
		})
	}
	num := 10000 + i*7 + rng.IntN(7)
	switch rng.IntN(3) {
	case 0:
		d.ID = "forum/t/" + strconv.Itoa(num)
	case 1:
		d.ID = "community/" + d.Lang + "/thread-" + strconv.Itoa(num) + "-" + slug(q, 5)
	default:
		d.ID = "discussions/" + strconv.FormatInt(int64(num), 36)
	}
	d.URL = "https://community.example.com/" + d.ID
	d.Source = "Community"
}

// alternatives picks other phrasings of the same entry when it has them
// (the intent suites have about a hundred), else other questions of the
// language. Most entries have none or a few, some many.
func alternatives(rng *rand.Rand, lp *langPool, e entry, q string) []string {
	var n int
	switch r := rng.Float64(); {
	case r < 0.4:
		return nil
	case r < 0.85:
		n = 1 + rng.IntN(3)
	default:
		n = 4 + rng.IntN(7)
	}
	out := make([]string, 0, n)
	for range n {
		pool := e.questions
		if len(pool) < 3 {
			pool = lp.questions
		}
		if a := pool[rng.IntN(len(pool))]; a != q {
			out = append(out, a)
		}
	}
	return out
}

// answer returns n sentences: a run from the entry's own answer (in order,
// as written), topped up from anywhere in the language.
func answer(rng *rand.Rand, lp *langPool, e entry, n int) []string {
	out := make([]string, 0, n)
	if len(e.sentences) > 0 {
		start := rng.IntN(len(e.sentences))
		for j := start; j < len(e.sentences) && len(out) < n; j++ {
			out = append(out, e.sentences[j])
		}
	}
	for len(out) < n {
		out = append(out, lp.sentences[rng.IntN(len(lp.sentences))])
	}
	return out
}

func faqID(rng *rand.Rand, i int, lang, q string) (id, url string) {
	switch rng.IntN(3) {
	case 0:
		id = "faq/" + lang + "/" + slug(q, 6) + "-" + strconv.FormatInt(int64(i), 36)
	case 1:
		id = fmt.Sprintf("kb-%07d", 1000000+i)
	default:
		id = "help/" + lang + "/articles/" + strconv.Itoa(360000000+i*13) + "-" + slug(q, 4)
	}
	return id, "https://help.example.com/" + id
}

// slug keeps the first words of s, folded to lower-case ASCII.
func slug(s string, words int) string {
	r := strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss", "Ä", "ae", "Ö", "oe", "Ü", "ue")
	s = strings.ToLower(r.Replace(s))
	fs := strings.FieldsFunc(s, func(c rune) bool { return c > unicode.MaxASCII || !unicode.IsLetter(c) && !unicode.IsDigit(c) })
	if len(fs) > words {
		fs = fs[:words]
	}
	if len(fs) == 0 {
		return "x"
	}
	return strings.Join(fs, "-")
}

// shortTitle cuts a question to a headline of its first words.
func shortTitle(q string) string {
	ws := strings.Fields(strings.TrimRight(q, "?!. "))
	if len(ws) > 6 {
		ws = ws[:6]
	}
	return strings.Join(ws, " ")
}

// Product and plan names: invented words, so they are rare terms, as real
// product names are.
var (
	syllables = []string{"ka", "lo", "vi", "ra", "ne", "to", "mi", "sa", "fu", "den", "bor", "lin", "tex", "quo", "mar", "zen", "pi", "ros", "dal", "ver"}
	suffixes  = []string{"", " Pro", " Plus", " 5G", " Mini", " Max", " 2", " 3", " S", " XL", " Flex", " Home"}
)

func productName(rng *rand.Rand) string {
	var b strings.Builder
	for j := range 2 + rng.IntN(2) {
		s := syllables[rng.IntN(len(syllables))]
		if j == 0 {
			s = strings.ToUpper(s[:1]) + s[1:]
		}
		b.WriteString(s)
	}
	b.WriteString(suffixes[rng.IntN(len(suffixes))])
	return b.String()
}

// qualify ties a question to a product, the way help centres repeat one
// question per product or plan.
func qualify(rng *rand.Rand, lang, q string) string {
	name := productName(rng)
	base := strings.TrimRight(q, "?!. ")
	switch lang {
	case "de":
		switch rng.IntN(3) {
		case 0:
			return base + " (" + name + ")?"
		case 1:
			return name + ": " + q
		default:
			return base + " beim " + name + "?"
		}
	default:
		switch rng.IntN(3) {
		case 0:
			return base + " (" + name + ")?"
		case 1:
			return name + ": " + q
		default:
			return base + " with " + name + "?"
		}
	}
}
