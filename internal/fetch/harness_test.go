package fetch

import (
	"context"
	"github.com/cairn-intel/cairn/internal/store/storetest"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/feed"
	"github.com/cairn-intel/cairn/internal/store"
)

// newStore opens a fresh database with a site administrator. now, when
// set, is the store's clock.
func newStore(t testing.TB, now func() time.Time) (*store.Store, *store.Actor) {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, store.Options{Now: now})
	if _, err := st.Initialise(ctx, store.Bootstrap{OrgName: "Host", AdminEmail: "admin@host.test",
		KeyHash: "h", RawKey: "k"}); err != nil {
		t.Fatal(err)
	}
	a, err := st.CLIActor(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	return st, a
}

// clock is a settable test clock, safe for the scheduler to read.
type clock struct{ unix atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.unix.Store(1_750_000_000)
	return c
}

func (c *clock) now() time.Time      { return time.Unix(c.unix.Load(), 0) }
func (c *clock) add(d time.Duration) { c.unix.Add(int64(d / time.Second)) }

func testOptions() Options {
	return Options{Version: "test", RetryBase: 10 * time.Millisecond, Inactivity: 5 * time.Second}
}

func samplePath(parts ...string) string {
	return filepath.Join(append([]string{"..", "..", "..", "shared", "testdata", "feeds"}, parts...)...)
}

// serveDir serves the files of dir on loopback.
func serveDir(t *testing.T, dir string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	return srv
}

// requireSamples skips a test when the shared samples are not there.
func requireSamples(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(samplePath()); err != nil {
		t.Skipf("feed samples are not available: %v", err)
	}
}

// presetFeed creates a feed from a preset, enabled, reading url.
func presetFeed(t testing.TB, st *store.Store, name, url string) store.Feed {
	t.Helper()
	p, ok := feed.PresetByName(name)
	if !ok {
		t.Fatalf("no preset %q", name)
	}
	f := FeedFromPreset(p)
	f.URL, f.Enabled = url, true
	created, err := st.CreateFeed(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return created
}

// listFeed creates an enabled freetext feed with a fixed event.
func listFeed(t *testing.T, st *store.Store, name, url string, delta bool) store.Feed {
	t.Helper()
	f, err := st.CreateFeed(context.Background(), store.Feed{Name: name, URL: url, SourceFormat: "freetext",
		Schedule: time.Hour, Enabled: true, FixedEvent: true, DeltaMerge: delta})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// reload reads a feed back from the store.
func reload(t *testing.T, st *store.Store, f store.Feed) store.Feed { return reloadTB(t, st, f) }

func reloadTB(t testing.TB, st *store.Store, f store.Feed) store.Feed {
	t.Helper()
	got, err := st.FeedByRef(context.Background(), itoa(f.ID))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
