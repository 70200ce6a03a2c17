package gen

import (
	"context"
	"os"
	"strconv"
	"testing"
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
