package feed

import (
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cairn-intel/cairn/internal/misp"
)

// Item is one indicator read from a feed, ready to become an attribute.
type Item struct {
	Line     int    // 1-based line of the source where the record starts
	Column   int    // 1-based CSV column the value came from; 0 for other formats
	Type     string // MISP attribute type
	Value    string // as normalised by misp.NormalizeValue; composite halves joined by "|"
	Category string // "" for the type's default category
	ToIDS    *bool  // nil for the type's default
	Comment  string
	Tags     []string

	FirstSeen time.Time // zero when the feed does not say
	LastSeen  time.Time // zero when the feed does not say

	SourceID string // the feed's own id of the record (URLhaus id, ThreatFox id), if any
	Rule     string // the classification rule that chose Type; "" when the type was configured
}

// Reject is a line, cell or record that yielded no indicator, and why.
type Reject struct {
	Line   int    // 1-based line where the record starts
	Field  string // "column 3", a JSON field name, or "" for a whole line
	Text   string // the offending text, cut to MaxRejectText bytes
	Reason string
}

// Stats counts what one parse saw. A caller reports them with the pull.
type Stats struct {
	Bytes    int64 // bytes read from the source
	Lines    int   // physical lines read
	Records  int   // data records: lines, CSV rows or JSON records holding data
	Items    int   // indicators emitted
	Rejects  int   // rejects reported
	Excluded int   // values dropped by the feed's exclude pattern
	Skipped  int   // blank lines, comment lines and header rows
}

// MaxRejectText is how much of an offending text a Reject keeps.
const MaxRejectText = 200

// reasonNotIndicator is the reason given for text no rule recognises.
const reasonNotIndicator = "not an indicator"

// clip cuts s to at most n bytes without splitting a UTF-8 sequence.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// sink counts what a parser hands on and forwards it to the callbacks.
type sink struct {
	emit   func(Item) error
	reject func(Reject)
	stats  Stats
}

func newSink(emit func(Item) error, reject func(Reject)) *sink {
	if reject == nil {
		reject = func(Reject) {}
	}
	return &sink{emit: emit, reject: reject}
}

func (s *sink) item(it Item) error {
	s.stats.Items++
	return s.emit(it)
}

func (s *sink) refuse(line int, field, text, reason string) {
	s.stats.Rejects++
	s.reject(Reject{Line: line, Field: field, Text: clip(text, MaxRejectText), Reason: reason})
}

// valueReason turns an error from misp.NormalizeValue into a Reject reason.
func valueReason(typ string, err error) string {
	var ve *misp.ValueError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	if ve.Value == "" && ve.Reason == "" {
		return "empty value"
	}
	if ve.Reason == "" {
		return ve.Error()
	}
	return typ + " value " + ve.Reason
}

// sentinels are the words feeds write for "no value".
var sentinels = map[string]bool{
	"": true, "none": true, "null": true, "n/a": true, "-": true,
}

// isSentinel reports whether s stands for a missing value.
func isSentinel(s string) bool {
	return sentinels[strings.ToLower(strings.TrimSpace(s))]
}

// normalize validates value as typ and joins composite halves with "|".
func normalize(typ, value string) (string, error) {
	v1, v2, err := misp.NormalizeValue(typ, value)
	if err != nil {
		return "", err
	}
	if strings.Contains(typ, "|") || typ == "malware-sample" {
		return v1 + "|" + v2, nil
	}
	return v1, nil
}
