package publish

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/cairn-intel/cairn/internal/store"
)

func TestAllowsEvent(t *testing.T) {
	cases := []struct {
		name      string
		published bool
		dist      int64
		connected bool
		want      bool
	}{
		{"published, all communities", true, 3, false, true},
		{"unpublished, all communities", false, 3, false, false},
		{"your organisation", true, 0, true, false},
		{"this community", true, 1, true, false},
		{"connected, default rule", true, 2, false, false},
		{"connected, connected rule", true, 2, true, true},
		{"sharing group", true, 4, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := store.Event{Published: c.published, Distribution: c.dist}
			if got := (Rule{Connected: c.connected}).allowsEvent(e); got != c.want {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestItemDistribution(t *testing.T) {
	cases := []struct {
		dist      int64
		connected bool
		want      int64
		wantOK    bool
	}{
		{0, true, 0, false},
		{1, true, 0, false},
		{2, false, 0, false},
		{2, true, 1, true},
		{3, false, 3, true},
		{4, true, 0, false},
		{5, false, 5, true},
	}
	for _, c := range cases {
		got, ok := Rule{Connected: c.connected}.itemDistribution(c.dist)
		if got != c.want || ok != c.wantOK {
			t.Errorf("distribution %d (connected %v): got %d, %v, want %d, %v", c.dist, c.connected, got, ok,
				c.want, c.wantOK)
		}
	}
}

// trimSample is an event with one item of each kind the rule keeps and
// one it keeps home.
func trimSample() store.Event {
	rel := "filename"
	tag := func(name string, exportable, local, localOnly bool) store.Tag {
		return store.Tag{Name: name, Colour: "#000000", Exportable: exportable, Local: local, LocalOnly: localOnly}
	}
	return store.Event{UUID: "e", Published: true, Distribution: 2, Orgc: store.OrgBrief{ID: 7, Name: "CIRCL", UUID: "o"},
		Tag: []store.Tag{tag("tlp:green", true, false, false), tag("local", true, true, false),
			tag("hidden", false, false, false), tag("home", true, false, true)},
		Attribute: []store.Attribute{
			{UUID: "a-open", Type: "ip-dst", Value1: "198.51.100.1", Distribution: 5, ID: 9, EventID: 4},
			{UUID: "a-org", Type: "ip-dst", Value1: "198.51.100.2", Distribution: 0},
			{UUID: "a-sg", Type: "ip-dst", Value1: "198.51.100.3", Distribution: 4},
		},
		Object: []store.Object{
			{UUID: "o-open", Distribution: 5, Attribute: []store.Attribute{
				{UUID: "oa-open", Type: "filename", Value1: "a.exe", ObjectRelation: &rel, Distribution: 5},
				{UUID: "oa-community", Type: "filename", Value1: "b.exe", ObjectRelation: &rel, Distribution: 1}},
				ObjectReference: []store.ObjectReference{
					{UUID: "r-attr", ReferencedUUID: "a-open"}, {UUID: "r-gone-attr", ReferencedUUID: "a-org"},
					{UUID: "r-gone-obj", ReferencedUUID: "o-home"}, {UUID: "r-inner", ReferencedUUID: "oa-community"},
					{UUID: "r-elsewhere", ReferencedUUID: "other-event-item"}}},
			{UUID: "o-home", Distribution: 0, Attribute: []store.Attribute{
				{UUID: "oh-a", Type: "filename", Value1: "c.exe", ObjectRelation: &rel, Distribution: 5}}},
		},
		EventReport: []store.EventReport{{UUID: "rep-open", Distribution: 3}, {UUID: "rep-org", Distribution: 0}},
	}
}

func TestTrim(t *testing.T) {
	got := Rule{Connected: true}.trim(trimSample())
	uuids := func(n int, get func(int) string) string {
		var out []string
		for i := range n {
			out = append(out, get(i))
		}
		return strings.Join(out, " ")
	}
	checks := []struct{ what, got, want string }{
		{"distribution", itoa(got.Distribution), "1"},
		{"tags", uuids(len(got.Tag), func(i int) string { return got.Tag[i].Name }), "tlp:green"},
		{"attributes", uuids(len(got.Attribute), func(i int) string { return got.Attribute[i].UUID }), "a-open"},
		{"objects", uuids(len(got.Object), func(i int) string { return got.Object[i].UUID }), "o-open"},
		{"object attributes", uuids(len(got.Object[0].Attribute), func(i int) string {
			return got.Object[0].Attribute[i].UUID
		}), "oa-open"},
		{"references", uuids(len(got.Object[0].ObjectReference), func(i int) string {
			return got.Object[0].ObjectReference[i].UUID
		}), "r-attr r-elsewhere"},
		{"reports", uuids(len(got.EventReport), func(i int) string { return got.EventReport[i].UUID }), "rep-open"},
		{"reference source", got.Object[0].ObjectReference[0].ObjectUUID, "o-open"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.what, c.got, c.want)
		}
	}
}

// TestEventJSON checks the wire form: integers as strings, no local ids,
// no owner organisation.
func TestEventJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteEvent(&buf, Rule{}.trim(trimSample())); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Event map[string]any
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"timestamp", "distribution", "threat_level_id", "analysis", "publish_timestamp"} {
		if _, ok := doc.Event[k].(string); !ok {
			t.Errorf("Event.%s: got %T, want a string", k, doc.Event[k])
		}
	}
	for _, k := range []string{"id", "org_id", "orgc_id", "Org", "sharing_group_id", "SharingGroup"} {
		if _, ok := doc.Event[k]; ok {
			t.Errorf("Event.%s: got present, want left out", k)
		}
	}
	if s := buf.String(); strings.Contains(s, `"id"`) || strings.Contains(s, `"event_id"`) {
		t.Errorf("got local ids in %s, want none", s)
	}
}

func TestHashes(t *testing.T) {
	e := Event{UUID: "u", Attribute: []Attribute{
		{Type: "ip-dst", Value: "198.51.100.1"},
		{Type: "filename|md5", Value: "a.exe|d41d8cd98f00b204e9800998ecf8427e"},
		{Type: "domain", Value: "gone.example", Deleted: true},
	}, Object: []Object{{Attribute: []Attribute{{Type: "domain", Value: "example.com"}}},
		{Deleted: true, Attribute: []Attribute{{Type: "domain", Value: "deleted.example"}}}}}
	var buf bytes.Buffer
	n, err := writeHashes(&buf, e)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	wantLines := []string{md5hex("198.51.100.1") + ",u", md5hex("a.exe") + ",u",
		md5hex("d41d8cd98f00b204e9800998ecf8427e") + ",u", md5hex("example.com") + ",u"}
	if n != len(wantLines) || strings.Join(lines, "\n") != strings.Join(wantLines, "\n") {
		t.Errorf("got %d lines %q, want %q", n, lines, wantLines)
	}
}

func TestManifestWriter(t *testing.T) {
	cases := []struct {
		name    string
		entries []string
	}{
		{"empty", nil},
		{"two", []string{"a", "b"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			m := newManifestWriter(&buf)
			for _, u := range c.entries {
				if err := m.add(u, ManifestEntry{Info: u}); err != nil {
					t.Fatal(err)
				}
			}
			if err := m.close(); err != nil {
				t.Fatal(err)
			}
			var got map[string]ManifestEntry
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatalf("got invalid JSON %q: %v", buf.String(), err)
			}
			if len(got) != len(c.entries) {
				t.Errorf("got %d entries, want %d", len(got), len(c.entries))
			}
			for _, u := range c.entries {
				if got[u].Info != u {
					t.Errorf("entry %s: got info %q, want %q", u, got[u].Info, u)
				}
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
