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

// TestLongListsMatchAsShortOnes checks that a filter of many terms, which
// the store passes as one set parameter, matches exactly what the same
// filter matches with only its useful terms, which go as a plain IN list:
// terms that match nothing are added until the list is far past the point
// where the set takes over. Every list-capable filter that becomes a set is
// covered, as OR and as NOT, in both scopes, for actors who see different
// parts of the fixture.
func TestLongListsMatchAsShortOnes(t *testing.T) {
	f := newExportFixture(t)
	ctx := context.Background()
	var tagNames []string
	for i := range 40 {
		name := fmt.Sprintf("padding:tag-%d", i)
		if _, err := f.st.SaveTag(ctx, f.admin, store.Tag{Name: name, Colour: "#ffffff", Exportable: true}); err != nil {
			t.Fatal(err)
		}
		tagNames = append(tagNames, name)
	}

	var attrUUID, eventUUID string
	err := f.st.DB().QueryRowContext(ctx, `SELECT a.uuid, e.uuid FROM attributes a JOIN events e ON e.id = a.event_id
		WHERE a.value1 = 'www.evil.example'`).Scan(&attrUUID, &eventUUID)
	if err != nil {
		t.Fatal(err)
	}
	var secretID int64
	if err := f.st.DB().QueryRowContext(ctx, `SELECT id FROM events WHERE info = 'Our eyes only'`).Scan(&secretID); err != nil {
		t.Fatal(err)
	}

	paddingOf := func(n int, format string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf(format, i)
		}
		return out
	}
	padding := func(format string) []string { return paddingOf(60, format) }
	cidrs := make([]string, 1200)
	for i := range cidrs {
		cidrs[i] = fmt.Sprintf("10.%d.%d.0/24", i/256, i%256)
	}
	filters := []longFilter{
		// Upper case: the set must compare as the column does.
		{"value", []string{"EVIL.EXAMPLE", "192.0.2.1", "secret.example", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
			padding("nothing-%d.invalid")},
		{"uuid", []string{strings.ToUpper(attrUUID), eventUUID}, padding("00000000-0000-4000-8000-%012d")},
		{"eventid", []string{"1", "2", fmt.Sprint(secretID), eventUUID}, append(padding("%d00000"), padding("00000000-0000-4000-9000-%012d")...)},
		{"tags", []string{"tlp:amber", "tlp:green"}, tagNames},
		// Terms that are not sets: each is a term of an OR, which must stay
		// within SQLite's limit on expression depth however many there are.
		{"type", []string{"domain", "ip-dst"}, paddingOf(1200, "no-such-type-%d")},
		{"category", []string{"Payload delivery"}, paddingOf(1200, "No such category %d")},
		{"value", []string{"%evil.example", "192.0.2.0/24"}, append(paddingOf(600, "%%nothing-%d.invalid"), cidrs...)},
	}
	checkLongLists(t, f, filters)
}

// longFilter is a filter's useful terms and the padding terms, which match
// nothing, added to them.
type longFilter struct {
	param           string
	useful, padding []string
}

// checkLongLists checks that each filter with its padding finds what its
// useful terms find alone, as OR and as NOT, in both scopes, for actors who
// see different parts of the fixture.
func checkLongLists(t *testing.T, f *exportFixture, filters []longFilter) {
	t.Helper()
	actors := map[string]*store.Actor{"admin": f.admin, "viewer": f.viewer, "other": f.other}
	for _, fl := range filters {
		for _, op := range []string{"OR", "NOT"} {
			short := map[string]any{fl.param: map[string][]string{op: fl.useful}}
			long := map[string]any{fl.param: map[string][]string{op: append(slices.Clone(fl.useful), fl.padding...)}}
			for name, a := range actors {
				for _, scope := range []Scope{ScopeAttributes, ScopeEvents} {
					want := searchUUIDs(t, f, a, scope, short)
					got := searchUUIDs(t, f, a, scope, long)
					if !slices.Equal(got, want) {
						t.Errorf("%s %s, %s, scope %d: %d terms found %v, the useful %v alone %v",
							fl.param, op, name, scope, len(fl.useful)+len(fl.padding), got, fl.useful, want)
					}
					if op == "OR" && name == "admin" && len(want) == 0 {
						t.Errorf("%s, scope %d: the useful terms %v found nothing; the test would prove nothing",
							fl.param, scope, fl.useful)
					}
				}
			}
		}
	}
}

// searchUUIDs runs a JSON restSearch and returns the uuids found, sorted.
func searchUUIDs(t *testing.T, f *exportFixture, a *store.Actor, scope Scope, body map[string]any) []string {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseRestSearch(raw, nil, nil, fixtureClock)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	ctx := context.Background()
	if scope == ScopeAttributes {
		attrs, _, err := Attributes(ctx, f.st, a, p)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		for _, at := range attrs {
			out = append(out, at.UUID)
		}
	} else {
		events, _, err := Events(ctx, f.st, a, p)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		for _, e := range events {
			out = append(out, e.UUID)
		}
	}
	slices.Sort(out)
	return out
}

// TestIdentifierFiltersUseIndexes reads SQLite's plan of an attribute
// search by uuid (the attribute's or its event's) and by event id or uuid:
// each must probe indexes, not read the attributes table through. A uuid
// compared on either side of the join, as it once was, scanned every row.
func TestIdentifierFiltersUseIndexes(t *testing.T) {
	f := newExportFixture(t)
	if f.st.Dialect() != "sqlite" {
		t.Skip("reads SQLite's query plan")
	}
	b := &builder{ctx: context.Background(), st: f.st, a: f.admin, scope: "attributes"}
	for _, n := range []int{1, 40} {
		var refs []string
		for i := range n {
			refs = append(refs, fmt.Sprintf("6A1F0C2E-0000-4000-8000-%012d", i), fmt.Sprint(i+1))
		}
		for name, c := range map[string]store.Cond{
			"uuid":    b.attributeUUIDPred(refs),
			"eventid": f.st.RefsCond("e", refs),
		} {
			if plan := attributePlan(t, f.st, c); strings.Contains(plan, "SCAN a") {
				t.Errorf("%s, %d references: plan %q reads the attributes table through", name, 2*n, plan)
			}
		}
	}
}

// attributePlan returns SQLite's plan of an attribute search by c, a line.
func attributePlan(t *testing.T, st *store.Store, c store.Cond) string {
	t.Helper()
	plan, err := st.QueryPlan(context.Background(), `SELECT a.id FROM attributes a JOIN events e ON e.id = a.event_id WHERE `+
		c.SQL+` ORDER BY a.timestamp, a.uuid`, c.Args...)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "; ")
}

// eventPlan returns SQLite's plan of an event search by c, a line, and
// whether it reads the events table through.
func eventPlan(t *testing.T, st *store.Store, c store.Cond) (string, bool) {
	t.Helper()
	plan, err := st.QueryPlan(context.Background(), `SELECT e.id FROM events e WHERE `+c.SQL, c.Args...)
	if err != nil {
		t.Fatal(err)
	}
	scans := slices.ContainsFunc(plan, func(step string) bool { return step == "SCAN e" || strings.HasPrefix(step, "SCAN e ") })
	return strings.Join(plan, "; "), scans
}

// TestEventSearchByValuesStartsFromValues reads SQLite's plan of an event
// search by a list of values: it must find the attributes through the value
// index and then their events, never test every event in turn. The test per
// event it replaces read the value set again for each event: 41 s for 5,000
// values at 6M attributes.
func TestEventSearchByValuesStartsFromValues(t *testing.T) {
	f := newExportFixture(t)
	if f.st.Dialect() != "sqlite" {
		t.Skip("reads SQLite's query plan")
	}
	for _, n := range []int{1, 40} {
		var vals []string
		for i := range n {
			vals = append(vals, fmt.Sprintf("198.51.100.%d", i))
		}
		for name, a := range map[string]*store.Actor{"admin": f.admin, "viewer": f.viewer} {
			b := &builder{ctx: context.Background(), st: f.st, a: a, scope: "events", p: Params{Value: Terms{OR: vals}}}
			if plan, scans := eventPlan(t, f.st, b.eventSelectCond()); scans {
				t.Errorf("%s, %d values: plan %q tests every event", name, n, plan)
			}
		}
	}
}

// TestTagSearchStartsFromTags reads SQLite's plan of an attribute search
// by a tag: it must find the tagged events and attributes through the tag
// indexes (a multi-index OR), not test every attribute for the tag on its
// event and on itself, which made counting the 242,455 tlp:green
// attributes of 595,023 take 0.43 s instead of 0.11 s.
func TestTagSearchStartsFromTags(t *testing.T) {
	f := newExportFixture(t)
	if f.st.Dialect() != "sqlite" {
		t.Skip("reads SQLite's query plan")
	}
	b := &builder{ctx: context.Background(), st: f.st, a: f.admin, scope: "attributes"}
	c := b.tagCond(Terms{OR: []string{"tlp:green"}}, true, true)
	if b.none {
		t.Fatal("the fixture has no tlp:green tag; the test would prove nothing")
	}
	plan := attributePlan(t, f.st, c)
	if !strings.Contains(plan, "MULTI-INDEX OR") || !strings.Contains(plan, "event_tags_tag") || !strings.Contains(plan, "attribute_tags_tag") {
		t.Errorf("plan %q does not start from the tag indexes", plan)
	}
}
