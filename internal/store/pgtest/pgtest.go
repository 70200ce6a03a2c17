// Package pgtest runs a package's tests a second time against PostgreSQL
// when CAIRN_TEST_POSTGRES names a server, giving each test a fresh database.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// Env names the variable holding the PostgreSQL URL the tests may use.
const Env = "CAIRN_TEST_POSTGRES"

// active is true during the PostgreSQL half of a test binary's run.
var active bool

// Active reports whether the current run is the PostgreSQL half.
func Active() bool { return active }

// Main runs the tests on SQLite, then again on PostgreSQL when Env is set,
// and returns the exit code for os.Exit. Without Env it says that the
// PostgreSQL half was skipped.
func Main(m *testing.M) int {
	code := m.Run()
	if os.Getenv(Env) == "" {
		fmt.Fprintf(os.Stderr, "pgtest: PostgreSQL half SKIPPED: %s is not set\n", Env)
		return code
	}
	fmt.Fprintf(os.Stderr, "pgtest: running the tests again on PostgreSQL (%s)\n", Env)
	active = true
	if pg := m.Run(); pg != 0 {
		fmt.Fprintf(os.Stderr, "pgtest: the PostgreSQL half FAILED\n")
		code = pg
	}
	return code
}

// Database creates an empty database on the server named by Env, drops it
// when the test ends, and returns its URL.
func Database(t testing.TB) string {
	t.Helper()
	base := os.Getenv(Env)
	if base == "" {
		t.Skipf("the PostgreSQL half is skipped: set %s to a postgres:// URL to run it", Env)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand does not fail on supported systems
	name := "cairn_t_" + hex.EncodeToString(b)
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
