package fetch

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/feed"
)

func TestPresetSettingsRoundTrip(t *testing.T) {
	for _, p := range feed.Presets() {
		t.Run(p.Name, func(t *testing.T) {
			in := Settings{Parse: p.Settings, DisableCorrelation: p.DisableCorrelation}
			if in.Parse.Format == feed.FormatCSV && in.Parse.CSV.Delimiter == 0 {
				in.Parse.CSV.Delimiter = ',' // what 0 means
			}
			got, err := DecodeSettings(string(p.Settings.Format), EncodeSettings(in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, in) {
				t.Errorf("got %+v, want %+v", got, in)
			}
		})
	}
}

func TestDecodeMISPSettings(t *testing.T) {
	tests := []struct {
		name, format, raw string
		want              feed.CSVOptions
		wantErr           bool
	}{
		{name: "MISP's shape", format: "csv",
			raw:  `{"csv": {"value": "1,3", "delimiter": "\\t"}, "common": {"excluderegex": "/^10\\./i"}}`,
			want: feed.CSVOptions{Columns: []int{1, 3}, Delimiter: '\t', Exclude: `/^10\./i`}},
		{name: "value as a number", format: "csv", raw: `{"csv": {"value": 2, "delimiter": ";"}}`,
			want: feed.CSVOptions{Columns: []int{2}, Delimiter: ';'}},
		{name: "value as a list, types by column", format: "csv",
			raw:  `{"csv": {"value": ["2"], "types": {"2": "sha1"}, "header": "1"}}`,
			want: feed.CSVOptions{Columns: []int{2}, Delimiter: ',', Types: map[int]string{2: "sha1"}, Header: true}},
		{name: "empty", format: "csv", raw: ``, want: feed.CSVOptions{}},
		{name: "unknown type", format: "csv", raw: `{"csv": {"types": {"1": "no-such"}}}`, wantErr: true},
		{name: "bad exclude", format: "csv", raw: `{"common": {"excluderegex": "/(/"}}`, wantErr: true},
		{name: "json without mapping", format: "json", raw: `{}`, wantErr: true},
		{name: "not json", format: "csv", raw: `{csv`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeSettings(tt.format, tt.raw)
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
			if err == nil && !reflect.DeepEqual(got.Parse.CSV, tt.want) {
				t.Errorf("got %+v, want %+v", got.Parse.CSV, tt.want)
			}
		})
	}
}

func TestWarninglistSetting(t *testing.T) {
	tests := []struct {
		name, format, raw string
		want              WarninglistMode
		wantEncoded       string // in EncodeSettings of the result; "" when left out
		wantErr           bool
	}{
		{"absent is the default", "freetext", `{}`, "", "", false},
		{"skip", "csv", `{"csv": {"value": "1"}, "warninglist": "skip"}`, WarninglistSkip, `"warninglist":"skip"`, false},
		{"any case", "misp", `{"warninglist": "OFF"}`, WarninglistOff, `"warninglist":"off"`, false},
		{"the default spelled out", "freetext", `{"warninglist": "flag"}`, WarninglistFlag, "", false},
		{"unknown", "freetext", `{"warninglist": "drop"}`, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeSettings(tt.format, tt.raw)
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			enc := EncodeSettings(got)
			if got.Warninglist != tt.want || strings.Contains(enc, "warninglist") != (tt.wantEncoded != "") ||
				!strings.Contains(enc, tt.wantEncoded) {
				t.Errorf("got %q encoded as %s, want %q with %q", got.Warninglist, enc, tt.want, tt.wantEncoded)
			}
		})
	}
}

func TestSchedule(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		text string
	}{
		{"1h", time.Hour, "1h"}, {"6h", 6 * time.Hour, "6h"}, {"24h", 24 * time.Hour, "1d"},
		{"1d", 24 * time.Hour, "1d"}, {"90m", 90 * time.Minute, "90m"}, {"3600", time.Hour, "1h"},
	}
	for _, tt := range tests {
		got, err := ParseSchedule(tt.in)
		if err != nil || got != tt.want || FormatSchedule(got) != tt.text {
			t.Errorf("%q: got %s (%v) shown as %q, want %s shown as %q", tt.in, got, err, FormatSchedule(got), tt.want, tt.text)
		}
	}
	if _, err := ParseSchedule("often"); err == nil {
		t.Error(`"often": got no error`)
	}
}
