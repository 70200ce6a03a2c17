package auth

import (
	"strings"
	"testing"
)

func TestKeys(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		k := NewKey()
		if !ValidKey(k) {
			t.Fatalf("NewKey gave %q, which ValidKey refuses", k)
		}
		if seen[k] {
			t.Fatalf("NewKey repeated %q", k)
		}
		seen[k] = true
		if !KeyMatches(k, HashKey(k)) || KeyMatches(k+"x", HashKey(k)) {
			t.Fatalf("KeyMatches disagrees with HashKey for %q", k)
		}
	}
	cases := []struct {
		key  string
		want bool
	}{
		{strings.Repeat("a", 40), true},
		{strings.Repeat("a", 39), false},
		{strings.Repeat("a", 41), false},
		{strings.Repeat("a", 39) + "-", false},
		{"", false},
	}
	for _, tc := range cases {
		if got := ValidKey(tc.key); got != tc.want {
			t.Errorf("ValidKey(%q): got %v, want %v", tc.key, got, tc.want)
		}
	}
}

func TestPasswords(t *testing.T) {
	if _, err := HashPassword("short"); err == nil {
		t.Error("a 5-character password was accepted")
	}
	p := NewPassword()
	h, err := HashPassword(p)
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(h, p) || CheckPassword(h, p+"x") || CheckPassword("", p) {
		t.Error("CheckPassword does not tell the right password from a wrong one")
	}
	if strings.Contains(h, p) {
		t.Error("the hash contains the password")
	}
}
