package api

import (
	"testing"
)

func TestEditIgnoresAnotherEventsAttributeID(t *testing.T) {
	e := newEnv(t)
	victim := e.must(200, "POST", "/events/add", e.admin, map[string]any{"Event": map[string]any{"info": "victim",
		"Attribute": []any{map[string]any{"type": "domain", "value": "victim.example"}}}})
	victimAttrID := get(victim, "Event", "Attribute", 0, "id").(string)
	victimAttrUUID := get(victim, "Event", "Attribute", 0, "uuid").(string)
	mine := e.addEvent(e.admin, map[string]any{"info": "mine"})

	// An edit of "mine" naming the victim's attribute by numeric id: the id
	// is ignored and a new attribute is created in "mine".
	e.must(200, "POST", "/events/edit/"+mine, e.admin, map[string]any{"Event": map[string]any{
		"Attribute": []any{map[string]any{"id": victimAttrID, "type": "domain", "value": "changed.example"}}}})
	// Naming it by uuid is refused for that item.
	out := e.must(200, "POST", "/events/edit/"+mine, e.admin, map[string]any{"Event": map[string]any{
		"Attribute": []any{map[string]any{"uuid": victimAttrUUID, "type": "domain", "value": "stolen.example"}}}})
	if get(out, "rejected", 0, "field") != "uuid" {
		t.Errorf("got %v, want the attribute rejected for its uuid", out["rejected"])
	}
	at := e.must(200, "GET", "/attributes/view/"+victimAttrID, e.admin, nil)
	if got := get(at, "Attribute", "value"); got != "victim.example" {
		t.Errorf("victim attribute: got value %v, want victim.example", got)
	}
	if got := get(at, "Attribute", "event_id"); got != get(victim, "Event", "id") {
		t.Errorf("victim attribute moved to event %v", got)
	}
}

func TestSharingGroupMustBeUsable(t *testing.T) {
	e := newEnv(t)
	outsider := e.user("Outsider", 3)
	a, err := e.st.CLIActor(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	sgStore, err := e.st.CreateSharingGroup(t.Context(), a, sgInput("host only"))
	if err != nil {
		t.Fatal(err)
	}
	sg := itoa(sgStore)
	for name, ev := range map[string]map[string]any{
		"event with distribution 1": {"info": "x", "distribution": "1", "sharing_group_id": sg},
		"event with distribution 4": {"info": "x", "distribution": "4", "sharing_group_id": sg},
	} {
		out := e.must(403, "POST", "/events/add", outsider, map[string]any{"Event": ev})
		if get(out, "errors", "rejected", 0, "field") != "sharing_group_id" {
			t.Errorf("%s: got %v, want a refusal naming sharing_group_id", name, out)
		}
	}
	ev := e.addEvent(outsider, map[string]any{"info": "ok", "Attribute": []any{
		map[string]any{"type": "md5", "value": "0749bae92ca336a02c83d126e04ec628", "distribution": "1", "sharing_group_id": sg}}})
	view := e.must(200, "GET", "/events/view/"+ev, outsider, nil)
	if n := count(get(view, "Event", "Attribute")); n != 0 {
		t.Errorf("an attribute with an unusable sharing group was stored (%d attributes)", n)
	}
}

func TestNonAdminCannotSetOrgc(t *testing.T) {
	e := newEnv(t)
	user := e.user("Utility A", 3)
	e.user("Utility B", 3)
	out := e.must(200, "POST", "/events/add", user, map[string]any{"Event": map[string]any{"info": "spoof",
		"Orgc": map[string]any{"name": "Utility B"}, "orgc_id": "1"}})
	if got := get(out, "Event", "Orgc", "name"); got != "Utility A" {
		t.Errorf("got Orgc %v, want the user's own organisation", got)
	}
	admin := e.must(200, "POST", "/events/add", e.admin, map[string]any{"Event": map[string]any{"info": "on behalf",
		"Orgc": map[string]any{"name": "Utility B"}}})
	if got := get(admin, "Event", "Orgc", "name"); got != "Utility B" {
		t.Errorf("site admin: got Orgc %v, want Utility B", got)
	}
}

func TestAccessFilter(t *testing.T) {
	e := newEnv(t)
	a := e.user("Org A", 3)
	b := e.user("Org B", 3)
	private := e.addEvent(a, map[string]any{"info": "org only", "distribution": "0",
		"Attribute": []any{map[string]any{"type": "domain", "value": "private.example"}}})
	shared := e.addEvent(a, map[string]any{"info": "community", "distribution": "1", "Attribute": []any{
		map[string]any{"type": "domain", "value": "public.example"},
		map[string]any{"type": "domain", "value": "secret.example", "distribution": "0"}}})

	e.must(404, "GET", "/events/view/"+private, b, nil)
	if status, _, _ := e.call("HEAD", "/events/view/"+private, b, nil); status != 404 {
		t.Errorf("HEAD on an invisible event: got %d, want 404", status)
	}
	view := e.must(200, "GET", "/events/view/"+shared, b, nil)
	if n := count(get(view, "Event", "Attribute")); n != 1 {
		t.Errorf("org B sees %d attributes of the community event, want 1", n)
	}
	for _, v := range []string{"private.example", "secret.example"} {
		out := e.must(200, "POST", "/attributes/restSearch", b, map[string]any{"value": v})
		if n := count(get(out, "response", "Attribute")); n != 0 {
			t.Errorf("org B finds %s through attributes/restSearch", v)
		}
		ev := e.must(200, "POST", "/events/restSearch", b, map[string]any{"value": v})
		if n := count(ev["response"]); n != 0 {
			t.Errorf("org B finds %s through events/restSearch", v)
		}
	}
	_, idx, _ := e.call("GET", "/events/index", b, nil)
	if n := count(idx); n != 1 {
		t.Errorf("org B's events/index lists %d events, want 1", n)
	}
	out := e.must(200, "POST", "/attributes/restSearch", a, map[string]any{"value": "secret.example"})
	if n := count(get(out, "response", "Attribute")); n != 1 {
		t.Errorf("org A does not find its own distribution-0 attribute")
	}
	e.must(403, "POST", "/events/edit/"+shared, b, map[string]any{"info": "hijacked"})
	e.must(403, "POST", "/events/delete/"+shared, b, nil)
}

func TestLifecycle(t *testing.T) {
	e := newEnv(t)
	id := e.addEvent(e.admin, map[string]any{"uuid": "5f7c0d1e-0000-4000-8000-00000000abcd", "info": "life",
		"Attribute": []any{map[string]any{"type": "url", "value": "http://198.51.100.7/a"}}})
	e.must(200, "POST", "/events/publish/"+id, e.admin, nil)
	view := e.must(200, "GET", "/events/view/"+id, e.admin, nil)
	if get(view, "Event", "published") != true || get(view, "Event", "publish_timestamp") == "0" {
		t.Fatalf("publish: got %v", view["Event"])
	}
	edited := e.must(200, "POST", "/events/edit/"+id, e.admin, map[string]any{"info": "life, edited"})
	if get(edited, "Event", "published") != false {
		t.Errorf("an edit did not unpublish the event")
	}
	if get(edited, "Event", "publish_timestamp") != get(view, "Event", "publish_timestamp") {
		t.Errorf("an edit changed publish_timestamp")
	}
	e.must(403, "POST", "/events/edit/"+id, e.admin, map[string]any{"info": "stale", "timestamp": "1000"})
	status, _, hdr := e.call("POST", "/events/add", e.admin, map[string]any{"uuid": "5f7c0d1e-0000-4000-8000-00000000abcd", "info": "again"})
	if status != 404 || hdr.Get("Location") != "/events/view/"+id {
		t.Errorf("add with a known uuid: got %d Location %q, want 404 and /events/view/%s", status, hdr.Get("Location"), id)
	}
	e.must(200, "POST", "/events/delete/"+id, e.admin, nil)
	e.must(404, "GET", "/events/view/"+id, e.admin, nil)
}

func TestAuthFailuresAndBadRequests(t *testing.T) {
	e := newEnv(t)
	for _, key := range []string{"", "short", "0000000000000000000000000000000000000000"} {
		out := e.must(403, "GET", "/users/view/me", key, nil)
		if out["message"] == nil || out["url"] != "/users/view/me" {
			t.Errorf("key %q: got %v, want MISP's authentication envelope", key, out)
		}
	}
	e.must(400, "POST", "/events/add", e.admin, `{"info": `)
	e.must(400, "GET", "/attributes/restSearch", e.admin, nil)
	e.must(400, "POST", "/attributes/restSearch", e.admin, map[string]any{"limit": -1})
	e.must(404, "GET", "/nothing/here", e.admin, nil)
	e.must(405, "GET", "/events/add", e.admin, nil)

	ro := e.must(200, "POST", "/auth_keys/add/me", e.admin, map[string]any{"read_only": 1})
	roKey := get(ro, "AuthKey", "authkey_raw").(string)
	e.must(200, "GET", "/users/view/me", roKey, nil)
	e.must(403, "POST", "/events/add", roKey, map[string]any{"info": "x"})
}

func TestTagCountsFollowTheAccessFilter(t *testing.T) {
	e := newEnv(t)
	owner := e.user("Owner Org", 3)
	other := e.user("Other Org", 3)
	for _, name := range []string{"acl:event", "acl:attr"} {
		e.must(200, "POST", "/tags/add", e.admin, map[string]any{"name": name})
	}
	e.addEvent(owner, map[string]any{"info": "private", "distribution": "0", "Tag": []any{map[string]any{"name": "acl:event"}},
		"Attribute": []any{map[string]any{"type": "md5", "value": "0749bae92ca336a02c83d126e04ec628", "Tag": []any{map[string]any{"name": "acl:attr"}}}}})
	e.addEvent(owner, map[string]any{"info": "community", "distribution": "1", "Attribute": []any{
		map[string]any{"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e", "distribution": "0", "Tag": []any{map[string]any{"name": "acl:attr"}}}}})
	counts := func(key string) map[string][2]float64 {
		out := e.must(200, "GET", "/tags/index", key, nil)
		m := map[string][2]float64{}
		for i := 0; i < count(out["Tag"]); i++ {
			tag := get(out, "Tag", i)
			m[get(tag, "name").(string)] = [2]float64{get(tag, "count").(float64), get(tag, "attribute_count").(float64)}
		}
		return m
	}
	if got := counts(owner); got["acl:event"] != [2]float64{1, 0} || got["acl:attr"] != [2]float64{0, 2} {
		t.Errorf("owner: got %v, want acl:event 1 event and acl:attr 2 attributes", got)
	}
	if got := counts(other); got["acl:event"] != [2]float64{0, 0} || got["acl:attr"] != [2]float64{0, 0} {
		t.Errorf("other organisation: got %v, want zero counts", got)
	}
}

func TestSharingGroupsThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	member := e.user("Member Org", 4)
	outsider := e.user("Outsider Org", 4)
	out := e.must(403, "POST", "/events/add", e.admin, map[string]any{"info": "x", "distribution": 4, "sharing_group_id": 999})
	if get(out, "errors", "rejected", 0, "field") != "sharing_group_id" {
		t.Errorf("site admin with a sharing group that does not exist: got %v", out)
	}
	sg := e.must(200, "POST", "/sharing_groups/add", e.admin, map[string]any{"name": "utilities"})
	sgID := get(sg, "SharingGroup", "id").(string)
	e.must(200, "POST", "/sharing_groups/addOrg/"+sgID+"/Member Org", e.admin, nil)
	ev := e.addEvent(e.admin, map[string]any{"info": "for members", "distribution": 4, "sharing_group_id": sgID})
	e.must(200, "GET", "/events/view/"+ev, member, nil)
	e.must(404, "GET", "/events/view/"+ev, outsider, nil)
	_, list, _ := e.call("GET", "/sharing_groups/index", member, nil)
	if n := count(get(list, "response")); n != 1 {
		t.Errorf("member sees %d sharing groups, want 1", n)
	}
	_, list, _ = e.call("GET", "/sharing_groups/index", outsider, nil)
	if n := count(get(list, "response")); n != 0 {
		t.Errorf("outsider sees %d sharing groups, want 0", n)
	}
	e.must(200, "POST", "/sharing_groups/removeOrg/"+sgID+"/Member Org", e.admin, nil)
	e.must(404, "GET", "/events/view/"+ev, member, nil)
	e.must(403, "POST", "/sharing_groups/delete/"+sgID, e.admin, nil) // still used by the event
}
