package store

import (
	"strconv"
	"strings"
)

// dialect holds every difference between SQLite and PostgreSQL that the rest
// of the package must not know about.
type dialect interface {
	name() string
	// ddl rewrites the portable schema text: {{pk}} becomes the dialect's
	// auto-increment primary key, {{blob}} its byte-string type, {{nocase}}
	// a case-insensitive collation clause for a text column.
	ddl(string) string
	rebind(string) string
	singleWriter() bool
}

type sqliteDialect struct{}

func (sqliteDialect) name() string { return "sqlite" }

func (sqliteDialect) ddl(q string) string {
	return strings.NewReplacer(
		"{{pk}}", "INTEGER PRIMARY KEY AUTOINCREMENT", // ids are never reused after a delete
		"{{blob}}", "BLOB",
		"{{nocase}}", "COLLATE NOCASE",
	).Replace(q)
}

func (sqliteDialect) rebind(q string) string { return q }

func (sqliteDialect) singleWriter() bool { return true }

// rebindDollar rewrites ? placeholders as $1, $2, ... for PostgreSQL,
// leaving question marks inside string literals alone.
func rebindDollar(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 16)
	n, inString := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			inString = !inString
		case c == '?' && !inString:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
