package galaxy

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

type memSettings map[string]string

func (m memSettings) Setting(_ context.Context, name string) (string, error) { return m[name], nil }

func (m memSettings) SetSetting(_ context.Context, name, value string) error {
	m[name] = value
	return nil
}

func openTestdata(t *testing.T) *Registry {
	t.Helper()
	ctx := context.Background()
	settings := memSettings{}
	if err := SetDir(ctx, settings, "testdata/misp"); err != nil {
		t.Fatal(err)
	}
	r, err := Open(ctx, settings)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLoad(t *testing.T) {
	r := openTestdata(t)
	var got []string
	for _, g := range r.Galaxies() {
		var values []string
		for _, c := range g.Clusters {
			values = append(values, c.Value)
		}
		got = append(got, g.Type+"="+strings.Join(values, ","))
	}
	want := "sector=Energy,Finance threat-actor=Granite Heron,Paper Lantern tool=Fake Loader"
	if strings.Join(got, " ") != want {
		t.Errorf("got %q, want %q", strings.Join(got, " "), want)
	}
	wantProblems := []string{"galaxies/broken.json: a galaxy needs", "repeats uuid", "a cluster has no value",
		"zz-broken.json: not a cluster file"}
	probs := r.Problems()
	if len(probs) != len(wantProblems) {
		t.Fatalf("got %d problems %v, want %d", len(probs), probs, len(wantProblems))
	}
	for i, w := range wantProblems {
		if !strings.Contains(probs[i].String(), w) {
			t.Errorf("problem %d: got %q, want it to contain %q", i, probs[i], w)
		}
	}
	tool, _ := r.FindGalaxy("tool")
	if tool.Name != "Tool" || tool.UUID != "9b8037f7-bc8f-4de1-a797-37266619bc0b" {
		t.Errorf("got galaxy %+v for the orphan cluster file, want one made from the file", tool)
	}
}

func TestLoadRefusesOtherDirectories(t *testing.T) {
	if _, _, err := Load("testdata/misp/galaxies"); err == nil {
		t.Error("got no error for a directory without galaxies/ or clusters/, want one")
	}
}

func TestFindCluster(t *testing.T) {
	r := openTestdata(t)
	cases := []struct {
		ref, want string
	}{
		{"1", "Energy"},
		{"3", "Granite Heron"},
		{"5", "Fake Loader"},
		{"6", ""},
		{"3A1B2C3D-0000-4000-8000-0000000000A1", "Granite Heron"},
		{`misp-galaxy:threat-actor="Paper Lantern"`, "Paper Lantern"},
		{`MISP-GALAXY:SECTOR="FINANCE"`, "Finance"},
		{`misp-galaxy:sector="Retail"`, ""},
		{"tlp:amber", ""},
	}
	for _, tc := range cases {
		t.Run(tc.ref, func(t *testing.T) {
			got := ""
			if c, ok := r.FindCluster(tc.ref); ok {
				got = c.Value
			}
			if got != tc.want {
				t.Errorf("FindCluster(%q): got %q, want %q", tc.ref, got, tc.want)
			}
		})
	}
}

func TestFromTags(t *testing.T) {
	r := openTestdata(t)
	got := r.FromTags([]string{
		"tlp:amber",
		`misp-galaxy:threat-actor="Granite Heron"`,
		`misp-galaxy:sector="energy"`,
		`misp-galaxy:threat-actor="Paper Lantern"`,
		`misp-galaxy:threat-actor="Granite Heron"`,
		`misp-galaxy:threat-actor="Nobody"`,
	})
	raw, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	raw = append(raw, '\n')
	const golden = "testdata/fromtags.golden.json"
	if *update {
		if err := os.WriteFile(golden, raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, want) {
		t.Errorf("got\n%s\nwant (%s; run with -update after checking)\n%s", raw, golden, want)
	}
	if len(r.FromTags([]string{"phishing"})) != 0 || r.FromTags(nil) == nil {
		t.Error("got clusters or nil for tags naming none, want an empty list")
	}
}
