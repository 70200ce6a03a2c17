package search

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseIndex(t *testing.T) {
	now := testNow.Unix()
	tests := []struct {
		name  string
		body  string
		named map[string][]string
		got   func(IndexParams) any
		want  any
	}{
		{name: "defaults", got: func(p IndexParams) any { return []any{p.Page, p.Limit, p.Direction, p.Published} },
			want: []any{1, 0, "", TriAny}},
		{name: "search prefix on org", named: map[string][]string{"searchorg": {"CIRCL|!ACME"}},
			got: func(p IndexParams) any { return p.Org }, want: Terms{OR: []string{"CIRCL"}, NOT: []string{"ACME"}}},
		{name: "searchall is all", named: map[string][]string{"searchall": {"phishing"}},
			got: func(p IndexParams) any { return p.All }, want: "phishing"},
		{name: "searchpublished", named: map[string][]string{"searchpublished": {"1"}},
			got: func(p IndexParams) any { return p.Published }, want: TriTrue},
		{name: "mixed case and prefix", body: `{"searchDatefrom":"2024-01-02","searchDateuntil":1704240000}`,
			got:  func(p IndexParams) any { return []string{p.DateFrom, p.DateUntil} },
			want: []string{"2024-01-02", "2024-01-03"}},
		{name: "pipe list", body: `{"eventid":"1|2|!3"}`,
			got: func(p IndexParams) any { return p.EventID }, want: Terms{OR: []string{"1", "2"}, NOT: []string{"3"}}},
		{name: "JSON list", body: `{"threatlevel":[1,"!4"]}`,
			got: func(p IndexParams) any { return p.ThreatLevel }, want: Terms{OR: []string{"1"}, NOT: []string{"4"}}},
		{name: "tags with and", body: `{"tags":"a|b&c|!d"}`,
			got:  func(p IndexParams) any { return p.Tags },
			want: Terms{OR: []string{"a"}, AND: []string{"b", "c"}, NOT: []string{"d"}}},
		{name: "tags and with negation", named: map[string][]string{"searchtag": {"tlp:amber&!tlp:red"}},
			got: func(p IndexParams) any { return p.Tags }, want: Terms{AND: []string{"tlp:amber"}, NOT: []string{"tlp:red"}}},
		{name: "tags list taken whole", body: `{"tags":["a&b","!c"]}`,
			got: func(p IndexParams) any { return p.Tags }, want: Terms{OR: []string{"a&b"}, NOT: []string{"c"}}},
		{name: "ampersand literal outside tags", body: `{"eventinfo":"salt & pepper"}`,
			got: func(p IndexParams) any { return p.EventInfo }, want: Terms{OR: []string{"salt & pepper"}}},
		{name: "explicit object", body: `{"org":{"NOT":["x"]}}`,
			got: func(p IndexParams) any { return p.Org }, want: Terms{NOT: []string{"x"}}},
		{name: "value is attribute", body: `{"value":"1.2.3.4|5.6.7.8"}`,
			got: func(p IndexParams) any { return p.Attribute }, want: Terms{OR: []string{"1.2.3.4", "5.6.7.8"}}},
		{name: "publishtimestamp", named: map[string][]string{"searchpublishtimestamp": {"1d"}},
			got: func(p IndexParams) any { return deref(p.PublishTimestamp) }, want: TimeRange{From: now - 86400}},
		{name: "timestamp range", body: `{"timestamp":[1700000500,1700000000]}`,
			got: func(p IndexParams) any { return deref(p.Timestamp) }, want: TimeRange{From: 1700000000, To: 1700000500}},
		{name: "other terms", body: `{"distribution":"0|1","sharinggroup":2,"analysis":"!2","email":"a@example.org",
			"attribute":"evil"}`,
			got: func(p IndexParams) any {
				return []Terms{p.Distribution, p.SharingGroup, p.Analysis, p.Email, p.Attribute}
			},
			want: []Terms{{OR: []string{"0", "1"}}, {OR: []string{"2"}}, {NOT: []string{"2"}},
				{OR: []string{"a@example.org"}}, {OR: []string{"evil"}}}},
		{name: "paging and sorting", named: map[string][]string{"minimal": {"1"}, "page": {"2"}, "limit": {"60"},
			"sort": {"timestamp"}, "direction": {"DESC"}, "searchhasproposal": {"0"}},
			got:  func(p IndexParams) any { return []any{p.Minimal, p.Page, p.Limit, p.Sort, p.Direction, p.HasProposal} },
			want: []any{true, 2, 60, "timestamp", "desc", TriFalse}},
		{name: "plain key beats prefixed", body: `{"searchorg":"b","org":"a"}`,
			got: func(p IndexParams) any { return p.Org }, want: Terms{OR: []string{"a"}}},
		{name: "alias beats prefixed", body: `{"searchtags":"b","tag":"a"}`,
			got: func(p IndexParams) any { return p.Tags }, want: Terms{OR: []string{"a"}}},
		{name: "body beats named", body: `{"searchorg":"a"}`, named: map[string][]string{"org": {"b"}},
			got: func(p IndexParams) any { return p.Org }, want: Terms{OR: []string{"a"}}},
		{name: "wrapped body", body: `{"request":{"minimal":true,"published":1}}`,
			got: func(p IndexParams) any { return []any{p.Minimal, p.Published} }, want: []any{true, TriTrue}},
		{name: "unknown keys ignored", body: `{"searchnonsense":[[1]],"search":{}}`,
			got: func(p IndexParams) any { return p.Page }, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseIndex([]byte(tt.body), tt.named, testNow)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if got := tt.got(p); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseIndexErrors(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		named     map[string][]string
		wantParam string
	}{
		{name: "bad JSON", body: `{"org":`, wantParam: "body"},
		{name: "bad direction", named: map[string][]string{"direction": {"up"}}, wantParam: "direction"},
		{name: "negative limit", body: `{"searchlimit":-1}`, wantParam: "searchlimit"},
		{name: "negated date", body: `{"datefrom":"!2024-01-01"}`, wantParam: "datefrom"},
		{name: "nested list", body: `{"searchorg":[["a"]]}`, wantParam: "searchorg"},
		{name: "bad published", body: `{"published":"perhaps"}`, wantParam: "published"},
		{name: "time as object", body: `{"timestamp":{"a":1}}`, wantParam: "timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseIndex([]byte(tt.body), tt.named, testNow)
			var pe *ParamError
			if !errors.As(err, &pe) {
				t.Fatalf("got %+v, error %v, want a *ParamError", p, err)
			}
			if pe.Param != tt.wantParam {
				t.Errorf("got parameter %q (%v), want %q", pe.Param, err, tt.wantParam)
			}
		})
	}
}

func FuzzParseIndex(f *testing.F) {
	for _, s := range []string{``, `{"searchorg":"a|!b","tags":"x&y|!z"}`, `{"direction":"asc","limit":"9"}`} {
		f.Add([]byte(s), "a|!b&c")
	}
	f.Fuzz(func(t *testing.T, body []byte, value string) {
		named := map[string][]string{"searchtags": {value}, "searchtimestamp": {value}}
		p, err := ParseIndex(body, named, testNow)
		if err != nil {
			var pe *ParamError
			if !errors.As(err, &pe) {
				t.Fatalf("got error %T %v, want a *ParamError", err, err)
			}
			return
		}
		if p.Page < 1 || p.Limit < 0 {
			t.Errorf("got page %d and limit %d, want page >= 1 and limit >= 0", p.Page, p.Limit)
		}
	})
}
