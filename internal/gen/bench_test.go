package gen

import (
	"context"
	"database/sql"
	"os"
	"strconv"
	"testing"

	"github.com/cairn-intel/cairn/internal/store/pgtest"
)

// benchConfig is the dataset of the benchmarks: a tenth of the default
// unless CAIRN_BENCH_EVENTS asks for another number of events.
func benchConfig(b *testing.B) Config {
	cfg := DefaultConfig().WithEvents(DefaultEvents / 10)
	if v := os.Getenv("CAIRN_BENCH_EVENTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("CAIRN_BENCH_EVENTS=%q: %v", v, err)
		}
		cfg = DefaultConfig().WithEvents(n)
	}
	return cfg
}

// BenchmarkRawInsert measures the baseline: the attribute rows inserted
// with a prepared statement in large transactions.
func BenchmarkRawInsert(b *testing.B) {
	g, err := New(benchConfig(b))
	if err != nil {
		b.Fatal(err)
	}
	var total Result
	for i := 0; i < b.N; i++ {
		res, err := RawInsert(context.Background(), b.TempDir(), g)
		if err != nil {
			b.Fatal(err)
		}
		total.Attributes += res.Attributes
		total.Elapsed += res.Elapsed
	}
	b.ReportMetric(total.Rate(), "attrs/s")
}

// BenchmarkSaveEvent measures the same rows stored through store.SaveEvent,
// one transaction per event, into a fresh store each round.
func BenchmarkSaveEvent(b *testing.B) {
	g, err := New(benchConfig(b))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var total Result
	for i := 0; i < b.N; i++ {
		st, a, err := NewStore(ctx, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		res, err := SaveEvents(ctx, st, a, g)
		st.Close()
		if err != nil {
			b.Fatal(err)
		}
		total.Attributes += res.Attributes
		total.Elapsed += res.Elapsed
	}
	b.ReportMetric(total.Rate(), "attrs/s")
}

// BenchmarkRawInsertPostgres measures the PostgreSQL baseline: the same rows
// in multi-row INSERTs, in a new database each round.
func BenchmarkRawInsertPostgres(b *testing.B) {
	benchPostgres(b, RawInsertPostgres)
}

// BenchmarkRawCopyPostgres measures the second PostgreSQL reference: the
// same rows sent with COPY.
func BenchmarkRawCopyPostgres(b *testing.B) {
	benchPostgres(b, RawCopyPostgres)
}

// BenchmarkRowByRowPostgres measures the same rows sent one per statement,
// as the store sends them, to tell the cost of the round trips apart from
// the rest of the store's work.
func BenchmarkRowByRowPostgres(b *testing.B) {
	benchPostgres(b, func(ctx context.Context, dbURL string, g *Generator) (Result, error) {
		return rawPostgres(ctx, dbURL, g, "raw_single", func(db *sql.DB) (pgSink, error) {
			return &rowByRowSink{insertSink{db: db, schema: "raw_single", stmts: map[string]string{}}}, nil
		})
	})
}

// rowByRowSink sends one prepared single-row INSERT per row.
type rowByRowSink struct{ insertSink }

func (s *rowByRowSink) write(ctx context.Context, table string, columns []string, rows [][]any) error {
	q := s.statement(table, columns, 1)
	for _, r := range rows {
		if _, err := s.tx.ExecContext(ctx, q, r...); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkSaveEventPostgres measures the same events stored through
// store.SaveEvents into a new PostgreSQL database each round.
func BenchmarkSaveEventPostgres(b *testing.B) {
	benchPostgres(b, func(ctx context.Context, dbURL string, g *Generator) (Result, error) {
		st, a, err := NewPostgresStore(ctx, dbURL)
		if err != nil {
			return Result{}, err
		}
		defer st.Close()
		return SaveEvents(ctx, st, a, g)
	})
}

// benchPostgres runs store once a round in a database of its own on the
// server of CAIRN_TEST_POSTGRES, and skips without one.
func benchPostgres(b *testing.B, store func(context.Context, string, *Generator) (Result, error)) {
	server := os.Getenv(pgtest.Env)
	if server == "" {
		b.Skipf("set %s to a postgres:// URL to measure PostgreSQL", pgtest.Env)
	}
	g, err := New(benchConfig(b))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var total Result
	for i := 0; i < b.N; i++ {
		dbURL, drop, err := CreateDatabase(ctx, server)
		if err != nil {
			b.Fatal(err)
		}
		res, err := store(ctx, dbURL, g)
		if derr := drop(); derr != nil {
			b.Errorf("drop the benchmark database: %v", derr)
		}
		if err != nil {
			b.Fatal(err)
		}
		total.Attributes += res.Attributes
		total.Elapsed += res.Elapsed
	}
	b.ReportMetric(total.Rate(), "attrs/s")
}
