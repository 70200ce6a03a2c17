package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// rowBatch holds new rows of one table that go out together in multi-row
// INSERTs, used on PostgreSQL, where each statement is a network round
// trip. Their ids are drawn from the table's sequence in advance, so that
// the caller knows them at once; the rows must be flushed before anything
// refers to them by foreign key.
type rowBatch struct {
	table   string
	columns []string // "id" first
	free    []int64
	pending []any
}

// batchRows is the number of rows one INSERT carries.
const batchRows = 500

// reserve draws n ids from the table's sequence in one statement.
func (b *rowBatch) reserve(ctx context.Context, s *Store, tx *sql.Tx, n int) error {
	if n == 0 {
		return nil
	}
	rows, err := tx.QueryContext(ctx, s.Rebind(`SELECT nextval(pg_get_serial_sequence('`+b.table+`', 'id'))
		FROM generate_series(1, ?)`), n)
	if err != nil {
		return err
	}
	ids, err := scanIDs(rows)
	b.free = append(b.free, ids...)
	return err
}

// add queues a row (without its id) under the next reserved id; ok is
// false when none is left, and the caller inserts the row itself.
func (b *rowBatch) add(row ...any) (id int64, ok bool) {
	if len(b.free) == 0 {
		return 0, false
	}
	id, b.free = b.free[0], b.free[1:]
	b.pending = append(append(b.pending, id), row...)
	return id, true
}

// full reports whether a whole INSERT is waiting.
func (b *rowBatch) full() bool { return len(b.pending) >= batchRows*len(b.columns) }

// flush sends the pending rows.
func (b *rowBatch) flush(ctx context.Context, s *Store, tx *sql.Tx) error {
	if err := s.insertRows(ctx, tx, b.table, b.columns, b.pending); err != nil {
		return err
	}
	b.pending = b.pending[:0]
	return nil
}

// insertRows writes rows, their values laid end to end in columns' order,
// in multi-row INSERTs of up to batchRows rows; the statement of a full
// INSERT is prepared once.
func (s *Store) insertRows(ctx context.Context, tx *sql.Tx, table string, columns []string, values []any) error {
	return s.insertRowsOr(ctx, tx, table, columns, "", values)
}

// insertRowsOr is insertRows with an ON CONFLICT clause (" ON CONFLICT DO
// NOTHING" passes over rows stored already, and rows repeated in one
// statement).
func (s *Store) insertRowsOr(ctx context.Context, tx *sql.Tx, table string, columns []string, onConflict string, values []any) error {
	width := len(columns)
	stmt := func(n int) string {
		return s.Rebind(`INSERT INTO ` + table + ` (` + strings.Join(columns, ", ") + `) VALUES ` +
			strings.TrimSuffix(strings.Repeat("("+placeholders(width)+"),", n), ",") + onConflict)
	}
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	for len(values) > 0 {
		n := min(len(values)/width, batchRows)
		chunk := values[:n*width]
		values = values[n*width:]
		var err error
		switch {
		case n < batchRows:
			_, err = tx.ExecContext(ctx, stmt(n), chunk...)
		case full == nil:
			if full, err = tx.PrepareContext(ctx, stmt(n)); err == nil {
				_, err = full.ExecContext(ctx, chunk...)
			}
		default:
			_, err = full.ExecContext(ctx, chunk...)
		}
		if err != nil {
			return fmt.Errorf("insert %s: %w", table, err)
		}
	}
	return nil
}
