package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sofort-chat/sofort/corpus"
)

// chromiumPath finds Debian's chromium. `make test` installs it (make
// deps-test); a plain `go test` without it skips the browser test, except
// in CI, where a missing browser is a failure.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" || os.Getenv("SOFORT_BROWSER_TEST") == "1" {
		t.Fatal("chromium not found; run `make deps-test` (apt-get install -y chromium)")
	}
	t.Skip("chromium not found; `make deps-test` installs it")
	return ""
}

// TestBrowser drives the real widget in headless Chromium: a visitor asks
// a demo question and gets the right answer with its source, clicks
// "helped", asks something off-topic and reaches the handoff; a staff
// member logs in, claims and replies in a second tab, and the reply
// appears in the visitor's chat. Then a corpus document full of markup is
// shown without running it, and the one-tag bubble works on a page of
// another origin.
func TestBrowser(t *testing.T) {
	chromium := chromiumPath(t)
	e := newEnv(t, envOptions{})
	ctx := context.Background()

	// A document an attacker managed to get into the corpus.
	hostile := corpus.Document{
		ID: "faq-en-zebra-router", Kind: corpus.KindFAQ, Lang: "en", Status: corpus.StatusPublished,
		Title:        `Zebra router <img src=x onerror="window.__pwned=1"> reset`,
		Question:     "How do I reset the zebra router?",
		AltQuestions: []string{"zebra router reset", "reset my zebra router"},
		Answer:       `Hold the zebra button for ten seconds. <script>window.__pwned=2</script><b onmouseover="window.__pwned=3">bold</b>`,
		URL:          "https://hilfe.funkfuchs.example/zebra",
	}
	if _, err := e.store.Upsert(ctx, []corpus.Document{hostile}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.index.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	cancelDoc, err := e.store.Get(ctx, "faq-en-cancel-contract")
	if err != nil {
		t.Fatal(err)
	}
	e.addStaff("anna", "correct horse battery")

	profile, err := os.MkdirTemp("", "sofort-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Chromium's helpers may still write for a moment after exit.
		for range 50 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(profile),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	visitor, cancel := context.WithTimeout(browser, 90*time.Second)
	defer cancel()

	step := func(name string, c context.Context, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(c, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// waitFor polls a predicate; it survives page loads (form posts,
	// redirects), which a Poll action does not.
	waitFor := func(name string, c context.Context, js string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		var lastErr error
		for time.Now().Before(deadline) {
			ok, err := chromedp.Run(c, chromedp.Evaluate[bool]("!!("+js+")"))
			if err == nil && ok {
				return
			}
			lastErr = err
			time.Sleep(50 * time.Millisecond)
		}
		text, _ := chromedp.Run(c, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("%s: waiting for %s: %v\npage text:\n%s", name, js, lastErr, text)
	}
	eval := func(c context.Context, js string) string {
		t.Helper()
		v, err := chromedp.Run(c, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return v
	}
	const lastBot = `[...document.querySelectorAll('#log .msg.bot')].pop()`

	// A phone-sized window.
	step("open widget", visitor, chromedp.EmulateViewport(390, 780), chromedp.Navigate(e.url+"/?lang=en"))
	waitFor("greeting", visitor, `document.querySelector('#log .msg.bot')`)
	if w := eval(visitor, `String(document.documentElement.scrollWidth <= window.innerWidth)`); w != "true" {
		t.Errorf("the widget scrolls sideways on a 390 px phone screen")
	}

	step("ask", visitor, chromedp.SendKeys(chromedp.CSS("#input"), "How do I cancel my Funkfuchs contract?\r"))
	waitFor("answer", visitor, `document.querySelector('#log .msg.bot[data-decision="answer"] .sources a')`)
	src := eval(visitor, `(() => { const a = document.querySelector('#log .msg.bot[data-decision="answer"] .sources a'); return a.textContent + '|' + a.href; })()`)
	if src != cancelDoc.Title+"|"+cancelDoc.URL {
		t.Fatalf("answer's source link = %q; want %q", src, cancelDoc.Title+"|"+cancelDoc.URL)
	}

	step("helped", visitor, chromedp.Click(chromedp.CSS(`#log .msg.bot[data-decision="answer"] button.helped`)))
	waitFor("thanks", visitor, `document.querySelector('#status').textContent.includes('Thank you')`)

	step("off-topic", visitor, chromedp.SendKeys(chromedp.CSS("#input"), "What is the boiling point of tungsten on Mars?\r"))
	waitFor("handoff offer", visitor, lastBot+`.querySelector('button.handoff:not([disabled])')`)
	step("handoff", visitor, chromedp.Click(chromedp.CSS(`#log .msg.bot button.handoff:not([disabled])`)))
	waitFor("contact form", visitor, `document.querySelector('.contact-form input:not([disabled])')`)
	step("contact", visitor, chromedp.SendKeys(chromedp.CSS(`.contact-form input:not([disabled])`), "visitor@example.org\r"))
	waitFor("contact stored", visitor, `document.querySelector('.contact-form input').disabled`)

	// Staff, in a second tab of the same browser.
	staff, cancelStaff := chromedp.NewContext(visitor)
	defer cancelStaff()
	step("staff login page", staff, chromedp.Navigate(e.url+"/staff/"))
	waitFor("login form", staff, `document.querySelector('#user')`)
	step("log in", staff,
		chromedp.SendKeys(chromedp.CSS("#user"), "anna"),
		chromedp.SendKeys(chromedp.CSS("#password"), "correct horse battery"),
		chromedp.Click(chromedp.CSS("#login")))
	waitFor("inbox", staff, `document.querySelector('tr.esc a')`)
	if q := eval(staff, `document.querySelector('tr.esc td.q').textContent`); !strings.Contains(q, "tungsten") {
		t.Errorf("inbox shows the question %q; want the off-topic one", q)
	}
	step("open escalation", staff, chromedp.Click(chromedp.CSS("tr.esc a")))
	waitFor("escalation page", staff, `document.querySelector('#claim')`)
	step("claim", staff, chromedp.Click(chromedp.CSS("#claim")))
	waitFor("claimed", staff, `document.querySelector('#claimed-by') && document.querySelector('#claimed-by').textContent === 'anna' && !document.querySelector('#claim')`)
	reply := "Hello, Anna here. I will check your contract and get back to you."
	step("reply", staff, chromedp.SendKeys(chromedp.CSS("#reply-text"), reply), chromedp.Click(chromedp.CSS("#send-reply")))
	waitFor("answered", staff, `document.querySelector('#status') && document.querySelector('#status').textContent === 'Answered'`)

	// The visitor's open chat shows it without reloading.
	waitFor("reply in the visitor's chat", visitor, `[...document.querySelectorAll('#log .msg.agent .text')].some(p => p.textContent === `+strconv.Quote(reply)+`)`)

	// A fresh conversation: the hostile document renders as text.
	step("restart", visitor, chromedp.Click(chromedp.CSS("#chat-restart")))
	waitFor("new greeting", visitor, `document.querySelectorAll('#log .msg').length === 1`)
	// A vague question offers choices as buttons; one click answers.
	step("ask vague", visitor, chromedp.SendKeys(chromedp.CSS("#input"), "password\r"))
	waitFor("choices", visitor, `document.querySelector('#log .msg.bot[data-decision="clarify"] button.choice')`)
	step("choose", visitor, chromedp.Click(chromedp.CSS(`#log .msg.bot[data-decision="clarify"] button.choice`)))
	waitFor("chosen answer", visitor, `document.querySelector('#log .msg.bot[data-decision="answer"] .sources a')`)

	step("ask zebra", visitor, chromedp.SendKeys(chromedp.CSS("#input"), "How do I reset the zebra router?\r"))
	waitFor("zebra reply", visitor, `document.querySelectorAll('#log .msg.bot').length >= 2 && `+lastBot+`.textContent.includes('zebra')`)
	if got := eval(visitor, `String(window.__pwned)`); got != "undefined" {
		t.Fatalf("markup from the corpus ran in the visitor's browser (window.__pwned = %s)", got)
	}
	if n := eval(visitor, `String(document.querySelectorAll('#log img, #log script, #log b').length)`); n != "0" {
		t.Fatalf("%s elements from corpus markup in the chat", n)
	}
	if txt := eval(visitor, lastBot+`.textContent`); !strings.Contains(txt, "<img src=x") && !strings.Contains(txt, "<script>") {
		t.Errorf("the markup is not shown as text: %q", txt)
	}

	// The one-tag bubble on a page of another site.
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>Shop</title></head><body><h1>Funkfuchs shop</h1>
<script src="%s/embed.js" async data-settings='{"lang":"de","title":"Hilfe","color":"#aa3300"}'></script></body></html>`, e.url)
	}))
	defer host.Close()
	before := conversationsStarted(t, e)
	// "localhost" makes the host page another site than the chat's
	// 127.0.0.1 (ports alone do not), as on a real customer's site, so
	// the chat's storage is partitioned and it starts a new conversation.
	step("host page", visitor, chromedp.Navigate(strings.Replace(host.URL, "127.0.0.1", "localhost", 1)))
	waitFor("bubble", visitor, `document.querySelector('button[aria-controls="sofort-frame"]')`)
	if label := eval(visitor, `document.querySelector('button[aria-controls="sofort-frame"]').getAttribute('aria-label')`); label != "Chat öffnen" {
		t.Errorf("bubble label %q; want the German 'Chat öffnen' from the settings", label)
	}
	if conversationsStarted(t, e) != before {
		t.Errorf("the bubble started a conversation before it was opened")
	}
	// Keyboard: focus the bubble and press Enter.
	step("open bubble", visitor, chromedp.Focus(chromedp.CSS(`button[aria-controls="sofort-frame"]`)), chromedp.KeyEvent("\r"))
	waitFor("iframe", visitor, `document.querySelector('#sofort-frame') && document.querySelector('#sofort-frame').src.startsWith(`+strconv.Quote(e.url+"/?embed=1&lang=de")+`)`)
	for deadline := time.Now().Add(20 * time.Second); conversationsStarted(t, e) == before; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the bubble's chat did not start a conversation")
		}
	}
}

var startedRe = regexp.MustCompile(`(?m)^sofort_conversations_started_total (\d+)$`)

func conversationsStarted(t *testing.T, e *env) int {
	t.Helper()
	_, body := e.do("GET", "/metrics", "", nil)
	m := startedRe.FindSubmatch(body)
	if m == nil {
		t.Fatal("no sofort_conversations_started_total in /metrics")
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}
