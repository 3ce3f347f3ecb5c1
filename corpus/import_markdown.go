package corpus

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// frontMatter is the YAML header of a Markdown document. The Markdown body
// supplies the answer (faq) or body (article, thread), so neither is a key.
type frontMatter struct {
	ID           string     `yaml:"id"`
	Kind         string     `yaml:"kind"`
	Lang         string     `yaml:"lang"`
	Title        string     `yaml:"title"`
	Question     string     `yaml:"question"`
	AltQuestions stringList `yaml:"alt_questions"`
	URL          string     `yaml:"url"`
	Source       string     `yaml:"source"`
	Tags         stringList `yaml:"tags"`
	Status       string     `yaml:"status"`
	Created      time.Time  `yaml:"created"`
	Posts        []yamlPost `yaml:"posts"`

	// Keys of static site generators (Hugo, Jekyll), so a help centre's
	// Markdown sources import as they are.
	Date       time.Time  `yaml:"date"`       // created, when created is not set
	Draft      bool       `yaml:"draft"`      // status draft, when status is not set
	Categories stringList `yaml:"categories"` // added to tags
}

type yamlPost struct {
	Author   string    `yaml:"author"`
	Body     string    `yaml:"body"`
	Accepted bool      `yaml:"accepted"`
	Votes    int       `yaml:"votes"`
	Created  time.Time `yaml:"created"`
}

const (
	frontMatterKeys = "id, kind, lang, title, question, alt_questions, url, source, tags, status, created, posts"
	// siteKeys are read (date, draft, categories) or accepted and ignored
	// (the rest): they describe a page of a static site, not its content.
	siteKeys = "date, draft, categories, lastmod, description, summary, slug, weight, aliases, author, authors, layout, menu, toc, keywords"
	postKeys = "author, body, accepted, votes, created"
)

// stringList accepts a YAML list or, for a single value, a plain string
// ("tags: billing").
type stringList []string

func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = stringList{n.Value}
		return nil
	}
	var v []string
	if err := n.Decode(&v); err != nil {
		return err
	}
	*l = v
	return nil
}

// ReadMarkdown reads one Markdown file with optional YAML front matter
// between "---" lines. The front matter holds the fields (id, kind, lang,
// title, question, alt_questions, url, source, tags, status, created,
// posts); the Markdown body becomes the answer of an faq and the body of
// an article or thread. id is the document id unless the front matter sets
// one; kind defaults to article; a missing title is taken from a leading
// "# Heading". name labels positions in messages.
//
// A broken file (unclosed or malformed front matter, an unknown key, a bad
// value, more than MaxRecordBytes, not UTF-8) comes back as a Record with
// Err and the line at fault. The error is for read failures only.
func ReadMarkdown(r io.Reader, name, id string) (Record, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxRecordBytes+1))
	if err != nil {
		return Record{}, fmt.Errorf("%s: %w", name, err)
	}
	rec := Record{File: name, Line: 1}
	rec.Doc, rec.Line, rec.Err = parseMarkdown(data, id)
	return rec, nil
}

func parseMarkdown(data []byte, id string) (Document, int, error) {
	if len(data) > MaxRecordBytes {
		return Document{}, 1, fmt.Errorf("file larger than %d MiB", MaxRecordBytes>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if why, at := badText(data); why != "" {
		return Document{}, 1 + bytes.Count(data[:at], []byte("\n")), errors.New(why)
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	lines := strings.SplitAfter(text, "\n")

	var fm frontMatter
	keyLine := map[string]int{}
	body := text
	if len(lines) > 0 && strings.TrimRight(lines[0], " \t\n") == "---" {
		end := -1
		for i := 1; i < len(lines); i++ {
			if l := strings.TrimRight(lines[i], " \t\n"); l == "---" || l == "..." {
				end = i
				break
			}
		}
		if end < 0 {
			return Document{}, 1, errors.New(`front matter opened on line 1 is never closed (want a line "---")`)
		}
		// Front matter text starts on file line 2.
		if line, err := decodeFrontMatter(strings.Join(lines[1:end], ""), &fm, keyLine); err != nil {
			return Document{}, line + 1, err
		}
		for k, l := range keyLine {
			keyLine[k] = l + 1
		}
		body = strings.Join(lines[end+1:], "")
	}

	d := Document{
		ID: fm.ID, Kind: Kind(fm.Kind), Lang: fm.Lang, Title: fm.Title, Question: fm.Question,
		AltQuestions: fm.AltQuestions, URL: fm.URL, Source: fm.Source, Tags: fm.Tags,
		Status: Status(fm.Status), Created: fm.Created,
	}
	if d.Created.IsZero() {
		d.Created = fm.Date
	}
	if d.Status == "" && fm.Draft {
		d.Status = StatusDraft
	}
	for _, c := range fm.Categories {
		if !slices.Contains(d.Tags, c) {
			d.Tags = append(d.Tags, c)
		}
	}
	for _, p := range fm.Posts {
		d.Posts = append(d.Posts, Post(p))
	}
	if d.ID == "" {
		d.ID = id
	}
	if strings.TrimSpace(string(d.Kind)) == "" {
		d.Kind = KindArticle
	}
	if d.Title == "" {
		d.Title = leadingHeading(body)
	}
	if Kind(strings.ToLower(strings.TrimSpace(string(d.Kind)))) == KindFAQ {
		d.Answer = body
	} else {
		d.Body = body
	}
	if err := finish(&d); err != nil {
		return d, faultLine(err, keyLine), err
	}
	return d, 1, nil
}

// faultLine returns the line of the front matter key a validation error
// is about, or 1 when it is about the document as a whole.
func faultLine(err error, keyLine map[string]int) int {
	for _, c := range [...]struct{ phrase, key string }{
		{"unknown kind", "kind"},
		{"unknown status", "status"},
		{": lang ", "lang"},
		{" alt_questions, at most", "alt_questions"},
		{" posts, at most", "posts"},
		{"id longer than", "id"},
		{"contains control characters", "id"},
		{"field title", "title"},
		{"field question", "question"},
	} {
		if l, ok := keyLine[c.key]; ok && strings.Contains(err.Error(), c.phrase) {
			return l
		}
	}
	return 1
}

// decodeFrontMatter decodes src into fm, recording the line of each key.
// On failure it returns the 1-based line within src at fault.
func decodeFrontMatter(src string, fm *frontMatter, keyLine map[string]int) (int, error) {
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(src), &root); err != nil {
		return yamlErrorLine(err)
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return 0, nil // empty front matter
	}
	m := root.Content[0]
	if m.Kind != yaml.MappingNode {
		return m.Line, errors.New("front matter must be a mapping of keys to values")
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if !strings.Contains(", "+frontMatterKeys+", "+siteKeys+", ", ", "+k.Value+", ") {
			hint := ""
			if k.Value == "answer" || k.Value == "body" {
				hint = "; the Markdown below the front matter is the " + k.Value
			}
			return k.Line, fmt.Errorf("unknown front matter key %q (known: %s)%s", k.Value, frontMatterKeys, hint)
		}
		if l, dup := keyLine[k.Value]; dup {
			return k.Line, fmt.Errorf("front matter key %q repeats line %d", k.Value, l+1)
		}
		keyLine[k.Value] = k.Line
		if k.Value == "posts" && v.Kind == yaml.SequenceNode {
			for _, p := range v.Content {
				if p.Kind != yaml.MappingNode {
					continue // Decode below reports the type
				}
				for j := 0; j < len(p.Content); j += 2 {
					pk := p.Content[j]
					if !strings.Contains(", "+postKeys+", ", ", "+pk.Value+", ") {
						return pk.Line, fmt.Errorf("unknown post key %q (known: %s)", pk.Value, postKeys)
					}
				}
			}
		}
	}
	if err := m.Decode(fm); err != nil {
		return yamlErrorLine(err)
	}
	return 0, nil
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlErrorLine pulls the line out of a yaml.v3 error ("yaml: line 3:
// ...", or the first of a TypeError's "line 3: ...").
func yamlErrorLine(err error) (int, error) {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		if strings.HasPrefix(m[2], "did not find expected") {
			// yaml.v3 numbers its parser errors (unlike its scanner
			// errors) from 0.
			n++
		}
		return n, fmt.Errorf("front matter: %s", m[2])
	}
	return 1, fmt.Errorf("front matter: %s", strings.TrimPrefix(msg, "yaml: "))
}

// leadingHeading returns the text of a first "# " heading, or "".
func leadingHeading(body string) string {
	for _, l := range strings.Split(body, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if t, ok := strings.CutPrefix(l, "# "); ok {
			return strings.TrimSpace(t)
		}
		return ""
	}
	return ""
}
