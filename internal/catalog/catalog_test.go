package catalog

import (
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	items := []string{"alpha", "beta", "gamma"}
	byName := func(ref string) (string, bool) {
		return FindIn(items, func(s string) bool { return strings.EqualFold(s, ref) })
	}
	cases := []struct {
		ref  string
		want string
		ok   bool
	}{
		{"1", "alpha", true},
		{" 3 ", "gamma", true},
		{"0", "", false},
		{"4", "", false},
		{"BETA", "beta", true},
		{"delta", "", false},
	}
	for _, tc := range cases {
		got, ok := Find(items, tc.ref, byName)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Find(%q): got %q, %v; want %q, %v", tc.ref, got, ok, tc.want, tc.ok)
		}
	}
}
