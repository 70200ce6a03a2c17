package search

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// deref returns the range a *TimeRange points to, or nil, for comparisons.
func deref(r *TimeRange) any {
	if r == nil {
		return nil
	}
	return *r
}

func TestParseRestSearch(t *testing.T) {
	now := testNow.Unix()
	tests := []struct {
		name       string
		body       string
		named      map[string][]string
		positional []string
		got        func(Params) any
		want       any
	}{
		{name: "defaults", got: func(p Params) any { return []any{p.ReturnFormat, p.Page, p.Limit, p.Empty()} },
			want: []any{"json", 1, 0, true}},
		{name: "bare body", body: `{"type":"ip-dst","tags":["a","!b"]}`,
			got:  func(p Params) any { return []any{p.Type, p.Tags} },
			want: []any{Terms{OR: []string{"ip-dst"}}, Terms{OR: []string{"a"}, NOT: []string{"b"}}}},
		{name: "wrapped body", body: `{"request":{"value":"1.2.3.4","limit":5}}`,
			got:  func(p Params) any { return []any{p.Value, p.Limit} },
			want: []any{Terms{OR: []string{"1.2.3.4"}}, 5}},
		{name: "null request falls back to the body", body: `{"request":null,"uuid":"u"}`,
			got: func(p Params) any { return p.UUID }, want: Terms{OR: []string{"u"}}},
		{name: "whitespace body", body: " \n\t", got: func(p Params) any { return p.Empty() }, want: true},
		{name: "null body", body: "null", got: func(p Params) any { return p.Empty() }, want: true},
		{name: "unknown names ignored", body: `{"nonsense":[[{}]],"Tags":"x"}`,
			got: func(p Params) any { return []any{p.Empty(), p.Tags.Empty()} }, want: []any{true, true}},
		{name: "absent-valued parameters", body: `{"value":"","tags":[],"org":null,"published":""}`,
			got: func(p Params) any { return p.Empty() }, want: true},
		{name: "named params", named: map[string][]string{"type": {"ip-dst"}, "last": {"1d"}},
			got:  func(p Params) any { return []any{p.Type, deref(p.Last)} },
			want: []any{Terms{OR: []string{"ip-dst"}}, TimeRange{From: now - 86400}}},
		{name: "named tags shorthand", named: map[string][]string{"tags": {"tlp:red&&!tlp:clear"}},
			got: func(p Params) any { return p.Tags }, want: Terms{OR: []string{"tlp:red"}, NOT: []string{"tlp:clear"}}},
		{name: "named array form", named: map[string][]string{"tags": {"a", "!b"}},
			got: func(p Params) any { return p.Tags }, want: Terms{OR: []string{"a"}, NOT: []string{"b"}}},
		{name: "named time range", named: map[string][]string{"timestamp": {"7d", "14d"}},
			got:  func(p Params) any { return deref(p.Timestamp) },
			want: TimeRange{From: now - 14*86400, To: now - 7*86400}},
		{name: "body wins over named", body: `{"type":"md5"}`, named: map[string][]string{"type": {"sha1"}},
			got: func(p Params) any { return p.Type }, want: Terms{OR: []string{"md5"}}},

		{name: "positional format", positional: []string{"csv", "ignored"},
			got: func(p Params) any { return []any{p.ReturnFormat, p.Empty()} }, want: []any{"csv", false}},
		{name: "body format wins over positional", body: `{"returnFormat":"json"}`, positional: []string{"csv"},
			got: func(p Params) any { return p.ReturnFormat }, want: "json"},
		{name: "named format wins over positional", named: map[string][]string{"returnFormat": {"text"}},
			positional: []string{"csv"}, got: func(p Params) any { return p.ReturnFormat }, want: "text"},
		{name: "format lower-cased", body: `{"returnFormat":" CSV "}`,
			got: func(p Params) any { return p.ReturnFormat }, want: "csv"},
		{name: "download is json", body: `{"returnFormat":"download"}`,
			got: func(p Params) any { return p.ReturnFormat }, want: "json"},
		{name: "empty positional ignored", positional: []string{""},
			got: func(p Params) any { return []any{p.ReturnFormat, p.Empty()} }, want: []any{"json", true}},

		{name: "restrictive defaults", positional: []string{"text"},
			got: func(p Params) any { return []any{p.ToIDS, p.Published} }, want: []any{TriTrue, TriTrue}},
		{name: "restrictive keeps given to_ids", body: `{"returnFormat":"suricata","to_ids":0}`,
			got: func(p Params) any { return []any{p.ToIDS, p.Published} }, want: []any{TriFalse, TriTrue}},
		{name: "restrictive keeps given both", body: `{"returnFormat":"rpz","to_ids":[0,1],"published":false}`,
			got: func(p Params) any { return []any{p.ToIDS, p.Published} }, want: []any{TriAny, TriFalse}},
		{name: "restrictive null is not given", body: `{"returnFormat":"hashes","to_ids":null}`,
			got: func(p Params) any { return p.ToIDS }, want: TriTrue},
		{name: "ignore drops the defaults", body: `{"returnFormat":"text","ignore":1}`,
			got: func(p Params) any { return []any{p.ToIDS, p.Published} }, want: []any{TriAny, TriAny}},
		{name: "json is not restrictive", body: `{"returnFormat":"json"}`,
			got: func(p Params) any { return []any{p.ToIDS, p.Published} }, want: []any{TriAny, TriAny}},

		{name: "alias tag", body: `{"tag":"tlp:green"}`,
			got: func(p Params) any { return p.Tags }, want: Terms{OR: []string{"tlp:green"}}},
		{name: "canonical beats alias", body: `{"tag":"b","tags":"a"}`,
			got: func(p Params) any { return p.Tags }, want: Terms{OR: []string{"a"}}},
		{name: "alias quickFilter", body: `{"quickFilter":"evil"}`,
			got: func(p Params) any { return p.SearchAll }, want: "evil"},
		{name: "alias include_event_uuid", body: `{"include_event_uuid":true}`,
			got: func(p Params) any { return p.IncludeEventUUID }, want: true},
		{name: "alias includeAttachments", named: map[string][]string{"includeAttachments": {"1"}},
			got: func(p Params) any { return p.WithAttachments }, want: true},
		{name: "threat_level_id", body: `{"threat_level_id":[1,2]}`,
			got: func(p Params) any { return p.ThreatLevel }, want: Terms{OR: []string{"1", "2"}}},
		{name: "eventid with uuid", body: `{"eventid":["12","!5f0c1c1e-0000-4000-8000-000000000001"]}`,
			got:  func(p Params) any { return p.EventID },
			want: Terms{OR: []string{"12"}, NOT: []string{"5f0c1c1e-0000-4000-8000-000000000001"}}},
		{name: "sharinggroup", body: `{"sharinggroup":"3"}`,
			got: func(p Params) any { return p.SharingGroup }, want: Terms{OR: []string{"3"}}},
		{name: "explicit AND tags", body: `{"tags":{"AND":["a","b"],"NOT":["c"]}}`,
			got: func(p Params) any { return p.Tags }, want: Terms{AND: []string{"a", "b"}, NOT: []string{"c"}}},
		{name: "remaining terms", body: `{"value1":"a","value2":"b","category":"Network activity","org":"CIRCL",
			"event_tags":"x","eventinfo":"%phish%","object_relation":"ip","object_name":"file","comment":"c",
			"distribution":0,"analysis":2}`,
			got: func(p Params) any {
				return []Terms{p.Value1, p.Value2, p.Category, p.Org, p.EventTags, p.EventInfo,
					p.ObjectRelation, p.ObjectName, p.Comment, p.Distribution, p.Analysis}
			},
			want: []Terms{{OR: []string{"a"}}, {OR: []string{"b"}}, {OR: []string{"Network activity"}},
				{OR: []string{"CIRCL"}}, {OR: []string{"x"}}, {OR: []string{"%phish%"}}, {OR: []string{"ip"}},
				{OR: []string{"file"}}, {OR: []string{"c"}}, {OR: []string{"0"}}, {OR: []string{"2"}}}},

		{name: "published true", body: `{"published":true}`,
			got: func(p Params) any { return p.Published }, want: TriTrue},
		{name: "published string zero", body: `{"published":"0"}`,
			got: func(p Params) any { return p.Published }, want: TriFalse},
		{name: "published one", body: `{"published":1}`,
			got: func(p Params) any { return p.Published }, want: TriTrue},
		{name: "published both", body: `{"published":[true,false]}`,
			got: func(p Params) any { return p.Published }, want: TriAny},
		{name: "to_ids exclude", body: `{"to_ids":"exclude"}`,
			got: func(p Params) any { return p.ToIDS }, want: TriFalse},
		{name: "to_ids named", named: map[string][]string{"to_ids": {"1"}},
			got: func(p Params) any { return p.ToIDS }, want: TriTrue},

		{name: "deleted absent", got: func(p Params) any { return p.Deleted }, want: DeletedExclude},
		{name: "deleted zero", body: `{"deleted":0}`, got: func(p Params) any { return p.Deleted }, want: DeletedExclude},
		{name: "deleted false", body: `{"deleted":false}`,
			got: func(p Params) any { return p.Deleted }, want: DeletedExclude},
		{name: "deleted one", body: `{"deleted":1}`, got: func(p Params) any { return p.Deleted }, want: DeletedOnly},
		{name: "deleted true", body: `{"deleted":true}`, got: func(p Params) any { return p.Deleted }, want: DeletedOnly},
		{name: "deleted only", body: `{"deleted":"only"}`,
			got: func(p Params) any { return p.Deleted }, want: DeletedOnly},
		{name: "deleted both", body: `{"deleted":[0,1]}`, got: func(p Params) any { return p.Deleted }, want: DeletedBoth},
		{name: "deleted named array", named: map[string][]string{"deleted": {"0", "1"}},
			got: func(p Params) any { return p.Deleted }, want: DeletedBoth},

		{name: "loose page and limit", body: `{"page":"3","limit":100.0}`,
			got: func(p Params) any { return []int{p.Page, p.Limit} }, want: []int{3, 100}},
		{name: "page zero is the first page", body: `{"page":0}`,
			got: func(p Params) any { return p.Page }, want: 1},
		{name: "named limit", named: map[string][]string{"limit": {"20"}},
			got: func(p Params) any { return p.Limit }, want: 20},

		{name: "from and to", body: `{"from":"2024-01-02","to":1704153600}`,
			got: func(p Params) any { return []string{p.From, p.To} }, want: []string{"2024-01-02", "2024-01-02"}},
		{name: "time filters", body: `{"date":["2024-01-01","2024-01-31"],"publish_timestamp":"1h",
			"event_timestamp":1700000000,"attribute_timestamp":"1w","first_seen":"1d","last_seen":"1d"}`,
			got: func(p Params) any {
				return []any{deref(p.Date), deref(p.PublishTimestamp), deref(p.EventTimestamp),
					deref(p.AttributeTimestamp), deref(p.FirstSeen), deref(p.LastSeen), deref(p.Timestamp)}
			},
			want: []any{TimeRange{From: unix(2024, 1, 1, 0, 0, 0), To: unix(2024, 1, 31, 0, 0, 0)},
				TimeRange{From: now - 3600}, TimeRange{From: 1700000000}, TimeRange{From: now - 7*86400},
				TimeRange{From: now - 86400}, TimeRange{To: now - 86400}, nil}},
		{name: "unparseable time matches nothing", body: `{"timestamp":"last tuesday"}`,
			got: func(p Params) any { return deref(p.Timestamp) }, want: TimeRange{Invalid: true}},

		{name: "flags", body: `{"includeEventTags":1,"includeContext":"1","metadata":true,"includeCorrelations":"true",
			"includeSightings":1,"excludeLocalTags":1,"includeAllTags":1,"enforceWarninglist":1,
			"includeWarninglistHits":1,"headerless":1}`,
			got: func(p Params) any {
				return []bool{p.IncludeEventTags, p.IncludeContext, p.Metadata, p.IncludeCorrelations,
					p.IncludeSightings, p.ExcludeLocalTags, p.IncludeAllTags, p.EnforceWarninglist,
					p.IncludeWarninglistHits, p.Headerless, p.WithAttachments}
			},
			want: []bool{true, true, true, true, true, true, true, true, true, true, false}},
		{name: "order and cursor", body: `{"order":"timestamp desc","cursor":"abc"}`,
			got: func(p Params) any { return []string{p.Order, p.Cursor} }, want: []string{"timestamp desc", "abc"}},
		{name: "searchall", body: `{"searchall":" evil "}`,
			got: func(p Params) any { return p.SearchAll }, want: "evil"},
		{name: "requested attributes list", body: `{"requested_attributes":["uuid","value"]}`,
			got: func(p Params) any { return p.RequestedAttributes }, want: []string{"uuid", "value"}},
		{name: "requested attributes string", named: map[string][]string{"requested_attributes": {"uuid, value,,type"}},
			got: func(p Params) any { return p.RequestedAttributes }, want: []string{"uuid", "value", "type"}},
		{name: "given names", body: `{"tag":"a","limit":5}`, positional: []string{"csv"},
			got: func(p Params) any { return p.Given }, want: []string{"returnFormat", "limit", "tags"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseRestSearch([]byte(tt.body), tt.named, tt.positional, testNow)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if got := tt.got(p); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseRestSearchErrors(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		named     map[string][]string
		wantParam string
	}{
		{name: "bad JSON", body: `{"type":`, wantParam: "body"},
		{name: "body is a list", body: `[{"type":"md5"}]`, wantParam: "body"},
		{name: "body is a string", body: `"type"`, wantParam: "body"},
		{name: "request not an object", body: `{"request":"x"}`, wantParam: "request"},
		{name: "negative limit", body: `{"limit":-1}`, wantParam: "limit"},
		{name: "negative named limit", named: map[string][]string{"limit": {"-5"}}, wantParam: "limit"},
		{name: "negative page", body: `{"page":"-2"}`, wantParam: "page"},
		{name: "page not a number", body: `{"page":"abc"}`, wantParam: "page"},
		{name: "limit too large", body: `{"limit":1e12}`, wantParam: "limit"},
		{name: "limit as list", body: `{"limit":[1]}`, wantParam: "limit"},
		{name: "nested list in terms", body: `{"type":[["md5"]]}`, wantParam: "type"},
		{name: "unknown operator under alias", body: `{"tag":{"XOR":["a"]}}`, wantParam: "tag"},
		{name: "bad boolean", body: `{"published":"maybe"}`, wantParam: "published"},
		{name: "bad to_ids in list", body: `{"to_ids":[1,"x"]}`, wantParam: "to_ids"},
		{name: "bad deleted", body: `{"deleted":"all"}`, wantParam: "deleted"},
		{name: "time as object", body: `{"timestamp":{"from":1}}`, wantParam: "timestamp"},
		{name: "time list too long", body: `{"last":["1d","2d","3d"]}`, wantParam: "last"},
		{name: "from not a date", body: `{"from":"soon"}`, wantParam: "from"},
		{name: "format as list", body: `{"returnFormat":["json"]}`, wantParam: "returnFormat"},
		{name: "flag as list", body: `{"includeEventTags":[1]}`, wantParam: "includeEventTags"},
		{name: "searchall as object", body: `{"quickFilter":{"a":1}}`, wantParam: "quickFilter"},
		{name: "requested attributes nested", body: `{"requested_attributes":[["uuid"]]}`,
			wantParam: "requested_attributes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseRestSearch([]byte(tt.body), tt.named, nil, testNow)
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

func TestParamErrorMessage(t *testing.T) {
	_, err := ParseRestSearch([]byte(`{"limit":-1}`), nil, nil, testNow)
	if got, want := err.Error(), "parameter limit: must not be negative"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestIsRestrictive(t *testing.T) {
	tests := []struct {
		format string
		want   bool
	}{
		{"text", true}, {"hashes", true}, {"suricata", true}, {"snort", true}, {"rpz", true},
		{"hosts", true}, {"openioc", true}, {"kunai", true}, {"TEXT", true},
		{"json", false}, {"csv", false}, {"stix2", false}, {"cache", false}, {"", false},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			if got := IsRestrictive(tt.format); got != tt.want {
				t.Errorf("IsRestrictive(%q): got %v, want %v", tt.format, got, tt.want)
			}
		})
	}
}

func FuzzParseRestSearch(f *testing.F) {
	seeds := []string{
		``, `{}`, `null`, `[]`, `{"request":{"tags":["a","!b"]}}`, `{"tags":{"AND":["a","b"],"not":"c"}}`,
		`{"timestamp":["1d",0],"last":"99999999999999999999w","date":[1e400,"x"]}`,
		`{"limit":-1,"page":"1.5e3"}`, `{"deleted":[0,1,"only"],"to_ids":"exclude"}`,
		`{"requested_attributes":"a,,b","from":"2024-13-45","returnFormat":"TEXT"}`,
		`{"value":12345678901234567890123,"type":[1.5e-300]}`, `{"request":[1]}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s), "1d")
	}
	f.Fuzz(func(t *testing.T, body []byte, value string) {
		named := map[string][]string{"tags": {value}, "last": {value}, "org": {value, value}}
		p, err := ParseRestSearch(body, named, []string{value}, testNow)
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

// TestTooManyTermsRefused checks that a search of more list entries than
// MaxTerms, all filters together, is refused with a ParamError, and one of
// exactly MaxTerms taken.
func TestTooManyTermsRefused(t *testing.T) {
	body := func(values, uuids int) []byte {
		v := make([]string, values)
		for i := range v {
			v[i] = fmt.Sprintf("198.51.%d.%d", i/256%256, i%256)
		}
		u := make([]string, uuids)
		for i := range u {
			u[i] = fmt.Sprintf("6a1f0c2e-0000-4000-8000-%012d", i)
		}
		raw, err := json.Marshal(map[string]any{"value": v, "uuid": u})
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	if _, err := ParseRestSearch(body(MaxTerms-10, 10), nil, nil, time.Now()); err != nil {
		t.Errorf("%d terms: %v, want them taken", MaxTerms, err)
	}
	_, err := ParseRestSearch(body(MaxTerms-10, 11), nil, nil, time.Now())
	var pe *ParamError
	if !errors.As(err, &pe) || !strings.Contains(pe.Reason, "split it") {
		t.Errorf("%d terms: got %v, want a ParamError asking to split the search", MaxTerms+1, err)
	}
}

// TestHugeListsRefusedBeforeDecoding checks that a body of far more list
// entries than a search takes is refused without being decoded: decoding
// took about thirty times its size in memory (20 million entries, 1.2 GB)
// before the entries were counted. Entries hidden in "&&" strings count too.
func TestHugeListsRefusedBeforeDecoding(t *testing.T) {
	items := strings.Repeat(`"v.example",`, 1_000_000)
	for name, body := range map[string]string{
		"list":    `{"value": [` + items + `"last"]}`,
		"request": `{"request": {"eventid": [` + strings.Repeat("1,", 1_000_000) + `1]}}`,
		"string":  `{"value": "` + strings.Repeat("v.example&&", 1_000_000) + `last"}`,
	} {
		raw := []byte(body)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := ParseRestSearch(raw, nil, nil, time.Now())
		runtime.ReadMemStats(&after)
		var pe *ParamError
		if !errors.As(err, &pe) || !strings.Contains(pe.Reason, "split it") {
			t.Errorf("%s: got %v, want a ParamError asking to split the search", name, err)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > uint64(len(body)/10) {
			t.Errorf("%s: refusing a %d-byte body allocated %d bytes", name, len(body), grew)
		}
	}
	if n := listItems([]byte(`{"a": ["x,y", "p&&q", [1, 2]], "b": {"c": 1, "d": 2}}`)); n != 6 {
		t.Errorf("listItems: got %d, want 6 (two arrays of three and two items, one && in a string)", n)
	}
}
