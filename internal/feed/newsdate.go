package feed

import (
	"strings"
	"time"
)

// newsDateLayouts are the date forms seen in security-news feeds, tried in
// order after a named zone has been turned into an offset. Forms without a
// zone are read as UTC.
var newsDateLayouts = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700", // RFC 1123 with numeric zone
	"Mon, 2 Jan 2006 15:04 -0700",
	"Mon, 2 Jan 2006 15:04:05 -07:00",
	"2 Jan 2006 15:04:05 -0700", // no weekday
	"2 Jan 2006 15:04 -0700",
	"Mon, 2 Jan 2006 15:04:05", // no zone
	"2 Jan 2006 15:04:05",
	"Jan 2, 2006 15:04:05-0700", // CrowdStrike
	"Jan 2, 2006 15:04:05 -0700",
	"Jan 2, 2006 15:04:05",
	"Mon, 2 January 2006 15:04:05 -0700",
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

// zoneOffsets are the zone names RSS dates use, as offsets from UTC.
// time.Parse would read an unknown name as UTC, hours off.
var zoneOffsets = map[string]string{
	"UT": "+0000", "UTC": "+0000", "GMT": "+0000", "Z": "+0000",
	"EST": "-0500", "EDT": "-0400", "CST": "-0600", "CDT": "-0500",
	"MST": "-0700", "MDT": "-0600", "PST": "-0800", "PDT": "-0700",
	"CET": "+0100", "CEST": "+0200", "BST": "+0100", "JST": "+0900",
}

// parseNewsDate reads a feed date in any of newsDateLayouts.
func parseNewsDate(s string) (time.Time, bool) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return time.Time{}, false
	}
	if off, ok := zoneOffsets[strings.ToUpper(fields[len(fields)-1])]; ok {
		fields[len(fields)-1] = off
	}
	s = strings.Join(fields, " ")
	for _, layout := range newsDateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
