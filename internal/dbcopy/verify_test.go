package dbcopy

import (
	"bytes"
	"testing"
	"time"
)

func canonical(t *testing.T, row ...any) []byte {
	t.Helper()
	var b []byte
	for _, v := range row {
		var err error
		if b, err = appendCanonical(b, v); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func TestCanonicalEncoding(t *testing.T) {
	when := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		a, b []any
		same bool
	}{
		{"integer from either side", []any{int64(1)}, []any{float64(1)}, true},
		{"boolean as integer", []any{true, false}, []any{int64(1), int64(0)}, true},
		{"text as bytes", []any{"évil"}, []any{[]byte("évil")}, true},
		{"time as its text", []any{when}, []any{"2026-12-04T10:00:00Z"}, true},
		{"NULL is not empty", []any{nil}, []any{""}, false},
		{"NULL is not zero", []any{nil}, []any{int64(0)}, false},
		{"zero is not empty", []any{int64(0)}, []any{""}, false},
		{"fraction is not integer", []any{1.5}, []any{int64(1)}, false},
		{"number is not its text", []any{int64(1)}, []any{"1"}, false},
		{"case matters", []any{"Evil"}, []any{"evil"}, false},
		{"boundaries matter", []any{"ab", "c"}, []any{"a", "bc"}, false},
		{"order matters", []any{int64(1), int64(2)}, []any{int64(2), int64(1)}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := canonical(t, tc.a...), canonical(t, tc.b...)
			if got := bytes.Equal(a, b); got != tc.same {
				t.Errorf("got equal %v for %v and %v (%x, %x), want %v", got, tc.a, tc.b, a, b, tc.same)
			}
		})
	}
	if _, err := appendCanonical(nil, struct{}{}); err == nil {
		t.Error("got no error for a struct, want one")
	}
}

func TestConverters(t *testing.T) {
	cases := []struct {
		name    string
		kind    kind
		pg      bool
		in, out any
		bad     bool
	}{
		{"integer kept", kindInt, true, int64(7), int64(7), false},
		{"integer from text", kindInt, true, " 12 ", int64(12), false},
		{"integer from whole float", kindInt, true, 3.0, int64(3), false},
		{"integer from fraction", kindInt, true, 3.5, nil, true},
		{"integer from words", kindInt, true, "twelve", nil, true},
		{"NULL stays", kindInt, true, nil, nil, false},
		{"text from bytes", kindText, true, []byte("évil"), "évil", false},
		{"text from integer", kindText, false, int64(5), "5", false},
		{"text with NUL to PostgreSQL", kindText, true, "a\x00b", nil, true},
		{"text with NUL to SQLite", kindText, false, "a\x00b", "a\x00b", false},
		{"invalid UTF-8 to PostgreSQL", kindText, true, []byte{0xff}, nil, true},
		{"bytes from text", kindBytes, true, "ab", []byte("ab"), false},
		{"bytes from integer", kindBytes, true, int64(1), nil, true},
		{"boolean from integer", kindBool, true, int64(1), true, false},
		{"float from integer", kindFloat, true, int64(2), 2.0, false},
		{"other passes", kindOther, true, "x", "x", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := converterFor(tc.kind, tc.pg)(tc.in)
			if tc.bad {
				if err == nil {
					t.Errorf("got %#v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			gb, _ := got.([]byte)
			wb, _ := tc.out.([]byte)
			if gb != nil || wb != nil {
				if !bytes.Equal(gb, wb) {
					t.Errorf("got %#v, want %#v", got, tc.out)
				}
				return
			}
			if got != tc.out {
				t.Errorf("got %#v, want %#v", got, tc.out)
			}
		})
	}
}
