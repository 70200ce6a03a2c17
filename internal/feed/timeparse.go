package feed

import (
	"strconv"
	"strings"
	"time"
)

// feedTimeLayouts are the time forms list feeds write. Forms without a
// zone are UTC, which is what abuse.ch means by them.
var feedTimeLayouts = []string{
	"2006-01-02 15:04:05",
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04",
	"2006-01-02",
}

// parseFeedTime reads a time from a feed cell, or gives the zero time. Ten
// digits are read as seconds since 1970, as MISP writes timestamps.
func parseFeedTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	if len(s) == 10 && allDigits(s) {
		n, _ := strconv.ParseInt(s, 10, 64)
		return time.Unix(n, 0).UTC()
	}
	for _, layout := range feedTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
