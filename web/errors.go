package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/sofort-chat/sofort/bot"
	"github.com/sofort-chat/sofort/corpus"
)

// httpError is an error the web layer itself raises with a fixed status
// (malformed JSON, a missing field, a full stream table).
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func errStatus(status int, format string, args ...any) error {
	return &httpError{status: status, msg: fmt.Sprintf(format, args...)}
}

// errorStatus maps an error to its HTTP status and a short machine code.
// It is the one place where domain errors meet HTTP:
//
//	bot.ErrInvalid, corpus.ErrInvalidRecord, corpus.ErrInvalid -> 422
//	bot.ErrLimit (conversation full)                            -> 429
//	corpus.ErrNotFound                                          -> 404
//	corpus.ErrConflict                                          -> 409
//	body over the limit                                         -> 413
//	deadline exceeded                                           -> 503
//	anything else                                               -> 500
func errorStatus(err error) (int, string) {
	var he *httpError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &he):
		return he.status, codeFor(he.status)
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, "too_large"
	case errors.Is(err, bot.ErrLimit):
		return http.StatusTooManyRequests, "limit"
	case errors.Is(err, bot.ErrInvalid), errors.Is(err, corpus.ErrInvalidRecord), errors.Is(err, corpus.ErrInvalid):
		return http.StatusUnprocessableEntity, "invalid"
	case errors.Is(err, corpus.ErrNotFound):
		return http.StatusNotFound, "not_found"
	case errors.Is(err, corpus.ErrConflict):
		return http.StatusConflict, "conflict"
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, "timeout"
	}
	return http.StatusInternalServerError, "internal"
}

func codeFor(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusUnsupportedMediaType:
		return "unsupported_media_type"
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusUnprocessableEntity:
		return "invalid"
	case http.StatusServiceUnavailable:
		return "unavailable"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	}
	return strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "_"))
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeError answers a JSON API request with err's status and message.
// Only internal errors are logged (with the request), and their text is
// not shown to the client.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, code := errorStatus(err)
	var body errorBody
	body.Error.Code = code
	body.Error.Message = err.Error()
	if status >= 500 {
		if status == http.StatusInternalServerError {
			s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		body.Error.Message = http.StatusText(status)
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true) // "<" as \u003c: a response is never markup
	_ = enc.Encode(v)
}

// readJSON decodes the request body into v: one JSON object, known fields
// only, within the size limit. Errors say what is wrong and where.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any, allowEmpty bool) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return errStatus(http.StatusUnsupportedMediaType, "content type %q: send application/json", ct)
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var mbe *http.MaxBytesError
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
	case errors.As(err, &mbe):
		return errStatus(http.StatusRequestEntityTooLarge, "request body is larger than %d bytes", s.cfg.MaxBodyBytes)
	case errors.Is(err, io.EOF):
		if allowEmpty {
			return nil
		}
		return errStatus(http.StatusBadRequest, "request body is empty: send a JSON object")
	case errors.As(err, &se):
		return errStatus(http.StatusBadRequest, "invalid JSON at byte %d: %v", se.Offset, err)
	case errors.As(err, &te):
		return errStatus(http.StatusBadRequest, "invalid JSON: field %q must be %s, not %s", te.Field, te.Type, te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return errStatus(http.StatusBadRequest, "invalid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	default:
		return errStatus(http.StatusBadRequest, "invalid JSON: %v", err)
	}
	if dec.More() {
		return errStatus(http.StatusBadRequest, "invalid JSON: more than one value in the body")
	}
	// Read to the end so trailing garbage over the limit is caught too.
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		if errors.As(err, &mbe) {
			return errStatus(http.StatusRequestEntityTooLarge, "request body is larger than %d bytes", s.cfg.MaxBodyBytes)
		}
	}
	return nil
}
