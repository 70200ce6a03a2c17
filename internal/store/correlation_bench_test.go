package store

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
)

// benchCorrelationStore opens the instance the correlation benchmarks run
// on: the PostgreSQL database in CAIRN_BENCH_DATABASE, or the SQLite
// database of the data directory in CAIRN_BENCH_DATA, loaded with `cairn
// bench load` and indexed with `cairn correlate --rebuild`. Without either
// the benchmark is skipped: a dataset worth measuring takes minutes to load.
func benchCorrelationStore(b *testing.B) *Store {
	ctx := context.Background()
	var st *Store
	var err error
	switch url, dir := os.Getenv("CAIRN_BENCH_DATABASE"), os.Getenv("CAIRN_BENCH_DATA"); {
	case url != "":
		st, err = OpenPostgres(ctx, url, Options{})
	case dir != "":
		st, err = OpenSQLite(ctx, filepath.Join(dir, "cairn.db"), Options{})
	default:
		b.Skip("set CAIRN_BENCH_DATA to a data directory or CAIRN_BENCH_DATABASE to a PostgreSQL URL loaded by `cairn bench load`")
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// benchViewer returns an actor of an organisation that owns no event, as a
// user of another organisation reads the benchmark dataset (whose events
// the host organisation owns): it sees the events at distribution 1-3.
func benchViewer(b *testing.B, s *Store) *Actor {
	ctx := context.Background()
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT id FROM organisations o
		WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.org_id = o.id) ORDER BY id LIMIT 1`).Scan(&id)
	if err != nil {
		b.Fatalf("no organisation without events: %v", err)
	}
	org, err := s.OrgByRef(ctx, itoa(id))
	if err != nil {
		b.Fatal(err)
	}
	sgs, err := s.usableSharingGroups(ctx, id, false)
	if err != nil {
		b.Fatal(err)
	}
	return &Actor{Org: org, Role: Role{Perms: map[string]bool{}}, SharingGroups: sgs}
}

// BenchmarkVisibleCorrelations compares, for a user who is not a site
// administrator, the top list and statistics as they were first computed
// (every visible posting grouped by value: refTopCorrelations,
// refCorrelationStats) with TopCorrelations and CorrelationStats, in the
// same process and on the same data. The walk reports how many values it
// counted.
//
//	CAIRN_BENCH_DATA=./bench1 go test ./internal/store -run '^$' -bench VisibleCorrelations -benchtime 5x
func BenchmarkVisibleCorrelations(b *testing.B) {
	s := benchCorrelationStore(b)
	a := benchViewer(b, s)
	ctx := context.Background()
	for _, limit := range []int{50, 1000} {
		b.Run("top"+itoa(int64(limit))+"/reference", func(b *testing.B) {
			for b.Loop() {
				if _, err := refTopCorrelations(ctx, s, a, limit, false); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("top"+itoa(int64(limit))+"/walk", func(b *testing.B) {
			var w *topWalk
			var complete bool
			err := s.readSnapshot(ctx, func(tx *sql.Tx) error {
				budget, err := s.visibleEventPostings(ctx, tx, a)
				if err != nil {
					return err
				}
				w = newTopWalk(s, tx, a, limit, false, topFirstPage)
				complete, err = w.run(ctx, budget)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := s.TopCorrelations(ctx, a, limit, false); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(w.bounded), "values-bounded")
			b.ReportMetric(float64(w.counted), "values-counted")
			b.ReportMetric(float64(w.work), "work")
			if !complete {
				b.Log("the walk left the list to scanTop")
			}
		})
	}
	b.Run("stats/reference", func(b *testing.B) {
		for b.Loop() {
			if _, err := refCorrelationStats(ctx, s, a); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stats/new", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.CorrelationStats(ctx, a); err != nil {
				b.Fatal(err)
			}
		}
	})
}
