package taxonomy

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestParseTag(t *testing.T) {
	cases := []struct {
		in   string
		ok   bool
		want MachineTag
	}{
		{"tlp:amber", true, MachineTag{Namespace: "tlp", Predicate: "amber"}},
		{"tlp:amber+strict", true, MachineTag{Namespace: "tlp", Predicate: "amber+strict"}},
		{"tlp:ex:chr", true, MachineTag{Namespace: "tlp", Predicate: "ex:chr"}},
		{`admiralty-scale:source-reliability="a"`, true,
			MachineTag{Namespace: "admiralty-scale", Predicate: "source-reliability", Value: "a", HasValue: true}},
		{`misp-galaxy:threat-actor="Sofacy"`, true,
			MachineTag{Namespace: "misp-galaxy", Predicate: "threat-actor", Value: "Sofacy", HasValue: true}},
		{`ns:p=bare`, true, MachineTag{Namespace: "ns", Predicate: "p", Value: "bare", HasValue: true}},
		{`ns:p=""`, true, MachineTag{Namespace: "ns", Predicate: "p", HasValue: true}},
		{"  PAP:RED  ", true, MachineTag{Namespace: "PAP", Predicate: "RED"}},
		{"phishing", false, MachineTag{}},
		{":amber", false, MachineTag{}},
		{"tlp:", false, MachineTag{}},
		{`ns:="v"`, false, MachineTag{}},
		{`a b:c`, false, MachineTag{}},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := ParseTag(tc.in)
			if ok != tc.ok || got != tc.want {
				t.Errorf("ParseTag(%q): got %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestFormatTagRoundTrip(t *testing.T) {
	for _, name := range []string{"tlp:clear", `admiralty-scale:information-credibility="3"`} {
		mt, _ := ParseTag(name)
		if got := mt.String(); got != name {
			t.Errorf("got %q back from %q, want it unchanged", got, name)
		}
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		name    string
		json    string
		wantErr string
		wantTag int
	}{
		{"predicates only", `{"namespace":"a","predicates":[{"value":"x"},{"value":"y"}]}`, "", 2},
		{"values null", `{"namespace":"a","predicates":[{"value":"x"}],"values":null}`, "", 1},
		{"values", `{"namespace":"a","predicates":[{"value":"x"}],"values":[{"predicate":"x","entry":[{"value":"1"},{"value":"2"}]}]}`, "", 2},
		{"repeated predicate kept once", `{"namespace":"a","predicates":[{"value":"x"},{"value":"X"}]}`, "", 1},
		{"no namespace", `{"predicates":[{"value":"x"}]}`, "namespace", 0},
		{"namespace with colon", `{"namespace":"a:b","predicates":[{"value":"x"}]}`, "namespace", 0},
		{"no predicates", `{"namespace":"a","predicates":[]}`, "no predicate", 0},
		{"blank predicate", `{"namespace":"a","predicates":[{"value":" "}]}`, "no value", 0},
		{"bad version", `{"namespace":"a","version":"x","predicates":[{"value":"x"}]}`, "whole number", 0},
		{"not JSON", `[`, "not a taxonomy", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tx, err := Parse([]byte(tc.json), "test")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if got := len(tx.Tags()); got != tc.wantTag {
				t.Errorf("got %d tags, want %d", got, tc.wantTag)
			}
		})
	}
}

func TestBuiltinTags(t *testing.T) {
	r := NewRegistry(nil)
	var got []string
	for _, e := range r.EnabledTags() {
		got = append(got, e.Tag)
	}
	want := []string{"tlp:clear", "tlp:green", "tlp:amber", "tlp:amber+strict", "tlp:red", "tlp:white",
		"PAP:CLEAR", "PAP:GREEN", "PAP:AMBER", "PAP:RED", "PAP:WHITE",
		"threat-level:high", "threat-level:medium", "threat-level:low", "threat-level:undefined"}
	for i := 'a'; i <= 'f'; i++ {
		want = append(want, `admiralty-scale:source-reliability="`+string(i)+`"`)
	}
	for i := '1'; i <= '6'; i++ {
		want = append(want, `admiralty-scale:information-credibility="`+string(i)+`"`)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got tags\n%q\nwant\n%q", got, want)
	}
	for _, tx := range r.Taxonomies() {
		for _, e := range tx.Tags() {
			if e.Expanded == "" {
				t.Errorf("tag %s: got no expanded text, want one", e.Tag)
			}
		}
	}
}

func TestValidateTag(t *testing.T) {
	r := NewRegistry(nil)
	cases := []struct {
		tag        string
		wantReason string // "" when the tag must pass
	}{
		{"tlp:clear", ""},
		{"tlp:green", ""},
		{"tlp:amber+strict", ""},
		{"tlp:red", ""},
		{"tlp:white", ""},
		{"TLP:AMBER", ""},
		{"tlp:purple", `"purple" is not a predicate of the taxonomy tlp; it has clear, green, amber`},
		{`tlp:amber="yes"`, "takes no value"},
		{"PAP:CLEAR", ""},
		{"pap:red", ""},
		{"PAP:BLUE", "not a predicate of the taxonomy PAP"},
		{"threat-level:high", ""},
		{"threat-level:undefined", ""},
		{"threat-level:extreme", "not a predicate of the taxonomy threat-level"},
		{`admiralty-scale:source-reliability="a"`, ""},
		{`admiralty-scale:source-reliability="F"`, ""},
		{`admiralty-scale:information-credibility="6"`, ""},
		{`admiralty-scale:source-reliability="g"`, `"g" is not a value of admiralty-scale:source-reliability; it has "a", "b"`},
		{`admiralty-scale:information-credibility="0"`, "is not a value"},
		{"admiralty-scale:source-reliability", "needs a value"},
		{"phishing", ""},
		{"Ransomware campaign 2024", ""},
		{`misp-galaxy:threat-actor="Sofacy"`, ""},
		{"unknown-namespace:anything", ""},
	}
	for _, tc := range cases {
		t.Run(tc.tag, func(t *testing.T) {
			err := r.ValidateTag(tc.tag)
			if tc.wantReason == "" {
				if err != nil {
					t.Errorf("got %v, want the tag accepted", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantReason) {
				t.Fatalf("got %v, want a refusal containing %q", err, tc.wantReason)
			}
			if !errors.Is(err, ErrInvalidTag) {
				t.Errorf("got error kind %v, want ErrInvalidTag", err)
			}
		})
	}
}

func TestValidateTagOfDisabledTaxonomyPasses(t *testing.T) {
	r := NewRegistry(nil)
	tlp, _ := r.Find("tlp")
	if err := r.SetEnabled(context.Background(), tlp, false); err != nil {
		t.Fatal(err)
	}
	if err := r.ValidateTag("tlp:purple"); err != nil {
		t.Errorf("got %v for a tag of a disabled taxonomy, want it accepted", err)
	}
}

func TestCheckExclusive(t *testing.T) {
	r := NewRegistry(nil)
	cases := []struct {
		name       string
		tags       []string
		wantReason string
	}{
		{"one of each", []string{"tlp:amber", "PAP:GREEN", "threat-level:low", "phishing"}, ""},
		{"two TLP levels", []string{"tlp:green", "tlp:red"}, `the taxonomy tlp is exclusive and "tlp:green" is already attached`},
		{"legacy white beside clear", []string{"tlp:clear", "tlp:white"}, "exclusive"},
		{"same tag twice in other case", []string{"tlp:amber", "TLP:AMBER"}, ""},
		{"two PAP levels", []string{"PAP:RED", "pap:clear"}, "the taxonomy PAP is exclusive"},
		{"admiralty one of each predicate", []string{`admiralty-scale:source-reliability="b"`,
			`admiralty-scale:information-credibility="2"`}, ""},
		{"admiralty two reliabilities", []string{`admiralty-scale:source-reliability="b"`,
			`admiralty-scale:source-reliability="c"`}, "the predicate admiralty-scale:source-reliability is exclusive"},
		{"unknown tags ignored", []string{"tlp:purple", "tlp:amber"}, ""},
		{"free tags", []string{"a", "b", "c"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := r.CheckExclusive(tc.tags)
			if tc.wantReason == "" {
				if err != nil {
					t.Errorf("got %v, want no clash", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantReason) || !errors.Is(err, ErrExclusive) {
				t.Errorf("got %v, want an ErrExclusive containing %q", err, tc.wantReason)
			}
		})
	}
}

func TestExpand(t *testing.T) {
	r := NewRegistry(nil)
	cases := []struct {
		in, wantTag, wantExpanded, wantColour string
		ok                                    bool
	}{
		{"TLP:Amber+Strict", "tlp:amber+strict", "TLP:AMBER+STRICT: the recipient's organisation only", "#FFC000", true},
		{"tlp:white", "tlp:white", "TLP:WHITE: legacy name of TLP:CLEAR", "#FFFFFF", true},
		{`admiralty-scale:source-reliability="B"`, `admiralty-scale:source-reliability="b"`, "Usually reliable", "", true},
		{"admiralty-scale:source-reliability", "", "", "", false},
		{"tlp:nope", "", "", "", false},
		{"free", "", "", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			x, ok := r.Expand(tc.in)
			if ok != tc.ok {
				t.Fatalf("got ok %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if x.Tag != tc.wantTag || x.Expanded() != tc.wantExpanded || x.Colour() != tc.wantColour {
				t.Errorf("got %q %q %q, want %q %q %q", x.Tag, x.Expanded(), x.Colour(),
					tc.wantTag, tc.wantExpanded, tc.wantColour)
			}
		})
	}
}
