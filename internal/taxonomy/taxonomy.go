// Package taxonomy reads classification vocabularies in MISP's taxonomy
// format (machinetag.json) and answers questions about machine tags such as
// tlp:amber or admiralty-scale:source-reliability="b": what a tag means,
// whether an enabled taxonomy allows it, and whether two tags on one event
// clash.
//
// A taxonomy has a namespace, predicates and, for some predicates, a list
// of values. Its tags are "namespace:predicate" for a predicate without
// values and `namespace:predicate="value"` otherwise. An exclusive taxonomy
// allows one of its tags per event or attribute; an exclusive predicate
// allows one value. MISP's published taxonomies load unchanged from a
// directory the administrator names; TLP 2.0, PAP, a threat level and the
// Admiralty scale are built in.
package taxonomy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/cairn-intel/cairn/internal/catalog"
)

// Taxonomy is one vocabulary.
type Taxonomy struct {
	ID          int64
	Namespace   string
	Description string
	Expanded    string
	Version     int
	Exclusive   bool
	Refs        []string
	Predicates  []*Predicate
	Builtin     bool   // written for Cairn rather than loaded from a directory
	Source      string // the file it was read from, or "builtin"
}

// Predicate is one predicate of a taxonomy, with its values if it has any.
type Predicate struct {
	Value          string
	Expanded       string
	Description    string
	Colour         string
	NumericalValue *int64
	Exclusive      bool
	// SynonymOf names the predicate this one is a legacy name for, as
	// tlp:white is for tlp:clear; "" for most.
	SynonymOf string
	Entries   []*Entry
}

// Entry is one value of a predicate.
type Entry struct {
	Value          string
	Expanded       string
	Description    string
	Colour         string
	NumericalValue *int64
}

// Predicate returns the predicate named p (case-insensitive), or nil.
func (t *Taxonomy) Predicate(p string) *Predicate {
	for _, pr := range t.Predicates {
		if strings.EqualFold(pr.Value, p) {
			return pr
		}
	}
	return nil
}

// Entry returns the value named v (case-insensitive), or nil.
func (p *Predicate) Entry(v string) *Entry {
	for _, e := range p.Entries {
		if strings.EqualFold(e.Value, v) {
			return e
		}
	}
	return nil
}

// TagEntry is one tag a taxonomy defines.
type TagEntry struct {
	Tag                string
	Expanded           string
	Description        string
	Colour             string
	NumericalValue     *int64
	ExclusivePredicate bool
}

// Tags lists every tag the taxonomy defines, in its order.
func (t *Taxonomy) Tags() []TagEntry {
	var out []TagEntry
	for _, p := range t.Predicates {
		if len(p.Entries) == 0 {
			out = append(out, TagEntry{Tag: FormatTag(t.Namespace, p.Value, ""), Expanded: p.Expanded,
				Description: p.Description, Colour: p.Colour, NumericalValue: p.NumericalValue,
				ExclusivePredicate: p.Exclusive})
			continue
		}
		for _, e := range p.Entries {
			out = append(out, TagEntry{Tag: FormatTag(t.Namespace, p.Value, e.Value), Expanded: e.Expanded,
				Description: e.Description, Colour: e.Colour, NumericalValue: e.NumericalValue,
				ExclusivePredicate: p.Exclusive})
		}
	}
	return out
}

// Problem is a file that could not be used, and why.
type Problem struct {
	Path   string
	Reason string
}

func (p Problem) String() string { return p.Path + ": " + p.Reason }

// The JSON of machinetag.json.
type (
	fileTaxonomy struct {
		Namespace   string          `json:"namespace"`
		Description string          `json:"description"`
		Expanded    string          `json:"expanded"`
		Version     json.RawMessage `json:"version"`
		Exclusive   bool            `json:"exclusive"`
		Refs        []string        `json:"refs"`
		Predicates  []fileItem      `json:"predicates"`
		Values      []fileValues    `json:"values"`
	}
	fileItem struct {
		Value          string      `json:"value"`
		Expanded       string      `json:"expanded"`
		Description    string      `json:"description"`
		Colour         string      `json:"colour"`
		NumericalValue json.Number `json:"numerical_value"`
		Exclusive      bool        `json:"exclusive"`
	}
	fileValues struct {
		Predicate string     `json:"predicate"`
		Entry     []fileItem `json:"entry"`
	}
)

// Parse reads one machinetag.json.
func Parse(data []byte, source string) (*Taxonomy, error) {
	var f fileTaxonomy
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(&f); err != nil {
		return nil, fmt.Errorf("not a taxonomy: %w", err)
	}
	t := &Taxonomy{Namespace: strings.TrimSpace(f.Namespace), Description: f.Description,
		Expanded: f.Expanded, Exclusive: f.Exclusive, Refs: f.Refs, Source: source, Version: 1}
	if t.Namespace == "" || strings.ContainsAny(t.Namespace, ":= \t") {
		return nil, fmt.Errorf("namespace %q is empty or holds ':', '=' or a space", f.Namespace)
	}
	if v := strings.Trim(string(bytes.TrimSpace(f.Version)), `"`); v != "" && v != "null" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("version %s is not a whole number", f.Version)
		}
		t.Version = n
	}
	for _, fp := range f.Predicates {
		if strings.TrimSpace(fp.Value) == "" {
			return nil, errors.New("a predicate has no value")
		}
		if t.Predicate(fp.Value) != nil {
			continue // defined twice: the first counts
		}
		p := &Predicate{Value: fp.Value, Expanded: fp.Expanded, Description: fp.Description,
			Colour: fp.Colour, Exclusive: fp.Exclusive, NumericalValue: number(fp.NumericalValue)}
		t.Predicates = append(t.Predicates, p)
	}
	for _, fv := range f.Values {
		p := t.Predicate(fv.Predicate)
		if p == nil {
			continue // values of an undeclared predicate define no tag, as in MISP
		}
		for _, fe := range fv.Entry {
			if strings.TrimSpace(fe.Value) == "" || p.Entry(fe.Value) != nil {
				continue // blank or repeated: MISP would create the tag once
			}
			p.Entries = append(p.Entries, &Entry{Value: fe.Value, Expanded: fe.Expanded,
				Description: fe.Description, Colour: fe.Colour, NumericalValue: number(fe.NumericalValue)})
		}
	}
	if len(t.Predicates) == 0 {
		return nil, errors.New("the taxonomy has no predicate")
	}
	return t, nil
}

func number(n json.Number) *int64 {
	if n == "" {
		return nil
	}
	if i, err := n.Int64(); err == nil {
		return &i
	}
	if f, err := n.Float64(); err == nil {
		i := int64(f)
		return &i
	}
	return nil
}

// Load reads every machinetag.json under dir (MISP's layout is one folder
// per taxonomy). Taxonomies come back sorted by namespace; a namespace seen
// twice (case-insensitively) keeps the first file in path order.
func Load(dir string) ([]*Taxonomy, []Problem, error) {
	paths, err := catalog.FindFiles(dir, "machinetag.json", "taxonomies")
	if err != nil {
		return nil, nil, err
	}

	var out []*Taxonomy
	var problems []Problem
	seen := map[string]string{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			problems = append(problems, Problem{Path: p, Reason: err.Error()})
			continue
		}
		t, err := Parse(data, p)
		if err != nil {
			problems = append(problems, Problem{Path: p, Reason: err.Error()})
			continue
		}
		key := strings.ToLower(t.Namespace)
		if first, dup := seen[key]; dup {
			problems = append(problems, Problem{Path: p, Reason: "namespace " + strconv.Quote(t.Namespace) +
				" was already read from " + first})
			continue
		}
		seen[key] = p
		out = append(out, t)
	}
	sort.SliceStable(out, func(i, j int) bool {
		return strings.ToLower(out[i].Namespace) < strings.ToLower(out[j].Namespace)
	})
	return out, problems, nil
}
