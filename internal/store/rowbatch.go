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
	width := len(b.columns)
	for len(b.pending) > 0 {
		n := min(len(b.pending)/width, batchRows)
		chunk := b.pending[:n*width]
		b.pending = b.pending[n*width:]
		_, err := tx.ExecContext(ctx, s.Rebind(`INSERT INTO `+b.table+` (`+strings.Join(b.columns, ", ")+`) VALUES `+
			strings.TrimSuffix(strings.Repeat("("+placeholders(width)+"),", n), ",")), chunk...)
		if err != nil {
			return fmt.Errorf("insert %s: %w", b.table, err)
		}
	}
	b.pending = b.pending[:0]
	return nil
}
