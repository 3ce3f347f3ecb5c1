package extract

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// structured reads schema.org FAQPage and QAPage data from JSON-LD scripts
// and from microdata. Both are turned into the same generic shape (maps
// with "@type", values single or lists) so one interpretation serves both.
func (e *extractor) structured(doc *html.Node) {
	var items []any
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if n.DataAtom == atom.Script && strings.EqualFold(strings.TrimSpace(attrv(n, "type")), "application/ld+json") {
				var v any
				// A broken JSON-LD block is skipped: the page's other
				// data and its text still count.
				var src strings.Builder
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					if c.Type == html.TextNode {
						src.WriteString(c.Data)
					}
				}
				if json.Unmarshal([]byte(src.String()), &v) == nil {
					items = append(items, v)
				}
				return
			}
			if _, scope := attr(n, "itemscope"); scope {
				if _, prop := attr(n, "itemprop"); !prop {
					items = append(items, e.microdataItem(n))
					return
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	for _, it := range items {
		e.interpret(it)
	}
}

// interpret finds FAQPage and QAPage objects anywhere in v (top level,
// arrays, @graph, nested) and adds what they hold to the page.
func (e *extractor) interpret(v any) {
	switch v := v.(type) {
	case []any:
		for _, x := range v {
			e.interpret(x)
		}
	case map[string]any:
		switch {
		case hasType(v, "FAQPage"):
			for _, q := range all(v, "mainEntity") {
				qm, ok := q.(map[string]any)
				if !ok {
					continue
				}
				qa := QA{Question: text(first(qm, "name"))}
				if qa.Question == "" {
					qa.Question = text(first(qm, "text"))
				}
				ans := first(qm, "acceptedAnswer")
				if ans == nil {
					ans = first(qm, "suggestedAnswer")
				}
				if am, ok := ans.(map[string]any); ok {
					qa.Answer = text(first(am, "text"))
				}
				if qa.Question != "" && qa.Answer != "" {
					e.page.FAQ = append(e.page.FAQ, qa)
				}
			}
		case hasType(v, "QAPage"):
			for _, q := range all(v, "mainEntity") {
				if qm, ok := q.(map[string]any); ok {
					if th, ok := thread(qm); ok {
						e.page.Threads = append(e.page.Threads, th)
					}
				}
			}
		default:
			// FAQPage and QAPage objects turn up under @graph, mainEntity,
			// hasPart, subjectOf, ...: look everywhere, in key order so
			// the result does not depend on map iteration.
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				e.interpret(v[k])
			}
		}
	}
}

func thread(q map[string]any) (Thread, bool) {
	th := Thread{
		Title:    text(first(q, "name")),
		Question: text(first(q, "text")),
		Author:   name(first(q, "author")),
		Votes:    number(first(q, "upvoteCount")),
		Created:  text(first(q, "dateCreated")),
	}
	if th.Title == "" {
		th.Title, th.Question = th.Question, ""
	}
	if th.Title == "" {
		return th, false
	}
	add := func(v any, accepted bool) {
		am, ok := v.(map[string]any)
		if !ok {
			return
		}
		a := Answer{
			Author:   name(first(am, "author")),
			Text:     text(first(am, "text")),
			Votes:    number(first(am, "upvoteCount")),
			Accepted: accepted,
			Created:  text(first(am, "dateCreated")),
		}
		if a.Text == "" {
			return
		}
		for i, o := range th.Answers {
			// Pages often list the accepted answer under both fields.
			if o.Text == a.Text {
				th.Answers[i].Accepted = th.Answers[i].Accepted || accepted
				return
			}
		}
		th.Answers = append(th.Answers, a)
	}
	for _, a := range all(q, "acceptedAnswer") {
		add(a, true)
	}
	for _, a := range all(q, "suggestedAnswer") {
		add(a, false)
	}
	return th, true
}

// hasType reports whether m's @type (a string or a list; "FAQPage",
// "schema:FAQPage" or "https://schema.org/FAQPage") names typ.
func hasType(m map[string]any, typ string) bool {
	for _, t := range all(m, "@type") {
		s, _ := t.(string)
		if i := strings.LastIndexAny(s, "/:#"); i >= 0 {
			s = s[i+1:]
		}
		if strings.EqualFold(strings.TrimSpace(s), typ) {
			return true
		}
	}
	return false
}

func all(m map[string]any, key string) []any {
	v, ok := m[key]
	if !ok {
		return nil
	}
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func first(m map[string]any, key string) any {
	l := all(m, key)
	if len(l) == 0 {
		return nil
	}
	return l[0]
}

// text returns a value's text: a string (HTML allowed) or an object's
// @value, text or name.
func text(v any) string {
	switch v := v.(type) {
	case string:
		return Text(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case map[string]any:
		for _, k := range []string{"@value", "text", "name"} {
			if s := text(first(v, k)); s != "" {
				return s
			}
		}
	}
	return ""
}

// name returns a Person's or Organization's name, or a plain string.
func name(v any) string {
	if m, ok := v.(map[string]any); ok {
		return text(first(m, "name"))
	}
	return text(v)
}

func number(v any) int {
	switch v := v.(type) {
	case float64:
		return int(v)
	case string:
		n, _ := strconv.Atoi(strings.TrimSpace(v))
		return n
	case map[string]any:
		return number(first(v, "@value"))
	}
	return 0
}

// microdataItem reads the item rooted at n (an element with itemscope)
// into the JSON-LD shape: "@type" from itemtype, each itemprop a key whose
// values are strings or nested items.
func (e *extractor) microdataItem(n *html.Node) map[string]any {
	item := map[string]any{}
	if t := strings.Fields(attrv(n, "itemtype")); len(t) > 0 {
		types := make([]any, len(t))
		for i, s := range t {
			types[i] = s
		}
		item["@type"] = types
	}
	add := func(props string, v any) {
		for _, p := range strings.Fields(props) {
			l, _ := item[p].([]any)
			item[p] = append(l, v)
		}
	}
	var walk func(c *html.Node)
	walk = func(c *html.Node) {
		for ; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			props, isProp := attr(c, "itemprop")
			_, scope := attr(c, "itemscope")
			switch {
			case isProp && scope:
				add(props, e.microdataItem(c))
				continue // its properties are its own
			case scope:
				continue // an unrelated nested item
			case isProp:
				add(props, e.microdataValue(c))
			}
			walk(c.FirstChild)
		}
	}
	walk(n.FirstChild)
	return item
}

// microdataValue is a property's value as the microdata spec defines it
// per element.
func (e *extractor) microdataValue(n *html.Node) any {
	switch n.DataAtom {
	case atom.Meta:
		return attrv(n, "content")
	case atom.A, atom.Link, atom.Area:
		return e.resolve(attrv(n, "href"))
	case atom.Img, atom.Audio, atom.Video, atom.Source, atom.Iframe, atom.Embed, atom.Track:
		return e.resolve(attrv(n, "src"))
	case atom.Object:
		return e.resolve(attrv(n, "data"))
	case atom.Time:
		if v, ok := attr(n, "datetime"); ok {
			return v
		}
	case atom.Data, atom.Meter:
		return attrv(n, "value")
	}
	if v, ok := attr(n, "content"); ok {
		return v
	}
	var b textBuilder
	e.text(n, &b, true)
	return b.String()
}
