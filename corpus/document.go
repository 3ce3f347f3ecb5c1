// Package corpus holds sofort's domain types (documents, posts, import
// reports), the SQLite store of record and the importers that fill it.
// It imports nothing else from the project: every other package points
// inward to it.
package corpus

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind says what shape a document has.
type Kind string

const (
	KindFAQ     Kind = "faq"
	KindThread  Kind = "thread"
	KindArticle Kind = "article"
)

// Valid reports whether k is one of the known kinds.
func (k Kind) Valid() bool {
	switch k {
	case KindFAQ, KindThread, KindArticle:
		return true
	}
	return false
}

// Status is a document's place in its editorial life. Only published
// documents are indexed; retired ones are kept so staff can bring them back.
type Status string

const (
	StatusDraft     Status = "draft"
	StatusPublished Status = "published"
	StatusRetired   Status = "retired"
)

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusDraft, StatusPublished, StatusRetired:
		return true
	}
	return false
}

// Post is one contribution to a community thread.
type Post struct {
	Author   string    `json:"author,omitempty"`
	Body     string    `json:"body"`
	Accepted bool      `json:"accepted,omitempty"`
	Votes    int       `json:"votes,omitempty"`
	Created  time.Time `json:"created,omitempty"`
}

// Document is one unit of knowledge: an FAQ entry, a community thread or an
// article. The store of record holds documents; indexes are derived from
// them.
type Document struct {
	ID           string    `json:"id"`
	Kind         Kind      `json:"kind"`
	Lang         string    `json:"lang,omitempty"`
	Title        string    `json:"title,omitempty"`
	Question     string    `json:"question,omitempty"`
	Answer       string    `json:"answer,omitempty"`
	Body         string    `json:"body,omitempty"`
	AltQuestions []string  `json:"alt_questions,omitempty"`
	Posts        []Post    `json:"posts,omitempty"`
	URL          string    `json:"url,omitempty"`
	Source       string    `json:"source,omitempty"`
	Tags         []string  `json:"tags,omitempty"`
	Status       Status    `json:"status,omitempty"`
	Created      time.Time `json:"created,omitempty"`
	Updated      time.Time `json:"updated,omitempty"`
	// Hash is the hex SHA-256 of the document's content (see ContentHash).
	// The store sets it; an unchanged hash means nothing to re-index.
	Hash string `json:"hash,omitempty"`
}

// Limits on what a single document may hold. They keep one hostile or
// broken record from exhausting memory or the index.
const (
	MaxIDLen       = 200
	MaxFieldBytes  = 1 << 20 // one text field
	MaxAltQuestion = 1000
	MaxPosts       = 5000
)

// ErrInvalid is wrapped by every validation error, so callers can tell a bad
// record from a failing store.
var ErrInvalid = errors.New("invalid document")

// ErrNotFound is wrapped by the store's errors when a document id (or a
// metadata key) is not in the store; the wrapping message names which.
var ErrNotFound = errors.New("not found")

// Normalize fills defaults (status published, trimmed fields) in place. It
// does not detect the language: that needs the index's analysis.
func (d *Document) Normalize() {
	d.ID = strings.TrimSpace(d.ID)
	d.Kind = Kind(strings.ToLower(strings.TrimSpace(string(d.Kind))))
	d.Lang = strings.ToLower(strings.TrimSpace(d.Lang))
	d.Title = strings.TrimSpace(d.Title)
	d.Question = strings.TrimSpace(d.Question)
	d.Answer = strings.TrimSpace(d.Answer)
	d.Body = strings.TrimSpace(d.Body)
	d.URL = strings.TrimSpace(d.URL)
	d.Source = strings.TrimSpace(d.Source)
	if d.Status == "" {
		d.Status = StatusPublished
	}
	d.Status = Status(strings.ToLower(string(d.Status)))
	alts := d.AltQuestions[:0]
	for _, a := range d.AltQuestions {
		if a = strings.TrimSpace(a); a != "" {
			alts = append(alts, a)
		}
	}
	d.AltQuestions = alts
	tags := d.Tags[:0]
	for _, t := range d.Tags {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	d.Tags = tags
}

// Validate reports the first problem that makes d unfit for the store. The
// error wraps ErrInvalid and names the field at fault.
func (d *Document) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	switch {
	case d.ID == "":
		return bad("missing id")
	case len(d.ID) > MaxIDLen:
		return bad("id longer than %d bytes", MaxIDLen)
	case strings.ContainsAny(d.ID, "\x00\n\r\t"):
		return bad("id %q contains control characters", d.ID)
	case d.Kind == "":
		return bad("id %s: missing kind (want faq, thread or article)", d.ID)
	case !d.Kind.Valid():
		return bad("id %s: unknown kind %q (want faq, thread or article)", d.ID, d.Kind)
	case !d.Status.Valid():
		return bad("id %s: unknown status %q (want draft, published or retired)", d.ID, d.Status)
	case d.Lang != "" && !validLang(d.Lang):
		return bad("id %s: lang %q is not a two-letter language code", d.ID, d.Lang)
	case len(d.AltQuestions) > MaxAltQuestion:
		return bad("id %s: %d alt_questions, at most %d", d.ID, len(d.AltQuestions), MaxAltQuestion)
	case len(d.Posts) > MaxPosts:
		return bad("id %s: %d posts, at most %d", d.ID, len(d.Posts), MaxPosts)
	}
	for name, v := range map[string]string{"title": d.Title, "question": d.Question, "answer": d.Answer, "body": d.Body} {
		if len(v) > MaxFieldBytes {
			return bad("id %s: field %s is %d bytes, at most %d", d.ID, name, len(v), MaxFieldBytes)
		}
	}
	if strings.TrimSpace(d.Text()) == "" {
		return bad("id %s: no text (title, question, answer, body, alt_questions or posts)", d.ID)
	}
	return nil
}

func validLang(l string) bool {
	if len(l) != 2 {
		return false
	}
	return l[0] >= 'a' && l[0] <= 'z' && l[1] >= 'a' && l[1] <= 'z'
}

// Text returns all of the document's searchable text, joined by newlines.
// Language detection and hashing use it.
func (d *Document) Text() string {
	var b strings.Builder
	add := func(s string) {
		if s == "" {
			return
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(s)
	}
	add(d.Title)
	add(d.Question)
	for _, a := range d.AltQuestions {
		add(a)
	}
	add(d.Answer)
	add(d.Body)
	for _, p := range d.Posts {
		add(p.Body)
	}
	return b.String()
}

// AcceptedPost returns the thread's accepted post, or nil if there is none.
func (d *Document) AcceptedPost() *Post {
	for i := range d.Posts {
		if d.Posts[i].Accepted {
			return &d.Posts[i]
		}
	}
	return nil
}

// ContentHash returns the hex SHA-256 over everything that affects indexing
// and display (not the timestamps or the hash itself), so re-importing an
// unchanged record is recognised as such.
func (d *Document) ContentHash() string {
	c := *d
	c.Hash = ""
	c.Created = time.Time{}
	c.Updated = time.Time{}
	b, err := json.Marshal(c)
	if err != nil {
		// A Document holds only strings, ints, bools and times: Marshal
		// cannot fail on it.
		panic(fmt.Sprintf("corpus: hash document %s: %v", d.ID, err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ImportReport counts what one import did.
type ImportReport struct {
	Added     int
	Updated   int
	Unchanged int
	Rejected  int
	// Errors lists each rejected record with its position ("file:line:
	// reason"). It is capped; Rejected always holds the full count.
	Errors []string
}

// MaxReportedErrors caps ImportReport.Errors so an import of a huge broken
// file does not hold every message in memory.
const MaxReportedErrors = 1000

// Reject records a rejected record.
func (r *ImportReport) Reject(msg string) {
	r.Rejected++
	if len(r.Errors) < MaxReportedErrors {
		r.Errors = append(r.Errors, msg)
	}
}

// Add folds o into r.
func (r *ImportReport) Add(o ImportReport) {
	r.Added += o.Added
	r.Updated += o.Updated
	r.Unchanged += o.Unchanged
	r.Rejected += o.Rejected
	for _, e := range o.Errors {
		if len(r.Errors) >= MaxReportedErrors {
			break
		}
		r.Errors = append(r.Errors, e)
	}
}

func (r ImportReport) String() string {
	return fmt.Sprintf("added %d, updated %d, unchanged %d, rejected %d", r.Added, r.Updated, r.Unchanged, r.Rejected)
}
