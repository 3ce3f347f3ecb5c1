package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/sofort-chat/sofort/bot"
	"github.com/sofort-chat/sofort/corpus"
)

// The visitor API, version 1. Every response is JSON; errors are
// {"error": {"code": "...", "message": "..."}} with the status from
// errorStatus. Messages are corpus.Message as JSON: id, role, text (plain
// text: the client must render it as text, never as HTML), lang,
// decision ("answer", "clarify", "escalate" or absent), score (the final
// fused score of the top hit), sources, choices, actions.

// maxPage is the most messages one response or replay step carries.
const maxPage = 500

type conversationView struct {
	ID      string    `json:"id"`
	Lang    string    `json:"lang"`
	Status  string    `json:"status"`
	Created time.Time `json:"created"`
}

func viewOf(c corpus.Conversation) *conversationView {
	return &conversationView{ID: c.ID, Lang: c.Lang, Status: string(c.Status), Created: c.Created}
}

type messagesResponse struct {
	Conversation *conversationView `json:"conversation,omitempty"`
	Messages     []corpus.Message  `json:"messages"`
	// More says that messages after the last one exist: ask again with
	// after=<last id>.
	More bool `json:"more,omitempty"`
}

type startRequest struct {
	// Lang is the widget's language ("de" or "en"); the greeting uses it.
	Lang string `json:"lang"`
}

type messageRequest struct {
	Text    string  `json:"text"`
	Choice  string  `json:"choice"`
	Handoff bool    `json:"handoff"`
	Contact *string `json:"contact"`
	Lang    string  `json:"lang"`
}

type feedbackRequest struct {
	MessageID int64 `json:"message_id"`
	Helped    *bool `json:"helped"`
}

// convID returns the {id} path parameter. Ids are NewID's 22 URL-safe
// characters; anything else cannot exist and is refused before the store
// is asked.
func convID(r *http.Request) (string, error) {
	id := chi.URLParam(r, "id")
	if len(id) == 0 || len(id) > 64 {
		return "", errStatus(http.StatusNotFound, "conversation %q not found", truncateID(id))
	}
	for _, c := range []byte(id) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return "", errStatus(http.StatusNotFound, "conversation %q not found", truncateID(id))
		}
	}
	return id, nil
}

func truncateID(id string) string {
	if len(id) > 64 {
		return id[:64] + "…"
	}
	return id
}

// POST /api/v1/conversations: start a conversation; 201 with the greeting.
func (s *Server) createConversation(w http.ResponseWriter, r *http.Request) {
	var req startRequest
	if err := s.readJSON(w, r, &req, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Lang == "" {
		req.Lang = acceptLang(r)
	}
	c, msgs, err := s.bot.Start(r.Context(), req.Lang)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.metrics.conversations.Inc()
	w.Header().Set("Location", "/api/v1/conversations/"+c.ID)
	writeJSON(w, http.StatusCreated, messagesResponse{Conversation: viewOf(c), Messages: nonNil(msgs)})
}

// GET /api/v1/conversations/{id}?after=N: the conversation and its
// messages after N (a returning visitor catches up).
func (s *Server) getConversation(w http.ResponseWriter, r *http.Request) {
	id, err := convID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	after, err := afterParam(r.URL.Query().Get("after"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.store.Conversation(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	msgs, err := s.store.Messages(r.Context(), id, after, maxPage+1)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	more := len(msgs) > maxPage
	if more {
		msgs = msgs[:maxPage]
	}
	writeJSON(w, http.StatusOK, messagesResponse{Conversation: viewOf(c), Messages: nonNil(msgs), More: more})
}

// POST /api/v1/conversations/{id}/messages: the visitor's turn. 200 with
// the new messages, the visitor's own first.
func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) {
	id, err := convID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req messageRequest
	if err := s.readJSON(w, r, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	msgs, err := s.bot.Handle(r.Context(), id, bot.Input{Text: req.Text, Choice: req.Choice, Handoff: req.Handoff, Contact: req.Contact, Lang: req.Lang})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.metrics.countReplies(msgs)
	s.hub.publish(id)
	writeJSON(w, http.StatusOK, messagesResponse{Messages: nonNil(msgs)})
}

// POST /api/v1/conversations/{id}/feedback: "did this help?" on an
// answer. 200 with the messages it adds.
func (s *Server) postFeedback(w http.ResponseWriter, r *http.Request) {
	id, err := convID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req feedbackRequest
	if err := s.readJSON(w, r, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.MessageID <= 0 || req.Helped == nil {
		s.writeError(w, r, errStatus(http.StatusUnprocessableEntity, `feedback needs "message_id" (the answer's id) and "helped" (true or false)`))
		return
	}
	msgs, err := s.bot.Feedback(r.Context(), id, req.MessageID, *req.Helped)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.metrics.feedback.WithLabelValues(map[bool]string{true: "yes", false: "no"}[*req.Helped]).Inc()
	s.metrics.countReplies(msgs)
	s.hub.publish(id)
	writeJSON(w, http.StatusOK, messagesResponse{Messages: nonNil(msgs)})
}

func afterParam(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, errStatus(http.StatusBadRequest, "after=%q: want a message id (a non-negative integer)", truncateID(v))
	}
	return n, nil
}

func nonNil(msgs []corpus.Message) []corpus.Message {
	if msgs == nil {
		return []corpus.Message{}
	}
	return msgs
}

// GET /api/v1/conversations/{id}/events: server-sent events. Each message
// is one event "message" with id = message id and the message as JSON. The
// stream first replays what follows Last-Event-ID (or ?after=N), so a
// reconnect or a server restart loses nothing, then follows live.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	id, err := convID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	lastParam := r.Header.Get("Last-Event-ID")
	if lastParam == "" {
		lastParam = r.URL.Query().Get("after")
	}
	last, err := afterParam(lastParam)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := s.store.Conversation(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	release, err := s.streams.acquire(s.clientIP(r))
	if err != nil {
		s.metrics.rateLimited.WithLabelValues("streams").Inc()
		s.writeError(w, r, err)
		return
	}
	defer release()
	// Subscribe before the first read, so nothing stored in between is
	// missed.
	sub, unsubscribe := s.hub.subscribe(id)
	defer unsubscribe()
	s.metrics.streams.Inc()
	defer s.metrics.streams.Dec()

	rc := http.NewResponseController(w)
	// The server's ReadTimeout would end the stream: a stream reads
	// nothing more, and dead peers are found by the heartbeat's write
	// deadline instead.
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)

	var buf bytes.Buffer
	write := func() bool {
		_ = rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if _, err := w.Write(buf.Bytes()); err != nil {
			return false
		}
		buf.Reset()
		return rc.Flush() == nil
	}
	// Reconnect after 2 s when the stream breaks (server restart).
	buf.WriteString("retry: 2000\n\n")
	if !write() {
		return
	}
	heartbeat := time.NewTicker(s.cfg.Heartbeat)
	defer heartbeat.Stop()
	ctx := r.Context()
	for {
		// Catch up with the store.
		for {
			msgs, err := s.store.Messages(ctx, id, last, maxPage)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Error("event stream: read messages", "conversation", id, "err", err)
				}
				return
			}
			for _, m := range msgs {
				data, err := json.Marshal(m)
				if err != nil {
					s.log.Error("event stream: encode message", "id", m.ID, "err", err)
					return
				}
				fmt.Fprintf(&buf, "id: %d\nevent: message\ndata: %s\n\n", m.ID, data)
				last = m.ID
			}
			if buf.Len() > 0 && !write() {
				return
			}
			if len(msgs) < maxPage {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-s.hub.done:
			return
		case <-sub.wake:
		case <-heartbeat.C:
			buf.WriteString(": ping\n\n")
			if !write() {
				return
			}
		}
	}
}
