package gen

import (
	"context"
	"database/sql"
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/cairn-intel/cairn/internal/store"
	"github.com/cairn-intel/cairn/internal/store/pgtest"
)

// testDatabase returns a new database on the server of CAIRN_TEST_POSTGRES,
// dropped when the test ends, or skips.
func testDatabase(t *testing.T) string {
	t.Helper()
	server := os.Getenv(pgtest.Env)
	if server == "" {
		t.Skipf("the PostgreSQL half is skipped: set %s to a postgres:// URL to run it", pgtest.Env)
	}
	dbURL, drop, err := CreateDatabase(context.Background(), server)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("drop the test database: %v", err)
		}
	})
	return dbURL
}

// TestRawSchemaPostgres checks that the baseline's attributes table has the
// columns and indexes of the store's.
func TestRawSchemaPostgres(t *testing.T) {
	dbURL := testDatabase(t)
	ctx := context.Background()
	st, err := store.OpenPostgres(ctx, dbURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := createRawSchema(ctx, db, "raw_insert"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`SELECT column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(collation_name, '')
			|| ' ' || is_identity FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'attributes'`,
		`SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'attributes'`,
	} {
		got, want := describe(t, db, q, "raw_insert"), describe(t, db, q, "public")
		if len(want) < 2 || !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

// indexName is what differs between two copies of one index definition.
var indexName = regexp.MustCompile(`INDEX \S+ ON \w+\.`)

func describe(t *testing.T, db *sql.DB, q, schema string) []string {
	t.Helper()
	rows, err := db.Query(q, schema)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, indexName.ReplaceAllString(s, "INDEX ON "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// TestRawPostgres checks that both baselines store every generated row.
func TestRawPostgres(t *testing.T) {
	g, err := New(DefaultConfig().WithEvents(20))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		load func(context.Context, string, *Generator) (Result, error)
	}{
		{"insert", RawInsertPostgres},
		{"copy", RawCopyPostgres},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.load(context.Background(), testDatabase(t), g)
			if err != nil {
				t.Fatal(err)
			}
			if want := g.Config(); res.Events != want.Events || res.Attributes != want.Attributes {
				t.Errorf("got %d events, %d attributes; want %d, %d", res.Events, res.Attributes,
					want.Events, want.Attributes)
			}
		})
	}
}
