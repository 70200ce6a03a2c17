package publish_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/cairn-intel/cairn/internal/store/storetest"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/api"
	"github.com/cairn-intel/cairn/internal/auth"
	"github.com/cairn-intel/cairn/internal/fetch"
	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/publish"
	"github.com/cairn-intel/cairn/internal/search"
	"github.com/cairn-intel/cairn/internal/store"
)

// The uuids of the source's events, by what the rule makes of them.
const (
	mainUUID      = "11111111-1111-4111-8111-111111111111" // distribution 3, published: leaves
	secondUUID    = "22222222-2222-4222-8222-222222222222" // distribution 3, published: leaves
	connectedUUID = "33333333-3333-4333-8333-333333333333" // distribution 2: leaves with Connected only
	draftUUID     = "44444444-4444-4444-8444-444444444444" // distribution 3, unpublished
	orgUUID       = "55555555-5555-4555-8555-555555555555" // distribution 0
	communityUUID = "66666666-6666-4666-8666-666666666666" // distribution 1
	groupUUID     = "77777777-7777-4777-8777-777777777777" // distribution 4
)

// mainEvent holds one item of each kind on each side of the rule: tags
// local, non-exportable and local-only; attributes and objects at 0; a
// soft-deleted attribute; references to kept and withheld items.
const mainEvent = `{"uuid": "` + mainUUID + `", "info": "Phishing wave", "date": "2025-06-01",
 "distribution": 3, "threat_level_id": 2, "analysis": 1, "published": true,
 "Tag": [{"name": "tlp:green"}, {"name": "team:triage", "local": true}, {"name": "secret:no-export"},
  {"name": "home:only"}],
 "Attribute": [
  {"uuid": "a0000001-0000-4000-8000-000000000001", "type": "ip-dst", "category": "Network activity",
   "value": "185.220.101.7", "distribution": 5, "to_ids": true,
   "Tag": [{"name": "kill-chain:delivery"}, {"name": "triage:seen", "local": true}]},
  {"uuid": "a0000001-0000-4000-8000-000000000002", "type": "domain", "value": "org-only-cairn.net",
   "distribution": 0},
  {"uuid": "a0000001-0000-4000-8000-000000000003", "type": "url", "value": "http://cairn-phish.net/login",
   "distribution": 3},
  {"uuid": "a0000001-0000-4000-8000-000000000004", "type": "filename|md5",
   "value": "invoice.exe|0cc175b9c0f1b6a831c399e269772661", "distribution": 5},
  {"uuid": "a0000001-0000-4000-8000-000000000005", "type": "ip-src", "value": "185.220.101.8",
   "distribution": 5, "deleted": true}],
 "Object": [
  {"uuid": "b0000001-0000-4000-8000-000000000001", "name": "file", "meta-category": "file",
   "template_uuid": "688c46fb-5edb-40a3-8273-1af7923e2215", "template_version": "24", "distribution": 5,
   "Attribute": [
    {"uuid": "a0000001-0000-4000-8000-000000000011", "type": "filename", "object_relation": "filename",
     "value": "dropper.dll"},
    {"uuid": "a0000001-0000-4000-8000-000000000012", "type": "md5", "object_relation": "md5",
     "value": "92eb5ffee6ae2fec3ad71c777531578f"},
    {"uuid": "a0000001-0000-4000-8000-000000000013", "type": "text", "object_relation": "text",
     "value": "analyst notes", "distribution": 1}],
   "ObjectReference": [
    {"uuid": "c0000001-0000-4000-8000-000000000001", "referenced_uuid": "a0000001-0000-4000-8000-000000000001",
     "relationship_type": "connects-to"},
    {"uuid": "c0000001-0000-4000-8000-000000000002", "referenced_uuid": "b0000001-0000-4000-8000-000000000002",
     "relationship_type": "related-to"},
    {"uuid": "c0000001-0000-4000-8000-000000000003", "referenced_uuid": "a0000001-0000-4000-8000-000000000002",
     "relationship_type": "related-to"}]},
  {"uuid": "b0000001-0000-4000-8000-000000000002", "name": "domain-ip", "meta-category": "network",
   "distribution": 0,
   "Attribute": [{"uuid": "a0000001-0000-4000-8000-000000000021", "type": "domain",
    "object_relation": "domain", "value": "hidden-object-cairn.net"}]}],
 "EventReport": [
  {"uuid": "d0000001-0000-4000-8000-000000000001", "name": "Summary", "content": "# Wave", "distribution": 5},
  {"uuid": "d0000001-0000-4000-8000-000000000002", "name": "Private", "content": "no", "distribution": 0}]}`

// mainWant is what a consumer holds of mainEvent.
var mainWant = []string{
	"attribute filename|md5 invoice.exe|0cc175b9c0f1b6a831c399e269772661 dist 5",
	"attribute ip-dst 185.220.101.7 dist 5 tags kill-chain:delivery",
	"attribute ip-src 185.220.101.8 dist 5 deleted",
	"attribute url http://cairn-phish.net/login dist 3",
	"event distribution 3 orgc Source CERT tags tlp:green",
	"object file dist 5: filename=dropper.dll md5=92eb5ffee6ae2fec3ad71c777531578f",
	"reference b0000001-0000-4000-8000-000000000001 connects-to a0000001-0000-4000-8000-000000000001",
	"report Summary dist 5",
}

// smallEvent is a one-attribute event.
func smallEvent(u string, dist int, published bool, extra string) string {
	return fmt.Sprintf(`{"uuid": %q, "info": "event %s", "distribution": %d, "published": %v%s,
		"Attribute": [{"type": "domain", "value": "d-%s.cairn-test.net"}]}`, u, u[:4], dist, published, extra, u[:4])
}

// source is the instance that publishes the feed.
type source struct {
	t     *testing.T
	st    *store.Store
	admin *store.Actor
	key   string
	now   atomic.Int64
}

func newSource(t *testing.T) *source {
	t.Helper()
	ctx := context.Background()
	s := &source{t: t, key: auth.NewKey()}
	s.now.Store(1_750_000_000)
	st := storetest.Open(t, store.Options{Now: func() time.Time { return time.Unix(s.now.Load(), 0) }})
	if _, err := st.Initialise(ctx, store.Bootstrap{OrgName: "Source CERT", AdminEmail: "admin@source.test",
		KeyHash: auth.HashKey(s.key), RawKey: s.key}); err != nil {
		t.Fatal(err)
	}
	s.st = st
	var err error
	if s.admin, err = st.CLIActor(ctx, ""); err != nil {
		t.Fatal(err)
	}
	s.fill()
	return s
}

// fill stores the events of the test, each kind of distribution once.
func (s *source) fill() {
	ctx := context.Background()
	for _, tag := range []store.Tag{{Name: "secret:no-export"}, {Name: "home:only", Exportable: true, LocalOnly: true}} {
		if _, err := s.st.SaveTag(ctx, s.admin, tag); err != nil {
			s.t.Fatal(err)
		}
	}
	sg, err := s.st.CreateSharingGroup(ctx, s.admin, store.SharingGroupInput{Name: "Partners"})
	if err != nil {
		s.t.Fatal(err)
	}
	if s.admin, err = s.st.ActorForUser(ctx, s.admin.User.ID); err != nil { // the group is now one of its own
		s.t.Fatal(err)
	}
	for _, doc := range []string{mainEvent, smallEvent(secondUUID, 3, true, ""),
		smallEvent(connectedUUID, 2, true, ""), smallEvent(draftUUID, 3, false, ""),
		smallEvent(orgUUID, 0, true, ""), smallEvent(communityUUID, 1, true, ""),
		smallEvent(groupUUID, 4, true, fmt.Sprintf(`, "sharing_group_id": %d`, sg))} {
		s.save(doc, store.ModeCreate)
	}
}

// save stores an event document and checks that nothing was refused.
func (s *source) save(doc string, mode store.SaveMode) {
	s.t.Helper()
	var ev misp.Event
	if err := json.Unmarshal([]byte(doc), &ev); err != nil {
		s.t.Fatal(err)
	}
	res, err := s.st.SaveEvent(context.Background(), s.admin, &ev, store.SaveOptions{Mode: mode})
	if err != nil || len(res.Rejected) > 0 {
		s.t.Fatalf("save %.60s: %v %v", doc, err, res.Rejected)
	}
}

// editSecond adds an attribute to the second event a minute later, which
// unpublishes it, then publishes it again.
func (s *source) editSecond() {
	s.now.Add(60)
	s.save(`{"uuid": "`+secondUUID+`", "Attribute": [{"type": "domain", "value": "added-later.cairn-test.net"}]}`,
		store.ModeEdit)
	if _, err := s.st.PublishEvent(context.Background(), s.admin, secondUUID, true); err != nil {
		s.t.Fatal(err)
	}
}

// countingAPI serves the source's API and counts the event files asked for.
type countingAPI struct {
	srv    *httptest.Server
	mu     sync.Mutex
	events int
}

func (s *source) serve() *countingAPI {
	c := &countingAPI{}
	h := api.New(s.st, slog.New(slog.DiscardHandler), api.Config{CairnVersion: "test"})
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/feed/") && !strings.Contains(r.URL.Path, "manifest") {
			c.mu.Lock()
			c.events++
			c.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	}))
	s.t.Cleanup(c.srv.Close)
	return c
}

func (c *countingAPI) eventGets() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.events
}

// consumer is a second, fresh instance reading the feed with Cairn's
// own MISP-feed reader.
type consumer struct {
	t     *testing.T
	st    *store.Store
	actor *store.Actor
	feed  store.Feed
}

func newConsumer(t *testing.T, url, key string) *consumer {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, store.Options{})
	if _, err := st.Initialise(ctx, store.Bootstrap{OrgName: "Consumer", AdminEmail: "admin@consumer.test",
		KeyHash: "h", RawKey: "k"}); err != nil {
		t.Fatal(err)
	}
	a, err := st.CLIActor(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	f := store.Feed{Name: "Source CERT", URL: url, SourceFormat: "misp", Distribution: 5, Enabled: true,
		Schedule: time.Hour}
	if key != "" {
		f.AuthHeader, f.AuthSecret = "Authorization", key
	}
	if f, err = st.CreateFeed(ctx, f); err != nil {
		t.Fatal(err)
	}
	return &consumer{t: t, st: st, actor: a, feed: f}
}

// pull pulls the feed and returns created, updated, unchanged, rejected.
func (c *consumer) pull() [4]int {
	c.t.Helper()
	ctx := context.Background()
	f, err := c.st.FeedByRef(ctx, fmt.Sprint(c.feed.ID))
	if err != nil {
		c.t.Fatal(err)
	}
	p := fetch.New(c.st, fetch.Options{Version: "test", Retries: -1, Inactivity: 5 * time.Second})
	rep, err := p.Pull(ctx, f)
	if err != nil {
		c.t.Fatalf("pull: %v", err)
	}
	if rep.Rejected > 0 {
		c.t.Errorf("pull rejected %v", rep.Rejects)
	}
	return [4]int{rep.Created, rep.Updated, rep.Unchanged, rep.Rejected}
}

// uuids lists the events the consumer holds.
func (c *consumer) uuids() []string {
	c.t.Helper()
	events, _, err := search.Events(context.Background(), c.st, c.actor, search.Params{Metadata: true})
	if err != nil {
		c.t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		out = append(out, e.UUID)
	}
	slices.Sort(out)
	return out
}

// summary describes a stored event in sorted lines, for comparison.
func (c *consumer) summary(u string) []string {
	c.t.Helper()
	e, err := c.st.EventByRef(context.Background(), c.actor, u, store.LoadOptions{Deleted: store.DeletedBoth})
	if err != nil {
		c.t.Fatal(err)
	}
	out := []string{fmt.Sprintf("event distribution %d orgc %s tags %s", e.Distribution, e.Orgc.Name,
		tagNames(e.Tag))}
	for _, a := range e.Attribute {
		out = append(out, attributeLine(a))
	}
	for _, o := range e.Object {
		var parts []string
		for _, a := range o.Attribute {
			parts = append(parts, *a.ObjectRelation+"="+a.Value())
		}
		slices.Sort(parts)
		out = append(out, fmt.Sprintf("object %s dist %d: %s", o.Name, o.Distribution, strings.Join(parts, " ")))
		for _, r := range o.ObjectReference {
			out = append(out, fmt.Sprintf("reference %s %s %s", o.UUID, r.RelationshipType, r.ReferencedUUID))
		}
	}
	for _, r := range e.EventReport {
		out = append(out, fmt.Sprintf("report %s dist %d", r.Name, r.Distribution))
	}
	slices.Sort(out)
	return out
}

func attributeLine(a store.Attribute) string {
	line := fmt.Sprintf("attribute %s %s dist %d", a.Type, a.Value(), a.Distribution)
	if len(a.Tag) > 0 {
		line += " tags " + tagNames(a.Tag)
	}
	if a.Deleted {
		line += " deleted"
	}
	return line
}

func tagNames(tags []store.Tag) string {
	var names []string
	for _, t := range tags {
		names = append(names, t.Name)
	}
	slices.Sort(names)
	return strings.Join(names, ",")
}

// TestRoundTrip exports the source's feed to a directory and serves it
// over HTTP, and pulls each with Cairn's MISP-feed reader into a fresh
// instance: exactly the allowed events arrive, with their items and
// exportable tags; a second pull fetches nothing; after one event is
// edited and published again, the next pull updates just that one.
func TestRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		// setup returns the feed URL and key, a refresh to run after the
		// source changed, and a count of event downloads (-1: not counted).
		setup func(t *testing.T, s *source) (url, key string, refresh func(), gets func() int)
	}{
		{"directory", func(t *testing.T, s *source) (string, string, func(), func() int) {
			dir := filepath.Join(t.TempDir(), "feed")
			export := func() {
				if _, err := publish.New(s.st, s.admin, publish.Rule{}).Export(context.Background(), dir); err != nil {
					t.Fatal(err)
				}
			}
			export()
			return dir, "", export, func() int { return -1 }
		}},
		{"http", func(t *testing.T, s *source) (string, string, func(), func() int) {
			c := s.serve()
			return c.srv.URL + "/feed", s.key, func() {}, c.eventGets
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSource(t)
			url, key, refresh, gets := tc.setup(t, s)
			c := newConsumer(t, url, key)

			if got, want := c.pull(), [4]int{2, 0, 0, 0}; got != want {
				t.Errorf("first pull: got created, updated, unchanged, rejected %v, want %v", got, want)
			}
			if got, want := c.uuids(), []string{mainUUID, secondUUID}; !slices.Equal(got, want) {
				t.Errorf("got events %v, want %v", got, want)
			}
			if got := c.summary(mainUUID); !slices.Equal(got, mainWant) {
				t.Errorf("main event:\ngot  %q\nwant %q", got, mainWant)
			}

			before := gets()
			if got, want := c.pull(), [4]int{0, 0, 2, 0}; got != want {
				t.Errorf("second pull: got %v, want %v", got, want)
			}
			if n := gets() - before; before >= 0 && n != 0 {
				t.Errorf("second pull: got %d event downloads, want 0", n)
			}

			s.editSecond()
			refresh()
			before = gets()
			if got, want := c.pull(), [4]int{0, 1, 1, 0}; got != want {
				t.Errorf("pull after the edit: got %v, want %v", got, want)
			}
			if n := gets() - before; before >= 0 && n != 1 {
				t.Errorf("pull after the edit: got %d event downloads, want 1", n)
			}
			if got := strings.Join(c.summary(secondUUID), "\n"); !strings.Contains(got, "added-later.cairn-test.net") {
				t.Errorf("second event after the edit: got %s, want the added attribute", got)
			}
		})
	}
}

// TestSameFeedBothWays checks that the directory and the HTTP routes give
// the same files under each rule, that they list exactly the events the rule
// allows, and that every event file reads as a MISP event.
func TestSameFeedBothWays(t *testing.T) {
	s := newSource(t)
	c := s.serve()
	cases := []struct {
		name string
		rule publish.Rule
		base string
		want []string
	}{
		{"all communities", publish.Rule{}, "/feed", []string{mainUUID, secondUUID}},
		{"connected", publish.Rule{Connected: true}, "/feed/connected:1",
			[]string{mainUUID, secondUUID, connectedUUID}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "feed")
			counts, err := publish.New(s.st, s.admin, tc.rule).Export(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			if counts.Events != len(tc.want) {
				t.Errorf("got %d events exported, want %d", counts.Events, len(tc.want))
			}
			manifest := readFile(t, dir, "manifest.json")
			if got := manifestKeys(t, manifest); !slices.Equal(got, tc.want) {
				t.Errorf("manifest: got %v, want %v", got, tc.want)
			}
			for _, name := range append([]string{"manifest.json", "hashes.csv"}, jsonNames(tc.want)...) {
				if got, want := httpGet(t, c.srv.URL+tc.base+"/"+name, s.key), readFile(t, dir, name); got != want {
					t.Errorf("%s: got over HTTP\n%s\nwant as in the directory\n%s", name, got, want)
				}
			}
			for _, u := range tc.want {
				checkMISPEvent(t, readFile(t, dir, u+".json"), u)
			}
		})
	}
}

// checkMISPEvent decodes an event file as MISP's event format and checks
// what a consumer relies on.
func checkMISPEvent(t *testing.T, doc, u string) {
	t.Helper()
	var file struct {
		Event *misp.Event `json:"Event"`
	}
	if err := json.Unmarshal([]byte(doc), &file); err != nil || file.Event == nil {
		t.Fatalf("%s: not a MISP event document: %v", u, err)
	}
	ev := file.Event
	wantDist := misp.Int(3)
	if u == connectedUUID {
		wantDist = 1
	}
	bad := len(ev.Attribute.Bad) + len(ev.Object.Bad) + len(ev.Tag.Bad) + len(ev.EventReport.Bad)
	switch {
	case ev.UUID == nil || *ev.UUID != u:
		t.Errorf("%s: got uuid %v, want %s", u, ev.UUID, u)
	case ev.Distribution == nil || *ev.Distribution != wantDist:
		t.Errorf("%s: got distribution %v, want %d", u, ev.Distribution, wantDist)
	case ev.Published == nil || !bool(*ev.Published) || ev.Timestamp == nil || *ev.Timestamp == 0:
		t.Errorf("%s: got published %v timestamp %v, want true and set", u, ev.Published, ev.Timestamp)
	case ev.Orgc == nil || ev.Orgc.Name == nil || string(*ev.Orgc.Name) != "Source CERT" || ev.Orgc.UUID == nil:
		t.Errorf("%s: got Orgc %+v, want Source CERT with its uuid", u, ev.Orgc)
	case ev.Org != nil || ev.ID != nil || ev.OrgcID != nil:
		t.Errorf("%s: got local Org or ids, want none", u)
	case bad > 0 || len(ev.Attribute.Items) == 0:
		t.Errorf("%s: got %d unreadable items and %d attributes, want 0 and some", u, bad, len(ev.Attribute.Items))
	}
	for _, a := range ev.Attribute.Items {
		if a.ID != nil || a.Value == nil || a.Distribution == nil || *a.Distribution == 0 || len(a.Sighting.Items) > 0 {
			t.Errorf("%s: attribute %v: got id %v value %v distribution %v sightings %d, want no id, a value, "+
				"distribution 1, 3 or 5, no sightings", u, a.UUID, a.ID, a.Value, a.Distribution, len(a.Sighting.Items))
		}
	}
}

func manifestKeys(t *testing.T, manifest string) []string {
	t.Helper()
	var m map[string]publish.ManifestEntry
	if err := json.Unmarshal([]byte(manifest), &m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	var keys []string
	for k, e := range m {
		if e.Timestamp == 0 || e.Orgc.UUID == "" {
			t.Errorf("manifest entry %s: got timestamp %d Orgc %+v, want both set", k, e.Timestamp, e.Orgc)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func jsonNames(uuids []string) []string {
	var out []string
	for _, u := range uuids {
		out = append(out, u+".json")
	}
	return out
}

func readFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func httpGet(t *testing.T, url, key string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: got %d %s %v, want 200", url, resp.StatusCode, b, err)
	}
	return strings.TrimSpace(string(b))
}

// TestExportAsUser reads the feed as a publisher of another organisation:
// the access filter hides the soft-deleted attribute of the host's event,
// and the rule keeps the user's own distribution-0 event home although the
// user may see it.
func TestExportAsUser(t *testing.T) {
	s := newSource(t)
	ctx := context.Background()
	org, err := s.st.CreateOrg(ctx, store.Org{Name: "Partner", Local: true})
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.st.CreateUser(ctx, store.User{Email: "pub@partner.test", OrgID: org.ID, RoleID: 4})
	if err != nil {
		t.Fatal(err)
	}
	partner, err := s.st.ActorForUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ev misp.Event
	own := "88888888-8888-4888-8888-888888888888"
	if err := json.Unmarshal([]byte(smallEvent(own, 0, true, "")), &ev); err != nil {
		t.Fatal(err)
	}
	if _, err := s.st.SaveEvent(ctx, partner, &ev, store.SaveOptions{Mode: store.ModeCreate}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.st.EventByRef(ctx, partner, own, store.LoadOptions{}); err != nil {
		t.Fatalf("the partner's own event: got %v, want it visible to the partner", err)
	}

	cases := []struct {
		name        string
		actor       *store.Actor
		wantDeleted bool
	}{
		{"site admin", s.admin, true},
		{"partner publisher", partner, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "feed")
			if _, err := publish.New(s.st, tc.actor, publish.Rule{Connected: true}).Export(ctx, dir); err != nil {
				t.Fatal(err)
			}
			want := []string{mainUUID, secondUUID, connectedUUID}
			if got := manifestKeys(t, readFile(t, dir, "manifest.json")); !slices.Equal(got, want) {
				t.Errorf("manifest: got %v, want %v", got, want)
			}
			deleted := strings.Contains(readFile(t, dir, mainUUID+".json"), "185.220.101.8")
			if deleted != tc.wantDeleted {
				t.Errorf("soft-deleted attribute in the export: got %v, want %v", deleted, tc.wantDeleted)
			}
		})
	}
}

// TestExportReplaces checks that an export replaces an earlier feed in
// place, and refuses a directory that holds something else.
func TestExportReplaces(t *testing.T) {
	s := newSource(t)
	ctx := context.Background()
	parent := t.TempDir()
	feed, other := filepath.Join(parent, "feed"), filepath.Join(parent, "other")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	x := publish.New(s.st, s.admin, publish.Rule{})
	for i := range 2 {
		if _, err := x.Export(ctx, feed); err != nil {
			t.Fatalf("export %d: %v", i+1, err)
		}
	}
	if _, err := x.Export(ctx, other); err == nil {
		t.Errorf("export into a directory of other files: got no error, want a refusal")
	}
	if _, err := os.Stat(filepath.Join(other, "notes.txt")); err != nil {
		t.Errorf("the other directory: got %v, want its file kept", err)
	}
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"feed", "other"}; !slices.Equal(names, want) {
		t.Errorf("got %v beside the feed, want %v (no temporary directories left)", names, want)
	}
}
