// Package dbcopy moves a Cairn instance from one database to another, SQLite
// to PostgreSQL or back: every table the source's catalog lists, in creation
// order, row for row with its ids, in one transaction on the target, but for
// the state of the nodes that served the source; then a verification reads
// both sides back and compares the row count and a checksum of every table.
package dbcopy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cairn-intel/cairn/internal/store"
)

// The errors that refuse a copy before it starts.
var (
	ErrSchemaMismatch = errors.New("the source and the target have different schemas")
	ErrTargetNotEmpty = errors.New("the target database is not empty: copy into a new, empty database")
)

// Progress says how far a copy or a verification has come.
type Progress struct {
	Phase string // "copy" or "verify"
	Table string // the table being read
	// Done and Total count source rows over all tables.
	Done, Total int64
}

// Options configure Copy and Verify.
type Options struct {
	// Progress, when set, is called every few thousand rows and at the end of
	// each table, from one goroutine at a time.
	Progress func(Progress)
}

// Result sums up a copy.
type Result struct {
	Tables  int
	Rows    int64
	Elapsed time.Duration
}

// Copy copies every row of src into dst, which must be empty and at the same
// schema version, leaving out the source's nodes, their own jobs and their
// claims on jobs and feeds (see nodeState). Both must be opened through the
// store, which migrates them; nothing may write to src meanwhile. The rows are read in one
// snapshot of src and written in one transaction on dst, so a failed copy
// leaves dst empty. Identity sequences on dst continue after the last id
// src handed out, even one since deleted.
func Copy(ctx context.Context, src, dst *store.Store, opts Options) (Result, error) {
	start := time.Now()
	if err := checkVersions(ctx, src, dst); err != nil {
		return Result{}, err
	}
	if err := checkIdle(ctx, src); err != nil {
		return Result{}, err
	}
	snap, err := src.DB().BeginTx(ctx, snapshot(src))
	if err != nil {
		return Result{}, fmt.Errorf("begin reading the source: %w", err)
	}
	defer func() { _ = snap.Rollback() }() // read-only: nothing to keep or report

	srcCat, err := readCatalog(ctx, snap, src.Dialect())
	if err != nil {
		return Result{}, err
	}
	dstCat, err := readCatalog(ctx, dst.DB(), dst.Dialect())
	if err != nil {
		return Result{}, err
	}
	pairs, err := plan(srcCat, dstCat)
	if err != nil {
		return Result{}, err
	}
	if err := checkEmpty(ctx, dst, dstCat); err != nil {
		return Result{}, err
	}
	counts, total, err := countRows(ctx, snap, pairs)
	if err != nil {
		return Result{}, err
	}

	c := &copier{snap: snap, src: srcCat, toPostgres: dst.Dialect() == "postgres",
		progress: progressFunc(opts, "copy", total)}
	err = inTarget(ctx, dst, func(w writer) error { return c.run(ctx, w, pairs, counts) })
	if err != nil {
		return Result{}, err
	}
	return Result{Tables: len(pairs), Rows: total, Elapsed: time.Since(start)}, nil
}

// snapshot asks PostgreSQL for one snapshot across the reads; a SQLite read
// transaction in WAL mode is one already.
func snapshot(st *store.Store) *sql.TxOptions {
	if st.Dialect() == "postgres" {
		return &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	return nil
}

// countRows counts each table's rows, for the progress bar and the report.
func countRows(ctx context.Context, q querier, pairs []pair) ([]int64, int64, error) {
	counts := make([]int64, len(pairs))
	var total int64
	for i := range pairs {
		name := pairs[i].name()
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*)`+pairs[i].from()).Scan(&counts[i]); err != nil {
			return nil, 0, fmt.Errorf("table %s: count rows: %w", name, err)
		}
		total += counts[i]
	}
	return counts, total, nil
}

// copier moves the tables of one copy.
type copier struct {
	snap       *sql.Tx
	src        *catalog
	toPostgres bool
	progress   func(table string, rows int64)
}

// run copies every table, then sets the sequences.
func (c *copier) run(ctx context.Context, w writer, pairs []pair, counts []int64) error {
	for i := range pairs {
		p := &pairs[i]
		if p.name() == settingsTable {
			if err := w.clear(ctx, p.name()); err != nil {
				return fmt.Errorf("table %s: clear the target's rows: %w", p.name(), err)
			}
		}
		n, err := c.table(ctx, w, p)
		if err != nil {
			return err
		}
		if n != counts[i] {
			return fmt.Errorf("table %s: read %d rows, counted %d: is something writing to the source?", p.name(), n, counts[i])
		}
	}
	for i := range pairs {
		if err := c.sequence(ctx, w, &pairs[i]); err != nil {
			return err
		}
	}
	return nil
}

func (c *copier) table(ctx context.Context, w writer, p *pair) (int64, error) {
	rows, err := c.snap.QueryContext(ctx, p.selectSQL(""))
	if err != nil {
		return 0, fmt.Errorf("table %s: read: %w", p.name(), err)
	}
	defer rows.Close()
	src := newRowSource(rows, p, c.toPostgres, func(n int64) { c.progress(p.name(), n) })
	n, err := w.copyRows(ctx, p, src)
	if srcErr := src.Err(); srcErr != nil {
		// The writer's error, if any, only echoes it (COPY reports it as
		// its own failure).
		return n, srcErr
	}
	if err != nil {
		return n, fmt.Errorf("table %s: %w", p.name(), err)
	}
	src.done()
	return n, nil
}

// sequence carries the source's last id over to the target's identity
// column: the larger of what the source's sequence says and the largest id
// present (a table without a sequence on the source has only the latter).
func (c *copier) sequence(ctx context.Context, w writer, p *pair) error {
	col := p.dst.identity
	if col == "" {
		return nil
	}
	var last sql.NullInt64
	q := `SELECT MAX(` + quoteIdent(col) + `) FROM ` + quoteIdent(p.name())
	if err := c.snap.QueryRowContext(ctx, q).Scan(&last); err != nil {
		return fmt.Errorf("table %s, column %s: largest id: %w", p.name(), col, err)
	}
	if p.src.identity == col {
		last.Int64 = max(last.Int64, c.src.sequences[p.name()])
	}
	if err := w.setSequence(ctx, p.dst, last.Int64); err != nil {
		return fmt.Errorf("table %s, column %s: set the sequence to %d: %w", p.name(), col, last.Int64, err)
	}
	return nil
}

// progressFunc turns per-table row counts into running Progress reports.
func progressFunc(opts Options, phase string, total int64) func(table string, rows int64) {
	if opts.Progress == nil {
		return func(string, int64) {}
	}
	var done int64
	return func(table string, rows int64) {
		done += rows
		opts.Progress(Progress{Phase: phase, Table: table, Done: done, Total: total})
	}
}

// ErrSourceInUse is returned when a server is running on the source: rows
// it writes during the copy would be missing from the target, and the
// verification would fail only after the target was written.
var ErrSourceInUse = errors.New("a cairn serve node is running on the source; stop it first")

// checkIdle refuses a source that a live node serves.
func checkIdle(ctx context.Context, src *store.Store) error {
	nodes, err := src.Nodes(ctx)
	if err != nil {
		return fmt.Errorf("read the source's nodes: %w", err)
	}
	now := time.Now()
	for _, n := range nodes {
		if n.Alive(now) {
			return fmt.Errorf("node %s (%s, last seen %s): %w", n.ID, n.Listen,
				n.LastSeen.UTC().Format(time.RFC3339), ErrSourceInUse)
		}
	}
	return nil
}
