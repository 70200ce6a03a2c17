package feed

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestFreetextIssueLines parses the issue's free-text lines: each is
// classified as docs/feeds-freetext.md says, and none is dropped.
func TestFreetextIssueLines(t *testing.T) {
	body := strings.Join([]string{
		"hxxps://login-portal[.]example/path?a=1",
		"198.51.100.23:8443",
		"[2001:db8::7]:443",
		"report.zip",
		"invoice.pdf",
		"d41d8cd98f00b204e9800998ecf8427e",
		"user[at]example.test",
		"CVE-2024-3094",
	}, "\n")
	want := []Item{
		{Line: 1, Type: "url", Value: "https://login-portal.example/path?a=1", Rule: "url"},
		{Line: 2, Type: "ip-dst|port", Value: "198.51.100.23|8443", Rule: "ip-port"},
		{Line: 3, Type: "ip-dst|port", Value: "2001:db8::7|443", Rule: "ip-port"},
		{Line: 4, Type: "filename", Value: "report.zip", Rule: "filename"},
		{Line: 5, Type: "filename", Value: "invoice.pdf", Rule: "filename"},
		{Line: 6, Type: "md5", Value: "d41d8cd98f00b204e9800998ecf8427e", Rule: "hash"},
		{Line: 7, Type: "email-src", Value: "user@example.test", Rule: "email"},
		{Line: 8, Type: "vulnerability", Value: "CVE-2024-3094", Rule: "cve"},
	}
	got := parseWith(t, freetextParse(FreetextOptions{}), strReader(body))
	if got.err != nil || len(got.rejects) != 0 {
		t.Fatalf("got error %v and rejects %v, want neither", got.err, got.rejects)
	}
	if len(got.items) != len(want) {
		t.Fatalf("got %d items %v, want %d", len(got.items), got.values(), len(want))
	}
	for i, w := range want {
		g := got.items[i]
		if g.Line != w.Line || g.Type != w.Type || g.Value != w.Value || g.Rule != w.Rule {
			t.Errorf("line %d: got %s %q by %s at line %d, want %s %q by %s",
				w.Line, g.Type, g.Value, g.Rule, g.Line, w.Type, w.Value, w.Rule)
		}
	}
}

func TestParseFreetext(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		opts    FreetextOptions
		values  []string
		rejects []Reject // Text is compared as a prefix
		stats   Stats    // only Excluded and Skipped are compared
	}{
		{
			name:   "comments, blanks, BOM and CRLF",
			body:   "\ufeff# banner\r\n\r\n  # indented comment\r\n198.51.100.1\r\n# END 1 entries",
			values: []string{"198.51.100.1"},
			stats:  Stats{Skipped: 4},
		},
		{
			name:   "several indicators on a line, prose ignored",
			body:   "C2 at 198.51.100.1, fallback evil.example; see CVE-2024-3094.",
			values: []string{"198.51.100.1", "evil.example", "CVE-2024-3094"},
		},
		{
			name:   "a URL holding a comma stays whole",
			body:   "https://example.test/a.php?x=1,2,3",
			values: []string{"https://example.test/a.php?x=1,2,3"},
		},
		{
			name:   "quoted and bracketed tokens are trimmed",
			body:   `"evil.example", (198.51.100.9)`,
			values: []string{"evil.example", "198.51.100.9"},
		},
		{
			name:   "duplicates on a line are used once",
			body:   "198.51.100.1 198.51.100.1",
			values: []string{"198.51.100.1"},
		},
		{
			name:    "a line with no indicator is rejected",
			body:    "198.51.100.1\nnothing to see here\nlocalhost",
			values:  []string{"198.51.100.1"},
			rejects: []Reject{{Line: 2, Text: "nothing to see here", Reason: reasonNotIndicator}, {Line: 3, Text: "localhost", Reason: reasonNotIndicator}},
		},
		{
			name:    "an invalid value gets the type's reason",
			body:    "198.51.100.23:70000",
			rejects: []Reject{{Line: 1, Text: "198.51.100.23:70000", Reason: "ip-dst|port value"}},
		},
		{
			name:   "exclude pattern in MISP form",
			body:   "10.0.0.1\n198.51.100.1\n10.1.2.3",
			opts:   FreetextOptions{Exclude: `/^10\./`},
			values: []string{"198.51.100.1"},
			stats:  Stats{Excluded: 2},
		},
		{
			name:   "other comment prefixes",
			body:   "; comment\n// comment\n198.51.100.1",
			opts:   FreetextOptions{CommentPrefixes: []string{";", "//"}},
			values: []string{"198.51.100.1"},
			stats:  Stats{Skipped: 2},
		},
		{
			name:    "a line over the limit is rejected, the next is read",
			body:    strings.Repeat("a", 100) + "\n198.51.100.1",
			opts:    FreetextOptions{MaxLine: 32},
			values:  []string{"198.51.100.1"},
			rejects: []Reject{{Line: 1, Text: "aaaa", Reason: tooLongReason}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseWith(t, freetextParse(tt.opts), strReader(tt.body))
			if got.err != nil {
				t.Fatalf("parse: %v", got.err)
			}
			if strings.Join(got.values(), " ") != strings.Join(tt.values, " ") {
				t.Errorf("got values %q, want %q", got.values(), tt.values)
			}
			checkRejects(t, got.rejects, tt.rejects)
			if got.stats.Excluded != tt.stats.Excluded || got.stats.Skipped != tt.stats.Skipped {
				t.Errorf("got %d excluded and %d skipped, want %d and %d",
					got.stats.Excluded, got.stats.Skipped, tt.stats.Excluded, tt.stats.Skipped)
			}
			if got.stats.Items != len(got.items) || got.stats.Rejects != len(got.rejects) {
				t.Errorf("got stats %+v for %d items and %d rejects", got.stats, len(got.items), len(got.rejects))
			}
		})
	}
}

// checkRejects compares line, reason (as a prefix) and text (as a prefix).
func checkRejects(t *testing.T, got, want []Reject) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got rejects %+v, want %+v", got, want)
		return
	}
	for i, w := range want {
		g := got[i]
		if g.Line != w.Line || g.Field != w.Field || !strings.HasPrefix(g.Reason, w.Reason) ||
			!strings.HasPrefix(g.Text, w.Text) {
			t.Errorf("reject %d: got %+v, want %+v", i, g, w)
		}
	}
}

func TestParseFreetextStops(t *testing.T) {
	body := strings.Repeat("198.51.100.1\n", 10000)
	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := ParseFreetext(ctx, strReader(body), FreetextOptions{}, func(Item) error { return nil }, nil)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
	})
	t.Run("emit error", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		_, err := ParseFreetext(t.Context(), strReader(body), FreetextOptions{},
			func(Item) error { n++; return stop }, nil)
		if !errors.Is(err, stop) || n != 1 {
			t.Errorf("got %v after %d items, want stop after 1", err, n)
		}
	})
	t.Run("bad exclude pattern", func(t *testing.T) {
		_, err := ParseFreetext(t.Context(), strReader(body), FreetextOptions{Exclude: "/(/"}, nil, nil)
		if err == nil {
			t.Error("got no error for an invalid exclude pattern, want one")
		}
	})
}
