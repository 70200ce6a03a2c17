package store

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestAttributeJSON checks the hand-written encoder against encoding/json:
// both must decode to the same document, for awkward strings too.
func TestAttributeJSON(t *testing.T) {
	rel, first := "filename", int64(1559513668711954)
	strs := []string{"plain", `quote " and \ backslash`, "line\nbreak\ttab\rcr", "ctl \x01\x1f", "bad utf8 \xff\xfe",
		"日本語のテキスト", "sep \u2028 \u2029", "<html>&amp;</html>", ""}
	for _, s := range strs {
		a := Attribute{ID: 7, EventID: 3, ObjectID: 2, ObjectRelation: &rel, UUID: "u", Type: "text", Category: "Other",
			Value1: s, ToIDS: true, Distribution: 5, Comment: s, Timestamp: 1700000000, FirstSeen: &first,
			Tag:   []Tag{{ID: 1, Name: s}},
			Event: &AttributeEvent{ID: 3, Info: s, UUID: "e"}}
		got, err := a.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(got) {
			t.Fatalf("%q: invalid JSON %s", s, got)
		}
		var gotDoc, wantDoc map[string]any
		if err := json.Unmarshal(got, &gotDoc); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"id": "7", "event_id": "3", "object_id": "2", "object_relation": rel, "category": "Other",
			"type": "text", "value": s, "to_ids": true, "uuid": "u", "timestamp": "1700000000", "distribution": "5",
			"sharing_group_id": "0", "comment": s, "deleted": false, "disable_correlation": false,
			"first_seen": "2019-06-02T22:14:28.711954+00:00", "last_seen": nil, "Tag": a.Tag, "Event": a.Event}
		raw, _ := json.Marshal(want)
		_ = json.Unmarshal(raw, &wantDoc)
		if !reflect.DeepEqual(gotDoc, wantDoc) {
			t.Errorf("%q:\ngot  %s\nwant %s", s, got, raw)
		}
	}
}
