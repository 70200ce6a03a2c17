package gen

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver of database/sql, which the store uses too

	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/store"
)

// The PostgreSQL baselines insert the attribute rows of a dataset into a
// copy of the store's own attributes table (columns, collations, defaults,
// identity, constraints and indexes, taken from the database the store's
// migrations built), with its foreign key to a bare events table, as the
// SQLite baseline does. Both commit every rawBatch rows.
//
// RawInsertPostgres sends multi-row INSERT statements of pgStatementRows rows
// through database/sql and pgx, the path the store's writer could take;
// RawCopyPostgres streams the rows with COPY, which the store cannot use for
// attributes whose ids it needs back, and is the second reference.

// pgStatementRows is the number of rows per INSERT statement: 19 parameters
// a row, well under PostgreSQL's 65,535 parameters per statement.
const pgStatementRows = 1000

// CreateDatabase creates an empty database named cairn_bench_<random> on
// the PostgreSQL server that serverURL connects to, and returns the URL of
// the new database and a function that drops it.
func CreateDatabase(ctx context.Context, serverURL string) (dbURL string, drop func() error, err error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", nil, fmt.Errorf("parse database URL: %w", err)
	}
	admin, err := sql.Open("pgx", serverURL)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand does not fail on supported systems
	name := "cairn_bench_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	drop = func() error {
		defer admin.Close()
		// The caller's context may be cancelled already; the drop must still run.
		_, err := admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		return err
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}

// RawInsertPostgres migrates the database at dbURL as the store would,
// inserts every generated attribute row into a copy of its attributes table
// with multi-row INSERTs, and drops the copy again.
func RawInsertPostgres(ctx context.Context, dbURL string, g *Generator) (Result, error) {
	return rawPostgres(ctx, dbURL, g, "raw_insert", func(db *sql.DB) (pgSink, error) {
		return &insertSink{db: db, schema: "raw_insert", stmts: map[string]string{}}, nil
	})
}

// RawCopyPostgres is RawInsertPostgres with the rows sent through COPY.
func RawCopyPostgres(ctx context.Context, dbURL string, g *Generator) (Result, error) {
	return rawPostgres(ctx, dbURL, g, "raw_copy", func(*sql.DB) (pgSink, error) {
		conn, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			return nil, err
		}
		return &copySink{conn: conn, schema: "raw_copy"}, nil
	})
}

func rawPostgres(ctx context.Context, dbURL string, g *Generator, schema string,
	open func(*sql.DB) (pgSink, error)) (Result, error) {
	st, err := store.OpenPostgres(ctx, dbURL, store.Options{}) // applies the migrations
	if err != nil {
		return Result{}, err
	}
	st.Close()
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		return Result{}, err
	}
	defer db.Close()
	if err := createRawSchema(ctx, db, schema); err != nil {
		return Result{}, fmt.Errorf("raw schema: %w", err)
	}
	defer func() {
		_, _ = db.ExecContext(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE") // best effort: the database is dropped anyway
	}()
	checkpoint(ctx, db)
	sink, err := open(db)
	if err != nil {
		return Result{}, err
	}
	defer sink.close()
	return loadRows(ctx, sink, g)
}

// createRawSchema creates the baseline's tables in a schema of their own.
func createRawSchema(ctx context.Context, db *sql.DB, schema string) error {
	for _, stmt := range []string{
		"DROP SCHEMA IF EXISTS " + schema + " CASCADE",
		"CREATE SCHEMA " + schema,
		"CREATE TABLE " + schema + ".events (id BIGINT PRIMARY KEY, uuid TEXT NOT NULL UNIQUE)",
		"CREATE TABLE " + schema + ".attributes (LIKE public.attributes INCLUDING ALL, " +
			"FOREIGN KEY (event_id) REFERENCES " + schema + ".events (id) ON DELETE CASCADE)",
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return nil
}

// checkpoint flushes what earlier runs wrote, so that a run does not pay for
// the checkpoint of the one before.
func checkpoint(ctx context.Context, db *sql.DB) {
	_, _ = db.ExecContext(ctx, "CHECKPOINT") // needs a superuser; without one the runs are only less even
}

// pgSink writes rows in a transaction it opens and commits.
type pgSink interface {
	// batchRows is the number of attribute rows worth one write.
	batchRows() int
	begin(ctx context.Context) error
	write(ctx context.Context, table string, columns []string, rows [][]any) error
	commit(ctx context.Context) error
	close()
}

var eventColumns = []string{"id", "uuid"}

// loadRows writes the rows of every event to sink: events first, then their
// attributes, batchRows rows at a time, committing after the
// event that brings the transaction to rawBatch rows. Only the time spent
// normalising and writing is counted.
func loadRows(ctx context.Context, sink pgSink, g *Generator) (Result, error) {
	var res Result
	var events, attrs [][]any
	var objectID int64
	inTx, open := 0, false
	flush := func() error {
		if err := sink.write(ctx, "events", eventColumns, events); err != nil {
			return err
		}
		err := sink.write(ctx, "attributes", attributeColumns, attrs)
		events, attrs = events[:0], attrs[:0]
		return err
	}
	err := g.Each(func(i int, ev *misp.Event) error {
		start := time.Now()
		defer func() { res.Elapsed += time.Since(start) }()
		if !open {
			if err := sink.begin(ctx); err != nil {
				return err
			}
			open = true
		}
		events = append(events, []any{int64(i + 1), text(ev.UUID)})
		n, err := eachRow(int64(i+1), ev, &objectID, func(row []any) error {
			attrs = append(attrs, row)
			if len(attrs) < sink.batchRows() {
				return nil
			}
			return flush()
		})
		res.Events++
		res.Attributes += n
		if err != nil {
			return err
		}
		if inTx += n; inTx < rawBatch {
			return nil
		}
		if err := flush(); err != nil {
			return err
		}
		inTx, open = 0, false
		return sink.commit(ctx)
	})
	if err != nil || !open {
		return res, err
	}
	start := time.Now()
	if err = flush(); err == nil {
		err = sink.commit(ctx)
	}
	res.Elapsed += time.Since(start)
	return res, err
}

// insertSink writes rows with multi-row INSERT statements.
type insertSink struct {
	db     *sql.DB
	schema string
	tx     *sql.Tx
	stmts  map[string]string // statement text by table and number of rows
	args   []any
}

func (*insertSink) batchRows() int { return pgStatementRows }

func (s *insertSink) begin(ctx context.Context) (err error) {
	s.tx, err = s.db.BeginTx(ctx, nil)
	return err
}

func (s *insertSink) write(ctx context.Context, table string, columns []string, rows [][]any) error {
	for len(rows) > 0 {
		n := min(len(rows), pgStatementRows)
		s.args = s.args[:0]
		for _, r := range rows[:n] {
			s.args = append(s.args, r...)
		}
		if _, err := s.tx.ExecContext(ctx, s.statement(table, columns, n), s.args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
		rows = rows[n:]
	}
	return nil
}

// statement returns the INSERT of n rows into table; pgx prepares each text
// once per connection and reuses it.
func (s *insertSink) statement(table string, columns []string, n int) string {
	key := table + "/" + strconv.Itoa(n)
	if q, ok := s.stmts[key]; ok {
		return q
	}
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s.%s (%s) VALUES ", s.schema, table, strings.Join(columns, ", "))
	p := 0
	for r := range n {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range columns {
			if c > 0 {
				b.WriteString(", ")
			}
			p++
			b.WriteString("$" + strconv.Itoa(p))
		}
		b.WriteByte(')')
	}
	s.stmts[key] = b.String()
	return s.stmts[key]
}

func (s *insertSink) commit(context.Context) error {
	err := s.tx.Commit()
	s.tx = nil
	return err
}

func (s *insertSink) close() {
	if s.tx != nil {
		_ = s.tx.Rollback() // after an earlier error, which is the one reported
	}
}

// copySink writes rows with COPY on a connection of its own.
type copySink struct {
	conn   *pgx.Conn
	schema string
	tx     pgx.Tx
}

// batchRows is the whole transaction: one COPY per table and commit.
func (*copySink) batchRows() int { return rawBatch }

func (s *copySink) begin(ctx context.Context) (err error) {
	s.tx, err = s.conn.Begin(ctx)
	return err
}

func (s *copySink) write(ctx context.Context, table string, columns []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	_, err := s.tx.CopyFrom(ctx, pgx.Identifier{s.schema, table}, columns, pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	return nil
}

func (s *copySink) commit(ctx context.Context) error {
	err := s.tx.Commit(ctx)
	s.tx = nil
	return err
}

func (s *copySink) close() {
	if s.tx != nil {
		_ = s.tx.Rollback(context.Background()) // after an earlier error, which is the one reported
	}
	_ = s.conn.Close(context.Background()) // nothing is left to lose on this connection
}
