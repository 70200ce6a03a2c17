package store

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/store/pgtest"
)

// testClock is a settable clock for lease tests.
type testClock struct{ ms atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.ms.Store(1_750_000_000_000)
	return c
}

func (c *testClock) now() time.Time      { return time.UnixMilli(c.ms.Load()) }
func (c *testClock) add(d time.Duration) { c.ms.Add(d.Milliseconds()) }

func TestJobLease(t *testing.T) {
	ctx := context.Background()
	c := newTestClock()
	s := openTestStore(t, Options{Now: c.now})
	claim := func(node string) bool {
		t.Helper()
		ok, err := s.ClaimJob(ctx, "sweep", node, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !claim("a") || claim("b") {
		t.Fatal("a new job: got no claim for a or a second claim for b, want a alone")
	}
	if ok, err := s.RenewJob(ctx, "sweep", "b", time.Minute); ok || err != nil {
		t.Errorf("renewal by a node without the lease: got %v, %v, want false", ok, err)
	}
	c.add(50 * time.Second)
	if ok, _ := s.RenewJob(ctx, "sweep", "a", time.Minute); !ok {
		t.Error("renewal by the holder failed")
	}
	c.add(50 * time.Second) // 100 s after the claim, 50 s after the renewal
	if claim("b") {
		t.Error("b took over a renewed lease")
	}
	if err := s.FinishJob(ctx, "sweep", "a", JobResult{Status: "3 swept", Next: c.now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if claim("b") {
		t.Error("b claimed a job that is not due")
	}
	j, err := s.JobStateOf(ctx, "sweep")
	if err != nil || j.Runs != 1 || j.LastResult != JobSuccess || j.LastStatus != "3 swept" || j.Node != "a" ||
		j.Running(c.now()) || !j.NextRun.Equal(c.now().Add(time.Hour)) {
		t.Fatalf("after a's run: got %+v, %v", j, err)
	}

	// Due again: b runs it and dies; after the lease expires a takes over,
	// and b's late report is refused.
	c.add(time.Hour)
	if !claim("b") {
		t.Fatal("b could not claim the due job")
	}
	c.add(59 * time.Second)
	if claim("a") {
		t.Error("a took over before the lease expired")
	}
	c.add(2 * time.Second)
	if !claim("a") {
		t.Fatal("a could not take over the expired lease")
	}
	if err := s.FinishJob(ctx, "sweep", "b", JobResult{Next: c.now()}); !errors.Is(err, ErrJobLost) ||
		!errors.Is(err, ErrConflict) {
		t.Errorf("late finish by b: got %v, want ErrJobLost", err)
	}
	if err := s.FinishJob(ctx, "sweep", "a", JobResult{Error: "disk full", Next: c.now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	j, _ = s.JobStateOf(ctx, "sweep")
	if j.Runs != 3 || j.LastResult != JobFailure || j.LastError != "disk full" || j.ErrorStreak != 1 {
		t.Errorf("after a failed run: got %+v", j)
	}
	if _, err := s.JobStateOf(ctx, "nothing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown job: got %v, want ErrNotFound", err)
	}
}

func TestMarkJobDue(t *testing.T) {
	ctx := context.Background()
	c := newTestClock()
	s := openTestStore(t, Options{Now: c.now})
	finish := func(next time.Duration) {
		t.Helper()
		if err := s.FinishJob(ctx, "index", "a", JobResult{Next: c.now().Add(next)}); err != nil {
			t.Fatal(err)
		}
	}
	due := func() bool {
		t.Helper()
		j, err := s.JobStateOf(ctx, "index")
		if err != nil {
			t.Fatal(err)
		}
		return !j.NextRun.After(c.now())
	}
	if ok, _ := s.ClaimJob(ctx, "index", "a", time.Minute); !ok {
		t.Fatal("first claim failed")
	}
	finish(time.Hour)
	if err := s.MarkJobDue(ctx, "index"); err != nil || !due() {
		t.Fatalf("an idle job marked due: got due %v, %v", due(), err)
	}

	// Marked while running: due again as soon as the run ends.
	if ok, _ := s.ClaimJob(ctx, "index", "a", time.Minute); !ok {
		t.Fatal("claim of the marked job failed")
	}
	c.add(time.Second)
	if err := s.MarkJobDue(ctx, "index"); err != nil {
		t.Fatal(err)
	}
	c.add(time.Second)
	finish(time.Hour)
	if !due() {
		t.Error("a job marked due during its run is not due after it")
	}
	if err := s.MarkJobDue(ctx, "unknown"); err != nil {
		t.Errorf("marking an unknown job: %v", err)
	}
}

// TestClaimJobOnce: nodes claiming a due job at the same moment get one
// run between them.
func TestClaimJobOnce(t *testing.T) {
	s := openTestStore(t, Options{})
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.ClaimJob(context.Background(), "once", string(rune('a'+i)), time.Minute)
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if got := wins.Load(); got != 1 {
		t.Errorf("got %d claims, want 1", got)
	}
}

func TestNodeJobsAndPrune(t *testing.T) {
	ctx := context.Background()
	c := newTestClock()
	s := openTestStore(t, Options{Now: c.now})
	for _, id := range []string{"a", "b"} {
		if err := s.RegisterNode(ctx, Node{ID: id, Heartbeat: time.Second}); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.ClaimNodeJob(ctx, "reload", id, time.Minute); !ok || err != nil {
			t.Fatalf("node job of %s: got %v, %v", id, ok, err)
		}
		if err := s.FinishJob(ctx, NodeJobName("reload", id), id, JobResult{Next: c.now()}); err != nil {
			t.Fatal(err)
		}
	}
	c.add(time.Hour)
	if err := s.TouchNode(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	n, err := s.PruneNodes(ctx, c.now().Add(-time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("prune: got %d, %v, want node a removed", n, err)
	}
	jobs, _ := s.JobStates(ctx)
	if len(jobs) != 1 || jobs[0].Name != "reload@b" || jobs[0].Scope != "b" {
		t.Errorf("got jobs %+v, want b's alone", jobs)
	}
	if err := s.TouchNode(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("heartbeat of a pruned node: got %v, want ErrNotFound", err)
	}
}

func TestRegisterNode(t *testing.T) {
	ctx := context.Background()
	c := newTestClock()
	s := openTestStore(t, Options{Now: c.now})
	first := Node{ID: "n1", Hostname: "h1", PID: 10, Listen: "127.0.0.1:1", Version: "v", Heartbeat: time.Second}
	if err := s.RegisterNode(ctx, first); err != nil {
		t.Fatal(err)
	}
	other := first
	other.Hostname = "h2"
	restarted := first
	restarted.Listen = "127.0.0.1:2"
	tests := []struct {
		name    string
		advance time.Duration
		node    Node
		stop    bool
		wantErr bool
	}{
		{"another process while the first is alive", time.Second, other, false, true},
		{"the same host and pid again (a restart)", 0, restarted, false, false},
		{"another process once the first is silent", 5 * time.Second, other, false, false},
		{"another process after a clean stop", 0, first, true, false},
	}
	for _, tt := range tests {
		c.add(tt.advance)
		if tt.stop {
			if err := s.StopNode(ctx, "n1"); err != nil {
				t.Fatal(err)
			}
		}
		err := s.RegisterNode(ctx, tt.node)
		if got := errors.Is(err, ErrNodeInUse); got != tt.wantErr || (err != nil && !tt.wantErr) {
			t.Errorf("%s: got %v, want in use %v", tt.name, err, tt.wantErr)
		}
	}
	nodes, err := s.Nodes(ctx)
	if err != nil || len(nodes) != 1 || nodes[0].Hostname != "h1" || !nodes[0].Alive(c.now()) ||
		nodes[0].Heartbeat != time.Second {
		t.Errorf("got nodes %+v, %v, want n1 of h1, alive", nodes, err)
	}
}

// TestInitialiseOnce: two nodes initialising an empty database at the same
// moment create one host organisation and one administrator; the other is
// told the instance is initialised.
func TestInitialiseOnce(t *testing.T) {
	ctx := context.Background()
	var open func() *Store
	if pgtest.Active() {
		url := pgtest.Database(t)
		open = func() *Store {
			s, err := OpenPostgres(ctx, url, Options{})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	} else {
		path := filepath.Join(t.TempDir(), "cairn.db")
		open = func() *Store {
			s, err := OpenSQLite(ctx, path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	}
	nodes := []*Store{open(), open()}
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, s := range nodes {
		t.Cleanup(func() { s.Close() })
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.Initialise(ctx, Bootstrap{OrgName: "Host", AdminEmail: "admin@host.test", KeyHash: "h" + itoa(int64(i)),
				RawKey: "k"})
		}()
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) || !errors.Is(errs[0], ErrInitialised) && !errors.Is(errs[1], ErrInitialised) {
		t.Errorf("got %v and %v, want one success and one ErrInitialised", errs[0], errs[1])
	}
	counts, err := nodes[0].Count(ctx)
	if err != nil || counts.Users != 1 || counts.Orgs != 1 {
		t.Errorf("got %+v, %v, want one user and one organisation", counts, err)
	}
}
