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

// TestBackslashesInPatterns checks that a backslash in a LIKE term is a
// backslash on both databases, as SQLite always took it: PostgreSQL took
// "\%" for a literal %, so patterns over Windows paths and registry keys
// found nothing there. The same holds for comments and tag patterns.
func TestBackslashesInPatterns(t *testing.T) {
	f := newExportFixture(t)
	f.save(t, f.admin, `{"info": "Backslashes", "distribution": 1, "Tag": [{"name": "path:c:\\temp"}], "Attribute": [
		{"type": "regkey", "category": "Persistence mechanism", "value": "HKCU\\Software\\Evil\\Run", "comment": "under\\the key"},
		{"type": "text", "category": "Other", "value": "under_score", "comment": "under_the key"}]}`, true)
	for _, tc := range []struct {
		param, term string
		want        []string
	}{
		{"value", `HKCU\Software\%`, []string{`HKCU\Software\Evil\Run`}},
		{"value", `%\Evil\%`, []string{`HKCU\Software\Evil\Run`}},
		{"value", `%\_%`, []string{`HKCU\Software\Evil\Run`}}, // a backslash, then any character
		{"comment", `under\%`, []string{`HKCU\Software\Evil\Run`}},
		{"tags", `path:c:\%`, []string{`HKCU\Software\Evil\Run`, "under_score"}},
	} {
		if got := searchValues(t, f, f.viewer, map[string]any{tc.param: tc.term}); !slices.Equal(got, tc.want) {
			t.Errorf("%s %q: got %q, want %q", tc.param, tc.term, got, tc.want)
		}
	}
}
