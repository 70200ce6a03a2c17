package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/auth"
	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/store"
)

// BenchmarkTextExportHTTP asks attributes/restSearch for the text export of
// 250,000 url attributes over a loopback connection and reads the whole
// answer; the Go heap of the process (server and client) is sampled while
// the body streams.
//
//	go test ./internal/api -run '^$' -bench TextExportHTTP -benchtime 3x
func BenchmarkTextExportHTTP(b *testing.B) {
	srv, key := urlServer(b, 250_000)
	benchHTTPExport(b, srv, key, "/attributes/restSearch", `{"returnFormat":"text","type":"url"}`, 250_000*40)
}

// BenchmarkJSONExportHTTP is BenchmarkTextExportHTTP for the json answers
// of attributes/restSearch and events/restSearch (250 events of 1,000
// attributes), which are written a chunk at a time.
//
//	go test ./internal/api -run '^$' -bench JSONExportHTTP -benchtime 3x
func BenchmarkJSONExportHTTP(b *testing.B) {
	srv, key := urlServer(b, 250_000)
	b.Run("attributes", func(b *testing.B) {
		benchHTTPExport(b, srv, key, "/attributes/restSearch", `{"type":"url"}`, 250_000*300)
	})
	b.Run("events", func(b *testing.B) {
		benchHTTPExport(b, srv, key, "/events/restSearch", `{"type":"url"}`, 250_000*300)
	})
}

// urlServer serves a fresh instance holding n url attributes and returns
// the site administrator's key.
func urlServer(b *testing.B, n int) (*httptest.Server, string) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "cairn.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	key := auth.NewKey()
	if _, err := st.Initialise(ctx, store.Bootstrap{OrgName: "Host", AdminEmail: "admin@host.test",
		KeyHash: auth.HashKey(key), RawKey: key}); err != nil {
		b.Fatal(err)
	}
	fillURLs(b, st, n)
	log := slog.New(slog.DiscardHandler)
	k, err := OpenKnowledge(ctx, st, log)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(New(st, log, Config{CairnVersion: "bench", Knowledge: k}))
	b.Cleanup(srv.Close)
	return srv, key
}

// benchHTTPExport posts body to path, reads the answer to its end while
// sampling the heap, and reports the bytes read and the heap's growth.
func benchHTTPExport(b *testing.B, srv *httptest.Server, key, path, body string, minBytes int64) {
	for b.Loop() {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		peak, read := before.HeapInuse, int64(0)
		buf := make([]byte, 256<<10)
		for i := 0; ; i++ {
			m, err := resp.Body.Read(buf)
			read += int64(m)
			if i%64 == 0 {
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || read < minBytes {
			b.Fatalf("got status %d and %d bytes", resp.StatusCode, read)
		}
		b.ReportMetric(float64(read)/(1<<20), "MB-read")
		b.ReportMetric(float64(peak-before.HeapInuse)/(1<<20), "MB-heap-growth")
	}
}

// fillURLs stores n distinct url attributes for IDS in published events of
// 1,000, as the site administrator.
func fillURLs(b *testing.B, st *store.Store, n int) {
	ctx := context.Background()
	a, err := st.CLIActor(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().Unix()
	var batch []*misp.Event
	for start := 0; start < n; start += 1000 {
		attrs := make([]map[string]any, 0, 1000)
		for i := start; i < min(start+1000, n); i++ {
			attrs = append(attrs, map[string]any{"type": "url", "to_ids": true,
				"value": fmt.Sprintf("https://host%d.example/path/%d/index.php?id=%d", i%5000, i, i*7)})
		}
		raw, _ := json.Marshal(map[string]any{"info": fmt.Sprintf("urls %d", start), "distribution": 1,
			"published": true, "timestamp": now, "publish_timestamp": now, "Attribute": attrs})
		var ev misp.Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			b.Fatal(err)
		}
		if batch = append(batch, &ev); len(batch) < 20 && start+1000 < n {
			continue
		}
		_, errs, err := st.SaveEvents(ctx, a, batch, store.SaveOptions{Mode: store.ModeCreate, Preserve: true})
		if err != nil {
			b.Fatal(err)
		}
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		batch = batch[:0]
	}
}
