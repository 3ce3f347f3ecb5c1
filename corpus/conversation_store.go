package corpus

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// The chat tables (conversations, messages, escalations) are created by
// migration step 2 in migrate.go.

const convColumns = `id, lang, status, contact, topic, misses, pending, rated, created, updated`

// stmtCache holds the chat's statements, each prepared once per store:
// SQLite parses a statement's text again on every plain call, which was
// about a tenth of a chat turn's CPU (a turn runs five to eight of them).
// database/sql prepares a cached statement on each pooled connection the
// first time it runs there and reuses it after; a transaction uses the
// one of its connection (Tx.StmtContext).
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// prepared returns the store's prepared statement for query.
func (s *Store) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	c := &s.stmts
	c.mu.Lock()
	st := c.m[query]
	c.mu.Unlock()
	if st != nil {
		return st, nil
	}
	// Prepare outside the lock: it waits for a connection.
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev := c.m[query]; prev != nil {
		st.Close() // another call prepared it meanwhile
		return prev, nil
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = st
	return st, nil
}

// stmtIn returns the prepared statement for query, bound to tx when tx is
// not nil.
func (s *Store) stmtIn(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	st, err := s.prepared(ctx, query)
	if err != nil || tx == nil {
		return st, err
	}
	return tx.StmtContext(ctx, st), nil
}

// execIn runs a statement (prepared once) in tx, or outside a transaction
// when tx is nil.
func (s *Store) execIn(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	st, err := s.stmtIn(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// queryRowIn is execIn for a query of one row. A failed prepare shows as
// the row's error.
func (s *Store) queryRowIn(ctx context.Context, tx *sql.Tx, query string, args ...any) scanner {
	st, err := s.stmtIn(ctx, tx, query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// CreateConversation stores a new conversation. An empty ID gets a random
// one (NewID), an empty status "open"; Created and Updated are set to now.
// It returns the stored conversation, or an error wrapping ErrInvalidRecord
// for a bad field or ErrConflict for an id already taken.
func (s *Store) CreateConversation(ctx context.Context, c Conversation) (Conversation, error) {
	if c.ID == "" {
		c.ID = NewID()
	}
	if c.Status == "" {
		c.Status = ConversationOpen
	}
	if len(c.ID) > MaxIDLen {
		return Conversation{}, fmt.Errorf("create conversation: %w", badRecord("id longer than %d bytes", MaxIDLen))
	}
	if err := c.validate(); err != nil {
		return Conversation{}, fmt.Errorf("create conversation: %w", err)
	}
	now := time.Now().UTC()
	c.Created, c.Updated = now, now
	_, err := s.db.ExecContext(ctx, `INSERT INTO conversations (`+convColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Lang, string(c.Status), c.Contact, c.Topic, c.Misses, string(c.Pending), c.Rated, formatTime(c.Created), formatTime(c.Updated))
	if err != nil {
		if isUniqueViolation(err) {
			return Conversation{}, fmt.Errorf("create conversation %q: %w: id taken", c.ID, ErrConflict)
		}
		return Conversation{}, fmt.Errorf("create conversation: %w", err)
	}
	return c, nil
}

// Conversation returns the conversation with the given id, or an error
// wrapping ErrNotFound.
func (s *Store) Conversation(ctx context.Context, id string) (Conversation, error) {
	c, err := scanConversation(s.queryRowIn(ctx, nil, `SELECT `+convColumns+` FROM conversations WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Conversation{}, fmt.Errorf("conversation %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Conversation{}, fmt.Errorf("get conversation %q: %w", id, err)
	}
	return c, nil
}

// UpdateConversation stores c's mutable fields (lang, status, contact,
// topic, misses, pending, rated) and sets Updated to now. It fails with
// ErrNotFound for an unknown id and ErrInvalidRecord for a bad field.
func (s *Store) UpdateConversation(ctx context.Context, c Conversation) error {
	if err := c.validate(); err != nil {
		return fmt.Errorf("update conversation %q: %w", c.ID, err)
	}
	return s.updateConversation(ctx, nil, c, time.Now().UTC())
}

// updateConversation stores c's mutable fields with Updated = now, in tx
// (nil: outside a transaction).
func (s *Store) updateConversation(ctx context.Context, tx *sql.Tx, c Conversation, now time.Time) error {
	res, err := s.execIn(ctx, tx, `UPDATE conversations SET lang = ?, status = ?, contact = ?, topic = ?, misses = ?, pending = ?, rated = ?, updated = ? WHERE id = ?`,
		c.Lang, string(c.Status), c.Contact, c.Topic, c.Misses, string(c.Pending), c.Rated, formatTime(now), c.ID)
	if err != nil {
		return fmt.Errorf("update conversation %q: %w", c.ID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("update conversation: conversation %q: %w", c.ID, ErrNotFound)
	}
	return nil
}

// Turn is everything one conversation turn changes. SaveTurn writes it in
// one transaction, so a crash never leaves a reply that promised a handoff
// without its escalation, or messages without the state they imply.
type Turn struct {
	// Conversation is the conversation's state after the turn.
	Conversation Conversation
	Messages     []Message
	// Contact, when set, is recorded on the conversation's newest
	// escalation that is not closed.
	Contact *string
	// Escalation, when set, is created (see CreateEscalation).
	Escalation *Escalation
}

// SaveTurn stores a turn atomically and returns the stored messages and
// escalation (nil if none). Errors are those of AppendMessages,
// UpdateConversation and CreateEscalation; on any error nothing is stored.
func (s *Store) SaveTurn(ctx context.Context, t Turn) ([]Message, *Escalation, error) {
	c := t.Conversation
	if err := c.validate(); err != nil {
		return nil, nil, fmt.Errorf("save turn of %q: %w", c.ID, err)
	}
	var esc *Escalation
	if t.Escalation != nil {
		e := *t.Escalation
		e.ConversationID = c.ID
		if e.ID == "" {
			e.ID = NewID()
		}
		if e.Status == "" {
			e.Status = EscalationOpen
		}
		if err := e.validate(); err != nil {
			return nil, nil, fmt.Errorf("save turn of %q: %w", c.ID, err)
		}
		esc = &e
	}
	if t.Contact != nil && (len(*t.Contact) > MaxContactBytes || strings.ContainsAny(*t.Contact, "\x00\r\n")) {
		return nil, nil, fmt.Errorf("save turn of %q: %w", c.ID, badRecord("contact must be one line of at most %d bytes", MaxContactBytes))
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("save turn of %q: begin: %w", c.ID, err)
	}
	defer tx.Rollback()
	if esc != nil {
		c.Status = ConversationEscalated
	}
	// The conversation's update comes first: it finds an unknown
	// conversation (ErrNotFound) and sets Updated, so the messages need
	// neither a look-up nor a touch of their own.
	now := time.Now().UTC()
	if err := s.updateConversation(ctx, tx, c, now); err != nil {
		return nil, nil, err
	}
	msgs, err := s.insertMessages(ctx, tx, c.ID, t.Messages, now)
	if err != nil {
		return nil, nil, err
	}
	if t.Contact != nil {
		if _, err := tx.ExecContext(ctx, `UPDATE escalations SET contact = ?, updated = ? WHERE rowid = (
			SELECT rowid FROM escalations WHERE conversation_id = ? AND status != ? ORDER BY created DESC, rowid DESC LIMIT 1)`,
			*t.Contact, formatTime(now), c.ID, string(EscalationClosed)); err != nil {
			return nil, nil, fmt.Errorf("save turn of %q: contact: %w", c.ID, err)
		}
	}
	if esc != nil {
		esc.Created, esc.Updated = now, now
		if err := insertEscalation(ctx, tx, *esc); err != nil {
			return nil, nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, nil, fmt.Errorf("save turn of %q: commit: %w", c.ID, err)
	}
	return msgs, esc, nil
}

// CountMessages returns how many messages the conversation holds (0 for an
// unknown one).
func (s *Store) CountMessages(ctx context.Context, convID string) (int, error) {
	var n int
	if err := s.queryRowIn(ctx, nil, `SELECT COUNT(*) FROM messages WHERE conversation_id = ?`, convID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count messages of %q: %w", convID, err)
	}
	return n, nil
}

// AppendMessages stores msgs in one transaction, in order, and returns
// them with ID, ConversationID and Created set. Either all are stored or
// none. It fails with ErrNotFound for an unknown conversation and
// ErrInvalidRecord for a bad message (naming which).
func (s *Store) AppendMessages(ctx context.Context, convID string, msgs ...Message) ([]Message, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("append messages to %q: begin: %w", convID, err)
	}
	defer tx.Rollback()
	out, err := s.appendMessages(ctx, tx, convID, msgs)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("append messages to %q: commit: %w", convID, err)
	}
	return out, nil
}

// appendMessages touches the conversation's Updated, which also finds an
// unknown conversation in the same statement, then inserts msgs.
func (s *Store) appendMessages(ctx context.Context, tx *sql.Tx, convID string, msgs []Message) ([]Message, error) {
	now := time.Now().UTC()
	res, err := s.execIn(ctx, tx, `UPDATE conversations SET updated = ? WHERE id = ?`, formatTime(now), convID)
	if err != nil {
		return nil, fmt.Errorf("append messages to %q: touch: %w", convID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return nil, fmt.Errorf("append messages: conversation %q: %w", convID, ErrNotFound)
	}
	return s.insertMessages(ctx, tx, convID, msgs, now)
}

// insertMessages inserts msgs, created now, into a conversation known to
// exist.
func (s *Store) insertMessages(ctx context.Context, tx *sql.Tx, convID string, msgs []Message, now time.Time) ([]Message, error) {
	out := make([]Message, len(msgs))
	for i, m := range msgs {
		if err := m.validate(); err != nil {
			return nil, fmt.Errorf("append message %d to %q: %w", i, convID, err)
		}
		m.ConversationID = convID
		m.Created = now
		res, err := s.execIn(ctx, tx, `INSERT INTO messages (conversation_id, role, text, lang, decision, score, sources, choices, actions, author, created)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			convID, string(m.Role), m.Text, m.Lang, string(m.Decision), m.Score,
			jsonList(m.Sources), jsonList(m.Choices), jsonList(m.Actions), m.Author, formatTime(now))
		if err != nil {
			return nil, fmt.Errorf("append message %d to %q: %w", i, convID, err)
		}
		if m.ID, err = res.LastInsertId(); err != nil {
			return nil, fmt.Errorf("append message %d to %q: id: %w", i, convID, err)
		}
		out[i] = m
	}
	return out, nil
}

const msgColumns = `id, conversation_id, role, text, lang, decision, score, sources, choices, actions, author, created`

// Messages returns the conversation's messages with an id above afterID,
// in ascending id order, at most limit of them (limit <= 0: all). An
// unknown conversation gives an error wrapping ErrNotFound.
func (s *Store) Messages(ctx context.Context, convID string, afterID int64, limit int) ([]Message, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("messages of %q: %w", convID, err)
	}
	defer tx.Rollback()
	var one int
	err = s.queryRowIn(ctx, tx, `SELECT 1 FROM conversations WHERE id = ?`, convID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("messages: conversation %q: %w", convID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("messages of %q: %w", convID, err)
	}
	st, err := s.stmtIn(ctx, tx, `SELECT `+msgColumns+` FROM messages WHERE conversation_id = ? AND id > ? ORDER BY id LIMIT ?`)
	if err != nil {
		return nil, fmt.Errorf("messages of %q: %w", convID, err)
	}
	rows, err := st.QueryContext(ctx, convID, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("messages of %q: %w", convID, err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("messages of %q: %w", convID, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("messages of %q: %w", convID, err)
	}
	return out, nil
}

// LastMessages returns the conversation's n newest messages, oldest
// first. An unknown conversation gives no messages and no error.
func (s *Store) LastMessages(ctx context.Context, convID string, n int) ([]Message, error) {
	st, err := s.prepared(ctx, `SELECT * FROM (SELECT `+msgColumns+` FROM messages WHERE conversation_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("last messages of %q: %w", convID, err)
	}
	rows, err := st.QueryContext(ctx, convID, n)
	if err != nil {
		return nil, fmt.Errorf("last messages of %q: %w", convID, err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("last messages of %q: %w", convID, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("last messages of %q: %w", convID, err)
	}
	return out, nil
}

// Message returns one message of a conversation, or an error wrapping
// ErrNotFound if the conversation has no message with that id.
func (s *Store) Message(ctx context.Context, convID string, id int64) (Message, error) {
	m, err := scanMessage(s.queryRowIn(ctx, nil, `SELECT `+msgColumns+` FROM messages WHERE conversation_id = ? AND id = ?`, convID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, fmt.Errorf("message %d of conversation %q: %w", id, convID, ErrNotFound)
	}
	if err != nil {
		return Message{}, fmt.Errorf("get message %d of %q: %w", id, convID, err)
	}
	return m, nil
}

const escColumns = `id, conversation_id, lang, status, reason, candidates, contact, claimed_by, created, updated`

// CreateEscalation stores a new escalation and marks its conversation
// escalated, in one transaction. An empty ID gets a random one, an empty
// status "open". It fails with ErrNotFound for an unknown conversation and
// ErrInvalidRecord for a bad field.
func (s *Store) CreateEscalation(ctx context.Context, e Escalation) (Escalation, error) {
	if e.ID == "" {
		e.ID = NewID()
	}
	if e.Status == "" {
		e.Status = EscalationOpen
	}
	if err := e.validate(); err != nil {
		return Escalation{}, fmt.Errorf("create escalation: %w", err)
	}
	now := time.Now().UTC()
	e.Created, e.Updated = now, now
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Escalation{}, fmt.Errorf("create escalation: begin: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE conversations SET status = ?, updated = ? WHERE id = ?`,
		string(ConversationEscalated), formatTime(now), e.ConversationID)
	if err != nil {
		return Escalation{}, fmt.Errorf("create escalation: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return Escalation{}, fmt.Errorf("create escalation: conversation %q: %w", e.ConversationID, ErrNotFound)
	}
	if err := insertEscalation(ctx, tx, e); err != nil {
		return Escalation{}, err
	}
	if err := tx.Commit(); err != nil {
		return Escalation{}, fmt.Errorf("create escalation: commit: %w", err)
	}
	return e, nil
}

func insertEscalation(ctx context.Context, tx *sql.Tx, e Escalation) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO escalations (`+escColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.ConversationID, e.Lang, string(e.Status), e.Reason, jsonList(e.Candidates), e.Contact, e.ClaimedBy,
		formatTime(e.Created), formatTime(e.Updated)); err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("create escalation %q: %w: id taken", e.ID, ErrConflict)
		}
		return fmt.Errorf("create escalation: %w", err)
	}
	return nil
}

// Escalation returns the escalation with the given id, or an error
// wrapping ErrNotFound.
func (s *Store) Escalation(ctx context.Context, id string) (Escalation, error) {
	return s.escalation(ctx, s.db, `WHERE id = ?`, id)
}

// EscalationByConversation returns the conversation's newest escalation,
// or an error wrapping ErrNotFound if it has none.
func (s *Store) EscalationByConversation(ctx context.Context, convID string) (Escalation, error) {
	return s.escalation(ctx, s.db, `WHERE conversation_id = ? ORDER BY created DESC, rowid DESC LIMIT 1`, convID)
}

func (s *Store) escalation(ctx context.Context, q queryer, where, arg string) (Escalation, error) {
	e, err := scanEscalation(q.QueryRowContext(ctx, `SELECT `+escColumns+` FROM escalations `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return Escalation{}, fmt.Errorf("escalation %q: %w", arg, ErrNotFound)
	}
	if err != nil {
		return Escalation{}, fmt.Errorf("get escalation %q: %w", arg, err)
	}
	return e, nil
}

// Escalations lists escalations with the given status ("" = any), oldest
// first (the inbox order: who waited longest comes first), at most limit
// (limit <= 0: all).
func (s *Store) Escalations(ctx context.Context, status EscalationStatus, limit int) ([]Escalation, error) {
	if status != "" && !status.Valid() {
		return nil, fmt.Errorf("list escalations: %w", badRecord("unknown status %q", status))
	}
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+escColumns+` FROM escalations WHERE (? = '' OR status = ?) ORDER BY created, rowid LIMIT ?`,
		string(status), string(status), limit)
	if err != nil {
		return nil, fmt.Errorf("list escalations: %w", err)
	}
	defer rows.Close()
	var out []Escalation
	for rows.Next() {
		e, err := scanEscalation(rows)
		if err != nil {
			return nil, fmt.Errorf("list escalations: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list escalations: %w", err)
	}
	return out, nil
}

// ClaimEscalation assigns an open escalation to staff. Claiming one already
// held by the same person is a no-op; one held by someone else, or a
// closed one, fails with ErrConflict. Unknown ids give ErrNotFound.
func (s *Store) ClaimEscalation(ctx context.Context, id, staff string) (Escalation, error) {
	staff = strings.TrimSpace(staff)
	if staff == "" || len(staff) > MaxNameBytes {
		return Escalation{}, fmt.Errorf("claim escalation %q: %w", id, badRecord("staff name must be 1 to %d bytes", MaxNameBytes))
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Escalation{}, fmt.Errorf("claim escalation %q: begin: %w", id, err)
	}
	defer tx.Rollback()
	e, err := claim(ctx, tx, s, id, staff)
	if err != nil {
		return Escalation{}, err
	}
	if err := tx.Commit(); err != nil {
		return Escalation{}, fmt.Errorf("claim escalation %q: commit: %w", id, err)
	}
	return e, nil
}

func claim(ctx context.Context, tx *sql.Tx, s *Store, id, staff string) (Escalation, error) {
	e, err := s.escalation(ctx, tx, `WHERE id = ?`, id)
	if err != nil {
		return Escalation{}, fmt.Errorf("claim: %w", err)
	}
	switch {
	case e.Status == EscalationClosed:
		return Escalation{}, fmt.Errorf("claim escalation %q: %w: it is closed", id, ErrConflict)
	case e.ClaimedBy != "" && e.ClaimedBy != staff:
		return Escalation{}, fmt.Errorf("claim escalation %q: %w: claimed by %s", id, ErrConflict, e.ClaimedBy)
	case e.ClaimedBy == staff:
		return e, nil
	}
	e.Status, e.ClaimedBy, e.Updated = EscalationClaimed, staff, time.Now().UTC()
	if _, err := tx.ExecContext(ctx, `UPDATE escalations SET status = ?, claimed_by = ?, updated = ? WHERE id = ?`,
		string(e.Status), e.ClaimedBy, formatTime(e.Updated), id); err != nil {
		return Escalation{}, fmt.Errorf("claim escalation %q: %w", id, err)
	}
	return e, nil
}

// SetEscalationStatus moves an escalation to st. It fails with ErrNotFound
// for an unknown id and ErrInvalidRecord for an unknown status; moving a
// closed escalation anywhere but closed fails with ErrConflict. Closing an
// escalation also closes its conversation.
func (s *Store) SetEscalationStatus(ctx context.Context, id string, st EscalationStatus) error {
	if !st.Valid() {
		return fmt.Errorf("set escalation %q status: %w", id, badRecord("unknown status %q", st))
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("set escalation %q status: begin: %w", id, err)
	}
	defer tx.Rollback()
	e, err := s.escalation(ctx, tx, `WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("set escalation status: %w", err)
	}
	if e.Status == EscalationClosed && st != EscalationClosed {
		return fmt.Errorf("set escalation %q status %s: %w: it is closed", id, st, ErrConflict)
	}
	now := formatTime(time.Now().UTC())
	if _, err := tx.ExecContext(ctx, `UPDATE escalations SET status = ?, updated = ? WHERE id = ?`, string(st), now, id); err != nil {
		return fmt.Errorf("set escalation %q status: %w", id, err)
	}
	if st == EscalationClosed {
		if _, err := tx.ExecContext(ctx, `UPDATE conversations SET status = ?, updated = ? WHERE id = ?`, string(ConversationClosed), now, e.ConversationID); err != nil {
			return fmt.Errorf("set escalation %q status: close conversation: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("set escalation %q status: commit: %w", id, err)
	}
	return nil
}

// SetEscalationContact records the contact the visitor gave after the
// handoff on the escalation and its conversation, in one transaction.
func (s *Store) SetEscalationContact(ctx context.Context, id, contact string) error {
	if len(contact) > MaxContactBytes || strings.ContainsAny(contact, "\x00\r\n") {
		return fmt.Errorf("set contact of escalation %q: %w", id, badRecord("contact must be one line of at most %d bytes", MaxContactBytes))
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("set contact of escalation %q: begin: %w", id, err)
	}
	defer tx.Rollback()
	e, err := s.escalation(ctx, tx, `WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("set contact: %w", err)
	}
	now := formatTime(time.Now().UTC())
	if _, err := tx.ExecContext(ctx, `UPDATE escalations SET contact = ?, updated = ? WHERE id = ?`, contact, now, id); err != nil {
		return fmt.Errorf("set contact of escalation %q: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE conversations SET contact = ?, updated = ? WHERE id = ?`, contact, now, e.ConversationID); err != nil {
		return fmt.Errorf("set contact of escalation %q: conversation: %w", id, err)
	}
	return tx.Commit()
}

// AnswerEscalation appends a staff reply to the escalation's conversation
// and marks the escalation answered, in one transaction, claiming it for
// staff on the way if it was open. It fails with ErrConflict when another
// person holds the claim or the escalation is closed, ErrNotFound for an
// unknown id and ErrInvalidRecord for a bad message.
func (s *Store) AnswerEscalation(ctx context.Context, id, staff string, m Message) (Escalation, Message, error) {
	staff = strings.TrimSpace(staff)
	if staff == "" || len(staff) > MaxNameBytes {
		return Escalation{}, Message{}, fmt.Errorf("answer escalation %q: %w", id, badRecord("staff name must be 1 to %d bytes", MaxNameBytes))
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Escalation{}, Message{}, fmt.Errorf("answer escalation %q: begin: %w", id, err)
	}
	defer tx.Rollback()
	e, err := claim(ctx, tx, s, id, staff)
	if err != nil {
		return Escalation{}, Message{}, fmt.Errorf("answer escalation: %w", err)
	}
	m.Role, m.Author = RoleAgent, staff
	msgs, err := s.appendMessages(ctx, tx, e.ConversationID, []Message{m})
	if err != nil {
		return Escalation{}, Message{}, fmt.Errorf("answer escalation %q: %w", id, err)
	}
	e.Status, e.Updated = EscalationAnswered, time.Now().UTC()
	if _, err := tx.ExecContext(ctx, `UPDATE escalations SET status = ?, updated = ? WHERE id = ?`, string(e.Status), formatTime(e.Updated), id); err != nil {
		return Escalation{}, Message{}, fmt.Errorf("answer escalation %q: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return Escalation{}, Message{}, fmt.Errorf("answer escalation %q: commit: %w", id, err)
	}
	return e, msgs[0], nil
}

func isUniqueViolation(err error) bool {
	// modernc.org/sqlite reports constraint failures in the message; its
	// error codes need the driver's internal package.
	return strings.Contains(err.Error(), "UNIQUE constraint failed") || strings.Contains(err.Error(), "PRIMARY KEY")
}

func scanConversation(row scanner) (Conversation, error) {
	var c Conversation
	var status, pending, created, updated string
	if err := row.Scan(&c.ID, &c.Lang, &status, &c.Contact, &c.Topic, &c.Misses, &pending, &c.Rated, &created, &updated); err != nil {
		return Conversation{}, err
	}
	c.Status, c.Pending = ConversationStatus(status), Pending(pending)
	var err error
	if c.Created, err = parseTime(created); err != nil {
		return Conversation{}, fmt.Errorf("conversation %q: column created: %w", c.ID, err)
	}
	if c.Updated, err = parseTime(updated); err != nil {
		return Conversation{}, fmt.Errorf("conversation %q: column updated: %w", c.ID, err)
	}
	return c, nil
}

func scanMessage(row scanner) (Message, error) {
	var m Message
	var role, decision, sources, choices, actions, created string
	if err := row.Scan(&m.ID, &m.ConversationID, &role, &m.Text, &m.Lang, &decision, &m.Score,
		&sources, &choices, &actions, &m.Author, &created); err != nil {
		return Message{}, err
	}
	m.Role, m.Decision = Role(role), Decision(decision)
	var err error
	if m.Sources, err = decodeList[Source](sources); err != nil {
		return Message{}, fmt.Errorf("message %d: column sources: %w", m.ID, err)
	}
	if m.Choices, err = decodeList[Choice](choices); err != nil {
		return Message{}, fmt.Errorf("message %d: column choices: %w", m.ID, err)
	}
	if m.Actions, err = decodeList[string](actions); err != nil {
		return Message{}, fmt.Errorf("message %d: column actions: %w", m.ID, err)
	}
	if m.Created, err = parseTime(created); err != nil {
		return Message{}, fmt.Errorf("message %d: column created: %w", m.ID, err)
	}
	return m, nil
}

func scanEscalation(row scanner) (Escalation, error) {
	var e Escalation
	var status, cands, created, updated string
	if err := row.Scan(&e.ID, &e.ConversationID, &e.Lang, &status, &e.Reason, &cands, &e.Contact, &e.ClaimedBy, &created, &updated); err != nil {
		return Escalation{}, err
	}
	e.Status = EscalationStatus(status)
	var err error
	if e.Candidates, err = decodeList[Choice](cands); err != nil {
		return Escalation{}, fmt.Errorf("escalation %q: column candidates: %w", e.ID, err)
	}
	if e.Created, err = parseTime(created); err != nil {
		return Escalation{}, fmt.Errorf("escalation %q: column created: %w", e.ID, err)
	}
	if e.Updated, err = parseTime(updated); err != nil {
		return Escalation{}, fmt.Errorf("escalation %q: column updated: %w", e.ID, err)
	}
	return e, nil
}
