package api

import (
	"strings"
	"testing"
)

// addEvent stores an event as the key's user and returns its id.
func (e *env) addEvent(key string, ev map[string]any) string {
	e.t.Helper()
	out := e.must(200, "POST", "/events/add", key, map[string]any{"Event": ev})
	return get(out, "Event", "id").(string)
}

func TestSearchAndOverEveryFilter(t *testing.T) {
	e := newEnv(t)
	e.addEvent(e.admin, map[string]any{"info": "alpha only", "Tag": []any{map[string]any{"name": "tlp:green"}},
		"Attribute": []any{map[string]any{"type": "domain", "value": "alpha.example"}}})
	e.addEvent(e.admin, map[string]any{"info": "other", "Tag": []any{map[string]any{"name": "tlp:amber"}},
		"Attribute": []any{map[string]any{"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e"}}})
	cases := []struct {
		name   string
		filter map[string]any
		want   int
	}{
		{"value AND", map[string]any{"value": map[string]any{"AND": []any{"alpha.example", "beta.example"}}}, 0},
		{"value AND of one", map[string]any{"value": map[string]any{"AND": []any{"alpha.example"}}}, 1},
		{"tags AND", map[string]any{"tags": map[string]any{"AND": []any{"tlp:green", "tlp:amber"}}}, 0},
		{"tags AND unknown", map[string]any{"tags": map[string]any{"AND": []any{"tlp:green", "no-such-tag"}}}, 0},
		{"tags OR", map[string]any{"tags": []any{"tlp:green", "tlp:amber"}}, 2},
		{"type AND", map[string]any{"type": map[string]any{"AND": []any{"domain", "md5"}}}, 0},
		{"category AND", map[string]any{"category": map[string]any{"AND": []any{"Network activity", "Payload delivery"}}}, 0},
		{"org AND", map[string]any{"org": map[string]any{"AND": []any{"Host", "Nobody"}}}, 0},
		{"org unknown only", map[string]any{"org": "Nobody"}, 0},
		{"value OR", map[string]any{"value": []any{"alpha.example", "d41d8cd98f00b204e9800998ecf8427e"}}, 2},
		{"value NOT", map[string]any{"value": "!alpha.example"}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := e.must(200, "POST", "/events/restSearch", e.admin, tc.filter)
			if got := count(out["response"]); got != tc.want {
				t.Errorf("events/restSearch %v: got %d events, want %d", tc.filter, got, tc.want)
			}
		})
	}
	attr := e.must(200, "POST", "/attributes/restSearch", e.admin,
		map[string]any{"value": map[string]any{"AND": []any{"alpha.example", "beta.example"}}})
	if got := count(get(attr, "response", "Attribute")); got != 0 {
		t.Errorf("attributes/restSearch value AND: got %d attributes, want 0", got)
	}
}

func TestSearchNotTagSeesEventTags(t *testing.T) {
	e := newEnv(t)
	e.addEvent(e.admin, map[string]any{"info": "red", "Tag": []any{map[string]any{"name": "tlp:red"}},
		"Attribute": []any{map[string]any{"type": "md5", "value": "0749bae92ca336a02c83d126e04ec628"}}})
	e.addEvent(e.admin, map[string]any{"info": "clear",
		"Attribute": []any{map[string]any{"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e"}}})
	for _, filter := range []map[string]any{
		{"type": "md5", "tags": map[string]any{"NOT": []any{"tlp:red"}}},
		{"type": "md5", "tag": "!tlp:red"},
		{"type": "md5", "tags": []any{"!tlp:red"}},
	} {
		out := e.must(200, "POST", "/attributes/restSearch", e.admin, filter)
		attrs := get(out, "response", "Attribute")
		if count(attrs) != 1 || get(attrs, 0, "value") != "d41d8cd98f00b204e9800998ecf8427e" {
			t.Errorf("attributes/restSearch %v: got %v, want only the untagged md5", filter, attrs)
		}
	}
	out := e.must(200, "POST", "/events/restSearch", e.admin, map[string]any{"tags": "!tlp:red"})
	if got := count(out["response"]); got != 1 {
		t.Errorf("events/restSearch !tlp:red: got %d events, want 1", got)
	}
}

func TestSearchValueForms(t *testing.T) {
	e := newEnv(t)
	e.addEvent(e.admin, map[string]any{"info": "forms", "Attribute": []any{
		map[string]any{"type": "ip-src", "value": "2001:0db8:0000:0000:0000:0000:0000:0190"},
		map[string]any{"type": "ip-dst", "value": "192.0.2.143"},
		map[string]any{"type": "ip-src|port", "value": "192.0.2.7|8080"},
		map[string]any{"type": "ip-dst", "value": "192.0.3.1"},
		map[string]any{"type": "domain", "value": "bücher.example"},
		map[string]any{"type": "domain", "value": "a_b.example"},
	}})
	cases := []struct {
		query string
		want  []string
	}{
		{"2001:db8::190", []string{"2001:db8::190"}},
		{"2001:DB8:0:0:0:0:0:190", []string{"2001:db8::190"}},
		{"192.0.2.0/24", []string{"192.0.2.143", "192.0.2.7|8080"}},
		{"xn--bcher-kva.example", []string{"xn--bcher-kva.example"}},
		{"BÜCHER.example", []string{"xn--bcher-kva.example"}},
		{"bücher.example", []string{"xn--bcher-kva.example"}},
		{"a_b.example", []string{"a_b.example"}},
		{"192.0.2.7", []string{"192.0.2.7|8080"}},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			out := e.must(200, "POST", "/attributes/restSearch", e.admin, map[string]any{"value": tc.query})
			attrs := get(out, "response", "Attribute")
			got := map[string]bool{}
			for i := 0; i < count(attrs); i++ {
				got[get(attrs, i, "value").(string)] = true
			}
			if len(got) != len(tc.want) {
				t.Fatalf("value %q: got %v, want %v", tc.query, got, tc.want)
			}
			for _, w := range tc.want {
				if !got[w] {
					t.Errorf("value %q: got %v, want %v", tc.query, got, tc.want)
				}
			}
		})
	}
}

func TestObjectReferencesSurviveImportAndExport(t *testing.T) {
	e := newEnv(t)
	ev := map[string]any{"uuid": "8f3a1b2c-0000-4000-8000-000000000001", "info": "refs", "Attribute": []any{
		map[string]any{"uuid": "8f3a1b2c-0000-4000-8000-0000000000a1", "type": "ip-dst", "value": "198.51.100.7"}},
		"Object": []any{
			map[string]any{"uuid": "8f3a1b2c-0000-4000-8000-0000000000b1", "name": "file", "ObjectReference": []any{
				map[string]any{"referenced_uuid": "8f3a1b2c-0000-4000-8000-0000000000b2", "relationship_type": "drops"},
				map[string]any{"referenced_uuid": "8f3a1b2c-0000-4000-8000-0000000000a1", "relationship_type": "connects-to"},
			}, "Attribute": []any{map[string]any{"type": "filename", "object_relation": "filename", "value": "a.exe"}}},
			map[string]any{"uuid": "8f3a1b2c-0000-4000-8000-0000000000b2", "name": "file",
				"Attribute": []any{map[string]any{"type": "filename", "object_relation": "filename", "value": "b.dll"}}},
		}}
	e.addEvent(e.admin, ev)
	check := func(e *env) map[string]any {
		t.Helper()
		out := e.must(200, "GET", "/events/view/8f3a1b2c-0000-4000-8000-000000000001.json", e.admin, nil)
		refs := get(out, "Event", "Object", 0, "ObjectReference")
		if count(refs) != 2 {
			t.Fatalf("got %d references, want 2: %v", count(refs), refs)
		}
		want := map[string]string{"8f3a1b2c-0000-4000-8000-0000000000b2": "1", "8f3a1b2c-0000-4000-8000-0000000000a1": "0"}
		for i := 0; i < 2; i++ {
			u := get(refs, i, "referenced_uuid").(string)
			if got := get(refs, i, "referenced_type"); got != want[u] {
				t.Errorf("reference to %s: got referenced_type %v, want %s", u, got, want[u])
			}
			if get(refs, i, "referenced_id") == "0" {
				t.Errorf("reference to %s was not resolved to an id", u)
			}
		}
		return out
	}
	exported := check(e)
	other := newEnv(t)
	other.must(200, "POST", "/events/add", other.admin, exported)
	check(other)
}

func TestLooseAndBadInputInOneEvent(t *testing.T) {
	e := newEnv(t)
	out := e.must(200, "POST", "/events/add", e.admin, `{"Event": {"info": "loose", "published": "0",
		"distribution": "1", "threat_level_id": 2, "Attribute": [
		{"type": "ip-dst", "value": "198.51.100.300"},
		{"type": "ip", "value": "198.51.100.1"},
		{"type": "domain", "value": "good.example", "to_ids": "1", "deleted": "", "timestamp": "1557841985.827633"},
		{"type": "ip-src", "value": "198.51.100.9", "first_seen": "2020-02-01T00:00:00+00:00", "last_seen": "2020-01-01T00:00:00+00:00"},
		{"type": "md5", "value": "0749BAE92CA336A02C83D126E04EC628"}]}}`)
	attrs := get(out, "Event", "Attribute")
	if count(attrs) != 2 {
		t.Fatalf("got %d attributes stored, want 2: %v", count(attrs), attrs)
	}
	if got := get(attrs, 0, "timestamp"); got != "1557841985" {
		t.Errorf("got timestamp %v, want 1557841985", got)
	}
	if got := get(attrs, 0, "to_ids"); got != true {
		t.Errorf("got to_ids %v, want true", got)
	}
	if got := get(attrs, 1, "value"); got != "0749bae92ca336a02c83d126e04ec628" {
		t.Errorf("got md5 %v, want it lower-cased", got)
	}
	rejected := out["rejected"]
	wantFields := []string{"value", "type", "last_seen"}
	if count(rejected) != len(wantFields) {
		t.Fatalf("got %d rejections, want %d: %v", count(rejected), len(wantFields), rejected)
	}
	for i, f := range wantFields {
		if got := get(rejected, i, "field"); got != f {
			t.Errorf("rejection %d: got field %v, want %s (%v)", i, got, f, get(rejected, i))
		}
		if get(rejected, i, "reason") == "" {
			t.Errorf("rejection %d has no reason", i)
		}
	}
}

func TestEventWithoutInfoIsRefusedWhole(t *testing.T) {
	e := newEnv(t)
	out := e.must(403, "POST", "/events/add", e.admin, map[string]any{"Attribute": []any{
		map[string]any{"type": "md5", "value": "0749bae92ca336a02c83d126e04ec628"}}})
	if out["saved"] != false || get(out, "errors", "rejected", 0, "field") != "info" {
		t.Errorf("got %v, want a saveFail naming info", out)
	}
	idx := e.must(200, "POST", "/attributes/restSearch", e.admin, map[string]any{"value": "0749bae92ca336a02c83d126e04ec628"})
	if n := count(get(idx, "response", "Attribute")); n != 0 {
		t.Errorf("a refused event left %d attributes behind", n)
	}
}

func TestDuplicateValuesInOneEvent(t *testing.T) {
	e := newEnv(t)
	out := e.must(200, "POST", "/events/add", e.admin, map[string]any{"info": "dups", "Attribute": []any{
		map[string]any{"type": "ip-dst", "value": "10.55.0.1"}, map[string]any{"type": "ip-dst", "value": "10.55.0.1"}}})
	if n := count(get(out, "Event", "Attribute")); n != 1 {
		t.Errorf("got %d attributes, want the duplicate refused", n)
	}
	if get(out, "rejected", 0, "field") != "value" {
		t.Errorf("got rejections %v, want the duplicate value named", out["rejected"])
	}
}

func TestEmptyObjectIsRefused(t *testing.T) {
	e := newEnv(t)
	ev := e.addEvent(e.admin, map[string]any{"info": "objects"})
	e.must(403, "POST", "/objects/add/"+ev, e.admin, map[string]any{"Object": map[string]any{"name": "domain-ip", "Attribute": []any{}}})
	e.must(403, "POST", "/objects/add/"+ev, e.admin, map[string]any{"Object": map[string]any{"name": "domain-ip",
		"Attribute": []any{map[string]any{"type": "domain", "value": "x.example"}}}})
	view := e.must(200, "GET", "/events/view/"+ev, e.admin, nil)
	if n := count(get(view, "Event", "Object")); n != 0 {
		t.Errorf("got %d objects stored, want none", n)
	}
}

func TestEventSearchAttributeLevelFilters(t *testing.T) {
	e := newEnv(t)
	e.must(200, "POST", "/tags/add", e.admin, map[string]any{"name": "rs:c"})
	one := e.must(200, "POST", "/events/add", e.admin, map[string]any{"info": "RS-1", "Attribute": []any{
		map[string]any{"type": "ip-dst", "value": "10.0.0.1"}, map[string]any{"type": "domain", "value": "one.example"}}})
	e.addEvent(e.admin, map[string]any{"info": "RS-2", "Attribute": []any{
		map[string]any{"type": "ip-dst", "value": "10.0.0.2"},
		map[string]any{"type": "domain", "value": "two.example", "Tag": []any{map[string]any{"name": "rs:c"}}}}})
	e.addEvent(e.admin, map[string]any{"info": "RS-3", "Attribute": []any{map[string]any{"type": "ip-dst", "value": "10.0.0.3"}}})
	e.must(200, "POST", "/attributes/delete/"+get(one, "Event", "Attribute", 1, "id").(string), e.admin, nil)

	infos := func(filter map[string]any) map[string]int {
		t.Helper()
		out := e.must(200, "POST", "/events/restSearch", e.admin, filter)
		got := map[string]int{}
		for i := 0; i < count(out["response"]); i++ {
			got[get(out, "response", i, "Event", "info").(string)] = count(get(out, "response", i, "Event", "Attribute"))
		}
		return got
	}
	cases := []struct {
		name   string
		filter map[string]any
		want   map[string]int // info -> attributes shown
	}{
		{"type NOT keeps events with other types", map[string]any{"type": map[string]any{"NOT": []any{"ip-dst"}}},
			map[string]int{"RS-2": 2}},
		{"deleted only", map[string]any{"deleted": "only"}, map[string]int{"RS-1": 1}},
		{"tag NOT strips the tagged attribute", map[string]any{"tags": map[string]any{"NOT": []any{"rs:c"}}},
			map[string]int{"RS-1": 1, "RS-2": 1, "RS-3": 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := infos(tc.filter)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for info, n := range tc.want {
				if got[info] != n {
					t.Errorf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestAddTagCreatesOrExplains(t *testing.T) {
	e := newEnv(t)
	ev := e.addEvent(e.admin, map[string]any{"info": "tagging"})
	user := e.user("Taggers", 3) // perm_tagger but not perm_tag_editor
	mine := e.addEvent(user, map[string]any{"info": "mine"})
	cases := []struct {
		name, key, event, tag string
		saved                 bool
		reason                string
	}{
		{"new free tag is created", e.admin, ev, "newfree:tag", true, ""},
		{"unknown value of an enabled taxonomy", e.admin, ev, "tlp:bogus", false, "tlp"},
		{"a user who may not create tags", user, mine, "brand:new", false, "may not create tags"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := e.must(200, "POST", "/events/addTag", tc.key, map[string]any{"event": tc.event, "tag": tc.tag})
			if out["saved"] != tc.saved {
				t.Fatalf("got %v, want saved=%v", out, tc.saved)
			}
			if reason, _ := out["errors"].(string); !tc.saved && !strings.Contains(reason, tc.reason) {
				t.Errorf("got reason %q, want it to mention %q", reason, tc.reason)
			}
		})
	}
}

// TestWrongFormsAreRejectedByField sends values of the wrong form in every
// kind of item, and wants each item rejected with its field and uuid, the
// rest of the event saved.
func TestWrongFormsAreRejectedByField(t *testing.T) {
	e := newEnv(t)
	const u = "5758ebf5-c898-48e6-9fe9-5665c0a83866"
	out := e.must(200, "POST", "/events/add", e.admin, `{"Event": {"info": "x",
		"Tag": [{"name": "tlp:green"}, {"name": "tlp:red", "local": "often"}],
		"Galaxy": [{"GalaxyCluster": [{"tag_name": "misp-galaxy:x=\"y\"", "local": "?"}]}],
		"EventReport": [{"name": "r", "distribution": "wide"}],
		"Attribute": [
			{"uuid": "`+u+`", "type": "ip-dst", "value": "1.2.3.4", "to_ids": "maybe"},
			{"type": "domain", "value": "good.example", "Tag": [{"name": "x", "exportable": []}],
				"Sighting": [{"type": "seen"}]},
			{"type": "md5", "value": "0749bae92ca336a02c83d126e04ec628", "comment": {"a": 1}}],
		"Object": [
			{"name": "domain-ip", "meta-category": "network", "timestamp": "noon",
				"Attribute": [{"type": "ip-dst", "object_relation": "ip", "value": "198.51.100.7"}]},
			{"name": "domain-ip", "meta-category": "network",
				"Attribute": [{"type": "ip-dst", "object_relation": "ip", "value": "198.51.100.8", "distribution": "far"},
					{"type": "domain", "object_relation": "domain", "value": "obj.example"}],
				"ObjectReference": [{"referenced_uuid": "`+u+`", "relationship_type": "x", "deleted": "no way"}]}]}}`)
	want := map[string][2]string{ // item: field, uuid
		"Attribute[0]":                 {"to_ids", u},
		"Attribute[2]":                 {"comment", ""},
		"Attribute[1].Tag[0]":          {"exportable", ""},
		"Attribute[1].Sighting[0]":     {"type", ""},
		"Object[0]":                    {"timestamp", ""},
		"Object[1].Attribute[0]":       {"distribution", ""},
		"Object[1].ObjectReference[0]": {"deleted", ""},
		"EventReport[0]":               {"distribution", ""},
		"Tag[1]":                       {"local", ""},
		"Galaxy[0].GalaxyCluster[0]":   {"local", ""},
	}
	rejected := out["rejected"]
	if count(rejected) != len(want) {
		t.Errorf("got %d rejections, want %d: %v", count(rejected), len(want), rejected)
	}
	for i := range count(rejected) {
		item, _ := get(rejected, i, "item").(string)
		w, ok := want[item]
		if !ok {
			t.Errorf("got rejection %v, want none for %s", get(rejected, i), item)
			continue
		}
		uuid, _ := get(rejected, i, "uuid").(string)
		if get(rejected, i, "field") != w[0] || uuid != w[1] || get(rejected, i, "reason") == "" {
			t.Errorf("%s: got %v, want field %s, uuid %q and a reason", item, get(rejected, i), w[0], w[1])
		}
	}
	if got := count(get(out, "Event", "Attribute")); got != 1 {
		t.Errorf("got %d attributes stored, want the good domain alone", got)
	}
}

// TestWrongFormOfAnEventFieldIsNamed wants a 400 naming the field's path
// when an event field has the wrong form, which refuses the event whole.
func TestWrongFormOfAnEventFieldIsNamed(t *testing.T) {
	e := newEnv(t)
	cases := []struct{ name, body, want string }{
		{"wrapped", `{"Event": {"info": "x", "distribution": "abc"}}`, `Event.distribution: "abc" is not a number`},
		{"bare", `{"info": "x", "published": "maybe"}`, `published: "maybe" is not a boolean`},
		{"creator", `{"Event": {"info": "x", "Orgc": {"name": ["a"]}}}`, `Event.Orgc.name: expected a scalar, got a list`},
		{"attributes not a list", `{"Event": {"info": "x", "Attribute": 3}}`, `Event.Attribute: expected a list, got 3`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := e.must(400, "POST", "/events/add", e.admin, tc.body)
			msg, _ := out["message"].(string)
			if !strings.Contains(msg, tc.want) || out["name"] == nil || out["url"] == nil {
				t.Errorf("got %v, want a MISP error whose message holds %s", out, tc.want)
			}
		})
	}
}
