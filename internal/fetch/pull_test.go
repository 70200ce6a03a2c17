package fetch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/feed"
	"github.com/cairn-intel/cairn/internal/store"
)

// TestSamplesPull pulls every shared list-feed sample from a loopback
// server into a fresh store with its preset, then pulls it again. The
// counts are those of internal/feed's TestSamples; every value of every
// sample is distinct (checked with python3 csv/json and sort -u), so the
// values created are the items parsed.
func TestSamplesPull(t *testing.T) {
	requireSamples(t)
	tests := []struct {
		name, preset, dir, file string
		created, skipped        int
	}{
		{"URLhaus", "URLhaus", "urlhaus", "csv_recent.csv", 191, 9},
		{"Feodo recommended", "Feodo Tracker", "feodo", "ipblocklist_recommended.txt", 190, 10},
		{"Feodo CSV", "Feodo IP Blocklist", "feodo", "ipblocklist.csv", 28, 10},
		{"blocklist.de", "blocklist.de/lists/all.txt", "blocklistde", "all.txt", 200, 0},
		{"OpenPhish", "OpenPhish url list", "openphish", "feed.txt", 200, 0},
		{"ThreatFox", "ThreatFox", "threatfox", "recent.json", 11, 0},
		{"SSLBL", "abuse.ch SSL Blacklist", "sslbl", "sslblacklist.csv", 190, 10},
		{"SSLBL 2018", "abuse.ch SSL Blacklist", "sslbl", "sslblacklist_2018-07-26_legacy-header.csv", 60, 10},
		{"MalwareBazaar", "MalwareBazaar", "malwarebazaar", "sha256_recent.txt", 190, 10},
		{"PhishTank", "Phishtank online valid phishing", "phishtank", "online-valid.csv", 199, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			st, _ := newStore(t, c.now)
			srv := serveDir(t, samplePath(tt.dir))
			f := presetFeed(t, st, tt.preset, srv.URL+"/"+tt.file)
			p := New(st, testOptions())

			first := mustPull(t, p, f)
			if first.Created != tt.created || first.Rejected != 0 || first.Skipped != tt.skipped {
				t.Errorf("first pull: got created %d rejected %d skipped %d %v, want %d, 0, %d",
					first.Created, first.Rejected, first.Skipped, first.Rejects, tt.created, tt.skipped)
			}
			if n := liveAttributes(t, st, first.EventID); n != tt.created {
				t.Errorf("got %d live attributes in event %d, want %d", n, first.EventID, tt.created)
			}
			c.add(time.Hour)
			second := mustPull(t, p, reload(t, st, f))
			if second.Created != 0 || second.Updated != 0 || second.Deleted != 0 || second.Unchanged != tt.created {
				t.Errorf("second pull: got created %d updated %d deleted %d unchanged %d, want 0, 0, 0, %d",
					second.Created, second.Updated, second.Deleted, second.Unchanged, tt.created)
			}
			if second.EventID != first.EventID {
				t.Errorf("second pull wrote event %d, want the fixed event %d", second.EventID, first.EventID)
			}
		})
	}
}

// mustPull pulls f and fails the test unless the pull succeeded.
func mustPull(t *testing.T, p *Puller, f store.Feed) *Report {
	t.Helper()
	rep, err := p.Pull(context.Background(), f)
	if err != nil {
		t.Fatalf("pull %s: %v", f.Name, err)
	}
	if !rep.Succeeded() {
		t.Fatalf("pull %s: got %s, want success", f.Name, rep.Result)
	}
	return rep
}

func liveAttributes(t *testing.T, st *store.Store, eventID int64) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRow(st.Rebind(`SELECT COUNT(*) FROM attributes WHERE event_id = ? AND deleted = 0`),
		eventID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// listServer serves a body that the test can change.
type listServer struct {
	mu   sync.Mutex
	body string
	hits int
	srv  *httptest.Server
}

func newListServer(t *testing.T, body string) *listServer {
	ls := &listServer{body: body}
	ls.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ls.mu.Lock()
		b := ls.body
		ls.hits++
		ls.mu.Unlock()
		_, _ = w.Write([]byte(b))
	}))
	t.Cleanup(ls.srv.Close)
	return ls
}

func (ls *listServer) set(body string) {
	ls.mu.Lock()
	ls.body = body
	ls.mu.Unlock()
}

func TestDeltaMerge(t *testing.T) {
	c := newClock()
	st, a := newStore(t, c.now)
	ls := newListServer(t, "# list A\n198.51.100.1\n198.51.100.2\nhttps://bad.example/x\n")
	f := listFeed(t, st, "delta", ls.srv.URL, true)
	p := New(st, testOptions())
	first := mustPull(t, p, f)
	ev, err := st.EventByRef(context.Background(), a, itoa(first.EventID), store.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}

	c.add(time.Hour)
	ls.set("# list B\n198.51.100.1\nhttps://bad.example/x\n203.0.113.9\n")
	second := mustPull(t, p, reload(t, st, f))
	if second.Created != 1 || second.Deleted != 1 || second.Unchanged != 2 {
		t.Errorf("got created %d deleted %d unchanged %d, want 1, 1, 2", second.Created, second.Deleted, second.Unchanged)
	}
	var deleted int
	var ts int64
	if err := st.DB().QueryRow(`SELECT deleted, timestamp FROM attributes WHERE value1 = '198.51.100.2'`).
		Scan(&deleted, &ts); err != nil {
		t.Fatal(err)
	}
	if deleted != 1 || ts != c.now().Unix() {
		t.Errorf("removed value: got deleted %d timestamp %d, want 1 and %d", deleted, ts, c.now().Unix())
	}
	after, err := st.EventByRef(context.Background(), a, itoa(first.EventID), store.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.Timestamp <= ev.Timestamp || after.AttributeCount != 3 {
		t.Errorf("event: got timestamp %d (was %d) and %d attributes, want a later timestamp and 3",
			after.Timestamp, ev.Timestamp, after.AttributeCount)
	}

	// A pull in the same second still moves the event's timestamp.
	ls.set("198.51.100.1\n")
	third := mustPull(t, p, reload(t, st, f))
	again, _ := st.EventByRef(context.Background(), a, itoa(first.EventID), store.LoadOptions{})
	if third.Deleted != 2 || again.Timestamp <= after.Timestamp {
		t.Errorf("third pull: got deleted %d, timestamp %d (was %d), want 2 and a later timestamp",
			third.Deleted, again.Timestamp, after.Timestamp)
	}
}

func TestWithoutDeltaMergeOnlyAdds(t *testing.T) {
	st, _ := newStore(t, nil)
	ls := newListServer(t, "198.51.100.1\n198.51.100.2\n")
	f := listFeed(t, st, "append", ls.srv.URL, false)
	p := New(st, testOptions())
	first := mustPull(t, p, f)
	ls.set("198.51.100.3\n")
	second := mustPull(t, p, reload(t, st, f))
	if second.Created != 1 || second.Deleted != 0 || liveAttributes(t, st, first.EventID) != 3 {
		t.Errorf("got created %d deleted %d, want 1 and 0 with 3 values kept", second.Created, second.Deleted)
	}
}

func TestBodyWithoutIndicatorsFails(t *testing.T) {
	tests := []struct {
		name, body string
		fails      bool
	}{
		{"prose", "hello world\nthis is not a list\n", true},
		{"html error page", "<html><body><h1>Service unavailable</h1></body></html>\n", true},
		{"comments only: an empty list", "# Feodo Tracker\n# END 0 entries\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _ := newStore(t, nil)
			ls := newListServer(t, tt.body)
			f := listFeed(t, st, "silent", ls.srv.URL, true)
			rep, err := New(st, testOptions()).Pull(context.Background(), f)
			if (err != nil) != tt.fails || rep.Succeeded() == tt.fails {
				t.Fatalf("got error %v and result %s, want failure %v", err, rep.Result, tt.fails)
			}
			h := reload(t, st, f).Health
			if tt.fails && (h.ErrorStreak != 1 || h.LastError == "" || h.LastSuccess != 0) {
				t.Errorf("health: got streak %d error %q success %d, want a recorded failure",
					h.ErrorStreak, h.LastError, h.LastSuccess)
			}
			if c, _ := st.Count(context.Background()); tt.fails && c.Events != 0 {
				t.Errorf("a failed pull created %d events", c.Events)
			}
		})
	}
}

func TestFailedPullChangesNothing(t *testing.T) {
	c := newClock()
	st, _ := newStore(t, c.now)
	var mu sync.Mutex
	stall := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		s := stall
		mu.Unlock()
		if !s {
			_, _ = w.Write([]byte("198.51.100.1\n198.51.100.2\n"))
			return
		}
		// Half of list B, then silence: the pull must leave list A alone.
		_, _ = w.Write([]byte("198.51.100.9\n"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	f := listFeed(t, st, "half", srv.URL, true)
	opts := testOptions()
	opts.Inactivity, opts.BatchSize = 300*time.Millisecond, 1 // stage each value as it comes
	p := New(st, opts)
	first := mustPull(t, p, f)

	mu.Lock()
	stall = true
	mu.Unlock()
	c.add(time.Hour)
	rep, err := p.Pull(context.Background(), reload(t, st, f))
	var idle *InactivityError
	if !errors.As(err, &idle) || rep.Succeeded() {
		t.Fatalf("got %v, want an inactivity failure", err)
	}
	if n := liveAttributes(t, st, first.EventID); n != 2 {
		t.Errorf("got %d live attributes after the failed pull, want the 2 of the last good pull", n)
	}
	var staged int
	if err := st.DB().QueryRow(`SELECT COUNT(*) FROM feed_staging`).Scan(&staged); err != nil || staged != 0 {
		t.Errorf("got %d staged rows (%v), want none", staged, err)
	}
}

func TestInactivityTimeout(t *testing.T) {
	stalling := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("198.51.100.1\n198.51"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer stalling.Close()
	trickling := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := range 20 { // a line every 100 ms for 2 s
			_, _ = w.Write([]byte("198.51.100." + itoa(int64(i+1)) + "\n"))
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond)
		}
	}))
	defer trickling.Close()

	st, _ := newStore(t, nil)
	opts := testOptions()
	opts.Inactivity = time.Second
	p := New(st, opts)

	start := time.Now()
	rep, err := p.Pull(context.Background(), listFeed(t, st, "stalls", stalling.URL, false))
	took := time.Since(start)
	var idle *InactivityError
	if !errors.As(err, &idle) || !strings.Contains(rep.Error, "inactivity timeout") {
		t.Errorf("stalling server: got %v, want an inactivity timeout", err)
	}
	if took < time.Second || took > 2500*time.Millisecond {
		t.Errorf("stalling server: gave up after %s, want about the 1 s window", took)
	}

	start = time.Now()
	rep = mustPull(t, p, listFeed(t, st, "trickles", trickling.URL, false))
	if rep.Created != 20 || time.Since(start) < 2*time.Second {
		t.Errorf("trickling server: got %d values in %s, want 20 in 2 s or more", rep.Created, time.Since(start))
	}
}

func TestPullAllSurvivesAFailingFeed(t *testing.T) {
	st, _ := newStore(t, nil)
	good := newListServer(t, "198.51.100.1\n")
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gone", http.StatusInternalServerError)
	}))
	defer broken.Close()
	listFeed(t, st, "first", good.srv.URL, false)
	listFeed(t, st, "broken", broken.URL, false)
	listFeed(t, st, "last", good.srv.URL+"/again", false)
	disabled := listFeed(t, st, "off", good.srv.URL, false)
	if err := st.EnableFeed(context.Background(), disabled.ID, false); err != nil {
		t.Fatal(err)
	}
	reports, err := New(st, testOptions()).PullAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range reports {
		got = append(got, r.Feed+":"+r.Result)
	}
	want := "first:success broken:failure last:success"
	if strings.Join(got, " ") != want {
		t.Errorf("got %q, want %q", strings.Join(got, " "), want)
	}
	if reports[1].Retries != 3 {
		t.Errorf("broken feed: got %d retries, want 3", reports[1].Retries)
	}
}

func TestPerPullEventFeed(t *testing.T) {
	st, _ := newStore(t, nil)
	ls := newListServer(t, "198.51.100.1\n198.51.100.2\n")
	f, err := st.CreateFeed(context.Background(), store.Feed{Name: "per pull", URL: ls.srv.URL,
		SourceFormat: "freetext", Schedule: time.Hour, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	p := New(st, testOptions())
	first := mustPull(t, p, f)
	same := mustPull(t, p, reload(t, st, f))
	ls.set("198.51.100.3\n")
	third := mustPull(t, p, reload(t, st, f))
	if first.Created != 2 || same.Created != 0 || same.Unchanged != 2 || third.Created != 1 {
		t.Errorf("got created %d, %d (unchanged %d), %d, want 2, 0 (2), 1",
			first.Created, same.Created, same.Unchanged, third.Created)
	}
	if third.EventID == first.EventID {
		t.Errorf("got the same event %d for two different bodies, want one event per pull", third.EventID)
	}
}

func TestLocalFeed(t *testing.T) {
	requireSamples(t)
	st, _ := newStore(t, nil)
	path, err := filepath.Abs(samplePath("openphish", "feed.txt"))
	if err != nil {
		t.Fatal(err)
	}
	preset, _ := feed.PresetByName("OpenPhish url list")
	for i, url := range []string{path, "file://" + path} {
		f := FeedFromPreset(preset)
		f.Name, f.URL, f.Enabled = "local "+itoa(int64(i)), url, true
		f, err := st.CreateFeed(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		if rep := mustPull(t, New(st, testOptions()), f); rep.Created != 200 || rep.Bytes == 0 {
			t.Errorf("%s: got %d created from %d bytes, want 200", url, rep.Created, rep.Bytes)
		}
	}
}

// TestEmptyBodyKeepsValues: an empty answer does not wipe a delta-merged
// event, while a list emptied on purpose (comment lines only) does.
func TestEmptyBodyKeepsValues(t *testing.T) {
	st, _ := newStore(t, nil)
	ls := newListServer(t, "198.51.100.1\n198.51.100.2\n")
	f := listFeed(t, st, "empty", ls.srv.URL, true)
	p := New(st, testOptions())
	first := mustPull(t, p, f)

	ls.set("")
	rep := mustPull(t, p, reload(t, st, f))
	if rep.Deleted != 0 || liveAttributes(t, st, first.EventID) != 2 || len(rep.Notes) == 0 {
		t.Errorf("empty body: got %d deleted, notes %v, want none deleted and a note", rep.Deleted, rep.Notes)
	}
	ls.set("# no entries today\n")
	rep = mustPull(t, p, reload(t, st, f))
	if rep.Deleted != 2 || liveAttributes(t, st, first.EventID) != 0 {
		t.Errorf("emptied list: got %d deleted, want 2", rep.Deleted)
	}
}

// TestLostClaimStopsThePull: a pull whose claim another node took over (it
// went stale) stops instead of writing the feed alongside the new holder,
// and leaves the new holder's claim alone.
func TestLostClaimStopsThePull(t *testing.T) {
	requested := make(chan struct{}, 1)
	stalling := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("198.51.100.1\n"))
		w.(http.Flusher).Flush()
		requested <- struct{}{}
		<-r.Context().Done()
	}))
	defer stalling.Close()
	c := newClock()
	st, _ := newStore(t, c.now)
	f := listFeed(t, st, "taken", stalling.URL, false)
	opts := testOptions()
	opts.Node, opts.Heartbeat = "here", 20*time.Millisecond

	done := make(chan error, 1)
	go func() {
		_, err := New(st, opts).Pull(context.Background(), f)
		done <- err
	}()
	<-requested
	ctx := context.Background()
	for {
		c.add(time.Hour) // past the stale limit, whatever the last renewal
		ok, err := st.ClaimFeed(ctx, store.FeedClaim{FeedID: f.ID, Node: "there", Stale: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			break
		}
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrClaimLost) {
			t.Errorf("got %v, want ErrClaimLost", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the pull went on after losing its claim")
	}
	if h := reload(t, st, f).Health; h.PullingSince == 0 || h.PullingNode != "there" {
		t.Errorf("got claim %d of %q, want the new holder's kept", h.PullingSince, h.PullingNode)
	}
}
