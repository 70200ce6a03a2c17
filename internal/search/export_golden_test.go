package search

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of the export tests")

// TestExportGolden compares the rule and zone formats with the files under
// testdata; go test -run ExportGolden -update rewrites them after a change
// that is meant.
func TestExportGolden(t *testing.T) {
	f := newExportFixture(t)
	tests := []struct {
		file  string
		scope Scope
		body  string
	}{
		{"suricata.golden", ScopeAttributes, `{"returnFormat":"suricata","order":"id"}`},
		{"snort.golden", ScopeAttributes, `{"returnFormat":"snort","order":"id"}`},
		{"suricata-event.golden", ScopeEvents, `{"returnFormat":"suricata","eventinfo":"Repeats"}`},
		{"zeek.golden", ScopeAttributes, `{"returnFormat":"zeek","order":"id"}`},
		{"rpz.golden", ScopeAttributes, `{"returnFormat":"rpz"}`},
		{"rpz-local-data.golden", ScopeAttributes, `{"returnFormat":"rpz","policy":"Local-Data",
			"walled_garden":"192.0.2.254","serial":2026120401,"ns":"ns1.example.org","email":"hostmaster@example.org",
			"ttl":"300","refresh":"1h","retry":"10m","expiry":"7d","minimum_ttl":"60"}`},
		{"rpz-nodata.golden", ScopeEvents, `{"returnFormat":"rpz","policy":"nodata","eventinfo":"Repeats"}`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, got := f.export(t, f.viewer, tt.scope, tt.body)
			path := filepath.Join("testdata", tt.file)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run ExportGolden -update to create it)", err)
			}
			if !bytes.Equal([]byte(got), want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// TestRuleIDs checks that sids start at the user's base, step by ten per
// attribute id, and never repeat within an export.
func TestRuleIDs(t *testing.T) {
	f := newExportFixture(t)
	p, err := ParseRestSearch([]byte(`{"returnFormat":"suricata"}`), nil, nil, fixtureClock)
	if err != nil {
		t.Fatal(err)
	}
	x, err := PrepareExport(context.Background(), f.st, f.viewer, p, ExportOptions{SIDBase: 4000000}, ScopeAttributes)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if _, err := x.Run(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		_, rest, _ := strings.Cut(line, " sid:")
		sid, _, _ := strings.Cut(rest, ";")
		if n, err := strconv.Atoi(sid); err != nil || n < 4000000 || n >= DefaultSIDBase || seen[sid] {
			t.Errorf("got sid %q (repeated: %v), want a unique sid from 4000000", sid, seen[sid])
		}
		seen[sid] = true
	}
	if !seen["4000010"] {
		t.Errorf("got sids %v, want 4000010 for attribute 1", seen)
	}
}
