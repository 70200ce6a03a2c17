package search

import (
	"context"
	"slices"
	"strings"
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

// TestTextOrders checks that sorting by a text column orders by its bytes
// with ASCII letters folded, ties by uuid, on both databases alike:
// PostgreSQL's collations ignore punctuation, so a page sorted by value
// held other attributes there than on SQLite.
func TestTextOrders(t *testing.T) {
	f := newExportFixture(t)
	f.save(t, f.admin, `{"info": "Punctuation", "distribution": 1, "Attribute": [
		{"type": "text", "category": "Other", "value": "a.b"}, {"type": "text", "category": "Other", "value": "A%c"},
		{"type": "text", "category": "Other", "value": "ab"}, {"type": "text", "category": "Other", "value": "a-z"},
		{"type": "text", "category": "Other", "value": "Ab"}, {"type": "text", "category": "Other", "value": "a b"},
		{"type": "text", "category": "Other", "value": "_x"}, {"type": "text", "category": "Other", "value": "Zeta"}]}`, true)
	all := searchAttrs(t, f, map[string]any{})
	for _, order := range []string{"value", "value desc", "type", "category desc"} {
		want := slices.Clone(all)
		key := func(at store.Attribute) string {
			switch strings.Fields(order)[0] {
			case "type":
				return store.LowerASCII(at.Type)
			case "category":
				return store.LowerASCII(at.Category)
			}
			return store.LowerASCII(at.Value1) + "\x00" + store.LowerASCII(at.Value2)
		}
		slices.SortStableFunc(want, func(x, y store.Attribute) int {
			c := strings.Compare(key(x), key(y))
			if c == 0 {
				c = strings.Compare(x.UUID, y.UUID)
			}
			if strings.HasSuffix(order, "desc") {
				c = -c
			}
			return c
		})
		got := searchAttrs(t, f, map[string]any{"order": order})
		if !slices.EqualFunc(got, want, func(x, y store.Attribute) bool { return x.UUID == y.UUID }) {
			t.Errorf("order %q: got %q, want %q", order, valuesOf(got), valuesOf(want))
		}
		for page := 1; page <= 3; page++ { // pages cut the same order
			got := searchAttrs(t, f, map[string]any{"order": order, "limit": 3, "page": page})
			end := min(3*page, len(want))
			if !slices.EqualFunc(got, want[3*(page-1):end], func(x, y store.Attribute) bool { return x.UUID == y.UUID }) {
				t.Errorf("order %q, page %d: got %q", order, page, valuesOf(got))
			}
		}
	}
}

func searchAttrs(t *testing.T, f *exportFixture, body map[string]any) []store.Attribute {
	t.Helper()
	attrs, _, err := Attributes(context.Background(), f.st, f.viewer, parseBody(t, body))
	if err != nil {
		t.Fatal(err)
	}
	return attrs
}

func valuesOf(attrs []store.Attribute) []string {
	var out []string
	for _, at := range attrs {
		out = append(out, at.Value())
	}
	return out
}
