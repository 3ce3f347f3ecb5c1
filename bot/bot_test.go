package bot_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sofort-chat/sofort/bot"
	"github.com/sofort-chat/sofort/corpus"
	"github.com/sofort-chat/sofort/corpus/demo"
	"github.com/sofort-chat/sofort/index"
)

// template is a data dir with the demo corpus imported and indexed, built
// once; each test works on its own copy.
var template string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sofort-bot-test-*")
	if err != nil {
		log.Fatal(err)
	}
	if err := buildTemplate(dir); err != nil {
		os.RemoveAll(dir)
		log.Fatal(err)
	}
	template = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func buildTemplate(dir string) error {
	ctx := context.Background()
	st, err := corpus.Open(ctx, filepath.Join(dir, "sofort.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	docs, err := demo.Documents()
	if err != nil {
		return err
	}
	if _, err := st.Upsert(ctx, docs); err != nil {
		return err
	}
	idx, err := index.Open(ctx, filepath.Join(dir, "index"), st, index.Options{})
	if err != nil {
		return err
	}
	defer idx.Close()
	_, err = idx.Sync(ctx, nil)
	return err
}

// env is one test's copy of the demo data dir, opened.
type env struct {
	t   testing.TB
	dir string
	st  *corpus.Store
	idx *index.Index
	bot *bot.Bot
	cfg bot.Config
}

func newEnv(t testing.TB, cfg bot.Config) *env {
	t.Helper()
	dir := t.TempDir()
	if err := copyDir(template, dir); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: dir, cfg: cfg}
	e.open()
	t.Cleanup(e.close)
	return e
}

func (e *env) open() {
	ctx := context.Background()
	st, err := corpus.Open(ctx, filepath.Join(e.dir, "sofort.db"))
	if err != nil {
		e.t.Fatal(err)
	}
	idx, err := index.Open(ctx, filepath.Join(e.dir, "index"), st, index.Options{})
	if err != nil {
		st.Close()
		e.t.Fatal(err)
	}
	e.st, e.idx = st, idx
	e.bot = bot.New(st, idx, e.cfg, nil)
}

func (e *env) close() {
	if e.idx != nil {
		e.idx.Close()
		e.idx = nil
	}
	if e.st != nil {
		e.st.Close()
		e.st = nil
	}
}

// restart closes everything and opens the same files again, as a server
// restart would.
func (e *env) restart() {
	e.close()
	e.open()
}

func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(to)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

// step is one visitor turn and what the bot's last reply must show.
type step struct {
	in       bot.Input
	feedback *bool // instead of in: rate the newest answer
	wantErr  error
	decision corpus.Decision
	anyKind  bool // the decision is not checked
	lang     string
	source   string   // doc id of the answer's source
	notSrc   string   // an answer must not come from this document
	choices  []string // doc ids that must be among the choices
	contains string   // substring of the reply text
	actions  []string // actions the reply must offer
	check    func(t *testing.T, e *env, conv string)
}

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

func (e *env) run(t *testing.T, lang string, steps []step) string {
	t.Helper()
	ctx := context.Background()
	conv, greet, err := e.bot.Start(ctx, lang)
	if err != nil {
		t.Fatal(err)
	}
	if len(greet) != 1 || greet[0].Role != corpus.RoleBot || greet[0].Lang != lang {
		t.Fatalf("greeting %+v; want one bot message in %s", greet, lang)
	}
	for i, s := range steps {
		var msgs []corpus.Message
		if s.feedback != nil {
			ans := e.lastAnswer(conv.ID)
			msgs, err = e.bot.Feedback(ctx, conv.ID, ans.ID, *s.feedback)
		} else {
			msgs, err = e.bot.Handle(ctx, conv.ID, s.in)
		}
		if s.wantErr != nil {
			if !errors.Is(err, s.wantErr) {
				t.Fatalf("step %d (%q): got %v; want %v", i, s.in.Text, err, s.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("step %d (%q): %v", i, s.in.Text, err)
		}
		if len(msgs) < 2 || msgs[0].Role != corpus.RoleVisitor {
			t.Fatalf("step %d (%q): got %+v; want the visitor's message and a reply", i, s.in.Text, msgs)
		}
		r := msgs[len(msgs)-1]
		if !s.anyKind && r.Decision != s.decision {
			t.Errorf("step %d (%q): decision %q (score %.3f, %q); want %q", i, s.in.Text, r.Decision, r.Score, r.Text, s.decision)
		}
		if s.lang != "" && r.Lang != s.lang {
			t.Errorf("step %d (%q): reply in %q; want %q", i, s.in.Text, r.Lang, s.lang)
		}
		if s.source != "" && (len(r.Sources) == 0 || r.Sources[0].DocID != s.source) {
			t.Errorf("step %d (%q): sources %+v; want %s", i, s.in.Text, r.Sources, s.source)
		}
		if s.notSrc != "" && len(r.Sources) > 0 && r.Sources[0].DocID == s.notSrc {
			t.Errorf("step %d (%q): answered from %s; want another document or no answer", i, s.in.Text, s.notSrc)
		}
		for _, c := range s.choices {
			if !slices.ContainsFunc(r.Choices, func(ch corpus.Choice) bool { return ch.DocID == c }) {
				t.Errorf("step %d (%q): choices %+v; want %s among them", i, s.in.Text, r.Choices, c)
			}
		}
		if s.contains != "" && !strings.Contains(r.Text, s.contains) {
			t.Errorf("step %d (%q): reply %q; want it to contain %q", i, s.in.Text, r.Text, s.contains)
		}
		for _, a := range s.actions {
			if !slices.Contains(r.Actions, a) {
				t.Errorf("step %d (%q): actions %v; want %s", i, s.in.Text, r.Actions, a)
			}
		}
		if s.check != nil {
			s.check(t, e, conv.ID)
		}
	}
	return conv.ID
}

func (e *env) lastAnswer(conv string) corpus.Message {
	e.t.Helper()
	msgs, err := e.st.Messages(context.Background(), conv, 0, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Decision == corpus.DecisionAnswer {
			return msgs[i]
		}
	}
	e.t.Fatal("no answer in the conversation")
	return corpus.Message{}
}

func escalationOf(t *testing.T, e *env, conv string) corpus.Escalation {
	t.Helper()
	esc, err := e.st.EscalationByConversation(context.Background(), conv)
	if err != nil {
		t.Fatalf("escalation of %s: %v", conv, err)
	}
	return esc
}

func wantEscalation(reason, contact string) func(t *testing.T, e *env, conv string) {
	return func(t *testing.T, e *env, conv string) {
		t.Helper()
		esc := escalationOf(t, e, conv)
		if esc.Reason != reason || esc.Contact != contact || esc.Status != corpus.EscalationOpen {
			t.Errorf("escalation %+v; want open, reason %s, contact %q", esc, reason, contact)
		}
		c, err := e.st.Conversation(context.Background(), conv)
		if err != nil || c.Status != corpus.ConversationEscalated {
			t.Errorf("conversation %+v, %v; want status escalated", c, err)
		}
	}
}

func noEscalation(t *testing.T, e *env, conv string) {
	t.Helper()
	if esc, err := e.st.EscalationByConversation(context.Background(), conv); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("escalation %+v, %v; want none yet", esc, err)
	}
}

func TestConversations(t *testing.T) {
	e := newEnv(t, bot.Config{})
	contact := "anna@example.org"
	empty := ""
	tests := []struct {
		name  string
		lang  string
		steps []step
	}{
		{"German answer with source and feedback", "de", []step{
			{in: bot.Input{Text: "Wie kündige ich meinen Vertrag?"}, decision: corpus.DecisionAnswer, lang: "de",
				source: "faq-de-kuendigung", contains: "Hat Ihnen das geholfen?", actions: []string{corpus.ActionFeedback},
				check: func(t *testing.T, e *env, conv string) {
					a := e.lastAnswer(conv)
					if a.Sources[0].URL == "" || a.Sources[0].Title != "Vertrag kündigen" || !strings.Contains(a.Text, "Kündigungsfrist") {
						t.Errorf("answer %+v; want the FAQ answer with title and URL", a)
					}
				}},
			{feedback: yes(), decision: corpus.DecisionNone, contains: "freut mich"},
		}},
		{"English answer", "en", []step{
			{in: bot.Input{Text: "How do I reset my password?"}, decision: corpus.DecisionAnswer, lang: "en",
				source: "faq-en-reset-password", contains: "Did this help?"},
		}},
		{"English question in a German UI gets an English reply", "de", []step{
			{in: bot.Input{Text: "How do I reset my password?", Lang: "de"}, decision: corpus.DecisionAnswer, lang: "en", source: "faq-en-reset-password"},
		}},
		{"thread answer is the accepted post", "de", []step{
			{in: bot.Input{Text: "Meine FuchsBox 7 blinkt nach einem Gewitter rot"}, decision: corpus.DecisionAnswer,
				source: "thread-de-fuchsbox-blinkt-rot-nach-gewitter",
				check: func(t *testing.T, e *env, conv string) {
					a := e.lastAnswer(conv)
					d, _ := e.st.Get(context.Background(), a.Sources[0].DocID)
					acc := d.AcceptedPost()
					if a.Sources[0].Field != index.FieldAccepted || acc == nil || !strings.HasPrefix(a.Text, acc.Body[:40]) {
						t.Errorf("answer %q from field %s; want the accepted post", a.Text, a.Sources[0].Field)
					}
				}},
		}},
		{"small talk in both languages", "de", []step{
			{in: bot.Input{Text: "   "}, decision: corpus.DecisionNone, lang: "de", contains: "leer"},
			{in: bot.Input{Text: "Hallo"}, decision: corpus.DecisionNone, lang: "de", contains: "Wie kann ich"},
			{in: bot.Input{Text: "hi there"}, decision: corpus.DecisionNone, lang: "en", contains: "How can I help"},
			{in: bot.Input{Text: "thanks"}, decision: corpus.DecisionNone, lang: "en", contains: "welcome"},
			{in: bot.Input{Text: "Vielen Dank!"}, decision: corpus.DecisionNone, lang: "de", contains: "Gern geschehen"},
			{in: bot.Input{Text: "du bist so dumm"}, decision: corpus.DecisionNone, lang: "de", contains: "helfe Ihnen gern", actions: []string{corpus.ActionHandoff}},
			{in: bot.Input{Text: "this bot is useless"}, decision: corpus.DecisionNone, lang: "en", contains: "help", actions: []string{corpus.ActionHandoff}},
			{in: bot.Input{Text: "Tschüss"}, decision: corpus.DecisionNone, lang: "de", contains: "Wiedersehen", check: noEscalation},
		}},
		{"greeting with a question is a question", "de", []step{
			{in: bot.Input{Text: "Hallo, wie kündige ich meinen Vertrag?"}, decision: corpus.DecisionAnswer, source: "faq-de-kuendigung"},
		}},
		{"follow-up carries the topic", "de", []step{
			{in: bot.Input{Text: "Wie kündige ich meinen Vertrag?"}, decision: corpus.DecisionAnswer, source: "faq-de-kuendigung"},
			{in: bot.Input{Text: "und wie lange dauert das?"}, decision: corpus.DecisionAnswer, source: "faq-de-kuendigung"},
		}},
		{"the same follow-up without a topic", "de", []step{
			{in: bot.Input{Text: "und wie lange dauert das?"}, anyKind: true, notSrc: "faq-de-kuendigung"},
		}},
		{"two unhelpful answers offer a person, who gets a contact", "de", []step{
			{in: bot.Input{Text: "Wie kündige ich meinen Vertrag?"}, decision: corpus.DecisionAnswer},
			{feedback: no(), decision: corpus.DecisionNone, actions: []string{corpus.ActionHandoff}},
			{in: bot.Input{Text: "Wie ändere ich meine Rechnungsadresse?"}, decision: corpus.DecisionAnswer, source: "faq-de-rechnungsadresse"},
			{feedback: no(), decision: corpus.DecisionEscalate, contains: "Mitarbeiter", actions: []string{corpus.ActionHandoff}, check: noEscalation},
			{in: bot.Input{Handoff: true}, decision: corpus.DecisionEscalate, actions: []string{corpus.ActionContact},
				check: wantEscalation(corpus.ReasonNotHelped, "")},
			{in: bot.Input{Contact: &contact}, decision: corpus.DecisionNone, contains: contact,
				check: wantEscalation(corpus.ReasonNotHelped, contact)},
		}},
		{"two unhelpful answers said in words", "en", []step{
			{in: bot.Input{Text: "How do I reset my password?"}, decision: corpus.DecisionAnswer},
			{in: bot.Input{Text: "no"}, decision: corpus.DecisionNone},
			{in: bot.Input{Text: "How do I turn on two-step verification?"}, decision: corpus.DecisionAnswer},
			{in: bot.Input{Text: "no, that didn't help"}, decision: corpus.DecisionEscalate},
			{in: bot.Input{Text: "yes"}, decision: corpus.DecisionEscalate, check: wantEscalation(corpus.ReasonNotHelped, "")},
		}},
		{"one unhelpful answer, then yes to the person offered", "de", []step{
			{in: bot.Input{Text: "Wie kündige ich meinen Vertrag?"}, decision: corpus.DecisionAnswer},
			{in: bot.Input{Text: "nein"}, decision: corpus.DecisionNone, contains: "Mitarbeiter", actions: []string{corpus.ActionHandoff}},
			{in: bot.Input{Text: "ja"}, decision: corpus.DecisionEscalate, check: wantEscalation(corpus.ReasonNotHelped, "")},
		}},
		{"a bare contact is no question", "de", []step{
			{in: bot.Input{Text: "kunde@example.de"}, decision: corpus.DecisionNone, contains: "notiert", actions: []string{corpus.ActionHandoff}, check: noEscalation},
			{in: bot.Input{Text: "ja"}, decision: corpus.DecisionEscalate, check: wantEscalation(corpus.ReasonNoMatch, "kunde@example.de")},
		}},
		{"a helpful answer resets the count", "en", []step{
			{in: bot.Input{Text: "How do I reset my password?"}, decision: corpus.DecisionAnswer},
			{feedback: no(), decision: corpus.DecisionNone},
			{in: bot.Input{Text: "How do I turn on two-step verification?"}, decision: corpus.DecisionAnswer},
			{feedback: yes(), decision: corpus.DecisionNone},
			{in: bot.Input{Text: "How do I change my billing address?"}, decision: corpus.DecisionAnswer},
			{feedback: no(), decision: corpus.DecisionNone, check: noEscalation},
		}},
		{"German request for a person, contact declined", "de", []step{
			{in: bot.Input{Text: "Mitarbeiter bitte"}, decision: corpus.DecisionEscalate, lang: "de", contains: "freiwillig",
				actions: []string{corpus.ActionContact}, check: wantEscalation(corpus.ReasonAskedForPerson, "")},
			{in: bot.Input{Contact: &empty}, decision: corpus.DecisionNone, contains: "ohne Kontaktdaten"},
			{in: bot.Input{Text: "Ich möchte mit einem Menschen sprechen"}, decision: corpus.DecisionEscalate, contains: "bereits"},
		}},
		{"English request for a person, contact typed", "en", []step{
			{in: bot.Input{Text: "I want to talk to a person"}, decision: corpus.DecisionEscalate, lang: "en", contains: "optional",
				check: wantEscalation(corpus.ReasonAskedForPerson, "")},
			{in: bot.Input{Text: "+49 341 5550100"}, decision: corpus.DecisionNone, contains: "+49 341 5550100",
				check: wantEscalation(corpus.ReasonAskedForPerson, "+49 341 5550100")},
		}},
		{"declining the contact in words", "en", []step{
			{in: bot.Input{Text: "can I speak to a human agent please"}, decision: corpus.DecisionEscalate},
			{in: bot.Input{Text: "no thanks"}, decision: corpus.DecisionNone, contains: "no contact details"},
		}},
		{"nothing fits: offer a person, accepted", "en", []step{
			{in: bot.Input{Text: "Who painted the Mona Lisa?"}, decision: corpus.DecisionEscalate,
				actions: []string{corpus.ActionHandoff}, check: noEscalation},
			{in: bot.Input{Text: "yes please"}, decision: corpus.DecisionEscalate, check: wantEscalation(corpus.ReasonNoMatch, "")},
		}},
		{"nothing fits: offer declined", "de", []step{
			{in: bot.Input{Text: "Wie backe ich einen Apfelkuchen?"}, decision: corpus.DecisionEscalate},
			{in: bot.Input{Text: "nein"}, decision: corpus.DecisionNone, check: noEscalation},
		}},
		{"handoff button without text", "en", []step{
			{in: bot.Input{Handoff: true}, decision: corpus.DecisionEscalate, check: wantEscalation(corpus.ReasonAskedForPerson, "")},
		}},
		{"invalid contact", "en", []step{
			{in: bot.Input{Handoff: true}, decision: corpus.DecisionEscalate},
			{in: bot.Input{Contact: func() *string { s := "call me maybe"; return &s }()}, wantErr: bot.ErrInvalid},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.run(t, tt.lang, tt.steps)
		})
	}
}

// wideMargin makes the bot ask back whenever the runner-up is anywhere
// near the top: the clarify mechanics under test should not hinge on the
// index's exact scores for one ambiguous word.
var wideMargin = bot.Config{Margin: 0.3}

// "Sperre" fits a lost phone's SIM lock and the third-party lock alike.
const ambiguous = "Sperre"

var ambiguousChoices = []string{"faq-de-handy-verloren", "faq-de-drittanbietersperre"}

func TestClarify(t *testing.T) {
	e := newEnv(t, wideMargin)
	tests := []struct {
		name  string
		steps []step
	}{
		{"choose by button", []step{
			{in: bot.Input{Text: ambiguous}, decision: corpus.DecisionClarify, choices: ambiguousChoices,
				contains: "Welche meinen Sie", actions: []string{corpus.ActionHandoff}},
			{in: bot.Input{Choice: "faq-de-drittanbietersperre"}, decision: corpus.DecisionAnswer, source: "faq-de-drittanbietersperre",
				check: func(t *testing.T, e *env, conv string) {
					msgs, _ := e.st.LastMessages(context.Background(), conv, 2)
					if msgs[0].Text != "Ich meine: Drittanbietersperre einrichten" {
						t.Errorf("visitor message %q; want the chosen title", msgs[0].Text)
					}
				}},
		}},
		{"choose by number", []step{
			{in: bot.Input{Text: ambiguous}, decision: corpus.DecisionClarify},
			{in: bot.Input{Text: "2"}, decision: corpus.DecisionAnswer, source: "faq-de-drittanbietersperre"},
		}},
		{"choose by title", []step{
			{in: bot.Input{Text: ambiguous}, decision: corpus.DecisionClarify},
			{in: bot.Input{Text: "Drittanbietersperre einrichten"}, decision: corpus.DecisionAnswer, source: "faq-de-drittanbietersperre"},
		}},
		{"none of them", []step{
			{in: bot.Input{Text: ambiguous}, decision: corpus.DecisionClarify},
			{in: bot.Input{Text: "nein"}, decision: corpus.DecisionNone, actions: []string{corpus.ActionHandoff}},
			{in: bot.Input{Text: "ja"}, decision: corpus.DecisionEscalate, check: wantEscalation(corpus.ReasonNoMatch, "")},
		}},
		{"a new question instead", []step{
			{in: bot.Input{Text: ambiguous}, decision: corpus.DecisionClarify},
			{in: bot.Input{Text: "Wie kündige ich meinen Vertrag?"}, decision: corpus.DecisionAnswer, source: "faq-de-kuendigung"},
		}},
		{"a choice retired since it was offered", []step{
			{in: bot.Input{Text: ambiguous}, decision: corpus.DecisionClarify, choices: ambiguousChoices,
				check: func(t *testing.T, e *env, _ string) {
					if err := e.st.SetStatus(context.Background(), "faq-de-handy-verloren", corpus.StatusRetired); err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { e.st.SetStatus(context.Background(), "faq-de-handy-verloren", corpus.StatusPublished) })
				}},
			{in: bot.Input{Choice: "faq-de-handy-verloren"}, wantErr: bot.ErrInvalid},
		}},
		{"a choice that was not offered", []step{
			{in: bot.Input{Text: ambiguous}, decision: corpus.DecisionClarify},
			{in: bot.Input{Choice: "faq-en-roaming"}, wantErr: bot.ErrInvalid},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.run(t, "de", tt.steps)
		})
	}
}

func TestHostileInput(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, bot.Config{MaxMessages: 3000})
	conv, _, err := e.bot.Start(ctx, "en")
	if err != nil {
		t.Fatal(err)
	}
	script := `<script>alert("x")</script><img src=x onerror=alert(1)> how do I reset my password?`
	msgs, err := e.bot.Handle(ctx, conv.ID, bot.Input{Text: script})
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := e.st.Messages(ctx, conv.ID, 0, 0)
	if msgs[0].Text != script || stored[1].Text != script {
		t.Errorf("stored %q; want the text verbatim (plain text, escaped on display)", stored[1].Text)
	}

	tests := []struct {
		name string
		conv string
		in   bot.Input
		want error
	}{
		{"huge text", conv.ID, bot.Input{Text: strings.Repeat("Rechnung ", 1000)}, bot.ErrInvalid},
		{"invalid UTF-8", conv.ID, bot.Input{Text: "Rechnung \xff\xfe"}, bot.ErrInvalid},
		{"unknown conversation", "no-such-conversation", bot.Input{Text: "hallo"}, corpus.ErrNotFound},
		{"unknown choice", conv.ID, bot.Input{Choice: "faq-de-kuendigung"}, bot.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := e.st.CountMessages(ctx, tt.conv)
			_, err := e.bot.Handle(ctx, tt.conv, tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v; want %v", err, tt.want)
			}
			if after, _ := e.st.CountMessages(ctx, tt.conv); after != before {
				t.Errorf("%d messages stored by a rejected turn; want none", after-before)
			}
		})
	}

	t.Run("control characters are dropped", func(t *testing.T) {
		msgs, err := e.bot.Handle(ctx, conv.ID, bot.Input{Text: "hallo\x00\x1b[31m"})
		if err != nil {
			t.Fatal(err)
		}
		if msgs[0].Text != "hallo[31m" {
			t.Errorf("stored %q; want control characters removed", msgs[0].Text)
		}
	})

	t.Run("thousands of messages", func(t *testing.T) {
		// Fill the history in one batch (the store's path), then talk:
		// turns stay correct with a long history, and the limit holds.
		n, _ := e.st.CountMessages(ctx, conv.ID)
		fill := make([]corpus.Message, 2990-n)
		for i := range fill {
			fill[i] = corpus.Message{Role: corpus.RoleVisitor, Text: "spam"}
		}
		if _, err := e.st.AppendMessages(ctx, conv.ID, fill...); err != nil {
			t.Fatal(err)
		}
		msgs, err := e.bot.Handle(ctx, conv.ID, bot.Input{Text: "How do I reset my password?"})
		if err != nil || msgs[1].Decision != corpus.DecisionAnswer {
			t.Fatalf("turn after 2990 messages: %+v, %v; want an answer", msgs, err)
		}
		var lastErr error
		for i := 0; i < 10 && lastErr == nil; i++ {
			_, lastErr = e.bot.Handle(ctx, conv.ID, bot.Input{Text: "hallo"})
		}
		if !errors.Is(lastErr, bot.ErrLimit) {
			t.Fatalf("got %v at the limit; want ErrLimit", lastErr)
		}
		if c, _ := e.st.CountMessages(ctx, conv.ID); c > 3000+1 {
			t.Errorf("%d messages stored; want at most the limit (3000) plus one reply", c)
		}
	})
}

func TestRestartKeepsState(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, wideMargin)
	conv, _, err := e.bot.Start(ctx, "de")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := e.bot.Handle(ctx, conv.ID, bot.Input{Text: ambiguous})
	if err != nil || msgs[1].Decision != corpus.DecisionClarify {
		t.Fatalf("got %+v, %v; want a clarify", msgs, err)
	}
	e.restart()
	msgs, err = e.bot.Handle(ctx, conv.ID, bot.Input{Text: "1"})
	if err != nil || msgs[1].Decision != corpus.DecisionAnswer {
		t.Fatalf("after restart: %+v, %v; want the first choice answered", msgs, err)
	}
	if _, err := e.bot.Handle(ctx, conv.ID, bot.Input{Text: "Mitarbeiter bitte"}); err != nil {
		t.Fatal(err)
	}
	e.restart()
	esc := escalationOf(t, e, conv.ID)
	all, _ := e.st.Messages(ctx, conv.ID, 0, 0)
	if len(all) != 7 || esc.Status != corpus.EscalationOpen {
		t.Errorf("after restart: %d messages, escalation %+v; want 7 messages and an open escalation", len(all), esc)
	}
	// The contact request survives the restart too.
	msgs, err = e.bot.Handle(ctx, conv.ID, bot.Input{Text: "kunde@example.de"})
	if err != nil || !strings.Contains(msgs[1].Text, "kunde@example.de") {
		t.Fatalf("contact after restart: %+v, %v", msgs, err)
	}
	if esc := escalationOf(t, e, conv.ID); esc.Contact != "kunde@example.de" {
		t.Errorf("escalation contact %q; want kunde@example.de", esc.Contact)
	}
}

func TestFeedbackErrors(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, bot.Config{})
	conv, greet, _ := e.bot.Start(ctx, "en")
	msgs, err := e.bot.Handle(ctx, conv.ID, bot.Input{Text: "How do I reset my password?"})
	if err != nil {
		t.Fatal(err)
	}
	ans := msgs[1]
	tests := []struct {
		name string
		conv string
		id   int64
		want error
	}{
		{"greeting is no answer", conv.ID, greet[0].ID, bot.ErrInvalid},
		{"visitor message is no answer", conv.ID, msgs[0].ID, bot.ErrInvalid},
		{"unknown message", conv.ID, 999999, corpus.ErrNotFound},
		{"unknown conversation", "nope", ans.ID, corpus.ErrNotFound},
		{"first rating", conv.ID, ans.ID, nil},
		{"second rating of the same answer", conv.ID, ans.ID, bot.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.bot.Feedback(ctx, tt.conv, tt.id, false)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("got %v; want %v", err, tt.want)
			}
		})
	}
}

func TestAgentReply(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var escalated []corpus.Escalation
	var transcripts [][]corpus.Message
	var replies []corpus.Message
	e := newEnv(t, bot.Config{
		OnEscalate: func(_ context.Context, esc corpus.Escalation, tr []corpus.Message) {
			mu.Lock()
			defer mu.Unlock()
			escalated = append(escalated, esc)
			transcripts = append(transcripts, tr)
		},
		OnAgentReply: func(_ context.Context, _ corpus.Escalation, m corpus.Message) {
			mu.Lock()
			defer mu.Unlock()
			replies = append(replies, m)
		},
	})
	conv, _, _ := e.bot.Start(ctx, "de")
	if _, err := e.bot.Handle(ctx, conv.ID, bot.Input{Text: "Meine Rechnung ist doppelt abgebucht worden, was nun?"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.bot.Handle(ctx, conv.ID, bot.Input{Text: "Ich möchte mit einem Mitarbeiter sprechen"}); err != nil {
		t.Fatal(err)
	}
	if len(escalated) != 1 || len(transcripts[0]) != 5 || transcripts[0][1].Text != "Meine Rechnung ist doppelt abgebucht worden, was nun?" {
		t.Fatalf("OnEscalate got %d escalations, transcript %+v; want 1 with all 5 messages", len(escalated), transcripts)
	}
	esc := escalated[0]
	if esc.Lang != "de" || len(esc.Candidates) == 0 {
		t.Errorf("escalation %+v; want language de and the bot's candidates", esc)
	}
	tests := []struct {
		name, staff, text string
		want              error
	}{
		{"empty reply", "anna", "  ", bot.ErrInvalid},
		{"no staff", "", "Hallo", bot.ErrInvalid},
		{"anna replies", "anna", "Hallo, ich habe die doppelte Abbuchung storniert.", nil},
		{"ben cannot reply to anna's", "ben", "Hallo", corpus.ErrConflict},
		{"anna again", "anna", "Das Geld ist in 3 Tagen zurück.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := e.bot.AgentReply(ctx, esc.ID, tt.staff, tt.text)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Errorf("got %v; want %v", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Role != corpus.RoleAgent || m.Author != tt.staff || m.Text != tt.text || m.ConversationID != conv.ID || m.Lang != "de" {
				t.Errorf("agent message %+v", m)
			}
		})
	}
	if _, err := e.bot.AgentReply(ctx, "nope", "anna", "x"); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("unknown escalation: got %v; want ErrNotFound", err)
	}
	if got := escalationOf(t, e, conv.ID); got.Status != corpus.EscalationAnswered || got.ClaimedBy != "anna" {
		t.Errorf("escalation %+v; want answered by anna", got)
	}
	if len(replies) != 2 {
		t.Errorf("OnAgentReply called %d times; want 2", len(replies))
	}
	// A visitor who comes back later finds the replies in the history.
	e.restart()
	all, _ := e.st.Messages(ctx, conv.ID, 0, 0)
	if last := all[len(all)-1]; last.Role != corpus.RoleAgent || last.Text != "Das Geld ist in 3 Tagen zurück." {
		t.Errorf("last message after restart %+v; want anna's reply", last)
	}
	// Staff close the case; the visitor comes back with a new request and
	// gets a new escalation in the same conversation.
	if err := e.st.SetEscalationStatus(ctx, esc.ID, corpus.EscalationClosed); err != nil {
		t.Fatal(err)
	}
	if _, err := e.bot.AgentReply(ctx, esc.ID, "anna", "noch etwas"); !errors.Is(err, corpus.ErrConflict) {
		t.Errorf("reply to a closed escalation: got %v; want ErrConflict", err)
	}
	if _, err := e.bot.Handle(ctx, conv.ID, bot.Input{Handoff: true}); err != nil {
		t.Fatal(err)
	}
	if again := escalationOf(t, e, conv.ID); again.ID == esc.ID || again.Status != corpus.EscalationOpen {
		t.Errorf("after closing and a new handoff: %+v; want a new open escalation", again)
	}
	if len(escalated) != 2 {
		t.Errorf("OnEscalate called %d times; want 2", len(escalated))
	}
}

// Turns of one conversation arriving at once are serialized: every
// visitor message gets its replies, ids stay in order.
func TestConcurrentTurns(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, bot.Config{})
	conv, _, _ := e.bot.Start(ctx, "en")
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.bot.Handle(ctx, conv.ID, bot.Input{Text: "hello"})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	all, _ := e.st.Messages(ctx, conv.ID, 0, 0)
	if len(all) != 41 {
		t.Fatalf("%d messages; want 41 (greeting + 20 turns of two)", len(all))
	}
	for i := 1; i < len(all); i += 2 {
		if all[i].Role != corpus.RoleVisitor || all[i+1].Role != corpus.RoleBot {
			t.Fatalf("messages %d,%d are %s,%s; want each visitor message followed by its reply", i, i+1, all[i].Role, all[i+1].Role)
		}
	}
}

func TestDecide(t *testing.T) {
	e := newEnv(t, bot.Config{})
	tests := []struct {
		text, lang string
		want       corpus.Decision
		top        string
	}{
		{"Wie kündige ich meinen Vertrag?", "de", corpus.DecisionAnswer, "faq-de-kuendigung"},
		{"How do I reset my password?", "", corpus.DecisionAnswer, "faq-en-reset-password"},
		{"Who painted the Mona Lisa?", "en", corpus.DecisionEscalate, ""},
		{"!!!", "en", corpus.DecisionEscalate, ""},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			d, err := e.bot.Decide(context.Background(), tt.text, tt.lang)
			if err != nil {
				t.Fatal(err)
			}
			if d.Kind != tt.want || tt.top != "" && (len(d.Hits) == 0 || d.Hits[0].DocID != tt.top) {
				t.Errorf("got %s (score %.3f, %d hits); want %s with %s first", d.Kind, d.Score, len(d.Hits), tt.want, tt.top)
			}
			if len(d.Hits) > 0 && d.Score != d.Hits[0].Score {
				t.Errorf("decision score %v; want the top hit's final score %v", d.Score, d.Hits[0].Score)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*bot.Config)
		want string
	}{
		{"defaults", func(*bot.Config) {}, ""},
		{"threshold above 1", func(c *bot.Config) { c.AnswerThreshold = 1.5 }, "outside [0,1]"},
		{"clarify above answer", func(c *bot.Config) { c.ClarifyThreshold = 0.5; c.AnswerThreshold = 0.4 }, "clarify threshold"},
		{"no choices", func(c *bot.Config) { c.MaxChoices = 0 }, "max choices"},
		{"tiny conversations", func(c *bot.Config) { c.MaxMessages = 2 }, "max messages"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := bot.DefaultConfig()
			tt.mod(&c)
			err := c.Validate()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("got %v; want %q", err, tt.want)
			}
		})
	}
}
