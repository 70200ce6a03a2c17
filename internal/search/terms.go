package search

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Terms is one list-capable filter after MISP's syntax is unfolded. Values
// keep MISP's "%" wildcards; the query builder decides what they mean. MISP
// gives AND a meaning only for tags and event ids.
type Terms struct {
	OR, AND, NOT []string
}

// Empty reports whether the filter holds no value at all.
func (t Terms) Empty() bool {
	return len(t.OR) == 0 && len(t.AND) == 0 && len(t.NOT) == 0
}

// ParseTerms reads a list-capable filter from its JSON value: a string (with
// the shorthands of ParseTermsString), a number (its decimal text), a list
// whose "!"-prefixed entries are negated, or an object whose OR, AND and NOT
// keys (in any letter case) each hold a string or a list. Entries under an
// explicit key are taken literally. Null, "", [] and {} give empty Terms, and
// empty entries are dropped. Nested lists and other object keys are an error.
func ParseTerms(raw json.RawMessage) (Terms, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return Terms{}, nil
	}

	switch raw[0] {
	case '{':
		return parseTermsObject(raw)
	case '[':
		values, err := scalarList(raw)
		if err != nil {
			return Terms{}, err
		}
		var t Terms
		for _, v := range values {
			t.add(v)
		}
		return t, nil
	}

	s, err := scalarText(raw)
	if err != nil {
		return Terms{}, err
	}
	return ParseTermsString(s), nil
}

// ParseTermsString reads a list-capable filter given as text, the way named
// URL parameters and plain JSON strings carry it: "&&" separates entries and a
// leading "!" negates one, so "a&&b&&!c" is OR a, b and NOT c. A "|" is part
// of the value here; only events/index treats it as a separator.
func ParseTermsString(s string) Terms {
	var t Terms
	for _, part := range strings.Split(s, "&&") {
		t.add(part)
	}
	return t
}

// add files one list entry under OR, or under NOT without its "!".
func (t *Terms) add(v string) {
	if rest, ok := strings.CutPrefix(v, "!"); ok {
		if rest != "" {
			t.NOT = append(t.NOT, rest)
		}
		return
	}
	if v != "" {
		t.OR = append(t.OR, v)
	}
}

// parseTermsObject reads the explicit {"OR": ..., "AND": ..., "NOT": ...} form.
// Keys are visited in sorted order so that "or" and "OR" merge the same way on
// every run.
func parseTermsObject(raw json.RawMessage) (Terms, error) {
	var parts map[string]json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil {
		return Terms{}, err
	}

	var t Terms
	for _, key := range slices.Sorted(maps.Keys(parts)) {
		var dst *[]string
		switch strings.ToUpper(key) {
		case "OR":
			dst = &t.OR
		case "AND":
			dst = &t.AND
		case "NOT":
			dst = &t.NOT
		default:
			return Terms{}, fmt.Errorf("unknown operator %q (want OR, AND or NOT)", key)
		}
		values, err := termsPart(parts[key])
		if err != nil {
			return Terms{}, fmt.Errorf("%s: %w", key, err)
		}
		*dst = append(*dst, values...)
	}
	return t, nil
}

// termsPart reads the value under one explicit operator: a scalar or a list of
// scalars, without the "!" and "&&" shorthands.
func termsPart(raw json.RawMessage) ([]string, error) {
	values, err := scalarOrList(raw)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(values, func(v string) bool { return v == "" }), nil
}

// scalarOrList reads a JSON scalar as a one-entry list, or a list of scalars.
func scalarOrList(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		return scalarList(raw)
	}
	s, err := scalarText(raw)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

// scalarList reads a JSON list of scalars as text.
func scalarList(raw json.RawMessage) ([]string, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, err
	}
	values := make([]string, 0, len(items))
	for i, item := range items {
		s, err := scalarText(item)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		values = append(values, s)
	}
	return values, nil
}

// scalarText returns the text of a JSON scalar: a string as it is, a number in
// decimal notation, true and false as "1" and "0" (PHP's reading of a flag),
// and null as "".
func scalarText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", nil
	}

	switch raw[0] {
	case '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case '[':
		return "", errors.New("expected a single value, got a list")
	case '{':
		return "", errors.New("expected a single value, got an object")
	}

	switch string(raw) {
	case "null":
		return "", nil
	case "true":
		return "1", nil
	case "false":
		return "0", nil
	}
	return numberText(raw)
}

// numberText writes a JSON number in plain decimal notation, so that 1e3 and
// 1000.0 both read as "1000". Integers are kept digit for digit, even past the
// range of int64.
func numberText(raw json.RawMessage) (string, error) {
	if !json.Valid(raw) {
		return "", fmt.Errorf("%.40q is not valid JSON", raw)
	}
	if !bytes.ContainsAny(raw, ".eE") {
		return string(raw), nil
	}

	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(f, 0) {
		return "", fmt.Errorf("%.40q is out of range", raw)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return strconv.FormatInt(int64(f), 10), nil
	}
	return strconv.FormatFloat(f, 'f', -1, 64), nil
}
