package warninglist

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
)

// memSettings is an in-memory Settings.
type memSettings map[string]string

func (m memSettings) Setting(_ context.Context, name string) (string, error) { return m[name], nil }

func (m memSettings) SetSetting(_ context.Context, name, value string) error {
	m[name] = value
	return nil
}

func TestRegistryEnabledStatePersists(t *testing.T) {
	ctx := context.Background()
	settings := memSettings{}
	if err := SetDir(ctx, settings, "testdata/lists"); err != nil {
		t.Fatal(err)
	}
	var dir string
	if err := json.Unmarshal([]byte(settings[DirSetting]), &dir); err != nil || !filepath.IsAbs(dir) {
		t.Fatalf("got dir setting %q, want an absolute path as a JSON string", settings[DirSetting])
	}
	r, err := Open(ctx, settings)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(r.Lists()), len(Builtin())+5; got != want {
		t.Fatalf("got %d lists, want %d", got, want)
	}
	if got := len(r.Problems()); got != 4 {
		t.Errorf("got %d problems, want 4: %v", got, r.Problems())
	}

	resolvers, ok := r.Find("test: PUBLIC dns resolvers")
	if !ok {
		t.Fatal("got no list by case-insensitive name, want the resolvers")
	}
	if r.Enabled(resolvers) {
		t.Error("got a directory list enabled by default, want it disabled")
	}
	if hits := r.Matcher().Check("8.8.8.8", "ip-dst"); len(hits) != 0 {
		t.Errorf("got hits %v from a disabled list, want none", hits)
	}
	doc, _ := r.Find("1")
	n, err := r.SetEnabled(ctx, []*List{resolvers, doc}, true)
	if err != nil || n != 1 {
		t.Fatalf("SetEnabled: got %d changed, %v; want 1 (the built-in was already on)", n, err)
	}
	if hits := r.Matcher().Check("8.8.8.8", "ip-dst"); len(hits) != 1 || hits[0].ListID != resolvers.ID {
		t.Errorf("got hits %v, want one from list %d", hits, resolvers.ID)
	}
	if _, err := r.SetEnabled(ctx, []*List{doc}, false); err != nil {
		t.Fatal(err)
	}

	again, err := Open(ctx, settings)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		ref  string
		want bool
	}{
		{resolvers.Name, true},
		{doc.Name, false},
		{"Cairn: loopback addresses", true},
		{"Test: link shorteners", false},
	}
	for _, tc := range cases {
		t.Run(tc.ref, func(t *testing.T) {
			l, ok := again.Find(tc.ref)
			if !ok {
				t.Fatalf("got no list %q after reopening", tc.ref)
			}
			if got := again.Enabled(l); got != tc.want {
				t.Errorf("got enabled %v after reopening, want %v", got, tc.want)
			}
		})
	}
	if l, _ := again.Find(resolvers.Name); l.ID != resolvers.ID {
		t.Errorf("got id %d after reopening, want the same id %d", l.ID, resolvers.ID)
	}
}

func TestRegistryFind(t *testing.T) {
	r := NewRegistry(nil)
	cases := []struct {
		ref    string
		wantID int64
	}{
		{"1", 1},
		{"7", 7},
		{"8", 0},
		{"0", 0},
		{"Cairn: loopback addresses", 4},
		{"nothing", 0},
	}
	for _, tc := range cases {
		t.Run(tc.ref, func(t *testing.T) {
			var got int64
			if l, ok := r.Find(tc.ref); ok {
				got = l.ID
			}
			if got != tc.wantID {
				t.Errorf("Find(%q): got id %d, want %d (0: none)", tc.ref, got, tc.wantID)
			}
		})
	}
}

func TestReloadKeepsStateOnBadDirectory(t *testing.T) {
	ctx := context.Background()
	settings := memSettings{DirSetting: `"testdata/no-such-dir"`,
		EnabledSetting: `{"Cairn: loopback addresses": false, "Test: link shorteners": true}`}
	r, err := Open(ctx, settings)
	if err != nil {
		t.Fatalf("got %v, want a missing directory reported as a problem", err)
	}
	if got := len(r.Problems()); got != 1 {
		t.Errorf("got problems %v, want the directory's", r.Problems())
	}
	if got := len(r.Lists()); got != len(Builtin()) {
		t.Errorf("got %d lists, want the %d built-ins", got, len(Builtin()))
	}
	loop, _ := r.Find("Cairn: loopback addresses")
	if r.Enabled(loop) {
		t.Error("got the saved choice ignored, want loopback disabled")
	}
	if _, err := r.SetEnabled(ctx, []*List{loop}, true); err != nil {
		t.Fatal(err)
	}
	var saved map[string]bool
	if err := json.Unmarshal([]byte(settings[EnabledSetting]), &saved); err != nil || !saved["Test: link shorteners"] {
		t.Errorf("got saved state %s, want the choice about the unloaded list kept", settings[EnabledSetting])
	}
}

func TestSetDirRefusesAFile(t *testing.T) {
	if err := SetDir(context.Background(), memSettings{}, "testdata/lists/resolvers/list.json"); err == nil {
		t.Error("got no error for a file, want one")
	}
}

func TestRegistryConcurrentUse(t *testing.T) {
	ctx := context.Background()
	r := NewRegistry(memSettings{})
	loop, _ := r.Find("Cairn: loopback addresses")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 200; i++ {
			if _, err := r.SetEnabled(ctx, []*List{loop}, i%2 == 0); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := 0; i < 2000; i++ {
		for _, h := range r.Matcher().Check("127.0.0.1", "ip-dst") {
			if h.Name != loop.Name {
				t.Fatalf("got hit %+v, want only the loopback list", h)
			}
		}
	}
	<-done
}

func TestSetEnabledKeepsChoicesOfAnotherProcess(t *testing.T) {
	ctx := context.Background()
	settings := memSettings{}
	server, err := Open(ctx, settings)
	if err != nil {
		t.Fatal(err)
	}
	cli, err := Open(ctx, settings)
	if err != nil {
		t.Fatal(err)
	}
	loop, _ := cli.Find("4")
	if _, err := cli.SetEnabled(ctx, []*List{loop}, false); err != nil {
		t.Fatal(err)
	}
	link, _ := server.Find("5")
	if _, err := server.SetEnabled(ctx, []*List{link}, false); err != nil {
		t.Fatal(err)
	}
	again, err := Open(ctx, settings)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"4", "5"} {
		l, _ := again.Find(ref)
		if again.Enabled(l) {
			t.Errorf("list %s: got enabled, want both processes' choices kept", ref)
		}
	}
	if l, _ := server.Find("4"); server.Enabled(l) {
		t.Error("got the server's own view stale, want it to pick up the saved choice")
	}
}
