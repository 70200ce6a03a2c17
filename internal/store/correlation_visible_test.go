package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// refTopCorrelations is the exact top list of an actor who may not see
// everything, as it was first computed: every posting the actor sees,
// grouped by value. It is the reference the faster readers must equal.
func refTopCorrelations(ctx context.Context, s *Store, a *Actor, limit int, overOnly bool) ([]CorrelatedValue, error) {
	join, cond, args := a.correlatedSide("c", "at", "e")
	having := `COUNT(DISTINCT c.event_id) > 1`
	if overOnly {
		having += ` AND MAX(COALESCE(v.over, 0)) = 1`
	}
	q := `SELECT c.value_hash, COUNT(*), COUNT(DISTINCT c.event_id), MAX(COALESCE(v.over, 0)) FROM correlations c` +
		join + ` LEFT JOIN correlation_values v ON v.value_hash = c.value_hash WHERE ` + cond +
		` GROUP BY c.value_hash HAVING ` + having + ` ORDER BY COUNT(*) DESC, c.value_hash LIMIT ?`
	found, err := queryAll(ctx, s, s.Rebind(q), append(args, limit), func(r rowScanner) (c visibleCount, err error) {
		err = r.Scan(&c.hash, &c.postings, &c.events, &c.over)
		return
	})
	if err != nil {
		return nil, err
	}
	out := make([]CorrelatedValue, 0, len(found))
	for _, c := range found {
		v := CorrelatedValue{Events: c.events, Attributes: c.postings, OverCorrelated: c.over}
		if v.Value, v.Type, err = s.correlatedValueText(ctx, s.db, a, c.hash); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// refCorrelationStats is the exact statistics of an actor who may not see
// everything, grouped over every posting the actor sees.
func refCorrelationStats(ctx context.Context, s *Store, a *Actor) (CorrelationStats, error) {
	cs, err := s.CorrelationSettings(ctx)
	if err != nil {
		return CorrelationStats{}, err
	}
	st := CorrelationStats{Cap: cs.Cap}
	join, cond, args := a.correlatedSide("c", "at", "e")
	q := `SELECT COALESCE(SUM(n), 0), COALESCE(SUM(CASE WHEN n > 1 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN lo <> hi THEN 1 ELSE 0 END), 0), COALESCE(SUM(o), 0)
		FROM (SELECT COUNT(*) AS n, MIN(c.event_id) AS lo, MAX(c.event_id) AS hi, MAX(COALESCE(v.over, 0)) AS o
		FROM correlations c` + join + ` LEFT JOIN correlation_values v ON v.value_hash = c.value_hash
		WHERE ` + cond + ` GROUP BY c.value_hash) t`
	err = s.db.QueryRowContext(ctx, s.Rebind(q), args...).
		Scan(&st.Postings, &st.Values, &st.Correlating, &st.OverCorrelated)
	return st, err
}

// visibilityFixture holds a database of several organisations sharing
// values across every distribution, two sharing groups, objects, deleted
// and disabled attributes, and the actors to read it as.
type visibilityFixture struct {
	s       *Store
	viewers map[string]*Actor
}

// newVisibilityFixture builds the fixture from a seed. Values come from a
// small pool, in mixed case and as halves of composites, so that many
// correlate, some over the cap of 6.
func newVisibilityFixture(t *testing.T, seed uint64) visibilityFixture {
	t.Helper()
	ctx := context.Background()
	s, admin := newTestStore(t)
	if err := s.SetCorrelationCap(ctx, 6); err != nil {
		t.Fatal(err)
	}
	names := []string{"alice", "bob", "carol", "dave"}
	users := map[string]*Actor{}
	for _, n := range names {
		users[n] = newOrgUser(t, s, n)
	}
	// A user of the host organisation who is not a site administrator.
	hostUser, err := s.CreateUser(ctx, User{Email: "user@host.test", OrgID: admin.Org.ID, RoleID: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, members := range [][]string{{"alice", "bob"}, {"alice", "carol"}} {
		in := SharingGroupInput{Name: strings.Join(members, " and ")}
		for _, m := range members {
			in.OrgIDs = append(in.OrgIDs, users[m].Org.ID)
		}
		if _, err := s.CreateSharingGroup(ctx, admin, in); err != nil {
			t.Fatal(err)
		}
	}
	refresh := func(id int64) *Actor {
		a, err := s.ActorForUser(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	for _, n := range names {
		users[n] = refresh(users[n].User.ID)
	}
	viewers := map[string]*Actor{"host user": refresh(hostUser.ID)}
	for n, a := range users {
		viewers[n] = a
	}

	r := rand.New(rand.NewPCG(seed, 7))
	var events []int64
	for i := range 120 {
		owner := users[names[r.IntN(len(names))]]
		doc := visibilityEvent(r, i, owner)
		events = append(events, saveAs(t, s, owner, doc))
		if r.IntN(3) == 0 {
			if _, err := s.PublishEvent(ctx, admin, fmt.Sprint(events[i]), true); err != nil {
				t.Fatal(err)
			}
		}
	}
	drain(t, s)
	// Deleted attributes and events: some whose postings the worker has
	// dropped, some whose postings are still in the index (of attributes
	// soft-deleted, or gone).
	deleteSome(t, s, admin, r, events, false)
	drain(t, s)
	deleteSome(t, s, admin, r, events, true)
	for _, id := range events[:3] {
		if _, err := s.DeleteEvent(ctx, admin, fmt.Sprint(id)); err != nil {
			t.Fatal(err)
		}
	}
	return visibilityFixture{s: s, viewers: viewers}
}

// visibilityEvent returns an event document of owner with random
// distributions (a sharing group of owner's where it has one), objects and
// disabled correlation.
func visibilityEvent(r *rand.Rand, i int, owner *Actor) string {
	dist := func(item bool) map[string]any {
		n := 6
		if !item {
			n = 5
		}
		d := r.IntN(n)
		if d == 4 {
			if len(owner.SharingGroups) == 0 {
				d = 0
			} else {
				return map[string]any{"distribution": 4, "sharing_group_id": fmt.Sprint(owner.SharingGroups[r.IntN(len(owner.SharingGroups))])}
			}
		}
		return map[string]any{"distribution": d}
	}
	attr := func() map[string]any {
		// Skewed: a few values are held by many attributes, most by few.
		pick := func(n int) int { return r.IntN(1 + r.IntN(n)) }
		host := fmt.Sprintf("v%d.example", pick(60))
		if r.IntN(2) == 0 {
			host = strings.ToUpper(host[:1]) + host[1:]
		}
		var at map[string]any
		switch r.IntN(4) {
		case 0:
			at = map[string]any{"type": "domain", "value": host}
		case 1:
			at = map[string]any{"type": "domain|ip", "value": fmt.Sprintf("%s|192.0.2.%d", host, pick(30))}
		case 2:
			at = map[string]any{"type": "ip-dst", "value": fmt.Sprintf("192.0.2.%d", pick(30))}
		default:
			at = map[string]any{"type": "md5", "value": fmt.Sprintf("%032x", pick(30))}
		}
		for k, v := range dist(true) {
			at[k] = v
		}
		if r.IntN(10) == 0 {
			at["disable_correlation"] = true
		}
		return at
	}
	ev := dist(false)
	ev["info"] = fmt.Sprint("event ", i)
	ev["disable_correlation"] = r.IntN(12) == 0
	var attrs []any
	for range 1 + r.IntN(6) {
		attrs = append(attrs, attr())
	}
	if r.IntN(5) == 0 {
		// A value held twice in this event alone: repeated, not correlating.
		solo := fmt.Sprintf("solo%d.example", i)
		attrs = append(attrs, map[string]any{"type": "domain", "value": solo},
			map[string]any{"type": "domain|ip", "value": solo + "|198.51.100.1", "distribution": 5})
	}
	ev["Attribute"] = attrs
	if r.IntN(3) == 0 {
		obj := dist(true)
		obj["name"] = "domain-ip"
		obj["Attribute"] = []any{attr(), attr()}
		ev["Object"] = []any{obj}
	}
	raw, _ := json.Marshal(ev) // maps of strings and numbers always encode
	return string(raw)
}

// deleteSome deletes about one attribute in ten, with hard half of them
// for good.
func deleteSome(t *testing.T, s *Store, admin *Actor, r *rand.Rand, events []int64, hard bool) {
	t.Helper()
	ctx := context.Background()
	for _, id := range events {
		ev, err := s.EventByRef(ctx, admin, fmt.Sprint(id), LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, at := range ev.Attribute {
			if at.Deleted || r.IntN(10) != 0 {
				continue
			}
			if _, err := s.DeleteAttribute(ctx, admin, fmt.Sprint(at.ID), hard && r.IntN(2) == 0); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// sameValues compares two lists of values: the value text is one visible
// attribute's, whose case may differ.
func sameValues(got, want []CorrelatedValue) bool {
	return slices.EqualFunc(got, want, func(g, w CorrelatedValue) bool {
		return strings.EqualFold(g.Value, w.Value) && g.Events == w.Events && g.Attributes == w.Attributes &&
			g.OverCorrelated == w.OverCorrelated
	})
}

// TestVisibleCorrelationsEqualReference checks the top lists and
// statistics of users who may not see everything against the exact
// computation over every posting they see.
func TestVisibleCorrelationsEqualReference(t *testing.T) {
	ctx := context.Background()
	for seed := range uint64(6) {
		f := newVisibilityFixture(t, seed)
		for name, a := range f.viewers {
			label := fmt.Sprintf("seed %d, %s", seed, name)
			for _, limit := range []int{1, 2, 3, 5, 1000} {
				for _, overOnly := range []bool{false, true} {
					want, err := refTopCorrelations(ctx, f.s, a, limit, overOnly)
					if err != nil {
						t.Fatal(err)
					}
					got, err := f.s.TopCorrelations(ctx, a, limit, overOnly)
					if err != nil {
						t.Fatal(err)
					}
					if !sameValues(got, want) {
						t.Errorf("%s, limit %d, over only %v:\n got %+v\nwant %+v", label, limit, overOnly, got, want)
					}
					for _, page := range []int{1, 2, 3} {
						checkWalk(t, f.s, label, a, limit, overOnly, page, want)
					}
				}
			}
			want, err := refCorrelationStats(ctx, f.s, a)
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.s.CorrelationStats(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s: got stats %+v, want %+v", label, got, want)
			}
		}
	}
}

// checkWalk runs the walk with small pages, so that it crosses pages and
// stops by its bounds, with and without a budget (without, it leaves the
// list to scanTop at once), and compares its counts with want.
func checkWalk(t *testing.T, s *Store, label string, a *Actor, limit int, overOnly bool, page int, want []CorrelatedValue) {
	t.Helper()
	ctx := context.Background()
	for _, budget := range []int64{0, 1 << 40} {
		var got []visibleCount
		err := s.readSnapshot(ctx, func(tx *sql.Tx) error {
			var err error
			got, err = s.visibleTopCounts(ctx, tx, a, limit, overOnly, page, budget)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s, limit %d, page %d, budget %d: got %d values, want %d", label, limit, page, budget,
				len(got), len(want))
		}
		for i := range got {
			if got[i].postings != want[i].Attributes || got[i].events != want[i].Events || got[i].over != want[i].OverCorrelated {
				t.Errorf("%s, limit %d, page %d, budget %d, value %d: got %+v, want %+v", label, limit, page, budget,
					i, got[i], want[i])
			}
		}
	}
}
