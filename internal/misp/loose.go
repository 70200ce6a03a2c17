// Package misp holds the MISP core format: the attribute type table, the rules
// that validate and normalise values, and the tolerant JSON scalars that let
// Cairn read what real MISP instances and clients send.
package misp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Int is an integer that MISP writes as a JSON string of digits. It reads a
// number, a numeric string (fractions are truncated, so "1557841985.827633"
// reads as 1557841985), an empty string or null (both zero).
type Int int64

// UnmarshalJSON accepts the loose forms described on Int.
func (n *Int) UnmarshalJSON(b []byte) error {
	s, err := looseScalar(b)
	if err != nil {
		return wrongForm(err)
	}
	v, err := ParseLooseInt(s)
	if err != nil {
		return wrongForm(err)
	}
	*n = Int(v)
	return nil
}

// MarshalJSON writes the integer as a JSON string, as MISP does.
func (n Int) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatInt(int64(n), 10) + `"`), nil
}

// ParseLooseInt reads an integer from the text forms MISP clients send:
// digits, a decimal fraction (truncated), "true"/"false", or "" for zero.
func ParseLooseInt(s string) (int64, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "null":
		return 0, nil
	case "true":
		return 1, nil
	case "false":
		return 0, nil
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return int64(f), nil
}

// Bool is a boolean that MISP clients send as true/false, 0/1, "0"/"1",
// "true"/"false", "" or null. It is written as a JSON boolean.
type Bool bool

// UnmarshalJSON accepts the loose forms described on Bool.
func (b *Bool) UnmarshalJSON(data []byte) error {
	s, err := looseScalar(data)
	if err != nil {
		return wrongForm(err)
	}
	v, err := ParseLooseBool(s)
	if err != nil {
		return wrongForm(err)
	}
	*b = Bool(v)
	return nil
}

// ParseLooseBool reads a boolean from the text forms MISP clients send.
func ParseLooseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off", "", "null":
		return false, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f != 0, nil
	}
	return false, fmt.Errorf("%q is not a boolean", s)
}

// String is text that some clients send as a number or null.
type String string

// UnmarshalJSON accepts a string, a number, a boolean or null. It refuses
// text holding a NUL character or invalid UTF-8 (see text.go).
func (s *String) UnmarshalJSON(b []byte) error {
	v, err := looseScalar(b)
	if err != nil {
		return wrongForm(err)
	}
	if err := checkText(b, v); err != nil {
		return err
	}
	*s = String(v)
	return nil
}

// looseScalar returns the text of a JSON string, number, boolean or null.
func looseScalar(b []byte) (string, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return "", nil
	}
	switch b[0] {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return "", err
		}
		return s, nil
	case '{', '[':
		return "", fmt.Errorf("expected a scalar, got %s", kindOf(b[0]))
	}
	return string(b), nil
}

func kindOf(c byte) string {
	if c == '{' {
		return "an object"
	}
	return "a list"
}
