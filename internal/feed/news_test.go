package feed

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseNewsDate(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s int) time.Time {
		return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
	}
	tests := []struct {
		name string
		in   string
		want time.Time // zero: must not parse
	}{
		{"RFC 1123 numeric zone", "Thu, 24 Jul 2025 17:34:13 -0400", utc(2025, 7, 24, 21, 34, 13)},
		{"RFC 1123 +0000", "Thu, 24 Jul 2025 13:38:09 +0000", utc(2025, 7, 24, 13, 38, 9)},
		{"named zone EDT", "Thu, 24 Jul 2025 20:52:55 EDT", utc(2025, 7, 25, 0, 52, 55)},
		{"GMT", "Wed, 02 Oct 2002 13:00:00 GMT", utc(2002, 10, 2, 13, 0, 0)},
		{"one-digit day, no seconds", "Wed, 2 Oct 2002 13:00 +0200", utc(2002, 10, 2, 11, 0, 0)},
		{"no weekday, no zone", "02 Jul 2025 13:14:54", utc(2025, 7, 2, 13, 14, 54)},
		{"CrowdStrike form", "Jul 23, 2025 00:00:00-0500", utc(2025, 7, 23, 5, 0, 0)},
		{"RFC 3339 offset", "2024-03-10T17:15:00+01:00", utc(2024, 3, 10, 16, 15, 0)},
		{"RFC 3339 fraction", "2024-03-10T17:15:00.123Z", time.Date(2024, 3, 10, 17, 15, 0, 123e6, time.UTC)},
		{"extra blanks", "  Thu,  24 Jul 2025\n 13:38:09 +0000 ", utc(2025, 7, 24, 13, 38, 9)},
		{"nonsense", "yesterday", time.Time{}},
		{"empty", "", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseNewsDate(tt.in)
			if tt.want.IsZero() {
				if ok {
					t.Errorf("parseNewsDate(%q): got %v, want no date", tt.in, got)
				}
				return
			}
			if !ok || !got.Equal(tt.want) {
				t.Errorf("parseNewsDate(%q): got %v (%v), want %v", tt.in, got, ok, tt.want)
			}
		})
	}
}

func TestParseNews(t *testing.T) {
	fetched := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		body   string
		format string
		want   []NewsItem
	}{
		{
			name: "RSS with HTML description, entities and no date",
			body: `<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
<title>T</title><atom:link href="https://feed.example/rss" rel="self"/>
<item><title>Frost Radar&amp;trade; &#8217;25</title><link>https://news.example/a</link>
<atom:link href="https://other.example/" rel="self"/>
<description><![CDATA[<p>First&nbsp;part.</p><p>Second <b>bold</b> part.</p>]]></description></item>
</channel></rss>`,
			format: "rss",
			want: []NewsItem{{Title: "Frost Radar™ ’25", Link: "https://news.example/a",
				GUID: "https://news.example/a", Summary: "First part. Second bold part.",
				Published: fetched, Undated: true}},
		},
		{
			name: "RSS guid that is the only link, dc:date",
			body: `<rss xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><item><title>x</title>
<guid>https://news.example/b</guid><dc:date>2025-07-01T10:00:00Z</dc:date></item></channel></rss>`,
			format: "rss",
			want: []NewsItem{{Title: "x", Link: "https://news.example/b", GUID: "https://news.example/b",
				Published: time.Date(2025, 7, 1, 10, 0, 0, 0, time.UTC)}},
		},
		{
			name: "Atom with several links and xhtml content",
			body: `<feed xmlns="http://www.w3.org/2005/Atom"><title>B</title><entry><title type="html">A &lt;em&gt;b&lt;/em&gt;</title>
<link rel="self" href="https://blog.example/self"></link><link rel="alternate" href="https://blog.example/p"></link>
<id>tag:blog.example,2024:p</id><updated>2024-03-10T17:15:00+01:00</updated>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Hello</p><p>world</p></div></content></entry></feed>`,
			format: "atom",
			want: []NewsItem{{Title: "A b", Link: "https://blog.example/p", GUID: "tag:blog.example,2024:p",
				Summary: "Hello world", Published: time.Date(2024, 3, 10, 16, 15, 0, 0, time.UTC)}},
		},
		{
			name: "Latin-1 document",
			body: "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><channel><item><title>caf\xe9</title>" +
				"<link>https://news.example/c</link><pubDate>Mon, 07 Jul 2025 08:00:00 +0000</pubDate></item></channel></rss>",
			format: "rss",
			want: []NewsItem{{Title: "café", Link: "https://news.example/c", GUID: "https://news.example/c",
				Published: time.Date(2025, 7, 7, 8, 0, 0, 0, time.UTC)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []NewsItem
			st, err := ParseNews(t.Context(), strings.NewReader(tt.body), NewsOptions{FetchedAt: fetched},
				func(n NewsItem) error { got = append(got, n); return nil })
			if err != nil || st.Format != tt.format {
				t.Fatalf("got %s, %v; want %s and no error", st.Format, err, tt.format)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d items, want %d", len(got), len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Title != w.Title || g.Link != w.Link || g.GUID != w.GUID || g.Summary != w.Summary ||
					!g.Published.Equal(w.Published) || g.Undated != w.Undated {
					t.Errorf("item %d: got %+v,\nwant %+v", i, g, w)
				}
			}
		})
	}
}

func TestParseNewsRefused(t *testing.T) {
	tests := []struct {
		name string
		body string
		want error
	}{
		{"HTML page", "<html><body>hi</body></html>", ErrNotNews},
		{"empty", "", ErrNotNews},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseNews(t.Context(), strings.NewReader(tt.body), NewsOptions{},
				func(NewsItem) error { return nil })
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseNewsSummaryCap(t *testing.T) {
	body := "<rss><channel><item><title>t</title><link>https://x.example/</link><description>" +
		strings.Repeat("word ", 1000) + "</description></item></channel></rss>"
	var got NewsItem
	_, err := ParseNews(t.Context(), strings.NewReader(body), NewsOptions{MaxSummary: 50},
		func(n NewsItem) error { got = n; return nil })
	if err != nil || len(got.Summary) > 50+len("…") {
		t.Errorf("got %d bytes of summary, %v; want at most 50 and an ellipsis", len(got.Summary), err)
	}
}

func TestParseNewsItemTooLarge(t *testing.T) {
	body := "<rss><channel><item><title>t</title><description>" + strings.Repeat("x", 1<<20) +
		"</description></item></channel></rss>"
	_, err := ParseNews(t.Context(), strings.NewReader(body), NewsOptions{MaxItem: 64 << 10},
		func(NewsItem) error { return nil })
	if !errors.Is(err, ErrItemTooLarge) {
		t.Errorf("got %v, want ErrItemTooLarge", err)
	}
}
