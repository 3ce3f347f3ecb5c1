package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sofort-chat/sofort/corpus"
	"github.com/sofort-chat/sofort/corpus/crawl"
)

// newSourcesEnv is newEnv with a sources file and a running crawl
// scheduler, wired as `sofort serve` wires them: the real crawler, store,
// index and server, talking over loopback.
func newSourcesEnv(t *testing.T) (*env, string, *crawl.Scheduler) {
	t.Helper()
	return newSourcesEnvPrivate(t, true)
}

// newSourcesEnvPrivate is newSourcesEnv with staff allowed to tick "allow
// private addresses" or not (sofort serve --staff-allow-private).
func newSourcesEnvPrivate(t *testing.T, staffAllowPrivate bool) (*env, string, *crawl.Scheduler) {
	t.Helper()
	var path string
	var sched *crawl.Scheduler
	e := newEnv(t, envOptions{sources: func(e *env, log *slog.Logger) SourcesOptions {
		path = filepath.Join(e.dir, "sources.yaml")
		sched = &crawl.Scheduler{
			Crawler: &crawl.Crawler{Store: e.store, Logger: log},
			Logger:  log,
			Load:    func() (crawl.Config, error) { return crawl.LoadConfigIfExists(path) },
			AfterRun: func(ctx context.Context, _ string, _ crawl.Stats, _ error) {
				if _, err := e.index.Sync(ctx, nil); err != nil && ctx.Err() == nil {
					t.Errorf("index after crawl: %v", err)
				}
			},
		}
		return SourcesOptions{File: path, Crawls: sched, AllowPrivate: staffAllowPrivate}
	}})
	sctx, stop := context.WithCancel(context.Background())
	schedDone := make(chan struct{})
	go func() {
		defer close(schedDone)
		sched.Run(sctx)
	}()
	// Cleanups run last-in first-out: the scheduler stops before newEnv's
	// cleanup closes the server and the store.
	t.Cleanup(func() {
		stop()
		<-schedDone
	})
	return e, path, sched
}

// helpSite is a help centre on loopback: a FAQ page (held until release
// is closed, so a test sees the crawl running) linking to a second FAQ
// page and to a page that fails with HTTP 500.
func helpSite(t *testing.T) (*httptest.Server, func()) {
	t.Helper()
	release := make(chan struct{})
	faq := func(q, a, links string) string {
		return fmt.Sprintf(`<!doctype html><html lang="en"><head><title>%s</title>
<script type="application/ld+json">{"@context":"https://schema.org","@type":"FAQPage","mainEntity":[
{"@type":"Question","name":%q,"acceptedAnswer":{"@type":"Answer","text":%q}}]}</script></head>
<body><main><h1>%s</h1><p>%s</p>%s</main></body></html>`, q, q, a, q, a, links)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/help/", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, faq("How do I reset my zorblat password?", "Open settings and choose reset zorblat password.",
			`<a href="/help/billing.html">Billing</a> <a href="/help/broken.html">Broken</a>`))
	})
	mux.HandleFunc("/help/billing.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, faq("When is the zorblat invoice sent?", "The zorblat invoice is sent on the first of each month.", ""))
	})
	mux.HandleFunc("/help/broken.html", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "database on fire", http.StatusInternalServerError)
	})
	site := httptest.NewServer(mux)
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	t.Cleanup(func() {
		open()
		site.Close()
	})
	return site, open
}

// TestSourcesPage: a logged-in staff member adds a source pointing at a
// loopback help centre, starts a crawl, sees it running, cannot start a
// second one of the same source, then sees the last crawl with its
// figures and the broken URL with its reason; invalid input is refused
// on the form naming the field, and the file stays as it was; edits and
// removal land in the file.
func TestSourcesPage(t *testing.T) {
	e, path, _ := newSourcesEnv(t)
	site, release := helpSite(t)
	e.addStaff("anna", "correct horse battery")
	sc := e.login("anna", "correct horse battery")

	status, body := sc.get("/staff/")
	if status != http.StatusOK || !strings.Contains(body, `href="/staff/sources"`) {
		t.Fatalf("inbox: %d, no link to the sources page:\n%s", status, body)
	}
	status, body = sc.get("/staff/sources")
	if status != http.StatusOK || !strings.Contains(body, `id="no-sources"`) {
		t.Fatalf("empty sources page: %d\n%s", status, body)
	}
	status, body = sc.get("/staff/sources/new")
	if status != http.StatusOK || !strings.Contains(body, `name="urls"`) {
		t.Fatalf("new source form: %d\n%s", status, body)
	}
	version := regexpValue(t, body, "version")

	good := url.Values{"version": {version}, "name": {"help"}, "type": {"auto"}, "urls": {site.URL + "/help/"},
		"delay": {"0s"}, "allow_private": {"on"}, "tags": {"help, faq"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for key, vals := range good {
			f[key] = append([]string(nil), vals...)
		}
		f.Set(k, v)
		return f
	}

	// Invalid input: the form comes back with the field named, no file.
	for _, tc := range []struct{ key, value, field string }{
		{"schedule", "soon", "schedule"},
		{"urls", "ftp://example.com/", "urls"},
		{"name", "no spaces", "name"},
		{"max_pages", "many", "max_pages"},
		{"lang", "deutsch", "lang"},
	} {
		status, body = sc.post("/staff/sources/new", with(tc.key, tc.value))
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="form-error"`) || !strings.Contains(body, "("+tc.field+")") {
			t.Errorf("%s=%q: got %d; want 422 with an error naming %s\n%s", tc.key, tc.value, status, tc.field, body)
		}
		if !strings.Contains(body, `value="`+htmlEscape(tc.value)+`"`) && tc.key != "urls" {
			t.Errorf("%s=%q: the form lost what was typed", tc.key, tc.value)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s=%q: the sources file was written: %v", tc.key, tc.value, err)
		}
	}

	status, body = sc.post("/staff/sources/new", good)
	if status != http.StatusOK || !strings.Contains(body, "help") || !strings.Contains(body, `id="notice"`) {
		t.Fatalf("add source: %d\n%s", status, body)
	}
	cfg, err := crawl.LoadConfig(path)
	if err != nil || len(cfg.Sources) != 1 || cfg.Sources[0].Name != "help" || !cfg.Sources[0].AllowPrivate || cfg.Sources[0].Schedule != 0 {
		t.Fatalf("sources file after add: %+v, %v", cfg, err)
	}
	saved, _ := os.ReadFile(path)

	// Invalid edit: refused, file byte for byte as it was.
	status, body = sc.get("/staff/sources/help/edit")
	if status != http.StatusOK || !strings.Contains(body, site.URL+"/help/") {
		t.Fatalf("edit form: %d\n%s", status, body)
	}
	edit := with("schedule", "every day")
	edit.Set("version", regexpValue(t, body, "version"))
	status, body = sc.post("/staff/sources/help/edit", edit)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "(schedule)") {
		t.Errorf("invalid edit: got %d; want 422 naming schedule\n%s", status, body)
	}
	if now, _ := os.ReadFile(path); string(now) != string(saved) {
		t.Errorf("invalid edit changed the file:\n%s", now)
	}

	// Crawl now, right after the save: the scheduler runs the crawl in the
	// background; the page shows it running and refuses a second one.
	status, body = sc.post("/staff/sources/help/crawl", url.Values{})
	if status != http.StatusOK || !strings.Contains(body, `id="notice"`) {
		t.Fatalf("crawl now: %d\n%s", status, body)
	}
	if !strings.Contains(body, `data-state="`) {
		t.Errorf("after crawl now: the page shows no running or waiting crawl\n%s", body)
	}
	waitFor(t, sc, "a running crawl", func(b string) bool { return strings.Contains(b, `data-state="running"`) })
	status, body = sc.post("/staff/sources/help/crawl", url.Values{})
	if status != http.StatusOK || !strings.Contains(body, "already crawling") {
		t.Errorf("second crawl now while running: %d; want the page saying it is already crawling\n%s", status, body)
	}
	release()
	body = waitFor(t, sc, "the finished crawl", func(b string) bool {
		return strings.Contains(b, `class="last-crawl"><time>`) && !strings.Contains(b, `data-state=`)
	})
	for _, want := range []string{"3 pages", "2 added", "0 updated", "0 retired", site.URL + "/help/broken.html", "HTTP 500"} {
		if !strings.Contains(body, want) {
			t.Errorf("sources page after the crawl lacks %q\n%s", want, body)
		}
	}
	docs := 0
	e.store.Each(context.Background(), func(d corpus.Document) error {
		if d.Source == "help" {
			docs++
		}
		return nil
	})
	if docs != 2 {
		t.Errorf("documents of source help: got %d; want 2", docs)
	}

	// German.
	req, _ := http.NewRequest("GET", e.url+"/staff/sources", nil)
	req.Header.Set("Accept-Language", "de-DE,de;q=0.9")
	resp, err := sc.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1<<20)
	n, _ := readAll(resp, b)
	if !strings.Contains(string(b[:n]), "Letzter Crawl") || !strings.Contains(string(b[:n]), "Jetzt crawlen") {
		t.Errorf("German sources page lacks its texts:\n%s", b[:n])
	}

	// A valid edit lands in the file and keeps the fields the form does
	// not show.
	status, body = sc.get("/staff/sources/help/edit")
	edit = with("schedule", "6h")
	edit.Set("version", regexpValue(t, body, "version"))
	if status, body = sc.post("/staff/sources/help/edit", edit); status != http.StatusOK {
		t.Fatalf("edit: %d\n%s", status, body)
	}
	if cfg, err = crawl.LoadConfig(path); err != nil || cfg.Sources[0].Schedule != 6*time.Hour || len(cfg.Sources[0].Tags) != 2 {
		t.Errorf("after edit: %+v, %v", cfg.Sources, err)
	}
	// A stale form (the file changed meanwhile) is refused.
	if status, body = sc.post("/staff/sources/help/edit", edit); status != http.StatusConflict {
		t.Errorf("stale edit: got %d; want 409\n%s", status, body)
	}

	// Removal needs the confirmation and keeps the documents.
	if status, _ = sc.post("/staff/sources/help/delete", url.Values{}); status != http.StatusBadRequest {
		t.Errorf("remove without confirmation: got %d; want 400", status)
	}
	if status, body = sc.post("/staff/sources/help/delete", url.Values{"confirm": {"yes"}}); status != http.StatusOK || !strings.Contains(body, `id="no-sources"`) {
		t.Errorf("remove: %d\n%s", status, body)
	}
	if !strings.Contains(body, `class="inbox other-sources"`) || !strings.Contains(body, "<td>help</td>") {
		t.Errorf("a removed source with crawl history is not listed as such:\n%s", body)
	}
	if cfg, err = crawl.LoadConfig(path); err != nil || len(cfg.Sources) != 0 {
		t.Errorf("after remove: %+v, %v", cfg.Sources, err)
	}
	if d, err := e.store.Get(context.Background(), docIDOf(t, e, "help")); err != nil || d.Status != corpus.StatusPublished {
		t.Errorf("a removed source's document: %+v, %v; want it kept, published", d, err)
	}
}

// TestSourcesPageNeedsSession: without a session the pages redirect to
// the login and the actions are refused, and nothing is written (the
// route walk in routes_test.go covers every route with more kinds of bad
// session).
func TestSourcesPageNeedsSession(t *testing.T) {
	e, path, _ := newSourcesEnv(t)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(e.url + "/staff/sources")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/staff/login?next=%2Fstaff%2Fsources") {
		t.Errorf("GET /staff/sources without a session: %d to %q; want 303 to the login", resp.StatusCode, resp.Header.Get("Location"))
	}
	form := url.Values{"name": {"evil"}, "urls": {"http://169.254.169.254/"}, "allow_private": {"on"}}
	if st, _ := e.do("POST", "/staff/sources/new", "application/x-www-form-urlencoded", strings.NewReader(form.Encode())); st != http.StatusForbidden {
		t.Errorf("POST /staff/sources/new without a session: %d; want 403", st)
	}
	// Logged in but without the CSRF token: refused too.
	e.addStaff("anna", "correct horse battery")
	sc := e.login("anna", "correct horse battery")
	form.Set("csrf", "wrong")
	if st, _ := sc.post("/staff/sources/new", form); st != http.StatusForbidden {
		t.Errorf("POST without the CSRF token: %d; want 403", st)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the sources file was written: %v", err)
	}
}

func regexpValue(t *testing.T, body, name string) string {
	t.Helper()
	i := strings.Index(body, `name="`+name+`" value="`)
	if i < 0 {
		t.Fatalf("no %s field in\n%s", name, body)
	}
	rest := body[i+len(`name="`+name+`" value="`):]
	return rest[:strings.IndexByte(rest, '"')]
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

func readAll(resp *http.Response, b []byte) (int, error) {
	defer resp.Body.Close()
	n := 0
	for n < len(b) {
		m, err := resp.Body.Read(b[n:])
		n += m
		if err != nil {
			return n, nil
		}
	}
	return n, nil
}

// waitFor reloads the sources page until ok holds (30 s at most).
func waitFor(t *testing.T, sc *staffClient, what string, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, body := sc.get("/staff/sources")
		if status == http.StatusOK && ok(body) {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("sources page never showed %s: %d\n%s", what, status, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func docIDOf(t *testing.T, e *env, source string) string {
	t.Helper()
	id := ""
	e.store.Each(context.Background(), func(d corpus.Document) error {
		if d.Source == source && id == "" {
			id = d.ID
		}
		return nil
	})
	if id == "" {
		t.Fatalf("no document of source %s", source)
	}
	return id
}

// TestSourcesPageKeepsKeys: the page cannot give a source an API key from
// the server's environment, nor move a keyed source to another host,
// since either would let a staff login send the server's secrets to a
// site of its choosing; other edits of a keyed source keep its key.
func TestSourcesPageKeepsKeys(t *testing.T) {
	t.Setenv("SOFORT_TEST_FORUM_KEY", "s3cret-forum-key")
	e, path, _ := newSourcesEnv(t)
	const file = `sources:
  - name: forum
    type: discourse
    url: https://forum.example.com
    api_key_env: SOFORT_TEST_FORUM_KEY   # set by the operator
    api_username: system
`
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	e.addStaff("anna", "correct horse battery")
	sc := e.login("anna", "correct horse battery")
	status, body := sc.get("/staff/sources/forum/edit")
	if status != http.StatusOK || strings.Contains(body, `name="api_key_env"`) || !strings.Contains(body, "$SOFORT_TEST_FORUM_KEY") || strings.Contains(body, "s3cret") {
		t.Fatalf("edit form of a keyed source: %d; want the key's origin shown, no field for it, never the key\n%s", status, body)
	}
	form := url.Values{"version": {regexpValue(t, body, "version")}, "name": {"forum"}, "type": {"discourse"},
		"urls": {"https://attacker.example/"}, "api_key_env": {"SOFORT_WEBHOOK_SECRET"}}
	if status, body = sc.post("/staff/sources/forum/edit", form); status != http.StatusUnprocessableEntity || !strings.Contains(body, "(urls)") {
		t.Errorf("moving a keyed source to another host: %d; want 422 naming urls\n%s", status, body)
	}
	if now, _ := os.ReadFile(path); string(now) != file {
		t.Errorf("refused edit changed the file:\n%s", now)
	}
	form.Set("urls", "https://forum.example.com")
	form.Set("schedule", "30m")
	if status, body = sc.post("/staff/sources/forum/edit", form); status != http.StatusOK {
		t.Fatalf("edit of a keyed source: %d\n%s", status, body)
	}
	now, _ := os.ReadFile(path)
	if !strings.Contains(string(now), "api_key_env: SOFORT_TEST_FORUM_KEY # set by the operator") || strings.Contains(string(now), "WEBHOOK") || !strings.Contains(string(now), "schedule: 30m") {
		t.Errorf("after the edit the key must be the operator's, with the new schedule:\n%s", now)
	}
	// A new source gets no key either.
	status, body = sc.get("/staff/sources/new")
	form = url.Values{"version": {regexpValue(t, body, "version")}, "name": {"other"}, "urls": {"https://other.example/"},
		"api_key_env": {"SOFORT_TEST_FORUM_KEY"}}
	if status, body = sc.post("/staff/sources/new", form); status != http.StatusOK {
		t.Fatalf("add: %d\n%s", status, body)
	}
	if cfg, err := crawl.LoadConfig(path); err != nil || len(cfg.Sources) != 2 || cfg.Sources[1].APIKey != "" {
		t.Errorf("new source from the page: %+v, %v; want no API key", cfg.Sources, err)
	}
}

// Private addresses are the operator's call: unless serve allows it, staff
// can neither tick the box on a new source nor on one that lacks it, but a
// source the operator allowed in the file keeps it through an edit.
func TestSourcesPagePrivateIsOperators(t *testing.T) {
	e, path, _ := newSourcesEnvPrivate(t, false)
	const file = `sources:
  - name: intranet
    url: http://10.1.2.3/help/
    allow_private: true
`
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	e.addStaff("anna", "correct horse battery")
	sc := e.login("anna", "correct horse battery")
	_, body := sc.get("/staff/sources/new")
	form := url.Values{"version": {regexpValue(t, body, "version")}, "name": {"meta"},
		"urls": {"http://169.254.169.254/latest/"}, "allow_private": {"on"}}
	if status, body := sc.post("/staff/sources/new", form); status != http.StatusUnprocessableEntity || !strings.Contains(body, "(allow_private)") {
		t.Errorf("new source allowing private addresses: %d; want 422 naming allow_private\n%s", status, body)
	}
	if now, _ := os.ReadFile(path); string(now) != file {
		t.Errorf("refused source changed the file:\n%s", now)
	}
	_, body = sc.get("/staff/sources/intranet/edit")
	form = url.Values{"version": {regexpValue(t, body, "version")}, "name": {"intranet"},
		"urls": {"http://10.1.2.3/help/"}, "allow_private": {"on"}, "schedule": {"1h"}}
	if status, body := sc.post("/staff/sources/intranet/edit", form); status != http.StatusOK {
		t.Fatalf("edit of a source the operator allowed: %d\n%s", status, body)
	}
	if now, _ := os.ReadFile(path); !strings.Contains(string(now), "allow_private: true") || !strings.Contains(string(now), "schedule: 1h") {
		t.Errorf("after the edit the operator's allow_private must stay, with the new schedule:\n%s", now)
	}
}
