package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

const feedSecret = "k3y-that-must-stay-hidden"

// feedSource is a loopback feed that requires the key.
func feedSource(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var refused atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Auth-Key") != feedSecret {
			refused.Add(1)
			http.Error(w, "unknown key", http.StatusForbidden)
			return
		}
		_, _ = w.Write([]byte("# test list\n198.51.100.10\n198.51.100.11\nhxxps://login-portal[.]example/path\n"))
	}))
	t.Cleanup(srv.Close)
	return srv, &refused
}

// secretFree calls the API and fails the test if the answer shows the key.
func (e *env) secretFree(want int, method, path, key string, body any) map[string]any {
	e.t.Helper()
	status, out, _ := e.call(method, path, key, body)
	raw, _ := json.Marshal(out)
	if strings.Contains(string(raw), feedSecret) {
		e.t.Errorf("%s %s: the answer shows the feed's key: %s", method, path, raw)
	}
	if status != want {
		e.t.Fatalf("%s %s: got status %d, want %d: %s", method, path, status, want, raw)
	}
	m, _ := out.(map[string]any)
	return m
}

func TestFeedLifecycle(t *testing.T) {
	e := newEnv(t)
	src, refused := feedSource(t)
	added := e.secretFree(200, "POST", "/feeds/add", e.admin, map[string]any{"Feed": map[string]any{
		"name": "Test list", "provider": "loopback", "url": src.URL + "/list.txt", "source_format": "freetext",
		"enabled": true, "distribution": "0", "fixed_event": true, "delta_merge": true, "schedule": "6h",
		"headers": "Auth-Key: " + feedSecret, "tags": []string{"tlp:green"}}})
	id := get(added, "Feed", "id").(string)
	if get(added, "Feed", "auth_secret") != secretMask || get(added, "Feed", "headers") != "Auth-Key: "+secretMask {
		t.Errorf("got auth_secret %v headers %v, want them masked", get(added, "Feed", "auth_secret"), get(added, "Feed", "headers"))
	}
	if get(added, "Feed", "schedule") != "6h" || get(added, "Feed", "health", "status") != "never pulled" {
		t.Errorf("got schedule %v status %v", get(added, "Feed", "schedule"), get(added, "Feed", "health", "status"))
	}

	// A client that fetches the feed and posts it back keeps the key.
	view := e.secretFree(200, "GET", "/feeds/view/"+id, e.admin, nil)
	e.secretFree(200, "POST", "/feeds/edit/"+id, e.admin, map[string]any{"Feed": view["Feed"]})

	fetched := e.secretFree(200, "POST", "/feeds/fetchFromFeed/"+id, e.admin, nil)
	if !strings.HasPrefix(fetched["result"].(string), "Fetching the feed has successfully completed. 3 value(s) added") {
		t.Errorf("got result %q", fetched["result"])
	}
	if refused.Load() != 0 {
		t.Errorf("the source refused %d requests: the key was lost", refused.Load())
	}
	view = e.secretFree(200, "GET", "/feeds/view/"+id+".json", e.admin, nil)
	if get(view, "Feed", "health", "status") != "ok" || get(view, "Feed", "health", "last_success") == float64(0) {
		t.Errorf("got health %v, want ok with a last success", get(view, "Feed", "health"))
	}
	if get(view, "Feed", "last_report", "created") != float64(3) || count(view["FeedPull"]) != 1 {
		t.Errorf("got last report %v and %d pulls", get(view, "Feed", "last_report"), count(view["FeedPull"]))
	}
	event := get(view, "Feed", "event_id").(string)
	ev := e.must(200, "GET", "/events/view/"+event, e.admin, nil)
	if get(ev, "Event", "info") != "Test list" || get(ev, "Event", "Tag", 0, "name") != "tlp:green" {
		t.Errorf("got event %v with tags %v", get(ev, "Event", "info"), get(ev, "Event", "Tag"))
	}

	index := e.secretFree(200, "GET", "/feeds/index", e.admin, nil)
	_ = index
	e.secretFree(200, "POST", "/feeds/disable/"+id, e.admin, nil)
	off := e.secretFree(200, "POST", "/feeds/fetchFromFeed/"+id, e.admin, nil)
	if off["result"] != "Feed is currently not enabled. Make sure you enable it." {
		t.Errorf("disabled feed: got %v", off["result"])
	}
	e.secretFree(200, "POST", "/feeds/delete/"+id, e.admin, nil)
	e.secretFree(404, "GET", "/feeds/view/"+id, e.admin, nil)
}

func TestFeedIndexShowsNoSecret(t *testing.T) {
	e := newEnv(t)
	e.secretFree(200, "POST", "/feeds/add", e.admin, map[string]any{"name": "keyed", "url": "https://feed.example/x",
		"auth_header": "Auth-Key", "auth_secret": feedSecret})
	_, out, _ := e.call("GET", "/feeds/index", e.admin, nil)
	raw, _ := json.Marshal(out)
	if strings.Contains(string(raw), feedSecret) || count(out) != 1 {
		t.Errorf("got %s, want one feed without its key", raw)
	}
}

func TestFeedWritesNeedSiteAdmin(t *testing.T) {
	e := newEnv(t)
	src, _ := feedSource(t)
	added := e.must(200, "POST", "/feeds/add", e.admin, map[string]any{"name": "guarded", "url": src.URL,
		"auth_header": "Auth-Key", "auth_secret": feedSecret, "enabled": true})
	id := get(added, "Feed", "id").(string)
	orgAdmin := e.user("Other", 2)
	for _, c := range []struct{ method, path string }{
		{"POST", "/feeds/add"}, {"POST", "/feeds/edit/" + id}, {"POST", "/feeds/delete/" + id},
		{"POST", "/feeds/enable/" + id}, {"POST", "/feeds/disable/" + id}, {"POST", "/feeds/fetchFromFeed/" + id},
		{"POST", "/feeds/fetchFromAllFeeds"}, {"GET", "/feeds/previewIndex/" + id},
		{"POST", "/feeds/loadDefaultFeeds"}, {"GET", "/feeds/cacheFeeds/all"},
	} {
		out := e.secretFree(403, c.method, c.path, orgAdmin, map[string]any{"name": "x", "url": "https://x.example"})
		if out["message"] != "You do not have permission to do that." {
			t.Errorf("%s %s: got %v", c.method, c.path, out)
		}
	}
	// Reads are site-admin only too: reports quote refused lines and errors.
	for _, path := range []string{"/feeds/view/" + id, "/feeds/index"} {
		e.secretFree(403, "GET", path, orgAdmin, nil)
	}
	view := e.secretFree(200, "GET", "/feeds/view/"+id, e.admin, nil)
	if get(view, "Feed", "auth_secret") != secretMask {
		t.Errorf("got %v, want the key masked", get(view, "Feed", "auth_secret"))
	}
}

func TestFeedURLCredentialsAreMasked(t *testing.T) {
	e := newEnv(t)
	added := e.must(200, "POST", "/feeds/add", e.admin, map[string]any{"name": "creds",
		"url": "http://bob:hunter2@127.0.0.1:9/list.txt?auth-key=TOPSECRET123", "source_format": "freetext"})
	id := get(added, "Feed", "id").(string)
	for _, path := range []string{"/feeds/view/" + id, "/feeds/index"} {
		_, out, _ := e.call("GET", path, e.admin, nil)
		if text := fmt.Sprint(out); strings.Contains(text, "hunter2") || strings.Contains(text, "TOPSECRET123") {
			t.Errorf("GET %s shows a credential of the URL: %s", path, text)
		}
	}
	// Posting the masked URL back, as PyMISP's enable_feed does, keeps the stored one.
	view := e.must(200, "GET", "/feeds/view/"+id, e.admin, nil)
	e.must(200, "POST", "/feeds/edit/"+id, e.admin, map[string]any{"url": get(view, "Feed", "url")})
	f, err := e.st.FeedByRef(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.URL, "TOPSECRET123") {
		t.Errorf("got stored URL %q, want the credentials kept", f.URL)
	}
}

func TestFeedDefaultsPreviewAndCache(t *testing.T) {
	e := newEnv(t)
	first := e.must(200, "POST", "/feeds/loadDefaultFeeds", e.admin, nil)
	again := e.must(200, "POST", "/feeds/loadDefaultFeeds", e.admin, nil)
	if count(first["created"]) != 11 || count(again["created"]) != 0 || count(again["skipped"]) != 11 {
		t.Errorf("got %d created, then %d created and %d skipped, want 11, 0, 11",
			count(first["created"]), count(again["created"]), count(again["skipped"]))
	}
	_, index, _ := e.call("GET", "/feeds/index", e.admin, nil)
	for i := range count(index) {
		if get(index, i, "Feed", "enabled") != false || get(index, i, "Feed", "default") != true {
			t.Errorf("preset %v: got enabled %v default %v, want a disabled default", get(index, i, "Feed", "name"),
				get(index, i, "Feed", "enabled"), get(index, i, "Feed", "default"))
		}
	}

	cache := e.must(200, "GET", "/feeds/cacheFeeds/all", e.admin, nil)
	if !strings.Contains(cache["result"].(string), "no separate feed cache") {
		t.Errorf("cacheFeeds: got %v", cache["result"])
	}

	src, _ := feedSource(t)
	added := e.must(200, "POST", "/feeds/add", e.admin, map[string]any{"name": "preview me", "url": src.URL,
		"headers": "Auth-Key: " + feedSecret})
	pv := e.secretFree(200, "GET", "/feeds/previewIndex/"+get(added, "Feed", "id").(string)+"/limit:2", e.admin, nil)
	if count(get(pv, "Preview", "items")) != 2 || get(pv, "Preview", "truncated") != true ||
		get(pv, "Preview", "items", 0, "value") != "198.51.100.10" {
		t.Errorf("got preview %v, want the first 2 items and truncated", pv["Preview"])
	}
	c, _ := e.st.Count(t.Context())
	if c.Events != 0 {
		t.Errorf("a preview stored %d events", c.Events)
	}
}

func TestFeedAddRefusesBadSettings(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		feed map[string]any
		want string
	}{
		{"csv column 0", map[string]any{"name": "a", "url": "https://x.example/a.csv", "source_format": "csv",
			"settings": map[string]any{"csv": map[string]any{"value": "0"}}}, "column"},
		{"bad exclude pattern", map[string]any{"name": "b", "url": "https://x.example/b",
			"settings": `{"common": {"excluderegex": "/(/"}}`}, "exclude"},
		{"ftp url", map[string]any{"name": "c", "url": "ftp://x.example/c"}, "http or https"},
		{"schedule too short", map[string]any{"name": "d", "url": "https://x.example/d", "schedule": "10s"}, "schedule"},
		{"bad pin", map[string]any{"name": "e", "url": "https://x.example/e", "ca_pin": "abc"}, "ca_pin"},
		{"unknown format", map[string]any{"name": "f", "url": "https://x.example/f", "source_format": "xml"}, "source_format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := e.must(403, "POST", "/feeds/add", e.admin, map[string]any{"Feed": tt.feed})
			if out["saved"] != false || !strings.Contains(out["errors"].(string), tt.want) {
				t.Errorf("got %v, want a refusal mentioning %q", out, tt.want)
			}
		})
	}
}

func TestLocalPathFeedsOnlyFromTheCommandLine(t *testing.T) {
	e := newEnv(t)
	for _, url := range []string{"/etc/passwd", "file:///etc/passwd", "tls.key"} {
		out := e.must(403, "POST", "/feeds/add", e.admin, map[string]any{"name": "local " + url, "url": url})
		if !strings.Contains(fmt.Sprint(out["message"]), "command line") {
			t.Errorf("%s: got %v, want the command line named", url, out)
		}
	}
	src, _ := feedSource(t)
	added := e.must(200, "POST", "/feeds/add", e.admin, map[string]any{"name": "remote", "url": src.URL})
	e.must(403, "POST", "/feeds/edit/"+get(added, "Feed", "id").(string), e.admin, map[string]any{"url": "/etc/passwd"})
}
