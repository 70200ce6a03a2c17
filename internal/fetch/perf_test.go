package fetch

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/gen"
)

// TestStreamingHeapStaysFlat serves a large freetext body slowly, in
// flushed chunks, and samples the Go heap during the pull: it must grow by
// far less than the body, which is never held whole. CAIRN_FEED_MB sets
// the body size (default 48 MB; the figure is 150) and
// CAIRN_FEED_PAUSE the pause after every 4 MB (default 20ms).
func TestStreamingHeapStaysFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("large body")
	}
	size := 48 << 20
	if mb, err := strconv.Atoi(os.Getenv("CAIRN_FEED_MB")); err == nil && mb > 0 {
		size = mb << 20
	}
	pause := 20 * time.Millisecond
	if d, err := time.ParseDuration(os.Getenv("CAIRN_FEED_PAUSE")); err == nil {
		pause = d
	}
	const values = 50_000
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeBigFreetext(w, size, values, pause)
	}))
	defer srv.Close()
	st, _ := newStore(t, nil)
	f := listFeed(t, st, "big", srv.URL, true)

	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	peak, stop := sampleHeap()
	start := time.Now()
	rep := mustPull(t, New(st, testOptions()), f)
	took := time.Since(start)
	stop()
	growth := int64(peak.Load()) - int64(base.HeapAlloc)
	t.Logf("body %d MB, %d values in %s; heap %d MB at start, peak %d MB (growth %d MB); process peak RSS %s",
		rep.Bytes>>20, rep.Created, took.Round(time.Millisecond), base.HeapAlloc>>20, peak.Load()>>20, growth>>20,
		peakRSS())
	if rep.Created != values || rep.Bytes < int64(size) {
		t.Errorf("got %d values from %d bytes, want %d from at least %d", rep.Created, rep.Bytes, values, size)
	}
	if limit := int64(24 << 20); growth > limit {
		t.Errorf("heap grew by %d MB during the pull, want under %d MB", growth>>20, limit>>20)
	}
}

// writeBigFreetext writes size bytes of comment lines with one address
// every few lines, flushing every 256 KB and pausing every 4 MB.
func writeBigFreetext(w http.ResponseWriter, size, values int, pause time.Duration) {
	bw := bufio.NewWriterSize(w, 256<<10)
	comment := "# " + strings.Repeat("x", 200) + "\n"
	every := max(size/len(comment)/values, 1)
	written, n, sinceFlush, sinceRest := 0, 0, 0, 0
	for line := 0; written < size || n < values; line++ {
		text := comment
		if line%every == 0 && n < values {
			text = fmt.Sprintf("10.%d.%d.%d\n", n>>16&255, n>>8&255, n&255)
			n++
		}
		if _, err := bw.WriteString(text); err != nil {
			return
		}
		written, sinceFlush, sinceRest = written+len(text), sinceFlush+len(text), sinceRest+len(text)
		if sinceFlush >= 256<<10 {
			_ = bw.Flush()
			w.(http.Flusher).Flush()
			sinceFlush = 0
		}
		if sinceRest >= 4<<20 {
			time.Sleep(pause)
			sinceRest = 0
		}
	}
	_ = bw.Flush()
}

// peakRSS is the process's peak resident size, from /proc on Linux.
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// sampleHeap records the peak HeapAlloc every 10 ms until stop.
func sampleHeap() (*atomic.Uint64, func()) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return &peak, func() { close(done); wg.Wait() }
}

// BenchmarkPullCSV100k pulls a generated 100,000-line CSV feed in URLhaus'
// layout from a loopback server into a fresh store, end to end: download,
// parse, staging, and the transaction that creates the event. The issue's
// aim is 3 s or less.
//
//	go test -run '^$' -bench PullCSV100k -benchtime 3x ./internal/fetch/
func BenchmarkPullCSV100k(b *testing.B) {
	const lines = 100_000
	path := filepath.Join(b.TempDir(), "csv_recent.csv")
	if err := writeURLhausCSV(path, lines); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(filepath.Dir(path))))
	defer srv.Close()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, _ := newStore(b, nil)
		f := presetFeed(b, st, "URLhaus", srv.URL+"/csv_recent.csv")
		b.StartTimer()
		start := time.Now()
		rep, err := New(st, Options{Version: "bench"}).Pull(context.Background(), f)
		total += time.Since(start)
		if err != nil || rep.Created != lines {
			b.Fatalf("got %v with %d created, want %d", err, rep.Created, lines)
		}
		b.StopTimer()
		st.Close()
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/pull")
	b.ReportMetric(float64(lines)/(total.Seconds()/float64(b.N)), "lines/s")
}

// writeURLhausCSV writes a csv_recent.csv of n distinct URLs, with the
// banner and quoting of the real file.
func writeURLhausCSV(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprint(w, "################################################################\r\n"+
		"# abuse.ch URLhaus Database Dump (CSV - recent URLs only)      #\r\n"+
		"# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\r\n")
	for i := range n {
		fmt.Fprintf(w, "\"%d\",\"2026-03-09 10:%02d:%02d\",\"http://198.%d.%d.%d:8080/bins/x%d.sh\","+
			"\"online\",\"2026-03-09 11:00:00\",\"malware_download\",\"elf,mirai\","+
			"\"https://urlhaus.abuse.ch/url/%d/\",\"reporter%d\"\r\n",
			3_000_000+i, i/60%60, i%60, 18+i>>16&1, i>>8&255, i&255, i, 3_000_000+i, i%50)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// BenchmarkRepullCSV100k pulls the 100,000-line feed a second time into
// its fixed event, with the delta merge on: every value is probed in the
// event and nothing changes.
func BenchmarkRepullCSV100k(b *testing.B) {
	const lines = 100_000
	path := filepath.Join(b.TempDir(), "csv_recent.csv")
	if err := writeURLhausCSV(path, lines); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(filepath.Dir(path))))
	defer srv.Close()
	st, _ := newStore(b, nil)
	f := presetFeed(b, st, "URLhaus", srv.URL+"/csv_recent.csv")
	p := New(st, Options{Version: "bench"})
	if _, err := p.Pull(context.Background(), f); err != nil {
		b.Fatal(err)
	}
	f = reloadTB(b, st, f)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		rep, err := p.Pull(context.Background(), f)
		if err != nil || rep.Unchanged != lines {
			b.Fatalf("got %v with %d unchanged, want %d", err, rep.Unchanged, lines)
		}
	}
	b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "s/pull")
}

// BenchmarkPullMISPFeed1000 pulls a generated MISP feed of 1,000 events
// (about 320 attributes each, the generator's average) from a loopback
// server into a fresh store: manifest, 1,000 downloads, one transaction.
//
//	go test -run '^$' -bench PullMISPFeed1000 -benchtime 1x ./internal/fetch/
func BenchmarkPullMISPFeed1000(b *testing.B) {
	g, err := gen.New(gen.DefaultConfig().WithEvents(1000))
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	if err := g.WriteFeed(dir); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, _ := newStore(b, nil)
		f := presetFeed(b, st, "CIRCL OSINT Feed", srv.URL)
		b.StartTimer()
		start := time.Now()
		rep, err := New(st, Options{Version: "bench"}).Pull(context.Background(), f)
		total += time.Since(start)
		if err != nil || rep.Created != 1000 {
			b.Fatalf("got %v with %d events created, want 1000", err, rep.Created)
		}
		b.ReportMetric(float64(rep.AttributesCreated), "attributes")
		b.StopTimer()
		st.Close()
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/pull")
}
