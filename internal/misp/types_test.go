package misp

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// TestEmbeddedTableMatchesShared guards against the embedded copy drifting
// from the reference data file when both are present.
func TestEmbeddedTableMatchesShared(t *testing.T) {
	shared, err := os.ReadFile("../../../shared/reference/data/describeTypes.json")
	if err != nil {
		t.Skipf("shared reference not available: %v", err)
	}
	if !bytes.Equal(shared, describeTypesFile) {
		t.Errorf("internal/misp/describeTypes.json differs from the shared reference copy")
	}
}

func TestEveryTypeHasAllowedDefaultCategory(t *testing.T) {
	var file struct {
		Result struct {
			Types []string `json:"types"`
		} `json:"result"`
	}
	if err := json.Unmarshal(describeTypesFile, &file); err != nil {
		t.Fatal(err)
	}
	if got := len(file.Result.Types); got != 194 {
		t.Errorf("got %d types in the file, want 194", got)
	}
	for _, name := range file.Result.Types {
		info, ok := LookupType(name)
		if !ok {
			t.Errorf("LookupType(%q): got no entry, want one", name)
			continue
		}
		if info.Name != name {
			t.Errorf("LookupType(%q).Name: got %q", name, info.Name)
		}
		if !IsCategory(info.DefaultCategory) {
			t.Errorf("%s: default category %q is not a category", name, info.DefaultCategory)
		}
		if !CategoryAllows(info.DefaultCategory, name) {
			t.Errorf("%s: category %q does not allow its own default type", name, info.DefaultCategory)
		}
	}
}

func TestLookupType(t *testing.T) {
	tests := []struct {
		name string
		want TypeInfo
	}{
		{"md5", TypeInfo{Name: "md5", DefaultCategory: "Payload delivery", ToIDS: true, Correlates: true}},
		{"ip-dst|port", TypeInfo{Name: "ip-dst|port", DefaultCategory: "Network activity", ToIDS: true, Composite: true, Correlates: true}},
		{"malware-sample", TypeInfo{Name: "malware-sample", DefaultCategory: "Payload delivery", ToIDS: true, Composite: true, Correlates: true}},
		{"port", TypeInfo{Name: "port", DefaultCategory: "Network activity"}},
		{"comment", TypeInfo{Name: "comment", DefaultCategory: "Other"}},
		{"AS", TypeInfo{Name: "AS", DefaultCategory: "Network activity", Correlates: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := LookupType(tt.name)
			if !ok || got != tt.want {
				t.Errorf("got %+v, %v, want %+v, true", got, ok, tt.want)
			}
		})
	}
	for _, name := range []string{"ip", "as", "MD5", ""} {
		if _, ok := LookupType(name); ok {
			t.Errorf("LookupType(%q): got an entry, want none", name)
		}
	}
}

func TestCompositeAndCorrelatingCounts(t *testing.T) {
	var composite, silent []string
	for _, name := range TypeNames() {
		info, _ := LookupType(name)
		if info.Composite {
			composite = append(composite, name)
		}
		if !info.Correlates {
			silent = append(silent, name)
		}
	}
	if len(composite) != 25 {
		t.Errorf("got %d composite types %v, want 25", len(composite), composite)
	}
	if len(silent) != len(nonCorrelating) {
		t.Errorf("got %d non-correlating types %v, want %d", len(silent), silent, len(nonCorrelating))
	}
}

func TestTypeNamesSorted(t *testing.T) {
	names := TypeNames()
	if !slices.IsSorted(names) {
		t.Errorf("got unsorted names")
	}
	names[0] = "changed"
	if TypeNames()[0] == "changed" {
		t.Errorf("got the table's own slice, want a copy")
	}
}

func TestCategories(t *testing.T) {
	got := Categories()
	if len(got) != 16 || got[0] != "Internal reference" || got[15] != "Other" {
		t.Errorf("got %v, want 16 categories from Internal reference to Other", got)
	}
	for _, c := range got {
		if !IsCategory(c) {
			t.Errorf("IsCategory(%q): got false, want true", c)
		}
	}
	if IsCategory("Network Activity") {
		t.Errorf("IsCategory is case-insensitive, want exact")
	}
}

func TestCategoryAllows(t *testing.T) {
	tests := []struct {
		category, typ string
		want          bool
	}{
		{"Network activity", "ip-dst", true},
		{"Internal reference", "link", true},
		{"Internal reference", "ip-dst", false},
		{"Person", "email", true},
		{"Targeting data", "md5", false},
		{"No such category", "md5", false},
	}
	for _, tt := range tests {
		if got := CategoryAllows(tt.category, tt.typ); got != tt.want {
			t.Errorf("CategoryAllows(%q, %q): got %v, want %v", tt.category, tt.typ, got, tt.want)
		}
	}
}

func TestDescribeTypes(t *testing.T) {
	got := DescribeTypes()
	if !bytes.Contains(describeTypesFile, got) {
		t.Errorf("got bytes that are not a verbatim part of the embedded file")
	}
	var wrapped map[string]json.RawMessage
	if err := json.Unmarshal(append(append([]byte(`{"result":`), got...), '}'), &wrapped); err != nil {
		t.Fatalf("got JSON that does not wrap as a result: %v", err)
	}
	var inner map[string]json.RawMessage
	if err := json.Unmarshal(got, &inner); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"sane_defaults", "types", "categories", "category_type_mappings"} {
		if _, ok := inner[key]; !ok {
			t.Errorf("got no %q key", key)
		}
	}
}
