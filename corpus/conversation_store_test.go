package corpus

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func TestConversationRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, path := openTestStore(t)
	c, err := s.CreateConversation(ctx, Conversation{Lang: "de"})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.ID) != 22 || c.Status != ConversationOpen || c.Created.IsZero() {
		t.Fatalf("got %+v; want a 22-character id, status open, created set", c)
	}
	c2, err := s.CreateConversation(ctx, Conversation{})
	if err != nil {
		t.Fatal(err)
	}
	if c2.ID == c.ID {
		t.Fatalf("two conversations share id %s", c.ID)
	}
	c.Topic, c.Misses, c.Pending, c.Contact, c.Rated = "faq-1", 2, PendingContact, "a@b.example", 7
	if err := s.UpdateConversation(ctx, c); err != nil {
		t.Fatal(err)
	}
	// A restart (a fresh Open of the same file) sees everything.
	s.Close()
	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	got, err := s2.Conversation(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Topic != "faq-1" || got.Misses != 2 || got.Pending != PendingContact || got.Contact != "a@b.example" || got.Rated != 7 || got.Lang != "de" {
		t.Errorf("got %+v after reopen; want the updated fields", got)
	}
	if _, err := s2.Conversation(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown conversation: got %v; want ErrNotFound", err)
	}
	if err := s2.UpdateConversation(ctx, Conversation{ID: "nope", Status: ConversationOpen}); !errors.Is(err, ErrNotFound) {
		t.Errorf("update unknown: got %v; want ErrNotFound", err)
	}
	if _, err := s2.CreateConversation(ctx, Conversation{ID: c.ID}); !errors.Is(err, ErrConflict) {
		t.Errorf("duplicate id: got %v; want ErrConflict", err)
	}
}

func TestConversationValidation(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	tests := []struct {
		name string
		c    Conversation
		want string
	}{
		{"bad lang", Conversation{Lang: "deu"}, "lang"},
		{"bad status", Conversation{Status: "weird"}, "status"},
		{"contact with newline", Conversation{Contact: "a@b.example\nBcc: x"}, "control characters"},
		{"huge contact", Conversation{Contact: strings.Repeat("x", MaxContactBytes+1)}, "contact is"},
		{"bad pending", Conversation{Pending: "later"}, "pending"},
		{"negative misses", Conversation{Misses: -1}, "negative misses"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.CreateConversation(ctx, tt.c)
			if !errors.Is(err, ErrInvalidRecord) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v; want ErrInvalidRecord mentioning %q", err, tt.want)
			}
		})
	}
}

func TestMessages(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	c, err := s.CreateConversation(ctx, Conversation{Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.CreateConversation(ctx, Conversation{Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	hostile := `<script>alert("x")</script><b>bold</b> & 'quotes'`
	in := []Message{
		{Role: RoleVisitor, Text: hostile, Lang: "en"},
		{Role: RoleBot, Text: "answer", Lang: "en", Decision: DecisionAnswer, Score: 0.75,
			Sources: []Source{{DocID: "d1", Title: "T", URL: "https://x.example/d1", Field: "answer"}},
			Actions: []string{ActionFeedback, ActionHandoff}},
		{Role: RoleBot, Text: "which?", Decision: DecisionClarify, Choices: []Choice{{DocID: "a", Title: "A", Score: 0.4}, {DocID: "b", Title: "B", Score: 0.3}}},
	}
	got, err := s.AppendMessages(ctx, c.ID, in...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendMessages(ctx, other.ID, Message{Role: RoleVisitor, Text: "other"}); err != nil {
		t.Fatal(err)
	}
	more, err := s.AppendMessages(ctx, c.ID, Message{Role: RoleAgent, Text: "hi", Author: "anna"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(got); i++ {
		if got[i].ID <= got[i-1].ID {
			t.Fatalf("ids not increasing: %d then %d", got[i-1].ID, got[i].ID)
		}
	}
	if more[0].ID <= got[2].ID+1 {
		t.Errorf("id %d after another conversation's message; want ids global and increasing past %d", more[0].ID, got[2].ID+1)
	}
	all, err := s.Messages(ctx, c.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 {
		t.Fatalf("got %d messages; want 4", len(all))
	}
	if all[0].Text != hostile {
		t.Errorf("text %q; want it stored verbatim %q", all[0].Text, hostile)
	}
	for i := range got {
		g := got[i]
		if !reflect.DeepEqual(all[i].Sources, g.Sources) || !reflect.DeepEqual(all[i].Choices, g.Choices) || !reflect.DeepEqual(all[i].Actions, g.Actions) ||
			all[i].ID != g.ID || all[i].Decision != g.Decision || all[i].Score != g.Score || !all[i].Created.Equal(g.Created) {
			t.Errorf("message %d: got %+v; want %+v", i, all[i], g)
		}
	}
	after, err := s.Messages(ctx, c.ID, got[1].ID, 1)
	if err != nil || len(after) != 1 || after[0].ID != got[2].ID {
		t.Errorf("after %d limit 1: got %v, %v; want message %d", got[1].ID, after, err, got[2].ID)
	}
	last, err := s.LastMessages(ctx, c.ID, 2)
	if err != nil || len(last) != 2 || last[0].ID != got[2].ID || last[1].ID != more[0].ID {
		t.Errorf("last 2: got %v, %v; want messages %d and %d", last, err, got[2].ID, more[0].ID)
	}
	m, err := s.Message(ctx, c.ID, got[1].ID)
	if err != nil || m.Text != "answer" {
		t.Errorf("Message: got %+v, %v", m, err)
	}
	if _, err := s.Message(ctx, other.ID, got[1].ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("message of another conversation: got %v; want ErrNotFound", err)
	}
	if n, err := s.CountMessages(ctx, c.ID); err != nil || n != 4 {
		t.Errorf("count: got %d, %v; want 4", n, err)
	}
	if _, err := s.Messages(ctx, "nope", 0, 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("messages of unknown conversation: got %v; want ErrNotFound", err)
	}
	if _, err := s.AppendMessages(ctx, "nope", Message{Role: RoleVisitor, Text: "x"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("append to unknown conversation: got %v; want ErrNotFound", err)
	}
}

func TestAppendMessagesAllOrNothing(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	c, err := s.CreateConversation(ctx, Conversation{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		bad  Message
		want string
	}{
		{"unknown role", Message{Role: "admin", Text: "x"}, "role"},
		{"huge text", Message{Role: RoleVisitor, Text: strings.Repeat("a", MaxMessageText+1)}, "at most"},
		{"invalid UTF-8", Message{Role: RoleVisitor, Text: "a\xffb"}, "UTF-8"},
		{"unknown decision", Message{Role: RoleBot, Decision: "maybe"}, "decision"},
		{"too many choices", Message{Role: RoleBot, Choices: make([]Choice, MaxListItems+1)}, "more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.AppendMessages(ctx, c.ID, Message{Role: RoleVisitor, Text: "fine"}, tt.bad)
			if !errors.Is(err, ErrInvalidRecord) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "message 1") {
				t.Errorf("got %v; want ErrInvalidRecord naming message 1 and %q", err, tt.want)
			}
			if n, _ := s.CountMessages(ctx, c.ID); n != 0 {
				t.Errorf("%d messages stored after a failed batch; want 0", n)
			}
		})
	}
}

func TestEscalationLifecycle(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	c, err := s.CreateConversation(ctx, Conversation{Lang: "de"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateEscalation(ctx, Escalation{ConversationID: "nope"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("escalation for unknown conversation: got %v; want ErrNotFound", err)
	}
	e, err := s.CreateEscalation(ctx, Escalation{ConversationID: c.ID, Lang: "de", Reason: ReasonNoMatch,
		Candidates: []Choice{{DocID: "a", Title: "A", Score: 0.1}}})
	if err != nil {
		t.Fatal(err)
	}
	if e.Status != EscalationOpen || e.ID == "" {
		t.Fatalf("got %+v; want an open escalation with an id", e)
	}
	conv, _ := s.Conversation(ctx, c.ID)
	if conv.Status != ConversationEscalated {
		t.Errorf("conversation status %s; want escalated", conv.Status)
	}
	if got, err := s.EscalationByConversation(ctx, c.ID); err != nil || got.ID != e.ID || len(got.Candidates) != 1 {
		t.Errorf("by conversation: got %+v, %v", got, err)
	}
	if open, err := s.Escalations(ctx, EscalationOpen, 0); err != nil || len(open) != 1 {
		t.Errorf("open escalations: got %d, %v; want 1", len(open), err)
	}
	if _, err := s.Escalations(ctx, "bogus", 0); !errors.Is(err, ErrInvalidRecord) {
		t.Errorf("unknown status filter: got %v; want ErrInvalidRecord", err)
	}

	steps := []struct {
		name    string
		do      func() error
		wantErr error
		status  EscalationStatus
		claimed string
	}{
		{"anna claims", func() error { _, err := s.ClaimEscalation(ctx, e.ID, "anna"); return err }, nil, EscalationClaimed, "anna"},
		{"anna claims again", func() error { _, err := s.ClaimEscalation(ctx, e.ID, "anna"); return err }, nil, EscalationClaimed, "anna"},
		{"ben cannot claim", func() error { _, err := s.ClaimEscalation(ctx, e.ID, "ben"); return err }, ErrConflict, EscalationClaimed, "anna"},
		{"ben cannot answer", func() error {
			_, _, err := s.AnswerEscalation(ctx, e.ID, "ben", Message{Text: "hi"})
			return err
		}, ErrConflict, EscalationClaimed, "anna"},
		{"anna answers", func() error {
			_, m, err := s.AnswerEscalation(ctx, e.ID, "anna", Message{Text: "Hallo, ich helfe gern."})
			if err == nil && (m.Role != RoleAgent || m.Author != "anna" || m.ID == 0) {
				t.Errorf("agent message %+v; want role agent, author anna, an id", m)
			}
			return err
		}, nil, EscalationAnswered, "anna"},
		{"contact", func() error { return s.SetEscalationContact(ctx, e.ID, "+49 341 555") }, nil, EscalationAnswered, "anna"},
		{"close", func() error { return s.SetEscalationStatus(ctx, e.ID, EscalationClosed) }, nil, EscalationClosed, "anna"},
		{"reopen forbidden", func() error { return s.SetEscalationStatus(ctx, e.ID, EscalationOpen) }, ErrConflict, EscalationClosed, "anna"},
		{"claim closed", func() error { _, err := s.ClaimEscalation(ctx, e.ID, "anna"); return err }, ErrConflict, EscalationClosed, "anna"},
		{"unknown", func() error { return s.SetEscalationStatus(ctx, "nope", EscalationClosed) }, ErrNotFound, EscalationClosed, "anna"},
		{"bad status", func() error { return s.SetEscalationStatus(ctx, e.ID, "done") }, ErrInvalidRecord, EscalationClosed, "anna"},
		{"empty staff", func() error { _, err := s.ClaimEscalation(ctx, e.ID, " "); return err }, ErrInvalidRecord, EscalationClosed, "anna"},
	}
	for _, st := range steps {
		err := st.do()
		if st.wantErr == nil && err != nil || st.wantErr != nil && !errors.Is(err, st.wantErr) {
			t.Fatalf("%s: got %v; want %v", st.name, err, st.wantErr)
		}
		got, err := s.Escalation(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != st.status || got.ClaimedBy != st.claimed {
			t.Fatalf("%s: status %s claimed by %q; want %s by %q", st.name, got.Status, got.ClaimedBy, st.status, st.claimed)
		}
	}
	got, _ := s.Escalation(ctx, e.ID)
	conv, _ = s.Conversation(ctx, c.ID)
	if got.Contact != "+49 341 555" || conv.Contact != "+49 341 555" || conv.Status != ConversationClosed {
		t.Errorf("escalation contact %q, conversation %+v; want contact on both, conversation closed", got.Contact, conv)
	}
	msgs, _ := s.Messages(ctx, c.ID, 0, 0)
	if len(msgs) != 1 || msgs[0].Author != "anna" {
		t.Errorf("transcript %+v; want the one agent reply", msgs)
	}
}

// Two staff members claiming at once: exactly one wins.
func TestClaimRace(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	c, _ := s.CreateConversation(ctx, Conversation{})
	e, err := s.CreateEscalation(ctx, Escalation{ConversationID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.ClaimEscalation(ctx, e.ID, string(rune('a'+i)))
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, ErrConflict):
			t.Errorf("claim: %v; want success or ErrConflict", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d claims won; want exactly 1", wins)
	}
}

func TestSaveTurn(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	c, err := s.CreateConversation(ctx, Conversation{Lang: "de"})
	if err != nil {
		t.Fatal(err)
	}
	// A bad message fails the whole turn: no messages, no escalation, no
	// state change.
	bad := c
	bad.Topic = "faq-1"
	_, _, err = s.SaveTurn(ctx, Turn{Conversation: bad,
		Messages:   []Message{{Role: RoleVisitor, Text: "Mitarbeiter bitte"}, {Role: "robot", Text: "x"}},
		Escalation: &Escalation{Reason: ReasonAskedForPerson}})
	if !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("got %v; want ErrInvalidRecord", err)
	}
	if n, _ := s.CountMessages(ctx, c.ID); n != 0 {
		t.Errorf("%d messages after a failed turn; want 0", n)
	}
	if _, err := s.EscalationByConversation(ctx, c.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("escalation after a failed turn: %v; want none", err)
	}
	if got, _ := s.Conversation(ctx, c.ID); got.Topic != "" || got.Status != ConversationOpen {
		t.Errorf("conversation %+v after a failed turn; want it unchanged", got)
	}

	msgs, esc, err := s.SaveTurn(ctx, Turn{Conversation: bad,
		Messages:   []Message{{Role: RoleVisitor, Text: "Mitarbeiter bitte"}, {Role: RoleBot, Text: "übergeben", Decision: DecisionEscalate}},
		Escalation: &Escalation{Lang: "de", Reason: ReasonAskedForPerson}})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || esc == nil || esc.ConversationID != c.ID || esc.Status != EscalationOpen {
		t.Fatalf("got %+v, %+v; want two messages and an open escalation", msgs, esc)
	}
	if got, _ := s.Conversation(ctx, c.ID); got.Topic != "faq-1" || got.Status != ConversationEscalated {
		t.Errorf("conversation %+v; want the new topic and status escalated", got)
	}
	contact := "kunde@example.de"
	if _, _, err := s.SaveTurn(ctx, Turn{Conversation: bad, Messages: []Message{{Role: RoleVisitor, Text: contact}}, Contact: &contact}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Escalation(ctx, esc.ID); got.Contact != contact {
		t.Errorf("escalation contact %q; want %q", got.Contact, contact)
	}
	// A closed escalation is not touched by a later contact.
	if err := s.SetEscalationStatus(ctx, esc.ID, EscalationClosed); err != nil {
		t.Fatal(err)
	}
	other := "+49 30 123456"
	if _, _, err := s.SaveTurn(ctx, Turn{Conversation: bad, Messages: []Message{{Role: RoleVisitor, Text: other}}, Contact: &other}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Escalation(ctx, esc.ID); got.Contact != contact {
		t.Errorf("closed escalation's contact %q; want it unchanged (%q)", got.Contact, contact)
	}
	if _, _, err := s.SaveTurn(ctx, Turn{Conversation: Conversation{ID: "nope", Status: ConversationOpen}, Messages: []Message{{Role: RoleVisitor, Text: "x"}}}); !errors.Is(err, ErrNotFound) {
		t.Errorf("turn of unknown conversation: got %v; want ErrNotFound", err)
	}
}

// TestChatStatementsShared runs turns on many conversations at once, so
// the prepared statements are used from several pooled connections and
// transactions concurrently (with -race), then checks every conversation
// holds exactly its own messages in order, and that a closed store fails
// with an error rather than a panic.
func TestChatStatementsShared(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	const convs, turns = 8, 15
	ids := make([]string, convs)
	var wg sync.WaitGroup
	errs := make(chan error, convs)
	for i := range convs {
		c, err := s.CreateConversation(ctx, Conversation{Lang: "en"})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = c.ID
		wg.Go(func() {
			for j := range turns {
				cur, err := s.Conversation(ctx, c.ID)
				if err == nil {
					_, err = s.CountMessages(ctx, c.ID)
				}
				if err == nil {
					cur.Misses = j + 1
					_, _, err = s.SaveTurn(ctx, Turn{Conversation: cur, Messages: []Message{
						{Role: RoleVisitor, Text: fmt.Sprintf("%s q%d", c.ID, j)},
						{Role: RoleBot, Text: fmt.Sprintf("%s a%d", c.ID, j)}}})
				}
				if err == nil {
					_, err = s.LastMessages(ctx, c.ID, 4)
				}
				if err == nil {
					_, err = s.Messages(ctx, c.ID, 0, 0)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, id := range ids {
		msgs, err := s.Messages(ctx, id, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 2*turns {
			t.Fatalf("%s: %d messages; want %d", id, len(msgs), 2*turns)
		}
		for j, m := range msgs {
			want := fmt.Sprintf("%s q%d", id, j/2)
			if j%2 == 1 {
				want = fmt.Sprintf("%s a%d", id, j/2)
			}
			if m.ConversationID != id || m.Text != want {
				t.Fatalf("%s message %d: %q in %s; want %q", id, j, m.Text, m.ConversationID, want)
			}
		}
		if c, err := s.Conversation(ctx, id); err != nil || c.Misses != turns {
			t.Errorf("%s: misses %d, %v; want %d", id, c.Misses, err, turns)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Conversation(ctx, ids[0]); err == nil {
		t.Error("Conversation on a closed store: no error")
	}
	if _, _, err := s.SaveTurn(ctx, Turn{Conversation: Conversation{ID: ids[0], Status: ConversationOpen}}); err == nil {
		t.Error("SaveTurn on a closed store: no error")
	}
}
