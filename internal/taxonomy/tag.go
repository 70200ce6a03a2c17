package taxonomy

import (
	"strings"
)

// MachineTag is a tag name split into its parts.
type MachineTag struct {
	Namespace string
	Predicate string
	Value     string
	HasValue  bool
}

// ParseTag splits "namespace:predicate" or `namespace:predicate="value"`.
// The namespace ends at the first colon, so predicates may hold colons
// (tlp:ex:chr); the value may be quoted or bare. ok is false for a tag
// that is not a machine tag, such as "phishing" or ":x".
func ParseTag(name string) (mt MachineTag, ok bool) {
	ns, rest, found := strings.Cut(strings.TrimSpace(name), ":")
	if !found || ns == "" || rest == "" || strings.ContainsAny(ns, `= "`) {
		return mt, false
	}
	mt.Namespace = ns
	pred, value, hasValue := strings.Cut(rest, "=")
	if pred == "" {
		return MachineTag{}, false
	}
	mt.Predicate = pred
	if hasValue {
		if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			value = value[1 : len(value)-1]
		}
		mt.Value, mt.HasValue = value, true
	}
	return mt, true
}

// String formats the tag back into its name.
func (mt MachineTag) String() string {
	if !mt.HasValue {
		return FormatTag(mt.Namespace, mt.Predicate, "")
	}
	return mt.Namespace + ":" + mt.Predicate + `="` + mt.Value + `"`
}

// FormatTag returns the tag name of a predicate, or of one of its values
// when value is not "".
func FormatTag(namespace, predicate, value string) string {
	if value == "" {
		return namespace + ":" + predicate
	}
	return namespace + ":" + predicate + `="` + value + `"`
}
