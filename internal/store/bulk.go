package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// bulkTx is the transaction of a bulk rewrite (the correlation rebuild):
// plain statements, and the fastest way the database has to load postings.
type bulkTx interface {
	exec(ctx context.Context, q string, args ...any) error
	queryRow(ctx context.Context, q string, args ...any) rowScanner
	insertPostings(ctx context.Context, ps []posting) error
}

// bulk runs fn in one bulk transaction: on SQLite the store's write
// transaction with multi-row INSERTs; on PostgreSQL a pgx transaction on a
// connection of its own, which loads rows with COPY, several times faster
// than INSERT.
func (s *Store) bulk(ctx context.Context, fn func(bulkTx) error) error {
	if s.dialect.name() != "postgres" {
		return s.tx(ctx, func(tx *sql.Tx) error { return fn(sqlBulk{s, tx}) })
	}
	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("bulk transaction: unexpected driver connection %T", dc)
		}
		return pgx.BeginFunc(ctx, sc.Conn(), func(tx pgx.Tx) error { return fn(pgBulk{s, tx}) })
	})
}

type sqlBulk struct {
	s  *Store
	tx *sql.Tx
}

func (b sqlBulk) exec(ctx context.Context, q string, args ...any) error {
	_, err := b.tx.ExecContext(ctx, b.s.Rebind(q), args...)
	return err
}

func (b sqlBulk) queryRow(ctx context.Context, q string, args ...any) rowScanner {
	return b.tx.QueryRowContext(ctx, b.s.Rebind(q), args...)
}

func (b sqlBulk) insertPostings(ctx context.Context, ps []posting) error {
	return b.s.insertPostings(ctx, b.tx, ps)
}

type pgBulk struct {
	s  *Store
	tx pgx.Tx
}

func (b pgBulk) exec(ctx context.Context, q string, args ...any) error {
	_, err := b.tx.Exec(ctx, b.s.Rebind(q), args...)
	return err
}

func (b pgBulk) queryRow(ctx context.Context, q string, args ...any) rowScanner {
	return b.tx.QueryRow(ctx, b.s.Rebind(q), args...)
}

func (b pgBulk) insertPostings(ctx context.Context, ps []posting) error {
	_, err := b.tx.CopyFrom(ctx, pgx.Identifier{"correlations"},
		[]string{"value_hash", "event_id", "attribute_id", "field"},
		pgx.CopyFromSlice(len(ps), func(i int) ([]any, error) {
			p := ps[i]
			return []any{p.hash, p.eventID, p.attributeID, int64(p.field)}, nil
		}))
	return err
}
