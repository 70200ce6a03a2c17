package search

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/cairn-intel/cairn/internal/store"
)

// TestLongEventListsMatchAsShortOnes checks that 5,000 terms of the event
// filters (eventinfo, threat_level_id, analysis) and of distribution and
// sharinggroup find what their useful few find, as OR and as NOT, in both
// scopes, for actors who see different parts of the fixture. The padding
// holds integers no row holds and, for the number filters, terms that are
// not integers, which match nothing. The filters are then combined, with
// more terms than a statement could bind one by one.
func TestLongEventListsMatchAsShortOnes(t *testing.T) {
	f := newExportFixture(t)
	var numbers, infos []string
	for i := range 5000 {
		numbers = append(numbers, fmt.Sprint(100+i))
		infos = append(infos, fmt.Sprintf("No such event %d", i))
	}
	numbers = append(numbers, "x", "1.0", "01", " 2")
	for i := range 100 {
		infos = append(infos, fmt.Sprintf("%%nothing-%d%%", i))
	}
	filters := []longFilter{
		{"distribution", []string{"1", "5"}, numbers},
		{"threat_level_id", []string{"2"}, numbers},
		{"analysis", []string{"1"}, numbers},
		{"sharinggroup", []string{"0"}, numbers},
		{"eventinfo", []string{"Repeats", "%eyes%"}, infos},
	}
	checkLongLists(t, f, filters)

	// All at once, each number filter with its padding under OR and NOT:
	// over 40,000 terms, more than a statement could bind one by one.
	short, long := map[string]any{}, map[string]any{}
	for _, fl := range filters {
		if fl.param == "eventinfo" {
			short[fl.param] = map[string][]string{"NOT": fl.useful}
			long[fl.param] = map[string][]string{"NOT": append(slices.Clone(fl.useful), fl.padding...)}
			continue
		}
		short[fl.param] = map[string][]string{"OR": fl.useful}
		long[fl.param] = map[string][]string{"OR": append(slices.Clone(fl.useful), fl.padding...), "NOT": fl.padding}
	}
	for _, scope := range []Scope{ScopeAttributes, ScopeEvents} {
		want := searchUUIDs(t, f, f.admin, scope, short)
		if got := searchUUIDs(t, f, f.admin, scope, long); !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("all filters, scope %d: the long lists found %v, the useful terms alone %v", scope, got, want)
		}
	}
}

// TestEventTermsAreSets checks that the exact terms of the event filters
// are bound as one set each: thousands of them cost a parameter, not one a
// term. The LIKE terms of eventinfo are a parameter each.
func TestEventTermsAreSets(t *testing.T) {
	f := newExportFixture(t)
	var many []string
	for i := range 5000 {
		many = append(many, fmt.Sprint(i))
	}
	terms := Terms{OR: many, NOT: many}
	p := Params{EventInfo: Terms{OR: append(slices.Clone(many), "%a%", "b%")}, ThreatLevel: terms, Analysis: terms,
		Distribution: terms, SharingGroup: terms}
	for _, scope := range []string{"attributes", "events"} {
		b := &builder{ctx: context.Background(), st: f.st, a: f.admin, p: p, scope: scope}
		c := store.And(append(b.eventCond(), b.distributionCond("e"))...)
		// eventinfo: a set and two patterns; four filters: a set for OR
		// and one for NOT.
		if got, want := len(c.Args), 3+4*2; got != want {
			t.Errorf("scope %s: the condition binds %d parameters, want %d", scope, got, want)
		}
	}
}
