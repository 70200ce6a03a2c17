package gen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// WriteFeed writes the events as a MISP feed directory: one {uuid}.json per
// event, then manifest.json, last, as feed producers do so that a reader of
// the manifest finds every file it lists. The directory is created if
// needed.
func (g *Generator) WriteFeed(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	manifest := make(map[string]manifestEntry, g.cfg.Events)
	for i := range g.cfg.Events {
		ev := g.wire(i)
		if err := writeJSON(filepath.Join(dir, ev.UUID+".json"), map[string]wireEvent{"Event": ev}); err != nil {
			return err
		}
		manifest[ev.UUID] = manifestEntry{Orgc: ev.Orgc, Tag: ev.Tag, Info: ev.Info, Date: ev.Date,
			Analysis: ev.Analysis, ThreatLevelID: ev.ThreatLevelID, Timestamp: ev.Timestamp}
	}
	return writeJSON(filepath.Join(dir, "manifest.json"), manifest)
}

func writeJSON(path string, v any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 256<<10)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
