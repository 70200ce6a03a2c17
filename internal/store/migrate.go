package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// migrate applies every migration newer than the database's version, each in
// its own transaction.
func (s *Store) migrate(ctx context.Context) error {
	unlock, err := s.dialect.lockMigrations(ctx, s.wdb)
	if err != nil {
		return fmt.Errorf("lock for migrating: %w", err)
	}
	defer unlock()
	if _, err := s.exec(ctx,
		`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var current int
	if err := s.wdb.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this binary knows (%d): upgrade cairn", current, len(migrations))
	}
	for v := current + 1; v <= len(migrations); v++ {
		err := s.tx(ctx, func(tx *sql.Tx) error {
			stmts := append(s.dialect.preamble(v), splitStatements(s.dialect.ddl(migrations[v-1]))...)
			for _, stmt := range stmts {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("%w\n%s", err, stmt)
				}
			}
			_, err := tx.ExecContext(ctx, s.Rebind(`INSERT INTO schema_migrations (version, applied) VALUES (?, ?)`), v, s.now().Unix())
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
		s.log.Info("migration applied", "action", "migrate", "version", v)
	}
	return nil
}

// SchemaVersion returns the number of the last applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// splitStatements splits a migration on semicolons that end a line.
func splitStatements(text string) []string {
	var out []string
	for _, part := range strings.Split(text, ";\n") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, strings.TrimSuffix(p, ";"))
		}
	}
	return out
}
