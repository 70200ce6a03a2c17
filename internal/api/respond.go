package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/cairn-intel/cairn/internal/search"
	"github.com/cairn-intel/cairn/internal/store"
)

// httpError is an error with the status and MISP message to answer with.
type httpError struct {
	status int
	msg    string
	extra  map[string]any
}

func (e *httpError) Error() string { return e.msg }

func badRequest(msg string) error { return &httpError{status: http.StatusBadRequest, msg: msg} }
func notFound(msg string) error   { return &httpError{status: http.StatusNotFound, msg: msg} }

// misperror is MISP's exception envelope.
func misperror(msg, url string) map[string]any {
	return map[string]any{"name": msg, "message": msg, "url": url}
}

// saveFail is MISP's envelope for a refused add or edit.
func saveFail(action, model, url string, errs any) map[string]any {
	msg := "Could not " + action + " " + model
	return map[string]any{"saved": false, "name": msg, "message": msg, "url": url, "errors": errs}
}

// success is MISP's envelope for a completed action.
func success(msg, url string, id int64) map[string]any {
	return map[string]any{"saved": true, "success": true, "name": msg, "message": msg, "url": url, "id": itoa(id)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away: nothing left to tell it
}

// listWriter writes a JSON answer holding one list, an item at a time, in
// chunks of about 60 KiB, so that the answer is never held whole. The
// status line leaves first: an error after it ends the body early, the
// JSON left incomplete so that no client can take it for the whole answer,
// and is logged.
type listWriter struct {
	q     *request
	buf   []byte
	items int
}

// startList sends the status line and the answer's opening.
func startList(q *request, opening string) *listWriter {
	q.w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	q.w.WriteHeader(http.StatusOK)
	return &listWriter{q: q, buf: append(make([]byte, 0, 64<<10), opening...)}
}

// item appends one item of the list.
func (l *listWriter) item(appendJSON func([]byte) ([]byte, error)) error {
	if l.items > 0 {
		l.buf = append(l.buf, ',')
	}
	l.items++
	var err error
	if l.buf, err = appendJSON(l.buf); err != nil {
		return fmt.Errorf("encode item %d: %w", l.items, err)
	}
	if len(l.buf) < 60<<10 {
		return nil
	}
	_, err = l.q.w.Write(l.buf)
	l.buf = l.buf[:0]
	return err
}

// endList closes the answer, or after an error cuts it short.
func (s *Server) endList(l *listWriter, err error, closing string) {
	if err != nil {
		s.cutShort(l.q, "answer", err)
	}
	_, _ = l.q.w.Write(append(l.buf, closing...)) // the client went away: nothing left to tell it
}

// cutShort ends an answer whose status line has left, after an error, by
// aborting the connection: a body ended normally would look whole to the
// client (a CSV cut inside a line, a JSON that a lenient reader accepts).
// The log says why: the client went away, the query budget passed, or the
// error.
func (s *Server) cutShort(q *request, what string, err error) {
	switch ctxErr := q.ctx().Err(); {
	case errors.Is(ctxErr, context.DeadlineExceeded):
		s.log.Error(what+" cut short: the query budget passed", "action", "http", "path", q.r.URL.Path)
	case ctxErr != nil:
		s.log.Warn(what+" cut short: the client went away", "action", "http", "path", q.r.URL.Path)
	default:
		s.log.Error(what+" cut short", "action", "http", "path", q.r.URL.Path, "error", err)
	}
	panic(http.ErrAbortHandler)
}

// appendEncoded appends v as encoding/json writes it, without escaping
// HTML, as writeJSON does.
func appendEncoded(b []byte, v any) ([]byte, error) {
	w := bytes.NewBuffer(b)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return b, err
	}
	return bytes.TrimSuffix(w.Bytes(), []byte("\n")), nil
}

// fail answers with the one mapping from error kinds to MISP responses. A
// 500 shows no internal text; the error is logged here, once.
func (s *Server) fail(q *request, err error) {
	status, body := s.errorResponse(q, err)
	q.status = status
	writeJSON(q.w, status, body)
}

func (s *Server) errorResponse(q *request, err error) (int, any) {
	url := q.r.URL.Path
	var he *httpError
	var ve *store.ValidationError
	var pe *search.ParamError
	var exists *store.ExistsError
	switch {
	case errors.As(err, &he):
		body := misperror(he.msg, url)
		for k, v := range he.extra {
			body[k] = v
		}
		return he.status, body
	case errors.As(err, &exists):
		q.w.Header().Set("Location", "/events/view/"+itoa(exists.ID))
		return http.StatusNotFound, misperror("Event already exists, if you would like to edit it, use the url in the location header.", url)
	case errors.As(err, &ve):
		return http.StatusForbidden, saveFail(actionOf(q.path), modelOf(q.path), url, map[string]any{
			"message": ve.Message, "rejected": ve.Rejected})
	case errors.As(err, &pe):
		return http.StatusBadRequest, misperror(pe.Error(), url)
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, misperror("Invalid "+strings.ToLower(modelOf(q.path))+": "+reason(err), url)
	case errors.Is(err, store.ErrForbidden):
		return http.StatusForbidden, misperror(reason(err), url)
	case errors.Is(err, store.ErrInvalid):
		return http.StatusForbidden, saveFail(actionOf(q.path), modelOf(q.path), url, reason(err))
	case errors.Is(err, store.ErrConflict):
		return http.StatusForbidden, saveFail(actionOf(q.path), modelOf(q.path), url, reason(err))
	}
	switch {
	case store.Retryable(err):
		s.log.Warn("database busy", "action", "http", "path", url, "error", err)
		q.w.Header().Set("Retry-After", "5")
		return http.StatusServiceUnavailable, misperror("The database is busy with a long write (such as a correlation rebuild); nothing was changed. Retry in a few seconds.", url)
	case errors.Is(err, context.DeadlineExceeded):
		msg := fmt.Sprintf("The request took longer than the query budget of %s and was stopped; narrow the filters or page with limit.", s.cfg.QueryBudget)
		s.log.Warn("query budget exceeded", "action", "http", "path", url, "error", err)
		return http.StatusServiceUnavailable, misperror(msg, url)
	case errors.Is(err, context.Canceled):
		s.log.Info("client went away", "action", "http", "path", url)
		return 499, misperror("The client closed the request.", url)
	}
	s.log.Error("request failed", "action", "http", "path", url, "error", err)
	return http.StatusInternalServerError, misperror("An Internal Error Has Occurred.", url)
}

// reason strips the kind prefix ("forbidden: ") from a store error.
func reason(err error) string {
	msg := err.Error()
	for _, kind := range []error{store.ErrNotFound, store.ErrForbidden, store.ErrInvalid, store.ErrConflict} {
		msg = strings.TrimPrefix(msg, kind.Error()+": ")
	}
	return msg
}

// modelOf and actionOf name the model and action of a route path such as
// "/events/add" or "/admin/users/edit", for MISP's messages.
func modelOf(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) > 0 && parts[0] == "admin" {
		parts = parts[1:]
	}
	if len(parts) == 0 {
		return ""
	}
	names := map[string]string{"events": "Event", "attributes": "Attribute", "objects": "Object", "tags": "Tag",
		"sightings": "Sighting", "organisations": "Organisation", "users": "User", "auth_keys": "AuthKey",
		"roles": "Role", "feeds": "Feed", "sharing_groups": "SharingGroup", "warninglists": "Warninglist",
		"taxonomies": "Taxonomy", "galaxies": "Galaxy"}
	if n, ok := names[parts[0]]; ok {
		return n
	}
	return parts[0]
}

func actionOf(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	return parts[len(parts)-1]
}
