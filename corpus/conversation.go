package corpus

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Role says who wrote a chat message.
type Role string

const (
	RoleVisitor Role = "visitor"
	RoleBot     Role = "bot"
	RoleAgent   Role = "agent"
	RoleSystem  Role = "system"
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	switch r {
	case RoleVisitor, RoleBot, RoleAgent, RoleSystem:
		return true
	}
	return false
}

// Decision is what the bot did with a visitor's question. Small talk and
// other replies carry no decision ("").
type Decision string

const (
	DecisionNone     Decision = ""
	DecisionAnswer   Decision = "answer"
	DecisionClarify  Decision = "clarify"
	DecisionEscalate Decision = "escalate"
)

// Actions a bot message may offer the visitor's UI.
const (
	ActionFeedback = "feedback" // "did this help?" yes/no
	ActionHandoff  = "handoff"  // "talk to a person"
	ActionContact  = "contact"  // a field for an optional e-mail or phone
)

// Source is a document an answer was taken from.
type Source struct {
	DocID string `json:"doc_id"`
	Title string `json:"title"`
	URL   string `json:"url,omitempty"`
	// Field is the document field the answer's passage came from
	// ("answer", "accepted_post", ...).
	Field string `json:"field,omitempty"`
}

// Choice is a candidate document offered to the visitor (clarify) or
// shown to staff with an escalation.
type Choice struct {
	DocID string  `json:"doc_id"`
	Title string  `json:"title"`
	Score float64 `json:"score"`
}

// Message is one turn of a conversation. Text is plain text, never HTML:
// whoever renders it escapes it.
type Message struct {
	// ID is global and increasing (never reused, even after a delete), so
	// it doubles as the event id of a live stream: "everything after N".
	ID             int64     `json:"id"`
	ConversationID string    `json:"conversation_id"`
	Role           Role      `json:"role"`
	Text           string    `json:"text"`
	Lang           string    `json:"lang,omitempty"`
	Decision       Decision  `json:"decision,omitempty"`
	Score          float64   `json:"score,omitempty"` // final fused score of the top hit
	Sources        []Source  `json:"sources,omitempty"`
	Choices        []Choice  `json:"choices,omitempty"`
	Actions        []string  `json:"actions,omitempty"`
	Author         string    `json:"author,omitempty"` // staff name on agent messages
	Created        time.Time `json:"created"`
}

// ConversationStatus is a conversation's place in its life.
type ConversationStatus string

const (
	ConversationOpen      ConversationStatus = "open"
	ConversationEscalated ConversationStatus = "escalated"
	ConversationClosed    ConversationStatus = "closed"
)

// Valid reports whether s is one of the known statuses.
func (s ConversationStatus) Valid() bool {
	switch s {
	case ConversationOpen, ConversationEscalated, ConversationClosed:
		return true
	}
	return false
}

// Pending says what the bot waits for from the visitor, so the next turn
// is read in context even after a restart.
type Pending string

const (
	PendingNone    Pending = ""
	PendingChoice  Pending = "choice"  // the last bot message offered choices
	PendingContact Pending = "contact" // the bot asked for an optional contact
	PendingHandoff Pending = "handoff" // the bot offered a person; "ja"/"yes" accepts
)

// Conversation is one chat between a visitor and sofort. Its messages are
// stored separately (Store.Messages).
type Conversation struct {
	// ID is random and unguessable (128 bits, URL-safe): it is the
	// visitor's only credential for the conversation.
	ID      string             `json:"id"`
	Lang    string             `json:"lang"`
	Status  ConversationStatus `json:"status"`
	Contact string             `json:"contact,omitempty"` // e-mail or phone given for the handoff
	// Topic is the document the conversation is about (the last answer),
	// carried into follow-up questions.
	Topic string `json:"topic,omitempty"`
	// Misses counts answers in a row the visitor said did not help.
	Misses  int     `json:"misses"`
	Pending Pending `json:"pending,omitempty"`
	// Rated is the highest message id the visitor gave feedback on, so a
	// double click on "did not help" counts once.
	Rated   int64     `json:"rated,omitempty"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// EscalationStatus is an escalation's place in the staff inbox.
type EscalationStatus string

const (
	EscalationOpen     EscalationStatus = "open"
	EscalationClaimed  EscalationStatus = "claimed"
	EscalationAnswered EscalationStatus = "answered"
	EscalationClosed   EscalationStatus = "closed"
)

// Valid reports whether s is one of the known statuses.
func (s EscalationStatus) Valid() bool {
	switch s {
	case EscalationOpen, EscalationClaimed, EscalationAnswered, EscalationClosed:
		return true
	}
	return false
}

// Reasons for an escalation.
const (
	ReasonNoMatch        = "no_match"
	ReasonAskedForPerson = "asked_for_person"
	ReasonNotHelped      = "not_helped"
)

// Escalation is a conversation handed to a person. The transcript is the
// conversation's messages (Store.Messages), so it is always complete,
// including what was said after the handoff.
type Escalation struct {
	ID             string           `json:"id"`
	ConversationID string           `json:"conversation_id"`
	Lang           string           `json:"lang"`
	Status         EscalationStatus `json:"status"`
	Reason         string           `json:"reason"`
	Candidates     []Choice         `json:"candidates,omitempty"`
	Contact        string           `json:"contact,omitempty"`
	ClaimedBy      string           `json:"claimed_by,omitempty"`
	Created        time.Time        `json:"created"`
	Updated        time.Time        `json:"updated"`
}

// Limits the store enforces on chat records whatever the caller checked:
// the last line of defence against a record that would bloat the store.
const (
	MaxMessageText  = 64 << 10 // bytes of one message's text
	MaxContactBytes = 320      // an e-mail address is at most 254 bytes
	MaxListItems    = 20       // sources, choices, candidates, actions per record
	MaxNameBytes    = 200      // author, claimed-by, reason
)

// ErrConflict is returned when a record changed under the caller: an
// escalation claimed by someone else, or a transition its status forbids.
var ErrConflict = errors.New("conflict")

// ErrInvalidRecord is wrapped by validation errors of chat records
// (conversations, messages, escalations).
var ErrInvalidRecord = errors.New("invalid record")

// NewID returns a random, URL-safe id with 128 bits of entropy.
func NewID() string {
	var b [16]byte
	// crypto/rand.Read never fails on supported platforms (Go 1.24+
	// panics instead of returning an error).
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func badRecord(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidRecord, fmt.Sprintf(format, args...))
}

func (m *Message) validate() error {
	switch {
	case !m.Role.Valid():
		return badRecord("message role %q (want visitor, bot, agent or system)", m.Role)
	case len(m.Text) > MaxMessageText:
		return badRecord("message text is %d bytes, at most %d", len(m.Text), MaxMessageText)
	case !utf8.ValidString(m.Text):
		return badRecord("message text is not valid UTF-8")
	case m.Lang != "" && !validLang(m.Lang):
		return badRecord("message lang %q is not a two-letter language code", m.Lang)
	case len(m.Sources) > MaxListItems || len(m.Choices) > MaxListItems || len(m.Actions) > MaxListItems:
		return badRecord("message has more than %d sources, choices or actions", MaxListItems)
	case len(m.Author) > MaxNameBytes:
		return badRecord("message author is %d bytes, at most %d", len(m.Author), MaxNameBytes)
	}
	switch m.Decision {
	case DecisionNone, DecisionAnswer, DecisionClarify, DecisionEscalate:
	default:
		return badRecord("message decision %q (want answer, clarify, escalate or none)", m.Decision)
	}
	return nil
}

func (c *Conversation) validate() error {
	switch {
	case c.Lang != "" && !validLang(c.Lang):
		return badRecord("conversation lang %q is not a two-letter language code", c.Lang)
	case !c.Status.Valid():
		return badRecord("conversation status %q (want open, escalated or closed)", c.Status)
	case len(c.Contact) > MaxContactBytes:
		return badRecord("contact is %d bytes, at most %d", len(c.Contact), MaxContactBytes)
	case strings.ContainsAny(c.Contact, "\x00\r\n"):
		return badRecord("contact contains control characters")
	case len(c.Topic) > MaxIDLen:
		return badRecord("topic id longer than %d bytes", MaxIDLen)
	case c.Misses < 0:
		return badRecord("negative misses %d", c.Misses)
	}
	switch c.Pending {
	case PendingNone, PendingChoice, PendingContact, PendingHandoff:
	default:
		return badRecord("conversation pending %q", c.Pending)
	}
	return nil
}

func (e *Escalation) validate() error {
	switch {
	case e.ConversationID == "":
		return badRecord("escalation without conversation")
	case e.Lang != "" && !validLang(e.Lang):
		return badRecord("escalation lang %q is not a two-letter language code", e.Lang)
	case !e.Status.Valid():
		return badRecord("escalation status %q (want open, claimed, answered or closed)", e.Status)
	case len(e.Reason) > MaxNameBytes || len(e.ClaimedBy) > MaxNameBytes:
		return badRecord("escalation reason or claimant longer than %d bytes", MaxNameBytes)
	case len(e.Contact) > MaxContactBytes:
		return badRecord("contact is %d bytes, at most %d", len(e.Contact), MaxContactBytes)
	case len(e.Candidates) > MaxListItems:
		return badRecord("escalation has %d candidates, at most %d", len(e.Candidates), MaxListItems)
	}
	return nil
}
