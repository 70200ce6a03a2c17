package fetch

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/store"
)

// countingServer serves a directory and counts the requests per path.
type countingServer struct {
	mu   sync.Mutex
	hits map[string]int
	srv  *httptest.Server
}

func newCountingServer(t *testing.T, dir string) *countingServer {
	cs := &countingServer{hits: map[string]int{}}
	files := http.FileServer(http.Dir(dir))
	cs.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.mu.Lock()
		cs.hits[r.URL.Path]++
		cs.mu.Unlock()
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(cs.srv.Close)
	return cs
}

func (cs *countingServer) hitsOf(path string) int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.hits[path]
}

func (cs *countingServer) eventFetches() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	n := 0
	for p, c := range cs.hits {
		if p != "/manifest.json" {
			n += c
		}
	}
	return n
}

// TestMISPFeed pulls the CIRCL OSINT sample (2 events, 9 and 96
// attributes per grep -o '"type"'; the event files hold no objects) from a
// loopback server, then pulls again: the second pull downloads the
// manifest only.
func TestMISPFeed(t *testing.T) {
	requireSamples(t)
	c := newClock()
	st, a := newStore(t, c.now)
	cs := newCountingServer(t, samplePath("circl-osint"))
	f := presetFeed(t, st, "CIRCL OSINT Feed", cs.srv.URL+"/")
	p := New(st, testOptions())

	first := mustPull(t, p, f)
	if first.Created != 2 || first.AttributesCreated != 105 || first.Rejected != 0 {
		t.Errorf("first pull: got %d events and %d attributes created, %d rejected %v, want 2, 105, 0",
			first.Created, first.AttributesCreated, first.Rejected, first.Rejects)
	}
	ev, err := st.EventByRef(context.Background(), a, "5a0ac036-6fbc-4855-83af-422b950d210f", store.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Distribution != 3 || ev.Orgc.Name != "CIRCL" || ev.Timestamp != 1511184352 {
		t.Errorf("got distribution %d orgc %q timestamp %d, want 3 (the feed's), CIRCL, 1511184352",
			ev.Distribution, ev.Orgc.Name, ev.Timestamp)
	}

	c.add(time.Hour)
	fetched := cs.eventFetches()
	second := mustPull(t, p, reload(t, st, f))
	if second.Created != 0 || second.Updated != 0 || second.Unchanged != 2 || cs.eventFetches() != fetched {
		t.Errorf("second pull: got created %d updated %d unchanged %d and %d event downloads, want 0, 0, 2 and none",
			second.Created, second.Updated, second.Unchanged, cs.eventFetches()-fetched)
	}
}

// TestMISPFeedChangedEvent serves a copy of the sample whose manifest and
// event say the event changed: only that event is downloaded and updated.
func TestMISPFeedChangedEvent(t *testing.T) {
	requireSamples(t)
	dir := copyDir(t, samplePath("circl-osint"))
	st, _ := newStore(t, nil)
	cs := newCountingServer(t, dir)
	f := presetFeed(t, st, "CIRCL OSINT Feed", cs.srv.URL)
	p := New(st, testOptions())
	mustPull(t, p, f)

	const id = "57c4445b-c548-4654-af0b-4be3950d210f"
	replaceIn(t, filepath.Join(dir, "manifest.json"), `"timestamp": "1472541011"`, `"timestamp": "1472541999"`)
	replaceIn(t, filepath.Join(dir, id+".json"), `"timestamp": "1472541011"`, `"timestamp": "1472541999"`)
	before := cs.hitsOf("/" + id + ".json")
	rep := mustPull(t, p, reload(t, st, f))
	if rep.Updated != 1 || rep.Unchanged != 1 || cs.hitsOf("/"+id+".json") != before+1 {
		t.Errorf("got updated %d unchanged %d, want 1 and 1 with one download", rep.Updated, rep.Unchanged)
	}
}

// TestMISPFeedWholeOrNothing: when one event cannot be downloaded, no
// event of the pull is stored.
func TestMISPFeedWholeOrNothing(t *testing.T) {
	requireSamples(t)
	files := http.FileServer(http.Dir(samplePath("circl-osint")))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/5a0ac036") {
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
			return
		}
		files.ServeHTTP(w, r)
	}))
	defer srv.Close()
	st, _ := newStore(t, nil)
	f := presetFeed(t, st, "CIRCL OSINT Feed", srv.URL)
	rep, err := New(st, testOptions()).Pull(context.Background(), f)
	if err == nil || rep.Succeeded() {
		t.Fatalf("got success, want a failure")
	}
	if c, _ := st.Count(context.Background()); c.Events != 0 {
		t.Errorf("got %d events stored by a failed pull, want 0", c.Events)
	}
}

func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func replaceIn(t *testing.T, path, old, repl string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s does not hold %s", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, repl, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestReadEventFile(t *testing.T) {
	const ev = `{"uuid": "5a0ac036-6fbc-4855-83af-422b950d210f", "info": "x"}`
	tests := []struct {
		name, doc string
		ok        bool
	}{
		{"wrapped", `{"Event": ` + ev + `}`, true},
		{"bare", ev, true},
		{"response list", `{"response": [{"Event": ` + ev + `}]}`, true},
		{"list of one", `[{"Event": ` + ev + `}]`, true},
		{"byte order mark", "\ufeff" + `{"Event": ` + ev + `}`, true},
		{"not an event", `{"hello": "world"}`, false},
		{"list of two", `[{"Event": ` + ev + `}, {"Event": ` + ev + `}]`, false},
		{"broken", `{"Event": {`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "e.json")
			if err := os.WriteFile(path, []byte(tt.doc), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := readEventFile(path)
			if (err == nil) != tt.ok {
				t.Fatalf("got error %v, want ok %v", err, tt.ok)
			}
			if tt.ok && (got.Info == nil || *got.Info != "x") {
				t.Errorf("got %+v, want the event", got)
			}
		})
	}
}

func TestKeepDistribution(t *testing.T) {
	var ev misp.Event
	doc := `{"distribution": "4", "sharing_group_id": "7", "Attribute": [{"type": "md5",
		"value": "0749bae92ca336a02c83d126e04ec628", "distribution": "4", "sharing_group_id": "7"},
		{"type": "md5", "value": "1749bae92ca336a02c83d126e04ec628"}]}`
	if err := json.Unmarshal([]byte(doc), &ev); err != nil {
		t.Fatal(err)
	}
	if n := keepDistribution(&ev); n != 2 {
		t.Errorf("got %d narrowed, want 2 (the event and one attribute)", n)
	}
	a := ev.Attribute.Items
	if *ev.Distribution != 0 || ev.SharingGroupID != nil || *a[0].Distribution != 0 || *a[1].Distribution != 5 {
		t.Errorf("got event %d, attributes %d and %d, want 0, 0 and 5 (inherit)",
			*ev.Distribution, *a[0].Distribution, *a[1].Distribution)
	}
}
