package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// JobState is a background job as the nodes running it left it. A job is
// due when NextRun has passed; a run holds it until LeaseUntil, which the
// run's node keeps pushing forward while it works.
type JobState struct {
	Name string
	// Scope is the node of a job that every node runs for itself, "" for
	// a job that runs once across the nodes.
	Scope       string
	Node        string    // the node of the current or last run
	LeaseUntil  time.Time // zero when no run holds the job
	NextRun     time.Time
	Started     time.Time // of the current or last run
	Finished    time.Time // of the last run; zero before the first ends
	Runs        int64     // runs started, over all nodes
	ErrorStreak int64     // failed runs in a row
	LastResult  string    // "success", "failure" or "" before the first run ends
	LastStatus  string    // what the last run said it did
	LastError   string
}

// Running reports whether a run holds the job at time now.
func (j JobState) Running(now time.Time) bool {
	return !j.LeaseUntil.IsZero() && j.LeaseUntil.After(now)
}

// JobResult is the outcome of one run.
type JobResult struct {
	Status string // short summary for operators, "" if none
	Error  string // "" for a success
	// Next is when the job is due again.
	Next time.Time
}

// Job results as recorded.
const (
	JobSuccess = "success"
	JobFailure = "failure"
)

func millis(t time.Time) int64 { return t.UnixMilli() }

// fromMillis is the zero time for 0, so that "never" stays zero.
func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// ClaimJob starts a run of the job called name on node when the job is due
// and no lease on it is current, and holds it for lease. It reports false
// when the job is not due or another run holds it. An expired lease is
// taken over: its node died or stalled. The first claim of a job creates
// its row, due at once.
func (s *Store) ClaimJob(ctx context.Context, name, node string, lease time.Duration) (bool, error) {
	return s.claimJob(ctx, name, "", node, lease)
}

// NodeJobName is the row of a job that node runs for itself.
func NodeJobName(name, node string) string { return name + "@" + node }

// ClaimNodeJob is ClaimJob for a job that each node runs for itself, under
// the row NodeJobName(name, node): only a node of the same identity
// competes for it. RenewJob and FinishJob take that row name.
func (s *Store) ClaimNodeJob(ctx context.Context, name, node string, lease time.Duration) (bool, error) {
	return s.claimJob(ctx, NodeJobName(name, node), node, node, lease)
}

func (s *Store) claimJob(ctx context.Context, name, scope, node string, lease time.Duration) (bool, error) {
	for attempt := 0; ; attempt++ {
		now := s.now()
		res, err := s.exec(ctx, `UPDATE jobs SET node = ?, lease_until = ?, started = ?, runs = runs + 1
			WHERE name = ? AND next_run <= ? AND lease_until < ?`,
			node, millis(now.Add(lease)), millis(now), name, millis(now), millis(now))
		if err != nil {
			return false, err
		}
		n, err := res.RowsAffected()
		if err != nil || n == 1 || attempt == 1 {
			return n == 1, err
		}
		// The row may not exist yet: the first node to know the job
		// creates it, due at once.
		res, err = s.exec(ctx, `INSERT INTO jobs (name, scope) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
			name, scope)
		if err != nil {
			return false, err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return false, err
		}
	}
}

// RenewJob pushes the lease of node's run of the job forward. It reports
// false when the run lost the job: another node took it over after the
// lease expired, and the run must stop.
func (s *Store) RenewJob(ctx context.Context, name, node string, lease time.Duration) (bool, error) {
	res, err := s.exec(ctx, `UPDATE jobs SET lease_until = ? WHERE name = ? AND node = ? AND lease_until <> 0`,
		millis(s.now().Add(lease)), name, node)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ErrJobLost is returned by FinishJob for a run whose lease another node
// took over.
var ErrJobLost = fmt.Errorf("%w: the job's lease passed to another node", ErrConflict)

// FinishJob records the outcome of node's run of the job and releases it.
// The job is due again at r.Next, or at once if it was marked due while
// the run went on (see MarkJobDue).
func (s *Store) FinishJob(ctx context.Context, name, node string, r JobResult) error {
	result, streak := JobSuccess, `0`
	if r.Error != "" {
		result, streak = JobFailure, `error_streak + 1`
	}
	res, err := s.exec(ctx, `UPDATE jobs SET lease_until = 0, finished = ?,
		next_run = CASE WHEN next_run > started THEN next_run ELSE ? END,
		last_result = ?, last_status = ?, last_error = ?, error_streak = `+streak+`
		WHERE name = ? AND node = ? AND lease_until <> 0`,
		millis(s.now()), millis(r.Next), result, r.Status, r.Error, name, node)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	return ErrJobLost
}

// MarkJobDue makes a job due now, so that the next node to look runs it; a
// job running now runs again when it ends, since what called for the run
// may have come after the running one looked. A job not known yet is left
// alone: its first claim finds it due.
func (s *Store) MarkJobDue(ctx context.Context, name string) error {
	now := millis(s.now())
	_, err := s.exec(ctx, `UPDATE jobs SET next_run = ? WHERE name = ? AND (next_run > ? OR lease_until <> 0)`,
		now, name, now)
	return err
}

const jobColumns = `name, scope, node, lease_until, next_run, started, finished, runs, error_streak,
	last_result, last_status, last_error`

func scanJob(r rowScanner) (JobState, error) {
	var j JobState
	var lease, next, started, finished int64
	err := r.Scan(&j.Name, &j.Scope, &j.Node, &lease, &next, &started, &finished, &j.Runs, &j.ErrorStreak,
		&j.LastResult, &j.LastStatus, &j.LastError)
	j.LeaseUntil, j.NextRun = fromMillis(lease), fromMillis(next)
	j.Started, j.Finished = fromMillis(started), fromMillis(finished)
	return j, err
}

// JobStates lists the jobs by name.
func (s *Store) JobStates(ctx context.Context) ([]JobState, error) {
	return queryAll(ctx, s, `SELECT `+jobColumns+` FROM jobs ORDER BY name`, nil, scanJob)
}

// JobStateOf returns the state of one job.
func (s *Store) JobStateOf(ctx context.Context, name string) (JobState, error) {
	j, err := scanJob(s.db.QueryRowContext(ctx, s.Rebind(`SELECT `+jobColumns+` FROM jobs WHERE name = ?`), name))
	if errors.Is(err, sql.ErrNoRows) {
		return j, notFoundf("job %q", name)
	}
	return j, err
}
