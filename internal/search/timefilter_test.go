package search

import (
	"encoding/json"
	"testing"
	"time"
)

// testNow is the fixed clock of every test: 2024-03-15 12:00:00 UTC.
var testNow = time.Date(2024, 3, 15, 12, 0, 0, 0, time.UTC)

func unix(year int, month time.Month, day, hour, minute, sec int) int64 {
	return time.Date(year, month, day, hour, minute, sec, 0, time.UTC).Unix()
}

func TestParseTime(t *testing.T) {
	now := testNow.Unix()
	tests := []struct {
		name  string
		raw   string
		upper bool
		want  TimeRange
	}{
		{"absent", ``, false, TimeRange{}},
		{"null", `null`, false, TimeRange{}},
		{"epoch number", `1700000000`, false, TimeRange{From: 1700000000}},
		{"epoch string", `"1700000000"`, false, TimeRange{From: 1700000000}},
		{"fraction truncated", `1700000000.9`, false, TimeRange{From: 1700000000}},
		{"fraction in string", `"1557841985.827633"`, false, TimeRange{From: 1557841985}},
		{"one day", `"1d"`, false, TimeRange{From: now - 86400}},
		{"hours", `"2h"`, false, TimeRange{From: now - 7200}},
		{"minutes", `"30m"`, false, TimeRange{From: now - 1800}},
		{"seconds", `"45s"`, false, TimeRange{From: now - 45}},
		{"weeks", `"2w"`, false, TimeRange{From: now - 14*86400}},
		{"huge delta capped", `"99999999999999w"`, false, TimeRange{From: now - maxDelta}},
		{"date", `"2024-01-02"`, false, TimeRange{From: unix(2024, 1, 2, 0, 0, 0)}},
		{"date and time", `"2024-01-02 03:04:05"`, false, TimeRange{From: unix(2024, 1, 2, 3, 4, 5)}},
		{"RFC 3339", `"2024-01-02T03:04:05+02:00"`, false, TimeRange{From: unix(2024, 1, 2, 1, 4, 5)}},
		{"RFC 3339 UTC with fraction", `"2024-01-02T03:04:05.5Z"`, false,
			TimeRange{From: unix(2024, 1, 2, 3, 4, 5)}},
		{"single upper", `"1d"`, true, TimeRange{To: now - 86400}},
		{"range in order", `[1700000000, 1700000500]`, false, TimeRange{From: 1700000000, To: 1700000500}},
		{"range reversed", `[1700000500, 1700000000]`, false, TimeRange{From: 1700000000, To: 1700000500}},
		{"relative range reversed", `["7d", "14d"]`, false, TimeRange{From: now - 14*86400, To: now - 7*86400}},
		{"range ignores upper flag", `["14d", "7d"]`, true, TimeRange{From: now - 14*86400, To: now - 7*86400}},
		{"open lower bound", `[0, 1700000000]`, false, TimeRange{To: 1700000000}},
		{"open lower bound last", `[1700000000, 0]`, false, TimeRange{To: 1700000000}},
		{"empty bound", `["", "1d"]`, false, TimeRange{To: now - 86400}},
		{"mixed forms", `["2024-01-01", "1d"]`, false, TimeRange{From: unix(2024, 1, 1, 0, 0, 0), To: now - 86400}},
		{"one-element list", `[1700000000]`, false, TimeRange{From: 1700000000}},
		{"empty list", `[]`, false, TimeRange{}},
		{"zero", `0`, false, TimeRange{}},
		{"unparseable", `"yesterday"`, false, TimeRange{Invalid: true}},
		{"unit in capitals", `"1D"`, false, TimeRange{Invalid: true}},
		{"negative delta", `"-1d"`, false, TimeRange{Invalid: true}},
		{"unparseable bound", `["1d", "nope"]`, false, TimeRange{Invalid: true}},
		{"boolean", `true`, false, TimeRange{Invalid: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTime(json.RawMessage(tt.raw), testNow, tt.upper)
			if err != nil {
				t.Fatalf("ParseTime(%s): got error %v, want none", tt.raw, err)
			}
			if got != tt.want {
				t.Errorf("ParseTime(%s, upper=%v): got %+v, want %+v", tt.raw, tt.upper, got, tt.want)
			}
		})
	}
}

func TestParseTimeErrors(t *testing.T) {
	tests := []struct {
		name string
		raw  string
	}{
		{"object", `{"from": 1}`},
		{"three values", `[1, 2, 3]`},
		{"nested list", `[[1], 2]`},
		{"object in list", `[1, {}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTime(json.RawMessage(tt.raw), testNow, false)
			if err == nil {
				t.Errorf("ParseTime(%s): got %+v and no error, want an error", tt.raw, got)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr bool
	}{
		{"date kept", "2024-01-02", "2024-01-02", false},
		{"epoch at midnight", "1704153600", "2024-01-02", false},
		{"epoch a second before", "1704153599", "2024-01-01", false},
		{"relative", "1d", "2024-03-14", false},
		{"date and time", "2024-01-02 23:59:59", "2024-01-02", false},
		{"offset moves the UTC date", "2024-01-02T23:00:00-05:00", "2024-01-03", false},
		{"zero is no bound", "0", "", false},
		{"not a date", "soon", "", true},
		{"negated", "!2024-01-02", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDate(tt.in, testNow)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseDate(%q): got error %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parseDate(%q): got %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
