package feed

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// collected is everything one parse handed on.
type collected struct {
	items   []Item
	rejects []Reject
	stats   Stats
	err     error
}

func (c *collected) emit(it Item) error { c.items = append(c.items, it); return nil }
func (c *collected) reject(r Reject)    { c.rejects = append(c.rejects, r) }

// parseWith runs a parse function over r and collects what it gave.
func parseWith(t *testing.T, parse func(context.Context, io.Reader, func(Item) error, func(Reject)) (Stats, error), r io.Reader) *collected {
	t.Helper()
	c := &collected{}
	c.stats, c.err = parse(t.Context(), r, c.emit, c.reject)
	return c
}

func (c *collected) values() []string {
	out := make([]string, len(c.items))
	for i, it := range c.items {
		out[i] = it.Value
	}
	return out
}

// sampleFile opens a file of the shared feed samples, or skips the test.
func sampleFile(t *testing.T, parts ...string) *os.File {
	t.Helper()
	path := filepath.Join(append([]string{"..", "..", "..", "shared", "testdata", "feeds"}, parts...)...)
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("feed sample %s is not available: %v", path, err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

func csvParse(opts CSVOptions) func(context.Context, io.Reader, func(Item) error, func(Reject)) (Stats, error) {
	return func(ctx context.Context, r io.Reader, emit func(Item) error, reject func(Reject)) (Stats, error) {
		return ParseCSV(ctx, r, opts, emit, reject)
	}
}

func freetextParse(opts FreetextOptions) func(context.Context, io.Reader, func(Item) error, func(Reject)) (Stats, error) {
	return func(ctx context.Context, r io.Reader, emit func(Item) error, reject func(Reject)) (Stats, error) {
		return ParseFreetext(ctx, r, opts, emit, reject)
	}
}

func jsonParse(opts JSONOptions) func(context.Context, io.Reader, func(Item) error, func(Reject)) (Stats, error) {
	return func(ctx context.Context, r io.Reader, emit func(Item) error, reject func(Reject)) (Stats, error) {
		return ParseJSON(ctx, r, opts, emit, reject)
	}
}

func strReader(s string) io.Reader { return strings.NewReader(s) }
