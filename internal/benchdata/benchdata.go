// Package benchdata generates realistic documents and questions for
// sofort's benchmarks. Latency and index size depend on the text: how long
// fields are, how many terms are shared, how many passages a document
// splits into. Random words would make posting lists and vectors unlike
// real ones, so the generator recombines real public text instead: the
// questions, alternative phrasings and answer sentences of the evaluation
// suites (German and English FAQ entries, customer-service intents) become
// new FAQ entries and community threads with varied ids. Benchmark
// questions are the suites' real dev questions.
//
// Output is deterministic in the seed, and document i is the same whatever
// n is, so a small corpus is a prefix of a large one.
package benchdata

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Version changes whenever the generator's output changes, so benchmark
// indexes cached on disk from older output are rebuilt.
const Version = "1"

// Entry is one source document whose parts the generator recombines.
type Entry struct {
	Lang string
	// Questions are the ways of asking: title, question and alternative
	// phrasings.
	Questions []string
	// Text is the answer side (answer, body, posts); it is cut into
	// sentences.
	Text string
	Tags []string
}

// Query is one benchmark question.
type Query struct {
	Text string
	Lang string
	// Suite names where the question came from; queries are mixed across
	// suites.
	Suite string
}

// Pool is the material documents are generated from.
type Pool struct {
	// Source says where the material came from, for benchmark logs.
	Source  string
	langs   []string // sorted, for determinism
	byLang  map[string]*langPool
	queries []Query
}

type langPool struct {
	entries   []entry
	questions []string // every question, for alternative phrasings and posts
	sentences []string // every answer sentence
	tags      []string
}

type entry struct {
	questions []string
	sentences []string
}

// NewPool builds a pool from entries and queries. Entries without a
// question, and languages without answer sentences, are left out: they
// cannot make a document. It fails if nothing usable is left.
func NewPool(source string, entries []Entry, queries []Query) (*Pool, error) {
	p := &Pool{Source: source, byLang: map[string]*langPool{}}
	tagSeen := map[string]bool{}
	for _, e := range entries {
		qs := nonEmpty(e.Questions)
		if len(qs) == 0 || e.Lang == "" {
			continue
		}
		lp := p.byLang[e.Lang]
		if lp == nil {
			lp = &langPool{}
			p.byLang[e.Lang] = lp
		}
		ss := Sentences(e.Text)
		lp.entries = append(lp.entries, entry{questions: qs, sentences: ss})
		lp.questions = append(lp.questions, qs...)
		lp.sentences = append(lp.sentences, ss...)
		for _, t := range e.Tags {
			if t = strings.TrimSpace(t); t != "" && !tagSeen[e.Lang+"\x00"+t] {
				tagSeen[e.Lang+"\x00"+t] = true
				lp.tags = append(lp.tags, t)
			}
		}
	}
	for lang, lp := range p.byLang {
		if len(lp.sentences) == 0 {
			delete(p.byLang, lang)
			continue
		}
		p.langs = append(p.langs, lang)
	}
	sort.Strings(p.langs)
	if len(p.langs) == 0 {
		return nil, fmt.Errorf("benchdata: %s: no language has both questions and answer text", source)
	}
	p.queries = interleave(queries)
	if len(p.queries) == 0 {
		return nil, fmt.Errorf("benchdata: %s: no queries", source)
	}
	return p, nil
}

// Languages returns the languages documents are generated in.
func (p *Pool) Languages() []string { return append([]string(nil), p.langs...) }

// Queries returns the benchmark questions, alternating languages (and
// within a language the suites they came from), so any prefix is a mix.
func (p *Pool) Queries() []Query { return append([]Query(nil), p.queries...) }

// interleave orders queries round-robin over languages and, within a
// language, over suites, keeping each suite's order: any prefix is a mix,
// and a large suite does not crowd out a small one.
func interleave(qs []Query) []Query {
	perLang := map[string][]Query{}
	var langs []string
	suites := map[string][][]Query{} // lang → its suites' queries
	suiteIdx := map[[2]string]int{}
	for _, q := range qs {
		if strings.TrimSpace(q.Text) == "" {
			continue
		}
		if _, ok := suites[q.Lang]; !ok {
			langs = append(langs, q.Lang)
			suites[q.Lang] = nil
		}
		k := [2]string{q.Lang, q.Suite}
		i, ok := suiteIdx[k]
		if !ok {
			i = len(suites[q.Lang])
			suiteIdx[k] = i
			suites[q.Lang] = append(suites[q.Lang], nil)
		}
		suites[q.Lang][i] = append(suites[q.Lang][i], q)
	}
	sort.Strings(langs)
	for _, l := range langs {
		perLang[l] = roundRobin(suites[l])
	}
	lists := make([][]Query, len(langs))
	for i, l := range langs {
		lists[i] = perLang[l]
	}
	return roundRobin(lists)
}

func roundRobin(lists [][]Query) []Query {
	var out []Query
	for i := 0; ; i++ {
		added := false
		for _, l := range lists {
			if i < len(l) {
				out = append(out, l[i])
				added = true
			}
		}
		if !added {
			return out
		}
	}
}

// suiteRecord is the part of the evaluation formats the generator reads:
// corpus.jsonl documents and dev.jsonl cases.
type suiteRecord struct {
	Lang         string   `json:"lang"`
	Title        string   `json:"title"`
	Question     string   `json:"question"`
	AltQuestions []string `json:"alt_questions"`
	Answer       string   `json:"answer"`
	Body         string   `json:"body"`
	Posts        []struct {
		Body string `json:"body"`
	} `json:"posts"`
	Tags  []string `json:"tags"`
	Query string   `json:"query"`
}

// placeholderPrefix marks the intent suites' stand-in answers ("Answer for
// the 'x' request."); they are not text anyone wrote, so those suites
// contribute their phrasings only.
const placeholderPrefix = "Answer for the '"

// LoadSuites reads every suite under dir: dir/*/corpus.jsonl for entries
// and dir/*/dev.jsonl for queries. It returns an error wrapping
// fs.ErrNotExist when dir holds no suite, so callers can fall back to
// other material, and an error naming the file and line for unreadable
// input.
func LoadSuites(dir string) (*Pool, error) {
	corpora, err := filepath.Glob(filepath.Join(dir, "*", "corpus.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("benchdata: %w", err)
	}
	if len(corpora) == 0 {
		return nil, fmt.Errorf("benchdata: no */corpus.jsonl in %s: %w", dir, fs.ErrNotExist)
	}
	sort.Strings(corpora)
	var entries []Entry
	var queries []Query
	var names []string
	for _, path := range corpora {
		suiteDir := filepath.Dir(path)
		names = append(names, filepath.Base(suiteDir))
		err := readJSONL(path, func(r suiteRecord) {
			e := Entry{Lang: r.Lang, Tags: r.Tags}
			e.Questions = append(e.Questions, r.Question)
			if r.Title != r.Question {
				e.Questions = append(e.Questions, r.Title)
			}
			e.Questions = append(e.Questions, r.AltQuestions...)
			var text []string
			if !strings.HasPrefix(r.Answer, placeholderPrefix) {
				text = append(text, r.Answer)
			}
			text = append(text, r.Body)
			for _, p := range r.Posts {
				text = append(text, p.Body)
			}
			e.Text = strings.Join(nonEmpty(text), "\n")
			entries = append(entries, e)
		})
		if err != nil {
			return nil, err
		}
		dev := filepath.Join(suiteDir, "dev.jsonl")
		if _, err := os.Stat(dev); err != nil {
			continue
		}
		suite := filepath.Base(suiteDir)
		if err := readJSONL(dev, func(r suiteRecord) {
			queries = append(queries, Query{Text: r.Query, Lang: r.Lang, Suite: suite})
		}); err != nil {
			return nil, err
		}
	}
	return NewPool(dir+" ("+strings.Join(names, ", ")+")", entries, queries)
}

func readJSONL(path string, fn func(suiteRecord)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("benchdata: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(strings.TrimSpace(string(b))) == 0 {
			continue
		}
		var r suiteRecord
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("benchdata: %s:%d: %w", path, line, err)
		}
		fn(r)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("benchdata: read %s: %w", path, err)
	}
	return nil
}

func nonEmpty(xs []string) []string {
	var out []string
	for _, x := range xs {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// Sentences cuts text at sentence ends (., ?, ! or : followed by space and
// an upper-case letter, digit or quote) and at line breaks. Fragments of
// fewer than three words, such as list bullets, are dropped.
func Sentences(text string) []string {
	var out []string
	add := func(s string) {
		s = strings.Join(strings.Fields(s), " ")
		if len(strings.Fields(s)) >= 3 {
			out = append(out, s)
		}
	}
	for _, line := range strings.Split(text, "\n") {
		start := 0
		for i := 0; i < len(line); {
			r, size := utf8.DecodeRuneInString(line[i:])
			i += size
			if r != '.' && r != '?' && r != '!' {
				continue
			}
			j := i
			for j < len(line) && line[j] == ' ' {
				j++
			}
			if j == i || j >= len(line) {
				continue
			}
			next, _ := utf8.DecodeRuneInString(line[j:])
			if unicode.IsUpper(next) || unicode.IsDigit(next) || next == '"' || next == '„' || next == '(' {
				add(line[start:i])
				start = j
				i = j
			}
		}
		add(line[start:])
	}
	return out
}
