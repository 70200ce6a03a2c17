package ingest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Text PostgreSQL cannot store (a NUL character, invalid UTF-8) is refused
// on both databases, with the file, the event and the field named; the
// other events of the file are imported.
func TestImportRefusesTextThatCannotBeStored(t *testing.T) {
	st, a := newStore(t)
	dir := t.TempDir()
	list := filepath.Join(dir, "list.json")
	doc := `[
		{"Event": {"uuid": "c0000001-0000-4000-8000-000000000001", "info": "good",
			"Attribute": [{"type": "domain", "value": "good-one.cairn-test.net"}]}},
		{"Event": {"uuid": "c0000001-0000-4000-8000-000000000002", "info": "nul\u0000info"}},
		{"Event": {"uuid": "c0000001-0000-4000-8000-000000000003", "info": "tag",
			"Object": [{"name": "domain-ip", "Attribute": [{"type": "domain", "value": "tag.cairn-test.net",
			"object_relation": "domain", "Tag": [{"name": "tlp:clear\u0000"}]}]}]}},
		{"Event": {"uuid": "c0000001-0000-4000-8000-000000000004", "info": "utf-8",
			"Attribute": [{"type": "text", "value": "bad ` + "\xff" + ` byte"}]}},
		{"info": "bare", "uuid": "c0000001-0000-4000-8000-000000000005", "Orgc": {"name": "Org\u0000"}},
		{"Event": {"uuid": "c0000001-0000-4000-8000-000000000006", "info": "good too",
			"Attribute": [{"type": "comment", "value": "C:\\u0000 is a path, not a NUL"}]}}
	]`
	single := filepath.Join(dir, "single.json")
	singleDoc := `{"Event": {"info": "x", "Attribute": [{"type": "domain", "value": "a.cairn-test.net"},
		{"type": "domain", "value": "b.cairn-test.net", "comment": "\u0000"}]}}`
	for path, text := range map[string]string{list: doc, single: singleDoc} {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	rep := importPaths(t, st, a, dir)
	want := map[string]string{
		list + " [1]":     "info " + `holds a NUL character (\u0000)`,
		list + " [2]":     "Object[0].Attribute[0].Tag[0].name " + `holds a NUL character (\u0000)`,
		list + " [3]":     "Attribute[0].value is not valid UTF-8",
		list + " [4]":     "Orgc.name " + `holds a NUL character (\u0000)`,
		single + " " + "": "Attribute[1].comment " + `holds a NUL character (\u0000)`,
	}
	got := map[string]string{}
	for _, rj := range rep.Rejected {
		got[rj.File+" "+rj.Where] = rj.Reason
	}
	for where, reason := range want {
		if !strings.Contains(got[where], reason) {
			t.Errorf("%s: got rejection %q, want one saying %q", where, got[where], reason)
		}
	}
	if rep.Events.Created != 2 || rep.Events.Rejected != len(want) {
		t.Errorf("got %+v, want 2 created and %d rejected", rep.Events, len(want))
	}
	c, err := st.Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.Events != 2 || c.Attributes != 2 {
		t.Errorf("stored %d events, %d attributes; want 2 and 2", c.Events, c.Attributes)
	}
}
