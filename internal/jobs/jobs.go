// Package jobs runs Cairn's background work on the nodes that share one
// database. A job is a named function registered in one place (the
// server's); each run is claimed in the database, so that one node runs it
// while the others wait, and holds a lease its node renews as it works. A
// run recovers from a panic and records its outcome. A node that dies
// stops renewing: once its lease expires another node runs the job again.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/cairn-intel/cairn/internal/store"
)

// Func is the work of one run. It returns a short summary for operators
// ("12 events reindexed"; "" when there was nothing to do) or an error,
// and must return soon after ctx is cancelled: the node is stopping, or
// the run lost its lease to another node.
type Func func(ctx context.Context) (status string, err error)

// Job is one named piece of background work.
type Job struct {
	// Name identifies the job across the nodes: letters, digits and
	// underscores.
	Name string
	// Every is the time from the start of one run to the start of the
	// next, over all nodes. A failed run is tried again after Every too.
	Every time.Duration
	Run   Func
	// PerNode runs the job on every node, each for itself (reloading what
	// a process keeps in memory), instead of once across the nodes.
	PerNode bool
	// Wake, if set, makes the job due at once when it receives: a node
	// that queued work for the job says so instead of waiting for Every.
	Wake <-chan struct{}
}

// Options configure a Runner. Zero values take the defaults shown.
type Options struct {
	// Node names this process among those sharing the database:
	// store.DefaultNodeID().
	Node string
	// Heartbeat is how often the node says it is alive, renews the leases
	// of its runs and looks for due jobs: 30s. A lease lasts LeaseBeats
	// heartbeats. Every node of an instance must use the same value.
	Heartbeat time.Duration
	// Listen and Version describe the node in the nodes table.
	Listen, Version string
	// Logger receives the runs' outcomes; it should name the node.
	Logger *slog.Logger
}

// LeaseBeats is how many heartbeats a lease lasts: the margin for a
// renewal that waits behind a long write.
const LeaseBeats = 20

// Runner runs the registered jobs of one node.
type Runner struct {
	st    *store.Store
	opts  Options
	log   *slog.Logger
	lease time.Duration
	jobs  []Job
	names map[string]bool
}

// New returns a Runner for the node described by opts.
func New(st *store.Store, opts Options) *Runner {
	if opts.Node == "" {
		opts.Node = store.DefaultNodeID()
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Runner{st: st, opts: opts, log: opts.Logger, lease: LeaseBeats * opts.Heartbeat,
		names: map[string]bool{}}
}

// Node returns the name of the runner's node.
func (r *Runner) Node() string { return r.opts.Node }

// Register adds a job; call it before Start. A job without a valid name,
// a period or a function, or with a name taken, is a programming error
// and panics.
func (r *Runner) Register(j Job) {
	switch {
	case !validName(j.Name):
		panic(fmt.Sprintf("jobs: invalid job name %q", j.Name))
	case r.names[j.Name]:
		panic(fmt.Sprintf("jobs: job %q registered twice", j.Name))
	case j.Every <= 0 || j.Run == nil:
		panic(fmt.Sprintf("jobs: job %q needs a period and a function", j.Name))
	}
	r.names[j.Name] = true
	r.jobs = append(r.jobs, j)
}

func validName(s string) bool {
	return s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == ""
}

// Start registers the node in the database (store.ErrNodeInUse if a live
// process has its name) and runs its heartbeat and the jobs until ctx is
// cancelled or stop is called. stop cancels the runs in progress, waits
// for them, and records the node as stopped.
func (r *Runner) Start(ctx context.Context) (stop func(), err error) {
	host, pid := nodeProcess()
	err = r.st.RegisterNode(ctx, store.Node{ID: r.opts.Node, Hostname: host, PID: pid, Listen: r.opts.Listen,
		Version: r.opts.Version, Heartbeat: r.opts.Heartbeat})
	if err != nil {
		return nil, fmt.Errorf("register node %s: %w", r.opts.Node, err)
	}
	r.warnHeartbeats(ctx)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1 + len(r.jobs))
	go func() { defer wg.Done(); r.beat(ctx) }()
	for _, j := range r.jobs {
		go func() { defer wg.Done(); r.loop(ctx, j) }()
	}
	r.log.Info("job runner started", "action", "job", "jobs", len(r.jobs),
		"heartbeat", r.opts.Heartbeat.String())
	return func() {
		cancel()
		wg.Wait()
		sctx, done := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer done()
		if err := r.st.StopNode(sctx, r.opts.Node); err != nil {
			r.log.Warn("record node stopped", "action", "job", "error", err)
		}
	}, nil
}

// nodeProcess describes this process for the nodes table.
func nodeProcess() (hostname string, pid int64) {
	hostname, _ = os.Hostname() // "" is an acceptable description
	return hostname, int64(os.Getpid())
}

// beat tells the other nodes that this one is alive, every heartbeat.
func (r *Runner) beat(ctx context.Context) {
	t := time.NewTicker(r.opts.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := r.st.TouchNode(ctx, r.opts.Node)
		if errors.Is(err, store.ErrNotFound) {
			// Pruned while it could not reach the database: register again.
			host, pid := nodeProcess()
			err = r.st.RegisterNode(ctx, store.Node{ID: r.opts.Node, Hostname: host, PID: pid,
				Listen: r.opts.Listen, Version: r.opts.Version, Heartbeat: r.opts.Heartbeat})
		}
		if err != nil && ctx.Err() == nil {
			r.log.Warn("node heartbeat", "action", "job", "error", err)
		}
	}
}

// loop runs one job whenever it is due and this node wins the claim.
func (r *Runner) loop(ctx context.Context, j Job) {
	for {
		wait := r.attempt(ctx, j)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-j.Wake:
			t.Stop()
			if err := r.st.MarkJobDue(ctx, r.row(j)); err != nil && ctx.Err() == nil {
				r.log.Warn("mark job due", "action", "job", "job", j.Name, "error", err)
			}
		case <-t.C:
		}
	}
}

// row is the job's row in the jobs table.
func (r *Runner) row(j Job) string {
	if j.PerNode {
		return store.NodeJobName(j.Name, r.opts.Node)
	}
	return j.Name
}

// attempt runs the job if it is due and the claim is won, and returns how
// long to wait before looking again: until it is due, at most a heartbeat.
func (r *Runner) attempt(ctx context.Context, j Job) time.Duration {
	state, err := r.st.JobStateOf(ctx, r.row(j))
	now := r.st.Now()
	if err == nil && state.NextRun.After(now) {
		return min(state.NextRun.Sub(now)+time.Millisecond, r.opts.Heartbeat)
	}
	if err == nil && state.Running(now) {
		return r.opts.Heartbeat
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		r.warn(ctx, "read job", j, err)
		return r.opts.Heartbeat
	}
	claim := r.st.ClaimJob
	if j.PerNode {
		claim = r.st.ClaimNodeJob
	}
	ok, err := claim(ctx, j.Name, r.opts.Node, r.lease)
	if err != nil {
		r.warn(ctx, "claim job", j, err)
		return r.opts.Heartbeat
	}
	if ok {
		r.run(ctx, j)
		return 0 // look again at once: it may have been marked due meanwhile
	}
	return r.opts.Heartbeat
}

func (r *Runner) warn(ctx context.Context, msg string, j Job, err error) {
	if ctx.Err() == nil {
		r.log.Warn(msg, "action", "job", "job", j.Name, "error", err)
	}
}

// errLeaseLost cancels a run whose lease another node took over.
var errLeaseLost = errors.New("the job's lease expired and another node took the job over")

// run performs one claimed run: it renews the lease while the job works,
// and records the outcome.
func (r *Runner) run(ctx context.Context, j Job) {
	row := r.row(j)
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopRenew := r.renew(runCtx, cancel, row)
	started, clock := r.st.Now(), time.Now()
	status, err := r.call(runCtx, j)
	stopRenew()
	took := time.Since(clock)
	if errors.Is(context.Cause(runCtx), errLeaseLost) {
		r.log.Warn("job run stopped", "action", "job", "job", j.Name, "result", "failure",
			"error", errLeaseLost)
		return
	}
	res := store.JobResult{Status: status, Next: started.Add(j.Every)}
	if err != nil {
		res.Error = err.Error()
	}
	if err != nil && ctx.Err() != nil {
		// The node is stopping and cut the run short: another node should
		// run the job now rather than an Every later.
		res.Next, res.Error = r.st.Now(), "stopped: the node shut down during the run"
	}
	rctx, done := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer done()
	if ferr := r.st.FinishJob(rctx, row, r.opts.Node, res); ferr != nil {
		r.log.Error("record job run", "action", "job", "job", j.Name, "error", ferr)
	}
	r.logRun(j, res, took)
}

func (r *Runner) logRun(j Job, res store.JobResult, took time.Duration) {
	args := []any{"action", "job", "job", j.Name, "duration_ms", took.Milliseconds()}
	switch {
	case res.Error != "":
		r.log.Warn("job run failed", append(args, "result", "failure", "status", res.Status, "error", res.Error)...)
	case res.Status != "":
		r.log.Info("job run finished", append(args, "result", "success", "status", res.Status)...)
	default:
		r.log.Debug("job run finished", append(args, "result", "success")...)
	}
}

// call runs the job's function and turns a panic into its failure.
func (r *Runner) call(ctx context.Context, j Job) (status string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error: %v", p)
			r.log.Error("job panicked", "action", "job", "job", j.Name, "error", err,
				"stack", string(debug.Stack()))
		}
	}()
	return j.Run(ctx)
}

// renew pushes the run's lease forward every heartbeat until stop is
// called; a lease found lost cancels the run with errLeaseLost.
func (r *Runner) renew(ctx context.Context, cancel context.CancelCauseFunc, row string) (stop func()) {
	return KeepLease(ctx, cancel, r.opts.Heartbeat, errLeaseLost,
		func(ctx context.Context) (bool, error) { return r.st.RenewJob(ctx, row, r.opts.Node, r.lease) },
		func(err error) { r.log.Warn("renew job lease", "action", "job", "job", row, "error", err) })
}

// warnHeartbeats warns when a live node of the database beats at another
// pace: each node judges the claims of the others by its own heartbeat, so
// a node beating much slower than another may see its claims taken over
// while it still works.
func (r *Runner) warnHeartbeats(ctx context.Context) {
	nodes, err := r.st.Nodes(ctx)
	if err != nil {
		r.log.Warn("list nodes", "action", "job", "error", err)
		return
	}
	now := time.Now()
	for _, n := range nodes {
		if n.ID != r.opts.Node && n.Alive(now) && n.Heartbeat != r.opts.Heartbeat {
			r.log.Warn("another live node beats at another pace; give every node the same --heartbeat",
				"action", "job", "other_node", n.ID, "other_heartbeat", n.Heartbeat.String(),
				"heartbeat", r.opts.Heartbeat.String())
		}
	}
}

// KeepLease calls renew every beat until the returned stop is called, for
// work that holds a lease in the database (a job run, a feed pull). A
// renewal reporting the lease lost cancels the work with lost; one that
// fails is passed to warn and tried again at the next beat.
func KeepLease(ctx context.Context, cancel context.CancelCauseFunc, beat time.Duration, lost error,
	renew func(context.Context) (bool, error), warn func(error)) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(beat)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			ok, err := renew(ctx)
			switch {
			case err != nil && ctx.Err() == nil:
				warn(err)
			case err == nil && !ok:
				cancel(lost)
				return
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
