// Package storetest opens a fresh store for a test: SQLite, or PostgreSQL
// during the second half of a run started by pgtest.Main.
package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/cairn-intel/cairn/internal/store"
	"github.com/cairn-intel/cairn/internal/store/pgtest"
)

// Open returns a new, migrated, empty store that is closed when t ends.
func Open(t testing.TB, opts store.Options) *store.Store {
	t.Helper()
	ctx := context.Background()
	var st *store.Store
	var err error
	if pgtest.Active() {
		st, err = store.OpenPostgres(ctx, pgtest.Database(t), opts)
	} else {
		st, err = store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "cairn.db"), opts)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
