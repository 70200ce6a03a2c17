package fetch

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/store"
)

// A MISP feed event holding text PostgreSQL cannot store is rejected with
// its field named, on both databases; the pull stores the other events.
func TestMISPFeedRefusesTextThatCannotBeStored(t *testing.T) {
	const (
		good     = "d0000001-0000-4000-8000-000000000001"
		nul      = "d0000001-0000-4000-8000-000000000002"
		badUTF8  = "d0000001-0000-4000-8000-000000000003"
		manifest = "d0000001-0000-4000-8000-000000000004"
	)
	event := func(id, info, comment string) string {
		return `{"Event": {"uuid": "` + id + `", "info": "` + info + `", "timestamp": "1700000000",
			"Orgc": {"name": "Source", "uuid": "d0000000-0000-4000-8000-000000000000"},
			"Attribute": [{"type": "domain", "value": "` + id[:8] + `.cairn-test.net", "comment": "` + comment + `"}]}}`
	}
	files := map[string]string{
		"manifest.json": `{"` + good + `": {"info": "good", "timestamp": "1700000000"},
			"` + nul + `": {"info": "nul", "timestamp": "1700000000"},
			"` + badUTF8 + `": {"info": "utf-8", "timestamp": "1700000000"},
			"` + manifest + `": {"info": "manifest \u0000", "timestamp": "1700000000"}}`,
		good + ".json":     event(good, "good", "fine"),
		nul + ".json":      event(nul, "nul", `a\u0000b`),
		badUTF8 + ".json":  event(badUTF8, "bad \xff byte", "fine"),
		manifest + ".json": event(manifest, "listed with a NUL", "fine"),
	}
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	st, _ := newStore(t, nil)
	f, err := st.CreateFeed(context.Background(), store.Feed{Name: "texts", URL: serveDir(t, dir).URL,
		SourceFormat: "misp", Distribution: 3, Enabled: true, Schedule: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	rep := mustPull(t, New(st, testOptions()), f)
	want := map[string]string{
		nul:      "cannot read the event: Attribute[0].comment " + `holds a NUL character (\u0000)`,
		badUTF8:  "cannot read the event: info is not valid UTF-8",
		manifest: "manifest entry: info " + `holds a NUL character (\u0000)`,
	}
	got := map[string]string{}
	for _, rj := range rep.Rejects {
		got[rj.Where] = rj.Reason
	}
	for where, reason := range want {
		if !strings.Contains(got[where], reason) {
			t.Errorf("%s: got rejection %q, want one saying %q", where, got[where], reason)
		}
	}
	if rep.Created != 1 || rep.Rejected != len(want) {
		t.Errorf("got %d created, %d rejected %v; want 1 and %d", rep.Created, rep.Rejected, rep.Rejects, len(want))
	}
	if c, err := st.Count(context.Background()); err != nil || c.Events != 1 {
		t.Errorf("got %d events stored (%v), want 1", c.Events, err)
	}
}
