package fetch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/cairn-intel/cairn/internal/jobs"
	"github.com/cairn-intel/cairn/internal/store"
	"github.com/cairn-intel/cairn/internal/warninglist"
)

// Options configure a Puller. Zero values take the defaults shown.
type Options struct {
	// Version is Cairn's version, for the User-Agent
	// "Cairn/<version> (+feed fetcher)".
	Version string
	Logger  *slog.Logger
	// Inactivity is how long a download may bring no data: 60s.
	Inactivity time.Duration
	// Retries is how many times a request is tried again after a
	// connection error or a 5xx or 429 answer: 3. Negative means none.
	Retries int
	// RetryBase is the first wait between tries, doubled each time: 2s;
	// RetryMax caps it, and any Retry-After the server sends: 1m.
	RetryBase, RetryMax time.Duration
	// BatchSize is how many indicators are staged per write: 5000.
	BatchSize int
	// TempDir receives the event files of MISP feed pulls: os.TempDir().
	TempDir string
	// Heartbeat is how often a running pull renews its claim on the feed:
	// 30s. A claim not renewed for twenty heartbeats is taken over: its
	// process died. (A renewal waits while a long transaction holds the
	// writer, hence the margin.)
	Heartbeat time.Duration
	// Node names this process among those sharing the database, so that
	// only it renews and releases its claims: store.DefaultNodeID().
	Node string
	// Tick is how often the scheduler looks for due feeds: SchedulerTick.
	Tick time.Duration
	// Actor is who pulls write as: nil for the first site administrator.
	Actor *store.Actor
	// Warninglists are the lists pulls check values against, shared with
	// the API so that enabling a list or reloading the directory reaches
	// the next pull; nil reads them from the store's settings at the
	// first pull.
	Warninglists *warninglist.Registry
}

func (o Options) withDefaults() Options {
	set := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	set(&o.Inactivity, time.Minute)
	set(&o.RetryBase, 2*time.Second)
	set(&o.RetryMax, time.Minute)
	set(&o.Heartbeat, 30*time.Second)
	set(&o.Tick, SchedulerTick)
	if o.Node == "" {
		o.Node = store.DefaultNodeID()
	}
	switch {
	case o.Retries == 0:
		o.Retries = 3
	case o.Retries < 0:
		o.Retries = 0
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 5000
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.TempDir == "" {
		o.TempDir = os.TempDir()
	}
	return o
}

// Puller pulls feeds into a store.
type Puller struct {
	st   *store.Store
	log  *slog.Logger
	opts Options

	wlMu sync.Mutex
	wl   *warninglist.Registry
}

// New returns a Puller writing into st.
func New(st *store.Store, opts Options) *Puller {
	opts = opts.withDefaults()
	return &Puller{st: st, log: opts.Logger, opts: opts, wl: opts.Warninglists}
}

// claimStaleBeats is how many heartbeats a claim may miss before another
// pull takes the feed over.
const claimStaleBeats = 20

// ErrBusy is returned when another pull of the feed is running.
var ErrBusy = fmt.Errorf("%w: a pull of this feed is already running", store.ErrConflict)

// ErrClaimLost stops a pull whose claim went stale and was taken over by
// another node: the two must not write the feed at once.
var ErrClaimLost = errors.New("the claim on the feed went stale and another node took the pull over")

// Pull downloads and stores one feed, records the pull and its report, and
// returns the report. The error is the pull's failure, also in the report;
// a pull that could not start (ErrBusy, a database fault) returns a nil
// report.
func (p *Puller) Pull(ctx context.Context, f store.Feed) (*Report, error) {
	return p.pull(ctx, f, nil)
}

// pull is Pull; with seen set, only if no pull started since f was read
// (see store.FeedClaim).
func (p *Puller) pull(ctx context.Context, f store.Feed, seen *store.FeedHealth) (*Report, error) {
	ok, err := p.st.ClaimFeed(ctx, store.FeedClaim{FeedID: f.ID, Node: p.opts.Node,
		Stale: claimStaleBeats * p.opts.Heartbeat, Seen: seen})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrBusy
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopBeat := p.heartbeat(runCtx, cancel, f.ID)
	rep := &Report{FeedID: f.ID, Feed: f.Name, Format: f.SourceFormat,
		Started: p.st.Now().UTC().Truncate(time.Millisecond), Rejects: []RejectedLine{}}
	start := time.Now()
	err = p.runGuarded(runCtx, f, rep)
	stopBeat()
	if cause := context.Cause(runCtx); errors.Is(cause, ErrClaimLost) {
		err = cause
	}
	rep.Duration = time.Since(start).Seconds()
	rep.Result = resultSuccess
	if err != nil {
		rep.Result, rep.Error = resultFailure, storable(err.Error())
	}
	if rerr := p.record(ctx, f, rep); rerr != nil {
		p.log.Error("record feed pull", "action", "feed_pull", "feed", f.Name, "error", rerr)
	}
	p.logReport(rep)
	return rep, err
}

// runGuarded runs the pull and turns a panic into its failure.
func (p *Puller) runGuarded(ctx context.Context, f store.Feed, rep *Report) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error during the pull: %v", r)
		}
	}()
	return p.run(ctx, f, rep)
}

func (p *Puller) run(ctx context.Context, f store.Feed, rep *Report) error {
	set, err := DecodeSettings(f.SourceFormat, f.Settings)
	if err != nil {
		return err
	}
	actor, err := p.actor(ctx)
	if err != nil {
		return err
	}
	src, err := p.newSource(f, rep)
	if err != nil {
		return err
	}
	wl, err := p.newWarninglister(ctx, set.Warninglist, rep)
	if err != nil {
		return err
	}
	if f.SourceFormat == "misp" {
		return p.pullMISP(ctx, &mispPull{p: p, f: f, set: set, actor: actor, src: src, rep: rep, wl: wl})
	}
	return p.pullList(ctx, &listPull{p: p, f: f, set: set, actor: actor, src: src, rep: rep, wl: wl})
}

func (p *Puller) actor(ctx context.Context) (*store.Actor, error) {
	if p.opts.Actor != nil {
		return p.opts.Actor, nil
	}
	return p.st.CLIActor(ctx, "")
}

// record stores the report, even when ctx was cancelled: a pull stopped
// by a shutdown is a failure worth knowing about.
func (p *Puller) record(ctx context.Context, f store.Feed, rep *Report) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return p.st.RecordFeedPull(rctx, store.FeedPull{FeedID: f.ID, Started: rep.Started.Unix(),
		Finished: p.st.Now().Unix(), Success: rep.Succeeded(), Error: rep.Error, Report: rep.JSON(), Node: p.opts.Node})
}

func (p *Puller) logReport(rep *Report) {
	args := []any{"action", "feed_pull", "result", rep.Result, "feed", rep.Feed, "feed_id", rep.FeedID,
		"created", rep.Created, "updated", rep.Updated, "unchanged", rep.Unchanged, "deleted", rep.Deleted,
		"rejected", rep.Rejected, "warninglisted", rep.Warninglisted, "bytes", rep.Bytes,
		"duration_ms", int64(rep.Duration * 1000)}
	if rep.Succeeded() {
		p.log.Info("feed pull finished", args...)
		return
	}
	p.log.Warn("feed pull failed", append(args, "error", rep.Error)...)
}

// heartbeat renews the claim on the feed until the returned stop is
// called. A claim found lost cancels the pull with ErrClaimLost.
func (p *Puller) heartbeat(ctx context.Context, cancel context.CancelCauseFunc, id int64) (stop func()) {
	return jobs.KeepLease(ctx, cancel, p.opts.Heartbeat, ErrClaimLost,
		func(ctx context.Context) (bool, error) { return p.st.RenewFeedClaim(ctx, id, p.opts.Node) },
		func(err error) { p.log.Warn("renew feed claim", "action", "feed_pull", "feed_id", id, "error", err) })
}

// PullAll pulls every enabled feed, one after the other. A feed that fails
// is recorded and the next one pulled; a feed already being pulled
// elsewhere is skipped. The error is only for a listing fault or a
// cancelled ctx; the reports of the pulls done so far come with it.
func (p *Puller) PullAll(ctx context.Context) ([]*Report, error) {
	feeds, err := p.st.Feeds(ctx)
	if err != nil {
		return nil, err
	}
	var reports []*Report
	for _, f := range feeds {
		if !f.Enabled {
			continue
		}
		if err := ctx.Err(); err != nil {
			return reports, err
		}
		rep, err := p.Pull(ctx, f)
		switch {
		case errors.Is(err, ErrBusy):
			p.log.Info("feed skipped: a pull is running", "action", "feed_pull", "result", "skip", "feed", f.Name)
		case rep == nil && err != nil:
			p.log.Warn("feed pull could not start", "action", "feed_pull", "result", "failure",
				"feed", f.Name, "error", err)
		case rep != nil:
			reports = append(reports, rep)
		}
	}
	return reports, nil
}
