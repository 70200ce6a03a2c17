package taxonomy

import (
	"context"
	"strings"
	"testing"
)

type memSettings map[string]string

func (m memSettings) Setting(_ context.Context, name string) (string, error) { return m[name], nil }

func (m memSettings) SetSetting(_ context.Context, name, value string) error {
	m[name] = value
	return nil
}

func TestLoadTestdata(t *testing.T) {
	ts, probs, err := Load("testdata/taxonomies")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tx := range ts {
		names = append(names, tx.Namespace)
	}
	if got, want := strings.Join(names, " "), "case-state confidence tlp"; got != want {
		t.Errorf("got namespaces %q, want %q", got, want)
	}
	if len(probs) != 2 {
		t.Fatalf("got %d problems %v, want 2 (broken JSON, repeated namespace)", len(probs), probs)
	}
	conf := ts[1]
	if got := len(conf.Tags()); got != 6 {
		t.Errorf("got %d confidence tags, want 6 (3 levels, 2 bases, reviewed)", got)
	}
	low := conf.Predicate("level").Entry("low")
	if low == nil || low.NumericalValue == nil || *low.NumericalValue != 30 || low.Expanded != "Low confidence" {
		t.Errorf("got low entry %+v, want numerical value 30 and the first definition", low)
	}
}

func TestRegistryDirectoryAndState(t *testing.T) {
	ctx := context.Background()
	settings := memSettings{}
	if err := SetDir(ctx, settings, "testdata/taxonomies"); err != nil {
		t.Fatal(err)
	}
	r, err := Open(ctx, settings)
	if err != nil {
		t.Fatal(err)
	}
	tlp, _ := r.Find("tlp")
	if tlp.Builtin || tlp.ID != 1 || !r.Enabled(tlp) {
		t.Errorf("got tlp %+v enabled %v, want the directory's file in id 1, enabled", tlp, r.Enabled(tlp))
	}
	if err := r.ValidateTag("tlp:clear"); err == nil {
		t.Error("got tlp:clear accepted by the older directory tlp, want it refused")
	}
	conf, ok := r.Find("CONFIDENCE")
	if !ok || r.Enabled(conf) {
		t.Fatalf("got %v enabled %v, want the directory taxonomy found and disabled", conf, ok && r.Enabled(conf))
	}
	if err := r.ValidateTag(`confidence:level="certain"`); err != nil {
		t.Errorf("got %v while disabled, want the tag accepted", err)
	}
	if err := r.SetEnabled(ctx, conf, true); err != nil {
		t.Fatal(err)
	}
	if err := r.SetRequired(ctx, conf, true); err != nil {
		t.Fatal(err)
	}

	again, err := Open(ctx, settings)
	if err != nil {
		t.Fatal(err)
	}
	conf2, _ := again.Find(conf.Namespace)
	if !again.Enabled(conf2) || !again.Required(conf2) || conf2.ID != conf.ID {
		t.Fatalf("got enabled %v required %v id %d after reopening, want true true %d",
			again.Enabled(conf2), again.Required(conf2), conf2.ID, conf.ID)
	}
	cases := []struct {
		tag, wantErr string
	}{
		{`confidence:level="high"`, ""},
		{`confidence:basis="open source"`, ""},
		{"confidence:reviewed", ""},
		{`confidence:level="certain"`, "is not a value"},
		{"case-state:open", ""},
	}
	for _, tc := range cases {
		t.Run(tc.tag, func(t *testing.T) {
			err := again.ValidateTag(tc.tag)
			if (err == nil) != (tc.wantErr == "") || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("got %v, want %q", err, tc.wantErr)
			}
		})
	}
	if got := again.MissingRequired([]string{"tlp:red"}); len(got) != 1 || got[0] != "confidence" {
		t.Errorf("got missing %v, want [confidence]", got)
	}
	if got := again.MissingRequired([]string{`Confidence:level="low"`}); len(got) != 0 {
		t.Errorf("got missing %v, want none", got)
	}
}

func TestRequiredOnlyWhenEnabled(t *testing.T) {
	ctx := context.Background()
	r := NewRegistry(nil)
	pap, _ := r.Find("pap")
	if err := r.SetRequired(ctx, pap, true); err != nil {
		t.Fatal(err)
	}
	if got := r.MissingRequired(nil); len(got) != 1 || got[0] != "PAP" {
		t.Errorf("got %v, want [PAP]", got)
	}
	if err := r.SetEnabled(ctx, pap, false); err != nil {
		t.Fatal(err)
	}
	if got := r.MissingRequired(nil); len(got) != 0 {
		t.Errorf("got %v for a disabled taxonomy, want none", got)
	}
}

func TestSetEnabledKeepsChoicesOfAnotherProcess(t *testing.T) {
	ctx := context.Background()
	settings := memSettings{}
	server, _ := Open(ctx, settings)
	cli, _ := Open(ctx, settings)
	tlp, _ := cli.Find("tlp")
	if err := cli.SetEnabled(ctx, tlp, false); err != nil {
		t.Fatal(err)
	}
	pap, _ := server.Find("PAP")
	if err := server.SetEnabled(ctx, pap, false); err != nil {
		t.Fatal(err)
	}
	again, _ := Open(ctx, settings)
	for _, ns := range []string{"tlp", "PAP"} {
		tx, _ := again.Find(ns)
		if again.Enabled(tx) {
			t.Errorf("%s: got enabled, want both processes' choices kept", ns)
		}
	}
}
