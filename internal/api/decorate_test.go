package api

import (
	"fmt"
	"slices"
	"testing"
)

// knowledgeEvent stores an event with three warninglisted values (one in
// an object), a hash, and galaxy tags on the event and on the hash; it
// returns the event id.
func knowledgeEvent(t *testing.T, e *env) string {
	t.Helper()
	out := e.must(200, "POST", "/events/add", e.admin, map[string]any{"info": "knowledge",
		"Tag": []any{map[string]any{"name": `misp-galaxy:threat-actor="Granite Heron"`},
			map[string]any{"name": "tlp:amber"}},
		"Attribute": []any{
			map[string]any{"type": "ip-dst", "value": "192.0.2.1"},
			map[string]any{"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e",
				"Tag": []any{map[string]any{"name": `misp-galaxy:sector="Energy"`}}},
			map[string]any{"type": "domain", "value": "login.example.com"}},
		"Object": []any{map[string]any{"name": "ip-port", "Attribute": []any{
			map[string]any{"type": "ip-dst", "object_relation": "ip", "value": "198.51.100.3"}}}}})
	if r := rejectedText(out); r != "" {
		t.Fatalf("events/add: got rejections %q", r)
	}
	return get(out, "Event", "id").(string)
}

// valuesOf lists attribute values with their warninglist names, sorted:
// "value" or "value!list".
func valuesOf(attrs any) []string {
	var out []string
	for _, a := range asList(attrs) {
		v := fmt.Sprint(get(a, "value"))
		if w := get(a, "warnings", 0, "warninglist_name"); w != nil {
			v += "!" + fmt.Sprint(w)
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

func TestWarninglistsOnAttributes(t *testing.T) {
	e, _ := newKnowledgeEnv(t)
	id := knowledgeEvent(t, e)
	const (
		docs  = "!Cairn: IPv4 documentation ranges (RFC 5737)"
		names = "!Cairn: example and reserved domain names (RFC 2606, RFC 6761)"
		hash  = "d41d8cd98f00b204e9800998ecf8427e"
	)
	cases := []struct {
		name, path string
		body       map[string]any
		attrs      []any // path to the attribute list in the answer
		want       []string
	}{
		{"attribute hits", "/attributes/restSearch", map[string]any{"eventid": id, "includeWarninglistHits": 1},
			[]any{"response", "Attribute"},
			[]string{"192.0.2.1" + docs, "198.51.100.3" + docs, hash, "login.example.com" + names}},
		{"attributes enforced", "/attributes/restSearch", map[string]any{"eventid": id, "enforceWarninglist": true},
			[]any{"response", "Attribute"}, []string{hash}},
		{"attributes plain", "/attributes/restSearch", map[string]any{"eventid": id},
			[]any{"response", "Attribute"}, []string{"192.0.2.1", "198.51.100.3", hash, "login.example.com"}},
		{"event hits", "/events/restSearch", map[string]any{"eventid": id, "includeWarninglistHits": "1"},
			[]any{"response", 0, "Event", "Attribute"}, []string{"192.0.2.1" + docs, hash, "login.example.com" + names}},
		{"event enforced", "/events/restSearch", map[string]any{"eventid": id, "enforceWarninglist": 1},
			[]any{"response", 0, "Event", "Attribute"}, []string{hash}},
		{"event object enforced", "/events/restSearch", map[string]any{"eventid": id, "enforceWarninglist": 1},
			[]any{"response", 0, "Event", "Object", 0, "Attribute"}, nil},
		{"view hits", "/events/view/" + id + "/includeWarninglistHits:1", nil,
			[]any{"Event", "Object", 0, "Attribute"}, []string{"198.51.100.3" + docs}},
		{"view plain", "/events/view/" + id, nil,
			[]any{"Event", "Attribute"}, []string{"192.0.2.1", hash, "login.example.com"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method := "POST"
			if tc.body == nil {
				method = "GET"
			}
			status, out, _ := e.call(method, tc.path, e.admin, tc.body)
			if status != 200 {
				t.Fatalf("got status %d: %v", status, out)
			}
			if get(out, tc.attrs...) == nil {
				t.Fatalf("got %v, want an attribute list at %v", out, tc.attrs)
			}
			if got := valuesOf(get(out, tc.attrs...)); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}

	out := e.must(200, "POST", "/attributes/restSearch", e.admin, map[string]any{"value": "192.0.2.1",
		"includeWarninglistHits": 1})
	hit := get(out, "response", "Attribute", 0, "warnings", 0)
	want := map[string]any{"value": "192.0.2.1", "match": "192.0.2.0/24", "warninglist_id": "1",
		"warninglist_name": "Cairn: IPv4 documentation ranges (RFC 5737)", "warninglist_category": "false_positive"}
	if fmt.Sprint(hit) != fmt.Sprint(want) {
		t.Errorf("got warning %v, want %v", hit, want)
	}
}

func TestGalaxiesInEventOutput(t *testing.T) {
	e, _ := newKnowledgeEnv(t)
	id := knowledgeEvent(t, e)
	cases := []struct {
		name, method, path string
		body               any
		event              []any // path to the event in the answer
		wantEvent          string
		wantHash           string // galaxy cluster of the md5 attribute
	}{
		{"view", "GET", "/events/view/" + id, nil, []any{"Event"}, "Granite Heron", "Energy"},
		{"restSearch", "POST", "/events/restSearch", map[string]any{"eventid": id},
			[]any{"response", 0, "Event"}, "Granite Heron", "Energy"},
		{"view without galaxies", "GET", "/events/view/" + id + "/excludeGalaxy:1", nil, []any{"Event"}, "", ""},
		{"restSearch without galaxies", "POST", "/events/restSearch", map[string]any{"eventid": id,
			"excludeGalaxy": 1}, []any{"response", 0, "Event"}, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, out, _ := e.call(tc.method, tc.path, e.admin, tc.body)
			if status != 200 {
				t.Fatalf("got status %d: %v", status, out)
			}
			ev := get(out, tc.event...)
			galaxies := asList(get(ev, "Galaxy"))
			if galaxies == nil {
				t.Fatalf("got Galaxy %v, want a list", get(ev, "Galaxy"))
			}
			if got := clusterValue(galaxies); got != tc.wantEvent {
				t.Errorf("event: got cluster %q, want %q", got, tc.wantEvent)
			}
			var hashGalaxy []any
			for _, a := range asList(get(ev, "Attribute")) {
				if get(a, "type") == "md5" {
					hashGalaxy = asList(get(a, "Galaxy"))
				}
			}
			if got := clusterValue(hashGalaxy); got != tc.wantHash {
				t.Errorf("md5 attribute: got cluster %q, want %q", got, tc.wantHash)
			}
		})
	}
}

// clusterValue is the value of the first cluster of a Galaxy list, or "".
func clusterValue(galaxies []any) string {
	if v := get(galaxies, 0, "GalaxyCluster", 0, "value"); v != nil {
		return fmt.Sprint(v)
	}
	return ""
}
