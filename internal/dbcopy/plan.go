package dbcopy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cairn-intel/cairn/internal/store"
)

// Two tables are handled by name. schema_migrations is not copied: the store
// migrated both ends and their versions are compared instead. settings may
// hold rows that migrating wrote; the target's are replaced by the source's.
const (
	migrationsTable = "schema_migrations"
	settingsTable   = "settings"
)

// nodeState is what a copy leaves behind of the processes that served the
// source. None of them serves the target: their rows there would list a node
// that never ran on it (nodes), keep the jobs each node runs for itself
// under names no node of the target has (jobs with a scope), and hold a job
// or a feed until a lease taken on the source ran out. The shared jobs'
// schedules and histories and the feeds' health are copied. A write lease
// (write_leases) belongs to a write in progress on the source; on the
// target it would hold polls back for an hour.
var nodeState = map[string]stateRule{
	"nodes":        {skip: true},
	"write_leases": {skip: true},
	"jobs":         {where: `scope = ''`, reset: map[string]string{"lease_until": `0`}},
	"feeds":        {reset: map[string]string{"pulling_since": `0`, "pulling_node": `''`}},
}

// stateRule says which rows and values of a table a copy takes. Both the
// copy and its verification read the source through it, so the checksums
// still compare what was meant to arrive.
type stateRule struct {
	skip  bool
	where string            // an SQL condition on the rows to copy; "" for all
	reset map[string]string // columns copied as these SQL literals
}

// pair is one table to copy: the source's description and the target's.
type pair struct {
	src, dst *table
	// columns are the source's columns, every one present in the target.
	columns []string
	// key orders the rows for verification: the source's primary key, or
	// every column when the table has none.
	key []string
	// rule leaves out the table's node state, if it holds any.
	rule stateRule
}

// name returns the table's name.
func (p *pair) name() string { return p.src.name }

// from is the FROM clause reading the rows to copy.
func (p *pair) from() string {
	if p.rule.where == "" {
		return ` FROM ` + quoteIdent(p.name())
	}
	return ` FROM ` + quoteIdent(p.name()) + ` WHERE ` + p.rule.where
}

// selectSQL reads the rows to copy, in the order of orderBy if given.
func (p *pair) selectSQL(orderBy string) string {
	q := `SELECT `
	for i, c := range p.columns {
		if i > 0 {
			q += ", "
		}
		if lit, ok := p.rule.reset[c]; ok {
			q += lit + ` AS `
		}
		q += quoteIdent(c)
	}
	q += p.from()
	if orderBy != "" {
		q += ` ORDER BY ` + orderBy
	}
	return q
}

// plan pairs the tables of the source, in creation order, with the target's,
// leaving out those that only hold node state. A source table or column the
// target lacks is an error: with the schema versions equal it means the two
// were not built by the same migrations, and copying the rest would lose
// data silently. Columns only the target has keep their defaults.
func plan(src, dst *catalog) ([]pair, error) {
	var pairs []pair
	for i := range src.tables {
		st := &src.tables[i]
		rule := nodeState[st.name]
		if st.name == migrationsTable || rule.skip {
			continue
		}
		dt, ok := dst.table(st.name)
		if !ok {
			return nil, fmt.Errorf("table %s: the target has no such table: %w", st.name, ErrSchemaMismatch)
		}
		p := pair{src: st, dst: dt, key: st.key, rule: rule}
		for _, c := range st.columns {
			if _, ok := dt.column(c.name); !ok {
				return nil, fmt.Errorf("table %s, column %s: the target has no such column: %w", st.name, c.name, ErrSchemaMismatch)
			}
			p.columns = append(p.columns, c.name)
		}
		if len(p.key) == 0 {
			p.key = p.columns
		}
		pairs = append(pairs, p)
	}
	return pairs, nil
}

// checkVersions refuses two ends at different schema versions.
func checkVersions(ctx context.Context, src, dst *store.Store) error {
	sv, err := src.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("read the source's schema version: %w", err)
	}
	dv, err := dst.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("read the target's schema version: %w", err)
	}
	if sv != dv {
		return fmt.Errorf("the source is at schema version %d, the target at %d: %w", sv, dv, ErrSchemaMismatch)
	}
	return nil
}

// checkEmpty refuses a target holding any row but the settings that
// migrating an empty database writes.
func checkEmpty(ctx context.Context, dst *store.Store, cat *catalog) error {
	fresh, err := migrationSettings(ctx)
	if err != nil {
		return err
	}
	var full []string
	for _, t := range cat.tables {
		switch t.name {
		case migrationsTable:
		case settingsTable:
			names, err := settingNames(ctx, dst.DB())
			if err != nil {
				return fmt.Errorf("table %s of the target: %w", t.name, err)
			}
			var extra []string
			for _, n := range names {
				if !fresh[n] {
					extra = append(extra, n)
				}
			}
			if len(extra) > 0 {
				full = append(full, fmt.Sprintf("%s (%s)", t.name, strings.Join(extra, ", ")))
			}
		default:
			var n int
			err := dst.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM `+quoteIdent(t.name)+` LIMIT 1) x`).Scan(&n)
			if err != nil {
				return fmt.Errorf("table %s of the target: %w", t.name, err)
			}
			if n > 0 {
				full = append(full, t.name)
			}
		}
	}
	if len(full) > 0 {
		return fmt.Errorf("rows in %s: %w", strings.Join(full, ", "), ErrTargetNotEmpty)
	}
	return nil
}

// migrationSettings returns the names of the settings that migrating an
// empty database writes, by migrating one in a temporary directory.
func migrationSettings(ctx context.Context) (map[string]bool, error) {
	dir, err := os.MkdirTemp("", "cairn-dbcopy-")
	if err != nil {
		return nil, fmt.Errorf("temporary reference database: %w", err)
	}
	defer os.RemoveAll(dir)
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "cairn.db"), store.Options{})
	if err != nil {
		return nil, fmt.Errorf("temporary reference database: %w", err)
	}
	defer st.Close()
	names, err := settingNames(ctx, st.DB())
	if err != nil {
		return nil, fmt.Errorf("temporary reference database: %w", err)
	}
	fresh := map[string]bool{}
	for _, n := range names {
		fresh[n] = true
	}
	return fresh, nil
}

func settingNames(ctx context.Context, q querier) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT name FROM `+settingsTable)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}
