package search

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cairn-intel/cairn/internal/store"
)

// fixtureComposites adds composite attributes beside those of the export
// fixture: the same address with another port, the address alone, an IPv6
// address with a port, a domain with an address of the same block, and a
// file name with its hash. The event is
// published, so every actor of the host organisation sees it.
const fixtureComposites = `{"info": "Composites", "distribution": 1, "Attribute": [
	{"type": "ip-dst|port", "category": "Network activity", "value": "198.51.100.7|443"},
	{"type": "ip-dst", "category": "Network activity", "value": "198.51.100.7"},
	{"type": "ip-src|port", "category": "Network activity", "value": "2001:db8::7|53"},
	{"type": "domain|ip", "category": "Network activity", "value": "example.org|198.51.100.9"},
	{"type": "filename|sha256", "category": "Payload delivery",
		"value": "Evil.exe|2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"}
]}`

const compositeSHA = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"

func newCompositeFixture(t *testing.T) *exportFixture {
	t.Helper()
	f := newExportFixture(t)
	f.save(t, f.admin, fixtureComposites, true)
	return f
}

// TestCompositeValueSearch checks that a value term holding one "|" finds
// the composite attribute holding both halves, as MISP shows its value,
// and not an attribute holding only one of them; that each half is read
// under its stored forms; and that the whole term still finds a value
// holding the "|" itself.
func TestCompositeValueSearch(t *testing.T) {
	f := newCompositeFixture(t)
	tests := []struct {
		name  string
		value any
		want  []string
	}{
		{"file name and hash, in upper case", "EVIL.EXE|" + strings.ToUpper(compositeSHA),
			[]string{"Evil.exe|" + compositeSHA}},
		{"file name with a comma and hash", "payload, final.exe|e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
			[]string{"payload, final.exe|e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}},
		{"address and port, not another port nor the address alone", "198.51.100.7|443",
			[]string{"198.51.100.7|443"}},
		{"the other port", "198.51.100.7|8443", []string{"198.51.100.7|8443"}},
		{"address and port written with a colon, not the address alone", "198.51.100.7:443",
			[]string{"198.51.100.7|443"}},
		{"an IPv6 address and port in brackets", "[2001:db8::7]:53", []string{"2001:db8::7|53"}},
		{"a port no attribute has, with a colon", "198.51.100.7:9999", nil},
		{"an IPv6 address in brackets and a port no attribute has, with a bar", "[2001:db8::7]|54", nil},
		{"an IPv6 address in brackets and its port, with a bar", "[2001:DB8::7]|53", []string{"2001:db8::7|53"}},
		{"a port written with a leading zero", "198.51.100.7|0443", []string{"198.51.100.7|443"}},
		{"IPv6 half in a long form", "2001:0DB8:0:0::0007|53", []string{"2001:db8::7|53"}},
		{"halves of two pairs crossed", []string{"198.51.100.7|53", "2001:db8::7|443"}, nil},
		{"defanged half", "198.51.100[.]7|443", []string{"198.51.100.7|443"}},
		{"a half alone still finds both", "198.51.100.7",
			[]string{"198.51.100.7", "198.51.100.7|443", "198.51.100.7|8443"}},
		{"a value holding the bar itself", `Mozilla/5.0 "evil"; x|y`, []string{`Mozilla/5.0 "evil"; x|y`}},
		{"empty half", "198.51.100.7|", nil},
		{"NOT a pair leaves the other port", map[string][]string{"OR": {"198.51.100.7"}, "NOT": {"198.51.100.7|443"}},
			[]string{"198.51.100.7", "198.51.100.7|8443"}},
		{"NOT the file name and hash", map[string][]string{"OR": {"%.exe"}, "NOT": {"evil.exe|" + compositeSHA}},
			[]string{"http://evil.example:8080/dl/x.exe", "payload, final.exe|e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := searchValues(t, f, f.viewer, map[string]any{"value": tt.value})
			if !slices.Equal(got, tt.want) {
				t.Errorf("value %v: got %q, want %q", tt.value, got, tt.want)
			}
		})
	}
}

// TestCompositePatternTerms checks composite terms with a pattern for a
// half: a LIKE pattern or a CIDR block there matches that half of
// composite attributes, the other half matched as a composite term's is.
// They matched nothing, as the whole term was compared with each column.
func TestCompositePatternTerms(t *testing.T) {
	f := newCompositeFixture(t)
	for _, tc := range []struct {
		name  string
		value any
		want  []string
	}{
		{"any port of an address", "198.51.100.7|%", []string{"198.51.100.7|443", "198.51.100.7|8443"}},
		{"any address with a port", "%|443", []string{"198.51.100.7|443"}},
		{"a port on an address of a block", "198.51.100.0/24|443", []string{"198.51.100.7|443"}},
		{"a port written with a leading zero", "198.51.100.0/24|0443", []string{"198.51.100.7|443"}},
		{"any port on a block, not a domain's address", "198.51.100.0/24|%",
			[]string{"198.51.100.7|443", "198.51.100.7|8443"}},
		{"a domain's address in a block", "EXAMPLE.org|198.51.100.0/24", []string{"example.org|198.51.100.9"}},
		{"a domain pattern and a block", "%.org|198.51.100.0/24", []string{"example.org|198.51.100.9"}},
		{"a file name pattern and its hash", "evil%|" + strings.ToUpper(compositeSHA), []string{"Evil.exe|" + compositeSHA}},
		{"a block without the port", "198.51.100.0/24|53", nil},
		{"an IPv6 block and its port", "2001:db8::/32|53", []string{"2001:db8::7|53"}},
		{"any port of an address, with a colon", "198.51.100.7:%", []string{"198.51.100.7|443", "198.51.100.7|8443"}},
		{"a port on a block, with a colon", "198.51.100.0/24:443", []string{"198.51.100.7|443"}},
		{"any port of an IPv6 address, in brackets", "[2001:db8::7]:%", []string{"2001:db8::7|53"}},
		{"a port on an IPv6 block, in brackets", "[2001:db8::/32]:53", []string{"2001:db8::7|53"}},
		{"NOT any port leaves the address alone", map[string][]string{"OR": {"198.51.100.7"}, "NOT": {"198.51.100.7|%"}},
			[]string{"198.51.100.7"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := searchValues(t, f, f.viewer, map[string]any{"value": tc.value}); !slices.Equal(got, tc.want) {
				t.Errorf("value %v: got %q, want %q", tc.value, got, tc.want)
			}
		})
	}
	// The events scope chooses events by the same terms, and a one-column
	// filter compares its column with the whole term, as MISP does.
	if got, want := searchInfos(t, f, f.viewer, map[string]any{"value": "198.51.100.0/24|8443"}),
		[]string{`Fixture, with "quotes"`}; !slices.Equal(got, want) {
		t.Errorf("events by a block and port: got %q, want %q", got, want)
	}
	if got := searchValues(t, f, f.viewer, map[string]any{"value1": "198.51.100.7|%"}); got != nil {
		t.Errorf("value1 by a composite pattern: got %q, want nothing", got)
	}
}

// TestCompositeTermsInOneColumn checks that value1 and value2 filters
// compare their column with the term as written and its normal forms, but
// not with one half of a composite term alone: value1 "192.0.2.1:443"
// found the address with every port.
func TestCompositeTermsInOneColumn(t *testing.T) {
	f := newCompositeFixture(t)
	for _, tc := range []struct {
		param string
		value string
		want  []string
	}{
		{"value1", "198.51.100.7:443", nil},
		{"value1", "198.51.100.7|443", nil},
		{"value1", "198.51.100.7", []string{"198.51.100.7", "198.51.100.7|443", "198.51.100.7|8443"}},
		{"value2", "198.51.100.7|443", nil},
		{"value2", "443", []string{"198.51.100.7|443"}},
	} {
		if got := searchValues(t, f, f.viewer, map[string]any{tc.param: tc.value}); !slices.Equal(got, tc.want) {
			t.Errorf("%s %q: got %q, want %q", tc.param, tc.value, got, tc.want)
		}
	}
}

// TestCompositeValueSearchEvents checks the same in the events scope,
// where the terms choose events by their attributes.
func TestCompositeValueSearchEvents(t *testing.T) {
	f := newCompositeFixture(t)
	tests := []struct {
		name  string
		value any
		want  []string
	}{
		{"file name and hash", "evil.exe|" + compositeSHA, []string{"Composites"}},
		{"a port only the fixture's event holds", "198.51.100.7|8443", []string{`Fixture, with "quotes"`}},
		{"a port only the new event holds", "198.51.100.7|443", []string{"Composites"}},
		{"NOT both pairs leaves the address alone", map[string][]string{"OR": {"198.51.100.7"},
			"NOT": {"198.51.100.7|443", "198.51.100.7|8443"}}, []string{"Composites"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := searchInfos(t, f, f.viewer, map[string]any{"value": tt.value})
			if !slices.Equal(got, tt.want) {
				t.Errorf("value %v: got %q, want %q", tt.value, got, tt.want)
			}
		})
	}
}

// TestLongCompositeListsMatchAsShortOnes checks that thousands of
// composite terms, which go as sets, find what their useful few find, as
// OR and as NOT, in both scopes.
func TestLongCompositeListsMatchAsShortOnes(t *testing.T) {
	f := newCompositeFixture(t)
	useful := []string{"198.51.100.7|443", "EVIL.EXE|" + compositeSHA, "2001:0db8::7|53", "198.51.100.7"}
	long := slices.Clone(useful)
	for i := range 5000 {
		long = append(long, fmt.Sprintf("198.51.%d.%d|%d", i/250, i%250, 1000+i), fmt.Sprintf("file-%d.exe|%064x", i, i))
	}
	for _, op := range []string{"OR", "NOT"} {
		for _, scope := range []Scope{ScopeAttributes, ScopeEvents} {
			want := searchUUIDs(t, f, f.viewer, scope, map[string]any{"value": map[string][]string{op: useful}})
			got := searchUUIDs(t, f, f.viewer, scope, map[string]any{"value": map[string][]string{op: long}})
			if !slices.Equal(got, want) {
				t.Errorf("%s, scope %d: %d terms found %v, the useful %d alone %v", op, scope, len(long), got, len(useful), want)
			}
			if op == "OR" && len(want) == 0 {
				t.Errorf("scope %d: the useful terms found nothing; the test would prove nothing", scope)
			}
		}
	}
}

// TestCompositeTermsUseValueIndex reads SQLite's plan of an attribute
// search and of an event search by composite terms, as a plain list and
// as a set: the pairs must be found through the value1 index, not by
// reading the attributes table through.
func TestCompositeTermsUseValueIndex(t *testing.T) {
	f := newCompositeFixture(t)
	if f.st.Dialect() != "sqlite" {
		t.Skip("reads SQLite's query plan")
	}
	b := &builder{ctx: context.Background(), st: f.st, a: f.admin, scope: "attributes"}
	for _, n := range []int{1, 40} {
		var terms []string
		for i := range n {
			terms = append(terms, fmt.Sprintf("file-%d.exe|%064x", i, i))
		}
		// The whole terms probe value1 and value2, the pairs value1 again:
		// a branch of the OR without an index would make SQLite read the
		// table through instead.
		plan := attributePlan(t, f.st, b.attrPredMany("value", terms))
		if strings.Contains(plan, "SCAN a") || strings.Count(plan, "USING INDEX attributes_value1") != 2 {
			t.Errorf("%d terms: plan %q does not probe the value1 index for the pairs", n, plan)
		}

		// An event search starts from the same probes.
		eb := &builder{ctx: context.Background(), st: f.st, a: f.viewer, scope: "events", p: Params{Value: Terms{OR: terms}}}
		plan, scansEvents := eventPlan(t, f.st, eb.eventSelectCond())
		if scansEvents || strings.Contains(plan, "SCAN a") || strings.Count(plan, "USING INDEX attributes_value1") != 2 {
			t.Errorf("events, %d terms: plan %q does not probe the value1 index for the pairs", n, plan)
		}
	}
}

// searchValues runs an attributes restSearch and returns the values
// found, sorted.
func searchValues(t *testing.T, f *exportFixture, a *store.Actor, body map[string]any) []string {
	t.Helper()
	p := parseBody(t, body)
	attrs, _, err := Attributes(context.Background(), f.st, a, p)
	if err != nil {
		t.Fatalf("%v: %v", body, err)
	}
	var out []string
	for _, at := range attrs {
		out = append(out, at.Value())
	}
	slices.Sort(out)
	return out
}

// searchInfos runs an events restSearch and returns the infos of the
// events found, sorted.
func searchInfos(t *testing.T, f *exportFixture, a *store.Actor, body map[string]any) []string {
	t.Helper()
	p := parseBody(t, body)
	events, _, err := Events(context.Background(), f.st, a, p)
	if err != nil {
		t.Fatalf("%v: %v", body, err)
	}
	var out []string
	for _, e := range events {
		out = append(out, e.Info)
	}
	slices.Sort(out)
	return out
}

// parseBody reads a restSearch body given as a map.
func parseBody(t *testing.T, body map[string]any) Params {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseRestSearch(raw, nil, nil, fixtureClock)
	if err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return p
}
