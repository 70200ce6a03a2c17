package api

import (
	"testing"
)

// drainCorrelation runs the correlation worker's work, as a server does in
// the background after each write.
func (e *env) drainCorrelation(t *testing.T) {
	t.Helper()
	if _, err := e.st.CorrelateQueued(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
}

func relatedEventIDs(v any) []string {
	var ids []string
	list, _ := get(v, "Event", "RelatedEvent").([]any)
	for _, r := range list {
		ids = append(ids, get(r, "Event", "id").(string))
	}
	return ids
}

func TestCorrelationSurfacesFollowAccess(t *testing.T) {
	e := newEnv(t)
	alice := e.user("Alice", 3)
	bob := e.user("Bob", 3)
	shared := e.addEvent(alice, map[string]any{"info": "alice shares", "distribution": "1", "Attribute": []any{
		map[string]any{"type": "domain", "value": "c2.example"}, map[string]any{"type": "ip-dst", "value": "203.0.113.9"}}})
	public := e.addEvent(bob, map[string]any{"info": "bob shares", "distribution": "1", "Attribute": []any{
		map[string]any{"type": "ip-dst", "value": "203.0.113.9"}}})
	secret := e.addEvent(bob, map[string]any{"info": "bob's secret", "distribution": "0", "Attribute": []any{
		map[string]any{"type": "domain", "value": "C2.example"}}})
	e.drainCorrelation(t)

	cases := []struct {
		name, key, event string
		want             []string
	}{
		{"site admin sees both", e.admin, shared, []string{secret, public}},
		{"alice does not see bob's secret event", alice, shared, []string{public}},
		{"bob sees alice's event from his secret one", bob, secret, []string{shared}},
	}
	for _, tc := range cases {
		got := relatedEventIDs(e.must(200, "GET", "/events/view/"+tc.event, tc.key, nil))
		if len(got) != len(tc.want) {
			t.Errorf("%s: got related %v, want %v", tc.name, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: got related %v, want %v", tc.name, got, tc.want)
			}
		}
	}

	// Granular correlations on the event and includeCorrelations on
	// attribute searches name only what the caller may see.
	view := e.must(200, "GET", "/events/view/"+shared+"/includeGranularCorrelations:1", alice, nil)
	for _, at := range get(view, "Event", "Attribute").([]any) {
		rel, _ := get(at, "RelatedAttribute").([]any)
		switch get(at, "value") {
		case "c2.example":
			if len(rel) != 0 {
				t.Errorf("alice sees %v related to c2.example", rel)
			}
		case "203.0.113.9":
			if len(rel) != 1 || get(rel[0], "event_id") != public {
				t.Errorf("got related %v for the ip, want bob's public event", rel)
			}
		}
	}
	for _, tc := range []struct {
		name, key string
		want      int
	}{{"alice", alice, 0}, {"admin", e.admin, 1}} {
		out := e.must(200, "POST", "/attributes/restSearch", tc.key, map[string]any{
			"value": "c2.example", "type": "domain", "eventid": shared, "includeCorrelations": 1})
		attrs := get(out, "response", "Attribute").([]any)
		if len(attrs) != 1 {
			t.Fatalf("%s: got %d attributes, want 1", tc.name, len(attrs))
		}
		rel, _ := get(attrs[0], "RelatedAttribute").([]any)
		if len(rel) != tc.want {
			t.Errorf("%s: got RelatedAttribute %v, want %d", tc.name, rel, tc.want)
		}
	}

	// Top lists and statistics count only what the caller sees.
	for _, tc := range []struct {
		name, key   string
		top, values int
	}{{"alice", alice, 1, 1}, {"admin", e.admin, 2, 2}} {
		_, out, _ := e.call("GET", "/correlations/top", tc.key, nil)
		if count(out) != tc.top {
			t.Errorf("%s: got top %v, want %d values", tc.name, out, tc.top)
		}
		st := e.must(200, "GET", "/correlations/stats", tc.key, nil)
		if got := get(st, "CorrelationStats", "correlating_values"); got != float64(tc.values) {
			t.Errorf("%s: got %v correlating values, want %d", tc.name, got, tc.values)
		}
	}
	e.must(400, "GET", "/correlations/top/limit:0", alice, nil)
}

func TestRestSearchIncludesRelatedEventsOnRequest(t *testing.T) {
	e := newEnv(t)
	a := e.addEvent(e.admin, map[string]any{"info": "a", "Attribute": []any{map[string]any{"type": "md5", "value": "0749bae92ca336a02c83d126e04ec628"}}})
	b := e.addEvent(e.admin, map[string]any{"info": "b", "Attribute": []any{map[string]any{"type": "md5", "value": "0749bae92ca336a02c83d126e04ec628"}}})
	lonely := e.addEvent(e.admin, map[string]any{"info": "c", "Attribute": []any{map[string]any{"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e"}}})
	e.drainCorrelation(t)
	if _, ok := get(e.must(200, "GET", "/events/view/"+lonely, e.admin, nil), "Event", "RelatedEvent").([]any); !ok {
		t.Error("an event without correlations: RelatedEvent is not a list")
	}
	for _, tc := range []struct {
		name string
		body map[string]any
		want int
	}{
		{"plain", map[string]any{"eventid": a}, 0},
		{"includeCorrelations", map[string]any{"eventid": a, "includeCorrelations": 1}, 1},
		{"includeEventCorrelations", map[string]any{"eventid": a, "includeEventCorrelations": true}, 1},
	} {
		out := e.must(200, "POST", "/events/restSearch", e.admin, tc.body)
		ev := get(out, "response", 0)
		if got := relatedEventIDs(ev); len(got) != tc.want || (tc.want == 1 && got[0] != b) {
			t.Errorf("%s: got related %v, want %d (event %s)", tc.name, got, tc.want, b)
		}
	}
}
