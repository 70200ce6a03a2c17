package fetch

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/store"
)

func fastTicks(t *testing.T) {
	old := SchedulerTick
	SchedulerTick = 20 * time.Millisecond
	t.Cleanup(func() { SchedulerTick = old })
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSchedulerPullsDueFeedsAndResumes(t *testing.T) {
	fastTicks(t)
	c := newClock()
	st, _ := newStore(t, c.now)
	ls := newListServer(t, "198.51.100.7\n")
	f := listFeed(t, st, "hourly", ls.srv.URL, false)
	hits := func() int { ls.mu.Lock(); defer ls.mu.Unlock(); return ls.hits }

	stop := Start(context.Background(), st, slog.New(slog.DiscardHandler), testOptions())
	waitFor(t, "the first pull", func() bool { return reload(t, st, f).Health.LastSuccess != 0 })
	stop()

	// A restart within the hour pulls nothing; an hour later it pulls.
	stop = Start(context.Background(), st, slog.New(slog.DiscardHandler), testOptions())
	defer stop()
	time.Sleep(150 * time.Millisecond)
	if hits() != 1 {
		t.Fatalf("got %d downloads after a restart within the schedule, want 1", hits())
	}
	c.add(time.Hour)
	waitFor(t, "the pull an hour later", func() bool { return hits() == 2 })
}

func TestSchedulerStopsPromptly(t *testing.T) {
	fastTicks(t)
	var started atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("198.51.100.7\n"))
		w.(http.Flusher).Flush()
		started.Store(true)
		<-r.Context().Done()
	}))
	defer srv.Close()
	st, _ := newStore(t, nil)
	f := listFeed(t, st, "endless", srv.URL, false)
	opts := testOptions()
	opts.Inactivity = time.Minute
	stop := Start(context.Background(), st, slog.New(slog.DiscardHandler), opts)
	waitFor(t, "the download to start", started.Load)
	begin := time.Now()
	stop()
	if took := time.Since(begin); took > time.Second {
		t.Errorf("stop took %s, want well under a second", took)
	}
	h := reload(t, st, f).Health
	if h.ErrorStreak != 1 || h.PullingSince != 0 || h.LastSuccess != 0 {
		t.Errorf("got health %+v, want the cancelled pull recorded as a failure and the claim released", h)
	}
	if c, _ := st.Count(context.Background()); c.Events != 0 {
		t.Errorf("a cancelled pull stored %d events", c.Events)
	}
}

func TestHealth(t *testing.T) {
	now := time.Unix(1_750_000_000, 0)
	hour := int64(3600)
	base := store.Feed{Enabled: true, Schedule: time.Hour}
	with := func(h store.FeedHealth) store.Feed { f := base; f.Health = h; return f }
	tests := []struct {
		name   string
		f      store.Feed
		status string
		stale  bool
		next   int64
	}{
		{"never pulled", base, "never pulled", true, 0},
		{"fresh", with(store.FeedHealth{LastSuccess: now.Unix() - 60, LastFetchStarted: now.Unix() - 60}),
			"ok", false, now.Unix() - 60 + hour},
		{"overdue but not stale", with(store.FeedHealth{LastSuccess: now.Unix() - hour - 60}),
			"ok", false, now.Unix() - 60},
		{"stale", with(store.FeedHealth{LastSuccess: now.Unix() - 3*hour}), "stale", true, now.Unix() - 2*hour},
		{"failing: retried after a minute, then two", with(store.FeedHealth{LastSuccess: now.Unix() - 2*hour,
			LastFetchStarted: now.Unix() - 30, ErrorStreak: 2, LastError: "boom"}), "failing", false, now.Unix() + 90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := HealthOf(tt.f, now)
			if h.Status != tt.status || h.Stale != tt.stale || h.NextPull != tt.next {
				t.Errorf("got %s stale %v next %d, want %s %v %d", h.Status, h.Stale, h.NextPull,
					tt.status, tt.stale, tt.next)
			}
		})
	}
}
