package api

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// raw sends a request with optional headers and returns the status, the
// headers and the body as text.
func (e *env) raw(method, path, key string, headers map[string]string) (int, http.Header, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", key)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// TestFeedRoutes checks the routes of the instance's own feed; the round
// trip through the feed reader is tested in package publish.
func TestFeedRoutes(t *testing.T) {
	e := newEnv(t)
	attr := []any{map[string]any{"type": "domain", "value": "feed-route.cairn-test.net"}}
	open := "aaaaaaaa-0000-4000-8000-000000000001"
	e.addEvent(e.admin, map[string]any{"uuid": open, "info": "open", "distribution": 3, "published": true,
		"Attribute": attr})
	draft := "aaaaaaaa-0000-4000-8000-000000000002"
	e.addEvent(e.admin, map[string]any{"uuid": draft, "info": "draft", "distribution": 3, "Attribute": attr})
	mine := "aaaaaaaa-0000-4000-8000-000000000003"
	mineID := e.addEvent(e.admin, map[string]any{"uuid": mine, "info": "org only", "distribution": 0,
		"published": true, "Attribute": attr})
	connected := "aaaaaaaa-0000-4000-8000-000000000004"
	e.addEvent(e.admin, map[string]any{"uuid": connected, "info": "connected", "distribution": 2,
		"published": true, "Attribute": attr})
	user := e.user("Reader Org", 3)

	_, hdr, _ := e.raw("GET", "/feed/manifest.json", e.admin, nil)
	etag := hdr.Get("ETag")
	if etag == "" {
		t.Fatal("manifest.json: got no ETag, want one")
	}
	cases := []struct {
		name, method, path, key string
		headers                 map[string]string
		status                  int
		contains, absent        string
	}{
		{"manifest lists the open event", "GET", "/feed/manifest.json", e.admin, nil, 200, open, draft},
		{"manifest leaves out distribution 0", "GET", "/feed/manifest.json", e.admin, nil, 200, open, mine},
		{"manifest leaves out distribution 2", "GET", "/feed/manifest.json", e.admin, nil, 200, open, connected},
		{"connected manifest adds distribution 2", "GET", "/feed/connected:1/manifest.json", e.admin, nil, 200,
			connected, mine},
		{"manifest for another organisation's user", "GET", "/feed/manifest.json", user, nil, 200, open, draft},
		{"manifest unchanged", "GET", "/feed/manifest.json", e.admin, map[string]string{"If-None-Match": etag},
			304, "", ""},
		{"manifest with another etag", "GET", "/feed/manifest.json", e.admin,
			map[string]string{"If-None-Match": `"other"`}, 200, open, ""},
		{"manifest HEAD", "HEAD", "/feed/manifest.json", e.admin, nil, 200, "", ""},
		{"manifest without a key", "GET", "/feed/manifest.json", "", nil, 403, "Authentication failed", open},
		{"hashes", "GET", "/feed/hashes.csv", e.admin, nil, 200, "," + open + "\n", mine},
		{"event", "GET", "/feed/" + open + ".json", e.admin, nil, 200, `"distribution":"3"`, `"id"`},
		{"event in upper case", "GET", "/feed/" + strings.ToUpper(open) + ".json", e.admin, nil, 200, open, ""},
		{"event HEAD", "HEAD", "/feed/" + open + ".json", e.admin, nil, 200, "", ""},
		{"unpublished event", "GET", "/feed/" + draft + ".json", e.admin, nil, 404, "Invalid feed", `"Attribute"`},
		{"distribution 0 event", "GET", "/feed/" + mine + ".json", e.admin, nil, 404, "", ""},
		{"event by numeric id", "GET", "/feed/" + mineID + ".json", e.admin, nil, 404, "", ""},
		{"distribution 2 event", "GET", "/feed/" + connected + ".json", e.admin, nil, 404, "", ""},
		{"distribution 2 event, connected", "GET", "/feed/connected:1/" + connected + ".json", e.admin, nil, 200,
			`"distribution":"1"`, ""},
		{"bare feed", "GET", "/feed", e.admin, nil, 404, "", ""},
		{"extra segments", "GET", "/feed/" + open + "/x.json", e.admin, nil, 404, "", ""},
		{"feed is read only", "POST", "/feed/manifest.json", e.admin, nil, 405, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := e.raw(tc.method, tc.path, tc.key, tc.headers)
			if status != tc.status {
				t.Fatalf("%s %s: got %d, want %d: %s", tc.method, tc.path, status, tc.status, body)
			}
			if tc.contains != "" && !strings.Contains(body, tc.contains) {
				t.Errorf("got %s, want it to contain %s", body, tc.contains)
			}
			if tc.absent != "" && strings.Contains(body, tc.absent) {
				t.Errorf("got %s, want no %s", body, tc.absent)
			}
			if (tc.method == "HEAD" || status == http.StatusNotModified) && body != "" {
				t.Errorf("got body %q, want none", body)
			}
		})
	}
}

func TestETagMatches(t *testing.T) {
	cases := []struct {
		header string
		want   bool
	}{
		{`"abc"`, true},
		{`W/"abc"`, true},
		{`"x", "abc"`, true},
		{`*`, true},
		{`"abcd"`, false},
		{``, false},
	}
	for _, c := range cases {
		if got := etagMatches(c.header, `"abc"`); got != c.want {
			t.Errorf("If-None-Match %q: got %v, want %v", c.header, got, c.want)
		}
	}
}
