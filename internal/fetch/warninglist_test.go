package fetch

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/store"
	"github.com/cairn-intel/cairn/internal/warninglist"
)

// warnCSV holds three values on the built-in lists (a TEST-NET-1 address,
// a URL on TEST-NET-3, a name under example.net) and two hashes, which no
// list holds; the header line is a comment.
const warnCSV = "# value,comment\r\n" +
	"192.0.2.1,TEST-NET-1 address\r\n" +
	"d41d8cd98f00b204e9800998ecf8427e,md5 of nothing\r\n" +
	"http://203.0.113.9/gate.php,URL on TEST-NET-3\r\n" +
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855,sha256 of nothing\r\n" +
	"c2.example.net,reserved name\r\n" +
	"192.0.2.1,repeated\r\n"

const (
	listRFC5737 = "Cairn: IPv4 documentation ranges (RFC 5737)"
	listNames   = "Cairn: example and reserved domain names (RFC 2606, RFC 6761)"
)

// csvFeed creates an enabled CSV feed with a fixed event whose settings
// carry the warninglist mode ("" for the default).
func csvFeed(t *testing.T, st *store.Store, url, mode string) store.Feed {
	t.Helper()
	settings := `{"csv": {"value": "1", "comment_column": 2}`
	if mode != "" {
		settings += `, "warninglist": "` + mode + `"`
	}
	f, err := st.CreateFeed(context.Background(), store.Feed{Name: "warn " + mode, URL: url, SourceFormat: "csv",
		Settings: settings + "}", Schedule: time.Hour, Enabled: true, FixedEvent: true, DeltaMerge: true})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// toIDSByValue reads the live attributes of an event: value to to_ids.
func toIDSByValue(t *testing.T, st *store.Store, a *store.Actor, eventID int64) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	if eventID == 0 {
		return out
	}
	e, err := st.EventByRef(context.Background(), a, itoa(eventID), store.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range e.Attribute {
		out[at.Value()] = at.ToIDS
	}
	return out
}

func TestListFeedWarninglists(t *testing.T) {
	hits := []WarninglistedValue{
		{Line: 2, Type: "ip-dst", Value: "192.0.2.1", List: listRFC5737},
		{Line: 4, Type: "url", Value: "http://203.0.113.9/gate.php", List: listRFC5737},
		{Line: 6, Type: "hostname", Value: "c2.example.net", List: listNames},
	}
	const md5, sha256 = "d41d8cd98f00b204e9800998ecf8427e",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	cases := []struct {
		mode          string
		wantCreated   int
		wantListed    int
		wantAction    string
		wantToIDS     map[string]bool
		wantHitValues []WarninglistedValue
	}{
		{"off", 5, 0, "", map[string]bool{"192.0.2.1": true, md5: true, "http://203.0.113.9/gate.php": true,
			sha256: true, "c2.example.net": true}, nil},
		{"skip", 2, 3, "skipped", map[string]bool{md5: true, sha256: true}, hits},
		{"flag", 5, 3, "flagged", map[string]bool{"192.0.2.1": false, md5: true,
			"http://203.0.113.9/gate.php": false, sha256: true, "c2.example.net": false}, hits},
		{"", 5, 3, "flagged", map[string]bool{"192.0.2.1": false, md5: true,
			"http://203.0.113.9/gate.php": false, sha256: true, "c2.example.net": false}, hits},
	}
	for _, tc := range cases {
		t.Run("mode "+tc.mode, func(t *testing.T) {
			st, a := newStore(t, nil)
			ls := newListServer(t, warnCSV)
			rep := mustPull(t, New(st, testOptions()), csvFeed(t, st, ls.srv.URL, tc.mode))
			if rep.Created != tc.wantCreated || rep.Warninglisted != tc.wantListed || rep.Rejected != 0 {
				t.Errorf("got created %d warninglisted %d rejected %d %v, want %d, %d, 0",
					rep.Created, rep.Warninglisted, rep.Rejected, rep.Rejects, tc.wantCreated, tc.wantListed)
			}
			checkHits(t, rep.WarninglistHits, tc.wantHitValues, tc.wantAction)
			got := toIDSByValue(t, st, a, rep.EventID)
			if len(got) != len(tc.wantToIDS) {
				t.Errorf("got stored values %v, want %v", got, tc.wantToIDS)
			}
			for v, want := range tc.wantToIDS {
				if ids, ok := got[v]; !ok || ids != want {
					t.Errorf("value %s: got stored %v to_ids %v, want stored with to_ids %v", v, ok, ids, want)
				}
			}
		})
	}
}

// checkHits compares the report's warninglisted values with want, each
// with the action.
func checkHits(t *testing.T, got, want []WarninglistedValue, action string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got warninglisted values %+v, want %+v", got, want)
	}
	for i := range want {
		w := want[i]
		w.Action = action
		if got[i] != w {
			t.Errorf("warninglisted value %d: got %+v, want %+v", i, got[i], w)
		}
	}
}

// TestWarninglistChangesReachPulls: the feed decides to_ids, so a value a
// list now flags loses it; a list disabled on the registry the pulls share
// with the API counts from the next pull on.
func TestWarninglistChangesReachPulls(t *testing.T) {
	c := newClock()
	st, a := newStore(t, c.now)
	reg, err := warninglist.Open(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	opts := testOptions()
	opts.Warninglists = reg
	p := New(st, opts)
	ls := newListServer(t, warnCSV)
	f := csvFeed(t, st, ls.srv.URL, "off")
	steps := []struct {
		name         string
		change       func(t *testing.T)
		wantUpdated  int
		wantListed   int
		wantAddrToID bool // to_ids of 192.0.2.1
	}{
		{"lists off", func(*testing.T) {}, 0, 0, true},
		{"flag", func(t *testing.T) {
			cur := reload(t, st, f) // with the event of the first pull
			cur.Settings = `{"csv": {"value": "1", "comment_column": 2}, "warninglist": "flag"}`
			if _, err := st.UpdateFeed(context.Background(), cur); err != nil {
				t.Fatal(err)
			}
		}, 3, 3, false},
		{"RFC 5737 list disabled", func(t *testing.T) {
			l, _ := reg.Find(listRFC5737)
			if _, err := reg.SetEnabled(context.Background(), []*warninglist.List{l}, false); err != nil {
				t.Fatal(err)
			}
		}, 2, 1, true},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			step.change(t)
			c.add(2 * time.Hour)
			rep := mustPull(t, p, reload(t, st, f))
			if rep.Updated != step.wantUpdated || rep.Warninglisted != step.wantListed {
				t.Errorf("got updated %d warninglisted %d, want %d and %d: %s",
					rep.Updated, rep.Warninglisted, step.wantUpdated, step.wantListed, rep.JSON())
			}
			if got := toIDSByValue(t, st, a, rep.EventID)["192.0.2.1"]; got != step.wantAddrToID {
				t.Errorf("192.0.2.1: got to_ids %v, want %v", got, step.wantAddrToID)
			}
		})
	}
}

// warnMISPEvent is a MISP feed event with a listed address, a hash, and an
// object whose only attribute is a listed name.
const warnMISPEvent = `{"Event": {"uuid": "0b9d3c5e-0000-4000-8000-00000000c0de", "info": "warninglisted",
	"timestamp": "1700000000", "date": "2023-11-14", "published": true, "Orgc": {"name": "Feeder"},
	"Attribute": [
		{"uuid": "0b9d3c5e-0000-4000-8000-0000000000a1", "type": "ip-dst", "category": "Network activity",
		 "value": "192.0.2.1", "to_ids": true, "timestamp": "1700000000"},
		{"uuid": "0b9d3c5e-0000-4000-8000-0000000000a2", "type": "md5", "category": "Payload delivery",
		 "value": "d41d8cd98f00b204e9800998ecf8427e", "to_ids": true, "timestamp": "1700000000"}],
	"Object": [{"uuid": "0b9d3c5e-0000-4000-8000-0000000000b1", "name": "domain-ip", "timestamp": "1700000000",
		"Attribute": [{"uuid": "0b9d3c5e-0000-4000-8000-0000000000a3", "type": "domain",
		 "category": "Network activity", "object_relation": "domain", "value": "login.example.com",
		 "to_ids": true, "timestamp": "1700000000"}]}]}}`

// writeMISPFeed writes a one-event MISP feed into a new directory.
func writeMISPFeed(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	manifest := `{"0b9d3c5e-0000-4000-8000-00000000c0de": {"timestamp": "1700000000", "info": "warninglisted"}}`
	for name, body := range map[string]string{"manifest.json": manifest,
		"0b9d3c5e-0000-4000-8000-00000000c0de.json": warnMISPEvent} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestMISPFeedWarninglists(t *testing.T) {
	cases := []struct {
		mode        string
		wantAttrs   map[string]bool // value to to_ids
		wantObjects int
		wantListed  int
		wantWhere   string // of the first hit
	}{
		{"off", map[string]bool{"192.0.2.1": true, "d41d8cd98f00b204e9800998ecf8427e": true,
			"login.example.com": true}, 1, 0, ""},
		{"skip", map[string]bool{"d41d8cd98f00b204e9800998ecf8427e": true}, 0, 2,
			"0b9d3c5e-0000-4000-8000-00000000c0de Attribute[0]"},
		{"flag", map[string]bool{"192.0.2.1": false, "d41d8cd98f00b204e9800998ecf8427e": true,
			"login.example.com": false}, 1, 2, "0b9d3c5e-0000-4000-8000-00000000c0de Attribute[0]"},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			st, a := newStore(t, nil)
			srv := serveDir(t, writeMISPFeed(t))
			f, err := st.CreateFeed(context.Background(), store.Feed{Name: "misp " + tc.mode, URL: srv.URL,
				SourceFormat: "misp", Settings: `{"warninglist": "` + tc.mode + `"}`, Schedule: time.Hour,
				Enabled: true, OrgcID: a.Org.ID, Distribution: 5})
			if err != nil {
				t.Fatal(err)
			}
			rep := mustPull(t, New(st, testOptions()), f)
			if rep.Created != 1 || rep.Warninglisted != tc.wantListed || rep.Rejected != 0 {
				t.Errorf("got created %d warninglisted %d rejected %d %v, want 1, %d, 0",
					rep.Created, rep.Warninglisted, rep.Rejected, rep.Rejects, tc.wantListed)
			}
			if tc.wantWhere != "" && (len(rep.WarninglistHits) == 0 || rep.WarninglistHits[0].Where != tc.wantWhere) {
				t.Errorf("got warninglisted values %+v, want the first at %q", rep.WarninglistHits, tc.wantWhere)
			}
			checkMISPEvent(t, st, a, tc.wantAttrs, tc.wantObjects)
		})
	}
}

// checkMISPEvent compares the stored event's attributes, in and out of
// objects, and its object count.
func checkMISPEvent(t *testing.T, st *store.Store, a *store.Actor, want map[string]bool, objects int) {
	t.Helper()
	e, err := st.EventByRef(context.Background(), a, "0b9d3c5e-0000-4000-8000-00000000c0de", store.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	attrs := e.Attribute
	for _, o := range e.Object {
		attrs = append(attrs, o.Attribute...)
	}
	for _, at := range attrs {
		got[at.Value()] = at.ToIDS
	}
	if len(e.Object) != objects || len(got) != len(want) {
		t.Fatalf("got %d objects and attributes %v, want %d and %v", len(e.Object), got, objects, want)
	}
	for v, ids := range want {
		if g, ok := got[v]; !ok || g != ids {
			t.Errorf("value %s: got stored %v to_ids %v, want to_ids %v", v, ok, g, ids)
		}
	}
}
