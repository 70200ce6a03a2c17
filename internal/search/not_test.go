package search

import (
	"context"
	"slices"
	"testing"

	"github.com/cairn-intel/cairn/internal/store"
)

// TestNotKeepsRowsWithoutTheColumn checks that a NOT term removes what its
// term finds and nothing else, where the term compares a column that some
// rows leave empty (NULL): a CIDR block (the address of an attribute that
// is not an address) and object_relation (of an attribute outside any
// object). SQL's NOT of such a comparison is NULL, which dropped every
// such row: a NOT CIDR search lost all domains and hashes.
func TestNotKeepsRowsWithoutTheColumn(t *testing.T) {
	f := newExportFixture(t)
	ctx := context.Background()
	for _, tc := range []struct {
		param, term string
		terms       func(Terms) Params
	}{
		{"value", "192.0.2.0/24", func(t Terms) Params { return Params{Value: t} }},
		{"object_relation", "domain", func(t Terms) Params { return Params{ObjectRelation: t} }},
	} {
		for name, a := range map[string]*store.Actor{"admin": f.admin, "viewer": f.viewer} {
			all, _, err := Attributes(ctx, f.st, a, Params{})
			if err != nil {
				t.Fatal(err)
			}
			hits, _, err := Attributes(ctx, f.st, a, tc.terms(Terms{OR: []string{tc.term}}))
			if err != nil {
				t.Fatal(err)
			}
			if len(hits) == 0 || len(hits) == len(all) {
				t.Fatalf("%s %q, %s: finds %d of %d; the test would prove nothing", tc.param, tc.term, name, len(hits), len(all))
			}
			hit := map[int64]bool{}
			for _, at := range hits {
				hit[at.ID] = true
			}
			var wantAttrs, wantEvents []string
			for _, at := range all {
				if !hit[at.ID] {
					wantAttrs = append(wantAttrs, at.UUID)
					if !slices.Contains(wantEvents, at.Event.UUID) {
						wantEvents = append(wantEvents, at.Event.UUID)
					}
				}
			}
			slices.Sort(wantAttrs)
			slices.Sort(wantEvents)
			not := map[string]any{tc.param: map[string][]string{"NOT": {tc.term}}}
			if got := searchUUIDs(t, f, a, ScopeAttributes, not); !slices.Equal(got, wantAttrs) {
				t.Errorf("%s NOT %q, %s: got %d attributes, want the %d the term does not find", tc.param, tc.term, name, len(got), len(wantAttrs))
			}
			if got := searchUUIDs(t, f, a, ScopeEvents, not); !slices.Equal(got, wantEvents) {
				t.Errorf("%s NOT %q, %s: got %d events, want the %d with an attribute the term does not find",
					tc.param, tc.term, name, len(got), len(wantEvents))
			}
		}
	}
}
