package gen

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // the raw baseline opens SQLite itself

	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/store"
)

// Result is the outcome of storing a generated dataset one way.
type Result struct {
	Events, Attributes int
	// Elapsed is the time spent storing; building the events is left out.
	Elapsed time.Duration
}

// Rate returns the attributes stored per second.
func (r Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Attributes) / r.Elapsed.Seconds()
}

// sqliteDSN are the connection settings store.OpenSQLite uses, so that the
// baseline pays for the same journal and sync mode.
// sqliteDSN matches the store's write connection (internal/store/db.go), page cache included,
// so the baseline is as strong as the store's own writer.
const sqliteDSN = "?_journal_mode=WAL&_synchronous=NORMAL&_foreign_keys=on&_busy_timeout=10000&_txlock=immediate&_cache_size=-65536"

// rawEvents is the events table of the baseline: only what the foreign key
// of the attributes table needs.
const rawEvents = `CREATE TABLE events (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE)`

// attributeSchema returns the statements that create the store's attributes
// table and its indexes, as the store's migrations left them in a new
// database in dir, so the baseline cannot drift from the schema.
func attributeSchema(ctx context.Context, dir string) ([]string, error) {
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "schema.db"), store.Options{})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	rows, err := st.DB().QueryContext(ctx, `SELECT sql FROM sqlite_master
		WHERE tbl_name = 'attributes' AND sql IS NOT NULL ORDER BY type DESC, name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	stmts := []string{rawEvents}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		stmts = append(stmts, s)
	}
	return stmts, rows.Err()
}

// rawBatch is the number of rows per transaction of the baseline.
const rawBatch = 50000

// RawInsert stores the attribute rows of every event straight into a new
// SQLite database in dir, in a table of the same shape and indexes as the
// store's, through one prepared INSERT in large transactions: the ceiling
// that store.SaveEvent is measured against.
func RawInsert(ctx context.Context, dir string, g *Generator) (Result, error) {
	return rawInsert(ctx, dir, g, false)
}

// RawInsertValueIndex is RawInsert into the same table with only the value
// index (and the uuid constraint) left: the calibration figure of a bare
// SQLite insert of attribute-shaped rows on this machine.
func RawInsertValueIndex(ctx context.Context, dir string, g *Generator) (Result, error) {
	return rawInsert(ctx, dir, g, true)
}

func rawInsert(ctx context.Context, dir string, g *Generator, valueIndexOnly bool) (Result, error) {
	schema, err := attributeSchema(ctx, dir)
	if err != nil {
		return Result{}, fmt.Errorf("read the attributes schema: %w", err)
	}
	if valueIndexOnly {
		kept := schema[:0]
		for _, stmt := range schema {
			if !strings.HasPrefix(stmt, "CREATE INDEX") || strings.Contains(stmt, "attributes_value1") {
				kept = append(kept, stmt)
			}
		}
		schema = kept
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "raw.db")+sqliteDSN)
	if err != nil {
		return Result{}, err
	}
	defer db.Close()
	for _, stmt := range schema {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return Result{}, fmt.Errorf("raw schema: %w", err)
		}
	}
	ins := &rawInserter{db: db}
	defer ins.close()
	var res Result
	err = g.Each(func(i int, ev *misp.Event) error {
		start := time.Now()
		n, err := ins.event(ctx, int64(i+1), ev)
		res.Elapsed += time.Since(start)
		res.Events++
		res.Attributes += n
		return err
	})
	if err != nil {
		return res, err
	}
	start := time.Now()
	err = ins.commit()
	res.Elapsed += time.Since(start)
	return res, err
}

// SaveEvents stores every event through store.SaveEvents in batches, as
// 'cairn import' does; an event or item the store refuses is an error, since
// generated data is valid.
func SaveEvents(ctx context.Context, st *store.Store, a *store.Actor, g *Generator) (Result, error) {
	var res Result
	var batch []*misp.Event
	size := 0
	flush := func() error {
		start := time.Now()
		results, errs, err := st.SaveEvents(ctx, a, batch, store.SaveOptions{Mode: store.ModeUpsert, Preserve: true})
		res.Elapsed += time.Since(start)
		if err != nil {
			return err
		}
		for i, saved := range results {
			if errs[i] != nil {
				return fmt.Errorf("event %d: %w", res.Events, errs[i])
			}
			if len(saved.Rejected) > 0 {
				r := saved.Rejected[0]
				return fmt.Errorf("event %d: the store refused %s: %s %s", res.Events, r.Item, r.Field, r.Reason)
			}
			res.Events++
			res.Attributes += saved.AttributesCreated
		}
		batch, size = batch[:0], 0
		return nil
	}
	err := g.Each(func(i int, ev *misp.Event) error {
		batch = append(batch, ev)
		size += g.Size(i)
		if size >= store.BatchAttributes || len(batch) >= store.BatchEvents {
			return flush()
		}
		return nil
	})
	if err == nil && len(batch) > 0 {
		err = flush()
	}
	return res, err
}

// NewStore opens a fresh store in dir with a site administrator to act as.
func NewStore(ctx context.Context, dir string) (*store.Store, *store.Actor, error) {
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "cairn.db"), store.Options{})
	if err != nil {
		return nil, nil, err
	}
	return initialise(ctx, st)
}

// NewPostgresStore opens the empty PostgreSQL database at dbURL as a store,
// with a site administrator to act as.
func NewPostgresStore(ctx context.Context, dbURL string) (*store.Store, *store.Actor, error) {
	st, err := store.OpenPostgres(ctx, dbURL, store.Options{})
	if err != nil {
		return nil, nil, err
	}
	checkpoint(ctx, st.DB())
	return initialise(ctx, st)
}

func initialise(ctx context.Context, st *store.Store) (*store.Store, *store.Actor, error) {
	_, err := st.Initialise(ctx, store.Bootstrap{OrgName: "Benchmark", AdminEmail: "bench@cairn.invalid",
		PasswordHash: "-", KeyHash: "-", RawKey: "benchmark-key-unused"})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	a, err := st.CLIActor(ctx, "")
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, a, nil
}
