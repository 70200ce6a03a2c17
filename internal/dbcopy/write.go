package dbcopy

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/cairn-intel/cairn/internal/store"
)

// writer fills the target inside its one transaction.
type writer interface {
	// copyRows writes every row of src into the target's table.
	copyRows(ctx context.Context, p *pair, src *rowSource) (int64, error)
	// clear deletes a table's rows (the settings migrating wrote).
	clear(ctx context.Context, table string) error
	// setSequence makes the next id of table's identity column last+1.
	setSequence(ctx context.Context, t *table, last int64) error
}

// inTarget runs fn in one transaction on the target: committed when fn
// returns nil, rolled back otherwise, so a failed copy leaves the target as
// it was.
func inTarget(ctx context.Context, dst *store.Store, fn func(writer) error) error {
	if dst.Dialect() == "postgres" {
		return inPostgres(ctx, dst.WriteDB(), fn)
	}
	tx, err := dst.WriteDB().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin the target's transaction: %w", err)
	}
	if err := fn(sqliteWriter{tx}); err != nil {
		_ = tx.Rollback() // the error that made us roll back is the one to report
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit the target's transaction: %w", err)
	}
	return nil
}

// inPostgres reaches the pgx connection under database/sql, for COPY.
func inPostgres(ctx context.Context, db *sql.DB, fn func(writer) error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect to the target: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("the target's driver connection is a %T, not pgx", dc)
		}
		return pgx.BeginFunc(ctx, sc.Conn(), func(tx pgx.Tx) error { return fn(pgWriter{tx}) })
	})
}

// pgWriter writes with COPY, PostgreSQL's bulk path.
type pgWriter struct{ tx pgx.Tx }

func (w pgWriter) copyRows(ctx context.Context, p *pair, src *rowSource) (int64, error) {
	rebuild, err := w.dropIndexes(ctx, p.name())
	if err != nil {
		return 0, err
	}
	n, err := w.tx.CopyFrom(ctx, pgx.Identifier{p.name()}, p.columns, src)
	if err != nil {
		return n, err
	}
	return n, rebuildIndexes(rebuild, func(q string) error {
		_, err := w.tx.Exec(ctx, q)
		return err
	})
}

// dropIndexes drops the table's indexes that back no constraint and returns
// the statements that build them again. Building an index once after COPY
// is cheaper than updating it for every row: 10 s instead of 16 s for the
// 595,023 attributes of the benchmark dataset. Primary keys and unique
// constraints stay, since foreign keys rely on them.
func (w pgWriter) dropIndexes(ctx context.Context, table string) ([]string, error) {
	rows, err := w.tx.Query(ctx, `SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
		FROM pg_index i
		WHERE i.indrelid = $1::regclass
			AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`, quoteIdent(table))
	if err != nil {
		return nil, fmt.Errorf("list indexes: %w", err)
	}
	type index struct{ name, def string }
	indexes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (index, error) {
		var ix index
		err := r.Scan(&ix.name, &ix.def)
		return ix, err
	})
	if err != nil {
		return nil, fmt.Errorf("list indexes: %w", err)
	}
	var rebuild []string
	for _, ix := range indexes {
		// regclass::text quotes the name where it needs quoting.
		if _, err := w.tx.Exec(ctx, `DROP INDEX `+ix.name); err != nil {
			return nil, fmt.Errorf("drop index %s until the rows are in: %w", ix.name, err)
		}
		rebuild = append(rebuild, ix.def)
	}
	return rebuild, nil
}

// rebuildIndexes runs the statements dropIndexes returned.
func rebuildIndexes(stmts []string, exec func(string) error) error {
	for _, q := range stmts {
		if err := exec(q); err != nil {
			return fmt.Errorf("rebuild index: %w\n%s", err, q)
		}
	}
	return nil
}

func (w pgWriter) clear(ctx context.Context, table string) error {
	_, err := w.tx.Exec(ctx, `DELETE FROM `+quoteIdent(table))
	return err
}

// setSequence sets the identity sequence; an unused one restarts at 1.
func (w pgWriter) setSequence(ctx context.Context, t *table, last int64) error {
	value, called := last, true
	if last < 1 {
		value, called = 1, false
	}
	_, err := w.tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), $3, $4)`,
		quoteIdent(t.name), t.identity, value, called)
	return err
}

// sqliteWriter writes with prepared multi-row INSERTs.
type sqliteWriter struct{ tx *sql.Tx }

// SQLite takes up to 32,766 parameters per statement; a few hundred rows
// per INSERT is past the point where bigger batches gain.
const (
	sqliteMaxParams = 32766
	sqliteMaxRows   = 256
)

func (w sqliteWriter) copyRows(ctx context.Context, p *pair, src *rowSource) (int64, error) {
	rebuild, err := w.dropIndexes(ctx, p.name())
	if err != nil {
		return 0, err
	}
	n, err := w.insert(ctx, p, src)
	if err != nil {
		return n, err
	}
	return n, rebuildIndexes(rebuild, func(q string) error {
		_, err := w.tx.ExecContext(ctx, q)
		return err
	})
}

// dropIndexes drops the table's indexes that were created on their own (the
// ones of PRIMARY KEY and UNIQUE clauses have no SQL and stay) and returns
// the statements that build them again, for the reason pgWriter's does.
func (w sqliteWriter) dropIndexes(ctx context.Context, table string) ([]string, error) {
	rows, err := w.tx.QueryContext(ctx,
		`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL`, table)
	if err != nil {
		return nil, fmt.Errorf("list indexes: %w", err)
	}
	var names, rebuild []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list indexes: %w", err)
		}
		names, rebuild = append(names, name), append(rebuild, def)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list indexes: %w", err)
	}
	for _, name := range names {
		if _, err := w.tx.ExecContext(ctx, `DROP INDEX `+quoteIdent(name)); err != nil {
			return nil, fmt.Errorf("drop index %s until the rows are in: %w", name, err)
		}
	}
	return rebuild, nil
}

// insert writes the rows with a prepared INSERT of many rows at a time.
func (w sqliteWriter) insert(ctx context.Context, p *pair, src *rowSource) (int64, error) {
	width := len(p.columns)
	per := max(1, min(sqliteMaxRows, sqliteMaxParams/width))
	full, err := w.tx.PrepareContext(ctx, insertSQL(p, per))
	if err != nil {
		return 0, err
	}
	defer full.Close()
	args := make([]any, 0, per*width)
	var n int64
	for src.Next() {
		row, _ := src.Values() // never fails
		args = append(args, row...)
		n++
		if len(args) == cap(args) {
			if _, err := full.ExecContext(ctx, args...); err != nil {
				return n, err
			}
			args = args[:0]
		}
	}
	if err := src.Err(); err != nil {
		return n, err
	}
	if len(args) > 0 {
		if _, err := w.tx.ExecContext(ctx, insertSQL(p, len(args)/width), args...); err != nil {
			return n, err
		}
	}
	return n, nil
}

// insertSQL is an INSERT of rows rows into p's columns.
func insertSQL(p *pair, rows int) string {
	cols := make([]string, len(p.columns))
	for i, c := range p.columns {
		cols[i] = quoteIdent(c)
	}
	one := "(" + strings.Repeat("?,", len(cols)-1) + "?)"
	return `INSERT INTO ` + quoteIdent(p.name()) + ` (` + strings.Join(cols, ", ") + `) VALUES ` +
		strings.Repeat(one+",", rows-1) + one
}

func (w sqliteWriter) clear(ctx context.Context, table string) error {
	_, err := w.tx.ExecContext(ctx, `DELETE FROM `+quoteIdent(table))
	return err
}

// setSequence writes sqlite_sequence, which SQLite lets a program update:
// inserting explicit ids moved it to the largest id only, not past ids the
// source had used and deleted.
func (w sqliteWriter) setSequence(ctx context.Context, t *table, last int64) error {
	res, err := w.tx.ExecContext(ctx, `UPDATE sqlite_sequence SET seq = ? WHERE name = ?`, last, t.name)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 || last < 1 {
		return err
	}
	_, err = w.tx.ExecContext(ctx, `INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)`, t.name, last)
	return err
}
