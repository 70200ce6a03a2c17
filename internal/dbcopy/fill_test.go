package dbcopy

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/ingest"
	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/store"
	"github.com/cairn-intel/cairn/internal/store/pgtest"
)

// target opens an empty store of one dialect, closed when the test ends;
// the PostgreSQL one skips without CAIRN_TEST_POSTGRES.
type target struct {
	name string
	open func(t testing.TB) *store.Store
}

var targets = []target{{"sqlite", openSQLite}, {"postgres", openPostgres}}

func openSQLite(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "cairn.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func openPostgres(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.OpenPostgres(context.Background(), pgtest.Database(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// The fixture's events: tags on the event and on attributes, an object with
// a reference, values that differ only in case, an IPv6 address, text
// needing quoting, a NULL and an empty object_relation.
const (
	fillMain = `{"info": "Main, with \"quotes\" and ünïcode", "distribution": 1, "threat_level_id": 2,
	"date": "2026-11-30", "Tag": [{"name": "tlp:green"}],
	"Attribute": [
		{"type": "domain", "category": "Network activity", "value": "evil.example", "to_ids": true,
			"comment": "line one\nline two", "Tag": [{"name": "tlp:amber"}]},
		{"type": "hostname", "category": "Network activity", "value": "WWW.Evil.Example"},
		{"type": "ip-dst", "category": "Network activity", "value": "192.0.2.1", "to_ids": true},
		{"type": "ip-src", "category": "Network activity", "value": "2001:db8::1"},
		{"type": "md5", "category": "Payload delivery", "value": "d41d8cd98f00b204e9800998ecf8427e",
			"first_seen": "2026-11-01T10:00:00.123456+00:00"},
		{"type": "text", "category": "Other", "value": "ÉCOLE école"}
	],
	"Object": [{"name": "domain-ip", "meta-category": "network",
		"Attribute": [
			{"type": "ip-dst", "category": "Network activity", "object_relation": "ip", "value": "198.51.100.7"},
			{"type": "domain", "category": "Network activity", "object_relation": "domain", "value": "obj.example"}
		]}]}`
	fillSecond = `{"info": "Second", "distribution": 0, "Attribute": [
		{"type": "url", "category": "Network activity", "value": "https://evil.example/a?b=c", "to_ids": true}]}`
	fillDeleted = `{"info": "Deleted later", "Attribute": [
		{"type": "md5", "category": "Payload delivery", "value": "0749bae92ca336a02c83d126e04ec628"}]}`
)

// filled returns a SQLite store holding a bit of everything: users, keys,
// organisations, a sharing group, a feed, events with attributes, objects,
// tags and sightings, the shared MISP samples when present, and holes in the
// ids left by deleting the newest event and attribute.
func filled(t testing.TB) (*store.Store, *store.Actor) {
	t.Helper()
	ctx := context.Background()
	st := openSQLite(t)
	admin, err := st.Initialise(ctx, store.Bootstrap{OrgName: "Host", AdminEmail: "admin@host.test",
		PasswordHash: "x", KeyHash: "h1", RawKey: "0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := st.CLIActor(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	other, err := st.CreateOrg(ctx, store.Org{Name: "Other", Local: true})
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.CreateUser(ctx, store.User{Email: "analyst@other.test", OrgID: other.ID, RoleID: 3, TermsAccepted: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateAuthKey(ctx, store.AuthKey{UserID: u.ID, Hash: "h2", Comment: "scripts",
		AllowedIPs: []string{"192.0.2.0/24"}}, "fedcba9876543210"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateAuthKey(ctx, store.AuthKey{UserID: admin.ID, Hash: "h3"}, "aaaabbbbccccdddd"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateSharingGroup(ctx, a, store.SharingGroupInput{Name: "Partners", OrgIDs: []int64{other.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateFeed(ctx, store.Feed{Name: "Local list", URL: "https://feeds.example/list.txt",
		SourceFormat: "freetext", Settings: "{}", Schedule: time.Hour, Tags: []string{"tlp:white"}}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetSetting(ctx, "copy_test", "kept"); err != nil {
		t.Fatal(err)
	}

	main := saveEvent(t, st, a, fillMain)
	saveEvent(t, st, a, fillSecond)
	e, err := st.EventByRef(ctx, a, main, store.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, attr := range e.Attribute[:2] {
		if _, _, err := st.AddSightings(ctx, a, store.SightingInput{AttributeRef: attr.UUID, Source: "sensor"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.TagEvent(ctx, a, main, false, "kill-chain:c2", true, false); err != nil {
		t.Fatal(err)
	}
	importSamples(t, st, a)

	// The newest event and attribute go, so that the sequences run past the
	// largest ids left.
	gone := saveEvent(t, st, a, fillDeleted)
	if _, err := st.DeleteEvent(ctx, a, gone); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DeleteAttribute(ctx, a, strconv.FormatInt(e.Attribute[len(e.Attribute)-1].ID, 10), true); err != nil {
		t.Fatal(err)
	}
	return st, a
}

func saveEvent(t testing.TB, st *store.Store, a *store.Actor, doc string) string {
	t.Helper()
	var ev misp.Event
	if err := json.Unmarshal([]byte(doc), &ev); err != nil {
		t.Fatal(err)
	}
	res, err := st.SaveEvent(context.Background(), a, &ev, store.SaveOptions{Mode: store.ModeCreate})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rejected) > 0 {
		t.Fatalf("fixture %.30s: rejected %+v", doc, res.Rejected)
	}
	return strconv.FormatInt(res.EventID, 10)
}

// importSamples loads the shared MISP samples and a CIRCL feed, when the
// checkout has them; some samples are rejected on purpose.
func importSamples(t testing.TB, st *store.Store, a *store.Actor) {
	t.Helper()
	shared := filepath.Join("..", "..", "..", "shared", "testdata")
	if _, err := os.Stat(shared); err != nil {
		t.Logf("shared test data %s is absent (%v): copying the fixture events only", shared, err)
		return
	}
	paths := []string{filepath.Join(shared, "misp-events"), filepath.Join(shared, "feeds", "circl-osint")}
	rep, err := ingest.New(st, a, ingest.Options{}).Import(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Events.Created == 0 {
		t.Fatalf("the shared samples gave no events: %+v", rep.Events)
	}
}
