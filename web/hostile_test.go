package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sofort-chat/sofort/corpus"
)

// TestHostileInput sends what an attacker or a broken client would. Each
// request gets a clear 4xx with a JSON error naming the problem, and the
// server keeps answering normally afterwards.
func TestHostileInput(t *testing.T) {
	// A low cap, so "thousands of messages" hits it quickly.
	e := newEnv(t, envOptions{maxMessages: 60})
	id := e.start("en").Conversation.ID
	msgs := e.say(id, map[string]any{"text": "How do I cancel my Funkfuchs contract?"})
	answer := lastBot(t, msgs)
	other := e.start("de").Conversation.ID
	unknown := corpus.NewID()
	conv := "/api/v1/conversations/" + id

	for _, tc := range []struct {
		name, method, path, ctype, body string
		want                            int
		wantCode, wantMsg               string
	}{
		{"oversized body", "POST", conv + "/messages", "application/json", `{"text":"` + strings.Repeat("a", 64<<10) + `"}`, 413, "too_large", "larger than"},
		{"huge body", "POST", "/api/v1/conversations", "application/json", `{"lang":"` + strings.Repeat("x", 5<<20) + `"}`, 413, "too_large", "larger than"},
		{"text over the bot's limit", "POST", conv + "/messages", "application/json", `{"text":"` + strings.Repeat("ä", 2100) + `"}`, 422, "invalid", ""},
		{"truncated JSON", "POST", conv + "/messages", "application/json", `{"text": "hi`, 400, "bad_request", "invalid JSON"},
		{"not an object", "POST", conv + "/messages", "application/json", `[1,2,3]`, 400, "bad_request", "invalid JSON"},
		{"wrong type", "POST", conv + "/messages", "application/json", `{"text": 42}`, 400, "bad_request", `field "text"`},
		{"unknown field", "POST", conv + "/messages", "application/json", `{"txt": "hi"}`, 400, "bad_request", `unknown field "txt"`},
		{"two values", "POST", conv + "/messages", "application/json", `{"text":"a"}{"text":"b"}`, 400, "bad_request", "more than one"},
		{"empty body", "POST", conv + "/messages", "application/json", ``, 400, "bad_request", "empty"},
		{"form instead of JSON", "POST", conv + "/messages", "application/x-www-form-urlencoded", `text=hi`, 415, "unsupported_media_type", "application/json"},
		{"unknown conversation", "POST", "/api/v1/conversations/" + unknown + "/messages", "application/json", `{"text":"hi"}`, 404, "not_found", unknown},
		{"unknown conversation history", "GET", "/api/v1/conversations/" + unknown, "", ``, 404, "not_found", ""},
		{"unknown conversation events", "GET", "/api/v1/conversations/" + unknown + "/events", "", ``, 404, "not_found", ""},
		{"unknown conversation feedback", "POST", "/api/v1/conversations/" + unknown + "/feedback", "application/json", `{"message_id":1,"helped":true}`, 404, "not_found", ""},
		{"path traversal id", "GET", "/api/v1/conversations/..%2F..%2Fetc%2Fpasswd", "", ``, 404, "not_found", ""},
		{"script in id", "GET", "/api/v1/conversations/%3Cscript%3Ealert(1)%3C%2Fscript%3E", "", ``, 404, "not_found", ""},
		{"overlong id", "GET", "/api/v1/conversations/" + strings.Repeat("a", 5000), "", ``, 404, "not_found", ""},
		{"bad after", "GET", conv + "?after=-1", "", ``, 400, "bad_request", "after"},
		{"feedback without helped", "POST", conv + "/feedback", "application/json", fmt.Sprintf(`{"message_id":%d}`, answer.ID), 422, "invalid", "helped"},
		{"feedback on another conversation's message", "POST", "/api/v1/conversations/" + other + "/feedback", "application/json", fmt.Sprintf(`{"message_id":%d,"helped":false}`, answer.ID), 404, "not_found", ""},
		{"feedback on the visitor's message", "POST", conv + "/feedback", "application/json", fmt.Sprintf(`{"message_id":%d,"helped":false}`, msgs[0].ID), 422, "invalid", ""},
		{"unknown choice", "POST", conv + "/messages", "application/json", `{"choice":"no-such-doc"}`, 0, "", ""},
		{"wrong method", "DELETE", conv, "", ``, 405, "method_not_allowed", "DELETE"},
		{"unknown endpoint", "GET", "/api/v2/conversations", "", ``, 404, "not_found", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.do(tc.method, tc.path, tc.ctype, strings.NewReader(tc.body))
			if tc.want == 0 {
				// The bot decides; anything but a server error is fine.
				if status >= 500 {
					t.Fatalf("status %d: %s", status, body)
				}
				return
			}
			var ae apiError
			if err := json.Unmarshal(body, &ae); err != nil {
				t.Fatalf("status %d, body %q is no JSON error", status, truncate(body))
			}
			if status != tc.want || ae.Error.Code != tc.wantCode || !strings.Contains(ae.Error.Message, tc.wantMsg) {
				t.Fatalf("got %d %+v; want %d %s containing %q", status, ae.Error, tc.want, tc.wantCode, tc.wantMsg)
			}
		})
	}

	t.Run("markup in messages stays text", func(t *testing.T) {
		evil := `<script>alert(1)</script><img src=x onerror=alert(2)>"'&`
		status, body := e.do("POST", conv+"/messages", "application/json", strings.NewReader(`{"text":`+mustJSON(evil)+`}`))
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, body)
		}
		if strings.Contains(string(body), "<script>") {
			t.Fatalf("JSON response carries raw markup: %s", body)
		}
		var r messagesResponse
		if err := json.Unmarshal(body, &r); err != nil || r.Messages[0].Text != evil {
			t.Fatalf("visitor text came back as %q; want it unchanged %q", r.Messages[0].Text, evil)
		}
		// The staff page escapes it.
		e.say(id, map[string]any{"handoff": true})
		esc, err := e.store.EscalationByConversation(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		e.addStaff("anna", "correct horse battery")
		_, page := e.login("anna", "correct horse battery").get("/staff/escalations/" + esc.ID)
		if strings.Contains(page, "<script>alert") || strings.Contains(page, "<img src=x") || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Fatalf("staff page does not escape the visitor's markup")
		}
	})

	t.Run("thousands of messages", func(t *testing.T) {
		// 2000 messages into one conversation from 8 clients at once.
		c := e.start("en").Conversation.ID
		var mu sync.Mutex
		codes := map[string]int{}
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := range 250 {
					var ae apiError
					st := e.api("POST", "/api/v1/conversations/"+c+"/messages", map[string]string{"text": fmt.Sprintf("hello %d/%d", w, i)}, &ae)
					mu.Lock()
					codes[fmt.Sprintf("%d %s", st, ae.Error.Code)]++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		n, err := e.store.CountMessages(context.Background(), c)
		max := e.bot.Config().MaxMessages
		if err != nil || codes["429 limit"] == 0 || codes["200 "]+codes["429 limit"] != 2000 || n > max+3 {
			t.Fatalf("2000 messages: %v, %d stored (%v); want 200s, then 429 'limit', and at most %d stored", codes, n, err, max)
		}
	})

	// Nothing broke: the store is sound and a normal question works.
	if err := e.store.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	fresh := e.start("en").Conversation.ID
	if a := lastBot(t, e.say(fresh, map[string]any{"text": "How do I cancel my Funkfuchs contract?"})); a.Decision != corpus.DecisionAnswer {
		t.Fatalf("after the hostile input a plain question got %+v", a)
	}
	if st, _ := e.do("GET", "/healthz", "", nil); st != http.StatusOK {
		t.Fatalf("healthz %d", st)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// TestRateLimits: the visitor API refuses bursts per address with 429 and
// Retry-After, and event streams are capped per address.
func TestRateLimits(t *testing.T) {
	e := newEnv(t, envOptions{cfg: Config{RateLimit: 0.01, RateBurst: 3, MaxStreamsPerIP: 2}})
	var codes []int
	for range 5 {
		st, _ := e.do("POST", "/api/v1/conversations", "application/json", strings.NewReader(`{}`))
		codes = append(codes, st)
	}
	if fmt.Sprint(codes) != "[201 201 201 429 429]" {
		t.Fatalf("5 quick starts gave %v; want 3 created, then 429", codes)
	}
	// Health and metrics are not limited.
	for _, m := range []string{"GET", "HEAD"} {
		if st, _ := e.do(m, "/healthz", "", nil); st != http.StatusOK {
			t.Fatalf("%s /healthz under rate limit: %d", m, st)
		}
	}
	// Streams: two per address, the third is refused.
	c, err := e.store.CreateConversation(context.Background(), corpus.Conversation{Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	e.subscribe(c.ID, 0)
	e.subscribe(c.ID, 0)
	st, body := e.do("GET", "/api/v1/conversations/"+c.ID+"/events", "", nil)
	if st != http.StatusTooManyRequests || !strings.Contains(string(body), "event streams") {
		t.Fatalf("third stream: %d %s; want 429", st, body)
	}
}

// TestGracefulShutdown: open streams end when the server stops, and
// /readyz reports the drain.
func TestGracefulShutdown(t *testing.T) {
	e := newEnv(t, envOptions{})
	if st, _ := e.do("GET", "/readyz", "", nil); st != http.StatusOK {
		t.Fatalf("readyz %d", st)
	}
	id := e.start("en").Conversation.ID
	s := e.subscribe(id, 0)
	if _, err := s.next(t, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	e.close()
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("shutdown with an open stream took %s", d)
	}
	for {
		_, err := s.next(t, 5*time.Second)
		if err != nil {
			if strings.Contains(err.Error(), "no event") {
				t.Fatal("stream still open after shutdown")
			}
			break
		}
	}
}

// TestStreamOutlivesTimeouts: an event stream stays open past the server's
// read and write timeouts and still delivers live messages.
func TestStreamOutlivesTimeouts(t *testing.T) {
	e := newEnv(t, envOptions{cfg: Config{ReadTimeout: 300 * time.Millisecond, RequestTimeout: 300 * time.Millisecond, Heartbeat: 200 * time.Millisecond}})
	id := e.start("en").Conversation.ID
	s := e.subscribe(id, 0)
	if _, err := s.next(t, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(6 * time.Second) // past WriteTimeout (RequestTimeout + 5 s) too
	msgs := e.say(id, map[string]any{"text": "hello"})
	for _, want := range msgs {
		got, err := s.next(t, 5*time.Second)
		if err != nil || got.ID != want.ID {
			t.Fatalf("after 6 s (timeouts 0.3 s and 5.3 s): event %+v, %v; want message %d on the same stream", got, err, want.ID)
		}
	}
}
