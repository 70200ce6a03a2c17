package store

import (
	"context"
	"testing"

	"github.com/cairn-intel/cairn/internal/store/pgtest"
)

// TestPostgresNodesMigrateOnce starts two stores on one empty PostgreSQL
// database at once: the advisory lock lets one migrate and the other find
// the schema current.
func TestPostgresNodesMigrateOnce(t *testing.T) {
	url := pgtest.Database(t) // skips, naming CAIRN_TEST_POSTGRES, when it is unset
	ctx := context.Background()
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			s, err := OpenPostgres(ctx, url, Options{})
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("open: %v", err)
		}
	}
	s, err := OpenPostgres(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(migrations) {
		t.Errorf("got %d rows in schema_migrations, want %d", n, len(migrations))
	}
}
