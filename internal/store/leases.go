package store

import (
	"context"
	"database/sql"
	"time"
)

// A poll with a cursor (search package) delivers rows in (timestamp, uuid)
// order and must never move past a second that may still receive rows. A
// write stamps its rows with the time it takes at its start, and they are
// seen when it commits, seconds later for a large event or a feed pull:
// a poll meanwhile would move past that second and miss them. So each
// write that stamps rows holds a lease, a row of write_leases committed
// before its transaction begins and deleted by that transaction's commit,
// and polls stop before the oldest lease's second. Leases live in the
// database, so the writes of other nodes and of other processes on the
// same SQLite file (cairn import) count too.

// leaseExpiry is how long a lease holds polls back at most: a process that
// died mid-write leaves its lease behind.
const leaseExpiry = time.Hour

// timedTx runs fn in one transaction, as tx does, under a write lease: for
// the transactions that stamp events, objects and attributes with the
// time. The time fn takes is never earlier than the lease's.
func (s *Store) timedTx(ctx context.Context, fn func(*sql.Tx) error) error {
	id, err := s.openLease(ctx)
	if err != nil {
		return err
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.Rebind(`DELETE FROM write_leases WHERE id = ?`), id)
		return err
	})
	if err != nil {
		// Rolled back, or the commit failed: the lease is still there.
		if _, derr := s.exec(context.WithoutCancel(ctx), `DELETE FROM write_leases WHERE id = ?`, id); derr != nil {
			s.log.Error("cannot drop a write lease", "id", id, "error", derr)
		}
	}
	return err
}

// openLease commits a lease starting now and returns its id.
func (s *Store) openLease(ctx context.Context) (int64, error) {
	const q = `INSERT INTO write_leases (started) VALUES (?)`
	now := s.now().Unix()
	if !s.dialect.singleWriter() {
		return s.insertID(ctx, s.wdb, q, now)
	}
	res, err := s.exec(ctx, q, now) // under the write lock, as every SQLite write
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// SettledBefore returns the last second a poll may deliver rows of, at
// time now: settle seconds ago, and before the second of the oldest write
// in progress that stamps rows, on any node or process.
func (s *Store) SettledBefore(ctx context.Context, now time.Time, settle time.Duration) (int64, error) {
	bound := now.Add(-settle).Unix()
	var oldest sql.NullInt64
	err := s.db.QueryRowContext(ctx, s.Rebind(`SELECT MIN(started) FROM write_leases WHERE started > ?`),
		now.Add(-leaseExpiry).Unix()).Scan(&oldest)
	if err != nil {
		return 0, err
	}
	if oldest.Valid && oldest.Int64-1 < bound {
		bound = oldest.Int64 - 1
	}
	return bound, nil
}

// DropExpiredLeases deletes the leases past leaseExpiry, left by processes
// that died mid-write.
func (s *Store) DropExpiredLeases(ctx context.Context) (int64, error) {
	res, err := s.exec(ctx, `DELETE FROM write_leases WHERE started <= ?`, s.now().Add(-leaseExpiry).Unix())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
