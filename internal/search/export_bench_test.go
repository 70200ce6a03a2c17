package search

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/store"
)

// benchURLs is the number of url attributes of the export benchmark;
// CAIRN_BENCH_URLS changes it.
func benchURLs(b *testing.B) int {
	n := 250_000
	if s := os.Getenv("CAIRN_BENCH_URLS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	return n
}

// urlStore fills a fresh store with n distinct url attributes for IDS in
// published events of 1,000 attributes, through the store's write path.
func urlStore(b *testing.B, n int) (*store.Store, *store.Actor) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "cairn.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := st.Initialise(ctx, store.Bootstrap{OrgName: "Bench", AdminEmail: "bench@host.test", KeyHash: "h",
		RawKey: "k"}); err != nil {
		b.Fatal(err)
	}
	a, err := st.CLIActor(ctx, "")
	if err != nil {
		b.Fatal(err)
	}

	const perEvent = 1000
	now := time.Now().Unix()
	var batch []*misp.Event
	for start := 0; start < n; start += perEvent {
		attrs := make([]map[string]any, 0, perEvent)
		for i := start; i < min(start+perEvent, n); i++ {
			attrs = append(attrs, map[string]any{"type": "url", "category": "Network activity", "to_ids": true,
				"value": fmt.Sprintf("https://host%d.example/path/%d/index.php?id=%d", i%5000, i, i*7)})
		}
		raw, _ := json.Marshal(map[string]any{"info": fmt.Sprintf("urls %d", start), "distribution": 1,
			"published": true, "timestamp": now, "publish_timestamp": now, "Attribute": attrs})
		var ev misp.Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			b.Fatal(err)
		}
		batch = append(batch, &ev)
		if len(batch) == 20 || start+perEvent >= n {
			if _, errs, err := st.SaveEvents(ctx, a, batch, store.SaveOptions{Mode: store.ModeCreate, Preserve: true}); err != nil {
				b.Fatal(err)
			} else if err := joinErrs(errs); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	return st, a
}

func joinErrs(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// heapWriter discards what it is given and samples the heap as it goes.
type heapWriter struct {
	bytes, writes int64
	peak          uint64
}

func (w *heapWriter) Write(p []byte) (int, error) {
	w.bytes += int64(len(p))
	if w.writes++; w.writes%4 == 0 {
		w.sample()
	}
	return len(p), nil
}

func (w *heapWriter) sample() {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	w.peak = max(w.peak, m.HeapInuse)
}

// BenchmarkTextExport exports the url attributes as text, as
// attributes/restSearch returnFormat text does, as the site administrator
// and as an ordinary user of the owning organisation (whose access filter
// is checked on every row), then as CSV, and reports the time, the bytes written, and
// how far the Go heap grew above its level before the export (sampled
// every 4 writes of about 60 KiB).
//
//	go test ./internal/search -run '^$' -bench TextExport -benchtime 3x
func BenchmarkTextExport(b *testing.B) {
	n := benchURLs(b)
	st, admin := urlStore(b, n)
	user := fixtureUser(b, st, admin.Org.ID, "user@host.test", 3)
	p, err := ParseRestSearch([]byte(`{"returnFormat":"text","type":"url"}`), nil, nil, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	for _, as := range []struct {
		name string
		a    *store.Actor
	}{{"site-admin", admin}, {"org-user", user}} {
		b.Run(as.name, func(b *testing.B) { benchExport(b, st, as.a, p, n) })
	}
	// For comparison: CSV reads every column, the object, and the tags.
	p.ReturnFormat = "csv"
	b.Run("csv-site-admin", func(b *testing.B) { benchExport(b, st, admin, p, n) })
}

func benchExport(b *testing.B, st *store.Store, a *store.Actor, p Params, n int) {
	ctx := context.Background()
	for b.Loop() {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		w := &heapWriter{peak: before.HeapInuse}

		x, err := PrepareExport(ctx, st, a, p, ExportOptions{}, ScopeAttributes)
		if err != nil {
			b.Fatal(err)
		}
		rows, err := x.Run(ctx, w)
		if err != nil {
			b.Fatal(err)
		}
		w.sample()
		if rows != int64(n) {
			b.Fatalf("got %d rows, want %d", rows, n)
		}
		b.ReportMetric(float64(w.bytes)/(1<<20), "MB-written")
		b.ReportMetric(float64(w.peak-before.HeapInuse)/(1<<20), "MB-heap-growth")
	}
}
