package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/store"
	"github.com/cairn-intel/cairn/internal/store/pgtest"
)

// The helper node: this test binary started again with helperEnv naming
// the node and helperDBEnv the database.
const (
	helperEnv   = "CAIRN_JOBS_TEST_NODE"
	helperDBEnv = "CAIRN_JOBS_TEST_DATABASE"

	helperBeat  = 100 * time.Millisecond
	probeEvery  = time.Second
	probeLength = 400 * time.Millisecond
)

// helperMain runs one node with the probe job until it is killed or
// terminated. The probe records each run in probe_runs.
func helperMain() int {
	node := os.Getenv(helperEnv)
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer cancel()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st, err := store.OpenPostgres(ctx, os.Getenv(helperDBEnv), store.Options{Logger: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer st.Close()
	r := New(st, Options{Node: node, Heartbeat: helperBeat, Logger: log})
	r.Register(Job{Name: "probe", Every: probeEvery, Run: func(ctx context.Context) (string, error) {
		var id int64
		if err := st.DB().QueryRowContext(ctx, `INSERT INTO probe_runs (node, started) VALUES ($1, $2) RETURNING id`,
			node, time.Now().UnixMilli()).Scan(&id); err != nil {
			return "", err
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(probeLength):
		}
		_, err := st.DB().ExecContext(ctx, `UPDATE probe_runs SET finished = $1 WHERE id = $2`, time.Now().UnixMilli(), id)
		return "probed", err
	}})
	stop, err := r.Start(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	<-ctx.Done()
	stop()
	return 0
}

type probeRun struct {
	node              string
	started, finished int64
}

func probeRuns(t *testing.T, db *sql.DB) []probeRun {
	t.Helper()
	rows, err := db.Query(`SELECT node, started, finished FROM probe_runs ORDER BY started`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []probeRun
	for rows.Next() {
		var p probeRun
		if err := rows.Scan(&p.node, &p.started, &p.finished); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// checkSpacing fails when two runs overlap or start less than a period
// apart. The first skip runs are not checked against their predecessor.
func checkSpacing(t *testing.T, runs []probeRun, skip int) {
	t.Helper()
	for i := max(skip, 1); i < len(runs); i++ {
		prev, cur := runs[i-1], runs[i]
		if prev.finished == 0 || cur.started < prev.finished {
			t.Errorf("run %d (%s at %d) overlaps run %d (%s, %d to %d)", i, cur.node, cur.started, i-1, prev.node,
				prev.started, prev.finished)
		}
		if gap := time.Duration(cur.started-prev.started) * time.Millisecond; gap < probeEvery-20*time.Millisecond {
			t.Errorf("runs %d and %d started %s apart, want at least %s", i-1, i, gap, probeEvery)
		}
	}
}

// TestTwoProcesses: two node processes on one PostgreSQL database run the
// probe job once per period between them; when the one running it is
// killed with SIGKILL, the other runs the job again once the lease has
// expired, and goes on once per period.
func TestTwoProcesses(t *testing.T) {
	if !pgtest.Active() {
		t.Skip("two nodes share a PostgreSQL database: this test runs in the PostgreSQL half")
	}
	ctx := context.Background()
	url := pgtest.Database(t)
	st, err := store.OpenPostgres(ctx, url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db := st.DB()
	if _, err := db.Exec(`CREATE TABLE probe_runs (id BIGSERIAL PRIMARY KEY, node TEXT NOT NULL,
		started BIGINT NOT NULL, finished BIGINT NOT NULL DEFAULT 0)`); err != nil {
		t.Fatal(err)
	}
	procs := map[string]*exec.Cmd{}
	for _, node := range []string{"n1", "n2"} {
		procs[node] = startHelper(t, node, url)
	}

	waitFor(t, "four probe runs", func() bool {
		runs := probeRuns(t, db)
		return len(runs) >= 4 && runs[3].finished != 0
	})
	checkSpacing(t, probeRuns(t, db), 0)

	// Kill the node in the middle of a run.
	var victim probeRun
	waitFor(t, "a run just started", func() bool {
		runs := probeRuns(t, db)
		victim = runs[len(runs)-1]
		return victim.finished == 0 && time.Now().UnixMilli()-victim.started < 150
	})
	if err := procs[victim.node].Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = procs[victim.node].Wait() // "signal: killed", as intended
	killed := time.Now()
	survivor := map[string]string{"n1": "n2", "n2": "n1"}[victim.node]

	waitFor(t, "the survivor's run after the kill", func() bool {
		runs := probeRuns(t, db)
		return runs[len(runs)-1].started > victim.started
	})
	runs := probeRuns(t, db)
	retry := runs[len(runs)-1]
	lease := LeaseBeats * helperBeat
	waited := time.UnixMilli(retry.started).Sub(killed)
	if retry.node != survivor || waited < lease-2*helperBeat || waited > lease+time.Second {
		t.Errorf("got a retry by %s %s after the kill, want one by %s once the %s lease expired",
			retry.node, waited.Round(time.Millisecond), survivor, lease)
	}

	n := len(runs)
	waitFor(t, "two more runs", func() bool {
		runs := probeRuns(t, db)
		return len(runs) >= n+2 && runs[n+1].finished != 0
	})
	runs = probeRuns(t, db)
	// The killed run never finished; the ones after it are spaced again.
	checkSpacing(t, runs[n-1:], 0)
	j, err := st.JobStateOf(ctx, "probe")
	if err != nil || j.Node != survivor || j.LastResult != store.JobSuccess {
		t.Errorf("got %+v, %v, want the survivor's successful run last", j, err)
	}
	nodes, err := st.Nodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, nd := range nodes {
		if alive := nd.Alive(time.Now()); alive != (nd.ID == survivor) {
			t.Errorf("node %s: got alive %v, want %v", nd.ID, alive, nd.ID == survivor)
		}
	}
}

// startHelper starts a helper node, stopped when the test ends; its log
// is shown if the test fails.
func startHelper(t *testing.T, node, url string) *exec.Cmd {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), node+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+node, helperDBEnv+"="+url)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
		}
		logFile.Close()
		if t.Failed() {
			out, _ := os.ReadFile(logPath)
			t.Logf("log of node %s:\n%s", node, out)
		}
	})
	return cmd
}
