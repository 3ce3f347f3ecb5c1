package corpus

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
)

func openCrawlTestStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "crawl.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func frontierURLs(t *testing.T, s *Store, source string, run int64) []string {
	t.Helper()
	ps, err := s.CrawlFrontier(context.Background(), source, run, 100)
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, p := range ps {
		urls = append(urls, p.URL)
	}
	return urls
}

func TestCrawlRunsResumeAndRequeue(t *testing.T) {
	ctx := context.Background()
	s := openCrawlTestStore(t)
	run, resumed, err := s.BeginCrawlRun(ctx, "help", []CrawlPage{{URL: "http://h/a", Kind: "page"}})
	if err != nil || run != 1 || resumed {
		t.Fatalf("first run: got %d, %v, %v; want 1, false, nil", run, resumed, err)
	}
	_, err = s.RecordCrawl(ctx, "help", run, []CrawlResult{{
		Page:  CrawlPage{URL: "http://h/a", Kind: "page", State: CrawlOK, ETag: `"v1"`},
		Links: []CrawlPage{{URL: "http://h/b", Kind: "page", Depth: 1}, {URL: "http://h/a", Kind: "page", Depth: 1}, {URL: "http://h/f", Kind: "feed", Depth: 1}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := frontierURLs(t, s, "help", run), []string{"http://h/b", "http://h/f"}; !slices.Equal(got, want) {
		t.Fatalf("frontier after fetching a: got %v; want %v", got, want)
	}
	// A killed run resumes with its frontier as it was.
	run2, resumed, err := s.BeginCrawlRun(ctx, "help", []CrawlPage{{URL: "http://h/a", Kind: "page"}})
	if err != nil || run2 != 1 || !resumed {
		t.Fatalf("resume: got %d, %v, %v; want 1, true, nil", run2, resumed, err)
	}
	if got, want := frontierURLs(t, s, "help", run), []string{"http://h/b", "http://h/f"}; !slices.Equal(got, want) {
		t.Fatalf("frontier after resume: got %v; want %v", got, want)
	}
	if _, err := s.RecordCrawl(ctx, "help", run, []CrawlResult{{Page: CrawlPage{URL: "http://h/b", State: CrawlGone, HTTPStatus: 404}},
		{Page: CrawlPage{URL: "http://h/f", Kind: "feed", State: CrawlOK}}, {Page: CrawlPage{URL: "http://h/g", Kind: "feed", State: CrawlError}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishCrawlRun(ctx, "help", run, "", "{}"); err != nil {
		t.Fatal(err)
	}
	// The next run checks every known URL again, the gone one too (it
	// may come back), except the kinds it is told to leave unless they
	// failed.
	run3, resumed, err := s.BeginCrawlRun(ctx, "help", nil, "feed")
	if err != nil || run3 != 2 || resumed {
		t.Fatalf("second run: got %d, %v, %v; want 2, false, nil", run3, resumed, err)
	}
	if got, want := frontierURLs(t, s, "help", run3), []string{"http://h/a", "http://h/g", "http://h/b"}; !slices.Equal(got, want) { // by depth
		t.Fatalf("second run frontier: got %v; want %v", got, want)
	}
	p, err := s.CrawlPageOf(ctx, "help", "http://h/a")
	if err != nil || p.ETag != `"v1"` {
		t.Fatalf("validators kept: got %+v, %v", p, err)
	}
	src, err := s.CrawlSourceOf(ctx, "help")
	if err != nil || src.Run != 2 || src.LastSuccess.IsZero() {
		t.Fatalf("source: got %+v, %v", src, err)
	}
}

func TestCrawlRetireRespectsStaff(t *testing.T) {
	ctx := context.Background()
	s := openCrawlTestStore(t)
	docs := []Document{
		{ID: "help:1", Kind: KindFAQ, Question: "q1", Answer: "a1"},
		{ID: "help:2", Kind: KindFAQ, Question: "q2", Answer: "a2"},
		{ID: "help:3", Kind: KindFAQ, Question: "q3", Answer: "a3"},
	}
	store := func(docs []Document) {
		t.Helper()
		if err := s.PrepareCrawled(ctx, docs); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Upsert(ctx, docs); err != nil {
			t.Fatal(err)
		}
	}
	status := func(id string) Status {
		t.Helper()
		d, err := s.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return d.Status
	}
	run, _, _ := s.BeginCrawlRun(ctx, "help", nil)
	store(docs)
	ok := func(url string, ids ...string) CrawlResult {
		return CrawlResult{Page: CrawlPage{URL: url, State: CrawlOK}, Docs: ids, SetDocs: true}
	}
	// help:3 is yielded by two URLs (same canonical page).
	if _, err := s.RecordCrawl(ctx, "help", run, []CrawlResult{ok("http://h/faq", "help:1", "help:2", "help:3"), ok("http://h/faq?x", "help:3")}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetStatus(ctx, "help:2", StatusRetired); err != nil { // staff
		t.Fatal(err)
	}
	// The FAQ page disappears: help:1 is retired by the crawler, help:2
	// stays retired by staff, help:3 lives on through the other URL.
	retired, err := s.RecordCrawl(ctx, "help", run, []CrawlResult{{Page: CrawlPage{URL: "http://h/faq", State: CrawlGone, HTTPStatus: 410}, SetDocs: true}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"help:1"}; !slices.Equal(retired, want) {
		t.Errorf("retired: got %v; want %v", retired, want)
	}
	for id, want := range map[string]Status{"help:1": StatusRetired, "help:2": StatusRetired, "help:3": StatusPublished} {
		if got := status(id); got != want {
			t.Errorf("%s after the page went: got %s; want %s", id, got, want)
		}
	}
	// The page comes back, changed: the crawler's retirement is undone,
	// staff's is kept though the content is updated.
	docs[1].Answer = "a2, revised"
	store(docs)
	if _, err := s.RecordCrawl(ctx, "help", run, []CrawlResult{ok("http://h/faq", "help:1", "help:2", "help:3")}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]Status{"help:1": StatusPublished, "help:2": StatusRetired, "help:3": StatusPublished} {
		if got := status(id); got != want {
			t.Errorf("%s after the page came back: got %s; want %s", id, got, want)
		}
	}
	if d, _ := s.Get(ctx, "help:2"); d.Answer != "a2, revised" {
		t.Errorf("staff-retired document content: got %q; want the revision", d.Answer)
	}
	// A duplicate URL finds the first one.
	if _, err := s.RecordCrawl(ctx, "help", run, []CrawlResult{{Page: CrawlPage{URL: "http://h/a", State: CrawlOK, ContentHash: "c1"}}}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.CrawlDuplicateOf(ctx, "help", "c1", "http://h/b"); err != nil || got != "http://h/a" {
		t.Errorf("duplicate of: got %q, %v; want http://h/a", got, err)
	}
	if got, _ := s.CrawlDuplicateOf(ctx, "help", "c1", "http://h/a"); got != "" {
		t.Errorf("a page is no duplicate of itself: got %q", got)
	}
}
