package misp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

var errorsAs = errors.As

// seenLayouts are the textual forms accepted for first_seen and last_seen.
var seenLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999Z0700",
	"2006-01-02T15:04:05.999999",
	"2006-01-02 15:04:05.999999Z07:00",
	"2006-01-02 15:04:05.999999",
	"2006-01-02T15:04",
	"2006-01-02",
}

// ParseSeen reads a first_seen/last_seen value and returns microseconds since
// the epoch. ok is false for an empty value. Plain numbers of up to 11 digits
// are seconds, longer ones microseconds.
func ParseSeen(s string) (micros int64, ok bool, err error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "null" {
		return 0, false, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if len(strings.TrimLeft(s, "-")) <= 11 {
			return n * 1e6, true, nil
		}
		return n, true, nil
	}
	for _, layout := range seenLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMicro(), true, nil
		}
	}
	return 0, false, fmt.Errorf("%q is not an ISO-8601 date and time", s)
}

// FormatSeen writes microseconds as MISP does: ISO-8601 with microseconds and
// a numeric UTC offset.
func FormatSeen(micros int64) string {
	return time.UnixMicro(micros).UTC().Format("2006-01-02T15:04:05.000000-07:00")
}
