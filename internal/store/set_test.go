package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/store/pgtest"
)

// TestSetsUseAnIndex reads SQLite's plan of long value sets, each of which
// must probe an index per value rather than scan the table.
func TestSetsUseAnIndex(t *testing.T) {
	s, _ := newTestStore(t)
	if s.Dialect() != "sqlite" {
		t.Skip("reads SQLite's query plan")
	}
	var vals, refs []string
	var ids []int64
	for i := range 3 * setMin {
		vals = append(vals, fmt.Sprintf("value-%d.example", i))
		ids = append(ids, int64(i+1))
		refs = append(refs, fmt.Sprint(i+1), fmt.Sprintf("6a1f0c2e-0000-4000-8000-%012d", i))
	}
	cases := map[string]Cond{
		"values":     s.InStrings("t.value1", vals),
		"ids":        s.InInts("t.id", ids),
		"references": s.RefsCond("t", refs),
	}
	for name, c := range cases {
		if len(c.Args) > 2 {
			t.Errorf("%s: %d parameters, want the set as one (two for ids and uuids)", name, len(c.Args))
		}
		plan, err := s.QueryPlan(context.Background(), `SELECT 1 FROM attributes t WHERE `+c.SQL, c.Args...)
		if err != nil {
			t.Fatal(err)
		}
		joined := strings.Join(plan, "; ")
		if strings.Contains(joined, "SCAN t") || !strings.Contains(joined, "SEARCH t") {
			t.Errorf("%s: plan %q reads the table instead of probing an index", name, joined)
		}
	}
}

// TestShortSetsStayInLists checks that a short list is sent value by value,
// which the planners see, and that an empty one matches nothing.
func TestShortSetsStayInLists(t *testing.T) {
	s, _ := newTestStore(t)
	c := s.InStrings("v", []string{"a", "b"})
	if c.SQL != "v IN (?,?)" || len(c.Args) != 2 {
		t.Errorf("two values: %q %v", c.SQL, c.Args)
	}
	if c := s.InInts("v", nil); c.SQL != "1=0" {
		t.Errorf("no values: %q, want a condition matching nothing", c.SQL)
	}
}

// TestPostgresKeepsGenericPlansOfSets checks that the pool's connections
// use PostgreSQL's own plan cache mode, and that a generic plan of a search
// for a set of values still probes the value index for each value (with
// the ICU collation it compared every row with every value, which is why
// Cairn once planned every statement anew).
func TestPostgresKeepsGenericPlansOfSets(t *testing.T) {
	s, _ := newTestStore(t)
	if s.Dialect() != "postgres" {
		t.Skip("a PostgreSQL setting")
	}
	ctx := context.Background()
	var mode string
	if err := s.db.QueryRowContext(ctx, `SHOW plan_cache_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "auto" {
		t.Errorf("plan_cache_mode is %q, want PostgreSQL's auto", mode)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var vals []string
	for i := range 3 * setMin {
		vals = append(vals, fmt.Sprintf("value-%d.example", i))
	}
	c := s.InValues("a.value1", vals)
	for _, q := range []string{`SET plan_cache_mode = force_generic_plan`, `SET enable_seqscan = off`,
		`PREPARE generic_set(text[]) AS SELECT a.id FROM attributes a WHERE ` + s.Rebind(c.SQL)} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	defer conn.ExecContext(ctx, `DEALLOCATE generic_set; RESET plan_cache_mode; RESET enable_seqscan`)
	// EXPLAIN takes no parameters: the set goes as an array literal (the
	// values hold no quotes, commas or braces).
	plan := explain(t, conn, `EXPLAIN EXECUTE generic_set('{`+strings.Join(vals, ",")+`}')`)
	if !strings.Contains(plan, "attributes_value1_key") {
		t.Errorf("generic plan %q does not probe the value index", plan)
	}
}

// TestCancelledTransactionLogsNoError checks that a transaction whose
// context is cancelled, as a shutting-down worker's is, ends quietly: the
// cancellation has rolled it back, and the explicit rollback that follows
// is not a failure worth an error line.
func TestCancelledTransactionLogsNoError(t *testing.T) {
	var logged strings.Builder
	s := openTestStore(t, Options{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	err := s.tx(ctx, func(tx *sql.Tx) error {
		cancel()
		time.Sleep(50 * time.Millisecond) // database/sql rolls back when it sees the cancellation
		return ctx.Err()
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want the cancellation", err)
	}
	if strings.Contains(logged.String(), "rollback failed") {
		t.Errorf("logged %q", logged.String())
	}
}

// TestQueryPartRunsAlone checks that a part of a split search reads its
// rows, and on PostgreSQL asks for no parallel workers, leaving the
// connection's setting as it was afterwards.
func TestQueryPartRunsAlone(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	q, want := `SELECT 'rows'`, "rows"
	if s.Dialect() != "sqlite" {
		q, want = `SHOW max_parallel_workers_per_gather`, "0"
	}
	var got []string
	if err := s.QueryPart(ctx, q, nil, func(r RowScanner) error {
		var v string
		err := r.Scan(&v)
		got = append(got, v)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != want {
		t.Errorf("got %q, want [%q]", got, want)
	}
	if s.Dialect() != "sqlite" {
		var after string
		if err := s.DB().QueryRowContext(ctx, `SHOW max_parallel_workers_per_gather`).Scan(&after); err != nil {
			t.Fatal(err)
		}
		if after == "0" {
			t.Errorf("the setting outlived the part's transaction")
		}
	}
}

// TestPostgresCompilesNothing checks that the pool's connections leave
// PostgreSQL's JIT compiler off unless the URL turns it on: LLVM compiled
// the condition of a search of thousands of CIDR terms for many minutes,
// deaf to the query budget's cancel. The URL makes every statement costly
// enough to compile, so the test would see JIT wherever it is on.
func TestPostgresCompilesNothing(t *testing.T) {
	if !pgtest.Active() {
		t.Skip("a PostgreSQL setting")
	}
	ctx := context.Background()
	u, err := url.Parse(pgtest.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	withParams := func(kv ...string) string {
		q := u.Query()
		for _, k := range []string{"jit_above_cost", "jit_inline_above_cost", "jit_optimize_above_cost"} {
			q.Set(k, "0")
		}
		for i := 0; i+1 < len(kv); i += 2 {
			q.Set(kv[i], kv[i+1])
		}
		v := *u
		v.RawQuery = q.Encode()
		return v.String()
	}
	const q = `EXPLAIN SELECT count(*) FROM attributes WHERE value1 LIKE 'a%' OR value2 LIKE 'b%' OR ip BETWEEN '\x00' AND '\x01'`
	plan := func(dsn string) string {
		s, err := OpenPostgres(ctx, dsn, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		conn, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return explain(t, conn, q)
	}
	if on := plan(withParams("jit", "on")); !strings.Contains(on, "JIT:") {
		t.Skipf("this server does not compile even with jit=on (no llvmjit?): %q", on)
	}
	if got := plan(withParams()); strings.Contains(got, "JIT:") {
		t.Errorf("a connection of Cairn's pool would compile: %q", got)
	}
}
