package extract

import (
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/net/html/charset"
)

// Item is one entry of an RSS or Atom feed.
type Item struct {
	ID         string // guid or Atom id; the link if the feed gives none
	Title      string
	Link       string
	Text       string // content, else description/summary, as plain text
	Published  string // as the feed wrote it
	Categories []string
}

// Feed is a parsed RSS 2.0, RSS 1.0 (RDF) or Atom feed.
type Feed struct {
	Title string
	Lang  string
	Items []Item
}

// ErrNotXML says a body is not the XML document the caller asked for.
var ErrNotXML = errors.New("not a feed or sitemap")

type rssLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Text string `xml:",chardata"`
}

type xmlFeed struct {
	XMLName xml.Name
	Lang    string `xml:"lang,attr"` // Atom xml:lang
	// RSS 2.0
	Channel struct {
		Title    string    `xml:"title"`
		Language string    `xml:"language"`
		Items    []xmlItem `xml:"item"`
	} `xml:"channel"`
	// RSS 1.0 puts items beside the channel.
	Items []xmlItem `xml:"item"`
	// Atom
	Title   string    `xml:"title"`
	Entries []xmlItem `xml:"entry"`
}

// atomText is an Atom text construct: type="text" or "html" carry their
// text as character data (HTML escaped), type="xhtml" as inline markup.
type atomText struct {
	Type  string `xml:"type,attr"`
	Text  string `xml:",chardata"`
	Inner string `xml:",innerxml"`
}

func (a atomText) String() string {
	if a.Type == "xhtml" {
		return a.Inner
	}
	return a.Text
}

type xmlItem struct {
	Title       string    `xml:"title"`
	Links       []rssLink `xml:"link"`
	GUID        string    `xml:"guid"`
	ID          string    `xml:"id"`
	Description string    `xml:"description"`
	Encoded     string    `xml:"http://purl.org/rss/1.0/modules/content/ encoded"`
	Summary     atomText  `xml:"summary"`
	Content     atomText  `xml:"content"`
	PubDate     string    `xml:"pubDate"`
	Published   string    `xml:"published"`
	Updated     string    `xml:"updated"`
	Date        string    `xml:"http://purl.org/dc/elements/1.1/ date"`
	Categories  []struct {
		Term string `xml:"term,attr"`
		Text string `xml:",chardata"`
	} `xml:"category"`
}

func newDecoder(body []byte) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.CharsetReader = charset.NewReaderLabel
	d.Strict = false
	d.Entity = xml.HTMLEntity
	return d
}

// ParseFeed parses an RSS or Atom feed. A body whose root element is not
// rss, RDF or feed fails with an error wrapping ErrNotXML.
func ParseFeed(body []byte) (*Feed, error) {
	var f xmlFeed
	if err := newDecoder(body).Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotXML, err)
	}
	out := &Feed{}
	var items []xmlItem
	switch strings.ToLower(f.XMLName.Local) {
	case "rss", "rdf":
		out.Title, out.Lang = collapse(f.Channel.Title), langTag(f.Channel.Language)
		items = append(f.Channel.Items, f.Items...)
	case "feed":
		out.Title, out.Lang = collapse(f.Title), langTag(f.Lang)
		items = f.Entries
	default:
		return nil, fmt.Errorf("%w: root element <%s>", ErrNotXML, f.XMLName.Local)
	}
	for _, it := range items {
		x := Item{Title: Text(it.Title)}
		for _, l := range it.Links {
			href := strings.TrimSpace(l.Href)
			if href == "" {
				href = strings.TrimSpace(l.Text)
			}
			if href != "" && (l.Rel == "" || l.Rel == "alternate") {
				x.Link = href
				break
			}
		}
		x.ID = strings.TrimSpace(firstNonEmpty(it.GUID, it.ID, x.Link))
		x.Text = Text(firstNonEmpty(it.Encoded, it.Content.String(), it.Description, it.Summary.String()))
		x.Published = strings.TrimSpace(firstNonEmpty(it.PubDate, it.Published, it.Date, it.Updated))
		for _, c := range it.Categories {
			if s := collapse(firstNonEmpty(c.Term, c.Text)); s != "" {
				x.Categories = append(x.Categories, s)
			}
		}
		if x.ID == "" || x.Title == "" && x.Text == "" {
			continue
		}
		out.Items = append(out.Items, x)
	}
	return out, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// SitemapURL is one <url> or <sitemap> entry.
type SitemapURL struct {
	Loc     string
	LastMod string
}

// Sitemap is a parsed sitemap or sitemap index.
type Sitemap struct {
	Index bool // a sitemap index: URLs are further sitemaps
	URLs  []SitemapURL
}

// MaxSitemapBytes caps a sitemap after gunzip; the protocol allows 50 MB
// uncompressed.
const MaxSitemapBytes = 50 << 20

// IsGzip reports whether body starts with the gzip magic number.
func IsGzip(body []byte) bool { return len(body) > 2 && body[0] == 0x1f && body[1] == 0x8b }

// Gunzip decompresses body, failing when the result would exceed max
// bytes (a gzip bomb).
func Gunzip(body []byte, max int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, max+1))
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	if int64(len(out)) > max {
		return nil, fmt.Errorf("gunzip: more than %d bytes uncompressed", max)
	}
	return out, nil
}

// ParseSitemap parses a sitemap or sitemap index, gzipped or not. A body
// whose root is neither urlset nor sitemapindex fails with an error
// wrapping ErrNotXML.
func ParseSitemap(body []byte) (*Sitemap, error) {
	if IsGzip(body) {
		var err error
		if body, err = Gunzip(body, MaxSitemapBytes); err != nil {
			return nil, err
		}
	}
	type entry struct {
		Loc     string `xml:"loc"`
		LastMod string `xml:"lastmod"`
	}
	var raw struct {
		XMLName  xml.Name
		URLs     []entry `xml:"url"`
		Sitemaps []entry `xml:"sitemap"`
	}
	if err := newDecoder(body).Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotXML, err)
	}
	out := &Sitemap{}
	var list []entry
	switch raw.XMLName.Local {
	case "urlset":
		list = raw.URLs
	case "sitemapindex":
		out.Index, list = true, raw.Sitemaps
	default:
		return nil, fmt.Errorf("%w: root element <%s>, want urlset or sitemapindex", ErrNotXML, raw.XMLName.Local)
	}
	for _, e := range list {
		if loc := strings.TrimSpace(e.Loc); loc != "" {
			out.URLs = append(out.URLs, SitemapURL{Loc: loc, LastMod: strings.TrimSpace(e.LastMod)})
		}
	}
	return out, nil
}
