package cli

import (
	"strings"
	"testing"
)

func TestKnowledgeToggleResolvesEveryNameFirst(t *testing.T) {
	data := newInstance(t)
	base := []string{"--data", data, "--log-level", "error"}
	run := func(want int, args ...string) string {
		t.Helper()
		return string(captureStdout(t, func() {
			if got := Run(append(args, base...)); got != want {
				t.Errorf("cairn %v: got exit code %d, want %d", args, got, want)
			}
		}))
	}
	run(0, "warninglist", "disable", "1")
	run(1, "warninglist", "enable", "1", "no-such-list")
	if out := run(0, "warninglist", "list"); !strings.Contains(out, "1   no ") {
		t.Errorf("an enable naming an unknown list changed list 1:\n%s", out)
	}
	run(0, "warninglist", "enable", "1")
	if out := run(0, "warninglist", "list"); !strings.Contains(out, "1   yes ") {
		t.Errorf("list 1 was not enabled again:\n%s", out)
	}
	run(1, "taxonomy", "enable", "no-such-namespace")
	run(0, "galaxy", "list")
}
