package cli

import (
	"strings"
	"testing"
)

func TestMixedBenchShares(t *testing.T) {
	b := &mixedBench{writes: 0.1, values: []string{"198.51.100.1"}, events: []string{"7"}, scratch: []string{"40", "41"}}
	counts := map[string]int{}
	const draws = 20000
	for n := range draws {
		kind, _, path, _ := b.next(1, n)
		counts[kind]++
		if kind == "attributes/add" && path != "/attributes/add/41" {
			t.Fatalf("client 1 writes to %s, want its own scratch event 41", path)
		}
		if kind == "events/view" && !strings.HasSuffix(path, "/7") {
			t.Fatalf("got view path %s, want a sampled event", path)
		}
	}
	tests := []struct {
		kind     string
		min, max float64
	}{
		{"attributes/add", 0.08, 0.12},
		{"attributes/restSearch, 1 value", 0.27, 0.33},
		{"events/index, page of 100", 0.27, 0.33},
		{"events/view", 0.27, 0.33},
	}
	for _, tt := range tests {
		if got := float64(counts[tt.kind]) / draws; got < tt.min || got > tt.max {
			t.Errorf("%s: got share %.3f, want between %.2f and %.2f", tt.kind, got, tt.min, tt.max)
		}
	}
}
