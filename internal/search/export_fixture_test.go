package search

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/cairn-intel/cairn/internal/store/storetest"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/store"
)

// exportFixture is a store holding the cases every export must get right,
// and the actors that read it.
type exportFixture struct {
	st    *store.Store
	clock *time.Time // the store's clock; tests move it forward
	admin *store.Actor
	// viewer is an ordinary user of the host organisation, which owns the
	// fixture events: the access filter applies to it.
	viewer *store.Actor
	// other belongs to another organisation, which owns one event at
	// distribution 0 (its organisation only).
	other *store.Actor
}

// fixtureClock dates every write of the fixture, so that timestamps (rule
// revisions) and the rpz serial are the same on every run.
var fixtureClock = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

// The fixture's events, in the order they are stored (ids 1 to 4).
const (
	fixtureMain = `{"info": "Fixture, with \"quotes\"", "distribution": 1, "threat_level_id": 2, "analysis": 1,
	"date": "2026-12-01",
	"Tag": [{"name": "tlp:green"}],
	"Attribute": [
		{"type": "domain", "category": "Network activity", "value": "evil.example", "to_ids": true,
			"comment": "has, comma", "Tag": [{"name": "tlp:amber"}, {"name": "kill-chain:c2"}]},
		{"type": "hostname", "category": "Network activity", "value": "www.evil.example", "to_ids": true,
			"comment": "line one\nline two\r\nline three"},
		{"type": "ip-dst", "category": "Network activity", "value": "192.0.2.1", "to_ids": true,
			"comment": "say \"hi\""},
		{"type": "ip-src", "category": "Network activity", "value": "2001:0db8::0001", "to_ids": true},
		{"type": "ip-dst|port", "category": "Network activity", "value": "198.51.100.7|8443", "to_ids": true},
		{"type": "domain|ip", "category": "Network activity", "value": "bad.example|203.0.113.9", "to_ids": true},
		{"type": "url", "category": "Network activity", "value": "https://evil.example/login?a=b", "to_ids": true},
		{"type": "url", "category": "Network activity", "value": "http://evil.example:8080/dl/x.exe", "to_ids": true},
		{"type": "user-agent", "category": "Network activity", "value": "Mozilla/5.0 \"evil\"; x|y", "to_ids": true},
		{"type": "email-src", "category": "Payload delivery", "value": "attacker@evil.example", "to_ids": true},
		{"type": "md5", "category": "Payload delivery", "value": "d41d8cd98f00b204e9800998ecf8427e", "to_ids": true},
		{"type": "filename|sha256", "category": "Payload delivery",
			"value": "payload, final.exe|e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "to_ids": true},
		{"type": "text", "category": "Other", "value": "not an indicator", "to_ids": false},
		{"type": "domain", "category": "Network activity", "value": "deleted.example", "to_ids": true}
	],
	"Object": [{"name": "domain-ip", "meta-category": "network", "Attribute": [
		{"type": "ip-dst", "category": "Network activity", "object_relation": "ip", "value": "192.0.2.50", "to_ids": true},
		{"type": "domain", "category": "Network activity", "object_relation": "domain", "value": "obj.example", "to_ids": true}
	]}]}`
	fixtureRepeat = `{"info": "Repeats", "distribution": 1, "Attribute": [
		{"type": "domain", "category": "Network activity", "value": "evil.example", "to_ids": true},
		{"type": "hostname", "category": "Network activity", "value": "WWW.Evil.Example", "to_ids": true}
	]}`
	fixtureUnpublished = `{"info": "Draft", "distribution": 1, "Attribute": [
		{"type": "domain", "category": "Network activity", "value": "unpublished.example", "to_ids": true}
	]}`
	fixtureSecret = `{"info": "Our eyes only", "distribution": 0, "Attribute": [
		{"type": "domain", "category": "Network activity", "value": "secret.example", "to_ids": true,
			"distribution": 5},
		{"type": "md5", "category": "Payload delivery", "value": "0749bae92ca336a02c83d126e04ec628", "to_ids": true}
	]}`
)

// The values no export may show: deleted, and in another organisation's
// distribution-0 event. Restrictive exports must not show the others
// either: not for IDS, or in an unpublished event.
var (
	neverShown       = []string{"deleted.example", "secret.example", "0749bae92ca336a02c83d126e04ec628"}
	restrictedHidden = []string{"not an indicator", "unpublished.example"}
)

func newExportFixture(t testing.TB) *exportFixture {
	t.Helper()
	ctx := context.Background()
	clock := fixtureClock
	st := storetest.Open(t, store.Options{Now: func() time.Time { return clock }})
	if _, err := st.Initialise(ctx, store.Bootstrap{OrgName: "Host", AdminEmail: "admin@host.test", KeyHash: "h",
		RawKey: "k"}); err != nil {
		t.Fatal(err)
	}
	f := &exportFixture{st: st, clock: &clock}
	var err error
	if f.admin, err = st.CLIActor(ctx, ""); err != nil {
		t.Fatal(err)
	}
	f.viewer = fixtureUser(t, st, f.admin.Org.ID, "viewer@host.test", 3)
	otherOrg, err := st.CreateOrg(ctx, store.Org{Name: "Other", Local: true})
	if err != nil {
		t.Fatal(err)
	}
	f.other = fixtureUser(t, st, otherOrg.ID, "publisher@other.test", 4)

	// A deletion unpublishes its event: delete, then publish.
	main := f.save(t, f.admin, fixtureMain, false)
	if err := f.deleteValue(ctx, "deleted.example"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PublishEvent(ctx, f.admin, main, true); err != nil {
		t.Fatal(err)
	}
	f.save(t, f.admin, fixtureRepeat, true)
	f.save(t, f.admin, fixtureUnpublished, false)
	f.save(t, f.other, fixtureSecret, true)
	return f
}

func fixtureUser(t testing.TB, st *store.Store, orgID int64, email string, role int64) *store.Actor {
	t.Helper()
	ctx := context.Background()
	u, err := st.CreateUser(ctx, store.User{Email: email, OrgID: orgID, RoleID: role, TermsAccepted: true})
	if err != nil {
		t.Fatal(err)
	}
	a, err := st.ActorForUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// save stores an event and returns its id.
func (f *exportFixture) save(t testing.TB, a *store.Actor, doc string, publish bool) string {
	t.Helper()
	var ev misp.Event
	if err := json.Unmarshal([]byte(doc), &ev); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := f.st.SaveEvent(ctx, a, &ev, store.SaveOptions{Mode: store.ModeCreate})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rejected) > 0 {
		t.Fatalf("fixture %.40s: rejected %+v", doc, res.Rejected)
	}
	id := itoa(res.EventID)
	if publish {
		if _, err := f.st.PublishEvent(ctx, a, id, true); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// deleteValue soft-deletes the attribute holding value.
func (f *exportFixture) deleteValue(ctx context.Context, value string) error {
	var uuid string
	err := f.st.DB().QueryRowContext(ctx, f.st.Rebind(`SELECT uuid FROM attributes WHERE value1 = ?`), value).Scan(&uuid)
	if err != nil {
		return err
	}
	_, err = f.st.DeleteAttribute(ctx, f.admin, uuid, false)
	return err
}

// export runs one export as the actor and returns its cursor and body.
func (f *exportFixture) export(t testing.TB, a *store.Actor, scope Scope, body string) (string, string) {
	t.Helper()
	p, err := ParseRestSearch([]byte(body), nil, nil, fixtureClock)
	if err != nil {
		t.Fatal(err)
	}
	o, err := ParseExportOptions(p.ReturnFormat, []byte(body), nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Now, o.BaseURL = fixtureClock, "https://misp.example"
	x, err := PrepareExport(context.Background(), f.st, a, p, o, scope)
	if err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	var out bytes.Buffer
	if _, err := x.Run(context.Background(), &out); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return x.Cursor(), out.String()
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
