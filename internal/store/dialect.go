package store

import (
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
