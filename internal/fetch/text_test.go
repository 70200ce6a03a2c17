package fetch

import (
	"context"
	"errors"
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

// A line of a list feed holding text PostgreSQL cannot store is rejected
// with its line on both databases, and the pull stores the other lines.
func TestListFeedRefusesTextThatCannotBeStored(t *testing.T) {
	cases := []struct {
		name, format, settings, body string
		line                         int
	}{
		{"freetext, NUL in the prose", "freetext", "",
			"good-1.cairn-test.net\nseen \x00 evil.cairn-test.net\ngood-2.cairn-test.net\n", 2},
		{"csv, NUL in the comment column", "csv", `{"csv": {"value": "1", "comment_column": 2}}`,
			"good-1.cairn-test.net,fine\nevil.cairn-test.net,\"a\x00b\"\ngood-2.cairn-test.net,\n", 2},
		{"csv, invalid UTF-8 in the comment column", "csv", `{"csv": {"value": "1", "comment_column": 2}}`,
			"good-1.cairn-test.net,caf\xc3\xa9\ngood-2.cairn-test.net,\nevil.cairn-test.net,caf\xe9\n", 3},
		{"json, NUL in a comment field", "json", `{"json": {"records": "", "value": "v", "fixed_type": "domain",
			"comment": ["{c}"]}}`, "[{\"v\": \"good-1.cairn-test.net\"},\n{\"v\": \"good-2.cairn-test.net\"},\n" +
			"{\"v\": \"evil.cairn-test.net\", \"c\": \"\\u0000\"}]", 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "list"), []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			st, a := newStore(t, nil)
			f, err := st.CreateFeed(context.Background(), store.Feed{Name: "texts", URL: serveDir(t, dir).URL + "/list",
				SourceFormat: tc.format, Settings: tc.settings, Schedule: time.Hour, Enabled: true, FixedEvent: true})
			if err != nil {
				t.Fatal(err)
			}
			rep := mustPull(t, New(st, testOptions()), f)
			if rep.Created != 2 || rep.Rejected != 1 || rep.Rejects[0].Line != tc.line {
				t.Fatalf("got %d created, rejects %+v; want 2 and line %d rejected", rep.Created, rep.Rejects, tc.line)
			}
			if r := rep.Rejects[0].Reason; !strings.Contains(r, "NUL character") && !strings.Contains(r, "UTF-8") {
				t.Errorf("got reason %q, want it to name the NUL or the UTF-8", r)
			}
			ev, err := st.EventByRef(context.Background(), a, itoa(rep.EventID), store.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, at := range ev.Attribute {
				if strings.HasPrefix(at.Value(), "evil") {
					t.Errorf("got %q stored, want its line refused", at.Value())
				}
			}
		})
	}
}

// A failed pull whose error quotes a NUL the feed sent is recorded on both
// databases, and the feed is released for the next pull.
func TestFailedPullQuotingANULIsRecorded(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "list"), []byte(`{"data": "x\u0000"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	st, _ := newStore(t, nil)
	f, err := st.CreateFeed(context.Background(), store.Feed{Name: "broken", URL: serveDir(t, dir).URL + "/list",
		SourceFormat: "json", Settings: `{"json": {"records": "data.items", "value": "v", "fixed_type": "domain"}}`,
		Schedule: time.Hour, Enabled: true, FixedEvent: true})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := New(st, testOptions()).Pull(context.Background(), f)
	if err == nil || rep.Succeeded() {
		t.Fatalf("got %v, want the pull to fail", err)
	}
	got := reload(t, st, f)
	if !strings.Contains(got.Health.LastError, `x\u0000`) || got.Health.PullingSince != 0 || got.Health.ErrorStreak != 1 {
		t.Errorf("got health %+v, want the failure recorded with the NUL written out and the feed released", got.Health)
	}
}

func TestCheckRefusesFeedSettingsThatCannotBeStored(t *testing.T) {
	cases := []struct {
		name string
		edit func(*store.Feed)
	}{
		{"tag in Latin-1", func(f *store.Feed) { f.Tags = []string{"caf\xe9"} }},
		{"NUL in the name", func(f *store.Feed) { f.Name = "a\x00b" }},
		{"NUL in the user agent", func(f *store.Feed) { f.UserAgent = "x\x00" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := store.Feed{Name: "ok", URL: "https://feed.example/list", SourceFormat: "freetext"}
			tc.edit(&f)
			if err := Check(&f); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("got %v, want ErrInvalid", err)
			}
		})
	}
}
