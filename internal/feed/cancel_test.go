package feed

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

// TestParsersStopOnCancel gives every parser a cancelled context.
func TestParsersStopOnCancel(t *testing.T) {
	many := func(line string) io.Reader { return strings.NewReader(strings.Repeat(line, 5000)) }
	parsers := map[string]func(ctx context.Context) error{
		"csv": func(ctx context.Context) error {
			_, err := ParseCSV(ctx, many("x,198.51.100.1\n"), CSVOptions{}, func(Item) error { return nil }, nil)
			return err
		},
		"freetext": func(ctx context.Context) error {
			_, err := ParseFreetext(ctx, many("198.51.100.1\n"), FreetextOptions{}, func(Item) error { return nil }, nil)
			return err
		},
		"json": func(ctx context.Context) error {
			body := "[" + strings.Repeat(`{"v":"198.51.100.1"},`, 5000) + `{"v":"198.51.100.1"}]`
			_, err := ParseJSON(ctx, strings.NewReader(body), JSONOptions{Value: "v"}, func(Item) error { return nil }, nil)
			return err
		},
		"news": func(ctx context.Context) error {
			body := "<rss><channel>" + strings.Repeat("<item><title>t</title></item>", 5000) + "</channel></rss>"
			_, err := ParseNews(ctx, strings.NewReader(body), NewsOptions{}, func(NewsItem) error { return nil })
			return err
		},
	}
	for name, parse := range parsers {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			if err := parse(ctx); !errors.Is(err, context.Canceled) {
				t.Errorf("got %v, want context.Canceled", err)
			}
		})
	}
}
