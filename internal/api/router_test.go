package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRouterPaths(t *testing.T) {
	e := newEnv(t)
	e.addEvent(e.admin, map[string]any{"info": "RS-% literal", "Attribute": []any{map[string]any{"type": "ip-dst", "value": "10.99.0.1"}}})
	e.addEvent(e.admin, map[string]any{"info": "other", "Attribute": []any{map[string]any{"type": "ip-dst", "value": "10.99.1.1"}}})
	cases := []struct {
		name, method, path string
		status             int
		count              string // X-Result-Count, when the answer has one
	}{
		{"escaped percent is a literal percent", "GET", "/events/index/eventinfo:RS-%25%25", 200, "1"},
		{"named filter kept", "GET", "/events/index/eventinfo:other", 200, "1"},
		{"named value with an escaped slash", "GET", "/events/index/eventinfo:a%2Fb", 200, "0"},
		{"named restSearch value with a wildcard", "GET", "/attributes/restSearch/value:10.99.0.%25", 200, "1"},
		{"misspelt action is not the index", "POST", "/events/pubish/5", 404, ""},
		{"unknown action under a bare alias", "GET", "/events/ad", 404, ""},
		{"bare alias with an id", "GET", "/events/1", 404, ""},
		{"bare alias with named params", "GET", "/events/limit:1", 200, "2"},
		{"json suffix", "GET", "/events/index.json", 200, "2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, out, hdr := e.call(tc.method, tc.path, e.admin, nil)
			if status != tc.status {
				t.Fatalf("%s %s: got %d, want %d: %v", tc.method, tc.path, status, tc.status, out)
			}
			if tc.count != "" && hdr.Get("X-Result-Count") != tc.count {
				t.Errorf("%s %s: got X-Result-Count %q, want %s", tc.method, tc.path, hdr.Get("X-Result-Count"), tc.count)
			}
			if status == http.StatusNotFound && get(out, "message") == nil {
				t.Errorf("a 404 without MISP's message: %v", out)
			}
		})
	}
}

func TestQueryBudget(t *testing.T) {
	e := newEnv(t)
	tight := httptest.NewServer(New(e.st, slog.New(slog.DiscardHandler), Config{QueryBudget: time.Nanosecond}))
	defer tight.Close()
	e.srv = tight
	status, out, _ := e.call("POST", "/attributes/restSearch", e.admin, map[string]any{"value": "198.51.100.7"})
	if status != http.StatusServiceUnavailable || !strings.Contains(fmt.Sprint(get(out, "message")), "query budget") {
		t.Errorf("got %d %v, want 503 naming the query budget", status, out)
	}
}
