// Package extract turns fetched bytes into what the crawler needs: the
// main text, title, language, canonical URL and links of an HTML page; the
// schema.org FAQPage and QAPage data it carries (JSON-LD and microdata);
// the items of an RSS or Atom feed; the URLs of a sitemap. It does no I/O
// and expects HTML already decoded to UTF-8.
package extract

import (
	"bytes"
	"net/url"
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Page is what an HTML page yields.
type Page struct {
	Title     string
	Lang      string // primary language subtag ("de"), "" if the page names none
	Canonical string // absolute, "" if none or not http(s)
	// Text is the main content as plain text, paragraphs separated by
	// blank lines, navigation, footers, scripts and cookie banners left out.
	Text  string
	Links []string // absolute http(s) links without fragment, in page order, deduplicated
	// NoIndex and NoFollow come from <meta name="robots"> (or name="sofort").
	NoIndex, NoFollow bool
	Generator         string // <meta name="generator">, e.g. "Discourse 3.2.0"
	FAQ               []QA
	Threads           []Thread
}

// QA is one question of a FAQPage with its accepted answer.
type QA struct {
	Question string
	Answer   string
}

// Thread is the question of a QAPage with its answers.
type Thread struct {
	Title    string // the question's name
	Question string // the question's text (its body); may be ""
	Author   string
	Votes    int
	Created  string // as the page wrote it (ISO 8601)
	Answers  []Answer
}

// Answer is one answer of a QAPage.
type Answer struct {
	Author   string
	Text     string
	Votes    int
	Accepted bool
	Created  string
}

// HTML parses a page. base is the URL it was fetched from, for resolving
// links; the html parser accepts any input, so broken markup yields what
// can be read of it rather than an error.
func HTML(body []byte, base *url.URL) *Page {
	doc, err := html.Parse(bytes.NewReader(body))
	p := &Page{}
	if err != nil {
		// html.Parse fails only on reader errors, which bytes.Reader
		// never returns.
		return p
	}
	e := &extractor{page: p, base: base, seen: map[string]bool{}}
	e.head(doc)
	e.structured(doc)
	main := findMain(doc)
	if main == nil {
		main = doc
	}
	var b textBuilder
	e.text(main, &b, main != doc)
	p.Text = b.String()
	if p.Text == "" && main != doc {
		var b textBuilder
		e.text(doc, &b, false)
		p.Text = b.String()
	}
	if !p.NoFollow {
		e.links(doc)
	}
	return p
}

type extractor struct {
	page *Page
	base *url.URL
	seen map[string]bool
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func attrv(n *html.Node, key string) string { v, _ := attr(n, key); return v }

// head reads title, language, canonical URL, base URL and meta tags.
func (e *extractor) head(doc *html.Node) {
	var h1 string
	var ogTitle string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Html:
				if e.page.Lang == "" {
					e.page.Lang = langTag(attrv(n, "lang"))
				}
			case atom.Title:
				if e.page.Title == "" {
					e.page.Title = collapse(textOf(n))
				}
			case atom.H1:
				if h1 == "" {
					h1 = collapse(textOf(n))
				}
			case atom.Base:
				if u, err := e.base.Parse(attrv(n, "href")); err == nil && attrv(n, "href") != "" {
					e.base = u
				}
			case atom.Link:
				if hasToken(attrv(n, "rel"), "canonical") && e.page.Canonical == "" {
					e.page.Canonical = e.resolve(attrv(n, "href"))
				}
			case atom.Meta:
				name := strings.ToLower(attrv(n, "name"))
				content := attrv(n, "content")
				switch {
				case name == "robots" || name == "sofort":
					c := strings.ToLower(content)
					e.page.NoIndex = e.page.NoIndex || strings.Contains(c, "noindex") || strings.Contains(c, "none")
					e.page.NoFollow = e.page.NoFollow || strings.Contains(c, "nofollow") || strings.Contains(c, "none")
				case name == "generator":
					e.page.Generator = content
				case strings.EqualFold(attrv(n, "http-equiv"), "content-language") && e.page.Lang == "":
					e.page.Lang = langTag(strings.Split(content, ",")[0])
				case attrv(n, "property") == "og:title":
					ogTitle = content
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if e.page.Title == "" {
		e.page.Title = strings.TrimSpace(ogTitle)
	}
	if e.page.Title == "" {
		e.page.Title = h1
	}
}

// langTag takes "de-DE" or "de_at" to "de"; anything that does not start
// with a two-letter primary subtag gives "".
func langTag(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexAny(s, "-_"); i >= 0 {
		s = s[:i]
	}
	if len(s) != 2 || s[0] < 'a' || s[0] > 'z' || s[1] < 'a' || s[1] > 'z' {
		return ""
	}
	return s
}

func hasToken(list, tok string) bool {
	for _, f := range strings.Fields(strings.ToLower(list)) {
		if f == tok {
			return true
		}
	}
	return false
}

// resolve makes ref absolute against the page's base and drops the
// fragment; it returns "" for anything but http(s).
func (e *extractor) resolve(ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" || e.base == nil {
		return ""
	}
	u, err := e.base.Parse(ref)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	u.Fragment = ""
	u.RawFragment = ""
	return u.String()
}

func (e *extractor) links(doc *html.Node) {
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.DataAtom == atom.A || n.DataAtom == atom.Area) {
			if u := e.resolve(attrv(n, "href")); u != "" && !e.seen[u] {
				e.seen[u] = true
				e.page.Links = append(e.page.Links, u)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
}

// findMain returns the page's main content element: <main> or
// role="main", else the only <article>, else nil (the whole body).
func findMain(doc *html.Node) *html.Node {
	var main *html.Node
	var articles []*html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if main != nil {
			return
		}
		if n.Type == html.ElementNode {
			if n.DataAtom == atom.Main || attrv(n, "role") == "main" {
				main = n
				return
			}
			if n.DataAtom == atom.Article {
				articles = append(articles, n)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if main != nil {
		return main
	}
	if len(articles) == 1 {
		return articles[0]
	}
	return nil
}

// dropped elements never hold main content.
var dropped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true, atom.Svg: true,
	atom.Nav: true, atom.Aside: true, atom.Form: true, atom.Iframe: true, atom.Button: true,
	atom.Select: true, atom.Object: true, atom.Embed: true, atom.Canvas: true, atom.Dialog: true,
	atom.Head: true, atom.Title: true, atom.Math: true,
}

var droppedRoles = map[string]bool{
	"navigation": true, "banner": true, "contentinfo": true, "complementary": true,
	"search": true, "dialog": true, "alertdialog": true, "menu": true, "menubar": true,
}

// boilerplateWords in an id or class mark cookie banners, consent dialogs
// and page furniture.
var boilerplateWords = []string{"cookie", "consent", "gdpr", "cmp-", "newsletter", "breadcrumb", "skip-link", "skiplink", "sidebar", "share", "social", "related-posts", "comment-form"}

func isBoilerplate(n *html.Node, inContent bool) bool {
	if dropped[n.DataAtom] {
		return true
	}
	// A page header or footer is furniture; an article's own header (with
	// its title) is content.
	if (n.DataAtom == atom.Header || n.DataAtom == atom.Footer) && !inContent {
		return true
	}
	if droppedRoles[strings.ToLower(attrv(n, "role"))] {
		return true
	}
	if _, ok := attr(n, "hidden"); ok {
		return true
	}
	if attrv(n, "aria-hidden") == "true" || attrv(n, "aria-modal") == "true" {
		return true
	}
	style := strings.ToLower(strings.ReplaceAll(attrv(n, "style"), " ", ""))
	if strings.Contains(style, "display:none") || strings.Contains(style, "visibility:hidden") {
		return true
	}
	idc := strings.ToLower(attrv(n, "id") + " " + attrv(n, "class"))
	for _, w := range boilerplateWords {
		if strings.Contains(idc, w) {
			return true
		}
	}
	return false
}

// blocks end a paragraph of text.
var blocks = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Section: true, atom.Article: true, atom.Main: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Ul: true, atom.Ol: true, atom.Li: true, atom.Dl: true, atom.Dt: true, atom.Dd: true,
	atom.Table: true, atom.Tr: true, atom.Blockquote: true, atom.Pre: true, atom.Br: true,
	atom.Hr: true, atom.Header: true, atom.Footer: true, atom.Details: true, atom.Summary: true,
	atom.Figure: true, atom.Figcaption: true, atom.Address: true, atom.Body: true,
}

func (e *extractor) text(n *html.Node, b *textBuilder, inContent bool) {
	switch n.Type {
	case html.TextNode:
		b.write(n.Data)
		return
	case html.ElementNode:
		if isBoilerplate(n, inContent) {
			return
		}
		if n.DataAtom == atom.Main || n.DataAtom == atom.Article {
			inContent = true
		}
		if blocks[n.DataAtom] {
			b.paragraph()
			defer b.paragraph()
		} else if n.DataAtom == atom.Td || n.DataAtom == atom.Th {
			b.space()
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		e.text(c, b, inContent)
	}
}

// textBuilder collapses whitespace within paragraphs and separates
// paragraphs by one blank line.
type textBuilder struct {
	b         strings.Builder
	pendSpace bool
	pendPara  bool
}

func (t *textBuilder) write(s string) {
	for _, r := range s {
		if unicode.IsSpace(r) || r == '\u00a0' {
			t.pendSpace = true
			continue
		}
		if t.b.Len() > 0 {
			if t.pendPara {
				t.b.WriteString("\n\n")
			} else if t.pendSpace {
				t.b.WriteByte(' ')
			}
		}
		t.pendSpace, t.pendPara = false, false
		t.b.WriteRune(r)
	}
}

func (t *textBuilder) space()     { t.pendSpace = true }
func (t *textBuilder) paragraph() { t.pendPara = true }

func (t *textBuilder) String() string { return t.b.String() }

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		if n.Type == html.ElementNode && (n.DataAtom == atom.Script || n.DataAtom == atom.Style) {
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

// Text turns an HTML fragment (a feed item's description, an answer's
// text in structured data, a Discourse post's cooked HTML) into plain text
// with paragraphs kept. Plain text passes through with whitespace
// collapsed.
func Text(fragment string) string {
	if !strings.ContainsAny(fragment, "<&") {
		return collapseParagraphs(fragment)
	}
	nodes, err := html.ParseFragment(strings.NewReader(fragment), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		return collapseParagraphs(fragment)
	}
	e := &extractor{page: &Page{}}
	var b textBuilder
	for _, n := range nodes {
		e.text(n, &b, true)
	}
	return b.String()
}

func collapseParagraphs(s string) string {
	var paras []string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = collapse(p); p != "" {
			paras = append(paras, p)
		}
	}
	return strings.Join(paras, "\n\n")
}
