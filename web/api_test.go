package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sofort-chat/sofort/corpus"
)

// TestVisitorToAgent walks the whole path over HTTP: a visitor asks a demo
// question and gets the right answer with its source, says it helped, asks
// something off-topic and is offered a person, accepts and leaves a
// contact; a staff member logs in, sees the escalation, claims it and
// replies; the reply arrives on the visitor's live event stream.
func TestVisitorToAgent(t *testing.T) {
	e := newEnv(t, envOptions{})
	start := e.start("en")
	id := start.Conversation.ID
	if start.Conversation.Lang != "en" || start.Messages[0].Role != corpus.RoleBot {
		t.Fatalf("start: got %+v; want an English bot greeting", start)
	}
	events := e.subscribe(id, 0)
	if m, err := events.next(t, 5*time.Second); err != nil || m.ID != start.Messages[0].ID {
		t.Fatalf("first event = %+v, %v; want the greeting %d replayed", m, err, start.Messages[0].ID)
	}

	msgs := e.say(id, map[string]any{"text": "How do I cancel my Funkfuchs contract?"})
	if msgs[0].Role != corpus.RoleVisitor || msgs[0].Text != "How do I cancel my Funkfuchs contract?" {
		t.Fatalf("first returned message = %+v; want the visitor's own", msgs[0])
	}
	ans := lastBot(t, msgs)
	if ans.Decision != corpus.DecisionAnswer || len(ans.Sources) == 0 || ans.Sources[0].DocID != "faq-en-cancel-contract" {
		t.Fatalf("answer = %+v; want decision answer from faq-en-cancel-contract", ans)
	}
	if ans.Score <= 0 || ans.Sources[0].URL == "" || ans.Sources[0].Title == "" || !hasAction(ans, corpus.ActionFeedback) {
		t.Fatalf("answer = %+v; want a score, a titled source with URL and the feedback action", ans)
	}
	for _, want := range msgs {
		got, err := events.next(t, 5*time.Second)
		if err != nil || got.ID != want.ID || got.Text != want.Text {
			t.Fatalf("live event = %+v, %v; want message %d %q", got, err, want.ID, want.Text)
		}
	}

	var fb messagesResponse
	helped := true
	if st := e.api("POST", "/api/v1/conversations/"+id+"/feedback", feedbackRequest{MessageID: ans.ID, Helped: &helped}, &fb); st != http.StatusOK {
		t.Fatalf("feedback: status %d", st)
	}
	// Rating the same answer twice is refused.
	var ae apiError
	if st := e.api("POST", "/api/v1/conversations/"+id+"/feedback", feedbackRequest{MessageID: ans.ID, Helped: &helped}, &ae); st != http.StatusUnprocessableEntity {
		t.Fatalf("second feedback: status %d (%+v); want 422", st, ae)
	}

	off := lastBot(t, e.say(id, map[string]any{"text": "What is the boiling point of tungsten on Mars?"}))
	if off.Decision == corpus.DecisionAnswer {
		t.Fatalf("off-topic question answered: %+v", off)
	}
	// Whatever the bot offered, pressing "talk to a person" hands off.
	handoff := lastBot(t, e.say(id, map[string]any{"handoff": true}))
	if !hasAction(handoff, corpus.ActionContact) && handoff.Decision != corpus.DecisionEscalate {
		t.Fatalf("handoff reply = %+v; want an escalation asking for a contact", handoff)
	}
	contact := "visitor@example.org"
	e.say(id, map[string]any{"contact": contact})

	esc, err := e.store.EscalationByConversation(context.Background(), id)
	if err != nil || esc.Status != corpus.EscalationOpen {
		t.Fatalf("escalation = %+v, %v; want an open one", esc, err)
	}

	e.addStaff("anna", "correct horse battery")
	staff := e.login("anna", "correct horse battery")
	_, inbox := staff.get("/staff/")
	if !strings.Contains(inbox, "/staff/escalations/"+esc.ID) || !strings.Contains(inbox, "boiling point") {
		t.Fatalf("inbox does not list escalation %s with the question:\n%s", esc.ID, inbox)
	}
	_, page := staff.get("/staff/escalations/" + esc.ID)
	for _, want := range []string{"How do I cancel my Funkfuchs contract?", "boiling point", contact, `id="claim"`, `data-online="true"`} {
		if !strings.Contains(page, want) {
			t.Errorf("escalation page lacks %q:\n%s", want, page)
		}
	}
	if st, body := staff.post("/staff/escalations/"+esc.ID+"/claim", url.Values{}); st != http.StatusOK || !strings.Contains(body, `id="claimed-by">anna`) {
		t.Fatalf("claim: status %d\n%s", st, body)
	}
	// Another staff member cannot take it over.
	e.addStaff("bert", "another long password")
	bert := e.login("bert", "another long password")
	if st, _ := bert.post("/staff/escalations/"+esc.ID+"/claim", url.Values{}); st != http.StatusConflict {
		t.Fatalf("second claim by bert: status %d; want 409", st)
	}

	// Drain the events so far, then expect the reply live.
	drain(t, events)
	reply := "Hello, this is Anna. Tungsten is not our field, but I can help with your contract."
	if st, _ := staff.post("/staff/escalations/"+esc.ID+"/reply", url.Values{"text": {reply}}); st != http.StatusOK {
		t.Fatalf("reply: status %d", st)
	}
	got, err := events.next(t, 5*time.Second)
	if err != nil || got.Role != corpus.RoleAgent || got.Text != reply || got.Author != "anna" {
		t.Fatalf("live event after reply = %+v, %v; want anna's reply", got, err)
	}
	esc, _ = e.store.Escalation(context.Background(), esc.ID)
	if esc.Status != corpus.EscalationAnswered {
		t.Fatalf("escalation status %s after reply; want answered", esc.Status)
	}

	// A visitor coming back later gets the reply from the history.
	var hist messagesResponse
	if st := e.api("GET", "/api/v1/conversations/"+id+"?after="+jsonNum(got.ID-1), nil, &hist); st != http.StatusOK || len(hist.Messages) != 1 || hist.Messages[0].Text != reply {
		t.Fatalf("history after %d = %d %+v; want the reply", got.ID-1, st, hist)
	}

	// Metrics saw it all.
	_, metrics := e.do("GET", "/metrics", "", nil)
	for _, want := range []string{
		`sofort_bot_decisions_total{decision="answer"} 1`,
		`sofort_feedback_total{helped="yes"} 1`,
		`sofort_agent_replies_total 1`,
		`sofort_http_request_duration_seconds_bucket{method="POST",route="/api/v1/conversations/{id}/messages"`,
		`sofort_conversations_started_total 1`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if !strings.Contains(string(metrics), `sofort_escalations_total{reason="`) {
		t.Errorf("metrics lack escalations")
	}
}

func drain(t *testing.T, c *sseClient) {
	t.Helper()
	for {
		select {
		case _, ok := <-c.events:
			if !ok {
				t.Fatal("event stream ended")
			}
		case <-time.After(300 * time.Millisecond):
			return
		}
	}
}

func jsonNum(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestRestartLosesNothing stops the server mid-conversation and starts a
// new one on the same data dir: the conversation, its messages and the
// escalation are all there, and the event stream replays after
// Last-Event-ID.
func TestRestartLosesNothing(t *testing.T) {
	e := newEnv(t, envOptions{})
	id := e.start("de").Conversation.ID
	msgs := e.say(id, map[string]any{"text": "Ich möchte mit einem Mitarbeiter sprechen"})
	e.say(id, map[string]any{"handoff": true})
	e.say(id, map[string]any{"contact": ""})
	esc, err := e.store.EscalationByConversation(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	e.close()

	e2 := newEnv(t, envOptions{dataDir: e.dir})
	var hist messagesResponse
	if st := e2.api("GET", "/api/v1/conversations/"+id, nil, &hist); st != http.StatusOK {
		t.Fatalf("history after restart: status %d", st)
	}
	if len(hist.Messages) < len(msgs)+1 || hist.Messages[1].Text != msgs[0].Text {
		t.Fatalf("history after restart = %+v; want the greeting and %+v", hist.Messages, msgs)
	}
	if got, err := e2.store.Escalation(context.Background(), esc.ID); err != nil || got.Status != corpus.EscalationOpen {
		t.Fatalf("escalation after restart = %+v, %v", got, err)
	}
	// Last-Event-ID wins over ?after and replays exactly what follows it.
	req, _ := http.NewRequest("GET", e2.url+"/api/v1/conversations/"+id+"/events?after=0", nil)
	req.Header.Set("Last-Event-ID", jsonNum(hist.Messages[len(hist.Messages)-2].ID))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body) // ends at the deadline
	last := hist.Messages[len(hist.Messages)-1]
	if n := strings.Count(string(body), "event: message"); n != 1 || !strings.Contains(string(body), "id: "+jsonNum(last.ID)+"\n") {
		t.Fatalf("replay after Last-Event-ID: %d events\n%s\nwant only message %d", n, body, last.ID)
	}
}

// TestClarifyChoice: a vague question gets choices; picking one answers
// from that document.
func TestClarifyChoice(t *testing.T) {
	e := newEnv(t, envOptions{})
	id := e.start("en").Conversation.ID
	clarify := lastBot(t, e.say(id, map[string]any{"text": "password"}))
	if clarify.Decision != corpus.DecisionClarify || len(clarify.Choices) < 2 {
		t.Fatalf("'password' got %+v; want a clarification with choices", clarify)
	}
	pick := clarify.Choices[1]
	ans := lastBot(t, e.say(id, map[string]any{"choice": pick.DocID}))
	if ans.Decision != corpus.DecisionAnswer || len(ans.Sources) == 0 || ans.Sources[0].DocID != pick.DocID {
		t.Fatalf("choosing %s got %+v; want its answer", pick.DocID, ans)
	}
}
