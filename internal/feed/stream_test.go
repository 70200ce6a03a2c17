package feed

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

// generatedCSV returns a URLhaus-like CSV of n data rows.
func generatedCSV(n int) string {
	var b strings.Builder
	b.WriteString("# generated\r\n# id,dateadded,url,url_status\r\n")
	for i := range n {
		fmt.Fprintf(&b, "\"%d\",\"2026-02-18 10:42:19\",\"http://198.51.%d.%d/p%d/x.bin\",\"online\"\r\n",
			i, i/256%256, i%256, i)
	}
	return b.String()
}

// BenchmarkParseCSV parses a generated 100,000-line CSV with value
// column 3 classified.
func BenchmarkParseCSV(b *testing.B) {
	const rows = 100_000
	body := generatedCSV(rows)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		st, err := ParseCSV(b.Context(), strings.NewReader(body), CSVOptions{Columns: []int{3}},
			func(Item) error { return nil }, nil)
		if err != nil || st.Items != rows {
			b.Fatalf("got %d items, %v; want %d", st.Items, err, rows)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/time.Since(start).Seconds(), "lines/s")
}

// BenchmarkParseFreetext parses 100,000 generated lines of mixed indicators.
func BenchmarkParseFreetext(b *testing.B) {
	var sb strings.Builder
	for i := range 100_000 {
		sb.WriteString(freetextLine(i))
	}
	body := sb.String()
	b.SetBytes(int64(len(body)))
	start := time.Now()
	for b.Loop() {
		if _, err := ParseFreetext(b.Context(), strings.NewReader(body), FreetextOptions{},
			func(Item) error { return nil }, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(100_000*float64(b.N)/time.Since(start).Seconds(), "lines/s")
}

// TestParseCSVSpeed holds the figure: 100,000 lines well under 3 s.
func TestParseCSVSpeed(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	body := generatedCSV(100_000)
	start := time.Now()
	st, err := ParseCSV(t.Context(), strings.NewReader(body), CSVOptions{Columns: []int{3}},
		func(Item) error { return nil }, nil)
	if elapsed := time.Since(start); err != nil || st.Items != 100_000 || elapsed > 3*time.Second {
		t.Errorf("got %d items in %v, %v; want 100000 in under 3s", st.Items, elapsed, err)
	}
}

// freetextLine returns line i of a generated list: IPs, hosts, URLs,
// hashes and comments in turn.
func freetextLine(i int) string {
	switch i % 5 {
	case 0:
		return fmt.Sprintf("198.51.%d.%d\n", i/256%256, i%256)
	case 1:
		return fmt.Sprintf("host%d.bad-domain.example\n", i)
	case 2:
		return fmt.Sprintf("hxxps://login%d[.]example/path?a=%d\n", i, i)
	case 3:
		return fmt.Sprintf("%032x\n", i)
	}
	return "# comment line\n"
}

// generator produces at least size bytes of free text on the fly, ending
// at a line end, so the test itself holds no more than one line.
type generator struct {
	size, done int64
	line       int
	pending    string
}

func (g *generator) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && (g.done < g.size || g.pending != "") {
		if g.pending == "" {
			g.pending = freetextLine(g.line)
			g.line++
		}
		c := copy(p[n:], g.pending)
		g.pending = g.pending[c:]
		n += c
		g.done += int64(c)
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// TestFreetextStreamingMemory parses a 50 MB body produced on the fly and
// checks that the heap stays small: the parser must not hold the body.
func TestFreetextStreamingMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("parses 50 MB")
	}
	const size = 50 << 20
	const bound = 32 << 20
	runtime.GC()
	var peak uint64
	var ms runtime.MemStats
	sample := func() {
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}
	n := 0
	gen := &generator{size: size}
	st, err := ParseFreetext(t.Context(), gen, FreetextOptions{}, func(Item) error {
		if n++; n%50_000 == 0 {
			sample()
		}
		return nil
	}, nil)
	sample()
	if err != nil || st.Bytes != gen.done || st.Bytes < size {
		t.Fatalf("got %d bytes, %v; want the %d generated", st.Bytes, err, gen.done)
	}
	if st.Rejects != 0 || st.Items == 0 {
		t.Errorf("got %d items and %d rejects, want only items", st.Items, st.Rejects)
	}
	t.Logf("%d lines, %d items, peak heap in use %.1f MB", st.Lines, st.Items, float64(peak)/(1<<20))
	if peak > bound {
		t.Errorf("got a peak heap of %d bytes, want under %d", peak, bound)
	}
}
