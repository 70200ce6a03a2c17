package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFeedExport(t *testing.T) {
	data, dir := newInstance(t), t.TempDir()
	const open, draft = "f0000001-0000-4000-8000-000000000001", "f0000001-0000-4000-8000-000000000002"
	events := filepath.Join(dir, "events.json")
	doc := `[{"Event": {"uuid": "` + open + `", "info": "open", "distribution": "3", "published": true,
		"Attribute": [{"type": "domain", "value": "cli-export.cairn-test.net"}]}},
		{"Event": {"uuid": "` + draft + `", "info": "draft", "distribution": "3", "published": false,
		"Attribute": [{"type": "domain", "value": "cli-draft.cairn-test.net"}]}}]`
	if err := os.WriteFile(events, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "notes.txt"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	feed := filepath.Join(dir, "feed")
	base := []string{"--data", data, "--log-level", "error"}
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"import the events", append([]string{"import"}, append(base, events)...), 0},
		{"export", append([]string{"feed", "export"}, append(base, feed)...), 0},
		{"export again over the feed", append([]string{"feed", "export"}, append(base, feed)...), 0},
		{"unknown user", append([]string{"feed", "export", "--as", "nobody@example.test"}, append(base, feed)...), 1},
		{"directory of other files", append([]string{"feed", "export"}, append(base, other)...), 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Run(tc.args); got != tc.want {
				t.Errorf("cairn %v: got exit code %d, want %d", tc.args, got, tc.want)
			}
		})
	}
	manifest, err := os.ReadFile(filepath.Join(feed, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if m := string(manifest); !strings.Contains(m, open) || strings.Contains(m, draft) {
		t.Errorf("manifest: got %s, want %s listed and %s not", m, open, draft)
	}
}
