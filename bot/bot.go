// Package bot is sofort's conversation engine: for each visitor message it
// detects the language, handles small talk, retrieves with the hybrid
// index and decides to answer, to ask back (clarify) or to escalate to a
// person. Conversations, messages and escalations live in the store of
// record, so a restart loses nothing; the bot itself keeps no state
// between calls beyond per-conversation locks.
package bot

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"unicode"

	"github.com/sofort-chat/sofort/corpus"
	"github.com/sofort-chat/sofort/index"
	"github.com/sofort-chat/sofort/internal/langdetect"
)

// ErrInvalid is wrapped by errors about the visitor's input (too long, an
// unknown choice, feedback on a message that is no answer). Web maps it to
// 400/422.
var ErrInvalid = errors.New("invalid input")

// ErrLimit is wrapped when a conversation holds its maximum of messages.
// Web maps it to 429 (the visitor should start a new conversation).
var ErrLimit = errors.New("conversation limit reached")

// Searcher is what the bot needs from the index.
type Searcher interface {
	Search(ctx context.Context, q index.Query) ([]index.Hit, error)
}

// Handoff is the place for other ways out than a human agent. A later
// issue adds the community (posting the question as a thread); the bot
// calls every configured Handoff after it created an escalation.
type Handoff interface {
	Name() string
	Escalated(ctx context.Context, e corpus.Escalation, transcript []corpus.Message) error
}

// Config holds the decision thresholds and limits. Thresholds apply to the
// final fused score of index hits (index.Hit.Score), never to one of its
// components. Which of the two sets applies is decided by the top hit's
// document: FAQ-style (few phrasings) or intent-style (many).
type Config struct {
	// AnswerThreshold: answer when the top hit's score is at least this
	// and leads the runner-up by at least Margin.
	AnswerThreshold float64
	// ClarifyThreshold: a top score below AnswerThreshold but at least
	// this, or a top score that does not lead by Margin, offers the close
	// candidates as choices. Below it nothing fits: offer a person.
	ClarifyThreshold float64
	// Margin: the lead over the second hit an answer needs; the hits
	// within Margin of the top are the choices offered instead.
	Margin float64

	// The same three for a top document with at least IntentPhrasings
	// phrasings (question plus alternative questions): an intent-style
	// document whose fused score carries a confident phrase model and
	// runs much higher than an FAQ entry's (see docs/bot.md). One
	// threshold set cannot serve both kinds of document.
	IntentAnswerThreshold  float64
	IntentClarifyThreshold float64
	IntentMargin           float64
	IntentPhrasings        int

	MaxChoices      int // candidates offered when asking back (2-3)
	MaxMisses       int // unhelpful answers in a row before offering a person
	MaxMessageBytes int // longer visitor text fails with ErrInvalid
	MaxMessages     int // messages per conversation; a visitor turn beyond fails with ErrLimit
	// MaxAnswerBytes shortens long answers at a sentence end; the source
	// link has the rest.
	MaxAnswerBytes int

	// OnEscalate is called after an escalation was stored, with the full
	// transcript (web: webhook). Nil: none.
	OnEscalate func(ctx context.Context, e corpus.Escalation, transcript []corpus.Message)
	// OnAgentReply is called after a staff reply was stored (web:
	// webhook; web publishes the message to live streams itself).
	OnAgentReply func(ctx context.Context, e corpus.Escalation, m corpus.Message)
	// Handoffs are further handoff targets (the community, later).
	Handoffs []Handoff
}

// DefaultConfig returns the thresholds calibrated on the dev suites (see
// docs/bot.md) and conservative limits.
func DefaultConfig() Config {
	return Config{
		AnswerThreshold:        0.1,
		ClarifyThreshold:       0.03,
		Margin:                 0.08,
		IntentAnswerThreshold:  0.045,
		IntentClarifyThreshold: 0.01,
		IntentMargin:           0,
		IntentPhrasings:        10,
		MaxChoices:             3,
		MaxMisses:              2,
		MaxMessageBytes:        4000,
		MaxMessages:            500,
		MaxAnswerBytes:         1500,
	}
}

// Validate reports a setting that cannot work.
func (c Config) Validate() error {
	bad := func(f string, a ...any) error { return fmt.Errorf("bot config: "+f, a...) }
	for _, t := range []struct {
		name string
		v    float64
	}{{"answer threshold", c.AnswerThreshold}, {"clarify threshold", c.ClarifyThreshold}, {"margin", c.Margin},
		{"intent answer threshold", c.IntentAnswerThreshold}, {"intent clarify threshold", c.IntentClarifyThreshold}, {"intent margin", c.IntentMargin}} {
		if !(t.v >= 0 && t.v <= 1) {
			return bad("%s %v outside [0,1]", t.name, t.v)
		}
	}
	switch {
	case c.ClarifyThreshold > c.AnswerThreshold:
		return bad("clarify threshold %v above answer threshold %v", c.ClarifyThreshold, c.AnswerThreshold)
	case c.IntentClarifyThreshold > c.IntentAnswerThreshold:
		return bad("intent clarify threshold %v above intent answer threshold %v", c.IntentClarifyThreshold, c.IntentAnswerThreshold)
	case c.IntentPhrasings < 2:
		return bad("intent phrasings %d below 2", c.IntentPhrasings)
	case c.MaxChoices < 1 || c.MaxChoices > corpus.MaxListItems:
		return bad("max choices %d outside 1..%d", c.MaxChoices, corpus.MaxListItems)
	case c.MaxMisses < 1:
		return bad("max misses %d below 1", c.MaxMisses)
	case c.MaxMessageBytes < 1 || c.MaxMessageBytes > corpus.MaxMessageText:
		return bad("max message bytes %d outside 1..%d", c.MaxMessageBytes, corpus.MaxMessageText)
	case c.MaxMessages < 4:
		return bad("max messages %d below 4", c.MaxMessages)
	}
	return nil
}

// Bot runs conversations. It is safe for concurrent use; turns of one
// conversation are serialized.
type Bot struct {
	st    *corpus.Store
	idx   Searcher
	cfg   Config
	log   *slog.Logger
	locks [64]sync.Mutex
}

// New returns a bot over the store and index. Zero-valued settings in cfg
// take DefaultConfig's values, so a Config with only the hooks set works.
func New(st *corpus.Store, idx *index.Index, cfg Config, log *slog.Logger) *Bot {
	return NewWithSearcher(st, idx, cfg, log)
}

// NewWithSearcher is New with any Searcher (tests, evaluation).
func NewWithSearcher(st *corpus.Store, idx Searcher, cfg Config, log *slog.Logger) *Bot {
	d := DefaultConfig()
	if cfg.AnswerThreshold == 0 && cfg.ClarifyThreshold == 0 {
		cfg.AnswerThreshold, cfg.ClarifyThreshold, cfg.Margin = d.AnswerThreshold, d.ClarifyThreshold, d.Margin
	}
	if cfg.IntentAnswerThreshold == 0 && cfg.IntentClarifyThreshold == 0 {
		cfg.IntentAnswerThreshold, cfg.IntentClarifyThreshold, cfg.IntentMargin = d.IntentAnswerThreshold, d.IntentClarifyThreshold, d.IntentMargin
	}
	if cfg.IntentPhrasings == 0 {
		cfg.IntentPhrasings = d.IntentPhrasings
	}
	if cfg.MaxChoices == 0 {
		cfg.MaxChoices = d.MaxChoices
	}
	if cfg.MaxMisses == 0 {
		cfg.MaxMisses = d.MaxMisses
	}
	if cfg.MaxMessageBytes == 0 {
		cfg.MaxMessageBytes = d.MaxMessageBytes
	}
	if cfg.MaxMessages == 0 {
		cfg.MaxMessages = d.MaxMessages
	}
	if cfg.MaxAnswerBytes == 0 {
		cfg.MaxAnswerBytes = d.MaxAnswerBytes
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Bot{st: st, idx: idx, cfg: cfg, log: log}
}

// Config returns the settings in use (defaults filled in).
func (b *Bot) Config() Config { return b.cfg }

func (b *Bot) lock(convID string) func() {
	h := fnv.New32a()
	h.Write([]byte(convID))
	m := &b.locks[h.Sum32()%uint32(len(b.locks))]
	m.Lock()
	return m.Unlock
}

// replyLang maps any language to one the bot speaks.
func replyLang(l string) string {
	if l == "de" {
		return "de"
	}
	return "en"
}

// normLang returns "de" or "en" for a hint, "" for anything else.
func normLang(l string) string {
	l = strings.ToLower(strings.TrimSpace(l))
	if i := strings.IndexAny(l, "-_"); i > 0 {
		l = l[:i] // de-DE, en_GB
	}
	if l == "de" || l == "en" {
		return l
	}
	return ""
}

// detectLang decides the language of a visitor message: the text's own
// language when the detector is sure, else the fallback (the
// conversation's language or the UI hint). One or two words need more
// certainty ("ok", "eSIM" and "router" are no evidence), markup and
// contact details are no evidence at all.
func detectLang(text, fallback string) string {
	if parseContact(text) != "" {
		return firstNonEmpty(fallback, "en")
	}
	clean := markup.ReplaceAllString(text, " ")
	if ws := words(clean); len(ws) <= 4 {
		// Chat phrases the detector's profiles miss ("Vielen Dank" reads
		// as Dutch to it) are settled by the bot's own small-talk words.
		if l := smallTalkLang(ws); l != "" {
			return l
		}
	}
	l, conf := langdetect.Detect(clean)
	need := 0.8
	if words := len(strings.FieldsFunc(clean, func(r rune) bool { return !unicode.IsLetter(r) })); words < 3 {
		need = 0.95
	}
	if conf >= need && (l == "de" || l == "en") {
		return l
	}
	if fallback != "" {
		return fallback
	}
	if l == "de" && conf >= 0.5 {
		return "de"
	}
	return "en"
}

var markup = regexp.MustCompile(`<[^>]*>`)

// Decision is the outcome of one retrieval turn.
type Decision struct {
	Kind corpus.Decision
	// Score is the top hit's final fused score (0 without hits).
	Score float64
	// Hits are the retrieved candidates, best first; for a clarify the
	// first Choices of them are offered. They are bare (index.Query.Bare):
	// no snippets, highlights or matched fields.
	Hits []index.Hit
	// Choices is how many of Hits a clarify offers.
	Choices int
	Lang    string
}

// Decide retrieves for text and decides, without a conversation: one
// stateless turn (evaluation uses it for the retrieval part). lang is a
// hint; the text's detected language wins when the detector is sure.
func (b *Bot) Decide(ctx context.Context, text, lang string) (Decision, error) {
	lang = detectLang(text, normLang(lang))
	return b.decide(ctx, text, lang)
}

func (b *Bot) decide(ctx context.Context, text, lang string) (Decision, error) {
	d := Decision{Kind: corpus.DecisionEscalate, Lang: lang}
	k := max(b.cfg.MaxChoices, 5)
	// Bare: the bot shows a document's answer (answerPassage) and titles,
	// never the index's snippets or matched fields, which would cost a
	// third of the turn.
	hits, err := b.idx.Search(ctx, index.Query{Text: text, Lang: lang, Mode: index.ModeHybrid, K: k, Bare: true})
	if err == nil && len(hits) == 0 {
		// No document in the visitor's language: any language beats
		// nothing (a bilingual visitor reads the other one).
		hits, err = b.idx.Search(ctx, index.Query{Text: text, Mode: index.ModeHybrid, K: k, Bare: true})
	}
	if errors.Is(err, index.ErrEmptyQuery) {
		return d, nil
	}
	if err != nil {
		return d, fmt.Errorf("retrieve: %w", err)
	}
	d.Hits = hits
	if len(hits) == 0 {
		return d, nil
	}
	top := hits[0].Score
	d.Score = top
	answerT, clarifyT, margin := b.thresholds(&hits[0].Doc)
	second := 0.0
	if len(hits) > 1 {
		second = hits[1].Score
	}
	switch {
	case top >= answerT && top-second >= margin:
		d.Kind = corpus.DecisionAnswer
	case top >= clarifyT:
		d.Kind = corpus.DecisionClarify
		// Offer the top and whatever is close to it: within the margin
		// when the top is confident, else everything above the clarify
		// threshold.
		floor := clarifyT
		if top >= answerT {
			floor = max(clarifyT, top-margin)
		}
		n := 1
		for n < len(hits) && n < b.cfg.MaxChoices && hits[n].Score >= floor {
			n++
		}
		d.Choices = n
	}
	b.log.Debug("decision", "kind", d.Kind, "score", d.Score, "top", hits[0].DocID, "second", second,
		"answer_threshold", answerT, "clarify_threshold", clarifyT, "margin", margin, "lang", lang)
	return d, nil
}

// thresholds returns the answer and clarify thresholds and the margin for
// a top document.
func (b *Bot) thresholds(doc *corpus.Document) (answer, clarify, margin float64) {
	n := len(doc.AltQuestions)
	if doc.Question != "" || doc.Title != "" {
		n++
	}
	if n >= b.cfg.IntentPhrasings {
		return b.cfg.IntentAnswerThreshold, b.cfg.IntentClarifyThreshold, b.cfg.IntentMargin
	}
	return b.cfg.AnswerThreshold, b.cfg.ClarifyThreshold, b.cfg.Margin
}
