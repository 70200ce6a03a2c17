package store

import (
	"context"
	"strings"
	"testing"
)

// TestRefLookupsUseAnIndex checks, on SQLite's plan, that finding a row by
// id or uuid probes an index for every table looked up that way: a look-up
// that compared the id as text scanned the whole attributes table, 0.2 s
// at 600k attributes.
func TestRefLookupsUseAnIndex(t *testing.T) {
	s, _ := newTestStore(t)
	if s.Dialect() != "sqlite" {
		t.Skip("reads SQLite's query plan")
	}
	for _, table := range []string{"events", "attributes", "objects", "auth_keys", "sharing_groups"} {
		for _, ref := range []string{"42", " 42 ", "6A1F0C2E-0000-4000-8000-000000000001"} {
			c := RefCond("t", ref)
			plan, err := s.QueryPlan(context.Background(), `SELECT 1 FROM `+table+` t WHERE `+c.SQL, c.Args...)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(plan, "; "); !strings.HasPrefix(got, "SEARCH t USING") {
				t.Errorf("%s by %q: got plan %q, want an index search", table, ref, got)
			}
		}
	}
}

func TestRefCondForms(t *testing.T) {
	cases := []struct {
		ref, sql string
		arg      any
	}{
		{"12", "e.id = ?", int64(12)},
		{" 12\n", "e.id = ?", int64(12)},
		{"6A1F0C2E-0000-4000-8000-000000000001", "e.uuid = ?", "6a1f0c2e-0000-4000-8000-000000000001"},
		{"+12", "e.uuid = ?", "+12"},
		{"99999999999999999999", "e.uuid = ?", "99999999999999999999"},
	}
	for _, tc := range cases {
		c := RefCond("e", tc.ref)
		if c.SQL != tc.sql || len(c.Args) != 1 || c.Args[0] != tc.arg {
			t.Errorf("RefCond(%q): got %q %v, want %q %v", tc.ref, c.SQL, c.Args, tc.sql, tc.arg)
		}
	}
}
