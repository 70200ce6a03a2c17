// Package store keeps Cairn's data: the schema and its migrations, the
// SQLite and PostgreSQL dialects, the writers and readers of every MISP model,
// and the one access filter that decides what an actor may see.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

// Store is a handle on Cairn's database.
type Store struct {
	db *sql.DB // reads
	// wdb is the handle writes go through. On SQLite it is one connection
	// with a large page cache, since SQLite has a single writer anyway; the
	// read pool keeps small caches so memory stays bounded. On PostgreSQL it
	// is the same pool as db.
	wdb     *sql.DB
	dialect dialect
	log     *slog.Logger
	now     func() time.Time

	// writeMu serialises write transactions on SQLite, whose single writer
	// would otherwise answer concurrent writers with SQLITE_BUSY.
	writeMu sync.Mutex

	// policy checks the tags of writes; see SetTagPolicy.
	policy atomic.Pointer[policyBox]

	// correlationWake is signalled when a write queues events for the
	// correlation worker.
	correlationWake chan struct{}

	// keyUse holds, per key id, when this process last recorded the key's
	// use (see claimKeyUse).
	keyUse sync.Map
}

// Options configure Open.
type Options struct {
	Logger *slog.Logger
	// Now replaces the clock in tests.
	Now func() time.Time
}

// sqliteWriterCache is the write connection's page cache: 64 MB.
const sqliteWriterCache = "-65536"

// OpenSQLite opens (creating if needed) the SQLite database at path, in WAL
// mode, and applies pending migrations.
func OpenSQLite(ctx context.Context, path string, opts Options) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create database directory: %w", err)
	}
	base := "file:" + path + "?_journal_mode=WAL&_synchronous=NORMAL&_foreign_keys=on&_busy_timeout=10000"
	wdb, err := sql.Open("sqlite3", base+"&_txlock=immediate&_cache_size="+sqliteWriterCache)
	if err != nil {
		return nil, err
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetConnMaxIdleTime(0)
	// The write connection creates the file and the schema before any
	// reader opens it.
	if err := wdb.PingContext(ctx); err != nil {
		wdb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db, err := sql.Open("sqlite3", base+"&_cache_size=-16384")
	if err != nil {
		wdb.Close()
		return nil, err
	}
	// Four readers with 16 MB of page cache each: enough for two cores, and
	// memory stays bounded (64 MB at most, with the writer's 64 MB). At 6M
	// attributes a server peaked at 110 MB after its benchmark runs against
	// 148 MB with 32 MB readers, and the searches took as long.
	db.SetMaxOpenConns(sqliteReaders)
	db.SetMaxIdleConns(sqliteReaders)
	// A connection plans with the statistics it read when it opened (see
	// refreshSQLiteStatistics): none lives long past a refresh.
	db.SetConnMaxLifetime(30 * time.Minute)
	s := newStore(db, sqliteDialect{}, opts)
	s.wdb = wdb
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if _, err := os.Stat(path + suffix); err == nil {
			if err := os.Chmod(path+suffix, 0o600); err != nil {
				s.Close()
				return nil, err
			}
		}
	}
	return s, nil
}

// OpenPostgres connects to the PostgreSQL database at url (postgres://...)
// through pgx and applies pending migrations. Reads and writes share one
// pool; PostgreSQL serialises conflicting writers itself.
func OpenPostgres(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database URL: %w", err)
	}
	// PostgreSQL's own plan_cache_mode (auto) applies unless the URL sets
	// one: pgx prepares each statement once per connection, and after five
	// runs PostgreSQL keeps a generic plan when it costs no more than the
	// custom ones, saving the 0.2-0.4 ms of planning each run. Cairn planned
	// every statement with its parameters while values were compared under
	// the ICU collation, where a generic plan of a search for a set of
	// values compared every row with every value; the byte-hashed value
	// indexes (migration 6) are probed value by value under either plan.
	//
	// PostgreSQL's JIT compiler is off unless the URL turns it on. It
	// compiles a statement whose estimated cost passes jit_above_cost, and
	// compiling the condition of a search of thousands of CIDR or wildcard
	// terms took LLVM many minutes, during which the backend heeds no
	// cancel: the query budget, a client that went away and even DROP
	// DATABASE waited on it. Cairn's statements are short, and the long ones
	// (exports, correlation statistics) spend their time reading rows.
	if _, set := cfg.RuntimeParams["jit"]; !set && !strings.Contains(cfg.RuntimeParams["options"], "jit") {
		cfg.RuntimeParams["jit"] = "off"
	}
	db := stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(func(_ context.Context, c *pgx.Conn) error {
		m := c.TypeMap()
		m.TryWrapEncodePlanFuncs = append([]pgtype.TryWrapEncodePlanFunc{tryWrapBoolAsInt}, m.TryWrapEncodePlanFuncs...)
		return nil
	}))
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s@%s/%s: %w", cfg.User, cfg.Host, cfg.Database, err)
	}
	s := newStore(db, postgresDialect{}, opts)
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func newStore(db *sql.DB, d dialect, opts Options) *Store {
	s := &Store{db: db, wdb: db, dialect: d, log: opts.Logger, now: opts.Now, correlationWake: make(chan struct{}, 1)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Close closes the database.
func (s *Store) Close() error {
	err := s.db.Close()
	if s.wdb != s.db {
		if werr := s.wdb.Close(); err == nil {
			err = werr
		}
	}
	return err
}

// exec runs one write statement outside a transaction.
func (s *Store) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if s.dialect.singleWriter() {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	return s.wdb.ExecContext(ctx, s.Rebind(q), args...)
}

// DB returns the underlying database for packages that build their own
// read queries (search); they must apply the access filter of this package.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect returns the name of the SQL dialect: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect.name() }

// Rebind rewrites ?-placeholders for the store's dialect.
func (s *Store) Rebind(q string) string { return s.dialect.rebind(q) }

// Like returns a case-insensitive LIKE of col against one placeholder, in
// the store's dialect.
func (s *Store) Like(col string) string { return s.dialect.like(col) }

// likeLower is expr LIKE one placeholder, the pattern taken as written
// (the caller lowers both sides): % and _ are wildcards and nothing
// escapes them, on either database.
func (s *Store) likeLower(expr string) string { return expr + " LIKE ?" + s.dialect.likeEscape() }

// Now returns the store's clock.
func (s *Store) Now() time.Time { return s.now() }

// tx runs fn in one transaction: committed when fn returns nil, rolled back
// otherwise.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	if s.dialect.singleWriter() {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		// A cancelled context has rolled the transaction back already.
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			s.log.Error("rollback failed", "error", rbErr)
		}
		return err
	}
	return tx.Commit()
}

// placeholders returns "?,?,?" for n values.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?,", n-1) + "?"
}

// int64Args converts ids to query arguments.
func int64Args(ids []int64) []any {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return args
}

// Optimize refreshes the query planner's statistics. SQLite chooses between
// the value index and the timestamp index by these numbers, so they are
// refreshed after bulk writes and at start.
func (s *Store) Optimize(ctx context.Context, full bool) error {
	_, err := s.exec(ctx, s.dialect.optimize(full))
	return err
}

// RefreshStatistics refreshes the planner's statistics of the tables that
// changed much since they were last gathered, and returns their names. A
// server that started on an empty database otherwise plans with the
// numbers of an empty database for as long as it runs (SQLite gathers
// them only when asked; PostgreSQL's autovacuum may be off): a csv export
// of 11,000 attributes took 93 s so planned, 0.2 s after an ANALYZE.
// On SQLite a table is analysed when its size moved by half from its
// statistics (refreshSQLiteStatistics); on PostgreSQL once a tenth of its
// rows (and at least 500) changed, about autovacuum's own rule.
func (s *Store) RefreshStatistics(ctx context.Context) ([]string, error) {
	if s.dialect.name() == "sqlite" {
		return s.refreshSQLiteStatistics(ctx)
	}
	tables, err := queryAll(ctx, s, `SELECT relname FROM pg_stat_user_tables
		WHERE n_mod_since_analyze >= 500 AND n_mod_since_analyze >= n_live_tup / 10 ORDER BY relname`, nil,
		func(r rowScanner) (name string, err error) { err = r.Scan(&name); return })
	if err != nil {
		return nil, err
	}
	for _, t := range tables {
		if _, err := s.db.ExecContext(ctx, `ANALYZE `+pgx.Identifier{t}.Sanitize()); err != nil {
			return nil, err
		}
	}
	return tables, nil
}

// refreshSQLiteStatistics analyses each table whose row count is half as
// large again, or half as small, as the statistics say (or that has rows
// and none), with a sampling limit that keeps ANALYZE of a large table
// short. PRAGMA optimize alone waits for a table to grow tenfold, and a
// small table read as one row where it holds three made SQLite plan a
// 3,000-attribute search to take 2.6 s instead of 0.05 s.
func (s *Store) refreshSQLiteStatistics(ctx context.Context) ([]string, error) {
	type table struct {
		name      string
		estimated int64 // -1: no statistics
	}
	estimate := `-1` // before the first ANALYZE there is no sqlite_stat1
	var analysed int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'`).Scan(&analysed); err != nil {
		return nil, err
	}
	if analysed > 0 {
		// The largest index is the table: a partial index counts its own rows.
		estimate = `COALESCE((SELECT MAX(CAST(stat AS INTEGER)) FROM sqlite_stat1 st WHERE st.tbl = m.name), -1)`
	}
	tables, err := queryAll(ctx, s, `SELECT m.name, `+estimate+` FROM sqlite_master m
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name`, nil,
		func(r rowScanner) (t table, err error) { err = r.Scan(&t.name, &t.estimated); return })
	if err != nil {
		return nil, err
	}
	var stale []string
	for _, t := range tables {
		var rows int64
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+t.name+`"`).Scan(&rows); err != nil {
			return nil, err
		}
		switch {
		case t.estimated < 0 && rows == 0, t.estimated >= 0 && 2*rows < 3*t.estimated && 3*rows > 2*t.estimated:
			continue // no rows yet, or within half again of the statistics
		case t.estimated >= 0 && rows == t.estimated:
			continue
		}
		stale = append(stale, t.name)
	}
	if len(stale) == 0 {
		return nil, nil
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `PRAGMA analysis_limit = 1000`); err != nil {
			return err
		}
		for _, t := range stale {
			if _, err := tx.ExecContext(ctx, `ANALYZE "`+t+`"`); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `PRAGMA analysis_limit = 0`) // a full ANALYZE stays full
		return err
	})
	if err == nil {
		// Each connection reads the statistics once, when it opens: the
		// readers idle now are closed, and the pool opens new ones that
		// read the new numbers; one busy now ends within its lifetime.
		s.db.SetMaxIdleConns(0)
		s.db.SetMaxIdleConns(sqliteReaders)
	}
	return stale, err
}

// sqliteReaders is how many read connections a SQLite store keeps.
const sqliteReaders = 4

// scanIDs reads a one-column result of ids and closes the rows.
func scanIDs(rows *sql.Rows) ([]int64, error) {
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// RowScanner is a row of a query, or the row of QueryRow.
type RowScanner = rowScanner

// QueryAll runs a read query written with ? placeholders and scans every row
// with scan, for packages that build their own queries (search); they must
// apply the access filter of this package.
func QueryAll[T any](ctx context.Context, s *Store, q string, args []any, scan func(RowScanner) (T, error)) ([]T, error) {
	return queryAll(ctx, s, s.Rebind(q), args, scan)
}

// QueryPlan returns SQLite's plan of a query, a line per step, so that
// tests can check that a query probes an index; on PostgreSQL it returns
// nothing.
func (s *Store) QueryPlan(ctx context.Context, q string, args ...any) ([]string, error) {
	if s.dialect.name() != "sqlite" {
		return nil, nil
	}
	return queryAll(ctx, s, `EXPLAIN QUERY PLAN `+q, args, func(r rowScanner) (detail string, err error) {
		var id, parent, unused int
		err = r.Scan(&id, &parent, &unused, &detail)
		return
	})
}

// queryAll runs a query and scans every row with scan. q is already bound
// for the dialect.
func queryAll[T any](ctx context.Context, s *Store, q string, args []any, scan func(rowScanner) (T, error)) ([]T, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
