package jobs

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/store"
	"github.com/cairn-intel/cairn/internal/store/pgtest"
	"github.com/cairn-intel/cairn/internal/store/storetest"
)

// TestMain runs the suite on SQLite, then on PostgreSQL when
// CAIRN_TEST_POSTGRES is set; started as a helper node by
// TestTwoProcesses, it runs that node instead.
func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(helperMain())
	}
	os.Exit(pgtest.Main(m))
}

const beat = 20 * time.Millisecond

func newRunner(t *testing.T, st *store.Store, node string) *Runner {
	t.Helper()
	return New(st, Options{Node: node, Heartbeat: beat, Logger: slog.New(slog.DiscardHandler)})
}

// start starts r and returns its stop, which may be called more than once;
// the test's end calls it too.
func start(t *testing.T, r *Runner) func() {
	t.Helper()
	stopRunner, err := r.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop := func() { once.Do(stopRunner) }
	t.Cleanup(stop)
	return stop
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func state(t *testing.T, st *store.Store, name string) store.JobState {
	t.Helper()
	j, err := st.JobStateOf(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// TestOncePerPeriodAcrossNodes: two nodes run a job once per period
// between them, never at the same time.
func TestOncePerPeriodAcrossNodes(t *testing.T) {
	st := storetest.Open(t, store.Options{})
	var running, overlaps, runs atomic.Int32
	job := Job{Name: "sweep", Every: 150 * time.Millisecond, Run: func(ctx context.Context) (string, error) {
		if running.Add(1) > 1 {
			overlaps.Add(1)
		}
		defer running.Add(-1)
		runs.Add(1)
		time.Sleep(30 * time.Millisecond)
		return "swept", nil
	}}
	var stops []func()
	began := time.Now()
	for _, node := range []string{"a", "b"} {
		r := newRunner(t, st, node)
		r.Register(job)
		stops = append(stops, start(t, r))
	}
	time.Sleep(1500 * time.Millisecond)
	for _, stop := range stops {
		stop()
	}
	want := int32(time.Since(began) / job.Every)
	if got := runs.Load(); got < want-3 || got > want+1 {
		t.Errorf("got %d runs in %s, want about %d", got, time.Since(began).Round(time.Millisecond), want)
	}
	if overlaps.Load() != 0 {
		t.Errorf("got %d overlapping runs, want none", overlaps.Load())
	}
	if j := state(t, st, "sweep"); j.LastResult != store.JobSuccess || j.LastStatus != "swept" ||
		j.Runs != int64(runs.Load()) {
		t.Errorf("got state %+v, want %d successful runs", j, runs.Load())
	}
}

func TestPanicIsRecordedAndTheJobGoesOn(t *testing.T) {
	st := storetest.Open(t, store.Options{})
	var calls atomic.Int32
	r := newRunner(t, st, "a")
	r.Register(Job{Name: "fragile", Every: 50 * time.Millisecond, Run: func(context.Context) (string, error) {
		if calls.Add(1) == 1 {
			panic("nil map")
		}
		return "", errors.New("still broken")
	}})
	start(t, r)
	waitFor(t, "three runs", func() bool { return calls.Load() >= 3 })
	j := state(t, st, "fragile")
	if j.LastResult != store.JobFailure || j.ErrorStreak < 2 {
		t.Errorf("got %+v, want failures in a row recorded", j)
	}
}

func TestStopCancelsRunsPromptly(t *testing.T) {
	st := storetest.Open(t, store.Options{})
	r := newRunner(t, st, "a")
	started := make(chan struct{})
	r.Register(Job{Name: "long", Every: time.Hour, Run: func(ctx context.Context) (string, error) {
		close(started)
		<-ctx.Done()
		return "", ctx.Err()
	}})
	stop := start(t, r)
	<-started
	begin := time.Now()
	stop()
	if took := time.Since(begin); took > time.Second {
		t.Errorf("stop took %s, want well under a second", took)
	}
	j := state(t, st, "long")
	if j.Running(st.Now()) || !strings.Contains(j.LastError, "shut down") || j.NextRun.After(st.Now()) {
		t.Errorf("got %+v, want the cut run recorded and the job due again at once", j)
	}
	nodes, err := st.Nodes(context.Background())
	if err != nil || len(nodes) != 1 || nodes[0].Stopped.IsZero() {
		t.Errorf("got nodes %+v, %v, want a recorded as stopped", nodes, err)
	}
}

func TestWakeRunsAtOnce(t *testing.T) {
	st := storetest.Open(t, store.Options{})
	wake := make(chan struct{}, 1)
	var runs atomic.Int32
	r := newRunner(t, st, "a")
	r.Register(Job{Name: "queue", Every: time.Hour, Wake: wake, Run: func(context.Context) (string, error) {
		runs.Add(1)
		return "", nil
	}})
	start(t, r)
	waitFor(t, "the first run", func() bool { return runs.Load() == 1 })
	wake <- struct{}{}
	waitFor(t, "the run after the wake", func() bool { return runs.Load() == 2 })
}

func TestPerNodeJobsRunOnEachNode(t *testing.T) {
	st := storetest.Open(t, store.Options{})
	var mu sync.Mutex
	seen := map[string]int{}
	for _, node := range []string{"a", "b"} {
		r := newRunner(t, st, node)
		r.Register(Job{Name: "reload", Every: time.Hour, PerNode: true, Run: func(context.Context) (string, error) {
			mu.Lock()
			seen[node]++
			mu.Unlock()
			return "", nil
		}})
		start(t, r)
	}
	waitFor(t, "a run on each node", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return seen["a"] == 1 && seen["b"] == 1
	})
	if j := state(t, st, "reload@b"); j.Scope != "b" || j.Runs != 1 {
		t.Errorf("got %+v, want b's own row", j)
	}
}

// TestLostLeaseStopsTheRun: a run whose lease another node took over (it
// expired) is cancelled, and leaves the new holder's lease alone.
func TestLostLeaseStopsTheRun(t *testing.T) {
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	st := storetest.Open(t, store.Options{Now: now})
	r := newRunner(t, st, "a")
	started, ended := make(chan struct{}), make(chan error, 1)
	r.Register(Job{Name: "slow", Every: time.Hour, Run: func(ctx context.Context) (string, error) {
		close(started)
		<-ctx.Done()
		ended <- context.Cause(ctx)
		return "", ctx.Err()
	}})
	start(t, r)
	<-started
	for {
		offset.Add(int64(time.Hour)) // past the lease, whatever the last renewal
		ok, err := st.ClaimJob(context.Background(), "slow", "b", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			break
		}
	}
	select {
	case cause := <-ended:
		if !errors.Is(cause, errLeaseLost) {
			t.Errorf("got cause %v, want errLeaseLost", cause)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the run went on after losing its lease")
	}
	if j := state(t, st, "slow"); j.Node != "b" || !j.Running(now()) {
		t.Errorf("got %+v, want b's run holding the job", j)
	}
}

func TestRegisterRefusesMistakes(t *testing.T) {
	run := func(context.Context) (string, error) { return "", nil }
	tests := []struct {
		name string
		job  Job
	}{
		{"no name", Job{Every: time.Second, Run: run}},
		{"name with @", Job{Name: "a@b", Every: time.Second, Run: run}},
		{"no period", Job{Name: "x", Run: run}},
		{"no function", Job{Name: "x", Every: time.Second}},
		{"twice", Job{Name: "dup", Every: time.Second, Run: run}},
	}
	r := New(nil, Options{})
	r.Register(Job{Name: "dup", Every: time.Second, Run: run})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("got no panic for %+v", tt.job)
				}
			}()
			r.Register(tt.job)
		})
	}
}

// lockedBuffer is a log destination safe for the runner's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestStartWarnsOfAnotherHeartbeat(t *testing.T) {
	st := storetest.Open(t, store.Options{})
	start(t, newRunner(t, st, "steady"))
	for _, tc := range []struct {
		name  string
		beat  time.Duration
		warns bool
	}{{"same-pace", beat, false}, {"slower", 5 * beat, true}} {
		var logs lockedBuffer
		r := New(st, Options{Node: tc.name, Heartbeat: tc.beat, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		start(t, r)
		if got := strings.Contains(logs.String(), "another live node beats at another pace"); got != tc.warns {
			t.Errorf("%s: got warning %v, want %v; logs:\n%s", tc.name, got, tc.warns, logs.String())
		}
	}
}
