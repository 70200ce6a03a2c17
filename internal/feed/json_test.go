package feed

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseJSONThreatFoxShape(t *testing.T) {
	body := `{
    "41": [
        {
            "ioc_value": "198.51.100.5:8443",
            "ioc_type": "ip:port",
            "threat_type": "botnet_cc",
            "malware_printable": "Cobalt Strike",
            "first_seen_utc": "2026-07-24 01:05:09",
            "last_seen_utc": null,
            "confidence_level": 100,
            "reference": "https://example.test/report",
            "tags": "cobaltstrike,c2",
            "new_field": {"nested": [1, 2]}
        }
    ],
    "42": [
        {
            "ioc_value": "x",
            "ioc_type": "envelope_from",
            "malware_printable": "Unknown malware"
        }
    ],
    "43": [
        {"ioc_value": "evil.example", "ioc_type": "domain", "malware_printable": "Unknown malware", "tags": null}
    ]
}`
	got := parseWith(t, jsonParse(ThreatFoxJSON()), strReader(body))
	if got.err != nil {
		t.Fatalf("parse: %v", got.err)
	}
	if len(got.items) != 2 {
		t.Fatalf("got %d items, want 2", len(got.items))
	}
	first := got.items[0]
	want := Item{Line: 3, Type: "ip-dst|port", Value: "198.51.100.5|8443", SourceID: "41",
		Comment:   "botnet_cc; Cobalt Strike; confidence 100; https://example.test/report",
		Tags:      []string{"cobaltstrike", "c2", `misp-galaxy:malpedia="Cobalt Strike"`},
		FirstSeen: time.Date(2026, 7, 24, 1, 5, 9, 0, time.UTC)}
	if first.Line != want.Line || first.Type != want.Type || first.Value != want.Value ||
		first.SourceID != want.SourceID || first.Comment != want.Comment ||
		!slices.Equal(first.Tags, want.Tags) || !first.FirstSeen.Equal(want.FirstSeen) || !first.LastSeen.IsZero() {
		t.Errorf("got %+v,\nwant %+v", first, want)
	}
	if second := got.items[1]; second.Type != "domain" || len(second.Tags) != 0 || second.Line != 24 {
		t.Errorf("got %+v, want a domain at line 24 without tags (unknown malware is no tag)", second)
	}
	checkRejects(t, got.rejects, []Reject{{Line: 17, Field: "ioc_type", Text: "envelope_from",
		Reason: `type "envelope_from" is not mapped`}})
}

func TestParseJSONMapping(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		opts    JSONOptions
		values  []string // type:value
		rejects []Reject
		err     string
	}{
		{
			name:   "top-level array, fixed type",
			body:   `[{"ip": "198.51.100.1"}, {"ip": "198.51.100.2"}]`,
			opts:   JSONOptions{Value: "ip", FixedType: "ip-src"},
			values: []string{"ip-src:198.51.100.1", "ip-src:198.51.100.2"},
		},
		{
			name: "records under a path, other members skipped, classified values",
			body: `{"meta": {"big": [[1, 2], {"a": "b"}]}, "data": {"items": [
				{"v": {"text": "evil.example"}}, {"v": {"text": 42}}, {"v": null}]}}`,
			opts:   JSONOptions{Records: "data.items", Value: "v.text"},
			values: []string{"domain:evil.example"},
			rejects: []Reject{
				{Line: 2, Field: "v.text", Text: "42", Reason: "not an indicator"},
				{Line: 2, Field: "v.text", Reason: "no value"},
			},
		},
		{
			name:   "type field holding MISP types",
			body:   `[{"t": "sha1", "v": "` + strings.Repeat("a", 40) + `"}, {"t": "bogus", "v": "x"}]`,
			opts:   JSONOptions{Value: "v", Type: "t"},
			values: []string{"sha1:" + strings.Repeat("a", 40)},
			rejects: []Reject{
				{Line: 1, Field: "t", Text: "bogus", Reason: `"bogus" is not an attribute type`},
			},
		},
		{
			name:   "one record object",
			body:   `{"value": "198.51.100.1"}`,
			opts:   JSONOptions{Value: "value"},
			values: []string{"ip-dst:198.51.100.1"},
		},
		{
			name:    "scalars where records should be",
			body:    `[1, "x"]`,
			opts:    JSONOptions{Value: "v"},
			rejects: []Reject{{Line: 1, Text: "1", Reason: "not a record"}, {Line: 1, Text: "x", Reason: "not a record"}},
		},
		{
			name: "missing member",
			body: `{"other": []}`,
			opts: JSONOptions{Records: "data", Value: "v"},
			err:  `no member "data"`,
		},
		{
			name:   "syntax error names the line",
			body:   "[{\"v\": \"198.51.100.1\"},\n{\"v\": }]",
			opts:   JSONOptions{Value: "v"},
			values: []string{"ip-dst:198.51.100.1"},
			err:    "json: line 2",
		},
		{
			name:   "document ends early",
			body:   `[{"v": "198.51.100.1"}, `,
			opts:   JSONOptions{Value: "v"},
			values: []string{"ip-dst:198.51.100.1"},
			err:    "ends early",
		},
		{
			name: "record over the limit",
			body: `[{"v": "` + strings.Repeat("a", 5000) + `"}]`,
			opts: JSONOptions{Value: "v", MaxRecord: 1000},
			err:  ErrRecordTooLarge.Error(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseWith(t, jsonParse(tt.opts), strReader(tt.body))
			if tt.err == "" && got.err != nil || tt.err != "" && (got.err == nil || !strings.Contains(got.err.Error(), tt.err)) {
				t.Fatalf("got error %v, want %q", got.err, tt.err)
			}
			var values []string
			for _, it := range got.items {
				values = append(values, it.Type+":"+it.Value)
			}
			if !slices.Equal(values, tt.values) {
				t.Errorf("got %q, want %q", values, tt.values)
			}
			checkRejects(t, got.rejects, tt.rejects)
		})
	}
}

func TestJSONOptionsRefused(t *testing.T) {
	for name, opts := range map[string]JSONOptions{
		"no value field":  {},
		"bad fixed type":  {Value: "v", FixedType: "nope"},
		"bad mapped type": {Value: "v", Type: "t", TypeMap: map[string]string{"a": "nope"}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseJSON(t.Context(), strReader("[]"), opts, nil, nil); err == nil {
				t.Error("got no error, want one")
			}
		})
	}
}

func TestParseJSONTooLargeIsSentinel(t *testing.T) {
	body := `[{"v": "` + strings.Repeat("a", 5000) + `"}]`
	_, err := ParseJSON(t.Context(), strReader(body), JSONOptions{Value: "v", MaxRecord: 1000}, nil, nil)
	if !errors.Is(err, ErrRecordTooLarge) {
		t.Errorf("got %v, want ErrRecordTooLarge", err)
	}
}
