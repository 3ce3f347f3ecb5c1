package crawl

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sofort-chat/sofort/corpus"
)

func TestAddressPolicy(t *testing.T) {
	tests := []struct {
		ip     string
		policy AddressPolicy
		ok     bool
	}{
		{"93.184.216.34", AddressPolicy{}, true},
		{"2606:2800:220:1:248:1893:25c8:1946", AddressPolicy{}, true},
		{"127.0.0.1", AddressPolicy{}, false},
		{"::1", AddressPolicy{}, false},
		{"10.1.2.3", AddressPolicy{}, false},
		{"172.16.0.1", AddressPolicy{}, false},
		{"192.168.1.1", AddressPolicy{}, false},
		{"169.254.169.254", AddressPolicy{}, false},
		{"fe80::1", AddressPolicy{}, false},
		{"fd00::1", AddressPolicy{}, false},
		{"0.0.0.0", AddressPolicy{}, false},
		{"100.64.0.1", AddressPolicy{}, false},
		{"::ffff:10.0.0.1", AddressPolicy{}, false},
		{"224.0.0.1", AddressPolicy{}, false},
		{"127.0.0.1", AddressPolicy{Allow: loopback}, true},
		{"10.1.2.3", AddressPolicy{Allow: loopback}, false},
		{"169.254.169.254", AddressPolicy{Allow: loopback}, false},
		{"10.1.2.3", AddressPolicy{AllowPrivate: true}, true},
	}
	for _, tc := range tests {
		err := tc.policy.Check(netip.MustParseAddr(tc.ip))
		if (err == nil) != tc.ok {
			t.Errorf("%s with %+v: got %v; want allowed=%v", tc.ip, tc.policy, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrPrivateAddress) {
			t.Errorf("%s: error %v does not wrap ErrPrivateAddress", tc.ip, err)
		}
	}
}

// TestHelpCentre crawls the fixture help centre by following links: every
// page yields its documents or a clear error for its URL, and the crawl
// goes on.
func TestHelpCentre(t *testing.T) {
	ctx := context.Background()
	site := newFixtureSite(t)
	st := openStore(t)
	c := testCrawler(st)
	src := testSource("help", site.url("/help/index.html"))
	// The redirect to the metadata address is in scope, so only the
	// dialer's address check stops it.
	src.Scope = []string{site.url("/help/"), "http://169.254.169.254/", "http://10.1.2.3/"}
	src.Timeout = time.Second
	start := time.Now()
	stats, err := c.Run(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("help centre: %s in %v", stats, time.Since(start))
	docs := docsOfSource(t, st, "help")

	// FAQPage JSON-LD: one faq document per question, HTML answer as text;
	// the broken JSON-LD block beside it is skipped.
	faq, n := findDoc(docs, func(d corpus.Document) bool {
		return d.Kind == corpus.KindFAQ && strings.Contains(d.Question, "kündigen")
	})
	if n != 1 {
		t.Fatalf("faq documents about kündigen: got %d; want 1 (docs %v)", n, keys(docs))
	}
	if want := "Kündigen Sie online in Mein Funkfuchs unter „Vertrag > Vertrag kündigen“.\n\nAlternativ per Brief."; faq.Answer != want || faq.Lang != "de" || faq.URL != site.url("/help/faq.html") {
		t.Errorf("faq: got answer %q lang %q url %q; want %q, de, the page", faq.Answer, faq.Lang, faq.URL, want)
	}
	if _, n := findDoc(docs, func(d corpus.Document) bool { return d.Kind == corpus.KindFAQ }); n != 2 {
		t.Errorf("faq documents: got %d; want 2", n)
	}

	// QAPage microdata: a thread with question, answers, accepted answer, votes.
	th, n := findDoc(docs, func(d corpus.Document) bool { return d.Kind == corpus.KindThread })
	if n != 1 {
		t.Fatalf("threads: got %d; want 1", n)
	}
	if th.Title != "Router blinkt rot nach Gewitter" || !strings.Contains(th.Question, "Internet-LED rot") {
		t.Errorf("thread: got title %q question %q", th.Title, th.Question)
	}
	if len(th.Posts) != 2 || !th.Posts[0].Accepted || th.Posts[0].Votes != 12 || th.Posts[0].Author != "Funkfuchs_Team" || th.Posts[1].Accepted || th.Posts[1].Votes != 2 {
		t.Errorf("thread posts: got %+v", th.Posts)
	}

	// Generic HTML: main content without navigation, sidebar, scripts,
	// footers or cookie banners; canonical URL; one document for three
	// URLs (canonical, and same content elsewhere).
	routers := 0
	for _, d := range docs {
		if d.Kind == corpus.KindArticle && d.Title == "Router einrichten" && d.Status == corpus.StatusPublished {
			routers++
			for _, junk := range []string{"Beliebte Artikel", "Cookies", "trackPageView", "color:red", "Impressum", "Hilfe\n"} {
				if strings.Contains(d.Body, junk) {
					t.Errorf("router article holds boilerplate %q: %q", junk, d.Body)
				}
			}
			if !strings.Contains(d.Body, "TAE-Dose") || !strings.Contains(d.Body, "Zuletzt aktualisiert") {
				t.Errorf("router article misses its content: %q", d.Body)
			}
		}
	}
	if routers != 1 {
		t.Errorf("router articles: got %d; want 1 (canonical and duplicate URLs collapse)", routers)
	}
	// Whichever of the three came first holds the document.
	if p, err := st.CrawlPageOf(ctx, "help", site.url("/help/router.html")); err != nil || p.State != corpus.CrawlOK && p.State != corpus.CrawlDuplicate {
		t.Errorf("router.html (utm parameter and fragment dropped): got %+v, %v", p, err)
	}

	// ISO-8859-1 (read as windows-1252) decoded correctly.
	latin, n := findDoc(docs, func(d corpus.Document) bool { return strings.HasPrefix(d.Title, "Tarife f") })
	if n != 1 || latin.Title != "Tarife für Großkunden" || !strings.Contains(latin.Body, "Größere Unternehmen erhalten Rabatte – fragen Sie unseren Außendienst. Preis: 20 € pro Monat.") {
		t.Errorf("latin1 page: got %d docs, title %q body %q", n, latin.Title, latin.Body)
	}
	// Broken HTML still yields its text.
	broken, n := findDoc(docs, func(d corpus.Document) bool { return strings.Contains(d.Body, "Leipzig") })
	if n != 1 || !strings.Contains(broken.Body, "Techniker sind unterwegs") {
		t.Errorf("broken page: got %d docs, %q", n, broken.Body)
	}

	// Per-URL failures with clear errors; the crawl went on.
	wantState := map[string]struct{ state, errPart string }{
		"/help/big.html":              {corpus.CrawlError, "larger than the size cap"},
		"/help/loop/a.html":           {corpus.CrawlError, "too many redirects"},
		"/help/stall.html":            {corpus.CrawlError, "timed out"},
		"/help/slowbody.html":         {corpus.CrawlError, "read body: timed out"},
		"/help/huge.html":             {corpus.CrawlError, "larger than the size cap: Content-Length 62914560"},
		"/help/metadata.html":         {corpus.CrawlError, "private, loopback or link-local address: 169.254.169.254"},
		"/help/moved.html":            {corpus.CrawlError, "outside the source's scope: redirect to https://elsewhere.example/help/"},
		"/help/internal/secret.html":  {corpus.CrawlBlocked, "robots.txt"},
		"/help/internal/public.html":  {corpus.CrawlOK, ""},
		"/help/noindex.html":          {corpus.CrawlSkipped, ""},
		"/help/preise.txt":            {corpus.CrawlSkipped, "not an HTML page (Content-Type text/plain)"},
		"/help/gone.html":             {corpus.CrawlOK, ""},
		"/help/forum/question-1.html": {corpus.CrawlOK, ""},
	}
	for p, want := range wantState {
		got, err := st.CrawlPageOf(ctx, "help", site.url(p))
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if got.State != want.state || !strings.Contains(got.Error, want.errPart) {
			t.Errorf("%s: got state %s error %q; want %s with %q", p, got.State, got.Error, want.state, want.errPart)
		}
	}
	if site.count("/help/internal/secret.html") != 0 {
		t.Error("a page robots.txt disallows was requested")
	}
	if site.count("/help/handbuch.PDF") != 0 {
		t.Error("a PDF link was fetched")
	}
	if _, err := st.CrawlPageOf(ctx, "help", "https://elsewhere.example/help"); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("an out-of-scope link was queued: %v", err)
	}
	if stats.Errors != 7 {
		t.Errorf("errors: got %d; want 7 (big, huge, loop, stall, slowbody, metadata, moved): %v", stats.Errors, stats.ErrorList)
	}
}

func keys(m map[string]corpus.Document) []string {
	var ks []string
	for k, d := range m {
		ks = append(ks, k+" "+d.Title)
	}
	slices.Sort(ks)
	return ks
}

// TestRecrawl: an unchanged site costs one conditional request per page
// and changes nothing; a changed page is updated, a page that answers 410
// is retired (not deleted), and a page staff retired stays retired.
func TestRecrawl(t *testing.T) {
	ctx := context.Background()
	site := newFixtureSite(t)
	st := openStore(t)
	c := testCrawler(st)
	// Without the slow and broken pages (TestHelpCentre has them): each
	// run here would wait for their timeouts.
	var index []string
	for _, line := range strings.Split(mustRead(t, "testdata/site/help/index.html"), "\n") {
		if !strings.Contains(line, "stall") && !strings.Contains(line, "slowbody") {
			index = append(index, line)
		}
	}
	site.setBody("/help/index.html", strings.Join(index, "\n"))
	src := testSource("help", site.url("/help/index.html"))
	src.Timeout = time.Second
	if _, err := c.Run(ctx, src); err != nil {
		t.Fatal(err)
	}
	seq0, _ := st.MaxSeq(ctx)
	good := []string{"/help/index.html", "/help/faq.html", "/help/router.html", "/help/router-copy.html", "/help/latin1.html", "/help/forum/question-1.html", "/help/gone.html"}
	var before []int
	for _, p := range good {
		before = append(before, site.count(p))
	}
	stats, err := c.Run(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	seq1, _ := st.MaxSeq(ctx)
	if seq1 != seq0 || stats.Added+stats.Updated+stats.Retired != 0 || stats.Changed != 0 {
		t.Errorf("unchanged recrawl changed the store: seq %d -> %d, %s", seq0, seq1, stats)
	}
	for i, p := range good {
		if got := site.count(p) - before[i]; got != 1 {
			t.Errorf("recrawl requests for %s: got %d; want 1", p, got)
		}
	}
	if stats.Unchanged != stats.Fetched-stats.Errors-stats.Blocked {
		t.Errorf("recrawl: %s; want every fetched page unchanged", stats)
	}

	docs := docsOfSource(t, st, "help")
	gone, _ := findDoc(docs, func(d corpus.Document) bool { return d.Title == "Alte Aktion" })
	faq, _ := findDoc(docs, func(d corpus.Document) bool { return strings.Contains(d.Question, "doppelt") })
	if err := st.SetStatus(ctx, faq.ID, corpus.StatusRetired); err != nil { // staff
		t.Fatal(err)
	}
	site.setGone("/help/gone.html", true)
	site.setBody("/help/faq.html", strings.Replace(mustRead(t, "testdata/site/help/faq.html"), "anteilig abgerechnet", "anteilig abgerechnet (siehe Rechnung)", 1))
	stats, err = c.Run(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Gone != 1 || stats.Retired != 1 || stats.Updated != 1 {
		t.Errorf("after a page went and one changed: %s; want 1 gone, 1 retired, 1 updated", stats)
	}
	g, err := st.Get(ctx, gone.ID)
	if err != nil || g.Status != corpus.StatusRetired {
		t.Errorf("gone page's document: got %v, %v; want kept and retired", g.Status, err)
	}
	f, _ := st.Get(ctx, faq.ID)
	if f.Status != corpus.StatusRetired || !strings.Contains(f.Answer, "siehe Rechnung") {
		t.Errorf("staff-retired faq: got status %s answer %q; want retired with the new answer", f.Status, f.Answer)
	}
	// The page comes back: the crawler's retirement is undone.
	site.setGone("/help/gone.html", false)
	if _, err := c.Run(ctx, src); err != nil {
		t.Fatal(err)
	}
	if g, _ := st.Get(ctx, gone.ID); g.Status != corpus.StatusPublished {
		t.Errorf("page back: got %s; want published", g.Status)
	}
	if f, _ := st.Get(ctx, faq.ID); f.Status != corpus.StatusRetired {
		t.Errorf("staff-retired faq after another crawl: got %s; want retired", f.Status)
	}
}

// TestFeedsAndSitemaps crawls RSS and Atom feeds and a gzipped sitemap
// behind a sitemap index.
func TestFeedsAndSitemaps(t *testing.T) {
	ctx := context.Background()
	site := newFixtureSite(t)
	st := openStore(t)
	c := testCrawler(st)
	feeds := testSource("status", site.url("/feeds/rss.xml"), site.url("/feeds/atom.xml"))
	if _, err := c.Run(ctx, feeds); err != nil {
		t.Fatal(err)
	}
	docs := docsOfSource(t, st, "status")
	if len(docs) != 3 {
		t.Fatalf("feed documents: got %d; want 3: %v", len(docs), keys(docs))
	}
	rss, _ := findDoc(docs, func(d corpus.Document) bool { return d.Title == "Störung in Leipzig behoben" })
	if rss.Body != "Die Störung in Leipzig-Gohlis ist behoben. Bitte Router neu starten." || rss.Lang != "de" ||
		rss.URL != site.url("/status/leipzig") || !slices.Contains(rss.Tags, "Störung") || rss.Created.IsZero() {
		t.Errorf("rss item: got %+v", rss)
	}
	wartung, _ := findDoc(docs, func(d corpus.Document) bool { return d.Title == "Wartungsarbeiten am Samstag" })
	if wartung.Body != "Zwischen 2 und 4 Uhr kann es zu Unterbrechungen kommen." {
		t.Errorf("rss item with escaped HTML: got %q", wartung.Body)
	}
	atom, _ := findDoc(docs, func(d corpus.Document) bool { return d.Title == "New eSIM activation flow" })
	if atom.Lang != "en" || atom.URL != "https://blog.example.invalid/esim" || !strings.Contains(atom.Body, "two minutes") {
		t.Errorf("atom entry: got %+v", atom)
	}

	maps := testSource("maps", site.url("/maps/sitemap_index.xml"))
	maps.Scope = []string{site.url("/maps/")}
	stats, err := c.Run(ctx, maps)
	if err != nil {
		t.Fatal(err)
	}
	docs = docsOfSource(t, st, "maps")
	var titles []string
	for _, d := range docs {
		titles = append(titles, d.Title)
	}
	slices.Sort(titles)
	if want := []string{"Data top-ups", "Roaming in the EU"}; !slices.Equal(titles, want) {
		t.Errorf("sitemap documents: got %v; want %v (in scope, links not followed) %s", titles, want, stats)
	}
	if site.count("/maps/c.html") != 0 {
		t.Error("a sitemap source followed a link")
	}
}

// TestDiscourse crawls the Discourse-shaped forum: categories, latest
// topics across pages, long topics through posts.json, tags, the solved
// plugin's accepted answer; the next run fetches only bumped topics.
func TestDiscourse(t *testing.T) {
	ctx := context.Background()
	site := newFixtureSite(t)
	site.forum.apiKey = "secret"
	st := openStore(t)
	c := testCrawler(st)
	src := testSource("forum", site.url("/forum"))
	src.Type = TypeDiscourse
	src.APIKey, src.APIUsername = "secret", "system"
	stats, err := c.Run(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	docs := docsOfSource(t, st, "forum")
	if len(docs) != 4 {
		t.Fatalf("topics: got %d; want 4: %v (%s)", len(docs), keys(docs), stats)
	}
	esim := docs["forum:t2"]
	if esim.Kind != corpus.KindThread || esim.Title != "eSIM wird nicht aktiviert" || esim.Question != "Mein iPhone zeigt Kein Dienst nach dem Scannen." {
		t.Errorf("topic 2: got %+v", esim)
	}
	if !slices.Equal(esim.Tags, []string{"eSIM", "esim", "iphone"}) {
		t.Errorf("topic 2 tags: got %v; want subcategory name and tags", esim.Tags)
	}
	if len(esim.Posts) != 2 || esim.Posts[1].Author != "Funkfuchs_Team" || !esim.Posts[1].Accepted || esim.Posts[1].Votes != 7 || esim.Posts[0].Accepted {
		t.Errorf("topic 2 posts: got %+v", esim.Posts)
	}
	if esim.URL != site.url("/forum/t/esim-wird-nicht-aktiviert/2") {
		t.Errorf("topic 2 url: got %s", esim.URL)
	}
	if got := len(docs["forum:t3"].Posts); got != 24 {
		t.Errorf("long topic: got %d replies; want 24 (beyond the first chunk of 20)", got)
	}
	if site.count("/forum/latest.json?no_definitions=true&page=1") != 1 {
		t.Error("second latest page not fetched")
	}

	// Nothing new: one request for the first latest page (and categories).
	before := site.totalRequests()
	if _, err := c.Run(ctx, src); err != nil {
		t.Fatal(err)
	}
	if got := site.totalRequests() - before; got > 3 {
		t.Errorf("incremental run without news: %d requests; want at most 3 (robots, latest, categories)", got)
	}
	// A reply bumps topic 4: only it is fetched again.
	site.forum.bump(4, forumPost{user: "emil", html: "<p>Danke, hat geklappt!</p>"}, time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC))
	t4 := site.count("/forum/t/4.json")
	t2 := site.count("/forum/t/2.json")
	if _, err := c.Run(ctx, src); err != nil {
		t.Fatal(err)
	}
	if site.count("/forum/t/4.json") != t4+1 || site.count("/forum/t/2.json") != t2 {
		t.Errorf("after a bump: topic 4 fetched %d more, topic 2 %d more; want 1 and 0", site.count("/forum/t/4.json")-t4, site.count("/forum/t/2.json")-t2)
	}
	if d, _ := st.Get(ctx, "forum:t4"); len(d.Posts) != 2 || d.Posts[1].Body != "Danke, hat geklappt!" {
		t.Errorf("bumped topic: got %+v", d.Posts)
	}
	// A topic deleted on the forum is retired by the next sweep.
	site.forum.remove(3)
	if _, err := c.Run(ctx, src); err != nil {
		t.Fatal(err)
	}
	if d, _ := st.Get(ctx, "forum:t3"); d.Status != corpus.StatusPublished {
		t.Errorf("deleted topic before a sweep: got %s; want still published (not fetched)", d.Status)
	}
	src.Sweep = time.Nanosecond
	stats, err = c.Run(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := st.Get(ctx, "forum:t3"); d.Status != corpus.StatusRetired || stats.Gone != 1 {
		t.Errorf("deleted topic after a sweep: got %s (%s); want retired", d.Status, stats)
	}
}

// TestAdHocDetection: an auto source recognises a feed and a Discourse
// forum from what the seed serves, and finds the sitemap robots.txt names
// from an HTML seed.
func TestAdHocDetection(t *testing.T) {
	ctx := context.Background()
	site := newFixtureSite(t)
	st := openStore(t)
	c := testCrawler(st)
	src := testSource("auto", site.url("/forum/"), site.url("/feeds/rss.xml"), site.url("/help/noindex.html"))
	src.Scope = []string{site.url("/")}
	src.FollowLinks = new(bool)
	stats, err := c.Run(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	docs := docsOfSource(t, st, "auto")
	for _, title := range []string{"eSIM wird nicht aktiviert", "Störung in Leipzig behoben", "Roaming in the EU"} {
		if _, n := findDoc(docs, func(d corpus.Document) bool { return d.Title == title }); n != 1 {
			t.Errorf("%q: got %d documents; want 1 (%s)", title, n, stats)
		}
	}
}

// TestPrivateAddressRefused: without an allowance, a name that resolves
// to loopback is refused after resolution, before connecting.
func TestPrivateAddressRefused(t *testing.T) {
	site := newFixtureSite(t)
	st := openStore(t)
	u, _ := url.Parse(site.url("/help/index.html"))
	u.Host = "localhost:" + u.Port()
	src := testSource("strict", u.String())
	src.AllowNetworks = nil
	stats, err := testCrawler(st).Run(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if site.totalRequests() != 0 {
		t.Errorf("the crawler reached a loopback server: %d requests", site.totalRequests())
	}
	// robots.txt is unreachable, so RFC 9309 says: disallow all; the
	// error says why it was unreachable.
	p, err := st.CrawlPageOf(context.Background(), "strict", u.String())
	if err != nil || p.State != corpus.CrawlError || !strings.Contains(p.Error, "robots.txt unreachable") ||
		!strings.Contains(p.Error, "private, loopback or link-local address") {
		t.Fatalf("seed: got %+v, %v; want an error naming the refused address", p, err)
	}
	if stats.Errors != 1 {
		t.Errorf("stats: %s; want the seed failed", stats)
	}
	if info, err := st.CrawlSourceOf(context.Background(), "strict"); err != nil || !strings.Contains(info.LastError, "all 1 URLs failed") || !info.LastSuccess.IsZero() {
		t.Errorf("source of a run where everything failed: got %+v, %v; want its last error", info, err)
	}
	src.IgnoreRobots = true
	src.Name = "strict2"
	if _, err := testCrawler(st).Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	p, _ = st.CrawlPageOf(context.Background(), "strict2", u.String())
	if p.State != corpus.CrawlError || !strings.Contains(p.Error, "private, loopback or link-local address: 127.0.0.1") && !strings.Contains(p.Error, "address: ::1") {
		t.Errorf("seed without robots: got %s %q; want the address refused", p.State, p.Error)
	}
}

// TestResume kills a crawl midway (its context is cancelled while pages
// are being fetched) and runs it again: nothing stored in the first run is
// fetched again, and the site ends up complete.
func TestResume(t *testing.T) {
	site := newFixtureSite(t)
	st := openStore(t)
	c := testCrawler(st)
	src := testSource("gen", site.url("/gen/sitemap.xml"))
	src.Type = TypeSitemap
	ctx, cancel := context.WithCancel(context.Background())
	var pages atomic.Int64
	site.setOnReq(func(p string) {
		if strings.HasPrefix(p, "/gen/p/") && pages.Add(1) == 60 {
			cancel()
		}
	})
	_, err := c.Run(ctx, src)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("killed run: got %v; want context.Canceled", err)
	}
	site.setOnReq(nil)
	stored := map[string]bool{}
	for i := range genPages {
		u := site.url("/gen/p/" + itoa(i) + ".html")
		if p, err := st.CrawlPageOf(context.Background(), "gen", u); err == nil && p.State == corpus.CrawlOK {
			stored["/gen/p/"+itoa(i)+".html"] = true
		}
	}
	if len(stored) < 20 || len(stored) >= genPages {
		t.Fatalf("after the kill %d of %d pages are stored; want a part", len(stored), genPages)
	}
	firstCounts := map[string]int{}
	for p := range stored {
		firstCounts[p] = site.count(p)
	}
	stats, err := c.Run(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if !stats.Resumed {
		t.Error("second run did not resume")
	}
	for p, n := range firstCounts {
		if site.count(p) != n {
			t.Errorf("%s was stored before the kill and fetched again", p)
		}
	}
	if n := len(docsOfSource(t, st, "gen")); n != genPages {
		t.Errorf("documents after resume: got %d; want %d", n, genPages)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestScopeNarrowedAndRefetch: URLs a narrowed scope leaves out are not
// requested and their documents are retired; Refetch parses everything
// again without rewriting unchanged documents.
func TestScopeNarrowedAndRefetch(t *testing.T) {
	ctx := context.Background()
	site := newFixtureSite(t)
	st := openStore(t)
	c := testCrawler(st)
	src := testSource("help", site.url("/help/index.html"))
	src.Timeout = time.Second
	if _, err := c.Run(ctx, src); err != nil {
		t.Fatal(err)
	}
	faqRequests := site.count("/help/faq.html")
	src.URLs = []string{site.url("/help/forum/question-1.html")}
	src.Scope = nil
	stats, err := c.Run(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if site.count("/help/faq.html") != faqRequests {
		t.Error("a URL outside the narrowed scope was requested")
	}
	docs := docsOfSource(t, st, "help")
	for _, d := range docs {
		want := corpus.StatusRetired
		if d.Kind == corpus.KindThread {
			want = corpus.StatusPublished
		}
		if d.Status != want {
			t.Errorf("%s (%s) after narrowing the scope: got %s; want %s", d.Title, d.Kind, d.Status, want)
		}
	}
	if stats.Retired != len(docs)-1 {
		t.Errorf("retired: got %d; want %d", stats.Retired, len(docs)-1)
	}
	before := site.count("/help/forum/question-1.html")
	c.Refetch = true
	stats, err = c.Run(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if site.count("/help/forum/question-1.html") != before+1 || stats.Changed != 1 || stats.Updated+stats.Added != 0 {
		t.Errorf("refetch: %s; want the page parsed again and nothing rewritten", stats)
	}
}

// TestDuplicateTakesOver: when the page whose content two URLs share
// disappears, the duplicate holds the content from the next run on.
func TestDuplicateTakesOver(t *testing.T) {
	ctx := context.Background()
	site := newFixtureSite(t)
	st := openStore(t)
	c := testCrawler(st)
	src := testSource("dup", site.url("/help/router.html"), site.url("/help/router-copy.html"))
	src.FollowLinks = new(bool)
	if _, err := c.Run(ctx, src); err != nil {
		t.Fatal(err)
	}
	var holder, dup string
	for _, p := range []string{"/help/router.html", "/help/router-copy.html"} {
		cp, err := st.CrawlPageOf(ctx, "dup", site.url(p))
		if err != nil {
			t.Fatal(err)
		}
		switch cp.State {
		case corpus.CrawlOK:
			holder = p
		case corpus.CrawlDuplicate:
			dup = p
		}
	}
	if holder == "" || dup == "" {
		t.Fatalf("want one holder and one duplicate; got holder %q duplicate %q", holder, dup)
	}
	published := func() []string {
		var urls []string
		for _, d := range docsOfSource(t, st, "dup") {
			if d.Status == corpus.StatusPublished {
				urls = append(urls, d.URL)
			}
		}
		return urls
	}
	if got := published(); len(got) != 1 || got[0] != site.url(holder) {
		t.Fatalf("published before: got %v; want the holder's", got)
	}
	site.setGone(holder, true)
	for range 2 { // the holder may be fetched after the duplicate in a run
		if _, err := c.Run(ctx, src); err != nil {
			t.Fatal(err)
		}
	}
	if got := published(); len(got) != 1 || got[0] != site.url(dup) {
		t.Errorf("published after the holder went: got %v; want the former duplicate's", got)
	}
}

// TestCrawlDelay: robots.txt's Crawl-delay spaces the requests to a host
// even when the source asks for none.
func TestCrawlDelay(t *testing.T) {
	site := newFixtureSite(t)
	site.setBody("/robots.txt", "User-agent: *\nDisallow: /nothing\n\nUser-agent: sofort\nCrawl-delay: 0.2\n")
	var mu sync.Mutex
	var starts []time.Time
	site.setOnReq(func(p string) {
		if strings.HasPrefix(p, "/feeds/") {
			mu.Lock()
			starts = append(starts, time.Now())
			mu.Unlock()
		}
	})
	st := openStore(t)
	src := testSource("feeds", site.url("/feeds/rss.xml"), site.url("/feeds/atom.xml"))
	if _, err := testCrawler(st).Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(starts) != 2 {
		t.Fatalf("feed requests: got %d; want 2", len(starts))
	}
	if gap := starts[1].Sub(starts[0]).Abs(); gap < 190*time.Millisecond {
		t.Errorf("gap between requests: %v; want at least the Crawl-delay of 200ms", gap)
	}
}

// TestPageAndFrontierCaps: a run fetches at most MaxPages URLs and the
// next run goes on from there; a source that knows MaxPages×10 URLs stops
// adding new links (link traps).
func TestPageAndFrontierCaps(t *testing.T) {
	ctx := context.Background()
	site := newFixtureSite(t)
	links := func(extra string) string {
		var b strings.Builder
		b.WriteString(`<html lang="de"><head><title>Alle Fragen</title></head><body><main><p>Alle Fragen</p>`)
		for i := range genPages {
			fmt.Fprintf(&b, `<a href="/gen/p/%d.html">%d</a>`, i, i)
		}
		b.WriteString(extra + `</main></body></html>`)
		return b.String()
	}
	site.setBody("/links.html", links(""))
	st := openStore(t)
	c := testCrawler(st)
	src := testSource("caps", site.url("/links.html"))
	// Not the sitemaps robots.txt names.
	src.Scope = []string{site.url("/links.html"), site.url("/gen/")}
	src.MaxPages = 5
	fetched := map[string]bool{}
	for run := range 3 {
		stats, err := c.Run(ctx, src)
		if err != nil {
			t.Fatal(err)
		}
		if stats.Fetched != 5 {
			t.Errorf("run %d fetched %d URLs; want MaxPages = 5", run+1, stats.Fetched)
		}
	}
	for i := range genPages {
		if site.count(fmt.Sprintf("/gen/p/%d.html", i)) > 0 {
			fetched[strconv.Itoa(i)] = true
		}
	}
	// Three runs: the links page three times (it is a seed), and twelve
	// different pages.
	if len(fetched) != 12 {
		t.Errorf("pages fetched over three runs: %d; want 12 different ones", len(fetched))
	}
	// The source knows 301 URLs, more than 5×10: a new link is not added.
	site.setBody("/links.html", links(`<a href="/gen/extra.html">neu</a>`))
	if _, err := c.Run(ctx, src); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CrawlPageOf(ctx, "caps", site.url("/gen/extra.html")); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("a link was queued although the frontier was full: %v", err)
	}
	if n, _ := st.CrawlURLCount(ctx, "caps"); n != genPages+1 {
		t.Errorf("known URLs: got %d; want %d", n, genPages+1)
	}
}

// TestSitemapLastmod: a page whose lastmod in this run's sitemap is older
// than its last fetch is not requested; a newer lastmod fetches it; and
// after Sweep it is fetched whatever the sitemap says.
func TestSitemapLastmod(t *testing.T) {
	ctx := context.Background()
	site := newFixtureSite(t)
	st := openStore(t)
	c := testCrawler(st)
	src := testSource("maps", site.url("/maps/sitemap_index.xml")) // auto: the seed's kind is sniffed
	src.Scope = []string{site.url("/maps/")}
	if _, err := c.Run(ctx, src); err != nil {
		t.Fatal(err)
	}
	a, b := site.count("/maps/a.html"), site.count("/maps/b.html")
	stats, err := c.Run(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if site.count("/maps/a.html") != a || site.count("/maps/b.html") != b+1 || stats.ByLastmod != 1 {
		t.Errorf("second run: a.html requested %d more, b.html %d more (%s); want 0 (lastmod older than the fetch) and 1",
			site.count("/maps/a.html")-a, site.count("/maps/b.html")-b, stats)
	}
	// The page changes and the sitemap says so.
	sitemap := strings.ReplaceAll(mustRead(t, "testdata/site/maps/sitemap-pages.xml"), "HOST", strings.TrimPrefix(site.srv.URL, "http://"))
	site.setBody("/maps/sitemap-pages.xml.gz", strings.Replace(sitemap, "2025-06-01", time.Now().Add(time.Hour).UTC().Format(time.RFC3339), 1))
	site.setBody("/maps/a.html", strings.Replace(mustRead(t, "testdata/site/maps/a.html"), "costs nothing extra", "is included", 1))
	stats, err = c.Run(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if site.count("/maps/a.html") != a+1 || stats.Updated != 1 {
		t.Errorf("after a newer lastmod: a.html requested %d more (%s); want 1 and the document updated", site.count("/maps/a.html")-a, stats)
	}
	// A sitemap may lie: past Sweep the page is fetched anyway.
	site.setBody("/maps/sitemap-pages.xml.gz", sitemap)
	src.Sweep = time.Nanosecond
	if _, err := c.Run(ctx, src); err != nil {
		t.Fatal(err)
	}
	if site.count("/maps/a.html") != a+2 {
		t.Errorf("after Sweep: a.html requested %d more in total; want 2", site.count("/maps/a.html")-a)
	}
}
