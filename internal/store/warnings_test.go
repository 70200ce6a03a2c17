package store

import (
	"slices"
	"testing"
)

func TestApplyWarnings(t *testing.T) {
	check := func(value, attrType string) []WarninglistHit {
		if value == "192.0.2.1" {
			return []WarninglistHit{{Value: value, Match: "192.0.2.0/24", ListID: "1", ListName: "docs"}}
		}
		return nil
	}
	attrs := func() []Attribute {
		return []Attribute{{Type: "ip-dst", Value1: "192.0.2.1"}, {Type: "md5", Value1: "d41d8cd98f00b204e9800998ecf8427e"}}
	}
	cases := []struct {
		name        string
		opts        WarningOptions
		wantValues  []string
		wantWarned  []bool
		wantDropped int
	}{
		{"nothing asked", WarningOptions{Check: check}, []string{"192.0.2.1", "d41d8cd98f00b204e9800998ecf8427e"},
			[]bool{false, false}, 0},
		{"no check", WarningOptions{Annotate: true, Drop: true},
			[]string{"192.0.2.1", "d41d8cd98f00b204e9800998ecf8427e"}, []bool{false, false}, 0},
		{"annotate", WarningOptions{Check: check, Annotate: true},
			[]string{"192.0.2.1", "d41d8cd98f00b204e9800998ecf8427e"}, []bool{true, false}, 0},
		{"drop", WarningOptions{Check: check, Drop: true},
			[]string{"d41d8cd98f00b204e9800998ecf8427e"}, []bool{false}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := Event{Attribute: attrs(), Object: []Object{{Attribute: attrs()}}}
			dropped := e.ApplyWarnings(tc.opts)
			if dropped != 2*tc.wantDropped {
				t.Errorf("got %d dropped, want %d", dropped, 2*tc.wantDropped)
			}
			for _, list := range [][]Attribute{e.Attribute, e.Object[0].Attribute} {
				var values []string
				var warned []bool
				for _, at := range list {
					values, warned = append(values, at.Value()), append(warned, len(at.Warnings) > 0)
				}
				if !slices.Equal(values, tc.wantValues) || !slices.Equal(warned, tc.wantWarned) {
					t.Errorf("got %q warned %v, want %q warned %v", values, warned, tc.wantValues, tc.wantWarned)
				}
			}
		})
	}
}
