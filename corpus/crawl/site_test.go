package crawl

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sofort-chat/sofort/corpus"
)

// fixtureSite is a real HTTP server on loopback serving testdata/site
// (with "HOST" replaced by its address), a few misbehaving pages and a
// Discourse-shaped forum under /forum. It answers conditional requests
// with 304 like a well-behaved server and counts every request.
type fixtureSite struct {
	t     testing.TB
	srv   *httptest.Server
	forum *fakeForum

	mu       sync.Mutex
	requests map[string]int // path?query -> count
	total    int
	gone     map[string]bool   // paths answering 410
	override map[string]string // path -> body replacing the file
	onReq    func(path string)
	genN     int  // pages of the generated site under /gen/
	genLM    bool // its sitemap gives a lastmod (a fixed day in the past)
}

func newFixtureSite(t testing.TB) *fixtureSite {
	t.Helper()
	s := &fixtureSite{t: t, requests: map[string]int{}, gone: map[string]bool{}, override: map[string]string{}, forum: newFakeForum(), genN: genPages}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *fixtureSite) url(p string) string { return s.srv.URL + p }

func (s *fixtureSite) count(p string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[p]
}

func (s *fixtureSite) totalRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// setOnReq sets a function every request calls first with its path.
func (s *fixtureSite) setOnReq(f func(path string)) {
	s.mu.Lock()
	s.onReq = f
	s.mu.Unlock()
}

func (s *fixtureSite) setGone(p string, g bool) {
	s.mu.Lock()
	s.gone[p] = g
	s.mu.Unlock()
}

func (s *fixtureSite) setBody(p, body string) {
	s.mu.Lock()
	s.override[p] = body
	s.mu.Unlock()
}

func (s *fixtureSite) serve(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Path
	if r.URL.RawQuery != "" {
		key += "?" + r.URL.RawQuery
	}
	s.mu.Lock()
	s.requests[key]++
	s.total++
	gone := s.gone[r.URL.Path]
	body, overridden := s.override[r.URL.Path]
	onReq := s.onReq
	s.mu.Unlock()
	if onReq != nil {
		onReq(r.URL.Path)
	}
	if !strings.HasPrefix(r.UserAgent(), "sofort/") {
		http.Error(w, "no user agent", http.StatusForbidden)
		return
	}
	p := r.URL.Path
	switch {
	case gone:
		http.Error(w, "gone", http.StatusGone)
		return
	case strings.HasPrefix(p, "/forum/") || p == "/forum":
		s.forum.serve(w, r)
		return
	case p == "/help/big.html":
		// 50 MB, streamed without Content-Length: only the cap stops it.
		w.Header().Set("Content-Type", "text/html")
		chunk := bytes.Repeat([]byte("<p>Handbuch</p>\n"), 4096)
		for sent := 0; sent < 50<<20; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		return
	case p == "/help/huge.html":
		// Announces 60 MB: refused before the body is read.
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Length", strconv.Itoa(60<<20))
		w.Write([]byte("<p>Anfang</p>"))
		return
	case p == "/help/slowbody.html":
		// Headers and a first chunk, then nothing.
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html><body><p>Erster Teil"))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		return
	case p == "/help/loop/a.html":
		http.Redirect(w, r, "/help/loop/b.html", http.StatusFound)
		return
	case p == "/help/loop/b.html":
		http.Redirect(w, r, "/help/loop/a.html", http.StatusFound)
		return
	case p == "/help/stall.html":
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		return
	case p == "/help/metadata.html":
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		return
	case p == "/help/moved.html":
		http.Redirect(w, r, "https://elsewhere.example/help/", http.StatusMovedPermanently)
		return
	case p == "/help/ten.html":
		http.Redirect(w, r, "http://10.1.2.3/help/", http.StatusFound)
		return
	case strings.HasPrefix(p, "/gen/"):
		s.serveGenerated(w, r)
		return
	}
	var data []byte
	if overridden {
		data = []byte(body)
	} else {
		file := strings.TrimSuffix(p, ".gz")
		var err error
		data, err = os.ReadFile(filepath.Join("testdata", "site", filepath.FromSlash(path.Clean(file))))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		data = bytes.ReplaceAll(data, []byte("HOST"), []byte(strings.TrimPrefix(s.srv.URL, "http://")))
	}
	switch {
	case strings.HasSuffix(p, ".gz"):
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(data)
		zw.Close()
		data = b.Bytes()
		w.Header().Set("Content-Type", "application/gzip")
	case strings.HasSuffix(p, ".xml"):
		w.Header().Set("Content-Type", "application/xml")
	case strings.HasSuffix(p, ".txt"):
		w.Header().Set("Content-Type", "text/plain")
	default:
		w.Header().Set("Content-Type", "text/html")
	}
	serveConditional(w, r, data)
}

// serveConditional answers with an ETag and honours If-None-Match.
func serveConditional(w http.ResponseWriter, r *http.Request, data []byte) {
	sum := sha256.Sum256(data)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

// serveGenerated serves a site of n linked pages: /gen/index.html links
// to /gen/p/0.html ... and each page links to its neighbours.
func (s *fixtureSite) serveGenerated(w http.ResponseWriter, r *http.Request) {
	n := s.genN
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if r.URL.Path == "/gen/sitemap.xml" {
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">`)
		for i := range n {
			lastmod := ""
			if s.genLM {
				lastmod = "<lastmod>2025-06-01</lastmod>"
			}
			fmt.Fprintf(&b, "<url><loc>%s/gen/p/%d.html</loc>%s</url>", s.srv.URL, i, lastmod)
		}
		b.WriteString("</urlset>")
		w.Header().Set("Content-Type", "application/xml")
		serveConditional(w, r, []byte(b.String()))
		return
	}
	var i int
	if _, err := fmt.Sscanf(r.URL.Path, "/gen/p/%d.html", &i); err != nil || i < 0 || i >= n {
		http.NotFound(w, r)
		return
	}
	serveConditional(w, r, []byte(genPage(i)))
}

// genPages is the size of the generated site in tests (benchmarks set
// their own).
const genPages = 150

var genTopics = []string{"Rechnung", "Vertrag", "Router", "Roaming", "eSIM", "Tarif", "Kündigung", "Störung"}

func genPage(i int) string {
	topic := genTopics[i%len(genTopics)]
	return fmt.Sprintf(`<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>%s: Frage %d</title></head>
<body><nav><a href="/gen/p/%d.html">zurück</a> <a href="/gen/p/%d.html">weiter</a></nav>
<main><h1>%s: Frage %d</h1><p>Antwort Nummer %d zum Thema %s. Sie finden alle Einstellungen in Mein Funkfuchs unter Konto und Einstellungen; bei Fragen hilft der Kundenservice.</p></main>
<footer>© Funkfuchs</footer></body></html>`, topic, i, max(i-1, 0), i+1, topic, i, i, topic)
}

// fakeForum answers like Discourse's public JSON API: /latest.json paged
// by more_topics_url (newest bump first, pinned topics on top),
// /t/{id}.json with the first postsPerPage posts and the full stream,
// /t/{id}/posts.json?post_ids[]=, /categories.json with subcategories.
type fakeForum struct {
	mu     sync.Mutex
	topics []*forumTopic
	apiKey string // required when set
}

type forumTopic struct {
	id       int64
	title    string
	category int64
	tags     []string
	created  time.Time
	bumped   time.Time
	pinned   bool
	posts    []forumPost
	accepted int // post number of the solution, 0 if none
}

type forumPost struct {
	user  string
	html  string
	likes int
}

const forumPerPage = 2 // topics per latest page (Discourse: 30)
const forumPostChunk = 20

func newFakeForum() *fakeForum {
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	f := &fakeForum{}
	f.topics = []*forumTopic{
		{id: 1, title: "Willkommen im Forum", category: 1, created: t0, bumped: t0, pinned: true,
			posts: []forumPost{{user: "system", html: "<p>Bitte seid nett zueinander.</p>"}}},
		{id: 2, title: "eSIM wird nicht aktiviert", category: 3, tags: []string{"esim", "iphone"}, created: t0.Add(time.Hour), bumped: t0.Add(5 * time.Hour), accepted: 3,
			posts: []forumPost{
				{user: "anna", html: "<p>Mein iPhone zeigt <em>Kein Dienst</em> nach dem Scannen.</p>"},
				{user: "ben", html: "<p>Neustart probiert?</p>", likes: 1},
				{user: "Funkfuchs_Team", html: "<p>Die eSIM muss erst im Kundenkonto freigeschaltet werden.</p>", likes: 7},
			}},
		{id: 3, title: "Lange Diskussion über Tarife", category: 2, created: t0.Add(2 * time.Hour), bumped: t0.Add(4 * time.Hour)},
		{id: 4, title: "Router-Passwort vergessen", category: 2, tags: []string{"router"}, created: t0.Add(3 * time.Hour), bumped: t0.Add(3 * time.Hour),
			posts: []forumPost{{user: "carl", html: "<p>Wie setze ich das Passwort zurück?</p>"}, {user: "dora", html: "<p>Reset-Knopf 10 Sekunden drücken.</p>", likes: 2}}},
	}
	for i := range 25 {
		f.topics[2].posts = append(f.topics[2].posts, forumPost{user: "user" + strconv.Itoa(i), html: fmt.Sprintf("<p>Beitrag %d zu Tarifen.</p>", i+1)})
	}
	return f
}

// remove deletes topic id, as staff deleting a topic does.
func (f *fakeForum) remove(id int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.topics = slices.DeleteFunc(f.topics, func(t *forumTopic) bool { return t.id == id })
}

// bump adds a reply to topic id.
func (f *fakeForum) bump(id int64, post forumPost, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.topics {
		if t.id == id {
			t.posts = append(t.posts, post)
			t.bumped = at
		}
	}
}

func postID(topic int64, n int) int64 { return topic*1000 + int64(n) }

func (f *fakeForum) postJSON(t *forumTopic, n int) map[string]any {
	p := t.posts[n-1]
	return map[string]any{
		"id": postID(t.id, n), "username": p.user, "cooked": p.html, "post_number": n, "post_type": 1,
		"created_at": t.created.Add(time.Duration(n) * time.Minute).Format(time.RFC3339Nano), "topic_id": t.id,
		"actions_summary": []map[string]any{{"id": 2, "count": p.likes}}, "accepted_answer": n == t.accepted,
		"hidden": false, "user_deleted": false, "deleted_at": nil,
	}
}

func (f *fakeForum) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.apiKey != "" && (r.Header.Get("Api-Key") != f.apiKey || r.Header.Get("Api-Username") != "system") {
		http.Error(w, `{"errors":["not allowed"]}`, http.StatusForbidden)
		return
	}
	p := strings.TrimPrefix(r.URL.Path, "/forum")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	enc := json.NewEncoder(w)
	switch {
	case p == "/latest.json":
		sorted := make([]*forumTopic, len(f.topics))
		copy(sorted, f.topics)
		// Pinned first, then by bump, newest first.
		for i := range sorted {
			for j := i + 1; j < len(sorted); j++ {
				a, b := sorted[i], sorted[j]
				if b.pinned && !a.pinned || a.pinned == b.pinned && b.bumped.After(a.bumped) {
					sorted[i], sorted[j] = b, a
				}
			}
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		from := page * forumPerPage
		list := map[string]any{"can_create_topic": false, "per_page": forumPerPage}
		var topics []map[string]any
		for _, t := range sorted[min(from, len(sorted)):min(from+forumPerPage, len(sorted))] {
			topics = append(topics, map[string]any{
				"id": t.id, "title": t.title, "fancy_title": t.title, "slug": slug(t.title), "posts_count": len(t.posts),
				"created_at": t.created.Format(time.RFC3339Nano), "bumped": true, "bumped_at": t.bumped.Format(time.RFC3339Nano),
				"pinned": t.pinned, "category_id": t.category, "tags": t.tags, "archetype": "regular", "has_accepted_answer": t.accepted > 0,
			})
		}
		list["topics"] = topics
		if from+forumPerPage < len(sorted) {
			list["more_topics_url"] = fmt.Sprintf("/forum/latest?no_definitions=true&page=%d", page+1)
		}
		enc.Encode(map[string]any{"users": []any{}, "primary_groups": []any{}, "topic_list": list})
	case p == "/categories.json":
		enc.Encode(map[string]any{"category_list": map[string]any{"can_create_category": false, "categories": []map[string]any{
			{"id": 1, "name": "Ankündigungen", "slug": "ankuendigungen"},
			{"id": 2, "name": "Tarife & Router", "slug": "tarife", "subcategory_list": []map[string]any{{"id": 3, "name": "eSIM", "slug": "esim"}}},
		}}})
	case strings.HasPrefix(p, "/t/"):
		rest := strings.TrimPrefix(p, "/t/")
		var id int64
		var more bool
		if strings.HasSuffix(rest, "/posts.json") {
			id, _ = strconv.ParseInt(strings.TrimSuffix(rest, "/posts.json"), 10, 64)
			more = true
		} else {
			id, _ = strconv.ParseInt(strings.TrimSuffix(rest, ".json"), 10, 64)
		}
		var t *forumTopic
		for _, x := range f.topics {
			if x.id == id {
				t = x
			}
		}
		if t == nil {
			w.WriteHeader(http.StatusNotFound)
			enc.Encode(map[string]any{"errors": []string{"The requested URL or resource could not be found."}, "error_type": "not_found"})
			return
		}
		if more {
			var posts []map[string]any
			for _, v := range r.URL.Query()["post_ids[]"] {
				pid, _ := strconv.ParseInt(v, 10, 64)
				if n := int(pid - t.id*1000); n >= 1 && n <= len(t.posts) {
					posts = append(posts, f.postJSON(t, n))
				}
			}
			enc.Encode(map[string]any{"post_stream": map[string]any{"posts": posts}, "id": t.id})
			return
		}
		var posts []map[string]any
		var stream []int64
		for n := 1; n <= len(t.posts); n++ {
			stream = append(stream, postID(t.id, n))
			if n <= forumPostChunk {
				posts = append(posts, f.postJSON(t, n))
			}
		}
		out := map[string]any{
			"post_stream": map[string]any{"posts": posts, "stream": stream},
			"id":          t.id, "title": t.title, "fancy_title": t.title, "slug": slug(t.title), "posts_count": len(t.posts),
			"created_at": t.created.Format(time.RFC3339Nano), "category_id": t.category, "tags": t.tags, "archetype": "regular",
			"pinned": t.pinned, "chunk_size": forumPostChunk,
		}
		if t.accepted > 0 {
			out["accepted_answer"] = map[string]any{"post_number": t.accepted, "username": t.posts[t.accepted-1].user, "excerpt": "…"}
		}
		enc.Encode(out)
	case p == "/" || p == "":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<html><head><meta name="generator" content="Discourse 3.3.0 - https://github.com/discourse/discourse version 1234"><title>Funkfuchs Community</title></head><body><noscript>Forum</noscript></body></html>`)
	default:
		w.WriteHeader(http.StatusNotFound)
		enc.Encode(map[string]any{"errors": []string{"not found"}})
	}
}

func slug(s string) string {
	return strings.Trim(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + 32
		}
		return '-'
	}, s), "-")
}

// loopback is the only private range the tests allow.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

func openStore(t testing.TB) *corpus.Store {
	t.Helper()
	s, err := corpus.Open(context.Background(), filepath.Join(t.TempDir(), "sofort.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testCrawler(st *corpus.Store) *Crawler {
	return &Crawler{Store: st, Workers: 4, BatchSize: 8}
}

// testSource is a source on the fixture site with test-sized limits.
func testSource(name string, urls ...string) Source {
	return Source{Name: name, URLs: urls, Delay: NoDelay, Concurrency: 4, Timeout: 2 * time.Second,
		MaxBytes: 1 << 20, AllowNetworks: loopback}
}

func docsOfSource(t *testing.T, st *corpus.Store, source string) map[string]corpus.Document {
	t.Helper()
	out := map[string]corpus.Document{}
	err := st.Each(context.Background(), func(d corpus.Document) error {
		if d.Source == source {
			out[d.ID] = d
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func findDoc(docs map[string]corpus.Document, pred func(corpus.Document) bool) (corpus.Document, int) {
	var found corpus.Document
	n := 0
	for _, d := range docs {
		if pred(d) {
			found = d
			n++
		}
	}
	return found, n
}
