package warninglist

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		name        string
		json        string
		wantErr     string
		wantType    Type
		wantVersion int
		wantEntries int
		wantProbs   int
	}{
		{"plain cidr", `{"name":"a","type":"cidr","version":2,"list":["10.0.0.0/8","::1"]}`, "", TypeCIDR, 2, 2, 0},
		{"type as list", `{"name":"a","type":["hostname"],"list":["x.test"]}`, "", TypeHostname, 1, 1, 0},
		{"type missing means string", `{"name":"a","list":["x"]}`, "", TypeString, 1, 1, 0},
		{"version as string", `{"name":"a","type":"string","version":"12","list":["x"]}`, "", TypeString, 12, 1, 0},
		{"list with comments", `{"name":"a","type":"string","list":{"x":"one","y":"two"}}`, "", TypeString, 1, 2, 0},
		{"blank entries dropped", `{"name":"a","type":"string","list":["x"," ",""]}`, "", TypeString, 1, 1, 0},
		{"bad cidr entry skipped", `{"name":"a","type":"cidr","list":["10.0.0.0/8","10.0.0.0/99"]}`, "", TypeCIDR, 1, 1, 1},
		{"unsupported regex skipped", `{"name":"a","type":"regex","list":["/a(?=b)/","/ok/i"]}`, "", TypeRegex, 1, 1, 1},
		{"no name", `{"type":"string","list":["x"]}`, "no name", "", 0, 0, 0},
		{"unknown type", `{"name":"a","type":"fuzzy","list":["x"]}`, "not one of", "", 0, 0, 0},
		{"bad version", `{"name":"a","version":"v2","list":["x"]}`, "whole number", "", 0, 0, 0},
		{"no usable entry", `{"name":"a","type":"cidr","list":["nope"]}`, "no usable entry", "", 0, 0, 0},
		{"list of numbers", `{"name":"a","list":[1,2]}`, "neither an array", "", 0, 0, 0},
		{"not JSON", `{"name":`, "not a warninglist", "", 0, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, probs, err := Parse([]byte(tc.json), "test.json")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if l.Type != tc.wantType || l.Version != tc.wantVersion || len(l.Entries) != tc.wantEntries {
				t.Errorf("got type %s version %d entries %d, want %s %d %d",
					l.Type, l.Version, len(l.Entries), tc.wantType, tc.wantVersion, tc.wantEntries)
			}
			if len(probs) != tc.wantProbs {
				t.Errorf("got %d problems %v, want %d", len(probs), probs, tc.wantProbs)
			}
			if l.Category != CategoryFalsePositive {
				t.Errorf("got category %q, want the default %q", l.Category, CategoryFalsePositive)
			}
		})
	}
}

func TestLoadTestdata(t *testing.T) {
	lists, probs, err := Load("testdata/lists")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range lists {
		names = append(names, l.Name)
	}
	want := []string{"Test: hashes of empty content", "Test: link shorteners", "Test: popular sites",
		"Test: public DNS resolvers", "Test: sinkhole names"}
	if strings.Join(names, "|") != strings.Join(want, "|") {
		t.Errorf("got lists %q, want %q", names, want)
	}
	// broken JSON, the duplicate name, the bad CIDR entry, the look-behind.
	wantProbs := []string{"broken/list.json: not a warninglist", "zz-copy/again/list.json: a list named",
		`resolvers/list.json: entry "not-a-range"`, `sinkholes/list.json: entry "/(?<=x)y/"`}
	if len(probs) != len(wantProbs) {
		t.Fatalf("got %d problems %v, want %d", len(probs), probs, len(wantProbs))
	}
	for _, w := range wantProbs {
		found := false
		for _, p := range probs {
			found = found || strings.Contains(p.String(), w)
		}
		if !found {
			t.Errorf("got problems %v, want one containing %q", probs, w)
		}
	}
}

func TestLoadMissingDirectory(t *testing.T) {
	if _, _, err := Load("testdata/no-such-dir"); err == nil {
		t.Error("got no error for a missing directory, want one")
	}
}

func TestGoExpr(t *testing.T) {
	cases := []struct {
		name, in, want, wantErr string
	}{
		{"slashes", `/^a\.b$/`, `^a\.b$`, ""},
		{"case-insensitive", `/abc/i`, `(?i)abc`, ""},
		{"hash delimiters", `#a/b#`, `a/b`, ""},
		{"braces", `{x+}s`, `(?s)x+`, ""},
		{"utf-8 modifier ignored", `/é/u`, `é`, ""},
		{"undelimited", `^abc$`, `^abc$`, ""},
		{"leading group", `(a|b)/c`, `(a|b)/c`, ""},
		{"extended modifier", `/a b/x`, "", "no equivalent"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := goExpr(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %q, %v, want an error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %q, %v, want %q", got, err, tc.want)
			}
		})
	}
}
