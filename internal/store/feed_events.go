package store

import (
	"context"
	"database/sql"
	"errors"
	"io"

	"github.com/cairn-intel/cairn/internal/misp"
)

// EventTimestamps returns the timestamp of each of the uuids that names an
// event the actor may see; unknown uuids are left out. A MISP-format feed
// pull compares them with its manifest.
func (s *Store) EventTimestamps(ctx context.Context, a *Actor, uuids []string) (map[string]int64, error) {
	out := make(map[string]int64, len(uuids))
	access, accessArgs := a.EventAccess("e")
	for start := 0; start < len(uuids); start += 500 {
		chunk := uuids[start:min(start+500, len(uuids))]
		args := append(stringArgs(chunk), accessArgs...)
		rows, err := s.db.QueryContext(ctx, s.Rebind(`SELECT e.uuid, e.timestamp FROM events e
			WHERE e.uuid IN (`+placeholders(len(chunk))+`) AND `+access), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var u string
			var ts int64
			if err := rows.Scan(&u, &ts); err != nil {
				rows.Close()
				return nil, err
			}
			out[u] = ts
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SaveEventStream saves the events next returns, until it returns io.EOF,
// in one transaction with a savepoint per event, as SaveEvents does for a
// slice: an event the store refuses is rolled back alone and handed to done
// with its error, the others are kept. Only one event is in memory at a
// time, so a feed pull of any size is stored whole or not at all. An error
// from next, or a fault of the database, rolls everything back.
func (s *Store) SaveEventStream(ctx context.Context, a *Actor, next func() (*misp.Event, error),
	opts SaveOptions, done func(SaveResult, error)) error {
	if err := a.canWrite("perm_add"); err != nil {
		return err
	}
	return s.timedTx(ctx, func(tx *sql.Tx) error {
		if err := s.planImport(ctx, tx); err != nil {
			return err
		}
		for {
			ev, err := next()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			res, err := s.saveOneInStream(ctx, tx, a, ev, opts)
			if err != nil && !isRefusal(err) {
				return err
			}
			done(res, err)
		}
	})
}

func (s *Store) saveOneInStream(ctx context.Context, tx *sql.Tx, a *Actor, ev *misp.Event,
	opts SaveOptions) (SaveResult, error) {
	p, err := s.prepareEvent(a, ev, opts.Mode == ModeCreate)
	if err != nil {
		return SaveResult{}, err
	}
	res, err := s.saveInSavepoint(ctx, tx, a, p, opts)
	if err == nil {
		res.Rejected = append(res.Rejected, p.rejected...)
	}
	return res, err
}
