package search

import (
	"encoding/json"
	"slices"
	"testing"
)

// sameTerms compares Terms treating nil and empty parts alike.
func sameTerms(a, b Terms) bool {
	return slices.Equal(a.OR, b.OR) && slices.Equal(a.AND, b.AND) && slices.Equal(a.NOT, b.NOT)
}

func TestParseTerms(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want Terms
	}{
		{"absent", ``, Terms{}},
		{"null", `null`, Terms{}},
		{"empty string", `""`, Terms{}},
		{"empty list", `[]`, Terms{}},
		{"empty object", `{}`, Terms{}},
		{"single string", `"x"`, Terms{OR: []string{"x"}}},
		{"list is OR", `["a","b"]`, Terms{OR: []string{"a", "b"}}},
		{"negated string", `"!tlp:red"`, Terms{NOT: []string{"tlp:red"}}},
		{"list with negation", `["a","!b"]`, Terms{OR: []string{"a"}, NOT: []string{"b"}}},
		{"ampersand shorthand", `"a&&b&&!c"`, Terms{OR: []string{"a", "b"}, NOT: []string{"c"}}},
		{"pipe is literal", `"a|b"`, Terms{OR: []string{"a|b"}}},
		{"list entries are not split", `["a&&b"]`, Terms{OR: []string{"a&&b"}}},
		{"explicit object", `{"OR":["a"],"AND":["b","c"],"NOT":"d"}`,
			Terms{OR: []string{"a"}, AND: []string{"b", "c"}, NOT: []string{"d"}}},
		{"nested AND only", `{"AND":["a","b"]}`, Terms{AND: []string{"a", "b"}}},
		{"operator keys in any case", `{"and":["a"],"Not":["b"],"or":"c"}`,
			Terms{OR: []string{"c"}, AND: []string{"a"}, NOT: []string{"b"}}},
		{"explicit entries are literal", `{"OR":["!a","b&&c"]}`, Terms{OR: []string{"!a", "b&&c"}}},
		{"explicit empty entries dropped", `{"OR":["",null,"a"],"NOT":""}`, Terms{OR: []string{"a"}}},
		{"number", `5`, Terms{OR: []string{"5"}}},
		{"numbers in a list", `[1, 2.0, 1e3, 1.5, -3]`, Terms{OR: []string{"1", "2", "1000", "1.5", "-3"}}},
		{"big integer kept whole", `12345678901234567890`, Terms{OR: []string{"12345678901234567890"}}},
		{"boolean", `true`, Terms{OR: []string{"1"}}},
		{"empty entries dropped", `["a", "", "!", null]`, Terms{OR: []string{"a"}}},
		{"surrounding space", "  [\"a\"]\n", Terms{OR: []string{"a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTerms(json.RawMessage(tt.raw))
			if err != nil {
				t.Fatalf("ParseTerms(%s): got error %v, want none", tt.raw, err)
			}
			if !sameTerms(got, tt.want) {
				t.Errorf("ParseTerms(%s): got %+v, want %+v", tt.raw, got, tt.want)
			}
		})
	}
}

func TestParseTermsErrors(t *testing.T) {
	tests := []struct {
		name string
		raw  string
	}{
		{"nested list", `[["a"]]`},
		{"object in list", `["a", {"OR":["b"]}]`},
		{"unknown operator", `{"XOR":["a"]}`},
		{"object under operator", `{"OR":[{"a":1}]}`},
		{"list under operator nested", `{"AND":[["a"]]}`},
		{"invalid JSON", `tru`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTerms(json.RawMessage(tt.raw))
			if err == nil {
				t.Errorf("ParseTerms(%s): got %+v and no error, want an error", tt.raw, got)
			}
		})
	}
}

func TestParseTermsString(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Terms
	}{
		{"empty", "", Terms{}},
		{"single", "ip-dst", Terms{OR: []string{"ip-dst"}}},
		{"negated", "!tlp:red", Terms{NOT: []string{"tlp:red"}}},
		{"and with not", "tlp:red&&!tlp:clear", Terms{OR: []string{"tlp:red"}, NOT: []string{"tlp:clear"}}},
		{"doubled separator", "a&&&&b", Terms{OR: []string{"a", "b"}}},
		{"bare bang", "!", Terms{}},
		{"pipe kept", "a|b", Terms{OR: []string{"a|b"}}},
		{"wildcard kept", "%evil%", Terms{OR: []string{"%evil%"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseTermsString(tt.in); !sameTerms(got, tt.want) {
				t.Errorf("ParseTermsString(%q): got %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestTermsEmpty(t *testing.T) {
	tests := []struct {
		name string
		in   Terms
		want bool
	}{
		{"zero", Terms{}, true},
		{"empty slices", Terms{OR: []string{}, AND: []string{}, NOT: []string{}}, true},
		{"OR", Terms{OR: []string{"a"}}, false},
		{"AND", Terms{AND: []string{"a"}}, false},
		{"NOT", Terms{NOT: []string{"a"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.Empty(); got != tt.want {
				t.Errorf("%+v.Empty(): got %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
