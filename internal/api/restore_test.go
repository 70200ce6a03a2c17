package api

import "testing"

func TestAttributeRestoreAndObjectDeleteID(t *testing.T) {
	e := newEnv(t)
	outsider := e.user("Outsider", 3)
	ev := e.must(200, "POST", "/events/add", e.admin, map[string]any{"Event": map[string]any{"info": "x", "distribution": "1",
		"Attribute": []any{map[string]any{"type": "domain", "value": "restore.example"}},
		"Object": []any{map[string]any{"name": "domain-ip", "Attribute": []any{
			map[string]any{"type": "ip-dst", "object_relation": "ip", "value": "192.0.2.8"}}}}}})
	attrID := get(ev, "Event", "Attribute", 0, "id").(string)
	objID := get(ev, "Event", "Object", 0, "id").(string)

	e.must(200, "POST", "/attributes/delete/"+attrID, e.admin, nil)
	e.must(404, "POST", "/attributes/restore/"+attrID, outsider, nil) // deleted items of another org are not shown
	out := e.must(200, "POST", "/attributes/restore/"+attrID, e.admin, nil)
	if get(out, "Attribute", "deleted") != false || get(out, "Attribute", "value") != "restore.example" {
		t.Errorf("restore: got %v, want the attribute back, not deleted", out)
	}
	view := e.must(200, "GET", "/events/view/"+get(ev, "Event", "id").(string), e.admin, nil)
	if n := count(get(view, "Event", "Attribute")); n != 1 {
		t.Errorf("after restore: got %d attributes in the event, want 1", n)
	}
	e.must(200, "POST", "/attributes/restore/"+attrID, e.admin, nil) // not deleted: answered as it is
	e.must(404, "POST", "/attributes/restore/999999", e.admin, nil)

	del := e.must(200, "POST", "/objects/delete/"+objID, e.admin, nil)
	if del["id"] != objID {
		t.Errorf("objects/delete: got id %v, want %s", del["id"], objID)
	}
}
