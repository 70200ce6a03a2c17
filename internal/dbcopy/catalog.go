package dbcopy

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// kind is how a column's values are converted and compared across dialects.
type kind int

const (
	kindOther kind = iota // passed through as read
	kindInt
	kindFloat
	kindText
	kindBytes
	kindBool
)

// column is one column of a table, in the catalog's order.
type column struct {
	name string
	kind kind
}

// table is one table as a database's catalog describes it.
type table struct {
	name    string
	columns []column
	// key lists the primary key's columns in key order; empty when the
	// table has none.
	key []string
	// identity is the column whose values a sequence hands out (an
	// AUTOINCREMENT id on SQLite, an identity or serial column on
	// PostgreSQL), or "".
	identity string
}

// column returns the named column.
func (t *table) column(name string) (column, bool) {
	for _, c := range t.columns {
		if c.name == name {
			return c, true
		}
	}
	return column{}, false
}

// catalog is the list of a database's tables in creation order, so that a
// table comes after those its foreign keys name.
type catalog struct {
	dialect string
	tables  []table
	// sequences holds, per table, the last id its sequence handed out
	// (SQLite's sqlite_sequence, PostgreSQL's identity sequences).
	sequences map[string]int64
}

// table returns the named table.
func (c *catalog) table(name string) (*table, bool) {
	for i := range c.tables {
		if c.tables[i].name == name {
			return &c.tables[i], true
		}
	}
	return nil, false
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// catalogRow is one column of one table as a catalog query returns it.
type catalogRow struct {
	table, column, decl string
	keyPos              int // position in the primary key, 1-based; 0 when not part of it
	identity            bool
}

// The catalog queries list every column of every ordinary table in creation
// order. SQLite's own tables (sqlite_sequence, sqlite_stat1) are left out.
const (
	sqliteCatalog = `SELECT m.name, p.name, p.type, p.pk,
		p.pk = 1 AND upper(p.type) = 'INTEGER' AND upper(m.sql) LIKE '%AUTOINCREMENT%'
	FROM sqlite_master m, pragma_table_info(m.name) p
	WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\_%' ESCAPE '\'
	ORDER BY m.rowid, p.cid`
	postgresCatalog = `SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
		COALESCE(array_position(i.indkey::int2[], a.attnum), 0),
		a.attidentity <> '' OR COALESCE(pg_get_expr(d.adbin, d.adrelid), '') LIKE 'nextval(%'
	FROM pg_class c
	JOIN pg_namespace n ON n.oid = c.relnamespace
	JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
	LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
	LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
	WHERE n.nspname = current_schema() AND c.relkind = 'r'
	ORDER BY c.oid, a.attnum`
)

// readCatalog lists the tables of a database of the given dialect
// ("sqlite" or "postgres") and the state of their sequences.
func readCatalog(ctx context.Context, q querier, dialect string) (*catalog, error) {
	query, kindOf := sqliteCatalog, sqliteKind
	if dialect == "postgres" {
		query, kindOf = postgresCatalog, postgresKind
	}
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("read the %s catalog: %w", dialect, err)
	}
	defer rows.Close()
	c := &catalog{dialect: dialect, sequences: map[string]int64{}}
	for rows.Next() {
		var r catalogRow
		if err := rows.Scan(&r.table, &r.column, &r.decl, &r.keyPos, &r.identity); err != nil {
			return nil, fmt.Errorf("read the %s catalog: %w", dialect, err)
		}
		c.add(r, kindOf(r.decl))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the %s catalog: %w", dialect, err)
	}
	if err := c.readSequences(ctx, q); err != nil {
		return nil, err
	}
	return c, nil
}

// add appends one catalog row to its table, which is new when the previous
// row belonged to another.
func (c *catalog) add(r catalogRow, k kind) {
	if n := len(c.tables); n == 0 || c.tables[n-1].name != r.table {
		c.tables = append(c.tables, table{name: r.table})
	}
	t := &c.tables[len(c.tables)-1]
	t.columns = append(t.columns, column{name: r.column, kind: k})
	if r.keyPos > 0 {
		for len(t.key) < r.keyPos {
			t.key = append(t.key, "")
		}
		t.key[r.keyPos-1] = r.column
	}
	if r.identity {
		t.identity = r.column
	}
}

// readSequences records the last id each table's sequence handed out.
func (c *catalog) readSequences(ctx context.Context, q querier) error {
	if c.dialect != "postgres" {
		// SQLite creates sqlite_sequence with the first AUTOINCREMENT table.
		if !c.hasIdentity() {
			return nil
		}
		return c.scanSQLiteSequences(ctx, q)
	}
	for _, t := range c.tables {
		if t.identity == "" {
			continue
		}
		// pg_sequence_last_value is NULL until the sequence is first used.
		var last sql.NullInt64
		err := q.QueryRowContext(ctx, `SELECT pg_sequence_last_value(pg_get_serial_sequence($1, $2)::regclass)`,
			quoteIdent(t.name), t.identity).Scan(&last)
		if err != nil {
			return fmt.Errorf("read the sequence of %s.%s: %w", t.name, t.identity, err)
		}
		c.sequences[t.name] = last.Int64
	}
	return nil
}

func (c *catalog) hasIdentity() bool {
	for _, t := range c.tables {
		if t.identity != "" {
			return true
		}
	}
	return false
}

func (c *catalog) scanSQLiteSequences(ctx context.Context, q querier) error {
	rows, err := q.QueryContext(ctx, `SELECT name, seq FROM sqlite_sequence`)
	if err != nil {
		return fmt.Errorf("read sqlite_sequence: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var seq int64
		if err := rows.Scan(&name, &seq); err != nil {
			return fmt.Errorf("read sqlite_sequence: %w", err)
		}
		c.sequences[name] = seq
	}
	return rows.Err()
}

// sqliteKind follows SQLite's rules for a declared type's affinity.
func sqliteKind(decl string) kind {
	d := strings.ToUpper(decl)
	switch {
	case strings.Contains(d, "INT"):
		return kindInt
	case strings.Contains(d, "CHAR"), strings.Contains(d, "CLOB"), strings.Contains(d, "TEXT"):
		return kindText
	case strings.Contains(d, "BLOB"):
		return kindBytes
	case strings.Contains(d, "REAL"), strings.Contains(d, "FLOA"), strings.Contains(d, "DOUB"):
		return kindFloat
	}
	return kindOther
}

// postgresKind maps the types format_type names.
func postgresKind(decl string) kind {
	switch {
	case decl == "bigint", decl == "integer", decl == "smallint":
		return kindInt
	case decl == "text", strings.HasPrefix(decl, "character"):
		return kindText
	case decl == "bytea":
		return kindBytes
	case decl == "double precision", decl == "real":
		return kindFloat
	case decl == "boolean":
		return kindBool
	}
	return kindOther
}

// quoteIdent quotes a table or column name for either dialect.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
