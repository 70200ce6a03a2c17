package search

import (
	"slices"
	"testing"

	"github.com/cairn-intel/cairn/internal/store"
)

// TestExactTermsIgnoreCase checks that the exact terms of the text filters
// find in another letter case what they find as stored, as values do and
// as their LIKE forms always did: types and categories by the name they
// stand for (still through the type index), free text (comment,
// object_relation, eventinfo) with its ASCII letters lowered.
func TestExactTermsIgnoreCase(t *testing.T) {
	f := newExportFixture(t)
	for _, tc := range []struct{ param, stored, other string }{
		{"type", "ip-dst", "IP-DST"},
		{"category", "Network activity", "network ACTIVITY"},
		{"comment", "has, comma", "HAS, Comma"},
		{"object_relation", "domain", "DOMAIN"},
		{"eventinfo", `Fixture, with "quotes"`, `FIXTURE, WITH "Quotes"`},
	} {
		for name, a := range map[string]*store.Actor{"admin": f.admin, "viewer": f.viewer} {
			for _, scope := range []Scope{ScopeAttributes, ScopeEvents} {
				want := searchUUIDs(t, f, a, scope, map[string]any{tc.param: tc.stored})
				if len(want) == 0 {
					t.Fatalf("%s %q finds nothing as stored; the test would prove nothing", tc.param, tc.stored)
				}
				if got := searchUUIDs(t, f, a, scope, map[string]any{tc.param: []string{tc.other}}); !slices.Equal(got, want) {
					t.Errorf("%s %q, %s, scope %d: found %d, as stored %d", tc.param, tc.other, name, scope, len(got), len(want))
				}
			}
		}
	}
}
