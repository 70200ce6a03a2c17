package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
)

// newOrgUser creates an organisation with a user of role 3 (User) and
// returns the user's actor.
func newOrgUser(t *testing.T, s *Store, name string) *Actor {
	t.Helper()
	ctx := context.Background()
	o, err := s.CreateOrg(ctx, Org{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUser(ctx, User{Email: "user@" + name + ".test", OrgID: o.ID, RoleID: 3})
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.ActorForUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// saveAs stores an event for actor a and returns its id.
func saveAs(t *testing.T, s *Store, a *Actor, doc string) int64 {
	t.Helper()
	res, err := s.SaveEvent(context.Background(), a, event(t, doc), SaveOptions{Mode: ModeCreate})
	if err != nil {
		t.Fatal(err)
	}
	return res.EventID
}

// drain runs the correlation worker until the queue is empty.
func drain(t *testing.T, s *Store) {
	t.Helper()
	if _, err := s.CorrelateQueued(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
}

func relatedIDs(t *testing.T, s *Store, a *Actor, id int64) []int64 {
	t.Helper()
	rel, err := s.RelatedEvents(context.Background(), a, id)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, r := range rel {
		ids = append(ids, r.Event.ID)
	}
	slices.Sort(ids)
	return ids
}

func TestCorrelationFollowsWrites(t *testing.T) {
	s, admin := newTestStore(t)
	ctx := context.Background()
	a := saveAs(t, s, admin, `{"info": "a", "distribution": 1, "Attribute": [
		{"type": "ip-dst", "value": "198.51.100.7"}, {"type": "domain", "value": "Evil.example"},
		{"type": "comment", "value": "same words"}]}`)
	b := saveAs(t, s, admin, `{"info": "b", "distribution": 1, "Attribute": [
		{"type": "domain|ip", "value": "evil.example|203.0.113.1"}, {"type": "text", "value": "same words"}]}`)
	c := saveAs(t, s, admin, `{"info": "c", "distribution": 1, "Attribute": [
		{"type": "ip-dst|port", "value": "203.0.113.1|443"}, {"type": "port", "value": "443"},
		{"type": "ip-src", "value": "192.0.2.1"}]}`)
	d := saveAs(t, s, admin, `{"info": "d", "distribution": 1, "Attribute": [{"type": "port", "value": "443"},
		{"type": "ip-dst", "value": "192.0.2.1", "disable_correlation": true}]}`)
	if rel := relatedIDs(t, s, admin, a); len(rel) != 0 {
		t.Fatalf("before the worker ran: got related %v, want none (correlation is off the request path)", rel)
	}
	drain(t, s)

	cases := []struct {
		name string
		id   int64
		want []int64
	}{
		{"a: domain matches the first half of b, whatever the case", a, []int64{b}},
		{"b: both halves of domain|ip correlate", b, []int64{a, c}},
		{"c: only the ip of ip|port correlates, ports never", c, []int64{b}},
		{"d: disabled attribute and non-correlating type", d, nil},
	}
	for _, tc := range cases {
		if got := relatedIDs(t, s, admin, tc.id); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got related %v, want %v", tc.name, got, tc.want)
		}
	}

	// Deleting the shared attribute of b cuts it off from a and c.
	ev, err := s.EventByRef(ctx, admin, fmt.Sprint(b), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteAttribute(ctx, admin, fmt.Sprint(ev.Attribute[0].ID), false); err != nil {
		t.Fatal(err)
	}
	drain(t, s)
	if got := relatedIDs(t, s, admin, a); len(got) != 0 {
		t.Errorf("after deleting b's attribute: got related %v, want none", got)
	}
	// Deleting an event removes its postings.
	if _, err := s.DeleteEvent(ctx, admin, fmt.Sprint(c)); err != nil {
		t.Fatal(err)
	}
	drain(t, s)
	var left int64
	if err := s.db.QueryRowContext(ctx, s.Rebind(`SELECT COUNT(*) FROM correlations WHERE event_id = ?`), c).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("deleted event keeps %d postings", left)
	}
	assertCountsMatch(t, s)
}

// assertCountsMatch checks that the per-value counts agree with the
// postings, as a rebuild would compute them.
func assertCountsMatch(t *testing.T, s *Store) {
	t.Helper()
	var bad int64
	err := s.db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM (
		SELECT value_hash, COUNT(*) AS n FROM correlations GROUP BY value_hash HAVING COUNT(*) > 1) p
		FULL OUTER JOIN correlation_values v ON v.value_hash = p.value_hash
		WHERE p.n IS NULL OR v.postings IS NULL OR p.n <> v.postings`).Scan(&bad)
	if err != nil {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Errorf("%d values whose count disagrees with their postings", bad)
	}
}

func TestCorrelationCapAndRebuild(t *testing.T) {
	s, admin := newTestStore(t)
	ctx := context.Background()
	if err := s.SetCorrelationCap(ctx, 3); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := range 5 {
		ids = append(ids, saveAs(t, s, admin, fmt.Sprintf(`{"info": "e%d", "distribution": 1, "Attribute": [
			{"type": "ip-dst", "value": "198.51.100.1"}, {"type": "md5", "value": "%032x"}]}`, i, i/2)))
	}
	drain(t, s)
	// 198.51.100.1 is in five events: over the cap of 3, not expanded. The
	// md5 pairs e0-e1 and e2-e3 still correlate.
	if got := relatedIDs(t, s, admin, ids[0]); !slices.Equal(got, []int64{ids[1]}) {
		t.Errorf("got related %v, want %v (over-correlating value not expanded)", got, ids[1:2])
	}
	over, err := s.TopCorrelations(ctx, admin, 10, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(over) != 1 || over[0].Value != "198.51.100.1" || over[0].Events != 5 || !over[0].OverCorrelated {
		t.Errorf("got over-correlating %+v, want 198.51.100.1 in 5 events", over)
	}
	if err := s.SetCorrelationCap(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if got := relatedIDs(t, s, admin, ids[4]); len(got) != 4 {
		t.Errorf("after raising the cap: got related %v, want the other four", got)
	}

	before := dumpPostings(t, s)
	rep, err := s.RebuildCorrelations(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if after := dumpPostings(t, s); !slices.Equal(before, after) {
		t.Errorf("rebuild changed the postings:\n got %v\nwant %v", after, before)
	}
	if rep.Attributes != 10 || rep.Postings != 10 || rep.Values != 3 || rep.OverCorrelated != 0 {
		t.Errorf("got report %+v, want 10 attributes, 10 postings, 3 repeated values, none over the cap of 10", rep)
	}
	assertCountsMatch(t, s)
	if s.Dialect() == "sqlite" { // the rebuild shrinks the writer's page cache for itself only
		var pages string
		if err := s.wdb.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&pages); err != nil || pages != sqliteWriterCache {
			t.Errorf("after a rebuild the writer's cache_size is %s (%v), want %s", pages, err, sqliteWriterCache)
		}
	}

	// Disabling a type takes its postings away at the next rebuild.
	if err := s.SetCorrelationDisabledTypes(ctx, []string{"md5"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RebuildCorrelations(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got := relatedIDs(t, s, admin, ids[0]); len(got) != 4 {
		t.Errorf("md5 disabled: got related %v, want the four through the ip", got)
	}
	if err := s.SetCorrelationDisabledTypes(ctx, []string{"no-such-type"}); err == nil {
		t.Error("an unknown type was accepted")
	}
}

func dumpPostings(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.db.QueryContext(context.Background(), `SELECT value_hash, event_id, attribute_id, field FROM correlations
		ORDER BY value_hash, attribute_id, field`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h, e, a, f int64
		if err := rows.Scan(&h, &e, &a, &f); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(h, e, a, f))
	}
	return out
}

func TestCorrelationRespectsAccess(t *testing.T) {
	s, admin := newTestStore(t)
	ctx := context.Background()
	alice := newOrgUser(t, s, "alice")
	bob := newOrgUser(t, s, "bob")
	shared := saveAs(t, s, alice, `{"info": "alice shares", "distribution": 1, "Attribute": [
		{"type": "domain", "value": "shared.example"}, {"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e"}]}`)
	private := saveAs(t, s, bob, `{"info": "bob keeps", "distribution": 0, "Attribute": [
		{"type": "domain", "value": "shared.example"}]}`)
	hiddenAttr := saveAs(t, s, bob, `{"info": "bob shares, but not the hash", "distribution": 1, "Attribute": [
		{"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e", "distribution": 0}]}`)
	drain(t, s)

	if got := relatedIDs(t, s, admin, shared); !slices.Equal(got, []int64{private, hiddenAttr}) {
		t.Fatalf("site admin: got related %v, want %v", got, []int64{private, hiddenAttr})
	}
	if got := relatedIDs(t, s, alice, shared); len(got) != 0 {
		t.Errorf("alice sees related events %v through bob's private event or hidden attribute", got)
	}
	if got := relatedIDs(t, s, bob, private); len(got) != 1 || got[0] != shared {
		t.Errorf("bob: got related %v, want alice's shared event", got)
	}

	ev, err := s.EventByRef(ctx, alice, fmt.Sprint(shared), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AttachRelatedAttributes(ctx, alice, ev.Attribute); err != nil {
		t.Fatal(err)
	}
	for _, at := range ev.Attribute {
		if len(at.RelatedAttribute) != 0 {
			t.Errorf("alice sees related attributes %+v of %s", at.RelatedAttribute, at.Value())
		}
	}
	if err := s.AttachRelatedAttributes(ctx, admin, ev.Attribute); err != nil {
		t.Fatal(err)
	}
	for _, at := range ev.Attribute {
		if len(at.RelatedAttribute) != 1 {
			t.Errorf("admin: got related attributes %+v of %s, want one", at.RelatedAttribute, at.Value())
		}
	}

	for _, tc := range []struct {
		name string
		a    *Actor
		want int
	}{{"alice", alice, 0}, {"bob", bob, 2}, {"admin", admin, 2}} {
		top, err := s.TopCorrelations(ctx, tc.a, 10, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(top) != tc.want {
			t.Errorf("%s: got top values %+v, want %d", tc.name, top, tc.want)
		}
		st, err := s.CorrelationStats(ctx, tc.a)
		if err != nil {
			t.Fatal(err)
		}
		if st.Correlating != int64(tc.want) {
			t.Errorf("%s: got stats %+v, want %d correlating values", tc.name, st, tc.want)
		}
	}
}

func TestCorrelationQueueKeepsNewerChange(t *testing.T) {
	s, admin := newTestStore(t)
	ctx := context.Background()
	id := saveAs(t, s, admin, `{"info": "x", "Attribute": [{"type": "domain", "value": "one.example"}]}`)
	var seq int64
	if err := s.db.QueryRowContext(ctx, s.Rebind(`SELECT seq FROM correlation_queue WHERE event_id = ?`), id).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	// A second write queues the event again: the worker's pass over the
	// first may not dequeue it.
	if err := s.queueCorrelation(ctx, s.wdb, id); err != nil {
		t.Fatal(err)
	}
	if err := s.bulk(ctx, func(tx bulkTx) error { return s.dequeue(ctx, tx, []queued{{id, seq}}) }); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CorrelationQueueLength(ctx); err != nil || n != 1 {
		t.Errorf("got %d queued, %v; want the newer change still queued", n, err)
	}
}

func TestValueCountsFollowEveryChange(t *testing.T) {
	s, admin := newTestStore(t)
	ctx := context.Background()
	doc := `{"info": "x", "Attribute": [{"type": "domain", "value": "counted.example"}]}`
	check := func(step string, wantRows, wantPostings int64) {
		t.Helper()
		drain(t, s)
		assertCountsMatch(t, s)
		var rows, postings int64
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(postings), 0) FROM correlation_values`).
			Scan(&rows, &postings); err != nil {
			t.Fatal(err)
		}
		if rows != wantRows || postings != wantPostings {
			t.Errorf("%s: got %d rows holding %d postings, want %d and %d", step, rows, postings, wantRows, wantPostings)
		}
	}
	first := saveAs(t, s, admin, doc)
	check("a value held once has no row", 0, 0)
	second := saveAs(t, s, admin, doc)
	check("held twice: counted from its postings", 1, 2)
	saveAs(t, s, admin, doc)
	check("three times: moved by its delta", 1, 3)
	if _, err := s.DeleteEvent(ctx, admin, fmt.Sprint(first)); err != nil {
		t.Fatal(err)
	}
	check("back to two", 1, 2)
	if _, err := s.DeleteEvent(ctx, admin, fmt.Sprint(second)); err != nil {
		t.Fatal(err)
	}
	check("held once again: the row goes", 0, 0)
	saveAs(t, s, admin, doc)
	check("twice again", 1, 2)
}

// TestOverCorrelationIsOneVerdict checks that every surface a user sees
// agrees on an over-correlating value: related events do not expand it, and
// the lists and statistics mark it so, though part of its attributes are
// hidden from the user.
func TestOverCorrelationIsOneVerdict(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	if err := s.SetCorrelationCap(ctx, 3); err != nil {
		t.Fatal(err)
	}
	alice := newOrgUser(t, s, "alice")
	bob := newOrgUser(t, s, "bob")
	doc := `{"info": "%s", "distribution": %d, "Attribute": [{"type": "ip-dst", "value": "192.0.2.150"}]}`
	var mine []int64
	for i := range 2 {
		saveAs(t, s, bob, fmt.Sprintf(doc, "bob private", 0))
		mine = append(mine, saveAs(t, s, alice, fmt.Sprintf(doc, fmt.Sprint("alice ", i), 1)))
	}
	drain(t, s)

	if got := relatedIDs(t, s, alice, mine[0]); len(got) != 0 {
		t.Errorf("got related %v through a value over the cap", got)
	}
	top, err := s.TopCorrelations(ctx, alice, 10, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(top) != 1 || !top[0].OverCorrelated || top[0].Events != 2 || top[0].Attributes != 2 {
		t.Errorf("got top %+v, want the value over the cap, counted over alice's two events", top)
	}
	over, err := s.TopCorrelations(ctx, alice, 10, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(over) != 1 {
		t.Errorf("got over-correlating %+v, want the one value", over)
	}
	st, err := s.CorrelationStats(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if st.OverCorrelated != 1 || st.Queued != nil {
		t.Errorf("got stats %+v, want one value over the cap and no queue length for a user", st)
	}
}

func TestCIDRCorrelation(t *testing.T) {
	s, admin := newTestStore(t)
	ctx := context.Background()
	bob := newOrgUser(t, s, "bob")
	alice := newOrgUser(t, s, "alice")
	block := saveAs(t, s, alice, `{"info": "range", "distribution": 1, "Attribute": [{"type": "ip-dst", "value": "10.1.0.0/16"}]}`)
	inside := saveAs(t, s, alice, `{"info": "inside", "distribution": 1, "Attribute": [{"type": "domain|ip", "value": "x.example|10.1.2.3"}]}`)
	outside := saveAs(t, s, alice, `{"info": "outside", "distribution": 1, "Attribute": [{"type": "ip-src", "value": "10.2.0.1"}]}`)
	hidden := saveAs(t, s, bob, `{"info": "bob private", "distribution": 0, "Attribute": [{"type": "ip-dst", "value": "10.1.9.9"}]}`)
	v6 := saveAs(t, s, alice, `{"info": "v6", "distribution": 1, "Attribute": [{"type": "ip-dst", "value": "2001:db8::/32"}, {"type": "ip-src", "value": "10.1.0.0/16"}]}`)
	drain(t, s)

	if got := relatedIDs(t, s, admin, inside); len(got) != 0 {
		t.Fatalf("CIDR correlation off: got related %v, want none", got)
	}
	if err := s.SetCorrelationCIDR(ctx, true); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		a    *Actor
		id   int64
		want []int64
	}{
		{"admin: the range finds the addresses inside, and the same block", admin, block, []int64{inside, hidden, v6}},
		{"alice: not bob's private event", alice, block, []int64{inside, v6}},
		{"an address finds the ranges holding it", alice, inside, []int64{block, v6}},
		{"an address outside", alice, outside, nil},
		{"bob's address, seen by bob", bob, hidden, []int64{block, v6}},
	}
	for _, tc := range cases {
		if got := relatedIDs(t, s, tc.a, tc.id); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got related %v, want %v", tc.name, got, tc.want)
		}
	}
	// At a cap of 1 the block (two addresses inside it, one hidden from
	// alice) is over-correlating for everyone, both ways; so is its value,
	// held twice.
	if err := s.SetCorrelationCap(ctx, 1); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{block, inside} {
		if got := relatedIDs(t, s, alice, id); len(got) != 0 {
			t.Errorf("cap 1, event %d: got related %v, want none", id, got)
		}
	}
}
