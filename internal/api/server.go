// Package api serves Cairn's MISP-compatible REST API: the routes table, the
// CakePHP-style path parsing MISP clients rely on, key authentication, and
// the JSON envelopes and status codes of MISP.
package api

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/cairn-intel/cairn/internal/auth"
	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/store"
)

// Version is the MISP version Cairn answers to servers/getVersion; PyMISP
// and MISP servers gate features on it.
const Version = "2.5.1"

// Config configures the API.
type Config struct {
	// CairnVersion is Cairn's own version, shown beside the MISP one.
	CairnVersion string
	// MaxBody caps request bodies, in bytes.
	MaxBody int64
	// QueryBudget bounds the work of one request: past it, its queries are
	// cancelled and the client is told so. Zero means DefaultQueryBudget.
	QueryBudget time.Duration
	// Node names this process among the nodes sharing the database, and
	// Heartbeat is how often its claims are renewed; pulls started through
	// the API claim their feed with them. Zero values take package fetch's
	// defaults.
	Node      string
	Heartbeat time.Duration
	// Knowledge holds the warninglists, taxonomies and galaxies, shared
	// with the rest of the process; nil loads them from the store's
	// settings when the server is made. Either way the store checks tags
	// against its taxonomies from then on.
	Knowledge *Knowledge
}

// DefaultQueryBudget is the time one request may spend before its queries
// are cancelled.
const DefaultQueryBudget = 2 * time.Minute

// Server answers the REST API.
type Server struct {
	st     *store.Store
	log    *slog.Logger
	cfg    Config
	routes map[string]route

	knowMu sync.Mutex
	know   *Knowledge
}

// New returns the API handler set.
func New(st *store.Store, log *slog.Logger, cfg Config) *Server {
	if cfg.MaxBody == 0 {
		cfg.MaxBody = 256 << 20
	}
	if cfg.QueryBudget == 0 {
		cfg.QueryBudget = DefaultQueryBudget
	}
	s := &Server{st: st, log: log, cfg: cfg, routes: map[string]route{}}
	for _, r := range s.routeTable() {
		s.routes[strings.ToLower(r.path)] = r
	}
	if cfg.Knowledge != nil {
		s.UseKnowledge(cfg.Knowledge)
	} else if _, err := s.knowledge(context.Background()); err != nil {
		// The first request that needs it tries again and reports the fault.
		log.Warn("knowledge not loaded", "action", "load_knowledge", "error", err)
	}
	return s
}

// request is one parsed API call.
type request struct {
	r      *http.Request
	w      http.ResponseWriter
	actor  *store.Actor
	args   []string            // positional path segments after the route
	named  map[string][]string // key:value path segments
	body   []byte
	path   string // the route's path, for MISP's "url" field
	status int
}

func (q *request) ctx() context.Context { return q.r.Context() }

// arg returns positional argument i, or "".
func (q *request) arg(i int) string {
	if i < len(q.args) {
		return q.args[i]
	}
	return ""
}

// namedValue returns the first value of a named parameter.
func (q *request) namedValue(k string) string {
	if v := q.named[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

type handler func(q *request) (any, error)

type route struct {
	methods string // space-separated, e.g. "GET POST"
	path    string
	h       handler
	public  bool
	// positional lets a one-segment route take positional segments
	// ("/feed/<uuid>.json"); other one-segment routes are bare aliases.
	positional bool
}

// ServeHTTP routes, authenticates and answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	// The request's context ends when the client goes away or the budget
	// passes; every query runs under it and stops then.
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.QueryBudget)
	defer cancel()
	r = r.WithContext(ctx)
	q := &request{r: r, w: w, status: http.StatusOK}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler { // an answer cut short: net/http drops the connection
				s.logRequest(q, start)
				panic(p)
			}
			s.log.Error("panic in handler", "error", fmt.Sprint(p), "path", r.URL.Path)
			q.status = http.StatusInternalServerError
			writeJSON(w, q.status, misperror("An Internal Error Has Occurred.", r.URL.Path))
		}
		s.logRequest(q, start)
	}()
	rt, ok := s.match(q, r.URL.EscapedPath())
	if !ok {
		s.fail(q, notFound("Invalid route"))
		return
	}
	if !strings.Contains(" "+rt.methods+" ", " "+r.Method+" ") && !(r.Method == http.MethodHead && strings.Contains(rt.methods, "GET")) {
		s.fail(q, &httpError{status: http.StatusMethodNotAllowed, msg: "This method is not allowed on this route."})
		return
	}
	if !rt.public {
		a, err := s.authenticate(r)
		if err != nil {
			s.fail(q, err)
			return
		}
		q.actor = a
	}
	if err := s.readBody(q); err != nil {
		s.fail(q, err)
		return
	}
	if err := checkArguments(q); err != nil {
		s.fail(q, err)
		return
	}
	out, err := rt.h(q)
	if err != nil {
		s.fail(q, err)
		return
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(q.status)
		return
	}
	if out != nil {
		writeJSON(w, q.status, out)
	}
}

// match finds the route of an escaped path: "/events/view/12.json", named
// parameters such as "/events/index/limit:10" and bare aliases such as
// "/events". Each segment is unescaped exactly once, after it is split, so
// an escaped "/" or "%" stays part of its value. A bare alias takes no
// positional segments: "/events/pubish/5" is not the events index, unless
// the route is marked positional ("/feed/<uuid>.json").
func (s *Server) match(q *request, escaped string) (route, bool) {
	p := strings.Trim(escaped, "/")
	for _, ext := range []string{".json", ".JSON"} {
		p = strings.TrimSuffix(p, ext)
	}
	var segs []string
	q.named = map[string][]string{}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" {
			continue
		}
		if k, v, ok := strings.Cut(seg, ":"); ok && k != "" && !strings.ContainsAny(k, ".@%") {
			v, err := url.PathUnescape(strings.ReplaceAll(v, "+", " "))
			if err != nil {
				return route{}, false
			}
			k = strings.TrimSuffix(k, "[]")
			q.named[k] = append(q.named[k], strings.ReplaceAll(v, ";", ":"))
			continue
		}
		un, err := url.PathUnescape(seg)
		if err != nil {
			return route{}, false
		}
		segs = append(segs, un)
	}
	for n := min(3, len(segs)); n >= 1; n-- {
		key := strings.ToLower(strings.Join(segs[:n], "/"))
		if rt, ok := s.routes[key]; ok {
			if n == 1 && len(segs) > 1 && !rt.positional {
				return route{}, false
			}
			q.args, q.path = segs[n:], "/"+strings.Join(segs[:n], "/")
			return rt, true
		}
	}
	return route{}, false
}

// authenticate resolves the API key of the request. The header may carry
// several comma-separated keys; the first well-formed one is used.
func (s *Server) authenticate(r *http.Request) (*store.Actor, error) {
	header := r.Header.Get("Authorization")
	if header == "" {
		header = r.Header.Get("X-MISP-AUTH")
	}
	var key string
	for _, k := range strings.Split(header, ",") {
		if k = strings.TrimSpace(k); auth.ValidKey(k) {
			key = k
			break
		}
	}
	if key == "" {
		return nil, errAuth
	}
	ip, _ := netip.ParseAddrPort(r.RemoteAddr)
	a, err := s.st.Authenticate(r.Context(), auth.HashKey(key), ip.Addr())
	if errors.Is(err, store.ErrAuthFailed) {
		s.log.Warn("authentication failed", "action", "auth", "result", "fail", "src", r.RemoteAddr,
			"key_start", key[:4])
		return nil, errAuth
	}
	return a, err
}

var errAuth = &httpError{status: http.StatusForbidden,
	msg: "Authentication failed. Please make sure you pass the API key of an API enabled user along in the Authorization header."}

func (s *Server) readBody(q *request) error {
	if q.r.Body == nil || q.r.Method == http.MethodGet || q.r.Method == http.MethodHead {
		return nil
	}
	limit := s.cfg.MaxBody
	if isQuery(q.r.URL.Path) {
		limit = min(limit, maxQueryBody)
	}
	var body io.Reader = http.MaxBytesReader(q.w, q.r.Body, limit)
	if strings.EqualFold(q.r.Header.Get("Content-Encoding"), "gzip") {
		gz, err := gzip.NewReader(body)
		if err != nil {
			return badRequest("the body is not valid gzip")
		}
		defer gz.Close()
		body = io.LimitReader(gz, limit+1)
	}
	b, err := io.ReadAll(body)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig) || int64(len(b)) > limit:
		return &httpError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("the body is larger than %d bytes", limit)}
	case err != nil:
		return badRequest("could not read the body")
	case !utf8.Valid(b):
		return badRequest("the body is not valid UTF-8")
	case holdsNUL(b):
		return badRequest("the body holds a NUL character (\\u0000), which no text field may hold")
	}
	q.body = b
	return nil
}

// maxQueryBody caps the bodies of the requests that only ask (searches,
// sightings and warninglist checks by value): 32 MiB holds far more than the
// 100,000 list entries a search takes, and a body decompressed to the cap
// of writes (MaxBody, for events with attachments) would take twice that
// in memory before being refused.
const maxQueryBody = 32 << 20

// isQuery reports whether a request path is one of those queries.
func isQuery(path string) bool {
	p := strings.ToLower(path)
	for _, q := range []string{"/restsearch", "/events/index", "/sightings/add", "/warninglists/checkvalue"} {
		if strings.Contains(p, q) {
			return true
		}
	}
	return false
}

// checkArguments refuses path segments, named parameters and query values
// that no text field may hold (a NUL character, or bytes that are not
// UTF-8), as readBody refuses them in the body: a handler may store one
// (a tag name in events/addTag, say), which PostgreSQL would refuse and
// SQLite would keep.
func checkArguments(q *request) error {
	check := func(what, v string) error {
		if reason := misp.TextFault(v); reason != "" {
			return badRequest(what + " " + reason)
		}
		return nil
	}
	for i, v := range q.args {
		if err := check(fmt.Sprintf("path argument %d", i+1), v); err != nil {
			return err
		}
	}
	for k, vs := range q.named {
		for _, v := range vs {
			if err := check("parameter "+strconv.Quote(k), k+v); err != nil {
				return err
			}
		}
	}
	for k, vs := range q.r.URL.Query() {
		for _, v := range vs {
			if err := check("query parameter "+strconv.Quote(k), k+v); err != nil {
				return err
			}
		}
	}
	return nil
}

// holdsNUL reports whether a JSON text escapes a NUL character. Text is
// stored the same on both databases only without one: PostgreSQL refuses
// NUL in text, SQLite keeps it, and a copy between them would fail. A raw
// NUL byte is not valid JSON and is refused when the body is decoded.
func holdsNUL(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			continue
		}
		if b[i+1] == 'u' && i+5 < len(b) && string(b[i+2:i+6]) == "0000" {
			return true
		}
		i++ // skip the escaped character, so an escaped backslash is not read again
	}
	return false
}

func (s *Server) logRequest(q *request, start time.Time) {
	user := ""
	if q.actor != nil {
		user = q.actor.User.Email
	}
	level := slog.LevelDebug
	if q.status >= 500 {
		level = slog.LevelError
	} else if q.status >= 400 {
		level = slog.LevelWarn
	}
	s.log.Log(q.r.Context(), level, "request", "action", "http", "method", q.r.Method, "path", q.r.URL.Path,
		"status", q.status, "user", user, "src", q.r.RemoteAddr, "duration_ms", time.Since(start).Milliseconds())
}
