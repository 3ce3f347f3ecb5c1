package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sofort-chat/sofort/corpus"
)

// ticketSystem is a receiver on loopback standing in for a ticket system:
// it verifies signatures like a real one must and records the events. The
// first delivery of each event fails, so retries are exercised.
type ticketSystem struct {
	secret string
	mu     sync.Mutex
	got    []WebhookPayload
	seen   map[string]int
	bad    int
}

func (ts *ticketSystem) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if err := VerifySignature(ts.secret, r.Header.Get("X-Sofort-Signature"), body, time.Now(), 5*time.Minute); err != nil {
		ts.bad++
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var p WebhookPayload
	if err := json.Unmarshal(body, &p); err != nil || p.Event != r.Header.Get("X-Sofort-Event") {
		ts.bad++
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	ts.seen[p.ID]++
	if ts.seen[p.ID] == 1 {
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	ts.got = append(ts.got, p)
}

func (ts *ticketSystem) events() []WebhookPayload {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]WebhookPayload(nil), ts.got...)
}

func TestWebhook(t *testing.T) {
	ts := &ticketSystem{secret: "s3cret", seen: map[string]int{}}
	recv := httptest.NewServer(ts)
	defer recv.Close()
	e := newEnv(t, envOptions{webhook: WebhookConfig{URL: recv.URL, Secret: ts.secret}})

	id := e.start("en").Conversation.ID
	e.say(id, map[string]any{"text": "I want to talk to a human"})
	e.say(id, map[string]any{"handoff": true})
	e.say(id, map[string]any{"contact": "visitor@example.org"})
	esc, err := e.store.EscalationByConversation(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	e.addStaff("anna", "correct horse battery")
	staff := e.login("anna", "correct horse battery")
	if st, _ := staff.post("/staff/escalations/"+esc.ID+"/reply", url.Values{"text": {"We will call you."}}); st != http.StatusOK {
		t.Fatalf("reply: %d", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := e.notifier.Close(ctx); err != nil {
		t.Fatal(err)
	}
	got := ts.events()
	if len(got) != 2 || ts.bad != 0 {
		t.Fatalf("ticket system got %d events (%d badly signed): %+v; want created and answered", len(got), ts.bad, got)
	}
	created, answered := got[0], got[1]
	if created.Event != EventEscalationCreated || created.Escalation.ID != esc.ID || len(created.Transcript) == 0 {
		t.Fatalf("first event %+v; want escalation.created with the transcript", created)
	}
	if !strings.Contains(created.Transcript[1].Text, "talk to a human") {
		t.Errorf("transcript %+v lacks the visitor's words", created.Transcript)
	}
	if answered.Event != EventEscalationAnswered || answered.Message == nil || answered.Message.Text != "We will call you." ||
		answered.Escalation.Contact != "visitor@example.org" || answered.Escalation.Status != corpus.EscalationAnswered {
		t.Fatalf("second event %+v; want escalation.answered with the reply and the contact", answered)
	}
	_, metrics := e.do("GET", "/metrics", "", nil)
	if !strings.Contains(string(metrics), `sofort_webhook_deliveries_total{event="escalation.answered",result="ok"} 1`) {
		t.Errorf("metrics lack the delivery:\n%s", metrics)
	}
}

func TestSignature(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"event":"escalation.created"}`)
	sig := Sign("key", now, body)
	if !strings.HasPrefix(sig, "t=1800000000,v1=") || len(sig) != len("t=1800000000,v1=")+64 {
		t.Fatalf("signature %q", sig)
	}
	for _, tc := range []struct {
		name, secret, header string
		body                 []byte
		at                   time.Time
		ok                   bool
	}{
		{"valid", "key", sig, body, now, true},
		{"wrong secret", "other", sig, body, now, false},
		{"changed body", "key", sig, []byte(`{"event":"x"}`), now, false},
		{"replayed late", "key", sig, body, now.Add(time.Hour), false},
		{"garbage", "key", "nonsense", body, now, false},
		{"no mac", "key", "t=1800000000", body, now, false},
	} {
		err := VerifySignature(tc.secret, tc.header, tc.body, tc.at, 5*time.Minute)
		if (err == nil) != tc.ok {
			t.Errorf("%s: VerifySignature = %v; want ok=%v", tc.name, err, tc.ok)
		}
	}
	if _, err := NewNotifier(WebhookConfig{URL: "http://x.example/hook"}, nil, nil); err == nil {
		t.Error("webhook without secret accepted")
	}
	if _, err := NewNotifier(WebhookConfig{URL: "ftp://x.example/hook", Secret: "k"}, nil, nil); err == nil {
		t.Error("ftp webhook accepted")
	}
}
