package ingest

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/cairn-intel/cairn/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files of the report tests")

// sampleReport has a rejection of each kind and more refused items in one
// event than the text form lists.
func sampleReport() *Report {
	rep := &Report{Files: 4, Rejected: []Rejection{}, Items: []ItemRejections{}}
	rep.add(store.SaveResult{UUID: "5a0d5bf4-99c8-4f15-9879-22b1950d210f", Outcome: store.OutcomeCreated,
		AttributesCreated: 116}, "events/to_delete2.json", "")
	rep.add(store.SaveResult{UUID: "57c4445b-c548-4654-af0b-4be3950d210f", Outcome: store.OutcomeSkipped},
		"feed/57c4445b-c548-4654-af0b-4be3950d210f.json", "")
	var items []store.Rejection
	for i := range textItemLimit + 2 {
		items = append(items, store.Rejection{Item: fmt.Sprintf("Attribute[%d]", i), Field: "value",
			Reason: `"x" is not a valid IP address for type ip-dst`})
	}
	rep.add(store.SaveResult{UUID: "6d1e7a3c-55a5-4d0e-9b0b-0f1c2d3e4f50", Outcome: store.OutcomeUpdated,
		AttributesCreated: 3, AttributesUpdated: 1, Rejected: items}, "list.json", "[2]")
	rep.Rejected = append(rep.Rejected,
		Rejection{File: "broken.json", Where: "line 3, column 17 (byte 43)", Reason: "invalid JSON: invalid character '}' looking for beginning of value"},
		Rejection{File: "list.json", Where: "[0]", EventUUID: "11111111-1111-4111-8111-111111111111", Reason: "Event could not be saved: info is required"})
	rep.Events.Rejected = len(rep.Rejected)
	return rep
}

func TestReportGolden(t *testing.T) {
	tests := []struct {
		name  string
		write func(*Report, *bytes.Buffer) error
	}{
		{"report.golden.md", func(r *Report, b *bytes.Buffer) error { return r.WriteText(b) }},
		{"report.golden.json", func(r *Report, b *bytes.Buffer) error { return r.WriteJSON(b) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got bytes.Buffer
			if err := tt.write(sampleReport(), &got); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tt.name)
			if *update {
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("got:\n%s\nwant:\n%s", got.Bytes(), want)
			}
		})
	}
}

func TestReportClean(t *testing.T) {
	tests := []struct {
		name string
		rep  Report
		want bool
	}{
		{"nothing refused", Report{Events: EventCounts{Created: 3, Skipped: 1}}, true},
		{"an event refused", Report{Rejected: []Rejection{{File: "a.json", Reason: "x"}}}, false},
		{"an item refused", Report{Items: []ItemRejections{{File: "a.json", Items: []store.Rejection{{}}}}}, false},
		{"stopped", Report{Stopped: "disk full"}, false},
	}
	for _, tt := range tests {
		if got := tt.rep.Clean(); got != tt.want {
			t.Errorf("%s: got Clean() = %v, want %v", tt.name, got, tt.want)
		}
	}
}
