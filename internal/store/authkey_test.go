package store

import "testing"

func TestClaimKeyUseOncePerMinute(t *testing.T) {
	s, _ := newTestStore(t)
	cases := []struct {
		name   string
		id, at int64
		want   bool
	}{
		{"first use", 1, 1000, true},
		{"again in the same minute", 1, 1030, false},
		{"another key", 2, 1030, true},
		{"a minute later", 1, 1060, true},
		{"just after", 1, 1061, false},
	}
	for _, tc := range cases {
		if got := s.claimKeyUse(tc.id, tc.at); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}
