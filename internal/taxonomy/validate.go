package taxonomy

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// The kinds of TagError.
var (
	ErrInvalidTag = errors.New("invalid tag")          // not a tag the enabled taxonomy defines
	ErrExclusive  = errors.New("exclusive tags clash") // two tags where the taxonomy allows one
)

// TagError says why a tag, or a set of tags, is refused. It wraps
// ErrInvalidTag or ErrExclusive.
type TagError struct {
	Tag    string
	Reason string
	Kind   error
}

func (e *TagError) Error() string { return fmt.Sprintf("tag %q: %s", e.Tag, e.Reason) }

// Unwrap returns the kind of refusal.
func (e *TagError) Unwrap() error { return e.Kind }

// Expansion is what a tag means in its taxonomy.
type Expansion struct {
	Taxonomy  *Taxonomy
	Predicate *Predicate
	Entry     *Entry // nil for a predicate without values
	Tag       string // the tag name as the taxonomy spells it
	Enabled   bool
}

// Expanded returns the long form of the tag, falling back to the
// predicate's when the value has none.
func (x Expansion) Expanded() string {
	if x.Entry != nil && x.Entry.Expanded != "" {
		return x.Entry.Expanded
	}
	return x.Predicate.Expanded
}

// Colour returns the colour the taxonomy gives the tag, or "".
func (x Expansion) Colour() string {
	if x.Entry != nil && x.Entry.Colour != "" {
		return x.Entry.Colour
	}
	return x.Predicate.Colour
}

// NumericalValue returns the tag's weight in the taxonomy, or nil.
func (x Expansion) NumericalValue() *int64 {
	if x.Entry != nil && x.Entry.NumericalValue != nil {
		return x.Entry.NumericalValue
	}
	return x.Predicate.NumericalValue
}

// Expand finds the taxonomy entry of a tag, enabled or not.
func (r *Registry) Expand(name string) (Expansion, bool) {
	mt, ok := ParseTag(name)
	if !ok {
		return Expansion{}, false
	}
	t := r.byNamespace(mt.Namespace)
	if t == nil {
		return Expansion{}, false
	}
	p := t.Predicate(mt.Predicate)
	if p == nil {
		return Expansion{}, false
	}
	x := Expansion{Taxonomy: t, Predicate: p, Enabled: r.Enabled(t)}
	switch {
	case len(p.Entries) == 0 && !mt.HasValue:
		x.Tag = FormatTag(t.Namespace, p.Value, "")
	case len(p.Entries) > 0 && mt.HasValue:
		if x.Entry = p.Entry(mt.Value); x.Entry == nil {
			return Expansion{}, false
		}
		x.Tag = FormatTag(t.Namespace, p.Value, x.Entry.Value)
	default:
		return Expansion{}, false
	}
	return x, true
}

// ValidateTag checks a tag about to be attached. A tag in the namespace of
// an enabled taxonomy must be one the taxonomy defines (compared without
// regard to case, as MISP compares tag names); anything else, free tags and
// tags of disabled or unknown taxonomies, passes. The error is a *TagError
// saying what the taxonomy offers instead.
func (r *Registry) ValidateTag(name string) error {
	mt, ok := ParseTag(name)
	if !ok {
		return nil
	}
	t := r.enabledTaxonomy(mt.Namespace)
	if t == nil {
		return nil
	}
	p := t.Predicate(mt.Predicate)
	switch {
	case p == nil:
		return invalid(name, fmt.Sprintf("%q is not a predicate of the taxonomy %s; it has %s",
			mt.Predicate, t.Namespace, listPredicates(t)))
	case len(p.Entries) == 0 && mt.HasValue:
		return invalid(name, fmt.Sprintf("the predicate %s:%s takes no value", t.Namespace, p.Value))
	case len(p.Entries) > 0 && !mt.HasValue:
		return invalid(name, fmt.Sprintf("the predicate %s:%s needs a value: %s",
			t.Namespace, p.Value, listValues(p)))
	case len(p.Entries) > 0 && p.Entry(mt.Value) == nil:
		return invalid(name, fmt.Sprintf("%q is not a value of %s:%s; it has %s",
			mt.Value, t.Namespace, p.Value, listValues(p)))
	}
	return nil
}

func invalid(tag, reason string) error {
	return &TagError{Tag: tag, Reason: reason, Kind: ErrInvalidTag}
}

// listPredicates and listValues name what a taxonomy offers, cut short for
// the long ones.
func listPredicates(t *Taxonomy) string {
	names := make([]string, 0, len(t.Predicates))
	for _, p := range t.Predicates {
		names = append(names, p.Value)
	}
	return joinShort(names)
}

func listValues(p *Predicate) string {
	names := make([]string, 0, len(p.Entries))
	for _, e := range p.Entries {
		names = append(names, `"`+e.Value+`"`)
	}
	return joinShort(names)
}

func joinShort(names []string) string {
	const most = 12
	if len(names) > most {
		return strings.Join(names[:most], ", ") + fmt.Sprintf(" and %d more", len(names)-most)
	}
	return strings.Join(names, ", ")
}

// CheckExclusive checks the tags of one event or attribute together: an
// exclusive enabled taxonomy allows one of its tags, an exclusive predicate
// one of its values. Unknown tags are ValidateTag's business and are
// ignored here. The error is a *TagError naming both clashing tags.
func (r *Registry) CheckExclusive(tags []string) error {
	seenNS := map[string]string{}   // lower namespace -> first tag
	seenPred := map[string]string{} // lower namespace:predicate -> first tag
	for _, name := range tags {
		x, ok := r.Expand(name)
		if !ok || !x.Enabled {
			continue
		}
		t, p := x.Taxonomy, x.Predicate
		nsKey := strings.ToLower(t.Namespace)
		predKey := nsKey + ":" + strings.ToLower(p.Value)
		if first, dup := seenNS[nsKey]; dup && t.Exclusive && !strings.EqualFold(first, x.Tag) {
			return &TagError{Tag: name, Kind: ErrExclusive, Reason: fmt.Sprintf(
				"the taxonomy %s is exclusive and %q is already attached", t.Namespace, first)}
		}
		if first, dup := seenPred[predKey]; dup && p.Exclusive && !strings.EqualFold(first, x.Tag) {
			return &TagError{Tag: name, Kind: ErrExclusive, Reason: fmt.Sprintf(
				"the predicate %s:%s is exclusive and %q is already attached", t.Namespace, p.Value, first)}
		}
		if _, dup := seenNS[nsKey]; !dup {
			seenNS[nsKey] = x.Tag
		}
		if _, dup := seenPred[predKey]; !dup {
			seenPred[predKey] = x.Tag
		}
	}
	return nil
}

// MissingRequired returns the namespaces of the required taxonomies none
// of whose tags is among tags, sorted; publishing waits until it is empty.
func (r *Registry) MissingRequired(tags []string) []string {
	have := map[string]bool{}
	for _, name := range tags {
		if mt, ok := ParseTag(name); ok {
			have[strings.ToLower(mt.Namespace)] = true
		}
	}
	var missing []string
	for _, t := range r.Taxonomies() {
		if r.Required(t) && !have[strings.ToLower(t.Namespace)] {
			missing = append(missing, t.Namespace)
		}
	}
	sort.Strings(missing)
	return missing
}

// EnabledTags lists the tags of every enabled taxonomy: the tags a tag
// picker offers.
func (r *Registry) EnabledTags() []TagEntry {
	var out []TagEntry
	for _, t := range r.Taxonomies() {
		if r.Enabled(t) {
			out = append(out, t.Tags()...)
		}
	}
	return out
}
