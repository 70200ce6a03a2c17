package search

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// TimeRange is an inclusive range of Unix seconds; 0 means unbounded on that
// side. Invalid is set when the input could not be understood: such a filter
// matches nothing, which is MISP's rule.
type TimeRange struct {
	From, To int64
	Invalid  bool
}

// maxDelta caps relative values (about 35,000 years) so that "99999999999w"
// cannot overflow; a delta that large already reaches before any data.
const maxDelta = 1 << 40

// deltaUnits are the suffixes of relative time values, in seconds.
var deltaUnits = map[byte]int64{'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 7 * 86400}

// timeLayouts are the date and time forms a time filter accepts. A form
// without a zone is read as UTC; fractional seconds are accepted after the
// seconds field by every layout that has one.
var timeLayouts = []string{
	time.RFC3339,
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	time.DateOnly,
}

// ParseTime reads a time filter. A single value is epoch seconds (a number or
// a numeric string; fractions are truncated), a relative "Nd", "Nh", "Nm",
// "Ns" or "Nw" (now minus N days, hours, minutes, seconds or weeks), or a date
// or date-time string. It means "at or after the value", or "at or before" when
// singleIsUpper is set (MISP's rule for last_seen). A two-element list is a
// range in either order; a 0, "" or null bound leaves the lower side open. A
// value that cannot be understood gives TimeRange{Invalid: true}; only an
// object, a nested list or a list of more than two values is an error.
func ParseTime(raw json.RawMessage, now time.Time, singleIsUpper bool) (TimeRange, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		return parseTimeList(raw, now, singleIsUpper)
	}

	v, ok, err := timeBound(raw, now)
	if err != nil {
		return TimeRange{}, err
	}
	return single(v, ok, singleIsUpper), nil
}

// parseTimeList reads the list form of a time filter.
func parseTimeList(raw json.RawMessage, now time.Time, singleIsUpper bool) (TimeRange, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return TimeRange{}, err
	}
	if len(items) > 2 {
		return TimeRange{}, fmt.Errorf("a time range takes two values, got %d", len(items))
	}

	var bounds [2]int64
	for i, item := range items {
		v, ok, err := timeBound(item, now)
		if err != nil {
			return TimeRange{}, fmt.Errorf("entry %d: %w", i, err)
		}
		if !ok {
			return TimeRange{Invalid: true}, nil
		}
		bounds[i] = v
	}

	if len(items) == 1 {
		return single(bounds[0], true, singleIsUpper), nil
	}
	return orderedRange(bounds[0], bounds[1]), nil
}

// single turns one bound into a range open on the other side.
func single(v int64, ok, singleIsUpper bool) TimeRange {
	switch {
	case !ok:
		return TimeRange{Invalid: true}
	case singleIsUpper:
		return TimeRange{To: v}
	}
	return TimeRange{From: v}
}

// orderedRange builds a range from two bounds given in either order. A zero
// bound is always the open lower side, so [0, x] and [x, 0] both mean "<= x".
func orderedRange(a, b int64) TimeRange {
	switch {
	case a == 0:
		return TimeRange{To: b}
	case b == 0:
		return TimeRange{To: a}
	case a > b:
		return TimeRange{From: b, To: a}
	}
	return TimeRange{From: a, To: b}
}

// timeBound reads one JSON scalar of a time filter. ok is false when the value
// cannot be understood; an empty value is the open bound 0.
func timeBound(raw json.RawMessage, now time.Time) (v int64, ok bool, err error) {
	raw = bytes.TrimSpace(raw)
	if bytes.Equal(raw, []byte("true")) || bytes.Equal(raw, []byte("false")) {
		return 0, false, nil
	}
	s, err := scalarText(raw)
	if err != nil {
		return 0, false, err
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, true, nil
	}
	v, ok = parseInstant(s, now)
	return v, ok, nil
}

// parseInstant reads epoch seconds, a relative delta or a date/time string.
func parseInstant(s string, now time.Time) (int64, bool) {
	if v, ok := parseEpoch(s); ok {
		return v, true
	}
	if d, ok := parseDelta(s); ok {
		return now.Unix() - d, true
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Unix(), true
		}
	}
	return 0, false
}

// parseEpoch reads whole or fractional epoch seconds, truncating a fraction.
func parseEpoch(s string) (int64, bool) {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// parseDelta reads "N" followed by a unit letter and returns N units in
// seconds, capped at maxDelta.
func parseDelta(s string) (int64, bool) {
	if len(s) < 2 {
		return 0, false
	}
	unit, ok := deltaUnits[s[len(s)-1]]
	digits := s[:len(s)-1]
	if !ok || strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}

	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > maxDelta/unit {
		return maxDelta, true
	}
	return n * unit, true
}

// parseDate reads an Event.date bound for from, to, datefrom and dateuntil:
// "YYYY-MM-DD" is kept as given, and any other time-filter value (epoch,
// relative or date-time) becomes its UTC calendar date. A value of 0 is no
// bound and gives "".
func parseDate(s string, now time.Time) (string, error) {
	s = strings.TrimSpace(s)
	if _, err := time.Parse(time.DateOnly, s); err == nil {
		return s, nil
	}

	v, ok := parseInstant(s, now)
	if !ok {
		return "", fmt.Errorf("%.40q is not a date", s)
	}
	if v == 0 {
		return "", nil
	}
	return time.Unix(v, 0).UTC().Format(time.DateOnly), nil
}
