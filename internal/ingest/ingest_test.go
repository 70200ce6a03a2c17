package ingest

import (
	"context"
	"github.com/cairn-intel/cairn/internal/store/storetest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/store"
)

// sharedTestdata returns a directory under the shared test data, skipping
// the test when the checkout does not have it.
func sharedTestdata(t testing.TB, parts ...string) string {
	t.Helper()
	dir := filepath.Join(append([]string{"..", "..", "..", "shared", "testdata"}, parts...)...)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared test data %s is absent (%v); it lives in ../shared beside the repository", dir, err)
	}
	return dir
}

// newStore opens a fresh initialised store and returns it with its site
// administrator.
func newStore(t testing.TB) (*store.Store, *store.Actor) {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, store.Options{})
	_, err := st.Initialise(ctx, store.Bootstrap{OrgName: "Test Org", AdminEmail: "admin@test.invalid",
		PasswordHash: "unused", KeyHash: "unused", RawKey: "0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := st.CLIActor(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	return st, a
}

func importPaths(t testing.TB, st *store.Store, a *store.Actor, paths ...string) *Report {
	t.Helper()
	rep, err := New(st, a, Options{}).Import(context.Background(), paths)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	return rep
}

// TestImportSharedTestdata imports the real MISP files: PyMISP's test
// events and a CIRCL OSINT feed whose two events also appear among them.
func TestImportSharedTestdata(t *testing.T) {
	events := sharedTestdata(t, "misp-events")
	feed := sharedTestdata(t, "feeds", "circl-osint")
	st, a := newStore(t)

	first := importPaths(t, st, a, events, feed)
	// 28 files and 2 feed events. Skipped: japanese_test_heavy.json repeats
	// the uuid and timestamp of japanese_test.json, and the feed's events
	// are copies of 57c4445b-….json and to_delete3.json. Updated:
	// existing_event_edited.json has the uuid of existing_event.json and no
	// timestamp, so its file time makes it newer.
	want := EventCounts{Created: 21, Updated: 1, Skipped: 3, Rejected: 5}
	if first.Files != 30 || first.Events != want {
		t.Errorf("first import: got %d files, %+v; want 30 files, %+v", first.Files, first.Events, want)
	}
	checkRejections(t, first.Rejected)
	checkItemRejections(t, first.Items)

	c, err := st.Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.Events != 21 || c.Attributes != int64(first.Attributes.Created) {
		t.Errorf("stored: got %d events, %d attributes; want 21, %d", c.Events, c.Attributes, first.Attributes.Created)
	}

	second := importPaths(t, st, a, events, feed)
	want = EventCounts{Skipped: 25, Rejected: 5}
	if second.Events != want || second.Attributes != (AttributeCounts{}) {
		t.Errorf("second import: got %+v, %+v; want %+v and no attributes", second.Events, second.Attributes, want)
	}
}

// checkRejections compares the files refused whole with what they are.
func checkRejections(t *testing.T, got []Rejection) {
	t.Helper()
	want := map[string]string{
		"event_obj_attr_tag.json":  "info is required",
		"event_obj_def_param.json": "info is required",
		"event_obj_tag.json":       "info is required",
		"sighting.json":            "not a MISP event",
		"search_index_result.json": "events/index summary",
	}
	if len(got) != len(want) {
		t.Errorf("got %d rejections, want %d: %+v", len(got), len(want), got)
	}
	for _, rj := range got {
		reason, ok := want[filepath.Base(rj.File)]
		if !ok || !strings.Contains(rj.Reason, reason) {
			t.Errorf("rejected %s: got reason %q, want one containing %q", rj.File, rj.Reason, reason)
		}
	}
}

// checkItemRejections compares the items refused inside stored events.
func checkItemRejections(t *testing.T, got []ItemRejections) {
	t.Helper()
	want := map[string]struct{ item, reason string }{
		"malware.json":         {"Attribute[0]", "needs exactly one |"}, // malware-sample without its md5
		"misp_custom_obj.json": {"Object[0]", "is not a UUID"},          // object uuid "a"
	}
	if len(got) != len(want) {
		t.Errorf("got item rejections in %d events, want %d: %+v", len(got), len(want), got)
	}
	for _, ir := range got {
		w, ok := want[filepath.Base(ir.File)]
		if !ok || len(ir.Items) != 1 || ir.EventUUID == "" {
			t.Errorf("item rejections of %s: got %+v, want one item %+v and the event uuid", ir.File, ir.Items, w)
			continue
		}
		if it := ir.Items[0]; it.Item != w.item || !strings.Contains(it.Reason, w.reason) {
			t.Errorf("item rejection in %s: got %s %q, want %s %q", ir.File, it.Item, it.Reason, w.item, w.reason)
		}
	}
}

const eventUUID = "6d1e7a3c-55a5-4d0e-9b0b-0f1c2d3e4f50"

// versionedEvent is one event at a given timestamp with n attributes.
func versionedEvent(ts string, n int) string {
	attrs := []string{}
	for i := range n {
		attrs = append(attrs, `{"type": "ip-dst", "value": "192.0.2.`+string(rune('1'+i))+`", "timestamp": "`+ts+`"}`)
	}
	return `{"Event": {"uuid": "` + eventUUID + `", "info": "version ` + ts + `", "timestamp": "` + ts +
		`", "distribution": "1", "Attribute": [` + strings.Join(attrs, ",") + `]}}`
}

func TestImportTimestamps(t *testing.T) {
	st, a := newStore(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "event.json")
	steps := []struct {
		name        string
		content     string
		want        EventCounts
		wantCreated int
	}{
		{"new event", versionedEvent("1000", 1), EventCounts{Created: 1}, 1},
		{"same timestamp", versionedEvent("1000", 2), EventCounts{Skipped: 1}, 0},
		{"newer timestamp", versionedEvent("2000", 2), EventCounts{Updated: 1}, 1},
		{"older timestamp", versionedEvent("1500", 3), EventCounts{Skipped: 1}, 0},
	}
	for _, step := range steps {
		writeFile(t, path, step.content)
		rep := importPaths(t, st, a, path)
		if rep.Events != step.want || rep.Attributes.Created != step.wantCreated {
			t.Errorf("%s: got %+v, %d attributes created; want %+v, %d", step.name, rep.Events,
				rep.Attributes.Created, step.want, step.wantCreated)
		}
	}
}

// TestImportDerivedIdentity checks that a file without uuid or timestamp
// is imported once, and again when the file changes.
func TestImportDerivedIdentity(t *testing.T) {
	st, a := newStore(t)
	path := filepath.Join(t.TempDir(), "bare.json")
	writeFile(t, path, `{"info": "no uuid, no timestamp", "distribution": 0}`)
	steps := []struct {
		name    string
		touch   time.Duration
		content string
		want    EventCounts
	}{
		{"first import", 0, "", EventCounts{Created: 1}},
		{"again", 0, "", EventCounts{Skipped: 1}},
		{"file edited", 2 * time.Minute, `{"info": "no uuid, no timestamp, edited", "distribution": 0}`, EventCounts{Created: 1}},
		{"edited again", 0, "", EventCounts{Skipped: 1}},
	}
	for _, step := range steps {
		if step.content != "" {
			writeFile(t, path, step.content)
		}
		if step.touch != 0 {
			later := time.Now().Add(step.touch)
			if err := os.Chtimes(path, later, later); err != nil {
				t.Fatal(err)
			}
		}
		if rep := importPaths(t, st, a, path); rep.Events != step.want {
			t.Errorf("%s: got %+v, want %+v", step.name, rep.Events, step.want)
		}
	}
}

func TestImportDistribution(t *testing.T) {
	st, a := newStore(t)
	path := filepath.Join(t.TempDir(), "list.json")
	writeFile(t, path, `[
		{"uuid": "aaaaaaaa-0000-4000-8000-000000000001", "info": "none given"},
		{"uuid": "aaaaaaaa-0000-4000-8000-000000000002", "info": "all communities", "distribution": "3"}]`)
	importPaths(t, st, a, path)
	tests := []struct {
		uuid string
		want int64
	}{
		{"aaaaaaaa-0000-4000-8000-000000000001", DefaultDistribution},
		{"aaaaaaaa-0000-4000-8000-000000000002", 3},
	}
	for _, tt := range tests {
		ev, err := st.EventByRef(context.Background(), a, tt.uuid, store.LoadOptions{Metadata: true})
		if err != nil {
			t.Fatal(err)
		}
		if ev.Distribution != tt.want {
			t.Errorf("event %s: got distribution %d, want %d", tt.uuid, ev.Distribution, tt.want)
		}
	}
}

func TestImportMissingPath(t *testing.T) {
	st, a := newStore(t)
	missing := filepath.Join(t.TempDir(), "nope.json")
	if _, err := New(st, a, Options{}).Import(context.Background(), []string{missing}); err == nil {
		t.Errorf("Import(%s): got no error, want one", missing)
	}
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A newer copy of a file whose event has a uuid but whose attributes and
// objects have none updates them instead of adding them again.
func TestImportUUIDlessChildrenAreNotDuplicated(t *testing.T) {
	st, a := newStore(t)
	path := filepath.Join(t.TempDir(), "children.json")
	doc := `{"Event": {"uuid": "3b1d2f00-0000-4000-8000-0000000000c1", "info": "children", "distribution": 0,
		"Attribute": [{"type": "md5", "value": "0749bae92ca336a02c83d126e04ec628"}],
		"Object": [{"name": "file", "Attribute": [{"type": "filename", "object_relation": "filename", "value": "bar.exe"}]}]}}`
	writeFile(t, path, doc)
	importPaths(t, st, a, path)
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	if rep := importPaths(t, st, a, path); rep.Events != (EventCounts{Updated: 1}) || rep.Attributes.Created != 0 {
		t.Errorf("newer copy: got events %+v, attributes %+v, want one update creating nothing", rep.Events, rep.Attributes)
	}
	c, err := st.Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.Attributes != 2 || c.Objects != 1 {
		t.Errorf("got %d attributes and %d objects, want 2 and 1", c.Attributes, c.Objects)
	}
}

// TestImportStampsWithTheWriteTime checks that an event read without a
// timestamp is stamped with the time of the write, as its attributes are,
// while its file's modification time, kept beside it to the nanosecond,
// decides whether the stored copy is older. Stamped with the file's older
// time, the event sorted behind polls with a cursor that had moved past its
// second, and they never delivered it; compared by whole seconds with its
// stamp, a file dated in the future was updated at every import, and an
// edit in the second of the import was skipped (found by fresh-eyes
// testers).
func TestImportStampsWithTheWriteTime(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	ctx := context.Background()
	st := storetest.Open(t, store.Options{Now: func() time.Time { return now }})
	if _, err := st.Initialise(ctx, store.Bootstrap{OrgName: "Test Org", AdminEmail: "admin@test.invalid",
		PasswordHash: "unused", KeyHash: "unused", RawKey: "0123456789abcdef"}); err != nil {
		t.Fatal(err)
	}
	a, err := st.CLIActor(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	const id = "3b1d2f00-0000-4000-8000-0000000000d1"
	path := filepath.Join(t.TempDir(), "stamp.json")
	write := func(info string, mtime time.Time) {
		writeFile(t, path, `{"uuid": "`+id+`", "info": "`+info+`", "Attribute": [{"type": "domain", "value": "stamp.example"}]}`)
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	stored := func() (int64, string) {
		ev, err := st.EventByRef(ctx, a, id, store.LoadOptions{Metadata: true})
		if err != nil {
			t.Fatal(err)
		}
		return ev.Timestamp, ev.Info
	}
	step := func(name string, want EventCounts, wantInfo string) {
		t.Helper()
		if rep := importPaths(t, st, a, path); rep.Events != want {
			t.Errorf("%s: got %+v, want %+v", name, rep.Events, want)
		}
		if ts, info := stored(); info != wantInfo || (want != EventCounts{Skipped: 1} && ts != now.Unix()) {
			t.Errorf("%s: stored %q stamped %d, want %q stamped with the write time %d", name, info, ts, wantInfo, now.Unix())
		}
	}

	day := now.Add(-24 * time.Hour)
	write("v1", day) // a file a day old
	step("first import", EventCounts{Created: 1}, "v1")
	now = now.Add(time.Minute)
	step("again", EventCounts{Skipped: 1}, "v1")

	write("v2", day.Add(10*time.Millisecond)) // rewritten within the same second
	now = now.Add(time.Minute)
	step("edited in the same second", EventCounts{Updated: 1}, "v2")
	step("again after the edit", EventCounts{Skipped: 1}, "v2")

	future := now.Add(365 * 24 * time.Hour) // a file dated a year ahead
	write("v3", future)
	now = now.Add(time.Minute)
	step("dated in the future", EventCounts{Updated: 1}, "v3")
	now = now.Add(time.Minute)
	step("dated in the future, again", EventCounts{Skipped: 1}, "v3")
}
