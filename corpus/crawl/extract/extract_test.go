package extract

import (
	"bytes"
	"compress/gzip"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

var base, _ = url.Parse("https://help.example.com/de/hilfe/seite.html")

func TestHTMLPage(t *testing.T) {
	const page = `<!doctype html><html lang="de-AT"><head>
<title> Rechnung  &amp; Zahlung </title>
<base href="https://help.example.com/de/">
<link rel="alternate canonical" href="rechnung#top">
<meta name="generator" content="Zendesk">
</head><body>
<header><a href="/de/">Start</a></header>
<nav><a href="nav.html">Navigation</a></nav>
<div id="onetrust-consent-sdk">Wir nutzen Cookies</div>
<div class="page"><main>
<h1>Rechnung</h1>
<p>Ihre Rechnung finden Sie<br>im Kundenportal.</p>
<div hidden>versteckt</div><div style="display: none">auch versteckt</div>
<ul><li>PDF</li><li>Papier</li></ul>
<table><tr><td>Monat</td><td>Betrag</td></tr></table>
<a href="zahlung.html">Zahlung</a> <a href="mailto:x@example.com">Mail</a> <a href="javascript:void(0)">JS</a>
<a href="zahlung.html#oben">Zahlung oben</a> <a href="https://other.example/x">extern</a>
</main></div>
<footer><a href="impressum.html">Impressum</a></footer>
<script>var x = "<p>kein Text</p>";</script>
</body></html>`
	p := HTML([]byte(page), base)
	if p.Title != "Rechnung & Zahlung" || p.Lang != "de" || p.Canonical != "https://help.example.com/de/rechnung" || p.Generator != "Zendesk" {
		t.Errorf("head: got title %q lang %q canonical %q generator %q", p.Title, p.Lang, p.Canonical, p.Generator)
	}
	want := "Rechnung\n\nIhre Rechnung finden Sie\n\nim Kundenportal.\n\nPDF\n\nPapier\n\nMonat Betrag\n\nZahlung Mail JS Zahlung oben extern"
	if p.Text != want {
		t.Errorf("text:\ngot  %q\nwant %q", p.Text, want)
	}
	wantLinks := []string{"https://help.example.com/de/", "https://help.example.com/de/nav.html", "https://help.example.com/de/zahlung.html", "https://other.example/x", "https://help.example.com/de/impressum.html"}
	if !reflect.DeepEqual(p.Links, wantLinks) {
		t.Errorf("links:\ngot  %v\nwant %v", p.Links, wantLinks)
	}
	if p.NoIndex || p.NoFollow {
		t.Error("robots meta misread")
	}
	p = HTML([]byte(`<html><head><meta name="robots" content="noindex, nofollow"></head><body><a href="x">x</a></body></html>`), base)
	if !p.NoIndex || !p.NoFollow || len(p.Links) != 0 {
		t.Errorf("noindex,nofollow: got %+v", p)
	}
}

func TestStructuredData(t *testing.T) {
	tests := []struct {
		name    string
		html    string
		faq     []QA
		threads []Thread
	}{
		{
			name: "json-ld graph with type list",
			html: `<script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"WebPage"},
				{"@type":["WebPage","FAQPage"],"mainEntity":{"@type":"Question","name":"Q1?","acceptedAnswer":{"@type":"Answer","text":"<p>A1 <b>bold</b></p>"}}}]}</script>`,
			faq: []QA{{"Q1?", "A1 bold"}},
		},
		{
			name: "json-ld array, prefixed type, question without answer skipped",
			html: `<script type="application/ld+json">[{"@type":"schema:FAQPage","mainEntity":[{"name":"Q2?","acceptedAnswer":{"text":"A2"}},{"name":"Q3?"}]}]</script>`,
			faq:  []QA{{"Q2?", "A2"}},
		},
		{
			name: "json-ld faq nested under another key",
			html: `<script type="application/ld+json">{"@type":"WebPage","subjectOf":{"@type":"FAQPage","mainEntity":[{"name":"Q5?","acceptedAnswer":{"text":"A5"}}]}}</script>`,
			faq:  []QA{{"Q5?", "A5"}},
		},
		{
			name: "microdata faq",
			html: `<div itemscope itemtype="https://schema.org/FAQPage">
				<div itemscope itemprop="mainEntity" itemtype="https://schema.org/Question"><h3 itemprop="name">Q4?</h3>
				<div itemscope itemprop="acceptedAnswer" itemtype="https://schema.org/Answer"><div itemprop="text"><p>A4</p></div></div></div></div>`,
			faq: []QA{{"Q4?", "A4"}},
		},
		{
			name: "json-ld qapage, accepted answer also listed as suggested",
			html: `<script type="application/ld+json">{"@type":"QAPage","mainEntity":{"@type":"Question","name":"Why?","text":"Body","upvoteCount":"3",
				"author":{"@type":"Person","name":"ann"},"dateCreated":"2025-01-01T10:00:00Z",
				"acceptedAnswer":{"@type":"Answer","text":"Because","upvoteCount":5,"author":{"name":"bob"}},
				"suggestedAnswer":[{"@type":"Answer","text":"Because","upvoteCount":5},{"@type":"Answer","text":"Maybe","upvoteCount":1,"author":"cat"}]}}</script>`,
			threads: []Thread{{Title: "Why?", Question: "Body", Author: "ann", Votes: 3, Created: "2025-01-01T10:00:00Z",
				Answers: []Answer{{Author: "bob", Text: "Because", Votes: 5, Accepted: true}, {Author: "cat", Text: "Maybe", Votes: 1}}}},
		},
		{
			name: "broken json-ld and unrelated items ignored",
			html: `<script type="application/ld+json">{"@type": "FAQPage", </script><div itemscope itemtype="https://schema.org/Product"><span itemprop="name">X</span></div>`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := HTML([]byte("<html><head></head><body>"+tc.html+"</body></html>"), base)
			if !reflect.DeepEqual(p.FAQ, tc.faq) {
				t.Errorf("faq: got %+v; want %+v", p.FAQ, tc.faq)
			}
			if !reflect.DeepEqual(p.Threads, tc.threads) {
				t.Errorf("threads:\ngot  %+v\nwant %+v", p.Threads, tc.threads)
			}
		})
	}
}

func TestFeedAndSitemapErrors(t *testing.T) {
	if _, err := ParseFeed([]byte(`<html><body>no feed</body></html>`)); !errors.Is(err, ErrNotXML) {
		t.Errorf("html as feed: got %v; want ErrNotXML", err)
	}
	if _, err := ParseSitemap([]byte(`<rss></rss>`)); !errors.Is(err, ErrNotXML) {
		t.Errorf("rss as sitemap: got %v; want ErrNotXML", err)
	}
	f, err := ParseFeed([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><rss><channel><item><title>Gr` + "\xfc" + `n</title><link>https://x.example/1</link></item></channel></rss>`))
	if err != nil || len(f.Items) != 1 || f.Items[0].Title != "Grün" || f.Items[0].ID != "https://x.example/1" {
		t.Errorf("latin-1 feed: got %+v, %v", f, err)
	}
	atom, err := ParseFeed([]byte(`<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id><title type="html">A &amp;amp; B</title>
		<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Erster</p><p>Zweiter <b>Absatz</b></p></div></content></entry>
		<entry><id>2</id><title>C</title><summary type="html"><![CDATA[<p>Nur <i>Zusammenfassung</i></p>]]></summary></entry></feed>`))
	if err != nil || len(atom.Items) != 2 || atom.Items[0].Title != "A & B" || atom.Items[0].Text != "Erster\n\nZweiter Absatz" || atom.Items[1].Text != "Nur Zusammenfassung" {
		t.Errorf("atom text constructs: got %+v, %v", atom, err)
	}
	// A gzip bomb stops at the cap.
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte("<urlset>" + strings.Repeat(" ", 1<<20)))
	zw.Close()
	if _, err := Gunzip(b.Bytes(), 1000); err == nil || !strings.Contains(err.Error(), "more than 1000 bytes") {
		t.Errorf("gzip bomb: got %v", err)
	}
}

func FuzzHTML(f *testing.F) {
	f.Add([]byte(`<html><main itemscope itemtype="https://schema.org/QAPage"><div itemprop="mainEntity" itemscope><span itemprop="name">q</span></div></main></html>`))
	f.Add([]byte(`<script type="application/ld+json">{"@type":"FAQPage","mainEntity":[{"name":{"@value":1},"acceptedAnswer":[1,{"text":null}]}]}</script>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := HTML(b, base)
		for _, l := range p.Links {
			if !strings.HasPrefix(l, "http://") && !strings.HasPrefix(l, "https://") {
				t.Fatalf("link %q is not http(s)", l)
			}
		}
	})
}
