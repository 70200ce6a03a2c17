package feed

import (
	"errors"
	"testing"
)

func TestPresets(t *testing.T) {
	presets := Presets()
	if len(presets) != 11 {
		t.Fatalf("got %d presets, want 11", len(presets))
	}
	seen := map[string]bool{}
	for _, p := range presets {
		t.Run(p.Name, func(t *testing.T) {
			if seen[p.Name] {
				t.Errorf("got the name %q twice, want unique names", p.Name)
			}
			seen[p.Name] = true
			if p.Enabled {
				t.Error("got an enabled preset, want every preset disabled")
			}
			if p.URL == "" || p.Provider == "" {
				t.Errorf("got URL %q provider %q, want both", p.URL, p.Provider)
			}
			if p.DeltaMerge && !p.FixedEvent {
				t.Error("got delta merge without a fixed event, want a fixed event")
			}
			// Every list preset parses an empty body without a settings error.
			_, err := p.Settings.Parse(t.Context(), strReader(""), func(Item) error { return nil }, nil)
			switch {
			case p.Settings.Format == FormatMISP && !errors.Is(err, ErrEventFeed):
				t.Errorf("got %v, want ErrEventFeed for a MISP feed", err)
			case p.Settings.Format == FormatJSON && err == nil:
				t.Error("got no error for an empty JSON body, want one")
			case p.Settings.Format != FormatMISP && p.Settings.Format != FormatJSON && err != nil:
				t.Errorf("got %v, want valid settings", err)
			}
		})
	}
}

func TestPresetsAreCopies(t *testing.T) {
	a, _ := PresetByName("URLhaus")
	a.Settings.CSV.Types[3] = "domain"
	a.Tags[0] = "changed"
	b, _ := PresetByName("URLhaus")
	if b.Settings.CSV.Types[3] != "url" || b.Tags[0] == "changed" {
		t.Errorf("got %v and %v after changing another copy, want the preset unchanged",
			b.Settings.CSV.Types, b.Tags)
	}
	if _, ok := PresetByName("no such feed"); ok {
		t.Error("got a preset for an unknown name, want none")
	}
}

func TestSettingsUnknownFormat(t *testing.T) {
	_, err := Settings{Format: "xml"}.Parse(t.Context(), strReader(""), nil, nil)
	if err == nil {
		t.Error("got no error for an unknown format, want one")
	}
}
