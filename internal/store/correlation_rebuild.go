package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"
)

// RebuildReport says what a rebuild of the correlation index found.
type RebuildReport struct {
	Attributes     int64 // attributes read
	Postings       int64
	Values         int64 // distinct values
	Correlating    int64 // values held by two events or more
	OverCorrelated int64 // values over the cap
	Duration       time.Duration
}

// rebuildBatch is the number of postings buffered between INSERTs.
const rebuildBatch = 20 * postingRows

// RebuildCorrelations recomputes the whole correlation index from the
// attributes, in one transaction: readers see the old index until it
// commits. The indexes of the postings table are dropped while it fills and
// built after, which is several times faster than maintaining them row by
// row. progress, if set, is called with the attributes read so far and the
// total. Writes committed meanwhile stay queued and are applied by the
// worker after the rebuild.
func (s *Store) RebuildCorrelations(ctx context.Context, progress func(done, total int64)) (RebuildReport, error) {
	start := time.Now()
	var rep RebuildReport
	cs, err := s.CorrelationSettings(ctx)
	if err != nil {
		return rep, err
	}
	var total int64
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM attributes`).Scan(&total); err != nil {
		return rep, err
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if lock := s.dialect.lockTables("ACCESS EXCLUSIVE", "correlations", "correlation_values"); lock != "" {
			if _, err := tx.ExecContext(ctx, lock); err != nil {
				return err
			}
		}
		for _, q := range []string{`DROP INDEX correlations_value`, `DROP INDEX correlations_event`,
			`DELETE FROM correlations`, `DELETE FROM correlation_values`} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		// The queue is read before the attributes: what it lists now is in
		// the rebuild, and what is queued from now on stays queued.
		pending, err := s.queuedEvents(ctx)
		if err != nil {
			return err
		}
		if err := s.fillPostings(ctx, tx, newCorrelator(cs), &rep, total, progress); err != nil {
			return err
		}
		s.log.Debug("correlation postings written", "action", "correlate", "postings", rep.Postings,
			"duration_ms", time.Since(start).Milliseconds())
		if err := s.finishRebuild(ctx, tx, cs.Cap, &rep); err != nil {
			return err
		}
		s.log.Debug("correlation index built", "action", "correlate", "duration_ms", time.Since(start).Milliseconds())
		return s.dequeue(ctx, tx, pending)
	})
	if err != nil {
		return rep, fmt.Errorf("rebuild correlations: %w", err)
	}
	// Fresh statistics for the planner, on the two tables only: the whole
	// database would take longer than the rebuild.
	if _, err := s.exec(ctx, `ANALYZE correlations`); err != nil {
		return rep, err
	}
	if _, err := s.exec(ctx, `ANALYZE correlation_values`); err != nil {
		return rep, err
	}
	rep.Duration = time.Since(start)
	return rep, nil
}

// fillPostings reads every correlating attribute through the read pool
// (a snapshot taken after the write lock, so nothing is missed) and writes
// its postings through tx.
func (s *Store) fillPostings(ctx context.Context, tx *sql.Tx, c correlator, rep *RebuildReport,
	total int64, progress func(done, total int64)) error {
	rows, err := s.db.QueryContext(ctx, `SELECT a.id, a.event_id, a.type, a.value1, a.value2
		FROM attributes a JOIN events e ON e.id = a.event_id
		WHERE a.deleted = 0 AND a.disable_correlation = 0 AND e.disable_correlation = 0`)
	if err != nil {
		return err
	}
	defer rows.Close()
	buf := make([]posting, 0, rebuildBatch+2)
	var id, eventID int64
	var typ, v1, v2 string
	for rows.Next() {
		if err := rows.Scan(&id, &eventID, &typ, &v1, &v2); err != nil {
			return err
		}
		rep.Attributes++
		buf = c.postings(buf, id, eventID, typ, v1, v2)
		if len(buf) < rebuildBatch {
			continue
		}
		if err := s.insertPostings(ctx, tx, buf); err != nil {
			return err
		}
		rep.Postings += int64(len(buf))
		buf = buf[:0]
		if progress != nil {
			progress(rep.Attributes, total)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rep.Postings += int64(len(buf))
	if err := s.insertPostings(ctx, tx, buf); err != nil {
		return err
	}
	if progress != nil {
		progress(total, total)
	}
	return nil
}

// finishRebuild builds the indexes of the postings and counts the values.
func (s *Store) finishRebuild(ctx context.Context, tx *sql.Tx, limit int, rep *RebuildReport) error {
	capText := strconv.Itoa(limit)
	for _, q := range []string{
		`CREATE INDEX correlations_value ON correlations (value_hash, event_id)`,
		`CREATE INDEX correlations_event ON correlations (event_id, value_hash)`,
		`INSERT INTO correlation_values (value_hash, postings, over)
			SELECT value_hash, COUNT(*), CASE WHEN COUNT(*) > ` + capText + ` THEN 1 ELSE 0 END
			FROM correlations GROUP BY value_hash`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(over), 0) FROM correlation_values`).
		Scan(&rep.Values, &rep.OverCorrelated); err != nil {
		return err
	}
	return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT value_hash FROM correlations
		GROUP BY value_hash HAVING MIN(event_id) <> MAX(event_id)) t`).Scan(&rep.Correlating)
}

// queuedEvents returns the committed contents of the correlation queue.
func (s *Store) queuedEvents(ctx context.Context) ([]queued, error) {
	return queryAll(ctx, s, `SELECT event_id, seq FROM correlation_queue`, nil,
		func(r rowScanner) (q queued, err error) { err = r.Scan(&q.eventID, &q.seq); return })
}

// dequeue removes the queue entries that were not queued again since.
func (s *Store) dequeue(ctx context.Context, tx *sql.Tx, work []queued) error {
	if len(work) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, s.Rebind(`DELETE FROM correlation_queue WHERE event_id = ? AND seq = ?`))
	if err != nil {
		return err
	}
	defer st.Close()
	for _, q := range work {
		if _, err := st.ExecContext(ctx, q.eventID, q.seq); err != nil {
			return err
		}
	}
	return nil
}
