package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cairn-intel/cairn/internal/store/pgtest"
)

// TestMain runs the suite on SQLite, then on PostgreSQL when
// CAIRN_TEST_POSTGRES is set.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// openTestStore returns a fresh store of the current half's dialect, closed
// when t ends.
func openTestStore(t *testing.T, opts Options) *Store {
	t.Helper()
	ctx := context.Background()
	var s *Store
	var err error
	if pgtest.Active() {
		s, err = OpenPostgres(ctx, pgtest.Database(t), opts)
	} else {
		s, err = OpenSQLite(ctx, filepath.Join(t.TempDir(), "cairn.db"), opts)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
