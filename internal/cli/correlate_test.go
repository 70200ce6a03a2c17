package cli

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// captureStdout runs fn with the standard output going to a pipe, and
// returns what it wrote.
func captureStdout(t *testing.T, fn func()) []byte { return capture(t, &os.Stdout, fn) }

// captureStderr is captureStdout for the standard error.
func captureStderr(t *testing.T, fn func()) []byte { return capture(t, &os.Stderr, fn) }

func capture(t *testing.T, f **os.File, fn func()) []byte {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := *f
	*f = w
	done := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		done <- b
	}()
	fn()
	*f = saved
	w.Close()
	return <-done
}

func TestCorrelateRebuildAndStatus(t *testing.T) {
	data := newInstance(t)
	dir := t.TempDir()
	for i, doc := range []string{
		`{"Event": {"info": "one", "Attribute": [{"type": "domain", "value": "shared.example"}, {"type": "md5", "value": "0749bae92ca336a02c83d126e04ec628"}]}}`,
		`{"Event": {"info": "two", "Attribute": [{"type": "hostname", "value": "SHARED.example"}]}}`,
		`{"Event": {"info": "three", "Attribute": [{"type": "filename|md5", "value": "a.exe|0749bae92ca336a02c83d126e04ec628"}]}}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, string(rune('a'+i))+".json"), []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	base := []string{"--data", data, "--log-level", "error"}
	if code := Run(append([]string{"import"}, append(base, dir)...)); code != 0 {
		t.Fatalf("import: exit code %d", code)
	}
	out := captureStdout(t, func() {
		if code := Run(append([]string{"correlate", "--rebuild", "--top", "5", "--json"}, base...)); code != 0 {
			t.Fatalf("correlate --rebuild: exit code %d", code)
		}
	})
	// The first line is the rebuild's summary; the JSON status follows.
	i := 0
	for i < len(out) && out[i] != '\n' {
		i++
	}
	var status struct {
		Stats struct {
			Correlating int64  `json:"correlating_values"`
			Queued      *int64 `json:"queued_events"`
		} `json:"stats"`
		Top []struct {
			Value  string `json:"value"`
			Events int64  `json:"events"`
		} `json:"top"`
	}
	if err := json.Unmarshal(out[i:], &status); err != nil {
		t.Fatalf("status is not JSON: %v\n%s", err, out)
	}
	if status.Stats.Correlating != 2 || status.Stats.Queued == nil || *status.Stats.Queued != 0 || len(status.Top) != 2 {
		t.Errorf("got %+v, want 2 correlating values, none queued, 2 in the top list\n%s", status, out)
	}
	for _, v := range status.Top {
		if v.Events != 2 {
			t.Errorf("got %s in %d events, want 2", v.Value, v.Events)
		}
	}
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"cap", []string{"correlate", "--cap", "1"}, 0},
		{"bad cap", []string{"correlate", "--cap", "-3"}, 1},
		{"zero cap", []string{"correlate", "--cap", "0"}, 1},
		{"zero top", []string{"correlate", "--top", "0"}, 1},
		{"a type that never correlates", []string{"correlate", "--disable-type", "comment"}, 1},
		{"disable a type, which rebuilds", []string{"correlate", "--disable-type", "md5,filename|md5"}, 0},
		{"unknown type", []string{"correlate", "--disable-type", "nonsense"}, 1},
		{"drain", []string{"correlate", "--drain"}, 0},
		{"cidr on", []string{"correlate", "--cidr", "on"}, 0},
		{"cidr in capitals", []string{"correlate", "--cidr", "OFF"}, 0},
		{"cidr maybe", []string{"correlate", "--cidr", "maybe"}, 1},
	}
	for _, tc := range cases {
		captureStdout(t, func() {
			if got := Run(append(tc.args, base...)); got != tc.want {
				t.Errorf("%s: got exit code %d, want %d", tc.name, got, tc.want)
			}
		})
	}
}

// TestCorrelateRefusedChangesNothing gives a good flag with a bad one: the
// command is refused before either takes effect.
func TestCorrelateRefusedChangesNothing(t *testing.T) {
	data := newInstance(t)
	base := []string{"--data", data, "--log-level", "error"}
	for _, args := range [][]string{
		{"correlate", "--cidr", "on", "--cap", "0"},
		{"correlate", "--cidr", "on", "--disable-type", "nonsense"},
		{"correlate", "--cap", "7", "--disable-type", "comment"},
		{"correlate", "--cap", "7", "--enable-type", "nonsense"},
		{"correlate", "--cidr", "on", "--disable-type", "domain", "--enable-type", "domain"},
	} {
		captureStderr(t, func() {
			if code := Run(append(args, base...)); code == 0 {
				t.Errorf("%q: exit code 0, want a refusal", args)
			}
		})
	}
	out := captureStdout(t, func() {
		if code := Run(append([]string{"correlate", "--json"}, base...)); code != 0 {
			t.Fatalf("correlate --json: exit code %d", code)
		}
	})
	var status struct {
		CIDR  bool `json:"cidr"`
		Stats struct {
			Cap int `json:"cap"`
		} `json:"stats"`
	}
	if err := json.Unmarshal(out, &status); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if status.CIDR || status.Stats.Cap != 100 {
		t.Errorf("after refused commands: cidr %v, cap %d; want off and the default 100\n%s", status.CIDR, status.Stats.Cap, out)
	}
}

// TestCorrelateJSONListsNoDisabledTypes checks that the JSON status gives
// the excluded types as a list before any was excluded, not null.
func TestCorrelateJSONListsNoDisabledTypes(t *testing.T) {
	data := newInstance(t)
	out := captureStdout(t, func() {
		if code := Run([]string{"correlate", "--json", "--data", data, "--log-level", "error"}); code != 0 {
			t.Fatalf("correlate --json: exit code %d", code)
		}
	})
	var status map[string]json.RawMessage
	if err := json.Unmarshal(out, &status); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := string(status["disabled_types"]); got != "[]" {
		t.Errorf("disabled_types: got %s, want []", got)
	}
}
