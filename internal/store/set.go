package store

import (
	"context"
	"database/sql"
	"encoding/json"
)

// setMin is the length from which a list of values is sent as one set
// parameter instead of one placeholder per value. Short lists stay plain IN
// lists, which the planners see value by value.
const setMin = 16

// MaxParams is how many bound parameters one statement may carry: SQLite's
// default limit, and PostgreSQL's.
func (s *Store) MaxParams() int {
	if s.dialect.name() == "sqlite" {
		return 32766
	}
	return 65535
}

// InStrings returns the condition that expr equals one of vals, under the
// comparison rules of expr (a case-insensitive column stays
// case-insensitive). A long list is passed as one parameter and joined as a
// set (json_each on SQLite, an array on PostgreSQL): binding and planning
// then cost the same for ten thousand values as for one, and each value is
// one index probe. No values match nothing.
func (s *Store) InStrings(expr string, vals []string) Cond {
	switch {
	case len(vals) == 0:
		return Cond{SQL: "1=0"}
	case len(vals) < setMin:
		args := make([]any, len(vals))
		for i, v := range vals {
			args[i] = v
		}
		return Cond{SQL: expr + " IN (" + placeholders(len(vals)) + ")", Args: args}
	}
	return Cond{SQL: s.dialect.inSet(expr), Args: []any{s.dialect.setArg(vals)}}
}

// InInts is InStrings for integer values.
func (s *Store) InInts(expr string, vals []int64) Cond {
	switch {
	case len(vals) == 0:
		return Cond{SQL: "1=0"}
	case len(vals) < setMin:
		return Cond{SQL: expr + " IN (" + placeholders(len(vals)) + ")", Args: int64Args(vals)}
	}
	return Cond{SQL: s.dialect.inSet(expr), Args: []any{s.dialect.setArg(vals)}}
}

func (sqliteDialect) inSet(expr string) string {
	return expr + " IN (SELECT value FROM json_each(?))"
}

// setArg encodes the values as the JSON array json_each reads.
func (sqliteDialect) setArg(vals any) any {
	b, err := json.Marshal(vals)
	if err != nil {
		// Only string and integer slices come here, and they always encode.
		panic("store: set of values: " + err.Error())
	}
	return string(b)
}

// inSet compares with each element of an array parameter; the column's
// collation applies, and each element is one probe of its index.
func (postgresDialect) inSet(expr string) string { return expr + " = ANY(?)" }

// setArg passes the slice as it is: pgx sends it as an array.
func (postgresDialect) setArg(vals any) any { return vals }

// QueryPart runs one of several queries that share one piece of work at
// once (the parts of a search, see search/split.go) and calls fn with its
// rows. The parts are that work's parallelism, so on PostgreSQL a part
// runs in a read-only transaction that asks for no parallel workers of
// its own: on a small server they would only compete with the other parts
// for the same cores.
func (s *Store) QueryPart(ctx context.Context, q string, args []any, fn func(RowScanner) error) error {
	if s.dialect.name() != "postgres" {
		return s.EachRow(ctx, q, args, fn)
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SET LOCAL max_parallel_workers_per_gather = 0"); err != nil {
		return err
	}
	if err := eachRowOf(ctx, tx, q, args, fn); err != nil {
		return err
	}
	return tx.Commit()
}

// EachRow runs a query (bound for the dialect) and calls fn with each row.
func (s *Store) EachRow(ctx context.Context, q string, args []any, fn func(RowScanner) error) error {
	return eachRowOf(ctx, s.db, q, args, fn)
}

// eachRowOf runs a query and calls fn with each row.
func eachRowOf(ctx context.Context, db interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, q string, args []any, fn func(RowScanner) error) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
