package api

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/cairn-intel/cairn/internal/publish"
)

// The /feed routes serve this instance's MISP-format feed live, as the
// caller may read it: a MISP or Cairn instance adds <base>/feed as a MISP
// feed with the API key in its Authorization header. A "connected:1"
// segment in the base URL (<base>/feed/connected:1) adds the events of
// distribution 2; see package publish for the rule.

// feedExporter is the exporter of a /feed request.
func (s *Server) feedExporter(q *request) *publish.Exporter {
	return publish.New(s.st, q.actor, publish.Rule{Connected: flag(q.namedValue("connected"))})
}

// feedManifest answers manifest.json, with an ETag so that a poller whose
// copy is current gets 304.
func (s *Server) feedManifest(q *request) (any, error) {
	var buf bytes.Buffer
	if _, err := s.feedExporter(q).WriteManifest(q.ctx(), &buf); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(buf.Bytes())
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	q.w.Header().Set("ETag", etag)
	if etagMatches(q.r.Header.Get("If-None-Match"), etag) {
		writeRaw(q, http.StatusNotModified, "", nil)
		return nil, nil
	}
	writeRaw(q, http.StatusOK, "application/json; charset=UTF-8", buf.Bytes())
	return nil, nil
}

// etagMatches reports whether an If-None-Match header names etag.
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// feedHashes streams hashes.csv a page of events at a time. An error
// before the first byte is answered as usual; after it, the body ends
// early and the error is logged.
func (s *Server) feedHashes(q *request) (any, error) {
	q.w.Header().Set("Content-Type", "text/csv; charset=UTF-8")
	if q.r.Method == http.MethodHead {
		return nil, nil
	}
	body := &lazyBody{q: q}
	w := bufio.NewWriterSize(body, 64<<10)
	_, err := s.feedExporter(q).WriteHashes(q.ctx(), w)
	if err == nil {
		err = w.Flush()
	}
	if err != nil && body.started {
		s.log.Error("feed hashes", "action", "http", "path", q.r.URL.Path, "error", err)
		return nil, nil
	}
	return nil, err
}

// feedEvent answers {uuid}.json; an event outside the rule is not found.
func (s *Server) feedEvent(q *request) (any, error) {
	if len(q.args) != 1 {
		return nil, notFound("Invalid event")
	}
	e, err := s.feedExporter(q).Event(q.ctx(), q.arg(0))
	if err != nil {
		return nil, err
	}
	return map[string]any{"Event": e}, nil
}

// writeRaw answers with a body that is not one of MISP's JSON envelopes.
// A HEAD request gets the headers only; ServeHTTP then writes the status.
func writeRaw(q *request, status int, contentType string, body []byte) {
	q.status = status
	if contentType != "" {
		q.w.Header().Set("Content-Type", contentType)
	}
	if q.r.Method == http.MethodHead {
		return
	}
	q.w.WriteHeader(status)
	_, _ = q.w.Write(body) // the client went away: nothing left to tell it
}

// lazyBody sends the status line with the first byte of the body, so that
// an error met before then can still be answered with its own status.
type lazyBody struct {
	q       *request
	started bool
}

func (l *lazyBody) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.q.w.WriteHeader(http.StatusOK)
	}
	return l.q.w.Write(p)
}
