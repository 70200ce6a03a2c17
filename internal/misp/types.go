package misp

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// describeTypesFile is MISP's attribute type table as served by
// GET /attributes/describeTypes, kept byte for byte so the endpoint can hand
// it out unchanged.
//
//go:embed describeTypes.json
var describeTypesFile []byte

// TypeInfo describes one attribute type.
type TypeInfo struct {
	Name            string
	DefaultCategory string
	ToIDS           bool // default to_ids from sane_defaults
	Composite       bool // name contains "|" or is malware-sample
	Correlates      bool // false for the non-correlating types listed in misp-format.md §8
}

// nonCorrelating lists the types MISP never correlates: their values are too
// common (ports, booleans, counters) to link events meaningfully.
var nonCorrelating = map[string]bool{
	"comment": true, "http-method": true, "aba-rtn": true, "gender": true,
	"counter": true, "integer": true, "float": true, "port": true,
	"nationality": true, "cortex": true, "boolean": true, "anonymised": true,
}

// typeTable is the parsed form of describeTypesFile.
type typeTable struct {
	result     json.RawMessage // the value under "result", verbatim
	types      map[string]TypeInfo
	names      []string // sorted
	categories []string // file order
	allowed    map[string]map[string]bool
}

// attrTypes is loaded once at start-up; the file is part of the binary, so a
// failure here is a build defect and panics.
var attrTypes = mustLoadTypeTable(describeTypesFile)

func mustLoadTypeTable(data []byte) *typeTable {
	t, err := loadTypeTable(data)
	if err != nil {
		panic("misp: embedded describeTypes.json: " + err.Error())
	}
	return t
}

func loadTypeTable(data []byte) (*typeTable, error) {
	var file struct {
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, err
	}
	var raw struct {
		SaneDefaults map[string]struct {
			DefaultCategory string `json:"default_category"`
			ToIDS           int    `json:"to_ids"`
		} `json:"sane_defaults"`
		Types                []string            `json:"types"`
		Categories           []string            `json:"categories"`
		CategoryTypeMappings map[string][]string `json:"category_type_mappings"`
	}
	if err := json.Unmarshal(file.Result, &raw); err != nil {
		return nil, err
	}

	t := &typeTable{
		result:     file.Result,
		types:      make(map[string]TypeInfo, len(raw.Types)),
		categories: raw.Categories,
		allowed:    make(map[string]map[string]bool, len(raw.CategoryTypeMappings)),
	}
	for _, name := range raw.Types {
		def, ok := raw.SaneDefaults[name]
		if !ok {
			return nil, fmt.Errorf("type %q has no sane_defaults entry", name)
		}
		t.types[name] = TypeInfo{
			Name:            name,
			DefaultCategory: def.DefaultCategory,
			ToIDS:           def.ToIDS != 0,
			Composite:       strings.Contains(name, "|") || name == "malware-sample",
			Correlates:      !nonCorrelating[name],
		}
		t.names = append(t.names, name)
	}
	slices.Sort(t.names)

	for category, typeNames := range raw.CategoryTypeMappings {
		set := make(map[string]bool, len(typeNames))
		for _, name := range typeNames {
			set[name] = true
		}
		t.allowed[category] = set
	}
	return t, nil
}

// LookupType returns the description of the named attribute type. Names are
// case-sensitive, as in MISP ("AS" is a type, "as" is not).
func LookupType(name string) (TypeInfo, bool) {
	info, ok := attrTypes.types[name]
	return info, ok
}

// TypeNames returns every attribute type name, sorted.
func TypeNames() []string {
	return slices.Clone(attrTypes.names)
}

// Categories returns the attribute categories in the order MISP lists them.
func Categories() []string {
	return slices.Clone(attrTypes.categories)
}

// IsCategory reports whether name is one of the attribute categories.
func IsCategory(name string) bool {
	_, ok := attrTypes.allowed[name]
	return ok
}

// CategoryAllows reports whether an attribute of type typ may be filed under
// category, according to MISP's category_type_mappings.
func CategoryAllows(category, typ string) bool {
	return attrTypes.allowed[category][typ]
}

// DescribeTypes returns the type table object exactly as stored in the
// embedded file (sane_defaults, types, categories, category_type_mappings).
// It is the value under "result": the describeTypes endpoint wraps it as
// {"result": <this>}. The caller owns the returned slice.
func DescribeTypes() []byte {
	return bytes.Clone(attrTypes.result)
}
