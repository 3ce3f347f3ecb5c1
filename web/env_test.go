package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sofort-chat/sofort/bot"
	"github.com/sofort-chat/sofort/corpus"
	"github.com/sofort-chat/sofort/corpus/demo"
	"github.com/sofort-chat/sofort/index"
)

// The tests run the real thing: a SQLite store in a temp dir with the
// bundled demo corpus, the real index and bot, and the server on a
// loopback port, talked to over HTTP. Nothing is faked.

// demoIndex builds the demo corpus's store and index once per test binary;
// every env copies the files, which is much faster than indexing again.
var demoIndex struct {
	once sync.Once
	dir  string
	err  error
}

func demoTemplate(t testing.TB) string {
	t.Helper()
	d := &demoIndex
	d.once.Do(func() {
		d.dir, d.err = os.MkdirTemp("", "sofort-web-demo-")
		if d.err != nil {
			return
		}
		ctx := context.Background()
		st, err := corpus.Open(ctx, filepath.Join(d.dir, "sofort.db"))
		if err != nil {
			d.err = err
			return
		}
		defer st.Close()
		docs, err := demo.Documents()
		if err != nil {
			d.err = err
			return
		}
		if _, err := st.Upsert(ctx, docs); err != nil {
			d.err = err
			return
		}
		idx, err := index.Open(ctx, filepath.Join(d.dir, "index"), st, index.Options{})
		if err != nil {
			d.err = err
			return
		}
		defer idx.Close()
		_, d.err = idx.Sync(ctx, nil)
	})
	if d.err != nil {
		t.Fatalf("build demo index: %v", d.err)
	}
	return d.dir
}

func TestMain(m *testing.M) {
	if dir := os.Getenv(envServe); dir != "" {
		os.Exit(benchServe(dir)) // the load benchmark's server process
	}
	code := m.Run()
	if demoIndex.dir != "" {
		os.RemoveAll(demoIndex.dir)
	}
	os.Exit(code)
}

func copyDir(src, dst string) error {
	return filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

type env struct {
	t        testing.TB
	dir      string
	store    *corpus.Store
	index    *index.Index
	bot      *bot.Bot
	srv      *Server
	notifier *Notifier
	url      string
	stop     context.CancelFunc
	done     chan error
	logs     *syncBuffer
}

type envOptions struct {
	cfg     Config
	webhook WebhookConfig
	// dataDir, when set, opens an existing data dir (restart tests).
	dataDir string
	// maxMessages overrides the bot's per-conversation cap.
	maxMessages int
	// sources, when set, gives the server a sources page; it gets the
	// env's store and index (opened) and the server's logger.
	sources func(e *env, log *slog.Logger) SourcesOptions
}

// newEnv starts a server over a copy of the demo corpus. The rate limit is
// off unless opts set one, so tests can fire requests freely.
func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	dir := o.dataDir
	if dir == "" {
		dir = t.TempDir()
		if err := copyDir(demoTemplate(t), dir); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	e := &env{t: t, dir: dir, logs: &syncBuffer{}}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var err error
	if e.store, err = corpus.Open(ctx, filepath.Join(dir, "sofort.db")); err != nil {
		t.Fatal(err)
	}
	if e.index, err = index.Open(ctx, filepath.Join(dir, "index"), e.store, index.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.index.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	m := NewMetrics()
	if e.notifier, err = NewNotifier(o.webhook, m, log); err != nil {
		t.Fatal(err)
	}
	bc := bot.DefaultConfig()
	bc.OnEscalate, bc.OnAgentReply = e.notifier.OnEscalate, e.notifier.OnAgentReply
	if o.maxMessages > 0 {
		bc.MaxMessages = o.maxMessages
	}
	e.bot = bot.New(e.store, e.index, bc, log)
	cfg := o.cfg
	if cfg.RateLimit == 0 {
		cfg.RateLimit = -1
	}
	var so SourcesOptions
	if o.sources != nil {
		so = o.sources(e, log)
	}
	if e.srv, err = New(cfg, Options{Store: e.store, Bot: e.bot, Metrics: m, Logger: log, Sources: so}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.url = "http://" + ln.Addr().String()
	sctx, stop := context.WithCancel(ctx)
	e.stop, e.done = stop, make(chan error, 1)
	go func() { e.done <- e.srv.Serve(sctx, ln) }()
	t.Cleanup(e.close)
	return e
}

// close shuts the server down gracefully and closes the store; it may be
// called twice (restart tests call it early).
func (e *env) close() {
	if e.stop == nil {
		return
	}
	e.stop()
	if err := <-e.done; err != nil {
		e.t.Errorf("server shutdown: %v", err)
	}
	e.stop = nil
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = e.notifier.Close(ctx)
	e.index.Close()
	e.store.Close()
	if e.t.Failed() {
		e.t.Logf("server log:\n%s", e.logs.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// do sends a request with a raw body and returns status and body.
func (e *env) do(method, path, contentType string, body io.Reader) (int, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, b
}

// api sends v as JSON and decodes the answer into out (if not nil); it
// returns the status.
func (e *env) api(method, path string, v any, out any) int {
	e.t.Helper()
	var body io.Reader
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			e.t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	status, b := e.do(method, path, "application/json", body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %d, undecodable body %q: %v", method, path, status, b, err)
		}
	}
	return status
}

type apiError struct {
	Error struct{ Code, Message string } `json:"error"`
}

func (e *env) start(lang string) messagesResponse {
	e.t.Helper()
	var r messagesResponse
	if st := e.api("POST", "/api/v1/conversations", map[string]string{"lang": lang}, &r); st != http.StatusCreated {
		e.t.Fatalf("start conversation: status %d", st)
	}
	if r.Conversation == nil || r.Conversation.ID == "" || len(r.Messages) == 0 {
		e.t.Fatalf("start conversation: got %+v; want an id and a greeting", r)
	}
	return r
}

func (e *env) say(convID string, in map[string]any) []corpus.Message {
	e.t.Helper()
	var r messagesResponse
	if st := e.api("POST", "/api/v1/conversations/"+convID+"/messages", in, &r); st != http.StatusOK {
		e.t.Fatalf("message %v: status %d", in, st)
	}
	return r.Messages
}

// lastBot returns the last bot message of msgs.
func lastBot(t testing.TB, msgs []corpus.Message) corpus.Message {
	t.Helper()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == corpus.RoleBot {
			return msgs[i]
		}
	}
	t.Fatalf("no bot message in %+v", msgs)
	return corpus.Message{}
}

func hasAction(m corpus.Message, a string) bool {
	for _, x := range m.Actions {
		if x == a {
			return true
		}
	}
	return false
}

// staffClient is a browser-like client with a cookie jar that logs in.
type staffClient struct {
	e    *env
	c    *http.Client
	csrf string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (e *env) addStaff(name, pw string) {
	e.t.Helper()
	if _, err := e.store.AddStaff(context.Background(), name, pw); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) login(name, pw string) *staffClient {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	sc := &staffClient{e: e, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	status, body := sc.get("/staff/login")
	if status != http.StatusOK {
		e.t.Fatalf("login page: %d", status)
	}
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		e.t.Fatalf("login page without csrf field:\n%s", body)
	}
	status, body = sc.post("/staff/login", url.Values{"csrf": {m[1]}, "user": {name}, "password": {pw}, "next": {"/staff/"}})
	if status != http.StatusOK || !strings.Contains(body, name) {
		e.t.Fatalf("login as %s: status %d\n%s", name, status, body)
	}
	sc.csrf = csrfField.FindStringSubmatch(body)[1]
	return sc
}

func (sc *staffClient) get(path string) (int, string) {
	sc.e.t.Helper()
	resp, err := sc.c.Get(sc.e.url + path)
	if err != nil {
		sc.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (sc *staffClient) post(path string, form url.Values) (int, string) {
	sc.e.t.Helper()
	if form.Get("csrf") == "" && sc.csrf != "" {
		form.Set("csrf", sc.csrf)
	}
	resp, err := sc.c.PostForm(sc.e.url+path, form)
	if err != nil {
		sc.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// sseClient reads an event stream.
type sseClient struct {
	resp   *http.Response
	events chan corpus.Message
	errc   chan error
}

func (e *env) subscribe(convID string, after int64) *sseClient {
	e.t.Helper()
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/conversations/%s/events?after=%d", e.url, convID, after), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		resp.Body.Close()
		e.t.Fatalf("events: status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	c := &sseClient{resp: resp, events: make(chan corpus.Message, 1000), errc: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(resp.Body)
		var id int64
		var data string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "id: "):
				id, _ = strconv.ParseInt(strings.TrimPrefix(line, "id: "), 10, 64)
			case strings.HasPrefix(line, "data: "):
				data = strings.TrimPrefix(line, "data: ")
			case line == "" && data != "":
				var m corpus.Message
				if err := json.Unmarshal([]byte(data), &m); err != nil || m.ID != id {
					c.errc <- fmt.Errorf("bad event id %d data %q: %v", id, data, err)
					return
				}
				c.events <- m
				data = ""
			}
		}
		c.errc <- errors.Join(sc.Err(), io.EOF)
		close(c.events)
	}()
	e.t.Cleanup(func() { resp.Body.Close() })
	return c
}

// next waits for the next event.
func (c *sseClient) next(t testing.TB, timeout time.Duration) (corpus.Message, error) {
	t.Helper()
	select {
	case m, ok := <-c.events:
		if !ok {
			return corpus.Message{}, io.EOF
		}
		return m, nil
	case err := <-c.errc:
		return corpus.Message{}, err
	case <-time.After(timeout):
		return corpus.Message{}, fmt.Errorf("no event within %s", timeout)
	}
}
