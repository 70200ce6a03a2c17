package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// rowTable names the columns of a table that the write path fills with
// many rows at once (writeRows), with their PostgreSQL types.
type rowTable struct {
	name    string
	columns []string
	types   []string // PostgreSQL types of the columns, for unnest
	// onConflict is appended to the INSERT (" ON CONFLICT DO NOTHING"
	// passes over rows stored already, and rows repeated in one statement).
	onConflict string
}

// writeRows inserts rows, their values laid end to end in the order of
// t.columns. On PostgreSQL each statement carries up to unnestRows rows as
// one array per column: its text is the same whatever the number of rows,
// so it is prepared once per connection and planned in no time, where a
// VALUES list of a new length costs a round trip to prepare it and
// milliseconds to parse and plan its thousands of parameters (planned again
// at every run, as the store plans each statement with its parameters).
// SQLite takes multi-row VALUES lists.
func (s *Store) writeRows(ctx context.Context, tx *sql.Tx, t *rowTable, values []any) error {
	if s.dialect.name() != "postgres" {
		return s.insertRowsOr(ctx, tx, t.name, t.columns, t.onConflict, values)
	}
	width := len(t.columns)
	arrays := make([]string, width)
	for i, typ := range t.types {
		arrays[i] = fmt.Sprintf("$%d::%s[]", i+1, typ)
	}
	q := `INSERT INTO ` + t.name + ` (` + strings.Join(t.columns, ", ") + `) SELECT * FROM unnest(` +
		strings.Join(arrays, ", ") + `)` + t.onConflict
	for len(values) > 0 {
		n := min(len(values)/width, unnestRows)
		cols := make([]any, width)
		for c := range cols {
			col := make([]any, n)
			for r := range n {
				col[r] = values[r*width+c]
			}
			cols[c] = col
		}
		if _, err := tx.ExecContext(ctx, q, cols...); err != nil {
			return fmt.Errorf("insert %s: %w", t.name, err)
		}
		values = values[n*width:]
	}
	return nil
}

// unnestRows is the number of rows of one unnest INSERT.
const unnestRows = 5000

// rowBatch holds new rows of one table that go out together (writeRows),
// used on PostgreSQL, where each statement is a network round trip. Their
// ids are drawn from the table's sequence in advance, so that the caller
// knows them at once; the rows must be flushed before anything refers to
// them by foreign key.
type rowBatch struct {
	table   *rowTable // "id" first
	seq     string    // the id sequence as a quoted string literal (writeBatch.sequence)
	free    []int64
	pending []any
}

// reserveIDs draws n[i] ids for batches[i], all in one statement. The
// sequences are named by literals: pg_get_serial_sequence in the statement
// would look the sequence up again for every value.
func reserveIDs(ctx context.Context, s *Store, tx *sql.Tx, batches []*rowBatch, n []int) error {
	var cols []string
	var args []any
	var into []*rowBatch
	most := 0
	for i, b := range batches {
		if n[i] > 0 {
			cols = append(cols, `CASE WHEN g <= ? THEN nextval(`+b.seq+`::regclass) END`)
			args, into, most = append(args, n[i]), append(into, b), max(most, n[i])
		}
	}
	if most == 0 {
		return nil
	}
	rows, err := tx.QueryContext(ctx, s.Rebind(`SELECT `+strings.Join(cols, ", ")+`
		FROM generate_series(1, ?) g`), append(args, most)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	ids := make([]sql.NullInt64, len(into))
	dest := make([]any, len(into))
	for i := range ids {
		dest[i] = &ids[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		for i, id := range ids {
			if id.Valid {
				into[i].free = append(into[i].free, id.Int64)
			}
		}
	}
	return rows.Err()
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
func (b *rowBatch) full() bool { return len(b.pending) >= unnestRows*len(b.table.columns) }

// flush sends the pending rows.
func (b *rowBatch) flush(ctx context.Context, s *Store, tx *sql.Tx) error {
	if b == nil {
		return nil
	}
	if err := s.writeRows(ctx, tx, b.table, b.pending); err != nil {
		return err
	}
	b.pending = b.pending[:0]
	return nil
}

// batchRows is the number of rows one multi-row VALUES INSERT carries.
const batchRows = 500

// insertRows writes rows, their values laid end to end in columns' order,
// in multi-row INSERTs of up to batchRows rows; the statement of a full
// INSERT is prepared once.
func (s *Store) insertRows(ctx context.Context, tx *sql.Tx, table string, columns []string, values []any) error {
	return s.insertRowsOr(ctx, tx, table, columns, "", values)
}

// insertRowsOr is insertRows with an ON CONFLICT clause.
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
