package ingest

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/store"
)

// recorder is a Saver that keeps the info of every event it is given and
// refuses events without one, as the store does.
type recorder struct{ infos []string }

func (r *recorder) SaveEvent(_ context.Context, _ *store.Actor, in *misp.Event, _ store.SaveOptions) (store.SaveResult, error) {
	if in.Info == nil {
		return store.SaveResult{}, &store.ValidationError{Message: "Event could not be saved",
			Rejected: []store.Rejection{{Item: "Event", Field: "info", Reason: "is required"}}}
	}
	r.infos = append(r.infos, string(*in.Info))
	return store.SaveResult{UUID: *in.UUID, Outcome: store.OutcomeCreated}, nil
}

func (r *recorder) SaveEvents(ctx context.Context, a *store.Actor, in []*misp.Event, opts store.SaveOptions) ([]store.SaveResult, []error, error) {
	results, errs := make([]store.SaveResult, len(in)), make([]error, len(in))
	for i, ev := range in {
		results[i], errs[i] = r.SaveEvent(ctx, a, ev, opts)
	}
	return results, errs, nil
}

func importWith(t *testing.T, paths ...string) (*Report, []string) {
	t.Helper()
	rec := &recorder{}
	rep, err := New(rec, &store.Actor{}, Options{}).Import(context.Background(), paths)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	return rep, rec.infos
}

func TestImportShapes(t *testing.T) {
	tests := []struct {
		name       string
		content    string
		wantInfos  []string
		wantReason string // of the single rejection, when one is expected
		wantWhere  string
	}{
		{"wrapped event", `{"Event": {"info": "a"}}`, []string{"a"}, "", ""},
		{"bare event", `{"info": "a", "Attribute": []}`, []string{"a"}, "", ""},
		{"list of both", `[{"Event": {"info": "a"}}, {"info": "b"}]`, []string{"a", "b"}, "", ""},
		{"response list", `{"response": [{"Event": {"info": "a"}}, {"Event": {"info": "b"}}]}`, []string{"a", "b"}, "", ""},
		{"response object", `{"response": {"Event": {"info": "a"}}}`, []string{"a"}, "", ""},
		{"event keys after others", `{"x": 1, "Event": {"info": "a"}}`, []string{"a"}, "", ""},
		{"empty list", `[]`, nil, "", ""},
		{"event without info", `{"Event": {"Object": []}}`, nil, "info is required", ""},
		{"not an event", `{"type": "bar", "value": "1"}`, nil, "not a MISP event", ""},
		{"index summary", `[{"uuid": "5758ebf5-c898-48e6-9fe9-5665c0a83866", "info": "x", "EventTag": []}]`, nil,
			"events/index summary", "[0]"},
		{"wrong type in a list", `[{"info": "a"}, {"info": {"x": 1}}, {"info": "c"}]`, []string{"a", "c"},
			"cannot read the event", "[1]"},
		{"wrong form of a wrapped event's field", `{"Event": {"info": "x", "distribution": "abc"}}`, nil,
			`cannot read the event: Event.distribution: "abc" is not a number`, ""},
		{"wrong form of a bare event's field", `{"info": "x", "published": "maybe"}`, nil,
			`cannot read the event: published: "maybe" is not a boolean`, ""},
		{"wrong form in a list", `[{"info": "a"}, {"Event": {"info": "b", "Attribute": 3}}]`, []string{"a"},
			`cannot read the event: Event.Attribute: expected a list, got 3`, "[1]"},
		{"wrong form in a response", `{"response": [{"Event": {"info": "b", "Orgc": {"id": "me"}}}]}`, nil,
			`cannot read the event: Event.Orgc.id: "me" is not a number`, ".response[0]"},
		{"scalar document", `"hello"`, nil, "the document is a string", ""},
		{"scalar response", `{"response": 3}`, nil, "response is a number", ".response"},
		{"empty file", ``, nil, "the file is empty", ""},
		{"byte order mark", "\uFEFF" + `{"info": "a"}`, []string{"a"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "doc.json")
			writeFile(t, path, tt.content)
			rep, infos := importWith(t, path)
			if !slices.Equal(infos, tt.wantInfos) {
				t.Errorf("got events %q, want %q", infos, tt.wantInfos)
			}
			checkSingleRejection(t, rep, tt.wantReason, tt.wantWhere)
		})
	}
}

func checkSingleRejection(t *testing.T, rep *Report, reason, where string) {
	t.Helper()
	if reason == "" {
		if len(rep.Rejected) != 0 {
			t.Errorf("got rejections %+v, want none", rep.Rejected)
		}
		return
	}
	if len(rep.Rejected) != 1 {
		t.Fatalf("got rejections %+v, want one with %q", rep.Rejected, reason)
	}
	if rj := rep.Rejected[0]; !strings.Contains(rj.Reason, reason) || rj.Where != where {
		t.Errorf("got rejection at %q: %q; want at %q: one containing %q", rj.Where, rj.Reason, where, reason)
	}
}

// TestImportMalformed checks that broken JSON is reported with its file and
// position, and that the files around it are still imported.
func TestImportMalformed(t *testing.T) {
	tests := []struct {
		name       string
		content    string
		wantWhere  string
		wantReason string
		wantInfos  []string // including the events of the files around it
	}{
		{"missing value", "{\"Event\": {\n  \"info\": \"x\",\n  \"Attribute\": [}\n}}",
			"line 3, column 17 (byte 43)", "invalid character '}'", []string{"before", "after"}},
		{"truncated list", `[{"info": "one"}, {"info": "two"`,
			"line 1, column 33 (byte 32)", "ends in the middle", []string{"before", "one", "after"}},
		{"bad element in a list", "[{\"info\": \"one\"},\n {\"info\": \"two\" \"x\"}]",
			"line 2, column 17 (byte 34)", "event(s) before this point were read", []string{"before", "one", "after"}},
		{"missing comma in a list", "[{\"info\": \"one\"}\n {\"info\": \"two\"}]",
			"line 2, column 2 (byte 18)", "expected comma", []string{"before", "one", "after"}},
		{"trailing data", `{"info": "one"} {"info": "two"}`,
			"line 1, column 17 (byte 16)", "unexpected data after", []string{"before", "one", "after"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "a.json"), `{"info": "before"}`)
			writeFile(t, filepath.Join(dir, "b.json"), tt.content)
			writeFile(t, filepath.Join(dir, "c.json"), `{"info": "after"}`)
			rep, infos := importWith(t, dir)
			if !slices.Equal(infos, tt.wantInfos) {
				t.Errorf("got events %q, want %q", infos, tt.wantInfos)
			}
			if len(rep.Rejected) != 1 {
				t.Fatalf("got rejections %+v, want one", rep.Rejected)
			}
			rj := rep.Rejected[0]
			if filepath.Base(rj.File) != "b.json" || rj.Where != tt.wantWhere || !strings.Contains(rj.Reason, tt.wantReason) {
				t.Errorf("got %s at %q: %q; want b.json at %q: one containing %q", rj.File, rj.Where, rj.Reason,
					tt.wantWhere, tt.wantReason)
			}
		})
	}
}

func TestImportDirectories(t *testing.T) {
	dir := t.TempDir()
	u1, u2 := "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
	files := map[string]string{
		"b/2.json":                     `{"info": "b2"}`,
		"b/1.JSON":                     `{"info": "b1"}`,
		"a.json":                       `{"info": "a"}`,
		"notes.txt":                    `{"info": "not json by name"}`,
		".hidden/x.json":               `{"info": "hidden"}`,
		"feed/manifest.json":           fmt.Sprintf(`{"%s": {}, "%s": {}, "../escape": {}, "%s": {}}`, u2, u1, "33333333-3333-4333-8333-333333333333"),
		"feed/" + u1 + ".json":         `{"Event": {"info": "feed 1"}}`,
		"feed/" + u2 + ".json":         `{"Event": {"info": "feed 2"}}`,
		"feed/hashes.csv":              "x,y\n",
		"feed/unlisted.json":           `{"info": "not in the manifest"}`,
		"zbroken-feed/manifest.json":   `{"` + u1 + `": `,
		"zbroken-feed/" + u1 + ".json": `{"info": "feed with a broken manifest"}`,
	}
	for name, content := range files {
		writeFile(t, filepath.Join(dir, name), content)
	}
	rep, infos := importWith(t, dir)
	want := []string{"a", "b1", "b2", "feed 1", "feed 2"}
	if !slices.Equal(infos, want) {
		t.Errorf("got events %q, want %q", infos, want)
	}
	wantReasons := []string{
		"the manifest key is not an event UUID",
		"listed in the feed manifest, but the event file cannot be read",
		"cannot read the feed manifest",
	}
	var reasons []string
	for _, rj := range rep.Rejected {
		reasons = append(reasons, rj.Reason)
	}
	if len(reasons) != len(wantReasons) {
		t.Fatalf("got rejections %q, want %d", reasons, len(wantReasons))
	}
	for i, w := range wantReasons {
		if !strings.HasPrefix(reasons[i], w) {
			t.Errorf("rejection %d: got %q, want one starting %q", i, reasons[i], w)
		}
	}
}

func TestImportProgress(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.json"), `[{"info": "a1"}, {"info": "a2"}]`)
	writeFile(t, filepath.Join(dir, "b.json"), `{"info": "b"}`)
	var got []Progress
	opts := Options{Progress: func(p Progress) { got = append(got, p) }}
	if _, err := New(&recorder{}, &store.Actor{}, opts).Import(context.Background(), []string{dir}); err != nil {
		t.Fatal(err)
	}
	last := got[len(got)-1]
	want := Progress{FilesDone: 2, FilesTotal: 2, BytesDone: 45, BytesTotal: 45, Events: 3}
	if last != want {
		t.Errorf("last progress: got %+v, want %+v", last, want)
	}
	if len(got) != 6 { // the start, three events, two files
		t.Errorf("got %d progress calls, want 6: %+v", len(got), got)
	}
}
