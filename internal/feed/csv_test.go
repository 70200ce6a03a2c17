package feed

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestCSVIssueCase is the CSV: a UTF-8 BOM, CRLF line ends, two
// comment lines (the second naming the columns), value column 3, a URL
// holding a quoted comma, one holding a doubled quote, one holding a
// quoted line break, and a plain good row. The URL with a raw line break
// is not a valid url, so that row is the one rejected.
func TestCSVIssueCase(t *testing.T) {
	lines := []string{
		"\ufeff# Example URL feed, generated 2024-05-01 00:00:00 UTC",        // 1
		"# id,dateadded,url,status",                                          // 2
		`"101","2024-05-01 10:00:00","http://198.51.100.7/a,b.php","online"`, // 3
		`"102","2024-05-01 10:01:00","http://203.0.113.9/x""y","online"`,     // 4
		`"103","2024-05-01 10:02:00","http://192.0.2.10/multi`,               // 5
		`line","online"`, // 6
		`"104","2024-05-01 10:03:00","http://example.test/good","online"`, // 7
	}
	path := filepath.Join(t.TempDir(), "feed.csv")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\r\n")+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	got := parseWith(t, csvParse(CSVOptions{Columns: []int{3}, IDColumn: 1, FirstSeenColumn: 2}), f)
	if got.err != nil {
		t.Fatalf("parse: %v", got.err)
	}
	want := []Item{
		{Line: 3, SourceID: "101", Value: "http://198.51.100.7/a,b.php"},
		{Line: 4, SourceID: "102", Value: `http://203.0.113.9/x"y`},
		{Line: 7, SourceID: "104", Value: "http://example.test/good"},
	}
	if len(got.items) != len(want) {
		t.Fatalf("got %d items %q, want 3", len(got.items), got.values())
	}
	for i, w := range want {
		g := got.items[i]
		if g.Line != w.Line || g.SourceID != w.SourceID || g.Value != w.Value || g.Type != "url" || g.Column != 3 {
			t.Errorf("item %d: got line %d id %s %s %q column %d, want line %d id %s url %q column 3",
				i, g.Line, g.SourceID, g.Type, g.Value, g.Column, w.Line, w.SourceID, w.Value)
		}
	}
	// The first data row is an item, not a header: the column names were in
	// a comment.
	if first := got.items[0].FirstSeen; !first.Equal(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("got first seen %v, want 2024-05-01 10:00:00 UTC", first)
	}
	checkRejects(t, got.rejects, []Reject{{
		Line: 5, Field: "column 3", Text: "http://192.0.2.10/multi\nline",
		Reason: "url value contains spaces or control characters",
	}})
	if got.stats.Items != 3 || got.stats.Rejects != 1 || got.stats.Skipped != 2 || got.stats.Lines != 7 {
		t.Errorf("got stats %+v, want 3 items, 1 reject, 2 skipped, 7 lines", got.stats)
	}
}

func TestParseCSV(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		opts     CSVOptions
		values   []string // type:value
		rejects  []Reject
		excluded int
	}{
		{
			name:   "comma-space separators and a footer",
			body:   "# header\n\"1\", \"198.51.100.1\", \"a, b\"\n\"2\", \"198.51.100.2\", \"c\"\n# Number of entries: 2",
			opts:   CSVOptions{Columns: []int{2}},
			values: []string{"ip-dst:198.51.100.1", "ip-dst:198.51.100.2"},
		},
		{
			name:   "plain header row is skipped, typed column",
			body:   "phish_id,url,target\n1,http://a.example/x,Other\n2,\"http://b.example/y,z\",\"ABSA Bank\"\n",
			opts:   CSVOptions{Columns: []int{2}, Types: map[int]string{2: "url"}, Header: true},
			values: []string{"url:http://a.example/x", "url:http://b.example/y,z"},
		},
		{
			name: "a url column refuses text that is no URL",
			body: "None\n",
			opts: CSVOptions{Columns: []int{1}, Types: map[int]string{1: "url"}},
			rejects: []Reject{{Line: 1, Field: "column 1", Text: "None",
				Reason: "url value has no scheme://host or host/path form"}},
		},
		{
			name:   "every column: indicators taken, other cells ignored",
			body:   "2024-01-01,198.51.100.1,online,evil.example\n2024-01-02,offline,n/a\n",
			opts:   CSVOptions{},
			values: []string{"ip-dst:198.51.100.1", "domain:evil.example"},
			rejects: []Reject{{Line: 2, Text: "2024-01-02,offline,n/a",
				Reason: "no column holds an indicator"}},
		},
		{
			name:   "two value columns",
			body:   "198.51.100.1;evil.example;x\n",
			opts:   CSVOptions{Columns: []int{1, 2}, Delimiter: ';'},
			values: []string{"ip-dst:198.51.100.1", "domain:evil.example"},
		},
		{
			name:   "tab delimiter",
			body:   "x\t198.51.100.1\n",
			opts:   CSVOptions{Columns: []int{2}, Delimiter: '\t'},
			values: []string{"ip-dst:198.51.100.1"},
		},
		{
			name: "missing column and empty cell",
			body: "198.51.100.1\n198.51.100.2,\n",
			opts: CSVOptions{Columns: []int{2}},
			rejects: []Reject{
				{Line: 1, Field: "column 2", Text: "198.51.100.1", Reason: "the row has no column 2"},
				{Line: 2, Field: "column 2", Text: "198.51.100.2,", Reason: "empty value"},
			},
		},
		{
			name:     "exclude pattern",
			body:     "http://www.phishtank.com/x\nhttp://evil.example/\n",
			opts:     CSVOptions{Exclude: `/^http:\/\/www.phishtank.com/i`, Columns: []int{1}},
			values:   []string{"url:http://evil.example/"},
			excluded: 1,
		},
		{
			name:    "a bare quote is rejected and the next line read",
			body:    "ab\"c,198.51.100.1\nx,198.51.100.2\n",
			opts:    CSVOptions{Columns: []int{2}},
			values:  []string{"ip-dst:198.51.100.2"},
			rejects: []Reject{{Line: 1, Text: "ab\"c", Reason: "malformed CSV: bare \" in non-quoted-field"}},
		},
		{
			name:    "an unclosed quote does not swallow the file",
			body:    "\"open,198.51.100.1\nx,198.51.100.2\ny,198.51.100.3\n",
			opts:    CSVOptions{Columns: []int{2}},
			values:  []string{"ip-dst:198.51.100.2", "ip-dst:198.51.100.3"},
			rejects: []Reject{{Line: 1, Text: "\"open", Reason: reasonOpenQuote}},
		},
		{
			name:    "text after a closing quote",
			body:    "\"a\"b,198.51.100.1\nx,198.51.100.2\n",
			opts:    CSVOptions{Columns: []int{2}},
			values:  []string{"ip-dst:198.51.100.2"},
			rejects: []Reject{{Line: 1, Text: "\"a\"b", Reason: "malformed CSV"}},
		},
		{
			name:    "a line over the limit",
			body:    "x," + strings.Repeat("a", 80) + "\nx,198.51.100.2\n",
			opts:    CSVOptions{Columns: []int{2}, MaxLine: 40},
			values:  []string{"ip-dst:198.51.100.2"},
			rejects: []Reject{{Line: 1, Text: "x,aaa", Reason: tooLongReason}},
		},
		{
			name: "records longer than encoding/csv's buffer",
			body: "\"x\",\"http://evil.example/" + strings.Repeat("a", 10000) + "\"\n" +
				"\"y\",\"http://evil.example/" + strings.Repeat("b", 5000) + "\nz\"\nw,198.51.100.3\n",
			opts:   CSVOptions{Columns: []int{2}},
			values: []string{"url:http://evil.example/" + strings.Repeat("a", 10000), "ip-dst:198.51.100.3"},
			rejects: []Reject{{Line: 2, Field: "column 2", Text: "http://evil.example/bbb",
				Reason: "url value contains spaces or control characters"}},
		},
		{
			name:   "a quoted first cell starting with # is a comment",
			body:   "\"# note\",x\nx,198.51.100.2\n",
			opts:   CSVOptions{Columns: []int{2}},
			values: []string{"ip-dst:198.51.100.2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseWith(t, csvParse(tt.opts), strReader(tt.body))
			if got.err != nil {
				t.Fatalf("parse: %v", got.err)
			}
			var values []string
			for _, it := range got.items {
				values = append(values, it.Type+":"+it.Value)
			}
			if !slices.Equal(values, tt.values) {
				t.Errorf("got %q, want %q", values, tt.values)
			}
			checkRejects(t, got.rejects, tt.rejects)
			if got.stats.Excluded != tt.excluded {
				t.Errorf("got %d excluded, want %d", got.stats.Excluded, tt.excluded)
			}
		})
	}
}

func TestParseCSVRowData(t *testing.T) {
	body := "\"7\",\"2024-04-01 12:00:00\",\"198.51.100.1\",\"2024-04-02\",\"elf, mirai,None\",\"Mirai C&C\"\n"
	opts := CSVOptions{Columns: []int{3}, IDColumn: 1, FirstSeenColumn: 2, LastSeenColumn: 4,
		TagsColumn: 5, CommentColumn: 6}
	got := parseWith(t, csvParse(opts), strReader(body))
	if len(got.items) != 1 {
		t.Fatalf("got %d items, want 1", len(got.items))
	}
	it := got.items[0]
	wantFirst := time.Date(2024, 4, 1, 12, 0, 0, 0, time.UTC)
	wantLast := time.Date(2024, 4, 2, 0, 0, 0, 0, time.UTC)
	if it.SourceID != "7" || !it.FirstSeen.Equal(wantFirst) || !it.LastSeen.Equal(wantLast) ||
		strings.Join(it.Tags, "|") != "elf|mirai" || it.Comment != "Mirai C&C" {
		t.Errorf("got %+v, want id 7, seen %v to %v, tags elf|mirai, comment Mirai C&C", it, wantFirst, wantLast)
	}
}

func TestCSVOptionsRefused(t *testing.T) {
	tests := []struct {
		name string
		opts CSVOptions
	}{
		{"column 0", CSVOptions{Columns: []int{0}}},
		{"unknown type", CSVOptions{Types: map[int]string{1: "no-such-type"}}},
		{"quote as delimiter", CSVOptions{Delimiter: '"'}},
		{"bad exclude", CSVOptions{Exclude: "/[/"}},
		{"unsupported flag", CSVOptions{Exclude: "/a/x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseCSV(t.Context(), strReader("a\n"), tt.opts, nil, nil); err == nil {
				t.Errorf("got no error, want one")
			}
		})
	}
}

func TestParseDelimiterAndColumns(t *testing.T) {
	delims := []struct {
		in   string
		want rune
		ok   bool
	}{{"", ',', true}, {";", ';', true}, {`\t`, '\t', true}, {"|", '|', true}, {"ab", 0, false}}
	for _, d := range delims {
		got, err := ParseDelimiter(d.in)
		if got != d.want || (err == nil) != d.ok {
			t.Errorf("ParseDelimiter(%q): got %q, %v; want %q, ok=%v", d.in, got, err, d.want, d.ok)
		}
	}
	cols, err := ParseColumns(" 1, 3,")
	if err != nil || !slices.Equal(cols, []int{1, 3}) {
		t.Errorf("ParseColumns: got %v, %v; want [1 3]", cols, err)
	}
	if _, err := ParseColumns("0"); err == nil {
		t.Error("ParseColumns(\"0\"): got no error, want one")
	}
}
