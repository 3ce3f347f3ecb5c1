package crawl

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/sofort-chat/sofort/corpus"
	"github.com/sofort-chat/sofort/corpus/crawl/extract"
)

// parse turns a fetched body into documents and links by the URL's kind;
// a seed of an auto source is first sniffed.
func (r *run) parse(ctx context.Context, p corpus.CrawlPage, resp *response, o *outcome) error {
	kind := p.Kind
	if kind == kindSeed {
		kind = r.sniff(resp)
		if kind == kindSitemap || kind == kindFeed {
			// Known from now on: a sitemap is then always read in full.
			o.res.Page.Kind = kind
		}
	}
	switch kind {
	case kindSitemap:
		return r.parseSitemap(p, resp, o)
	case kindFeed:
		return r.parseFeed(p, resp, o)
	case kindDCLatest:
		return r.parseLatest(ctx, p, resp, o)
	case kindDCTopic:
		return r.parseTopic(ctx, p, resp, o)
	case kindDCSeed:
		// An HTML page of a Discourse forum: crawl it through the API.
		base := discourseBase(resp.url)
		o.res.Links = append(o.res.Links, corpus.CrawlPage{URL: dcURL(base, "/latest.json"), Kind: kindDCLatest})
		return nil
	default:
		if p.Kind == kindSeed && !r.src.IgnoreRobots {
			// A site's robots.txt often names its sitemaps: an ad hoc
			// crawl of a help centre then finds pages no link reaches.
			rules, _ := r.f.robotsFor(ctx, resp.url)
			for _, sm := range rules.Sitemaps {
				if l, ok := r.link(sm, kindSitemap, p.Depth); ok {
					o.res.Links = append(o.res.Links, l)
				}
			}
		}
		return r.parseHTML(p, resp, o)
	}
}

const kindDCSeed = "discourse-seed"

// sniff decides what a seed of an auto source is: a sitemap, a feed, a
// Discourse forum (its generator meta tag or its topic list JSON) or an
// HTML page.
func (r *run) sniff(resp *response) string {
	ct, _, _ := mime.ParseMediaType(resp.header.Get("Content-Type"))
	body := resp.body
	if extract.IsGzip(body) {
		return kindSitemap
	}
	head := bytes.TrimSpace(body[:min(len(body), 1024)])
	switch {
	case strings.Contains(ct, "json") || bytes.HasPrefix(head, []byte("{")):
		if bytes.Contains(body, []byte(`"topic_list"`)) {
			return kindDCLatest
		}
	case strings.Contains(ct, "xml") || bytes.HasPrefix(head, []byte("<?xml")):
		s := string(body[:min(len(body), 4096)])
		switch {
		case strings.Contains(s, "<urlset") || strings.Contains(s, "<sitemapindex"):
			return kindSitemap
		case strings.Contains(s, "<rss") || strings.Contains(s, "<feed") || strings.Contains(s, "<rdf:RDF"):
			return kindFeed
		}
	}
	if bytes.Contains(body[:min(len(body), 8192)], []byte(`content="Discourse`)) {
		return kindDCSeed
	}
	return kindPage
}

func (r *run) parseSitemap(p corpus.CrawlPage, resp *response, o *outcome) error {
	sm, err := extract.ParseSitemap(resp.body)
	if err != nil {
		return fmt.Errorf("sitemap: %w", err)
	}
	kind, depth := kindListed, p.Depth+1
	if sm.Index {
		kind, depth = kindSitemap, p.Depth
	}
	for _, e := range sm.URLs[:min(len(sm.URLs), maxLinksPerSitemap)] {
		if l, ok := r.link(e.Loc, kind, depth); ok {
			if !sm.Index {
				l.LastMod = e.LastMod
			}
			o.res.Links = append(o.res.Links, l)
		}
	}
	return nil
}

func (r *run) parseFeed(p corpus.CrawlPage, resp *response, o *outcome) error {
	feed, err := extract.ParseFeed(resp.body)
	if err != nil {
		return fmt.Errorf("feed: %w", err)
	}
	lang := feed.Lang
	if lang == "" {
		lang = r.src.Lang
	}
	for _, it := range feed.Items {
		link := it.Link
		if u, err := resp.url.Parse(link); err == nil && link != "" {
			link = u.String()
		}
		d := corpus.Document{
			ID:      docID(r.src.Name, "feed "+it.ID),
			Kind:    corpus.KindArticle,
			Lang:    lang,
			Title:   truncate(it.Title, corpus.MaxFieldBytes),
			Body:    truncate(it.Text, corpus.MaxFieldBytes),
			URL:     link,
			Source:  r.src.Name,
			Created: parseTime(it.Published),
		}
		d.Tags = append(append(d.Tags, r.src.Tags...), it.Categories...)
		r.addDoc(o, d)
	}
	o.res.SetDocs, o.res.AddOnly = true, true
	return nil
}

// Caps on what one URL may add, so a hostile page cannot flood the
// store or the frontier: a sitemap may list 50,000 URLs (the protocol's
// limit), a page link to 5,000, and one URL yield 2,000 documents.
const (
	maxLinksPerSitemap = 50000
	maxLinksPerPage    = 5000
	maxDocsPerURL      = 2000
)

// addDoc adds d to the outcome if it is valid, and notes why not
// otherwise (the page's other documents still count).
func (r *run) addDoc(o *outcome, d corpus.Document) {
	if len(o.docs) >= maxDocsPerURL {
		return
	}
	d.Normalize()
	if err := d.Validate(); err != nil {
		r.log.Debug("crawl: document rejected", "url", o.res.Page.URL, "err", err)
		return
	}
	o.docs = append(o.docs, d)
	o.res.Docs = append(o.res.Docs, d.ID)
}

func (r *run) parseHTML(p corpus.CrawlPage, resp *response, o *outcome) error {
	ct := resp.header.Get("Content-Type")
	if mt, _, _ := mime.ParseMediaType(ct); mt != "" && mt != "text/html" && mt != "application/xhtml+xml" {
		// A PDF or an image linked from a page is not a failure.
		o.res.Page.State, o.res.Page.Error = corpus.CrawlSkipped, "not an HTML page (Content-Type "+mt+")"
		o.res.SetDocs = true
		return nil
	}
	body := decodeHTML(resp.body, ct)
	page := extract.HTML(body, resp.url)
	follow := *r.src.FollowLinks && p.Depth < r.src.MaxDepth
	if p.Kind == kindListed && !r.src.followListed {
		// An auto source seeded with a sitemap crawls what it lists.
		follow = false
	}
	if follow {
		for _, l := range page.Links[:min(len(page.Links), maxLinksPerPage)] {
			if link, ok := r.link(l, kindPage, p.Depth+1); ok {
				o.res.Links = append(o.res.Links, link)
			}
		}
	}
	o.res.SetDocs = true
	if page.NoIndex {
		o.res.Page.State = corpus.CrawlSkipped
		return nil
	}
	// The canonical URL names the documents, so the same page under two
	// URLs yields the same documents; only a canonical URL on the same
	// host is believed.
	docURL := resp.url.String()
	if cu, err := url.Parse(page.Canonical); err == nil && page.Canonical != "" && strings.EqualFold(cu.Host, resp.url.Host) {
		docURL = normalizeURL(cu)
	} else {
		docURL = normalizeURL(resp.url)
	}
	lang := page.Lang
	if lang == "" {
		lang = langFromHeader(resp.header)
	}
	if lang == "" {
		lang = r.src.Lang
	}
	base := corpus.Document{Lang: lang, URL: docURL, Source: r.src.Name}
	base.Tags = append(base.Tags, r.src.Tags...)
	for _, qa := range page.FAQ {
		d := base
		d.ID = docID(r.src.Name, docURL) + "#" + shortHash(qa.Question)
		d.Kind = corpus.KindFAQ
		d.Title = truncate(qa.Question, corpus.MaxFieldBytes)
		d.Question = d.Title
		d.Answer = truncate(qa.Answer, corpus.MaxFieldBytes)
		r.addDoc(o, d)
	}
	for _, th := range page.Threads {
		d := base
		d.ID = docID(r.src.Name, docURL) + "#t" + shortHash(th.Title)
		d.Kind = corpus.KindThread
		d.Title = truncate(th.Title, corpus.MaxFieldBytes)
		d.Question = truncate(th.Question, corpus.MaxFieldBytes)
		d.Created = parseTime(th.Created)
		for _, a := range th.Answers {
			if len(d.Posts) >= corpus.MaxPosts {
				break
			}
			d.Posts = append(d.Posts, corpus.Post{Author: a.Author, Body: truncate(a.Text, corpus.MaxFieldBytes),
				Accepted: a.Accepted, Votes: a.Votes, Created: parseTime(a.Created)})
		}
		r.addDoc(o, d)
	}
	if len(page.FAQ) == 0 && len(page.Threads) == 0 && page.Text != "" {
		d := base
		d.ID = docID(r.src.Name, docURL)
		d.Kind = corpus.KindArticle
		d.Title = truncate(page.Title, corpus.MaxFieldBytes)
		d.Body = truncate(page.Text, corpus.MaxFieldBytes)
		r.addDoc(o, d)
	}
	return nil
}

func langFromHeader(h http.Header) string {
	l := strings.ToLower(strings.TrimSpace(strings.Split(h.Get("Content-Language"), ",")[0]))
	if i := strings.IndexAny(l, "-_"); i >= 0 {
		l = l[:i]
	}
	if len(l) == 2 {
		return l
	}
	return ""
}

// parseLatest reads a page of Discourse's latest topics: it queues every
// topic bumped since the last finished run and, if this page still had
// such topics, the next page.
func (r *run) parseLatest(ctx context.Context, p corpus.CrawlPage, resp *response, o *outcome) error {
	var tl dcTopicList
	if err := json.Unmarshal(resp.body, &tl); err != nil {
		return fmt.Errorf("discourse topic list: %w", err)
	}
	base := discourseBase(resp.url)
	r.categories(ctx, base)
	fresh := false
	for _, t := range tl.TopicList.Topics {
		if t.ID == 0 {
			continue
		}
		bumped := t.BumpedAt
		if !bumped.After(r.cursor) {
			continue // pinned topics come first whatever their age
		}
		if !t.Pinned {
			fresh = true
		}
		r.dcMu.Lock()
		if bumped.After(r.dcMax) {
			r.dcMax, r.dcDirty = bumped, true
		}
		r.dcMu.Unlock()
		o.res.Links = append(o.res.Links, corpus.CrawlPage{
			URL:  dcURL(base, "/t/"+strconv.FormatInt(t.ID, 10)+".json"),
			Kind: kindDCTopic, Depth: p.Depth + 1,
		})
	}
	if fresh && tl.TopicList.MoreTopicsURL != "" {
		next, err := dcJSONURL(base, tl.TopicList.MoreTopicsURL)
		if err != nil {
			return fmt.Errorf("discourse more_topics_url %q: %w", tl.TopicList.MoreTopicsURL, err)
		}
		if nu, err := url.Parse(next); err == nil && strings.EqualFold(nu.Host, base.Host) {
			o.res.Links = append(o.res.Links, corpus.CrawlPage{URL: next, Kind: kindDCLatest, Depth: p.Depth})
		}
	}
	return nil
}

// categories loads the forum's category names once per run; without them
// topics are stored without a category tag.
func (r *run) categories(ctx context.Context, base *url.URL) {
	r.dcOnce.Do(func() {
		cats := map[int64]string{}
		resp, err := r.f.get(ctx, request{url: dcURL(base, "/categories.json?include_subcategories=true"), scoped: true, robots: !r.src.IgnoreRobots})
		if err == nil && resp.status == http.StatusOK {
			var cl dcCategories
			if json.Unmarshal(resp.body, &cl) == nil {
				var add func([]dcCategory)
				add = func(cs []dcCategory) {
					for _, c := range cs {
						cats[c.ID] = c.Name
						add(c.SubcategoryList)
					}
				}
				add(cl.CategoryList.Categories)
			}
		} else {
			r.log.Warn("discourse categories unavailable", "err", err)
		}
		r.dcMu.Lock()
		r.dcCats = cats
		r.dcMu.Unlock()
	})
}

// dcChunk is how many posts Discourse returns per posts.json request.
const dcChunk = 20

func (r *run) parseTopic(ctx context.Context, p corpus.CrawlPage, resp *response, o *outcome) error {
	var t dcTopicFull
	if err := json.Unmarshal(resp.body, &t); err != nil {
		return fmt.Errorf("discourse topic: %w", err)
	}
	base := discourseBase(resp.url)
	r.categories(ctx, base)
	posts := t.PostStream.Posts
	have := map[int64]bool{}
	for _, po := range posts {
		have[po.ID] = true
	}
	var missing []int64
	for _, id := range t.PostStream.Stream {
		if !have[id] && len(have)+len(missing) < corpus.MaxPosts {
			missing = append(missing, id)
		}
	}
	for len(missing) > 0 {
		n := min(len(missing), dcChunk)
		q := url.Values{}
		for _, id := range missing[:n] {
			q.Add("post_ids[]", strconv.FormatInt(id, 10))
		}
		missing = missing[n:]
		more, err := r.f.get(ctx, request{url: dcURL(base, "/t/"+strconv.FormatInt(t.ID, 10)+"/posts.json?"+q.Encode()), scoped: true, robots: !r.src.IgnoreRobots})
		if err != nil {
			return fmt.Errorf("discourse posts of topic %d: %w", t.ID, err)
		}
		if more.status != http.StatusOK {
			return fmt.Errorf("discourse posts of topic %d: HTTP %d", t.ID, more.status)
		}
		var pl struct {
			PostStream struct {
				Posts []dcPost `json:"posts"`
			} `json:"post_stream"`
		}
		if err := json.Unmarshal(more.body, &pl); err != nil {
			return fmt.Errorf("discourse posts of topic %d: %w", t.ID, err)
		}
		posts = append(posts, pl.PostStream.Posts...)
	}
	// Posts come back in stream order per request; sort by number.
	slices.SortStableFunc(posts, func(a, b dcPost) int { return a.PostNumber - b.PostNumber })
	r.dcMu.Lock()
	cat := r.dcCats[t.CategoryID]
	r.dcMu.Unlock()
	d, err := topicDoc(&r.src, base, &t, posts, cat)
	if err != nil {
		return fmt.Errorf("discourse topic: %w", err)
	}
	o.res.SetDocs = true
	r.addDoc(o, d)
	return nil
}
