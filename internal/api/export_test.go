package api

import (
	"context"
	"encoding/json"
	"github.com/cairn-intel/cairn/internal/store/storetest"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/auth"
	"github.com/cairn-intel/cairn/internal/store"
)

// send posts a body (or sends none) and returns the answer's body as it came.
func (e *env) send(method, path, key, body string) (int, string, http.Header) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, string(out), resp.Header
}

// exportEnv holds one published event with a few network attributes and a
// draft, and a user of another organisation.
func exportEnv(t *testing.T) *env {
	e := newEnv(t)
	id := e.addEvent(e.admin, map[string]any{"info": "exports", "distribution": 1, "Attribute": []any{
		map[string]any{"type": "domain", "value": "evil.example", "to_ids": true, "comment": "a, b"},
		map[string]any{"type": "ip-dst", "value": "192.0.2.1", "to_ids": true},
		map[string]any{"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e", "to_ids": true},
		map[string]any{"type": "text", "value": "context only", "to_ids": false},
	}})
	e.must(200, "POST", "/events/publish/"+id, e.admin, nil)
	e.addEvent(e.admin, map[string]any{"info": "draft", "distribution": 0, "Attribute": []any{
		map[string]any{"type": "domain", "value": "draft.example", "to_ids": true},
	}})
	return e
}

func TestRestSearchExportsOverHTTP(t *testing.T) {
	e := exportEnv(t)
	tests := []struct {
		name, method, path, body string
		contentType, format      string
		want                     string // the whole body, or with has a part of it
		has                      bool
	}{
		{"text in the body", "POST", "/attributes/restSearch", `{"returnFormat":"text"}`,
			"text/plain", "text", "192.0.2.1\nd41d8cd98f00b204e9800998ecf8427e\nevil.example\n", false},
		{"text as a positional segment", "POST", "/attributes/restSearch/text", `{"type":"domain"}`,
			"text/plain", "text", "evil.example\n", false},
		{"text as a named parameter on GET", "GET", "/attributes/restSearch/returnFormat:text/type:ip-dst", "",
			"text/plain", "text", "192.0.2.1\n", false},
		{"csv of events", "POST", "/events/restSearch", `{"returnFormat":"csv","type":"md5","requested_attributes":"value,comment"}`,
			"text/csv", "csv", "value,comment\nevil.example,\"a, b\"\n", true},
		{"hashes of events", "POST", "/events/restSearch/hashes", `{}`,
			"text/plain", "hashes", "d41d8cd98f00b204e9800998ecf8427e\n", false},
		{"count", "POST", "/attributes/restSearch", `{"returnFormat":"count"}`, "text/plain", "count", "5", false},
		{"rpz", "POST", "/attributes/restSearch/rpz", `{"serial":7}`,
			"text/plain", "rpz", "( 7 2h 30m 30d 1h )\n@ NS localhost.\n32.1.2.0.192.rpz-ip CNAME .\nevil.example CNAME .\n", true},
		{"suricata reference to this instance", "POST", "/attributes/restSearch/suricata", `{"type":"ip-dst"}`,
			"text/plain", "suricata", "reference:url,127.0.0.1:", true},
		{"nothing matches", "POST", "/events/restSearch/text", `{"value":"nothing.example"}`,
			"text/plain", "text", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, h := e.send(tt.method, tt.path, e.admin, tt.body)
			if status != 200 {
				t.Fatalf("got status %d, want 200: %s", status, body)
			}
			if got := h.Get("Content-Type"); !strings.HasPrefix(got, tt.contentType) {
				t.Errorf("got Content-Type %q, want %s", got, tt.contentType)
			}
			if got := h.Get("X-Export-Module-Used"); got != tt.format {
				t.Errorf("got X-Export-Module-Used %q, want %s", got, tt.format)
			}
			if tt.has && !strings.Contains(body, tt.want) || !tt.has && body != tt.want {
				t.Errorf("got body %q, want %q (whole: %v)", body, tt.want, !tt.has)
			}
		})
	}
}

func TestRestSearchExportHeaders(t *testing.T) {
	e := exportEnv(t)
	_, body, h := e.send("POST", "/attributes/restSearch", e.admin, `{"returnFormat":"count","type":"domain"}`)
	if body != "2" || h.Get("X-Result-Count") != "2" {
		t.Errorf("count: got body %q and X-Result-Count %q, want 2", body, h.Get("X-Result-Count"))
	}
	_, _, h = e.send("POST", "/attributes/restSearch", e.admin, `{"returnFormat":"text"}`)
	if h.Get("X-Cairn-Cursor") == "" {
		t.Error("text: got no X-Cairn-Cursor")
	}
	status, body, h := e.send("HEAD", "/attributes/restSearch/returnFormat:csv", e.admin, "")
	if status != 200 || body != "" || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
		t.Errorf("HEAD csv: got %d %q %q, want 200, no body, text/csv", status, body, h.Get("Content-Type"))
	}
}

func TestRestSearchExportRefusals(t *testing.T) {
	e := exportEnv(t)
	tests := []struct{ name, path, body string }{
		{"unknown format", "/attributes/restSearch", `{"returnFormat":"stix2"}`},
		{"bad option", "/attributes/restSearch/rpz", `{"ttl":"1h\nevil IN A 1.2.3.4"}`},
		{"bad column", "/attributes/restSearch/csv", `{"requested_attributes":["value","password"]}`},
		{"bad cursor", "/attributes/restSearch/text", `{"cursor":"not-a-cursor"}`},
		{"cursor of the other scope", "/events/restSearch/text", `{"cursor":"YzEuYS4xLjAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMA"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, _ := e.send("POST", tt.path, e.admin, tt.body)
			if status != 400 {
				t.Errorf("got status %d, want 400: %s", status, body)
			}
		})
	}
}

func TestRestSearchExportAccess(t *testing.T) {
	e := exportEnv(t)
	other := e.user("Other", 3)
	for _, path := range []string{"/attributes/restSearch", "/events/restSearch"} {
		for _, format := range []string{"text", "csv", "rpz", "suricata", "zeek", "hosts", "cache", "count"} {
			body := `{"returnFormat":"` + format + `","published":[0,1],"to_ids":[0,1]}`
			_, got, _ := e.send("POST", path, other, body)
			if strings.Contains(got, "draft.example") || format == "count" && got != "4" && path == "/attributes/restSearch" {
				t.Errorf("%s %s as another organisation: got %q, want the open event only", path, format, got)
			}
			_, got, _ = e.send("POST", path, e.admin, body)
			if format == "text" && !strings.Contains(got, "draft.example") {
				t.Errorf("%s %s as the owner: got %q, want the draft too", path, format, got)
			}
		}
	}
}

// newClockEnv is newEnv on a store whose clock the test moves.
func newClockEnv(t *testing.T, clock *time.Time) *env {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, store.Options{Now: func() time.Time { return *clock }})
	key := auth.NewKey()
	if _, err := st.Initialise(ctx, store.Bootstrap{OrgName: "Host", AdminEmail: "admin@host.test",
		KeyHash: auth.HashKey(key), RawKey: key}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	k, err := OpenKnowledge(ctx, st, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(st, log, Config{CairnVersion: "test", Knowledge: k}))
	t.Cleanup(srv.Close)
	return &env{t: t, st: st, srv: srv, admin: key}
}

// TestRestSearchCursorOverHTTP polls attributes/restSearch and
// events/restSearch with the cursor of each answer, over 60 attributes in
// 20 events written in one second, in JSON and in text.
func TestRestSearchCursorOverHTTP(t *testing.T) {
	clock := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	e := newClockEnv(t, &clock)
	for i := range 20 {
		e.addEvent(e.admin, map[string]any{"info": "poll " + itoa(int64(i)), "distribution": 1, "Attribute": []any{
			map[string]any{"type": "domain", "value": "a" + itoa(int64(i)) + ".example"},
			map[string]any{"type": "domain", "value": "b" + itoa(int64(i)) + ".example"},
			map[string]any{"type": "domain", "value": "c" + itoa(int64(i)) + ".example"},
		}})
	}
	clock = clock.Add(time.Minute)

	tests := []struct {
		name, path, body string
		want             int
		items            func(body string) []string
	}{
		{"attributes json", "/attributes/restSearch", `{"limit":7`, 60, func(body string) []string {
			var out struct {
				Response struct{ Attribute []struct{ UUID string } }
			}
			_ = json.Unmarshal([]byte(body), &out)
			var ids []string
			for _, a := range out.Response.Attribute {
				ids = append(ids, a.UUID)
			}
			return ids
		}},
		{"events json", "/events/restSearch", `{"limit":3,"metadata":1`, 20, func(body string) []string {
			var out struct {
				Response []struct{ Event struct{ UUID string } }
			}
			_ = json.Unmarshal([]byte(body), &out)
			var ids []string
			for _, r := range out.Response {
				ids = append(ids, r.Event.UUID)
			}
			return ids
		}},
		{"attributes text", "/attributes/restSearch/text", `{"limit":7,"to_ids":[0,1],"published":[0,1]`, 60,
			strings.Fields},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[string]bool{}
			cursor := "start"
			for polls := 0; ; polls++ {
				if polls > 30 {
					t.Fatal("the polls never ended")
				}
				status, body, h := e.send("POST", tt.path, e.admin, tt.body+`,"cursor":"`+cursor+`"}`)
				if status != 200 {
					t.Fatalf("got status %d: %s", status, body)
				}
				items := tt.items(body)
				if len(items) == 0 {
					if h.Get("X-Cairn-Cursor") != cursor {
						t.Errorf("an empty poll answered cursor %q, want %q", h.Get("X-Cairn-Cursor"), cursor)
					}
					break
				}
				for _, it := range items {
					if seen[it] {
						t.Errorf("poll %d: got %s again", polls, it)
					}
					seen[it] = true
				}
				cursor = h.Get("X-Cairn-Cursor")
			}
			if len(seen) != tt.want {
				t.Errorf("got %d items over the polls, want %d", len(seen), tt.want)
			}
		})
	}
}
