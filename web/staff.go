package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/sofort-chat/sofort/corpus"
)

const (
	sessionCookie = "sofort_session"
	loginCookie   = "sofort_login"
)

type ctxKey int

const staffKey ctxKey = iota

func staffFrom(ctx context.Context) (corpus.StaffSession, bool) {
	ss, ok := ctx.Value(staffKey).(corpus.StaffSession)
	return ss, ok
}

func (s *Server) secure(r *http.Request) bool { return r.TLS != nil || s.cfg.SecureCookies }

// requireStaff lets a request through only with a live staff session.
// Pages redirect to the login, everything else gets 403; state-changing
// requests must also carry the session's CSRF token (form field "csrf" or
// header X-CSRF-Token).
func (s *Server) requireStaff(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ss, err := s.session(r)
		if err != nil {
			if !errors.Is(err, corpus.ErrNotFound) {
				s.log.Error("staff session lookup", "err", err)
			}
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/staff/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.staffError(w, r, http.StatusForbidden, "login required")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxFormBytes)
			token := r.Header.Get("X-CSRF-Token")
			if token == "" {
				if err := r.ParseForm(); err != nil {
					s.staffError(w, r, http.StatusRequestEntityTooLarge, err.Error())
					return
				}
				token = r.PostFormValue("csrf")
			}
			if !ss.CSRFEqual(token) {
				s.staffError(w, r, http.StatusForbidden, "invalid or missing CSRF token")
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), staffKey, ss)))
	})
}

func (s *Server) session(r *http.Request) (corpus.StaffSession, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return corpus.StaffSession{}, corpus.ErrNotFound
	}
	return s.store.StaffSession(r.Context(), c.Value)
}

type pageData struct {
	T       map[string]string
	Lang    string
	Staff   string
	CSRF    string
	Error   string
	Next    string
	Status  string
	Items   []inboxItem
	Esc     corpus.Escalation
	Msgs    []corpus.Message
	CanAct  bool
	Online  bool // the visitor has the chat open
	Code    int
	Filters []string
	// Refresh reloads the page every so many seconds (the inbox).
	Refresh int
}

type inboxItem struct {
	corpus.Escalation
	Question string
}

func (s *Server) page(r *http.Request) pageData {
	lang := acceptLang(r)
	d := pageData{T: staffTexts[lang], Lang: lang}
	if ss, ok := staffFrom(r.Context()); ok {
		d.Staff, d.CSRF = ss.User, ss.CSRF
	}
	return d
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := s.tmpl.ExecuteTemplate(w, name, d); err != nil && r.Context().Err() == nil {
		s.log.Error("render staff page", "page", name, "err", err)
	}
}

func (s *Server) staffError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	d := s.page(r)
	d.Code, d.Error = status, msg
	s.render(w, r, status, "error.html", d)
}

// staffFail renders err as an error page with errorStatus's status.
func (s *Server) staffFail(w http.ResponseWriter, r *http.Request, err error) {
	status, _ := errorStatus(err)
	msg := err.Error()
	if status >= 500 {
		if status == http.StatusInternalServerError {
			s.log.Error("staff request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		msg = http.StatusText(status)
	}
	s.staffError(w, r, status, msg)
}

func randomToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// safeNext keeps a post-login redirect on the staff pages.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/staff") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/staff/"
	}
	return next
}

// GET /staff/login. The form carries a token that must match a cookie set
// with it (double submit): another site cannot read the cookie, so it
// cannot log a browser into an account of its choosing.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, err := s.session(r); err == nil {
		http.Redirect(w, r, "/staff/", http.StatusSeeOther)
		return
	}
	s.renderLogin(w, r, http.StatusOK, "")
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	token := randomToken()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: token, Path: "/staff/login", HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	d := s.page(r)
	d.CSRF, d.Error, d.Next = token, errMsg, safeNext(r.FormValue("next"))
	s.render(w, r, status, "login.html", d)
}

// POST /staff/login.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if !s.loginLimit.allow(s.clientIP(r), time.Now()) {
		s.metrics.rateLimited.WithLabelValues("login").Inc()
		w.Header().Set("Retry-After", "5")
		s.staffError(w, r, http.StatusTooManyRequests, "too many login attempts; wait a minute")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.staffError(w, r, http.StatusRequestEntityTooLarge, err.Error())
		return
	}
	T := staffTexts[acceptLang(r)]
	c, err := r.Cookie(loginCookie)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		s.renderLogin(w, r, http.StatusForbidden, T["badForm"])
		return
	}
	name := strings.TrimSpace(r.PostFormValue("user"))
	u, err := s.store.Authenticate(r.Context(), name, r.PostFormValue("password"))
	if errors.Is(err, corpus.ErrBadCredentials) {
		s.log.Info("staff login failed", "user", name, "ip", s.clientIP(r))
		s.renderLogin(w, r, http.StatusUnauthorized, T["badLogin"])
		return
	}
	if err != nil {
		s.staffFail(w, r, err)
		return
	}
	token, ss, err := s.store.CreateStaffSession(r.Context(), u.Name, s.cfg.SessionTTL)
	if err != nil {
		s.staffFail(w, r, err)
		return
	}
	// A fresh token per login: a session id planted before the login
	// (fixation) is never promoted.
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/staff", HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteLaxMode, Expires: ss.Expires})
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/staff/login", MaxAge: -1, HttpOnly: true, Secure: s.secure(r)})
	s.log.Info("staff login", "user", u.Name, "ip", s.clientIP(r))
	// Logins are rare; sweeping expired sessions here keeps the table small
	// without a timer goroutine.
	if _, err := s.store.DeleteExpiredStaffSessions(r.Context(), time.Now()); err != nil {
		s.log.Warn("sweep expired staff sessions", "err", err)
	}
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

// POST /staff/logout.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.store.DeleteStaffSession(r.Context(), c.Value); err != nil {
			s.staffFail(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/staff", MaxAge: -1, HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/staff/login", http.StatusSeeOther)
}

var inboxFilters = []string{"active", "open", "claimed", "answered", "closed", "all"}

// GET /staff/?status=active|open|claimed|answered|closed|all
func (s *Server) inbox(w http.ResponseWriter, r *http.Request) {
	d := s.page(r)
	d.Filters = inboxFilters
	d.Refresh = 30
	d.Status = r.URL.Query().Get("status")
	var st corpus.EscalationStatus
	switch d.Status {
	case "", "active":
		d.Status = "active"
	case "all":
	case "open", "claimed", "answered", "closed":
		st = corpus.EscalationStatus(d.Status)
	default:
		s.staffError(w, r, http.StatusBadRequest, "unknown status filter "+truncateID(d.Status))
		return
	}
	escs, err := s.store.Escalations(r.Context(), st, 200)
	if err != nil {
		s.staffFail(w, r, err)
		return
	}
	for _, e := range escs {
		if d.Status == "active" && (e.Status == corpus.EscalationClosed || e.Status == corpus.EscalationAnswered) {
			continue
		}
		item := inboxItem{Escalation: e}
		// The question shown is the visitor's last two turns before the
		// handoff: what the bot could not answer (the very last one is
		// often just the handoff button's text).
		msgs, err := s.store.Messages(r.Context(), e.ConversationID, 0, 100)
		if err != nil {
			s.staffFail(w, r, err)
			return
		}
		var said []string
		for _, m := range msgs {
			if m.Created.After(e.Created) {
				break
			}
			if m.Role == corpus.RoleVisitor && strings.TrimSpace(m.Text) != "" {
				said = append(said, m.Text)
			}
		}
		item.Question = strings.Join(said[max(0, len(said)-2):], " / ")
		if len(item.Question) > 200 {
			item.Question = strings.ToValidUTF8(item.Question[:200], "") + "…"
		}
		d.Items = append(d.Items, item)
	}
	s.render(w, r, http.StatusOK, "inbox.html", d)
}

func (s *Server) escalation(r *http.Request) (corpus.Escalation, error) {
	id := chi.URLParam(r, "id")
	if len(id) > 64 {
		return corpus.Escalation{}, errStatus(http.StatusNotFound, "escalation not found")
	}
	return s.store.Escalation(r.Context(), id)
}

// GET /staff/escalations/{id}: transcript, candidates, contact, actions.
func (s *Server) escalationPage(w http.ResponseWriter, r *http.Request) {
	e, err := s.escalation(r)
	if err != nil {
		s.staffFail(w, r, err)
		return
	}
	msgs, err := s.store.Messages(r.Context(), e.ConversationID, 0, 2000)
	if err != nil {
		s.staffFail(w, r, err)
		return
	}
	d := s.page(r)
	d.Esc, d.Msgs = e, msgs
	d.Online = s.hub.online(e.ConversationID)
	d.CanAct = e.Status != corpus.EscalationClosed && (e.ClaimedBy == "" || e.ClaimedBy == d.Staff)
	s.render(w, r, http.StatusOK, "escalation.html", d)
}

// POST /staff/escalations/{id}/claim
func (s *Server) claim(w http.ResponseWriter, r *http.Request) {
	ss, _ := staffFrom(r.Context())
	e, err := s.escalation(r)
	if err != nil {
		s.staffFail(w, r, err)
		return
	}
	if _, err := s.store.ClaimEscalation(r.Context(), e.ID, ss.User); err != nil {
		s.staffFail(w, r, err)
		return
	}
	http.Redirect(w, r, "/staff/escalations/"+url.PathEscape(e.ID), http.StatusSeeOther)
}

// POST /staff/escalations/{id}/reply: the reply goes into the visitor's
// conversation and out to its live streams at once.
func (s *Server) reply(w http.ResponseWriter, r *http.Request) {
	ss, _ := staffFrom(r.Context())
	e, err := s.escalation(r)
	if err != nil {
		s.staffFail(w, r, err)
		return
	}
	m, err := s.bot.AgentReply(r.Context(), e.ID, ss.User, r.PostFormValue("text"))
	if err != nil {
		s.staffFail(w, r, err)
		return
	}
	s.metrics.agentReplies.Inc()
	s.hub.publish(m.ConversationID)
	http.Redirect(w, r, "/staff/escalations/"+url.PathEscape(e.ID), http.StatusSeeOther)
}

// POST /staff/escalations/{id}/close
func (s *Server) closeEscalation(w http.ResponseWriter, r *http.Request) {
	e, err := s.escalation(r)
	if err != nil {
		s.staffFail(w, r, err)
		return
	}
	if err := s.store.SetEscalationStatus(r.Context(), e.ID, corpus.EscalationClosed); err != nil {
		s.staffFail(w, r, err)
		return
	}
	http.Redirect(w, r, "/staff/", http.StatusSeeOther)
}

// GET /staff/api/escalations?status=...: the inbox as JSON, for tools run
// by logged-in staff.
func (s *Server) apiEscalations(w http.ResponseWriter, r *http.Request) {
	st := corpus.EscalationStatus(r.URL.Query().Get("status"))
	if st != "" && !st.Valid() {
		s.writeError(w, r, errStatus(http.StatusBadRequest, "unknown status %q (want open, claimed, answered or closed)", truncateID(string(st))))
		return
	}
	escs, err := s.store.Escalations(r.Context(), st, 500)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if escs == nil {
		escs = []corpus.Escalation{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"escalations": escs})
}

var tmplFuncs = template.FuncMap{
	"when": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"tr": func(T map[string]string, key string) string {
		if v, ok := T[key]; ok {
			return v
		}
		return key
	},
}
