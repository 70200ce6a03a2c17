package search

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/store"
)

// benchDataStore opens the instance a many-value benchmark runs on: the
// PostgreSQL database in CAIRN_BENCH_DATABASE, or the SQLite database of the
// data directory in CAIRN_BENCH_DATA (load either with `cairn bench load`).
// Without either the benchmark is skipped: a dataset worth measuring takes
// minutes to load.
func benchDataStore(b *testing.B) (*store.Store, *store.Actor) {
	ctx := context.Background()
	var st *store.Store
	var err error
	switch url, dir := os.Getenv("CAIRN_BENCH_DATABASE"), os.Getenv("CAIRN_BENCH_DATA"); {
	case url != "":
		st, err = store.OpenPostgres(ctx, url, store.Options{})
	case dir != "":
		st, err = store.OpenSQLite(ctx, filepath.Join(dir, "cairn.db"), store.Options{})
	default:
		b.Skip("set CAIRN_BENCH_DATA to a data directory or CAIRN_BENCH_DATABASE to a PostgreSQL URL loaded by `cairn bench load`")
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	a, err := st.CLIActor(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	return st, a
}

// sampleValues reads n attribute values the way `cairn bench http` samples
// them from a server: pages of 500 indicators, every 37th page in
// (timestamp, uuid) order.
func sampleValues(b *testing.B, db *sql.DB, n int) []string {
	var out []string
	for page := 1; len(out) < n && page <= 20; page++ {
		rows, err := db.Query(`SELECT value1 FROM attributes
			WHERE type IN ('ip-dst', 'ip-src', 'domain', 'hostname', 'md5', 'sha256', 'url') AND deleted = 0
			ORDER BY timestamp, uuid LIMIT 500 OFFSET ` + strconv.Itoa((page*37-1)*500))
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				b.Fatal(err)
			}
			out = append(out, v)
		}
		rows.Close()
	}
	if len(out) < n {
		b.Fatalf("only %d values to sample", len(out))
	}
	return out[:n]
}

// BenchmarkManyValues measures attributes/restSearch with 1,000 values
// (CAIRN_BENCH_VALUES changes it): the search as the API runs it, rows
// encoded to JSON, against a baseline that reads the same attributes by
// value with one IN list and scans them, without access filter, tags or
// encoding, in the same process.
//
//	CAIRN_BENCH_DATA=./bench10 go test ./internal/search -run '^$' -bench ManyValues -benchtime 20x
func BenchmarkManyValues(b *testing.B) {
	st, a := benchDataStore(b)
	n := 1000
	if s := os.Getenv("CAIRN_BENCH_VALUES"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	values := sampleValues(b, st.DB(), n)
	ctx := context.Background()

	b.Run("raw", func(b *testing.B) {
		args := make([]any, len(values))
		for i, v := range values {
			args[i] = store.LowerASCII(v)
		}
		q := st.Rebind(`SELECT ` + store.AttributeColumns + ` FROM attributes a WHERE ` + st.ValueKey("a.value1") + ` IN (` +
			strings.TrimSuffix(strings.Repeat("?,", len(args)), ",") + `)`)
		var rowsRead int
		defer reportCPU(b)()
		for b.Loop() {
			rows, err := st.DB().QueryContext(ctx, q, args...)
			if err != nil {
				b.Fatal(err)
			}
			rowsRead = 0
			for rows.Next() {
				if _, err := store.ScanAttribute(rows); err != nil {
					b.Fatal(err)
				}
				rowsRead++
			}
			if err := rows.Close(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(rowsRead), "rows/op")
	})

	b.Run("search", func(b *testing.B) {
		p := Params{Value: Terms{OR: values}}
		var found int
		var buf []byte
		defer reportCPU(b)()
		for b.Loop() {
			attrs, _, _, err := AttributesAfter(ctx, st, a, p)
			if err != nil {
				b.Fatal(err)
			}
			buf = buf[:0]
			for _, at := range attrs {
				if buf, err = at.AppendJSON(buf); err != nil {
					b.Fatal(err)
				}
			}
			found = len(attrs)
		}
		b.ReportMetric(float64(found), "rows/op")
		b.ReportMetric(float64(len(buf)), "bytes/op")
	})
}

// reportCPU reports the process's CPU time (user and system) per
// operation: on a shared machine it varies less than the wall time, which
// includes waiting for a core. Call it deferred: reportCPU(b)().
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64((cpuTime()-start).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
