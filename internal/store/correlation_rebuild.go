package store

import (
	"context"
	"fmt"
	"runtime/debug"
	"strconv"
	"time"
)

// RebuildReport says what a rebuild of the correlation index found.
type RebuildReport struct {
	Attributes     int64 // attributes read
	Postings       int64
	Values         int64 // values held by two attributes or more
	OverCorrelated int64 // values over the cap
	Duration       time.Duration
}

// rebuildBatch is the number of postings buffered between INSERTs.
const rebuildBatch = 20 * batchRows

// RebuildCorrelations recomputes the whole correlation index from the
// attributes, in one transaction: readers see the old index until it
// commits. The index of the postings by value is dropped while they are
// written and built after, which is several times faster than maintaining
// it row by row. progress, if set, is called with the attributes read so far and the
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
	err = s.bulk(ctx, func(tx bulkTx) error {
		if s.dialect.singleWriter() {
			// SQLite sorts the postings index in memory up to the page
			// cache's size: with the writer's 64 MB a serve at 6M attributes
			// rebuilding under searches peaked at 281 MB, with 16 MB at 211
			// MB, and the rebuild took as long (17.0 s against 17.2 s).
			// The writer is one connection: restored below, however the
			// transaction ends.
			if err := tx.exec(ctx, `PRAGMA cache_size = -16384`); err != nil {
				return err
			}
		}
		if lock := s.dialect.lockTables("ACCESS EXCLUSIVE", "correlations", "correlation_values"); lock != "" {
			// More sort memory for the index builds, for this transaction only.
			for _, q := range []string{lock, `SET LOCAL maintenance_work_mem = '256MB'`, `SET LOCAL work_mem = '64MB'`} {
				if err := tx.exec(ctx, q); err != nil {
					return err
				}
			}
		}
		// The index by event stays: attributes are read in about the order
		// of their events, so its entries go in near its end, cheaply.
		for _, q := range []string{`DROP INDEX correlations_value`, `DROP INDEX correlation_values_postings`,
			s.dialect.truncate("correlations"), s.dialect.truncate("correlation_values")} {
			if err := tx.exec(ctx, q); err != nil {
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
	if err == nil {
		// Fresh statistics for the planner, on the two tables only: the
		// whole database would take longer than the rebuild. Still in the
		// small page cache: ANALYZE reads both tables through, and with the
		// writer's 64 MB it left them cached, 95 MB above a new server.
		for _, table := range []string{"correlations", "correlation_values"} {
			if _, err = s.exec(ctx, s.dialect.analyze(table)); err != nil {
				break
			}
		}
	}
	if s.dialect.singleWriter() {
		if _, rerr := s.exec(context.WithoutCancel(ctx), `PRAGMA cache_size = `+sqliteWriterCache); rerr != nil {
			s.log.Error("cannot restore the page cache after a rebuild", "error", rerr)
		}
		releaseCMemory()
	}
	debug.FreeOSMemory() // the rebuild's batches, on both databases
	if err != nil {
		return rep, fmt.Errorf("rebuild correlations: %w", err)
	}
	rep.Duration = time.Since(start)
	return rep, nil
}

// fillPostings reads every correlating attribute through the read pool
// (a snapshot taken after the write lock, so nothing is missed) and writes
// its postings through tx. Reading and hashing run beside the writes, on
// the other core.
func (s *Store) fillPostings(ctx context.Context, tx bulkTx, c correlator, rep *RebuildReport,
	total int64, progress func(done, total int64)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type batch struct {
		ps   []posting
		read int64 // attributes read so far
	}
	batches := make(chan batch, 2)
	readErr := make(chan error, 1)
	go func() {
		defer close(batches)
		readErr <- s.readPostings(ctx, c, func(ps []posting, read int64) bool {
			select {
			case batches <- batch{ps, read}:
				return true
			case <-ctx.Done():
				return false
			}
		})
	}()
	for b := range batches {
		if err := tx.insertPostings(ctx, b.ps); err != nil {
			cancel()
			for range batches {
			}
			return err
		}
		rep.Attributes, rep.Postings = b.read, rep.Postings+int64(len(b.ps))
		if progress != nil {
			progress(min(b.read, total), total)
		}
	}
	return <-readErr
}

// readPostings streams the postings of every correlating attribute to
// emit in batches, with the number of attributes read so far; it stops
// when emit returns false.
func (s *Store) readPostings(ctx context.Context, c correlator, emit func([]posting, int64) bool) error {
	rows, err := s.db.QueryContext(ctx, `SELECT a.id, a.event_id, a.type, a.value1, a.value2
		FROM attributes a JOIN events e ON e.id = a.event_id
		WHERE a.deleted = 0 AND a.disable_correlation = 0 AND e.disable_correlation = 0`)
	if err != nil {
		return err
	}
	defer rows.Close()
	buf := make([]posting, 0, rebuildBatch+2)
	var read, id, eventID int64
	var typ, v1, v2 string
	for rows.Next() {
		if err := rows.Scan(&id, &eventID, &typ, &v1, &v2); err != nil {
			return err
		}
		read++
		buf = c.postings(buf, id, eventID, typ, v1, v2)
		if len(buf) < rebuildBatch {
			continue
		}
		if !emit(buf, read) {
			return ctx.Err()
		}
		buf = make([]posting, 0, rebuildBatch+2)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(buf) > 0 || read == 0 {
		emit(buf, read)
	}
	return nil
}

// finishRebuild builds the value index of the postings and counts the
// values.
func (s *Store) finishRebuild(ctx context.Context, tx bulkTx, limit int, rep *RebuildReport) error {
	capText := strconv.Itoa(limit)
	for _, q := range []string{
		`CREATE INDEX correlations_value ON correlations (value_hash, event_id)`,
		`INSERT INTO correlation_values (value_hash, postings, over)
			SELECT value_hash, COUNT(*), CASE WHEN COUNT(*) > ` + capText + ` THEN 1 ELSE 0 END
			FROM correlations GROUP BY value_hash HAVING COUNT(*) > 1 ORDER BY value_hash`,
		`CREATE INDEX correlation_values_postings ON correlation_values (postings)`,
	} {
		if err := tx.exec(ctx, q); err != nil {
			return err
		}
	}
	return tx.queryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(over), 0) FROM correlation_values`).
		Scan(&rep.Values, &rep.OverCorrelated)
}

// queuedEvents returns the committed contents of the correlation queue.
func (s *Store) queuedEvents(ctx context.Context) ([]queued, error) {
	return queryAll(ctx, s, `SELECT event_id, seq FROM correlation_queue`, nil,
		func(r rowScanner) (q queued, err error) { err = r.Scan(&q.eventID, &q.seq); return })
}

// dequeue removes the queue entries that were not queued again since.
func (s *Store) dequeue(ctx context.Context, tx bulkTx, work []queued) error {
	for _, q := range work {
		if err := tx.exec(ctx, `DELETE FROM correlation_queue WHERE event_id = ? AND seq = ?`, q.eventID, q.seq); err != nil {
			return err
		}
	}
	return nil
}
