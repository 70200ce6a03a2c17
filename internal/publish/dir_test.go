package publish

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCheckTarget(t *testing.T) {
	feedFiles := []string{"manifest.json", "hashes.csv", "5758ebf5-c898-48e6-9fe9-5665c0a83866.json"}
	cases := []struct {
		name  string
		files []string
		ok    bool
	}{
		{"missing directory", nil, true},
		{"a previous feed", feedFiles, true},
		{"files but no manifest", []string{"notes.txt"}, false},
		{"a feed with a stranger in it", append(feedFiles, "precious.db"), false},
		{"a feed with a json that is not an event", append(feedFiles, "config.json"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "feed")
			if tc.files != nil {
				if err := os.Mkdir(dir, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			for _, f := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, f), []byte("{}"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := checkTarget(dir); (err == nil) != tc.ok {
				t.Errorf("got %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
