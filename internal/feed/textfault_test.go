package feed

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
)

// A line or record holding a NUL character or invalid UTF-8 is rejected
// whole with its line; the others are read, and lines that store nothing
// (blank, comment, header) are still skipped.
func TestTextThatCannotBeStoredIsRejectedWithItsLine(t *testing.T) {
	type parse = func(context.Context, io.Reader, func(Item) error, func(Reject)) (Stats, error)
	commentCSV := CSVOptions{Columns: []int{1}, CommentColumn: 2, TagsColumn: 3, Header: true}
	cases := []struct {
		name   string
		parse  parse
		body   string
		values []string
		lines  []int  // of the rejects
		field  string // of the first reject
		reason string // of the first reject
	}{
		{"freetext, NUL in a line", freetextParse(FreetextOptions{}),
			"# c\xe9 feed (Latin-1 comment)\ngood.cairn-test.net\nevil.cairn-test.net \x00 prose\n198.51.100.7\n",
			[]string{"good.cairn-test.net", "198.51.100.7"}, []int{3}, "", `the line holds a NUL character (\u0000)`},
		{"freetext, invalid UTF-8 in the prose", freetextParse(FreetextOptions{}),
			"seen at caf\xe9 evil.cairn-test.net\ngood.cairn-test.net\n",
			[]string{"good.cairn-test.net"}, []int{1}, "", "the line is not valid UTF-8"},
		{"csv, NUL in a comment cell", csvParse(commentCSV),
			"value,comment,tags\r\ngood.cairn-test.net,fine,x\r\nevil.cairn-test.net,\"bad\x00\",x\r\n",
			[]string{"good.cairn-test.net"}, []int{3}, "", `the line holds a NUL character (\u0000)`},
		{"csv, invalid UTF-8 in a tag, header in Latin-1 skipped", csvParse(commentCSV),
			"valeur,caf\xe9,tags\ngood.cairn-test.net,fine,x\nevil.cairn-test.net,fine,\"t\xff\"\nother.cairn-test.net,,\n",
			[]string{"good.cairn-test.net", "other.cairn-test.net"}, []int{3}, "", "the line is not valid UTF-8"},
		{"csv, NUL inside a quoted field over two lines", csvParse(CSVOptions{Columns: []int{1}, CommentColumn: 2}),
			"good.cairn-test.net,\"one\ntwo\"\nevil.cairn-test.net,\"one\n\x00\"\nlast.cairn-test.net,\n",
			[]string{"good.cairn-test.net", "last.cairn-test.net"}, []int{3}, "", `the line holds a NUL character (\u0000)`},
		{"json, NUL in a record's field", jsonParse(ThreatFoxJSON()), `{
			"1": [{"ioc_value": "good.cairn-test.net", "ioc_type": "domain", "threat_type": "botnet_cc"}],
			"2": [{"ioc_value": "evil.cairn-test.net", "ioc_type": "domain", "threat_type": "bot\u0000"}],
			"3": [{"ioc_value": "198.51.100.9:443", "ioc_type": "ip:port", "tags": ["a", "b\u0000"]}]
		}`, []string{"good.cairn-test.net"}, []int{3, 4}, "threat_type", `holds a NUL character (\u0000)`},
		{"json, invalid UTF-8 in a record", jsonParse(ThreatFoxJSON()),
			"{\"1\": [{\"ioc_value\": \"good.cairn-test.net\", \"ioc_type\": \"domain\"}],\n" +
				"\"2\": [{\"ioc_value\": \"evil.cairn-test.net\", \"ioc_type\": \"domain\", \"reference\": \"caf\xe9\"}]}",
			[]string{"good.cairn-test.net"}, []int{2}, "", "the record is not valid UTF-8"},
		{"json, a record that is one object", jsonParse(JSONOptions{Records: "data", Value: "v", FixedType: "domain",
			Comment: []string{"{c}"}}), `{"data": {"v": "evil.cairn-test.net", "c": "\u0000"}}`,
			nil, []int{1}, "c", `holds a NUL character (\u0000)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := parseWith(t, tc.parse, strReader(tc.body))
			if c.err != nil {
				t.Fatalf("got error %v, want the parse to go on", c.err)
			}
			if got := c.values(); !slices.Equal(got, tc.values) {
				t.Errorf("got values %q, want %q", got, tc.values)
			}
			var lines []int
			for _, rj := range c.rejects {
				lines = append(lines, rj.Line)
			}
			if !slices.Equal(lines, tc.lines) {
				t.Fatalf("got rejects %+v, want them on lines %v", c.rejects, tc.lines)
			}
			if rj := c.rejects[0]; rj.Field != tc.field || !strings.HasPrefix(rj.Reason, tc.reason) {
				t.Errorf("got reject %q %q, want %q %q", rj.Field, rj.Reason, tc.field, tc.reason)
			}
		})
	}
}
