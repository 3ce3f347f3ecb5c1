package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sofort-chat/sofort/corpus"
	"github.com/sofort-chat/sofort/index"
)

// Input is one visitor turn.
type Input struct {
	Text string // the visitor's text
	// Choice is a document id picked from the last clarify (Text may be
	// empty then).
	Choice string
	// Handoff: the visitor pressed "talk to a person".
	Handoff bool
	// Contact: non-nil when the visitor answered the contact request; ""
	// means declined.
	Contact *string
	// Lang is the UI language, a hint; the text's detected language wins.
	Lang string
}

// Start opens a new conversation in lang (the UI language; "de" or "en",
// anything else becomes English) and returns it with the greeting.
func (b *Bot) Start(ctx context.Context, lang string) (corpus.Conversation, []corpus.Message, error) {
	lang = replyLang(normLang(lang))
	c, err := b.st.CreateConversation(ctx, corpus.Conversation{Lang: lang})
	if err != nil {
		return corpus.Conversation{}, nil, fmt.Errorf("start conversation: %w", err)
	}
	msgs, err := b.st.AppendMessages(ctx, c.ID, corpus.Message{Role: corpus.RoleBot, Lang: lang, Text: say(lang, txtGreeting)})
	if err != nil {
		return corpus.Conversation{}, nil, fmt.Errorf("start conversation: %w", err)
	}
	return c, msgs, nil
}

// turn collects one turn's changes until they are stored.
type turn struct {
	conv    corpus.Conversation
	lang    string
	visitor corpus.Message
	replies []corpus.Message
	// escalate, when set, creates an escalation with this reason after the
	// messages are stored.
	escalate string
	cands    []corpus.Choice
	contact  *string // a contact to record on the open escalation
}

func (t *turn) reply(m corpus.Message) {
	m.Role = corpus.RoleBot
	if m.Lang == "" {
		m.Lang = t.lang
	}
	t.replies = append(t.replies, m)
}

// Handle processes one visitor turn: it stores the visitor's message and
// the bot's replies and returns all new messages, the visitor's first. It
// fails with ErrInvalid for bad input, ErrLimit when the conversation is
// full, and an error wrapping corpus.ErrNotFound for an unknown
// conversation.
func (b *Bot) Handle(ctx context.Context, convID string, in Input) ([]corpus.Message, error) {
	text, err := b.cleanText(in.Text)
	if err != nil {
		return nil, err
	}
	defer b.lock(convID)()
	conv, err := b.st.Conversation(ctx, convID)
	if err != nil {
		return nil, err
	}
	n, err := b.st.CountMessages(ctx, convID)
	if err != nil {
		return nil, err
	}
	if n >= b.cfg.MaxMessages {
		return nil, fmt.Errorf("%w: conversation %s holds %d messages, at most %d; start a new one", ErrLimit, convID, n, b.cfg.MaxMessages)
	}

	lang := conv.Lang
	if text != "" {
		lang = detectLang(text, firstNonEmpty(conv.Lang, normLang(in.Lang)))
	} else if l := normLang(in.Lang); l != "" {
		lang = l
	}
	lang = replyLang(lang)
	t := &turn{conv: conv, lang: lang}
	t.visitor = corpus.Message{Role: corpus.RoleVisitor, Lang: lang, Text: text}
	if conv.Status == corpus.ConversationClosed {
		// Staff closed the case; a visitor who comes back with a new
		// question continues the same chat (history included), and a new
		// handoff makes a new escalation.
		t.conv.Status = corpus.ConversationOpen
	}

	switch {
	case in.Contact != nil:
		err = b.onContact(ctx, t, *in.Contact)
	case in.Handoff:
		if t.visitor.Text == "" {
			t.visitor.Text = say(lang, txtTalkToPerson)
		}
		err = b.onHandoff(ctx, t)
	case in.Choice != "":
		err = b.onChoice(ctx, t, in.Choice)
	default:
		err = b.onText(ctx, t, text)
	}
	if err != nil {
		return nil, err
	}
	t.conv.Lang = lang
	return b.commit(ctx, t)
}

// commit stores the turn in one transaction, then notifies about a new
// escalation.
func (b *Bot) commit(ctx context.Context, t *turn) ([]corpus.Message, error) {
	rec := corpus.Turn{
		Conversation: t.conv,
		Messages:     append([]corpus.Message{t.visitor}, t.replies...),
		Contact:      t.contact,
	}
	if t.escalate != "" {
		rec.Escalation = &corpus.Escalation{Lang: t.lang, Reason: t.escalate, Candidates: t.cands, Contact: t.conv.Contact}
	}
	msgs, esc, err := b.st.SaveTurn(ctx, rec)
	if err != nil {
		return nil, err
	}
	if esc != nil {
		b.log.Info("escalated", "conversation", t.conv.ID, "escalation", esc.ID, "reason", esc.Reason)
		b.notifyEscalation(ctx, *esc)
	}
	return msgs, nil
}

func (b *Bot) notifyEscalation(ctx context.Context, e corpus.Escalation) {
	if b.cfg.OnEscalate == nil && len(b.cfg.Handoffs) == 0 {
		return
	}
	transcript, err := b.st.Messages(ctx, e.ConversationID, 0, 0)
	if err != nil {
		b.log.Error("escalation transcript", "escalation", e.ID, "err", err)
		return
	}
	if b.cfg.OnEscalate != nil {
		b.cfg.OnEscalate(ctx, e, transcript)
	}
	for _, h := range b.cfg.Handoffs {
		if err := h.Escalated(ctx, e, transcript); err != nil {
			b.log.Error("handoff", "to", h.Name(), "escalation", e.ID, "err", err)
		}
	}
}

// cleanText checks the visitor's text: bounded size, valid UTF-8, no
// control characters except line breaks and tabs. It is stored as plain
// text whatever it contains (HTML included): rendering escapes it.
func (b *Bot) cleanText(s string) (string, error) {
	if len(s) > b.cfg.MaxMessageBytes {
		return "", fmt.Errorf("%w: message is %d bytes, at most %d", ErrInvalid, len(s), b.cfg.MaxMessageBytes)
	}
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%w: message is not valid UTF-8", ErrInvalid)
	}
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s), nil
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

// activeEscalation returns the conversation's escalation that staff still
// work on, if any.
func (b *Bot) activeEscalation(ctx context.Context, convID string) (corpus.Escalation, bool, error) {
	e, err := b.st.EscalationByConversation(ctx, convID)
	if errors.Is(err, corpus.ErrNotFound) {
		return corpus.Escalation{}, false, nil
	}
	if err != nil {
		return corpus.Escalation{}, false, err
	}
	return e, e.Status != corpus.EscalationClosed, nil
}

// onHandoff hands the conversation to a person, or says it already is.
func (b *Bot) onHandoff(ctx context.Context, t *turn) error {
	_, active, err := b.activeEscalation(ctx, t.conv.ID)
	if err != nil {
		return err
	}
	if active {
		t.conv.Pending = corpus.PendingNone
		t.reply(corpus.Message{Text: say(t.lang, txtHandoffActive), Decision: corpus.DecisionEscalate})
		return nil
	}
	reason := corpus.ReasonAskedForPerson
	if t.conv.Pending == corpus.PendingHandoff {
		// Offered after a miss, or because nothing fitted.
		reason = corpus.ReasonNoMatch
		if t.conv.Misses > 0 {
			reason = corpus.ReasonNotHelped
		}
	}
	cands, err := b.lastCandidates(ctx, t.conv.ID)
	if err != nil {
		return err
	}
	t.escalate, t.cands = reason, cands
	actions := []string{corpus.ActionContact}
	if t.conv.Contact != "" {
		actions = nil
	}
	t.reply(corpus.Message{Text: say(t.lang, txtHandoffDone), Decision: corpus.DecisionEscalate, Choices: cands, Actions: actions})
	t.conv.Status = corpus.ConversationEscalated
	t.conv.Pending = corpus.PendingNone
	if t.conv.Contact == "" {
		t.conv.Pending = corpus.PendingContact
	}
	return nil
}

// lastCandidates returns the choices of the newest bot message that had
// any: what the bot considered before giving up, for staff.
func (b *Bot) lastCandidates(ctx context.Context, convID string) ([]corpus.Choice, error) {
	msgs, err := b.recent(ctx, convID, 20)
	if err != nil {
		return nil, err
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == corpus.RoleBot && len(msgs[i].Choices) > 0 {
			return msgs[i].Choices, nil
		}
		if msgs[i].Role == corpus.RoleBot && msgs[i].Decision == corpus.DecisionAnswer && len(msgs[i].Sources) > 0 {
			s := msgs[i].Sources[0]
			return []corpus.Choice{{DocID: s.DocID, Title: s.Title, Score: msgs[i].Score}}, nil
		}
	}
	return nil, nil
}

// recent returns up to n of the conversation's newest messages, oldest
// first.
func (b *Bot) recent(ctx context.Context, convID string, n int) ([]corpus.Message, error) {
	return b.st.LastMessages(ctx, convID, n)
}

func (b *Bot) onContact(ctx context.Context, t *turn, raw string) error {
	raw = strings.TrimSpace(raw)
	t.conv.Pending = corpus.PendingNone
	if raw == "" {
		t.visitor.Text = firstNonEmpty(t.visitor.Text, map[string]string{"de": "Nein danke.", "en": "No, thanks."}[t.lang])
		t.reply(corpus.Message{Text: say(t.lang, txtContactDeclined)})
		return nil
	}
	c := parseContact(raw)
	if c == "" {
		return fmt.Errorf("%w: contact %q is neither an e-mail address nor a phone number", ErrInvalid, truncate(raw, 80))
	}
	t.visitor.Text = firstNonEmpty(t.visitor.Text, c)
	t.conv.Contact = c
	t.contact = &c
	if _, active, err := b.activeEscalation(ctx, t.conv.ID); err != nil {
		return err
	} else if !active {
		// Given unasked: nobody would call back yet, so offer it.
		t.conv.Pending = corpus.PendingHandoff
		t.reply(corpus.Message{Text: say(t.lang, txtContactNoted), Actions: []string{corpus.ActionHandoff}})
		return nil
	}
	t.reply(corpus.Message{Text: say(t.lang, txtContactThanks, c)})
	return nil
}

func (b *Bot) onChoice(ctx context.Context, t *turn, docID string) error {
	choices, err := b.lastChoices(ctx, t.conv.ID)
	if err != nil {
		return err
	}
	var offered *corpus.Choice
	for i := range choices {
		if choices[i].DocID == docID {
			offered = &choices[i]
		}
	}
	if offered == nil {
		return fmt.Errorf("%w: %q was not offered as a choice", ErrInvalid, truncate(docID, 80))
	}
	if t.visitor.Text == "" {
		t.visitor.Text = say(t.lang, txtChoicePrefix, offered.Title)
	}
	doc, err := b.st.Get(ctx, docID)
	if errors.Is(err, corpus.ErrNotFound) || err == nil && doc.Status != corpus.StatusPublished {
		// Retired by staff since it was offered.
		return fmt.Errorf("%w: document %q is no longer available", ErrInvalid, docID)
	}
	if err != nil {
		return err
	}
	t.conv.Pending = corpus.PendingNone
	b.answer(t, index.Hit{DocID: doc.ID, Doc: doc, Score: offered.Score}, t.visitor.Text)
	return nil
}

// onChoiceText reads a typed reply to a clarify: the choice's number, its
// title, "ja" to a single choice, "nein" to all of them. It reports false
// when the text is something else (a new question).
func (b *Bot) onChoiceText(ctx context.Context, t *turn, text string, in intent) (bool, error) {
	choices, err := b.lastChoices(ctx, t.conv.ID)
	if err != nil || len(choices) == 0 {
		return false, err
	}
	pick := -1
	trimmed := strings.Trim(strings.TrimSpace(text), ".)")
	switch {
	case len(trimmed) == 1 && trimmed[0] >= '1' && int(trimmed[0]-'0') <= len(choices):
		pick = int(trimmed[0] - '1')
	case in == intentYes && len(choices) == 1:
		pick = 0
	case in == intentNo:
		t.conv.Pending = corpus.PendingHandoff
		t.reply(corpus.Message{Text: say(t.lang, txtNotHelped), Actions: []string{corpus.ActionHandoff}})
		return true, nil
	default:
		for i, c := range choices {
			if strings.EqualFold(strings.TrimSpace(c.Title), trimmed) {
				pick = i
			}
		}
	}
	if pick < 0 {
		return false, nil
	}
	return true, b.onChoice(ctx, t, choices[pick].DocID)
}

// lastChoices returns the choices of the bot's newest message that
// offered any: a clarify, or the weak candidates shown with an escalation
// (a visitor may still pick one of those).
func (b *Bot) lastChoices(ctx context.Context, convID string) ([]corpus.Choice, error) {
	msgs, err := b.recent(ctx, convID, 20)
	if err != nil {
		return nil, err
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == corpus.RoleBot && len(msgs[i].Choices) > 0 {
			return msgs[i].Choices, nil
		}
	}
	return nil, nil
}

func (b *Bot) onText(ctx context.Context, t *turn, text string) error {
	pending := t.conv.Pending
	in := classify(text)
	if in == intentQuestion {
		// A bare e-mail address or phone number is a contact, asked for
		// or not, never a question.
		if c := parseContact(text); c != "" {
			return b.onContact(ctx, t, c)
		}
	}
	if pending == corpus.PendingContact && in == intentNo {
		return b.onContact(ctx, t, "")
	}
	if pending == corpus.PendingChoice {
		if done, err := b.onChoiceText(ctx, t, text, in); done || err != nil {
			return err
		}
	}
	if pending != corpus.PendingContact {
		t.conv.Pending = corpus.PendingNone
	}
	switch in {
	case intentGreeting, intentThanks, intentBye, intentYes, intentNo, intentInsult:
		if done, err := b.corpusSmallTalk(ctx, t, text, pending); done || err != nil {
			return err
		}
	}
	switch in {
	case intentEmpty:
		t.reply(corpus.Message{Text: say(t.lang, txtEmpty)})
		t.conv.Pending = pending
		return nil
	case intentNoWords:
		t.reply(corpus.Message{Text: say(t.lang, txtNoWords)})
		t.conv.Pending = pending
		return nil
	case intentGreeting:
		t.reply(corpus.Message{Text: say(t.lang, txtHello)})
		return nil
	case intentThanks:
		if b.lastWasAnswer(ctx, t) {
			t.conv.Misses = 0
		}
		t.reply(corpus.Message{Text: say(t.lang, txtThanks)})
		return nil
	case intentBye:
		t.reply(corpus.Message{Text: say(t.lang, txtBye)})
		return nil
	case intentPerson:
		return b.onHandoff(ctx, t)
	case intentInsult:
		t.reply(corpus.Message{Text: say(t.lang, txtInsult), Actions: []string{corpus.ActionHandoff}})
		return nil
	case intentYes:
		switch {
		case pending == corpus.PendingHandoff:
			t.conv.Pending = pending // onHandoff reads why the handoff was offered
			return b.onHandoff(ctx, t)
		case b.lastWasAnswer(ctx, t):
			t.conv.Misses = 0
			t.reply(corpus.Message{Text: say(t.lang, txtHelped)})
			return nil
		}
		t.reply(corpus.Message{Text: say(t.lang, txtHello)})
		return nil
	case intentNo:
		switch {
		case pending == corpus.PendingHandoff:
			t.reply(corpus.Message{Text: say(t.lang, txtHandoffDeclined)})
			return nil
		case b.lastWasAnswer(ctx, t):
			b.notHelped(t)
			return nil
		}
		t.reply(corpus.Message{Text: say(t.lang, txtHandoffDeclined)})
		return nil
	}
	return b.onQuestion(ctx, t, text)
}

// lastWasAnswer reports whether the bot's newest message is an answer
// the visitor has not rated yet, and marks it rated: the caller takes the
// visitor's message as its rating.
func (b *Bot) lastWasAnswer(ctx context.Context, t *turn) bool {
	id := b.unratedAnswer(ctx, t)
	if id == 0 {
		return false
	}
	t.conv.Rated = id
	return true
}

// unratedAnswer returns the id of the bot's newest message if it is an
// answer not rated yet, else 0.
func (b *Bot) unratedAnswer(ctx context.Context, t *turn) int64 {
	msgs, err := b.recent(ctx, t.conv.ID, 4)
	if err != nil {
		return 0
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == corpus.RoleBot {
			if msgs[i].Decision == corpus.DecisionAnswer && msgs[i].ID > t.conv.Rated {
				return msgs[i].ID
			}
			return 0
		}
	}
	return 0
}

// corpusSmallTalk answers small talk from the corpus when the corpus has
// a confident answer for it (a deployment whose documents include a
// greeting or a "thank you" intent wants its own reply), and only when
// the message does not reply to something the bot asked.
func (b *Bot) corpusSmallTalk(ctx context.Context, t *turn, text string, pending corpus.Pending) (bool, error) {
	if pending != corpus.PendingNone || b.unratedAnswer(ctx, t) != 0 {
		return false, nil
	}
	d, err := b.decide(ctx, text, t.lang)
	if err != nil || d.Kind != corpus.DecisionAnswer {
		return false, err
	}
	b.answer(t, d.Hits[0], text)
	return true, nil
}

// notHelped counts a miss and offers a person after MaxMisses in a row.
func (b *Bot) notHelped(t *turn) {
	t.conv.Misses++
	if t.conv.Misses >= b.cfg.MaxMisses {
		t.conv.Pending = corpus.PendingHandoff
		t.reply(corpus.Message{Text: say(t.lang, txtNotHelpedTwice), Decision: corpus.DecisionEscalate, Actions: []string{corpus.ActionHandoff}})
		return
	}
	// The reply offers a person too: "ja" accepts.
	t.conv.Pending = corpus.PendingHandoff
	t.reply(corpus.Message{Text: say(t.lang, txtNotHelped), Actions: []string{corpus.ActionHandoff}})
}

func (b *Bot) onQuestion(ctx context.Context, t *turn, text string) error {
	query := text
	if t.conv.Topic != "" && isFollowUp(text) {
		// Carry the topic: its title gives the follow-up the nouns it
		// refers to ("und wie lange dauert das?" after "Vertrag kündigen").
		if doc, err := b.st.Get(ctx, t.conv.Topic); err == nil {
			query = topicTitle(&doc) + " " + text
		} else if !errors.Is(err, corpus.ErrNotFound) {
			return err
		}
	}
	d, err := b.decide(ctx, query, t.lang)
	if err != nil {
		return err
	}
	if s := stripGreeting(query); d.Kind != corpus.DecisionAnswer && s != query {
		// "Hallo, wie kündige ich?": the greeting may have drowned the
		// question. Only a better decision replaces the first, so a
		// greeting that is part of the question ("hi, ai") stays.
		if d2, err := b.decide(ctx, s, t.lang); err != nil {
			return err
		} else if rank(d2.Kind) > rank(d.Kind) || rank(d2.Kind) == rank(d.Kind) && d2.Score > d.Score {
			d = d2
		}
	}
	switch d.Kind {
	case corpus.DecisionAnswer:
		b.answer(t, d.Hits[0], text)
	case corpus.DecisionClarify:
		choices := make([]corpus.Choice, 0, d.Choices)
		for _, h := range d.Hits[:d.Choices] {
			choices = append(choices, corpus.Choice{DocID: h.DocID, Title: topicTitle(&h.Doc), Score: h.Score})
		}
		key := txtClarify
		if len(choices) == 1 {
			key = txtClarifyOne
		}
		t.conv.Pending = corpus.PendingChoice
		t.reply(corpus.Message{Text: say(t.lang, key), Decision: corpus.DecisionClarify, Score: d.Score,
			Choices: choices, Actions: []string{corpus.ActionHandoff}})
	default:
		var cands []corpus.Choice
		for i, h := range d.Hits {
			if i >= b.cfg.MaxChoices {
				break
			}
			cands = append(cands, corpus.Choice{DocID: h.DocID, Title: topicTitle(&h.Doc), Score: h.Score})
		}
		if _, active, err := b.activeEscalation(ctx, t.conv.ID); err != nil {
			return err
		} else if active {
			t.reply(corpus.Message{Text: say(t.lang, txtHandoffActive), Decision: corpus.DecisionEscalate, Score: d.Score, Choices: cands})
			return nil
		}
		t.conv.Pending = corpus.PendingHandoff
		t.reply(corpus.Message{Text: say(t.lang, txtNoMatch), Decision: corpus.DecisionEscalate, Score: d.Score,
			Choices: cands, Actions: []string{corpus.ActionHandoff}})
	}
	return nil
}

func rank(k corpus.Decision) int {
	switch k {
	case corpus.DecisionAnswer:
		return 2
	case corpus.DecisionClarify:
		return 1
	}
	return 0
}

// topicTitle is a document's display title: its title, else its question.
func topicTitle(d *corpus.Document) string {
	if d.Title != "" {
		return d.Title
	}
	if d.Question != "" {
		return d.Question
	}
	return d.ID
}

// answer replies with the passage of doc that answers question, its
// source, and asks whether it helped.
func (b *Bot) answer(t *turn, h index.Hit, question string) {
	doc := &h.Doc
	passage, field := answerPassage(doc, question)
	passage = clip(passage, b.cfg.MaxAnswerBytes, say(t.lang, txtTruncated))
	t.conv.Topic = doc.ID
	t.reply(corpus.Message{
		Text:     passage + "\n\n" + say(t.lang, txtAskHelpful),
		Decision: corpus.DecisionAnswer,
		Score:    h.Score,
		Sources:  []corpus.Source{{DocID: doc.ID, Title: topicTitle(doc), URL: doc.URL, Field: field}},
		Actions:  []string{corpus.ActionFeedback, corpus.ActionHandoff},
	})
}

// answerPassage picks what to show: an FAQ's answer; a thread's accepted
// post, cut to the passage sharing most words with the question when it
// is long; an article's best passage.
func answerPassage(d *corpus.Document, question string) (text, field string) {
	if d.Kind == corpus.KindFAQ && d.Answer != "" {
		return d.Answer, index.FieldAnswer
	}
	if p := d.AcceptedPost(); p != nil && strings.TrimSpace(p.Body) != "" {
		return bestPassage(d, question, index.FieldAccepted, p.Body), index.FieldAccepted
	}
	for _, f := range []struct{ name, text string }{{index.FieldAnswer, d.Answer}, {index.FieldBody, d.Body}} {
		if strings.TrimSpace(f.text) != "" {
			return bestPassage(d, question, f.name, f.text), f.name
		}
	}
	// A thread without an accepted post: the best-voted reply.
	best := -1
	for i, p := range d.Posts {
		if i == 0 || strings.TrimSpace(p.Body) == "" {
			continue // the first post is the question
		}
		if best < 0 || p.Votes > d.Posts[best].Votes {
			best = i
		}
	}
	if best >= 0 {
		return bestPassage(d, question, index.FieldPosts, d.Posts[best].Body), index.FieldPosts
	}
	return topicTitle(d), index.FieldTitle
}

// bestPassage returns whole when it is short, else the passage of field
// that shares the most words with the question.
func bestPassage(d *corpus.Document, question, field, whole string) string {
	const short = 1200
	if len(whole) <= short {
		return strings.TrimSpace(whole)
	}
	q := set(words(question)...)
	best, bestN := "", -1
	for _, p := range index.SplitPassages(d) {
		if p.Field != field {
			continue
		}
		n := 0
		for _, w := range words(p.Text) {
			if len(w) > 3 && q[w] {
				n++
			}
		}
		if n > bestN {
			best, bestN = p.Text, n
		}
	}
	if best == "" {
		return strings.TrimSpace(whole)
	}
	return best
}

// clip shortens s to about max bytes at a sentence end (else a word end)
// and appends more.
func clip(s string, maxBytes int, more string) string {
	if len(s) <= maxBytes {
		return s
	}
	cut := truncate(s, maxBytes)
	if i := strings.LastIndexAny(cut, ".!?\n"); i > maxBytes/2 {
		return cut[:i+1] + " " + more
	}
	if i := strings.LastIndexByte(cut, ' '); i > maxBytes/2 {
		cut = cut[:i]
	}
	return cut + " " + more
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Feedback records whether an answer helped and returns the messages it
// adds (the visitor's rating and the bot's reply). Two unhelpful answers in
// a row offer a person. It fails with ErrInvalid for a message that is no
// answer or was rated already, and corpus.ErrNotFound for unknown ids.
func (b *Bot) Feedback(ctx context.Context, convID string, messageID int64, helped bool) ([]corpus.Message, error) {
	defer b.lock(convID)()
	conv, err := b.st.Conversation(ctx, convID)
	if err != nil {
		return nil, err
	}
	m, err := b.st.Message(ctx, convID, messageID)
	if err != nil {
		return nil, err
	}
	if m.Role != corpus.RoleBot || m.Decision != corpus.DecisionAnswer {
		return nil, fmt.Errorf("%w: message %d is not an answer", ErrInvalid, messageID)
	}
	if messageID <= conv.Rated {
		return nil, fmt.Errorf("%w: message %d was rated already", ErrInvalid, messageID)
	}
	n, err := b.st.CountMessages(ctx, convID)
	if err != nil {
		return nil, err
	}
	if n >= b.cfg.MaxMessages {
		return nil, fmt.Errorf("%w: conversation %s holds %d messages, at most %d", ErrLimit, convID, n, b.cfg.MaxMessages)
	}
	lang := replyLang(firstNonEmpty(m.Lang, conv.Lang))
	t := &turn{conv: conv, lang: lang}
	t.conv.Rated = messageID
	if helped {
		t.visitor = corpus.Message{Role: corpus.RoleVisitor, Lang: lang, Text: say(lang, txtFeedbackHelped)}
		t.conv.Misses = 0
		t.reply(corpus.Message{Text: say(lang, txtHelped)})
	} else {
		t.visitor = corpus.Message{Role: corpus.RoleVisitor, Lang: lang, Text: say(lang, txtFeedbackNotHelped)}
		b.notHelped(t)
	}
	return b.commit(ctx, t)
}

// AgentReply stores a staff reply in the escalation's conversation and
// marks the escalation answered (claiming it for staff if it was open).
// It fails with ErrInvalid for an empty or oversized text,
// corpus.ErrConflict when someone else holds the escalation or it is
// closed, and corpus.ErrNotFound for an unknown id.
func (b *Bot) AgentReply(ctx context.Context, escalationID, staff, text string) (corpus.Message, error) {
	text, err := b.cleanText(text)
	if err != nil {
		return corpus.Message{}, err
	}
	if text == "" {
		return corpus.Message{}, fmt.Errorf("%w: reply is empty", ErrInvalid)
	}
	if strings.TrimSpace(staff) == "" {
		return corpus.Message{}, fmt.Errorf("%w: reply without staff name", ErrInvalid)
	}
	e, err := b.st.Escalation(ctx, escalationID)
	if err != nil {
		return corpus.Message{}, err
	}
	defer b.lock(e.ConversationID)()
	e, m, err := b.st.AnswerEscalation(ctx, escalationID, staff, corpus.Message{Lang: e.Lang, Text: text})
	if err != nil {
		return corpus.Message{}, err
	}
	if b.cfg.OnAgentReply != nil {
		b.cfg.OnAgentReply(ctx, e, m)
	}
	return m, nil
}
