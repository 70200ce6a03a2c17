package cli

import (
	"os"
	"path/filepath"
	"testing"
)

func TestImportExitCodes(t *testing.T) {
	samples := filepath.Join("..", "..", "..", "shared", "testdata", "misp-events")
	if _, err := os.Stat(samples); err != nil {
		t.Skip("../shared/testdata is not beside the repository")
	}
	data := newInstance(t)
	good := filepath.Join(t.TempDir(), "good.json")
	if err := os.WriteFile(good, []byte(`{"Event": {"info": "one", "Attribute": [{"type": "md5", "value": "0749bae92ca336a02c83d126e04ec628"}]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"everything imported", []string{"import", "--data", data, "--log-level", "error", good}, 0},
		{"again, all skipped", []string{"import", "--data", data, "--log-level", "error", good}, 0},
		{"samples with rejections", []string{"import", "--data", data, "--log-level", "error", "--json", samples}, 2},
		{"missing path", []string{"import", "--data", data, "--log-level", "error", filepath.Join(data, "nope")}, 1},
		{"unknown command", []string{"nonsense"}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Run(tc.args); got != tc.want {
				t.Errorf("cairn %v: got exit code %d, want %d", tc.args, got, tc.want)
			}
		})
	}
}
