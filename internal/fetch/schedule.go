package fetch

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/cairn-intel/cairn/internal/store"
)

// Health is a feed's state as its pulls left it.
type Health struct {
	// Status is "disabled", "pulling", "never pulled", "failing", "stale"
	// or "ok".
	Status           string `json:"status"`
	LastFetchStarted int64  `json:"last_fetch_started"`
	LastSuccess      int64  `json:"last_success"`
	LastError        string `json:"last_error"`
	ErrorStreak      int64  `json:"error_streak"`
	// Stale is set when the last success is older than two schedules;
	// OverdueSeconds is how long the feed is past its schedule.
	Stale          bool  `json:"stale"`
	OverdueSeconds int64 `json:"overdue_seconds"`
	NextPull       int64 `json:"next_pull"` // 0 when disabled
	// PullingNode is the node that pulls the feed now, or pulled it last.
	PullingNode string `json:"pulling_node"`
}

// retryDelay is the wait after a failed pull: a minute, doubled with each
// failure in a row, never more than the schedule.
func retryDelay(f store.Feed) time.Duration {
	d := time.Minute << min(f.Health.ErrorStreak-1, 16)
	return min(d, f.Schedule)
}

// NextPull is when the scheduler pulls the feed next: one schedule after
// its last success, or sooner after a failure (see retryDelay). A feed
// never pulled is due at once.
func NextPull(f store.Feed) time.Time {
	h := f.Health
	if h.LastSuccess == 0 && h.LastFetchStarted == 0 {
		return time.Unix(0, 0)
	}
	next := time.Unix(h.LastSuccess, 0).Add(f.Schedule)
	if h.ErrorStreak > 0 {
		next = time.Unix(h.LastFetchStarted, 0).Add(retryDelay(f))
	}
	return next
}

// HealthOf describes a feed at time now.
func HealthOf(f store.Feed, now time.Time) Health {
	h := Health{LastFetchStarted: f.Health.LastFetchStarted, LastSuccess: f.Health.LastSuccess,
		LastError: f.Health.LastError, ErrorStreak: f.Health.ErrorStreak, PullingNode: f.Health.PullingNode}
	due := time.Unix(f.Health.LastSuccess, 0).Add(f.Schedule)
	if f.Health.LastSuccess != 0 && now.After(due) {
		h.OverdueSeconds = int64(now.Sub(due) / time.Second)
	}
	h.Stale = f.Enabled && (f.Health.LastSuccess == 0 || now.After(due.Add(f.Schedule)))
	if f.Enabled {
		h.NextPull = NextPull(f).Unix()
	}
	switch {
	case !f.Enabled:
		h.Status = "disabled"
	case f.Health.PullingSince != 0:
		h.Status = "pulling"
	case f.Health.LastSuccess == 0 && f.Health.ErrorStreak == 0:
		h.Status = "never pulled"
	case f.Health.ErrorStreak > 0:
		h.Status = "failing"
	case h.Stale:
		h.Status = "stale"
	default:
		h.Status = "ok"
	}
	return h
}

// SchedulerTick is how often the scheduler looks for due feeds unless
// Options.Tick says otherwise.
var SchedulerTick = 30 * time.Second

// schedulerWorkers is how many feeds are pulled at the same time; each
// feed is only ever pulled once at a time.
const schedulerWorkers = 2

// Start runs the feed scheduler of the server until ctx is cancelled or
// stop is called: every tick (Options.Tick) it pulls the enabled feeds that
// are due (see NextPull), at most two at a time. The schedule rests on the
// stored last success, so a restart resumes where the last run stopped.
// Each node sharing the database runs a scheduler; the claim of each pull
// in the database makes one node pull a due feed, once. stop cancels
// running pulls (each is recorded as failed and leaves the data as it was)
// and waits for them.
func Start(ctx context.Context, st *store.Store, log *slog.Logger, opts Options) (stop func()) {
	opts.Logger = log
	ctx, cancel := context.WithCancel(ctx)
	p := New(st, opts)
	sc := &scheduler{p: p, st: st, log: log, tick: p.opts.Tick, running: map[int64]bool{},
		slots: make(chan struct{}, schedulerWorkers)}
	sc.wg.Add(1)
	go sc.loop(ctx)
	log.Info("feed scheduler started", "action", "feed_schedule", "tick", sc.tick.String())
	return func() {
		cancel()
		sc.wg.Wait()
	}
}

type scheduler struct {
	p     *Puller
	st    *store.Store
	log   *slog.Logger
	tick  time.Duration
	wg    sync.WaitGroup
	slots chan struct{}

	mu      sync.Mutex
	running map[int64]bool
}

func (sc *scheduler) loop(ctx context.Context) {
	defer sc.wg.Done()
	t := time.NewTicker(sc.tick)
	defer t.Stop()
	for {
		sc.startDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// startDue starts a pull for each due feed while a worker slot is free.
func (sc *scheduler) startDue(ctx context.Context) {
	feeds, err := sc.st.Feeds(ctx)
	if err != nil {
		if ctx.Err() == nil {
			sc.log.Error("list feeds", "action", "feed_schedule", "error", err)
		}
		return
	}
	now := sc.st.Now()
	for _, f := range feeds {
		if !f.Enabled || NextPull(f).After(now) || !sc.take(f.ID) {
			continue
		}
		select {
		case sc.slots <- struct{}{}:
		default:
			sc.release(f.ID)
			return // all workers busy: the next tick picks the rest up
		}
		sc.wg.Add(1)
		go sc.pull(ctx, f)
	}
}

func (sc *scheduler) pull(ctx context.Context, f store.Feed) {
	defer sc.wg.Done()
	defer func() { <-sc.slots }()
	defer sc.release(f.ID)
	// Errors are in the recorded report and logged by the Puller; ErrBusy
	// means another node pulls it, or just did.
	_, _ = sc.p.pull(ctx, f, &f.Health)
}

func (sc *scheduler) take(id int64) bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.running[id] {
		return false
	}
	sc.running[id] = true
	return true
}

func (sc *scheduler) release(id int64) {
	sc.mu.Lock()
	delete(sc.running, id)
	sc.mu.Unlock()
}
