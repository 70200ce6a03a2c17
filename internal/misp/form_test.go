package misp

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestWrongFormsOfTheEventNameTheirField(t *testing.T) {
	cases := []struct {
		name, doc     string
		field, reason string
	}{
		{"text for a number", `{"info": "x", "distribution": "abc"}`, "distribution", `"abc" is not a number`},
		{"text for a boolean", `{"published": "maybe"}`, "published", `"maybe" is not a boolean`},
		{"an object for text", `{"info": {"a": 1}}`, "info", "expected a scalar, got an object"},
		{"a word for the analysis", `{"analysis": "unknown"}`, "analysis", `"unknown" is not a number`},
		{"the creator's id", `{"Orgc": {"id": "x"}}`, "Orgc.id", `"x" is not a number`},
		{"a number for a uuid", `{"uuid": 5}`, "uuid", "got a JSON number, want text"},
		{"a list that is not one", `{"Attribute": "x"}`, "Attribute", `expected a list, got "x"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, wrap := range []bool{false, true} {
				doc, target, field := tc.doc, any(&Event{}), tc.field
				if wrap {
					doc, target, field = `{"Event": `+tc.doc+`}`, &struct {
						Event *Event `json:"Event"`
					}{}, "Event."+tc.field
				}
				err := DecodeError(json.Unmarshal([]byte(doc), target))
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Field != field || fe.Reason != tc.reason {
					t.Errorf("wrapped %v: got %v, want a FieldError %s: %s", wrap, err, field, tc.reason)
				}
			}
		})
	}
}

func TestWrongFormsOfAnItemNameTheirField(t *testing.T) {
	const u = "5758ebf5-c898-48e6-9fe9-5665c0a83866"
	first := func(l List[Attribute]) []ItemError { return l.Bad }
	cases := []struct {
		name, doc string
		bad       func(e *Event) []ItemError
		field     string
		reason    string
		uuid      string
	}{
		{"attribute boolean", `{"Attribute": [{"type": "md5"}, {"uuid": "` + u + `", "to_ids": "maybe"}]}`,
			func(e *Event) []ItemError { return first(e.Attribute) }, "to_ids", `"maybe" is not a boolean`, u},
		{"attribute number", `{"Attribute": [{"distribution": "far"}]}`,
			func(e *Event) []ItemError { return first(e.Attribute) }, "distribution", `"far" is not a number`, ""},
		{"attribute text", `{"Attribute": [{"value": ["a"]}]}`,
			func(e *Event) []ItemError { return first(e.Attribute) }, "value", "expected a scalar, got a list", ""},
		{"attribute first_seen", `{"Attribute": [{"first_seen": "soon"}]}`,
			func(e *Event) []ItemError { return first(e.Attribute) }, "first_seen", "", ""},
		{"attribute tags not a list", `{"Attribute": [{"Tag": 3}]}`,
			func(e *Event) []ItemError { return first(e.Attribute) }, "Tag", "expected a list, got 3", ""},
		{"attribute not an object", `{"Attribute": [7]}`,
			func(e *Event) []ItemError { return first(e.Attribute) }, "", "got a JSON number, want an object", ""},
		{"object", `{"Object": [{"uuid": "` + u + `", "deleted": "perhaps"}]}`,
			func(e *Event) []ItemError { return e.Object.Bad }, "deleted", `"perhaps" is not a boolean`, u},
		{"object's attribute", `{"Object": [{"Attribute": [{"to_ids": 2.5e400}]}]}`,
			func(e *Event) []ItemError { return e.Object.Items[0].Attribute.Bad }, "to_ids", "", ""},
		{"object reference", `{"Object": [{"ObjectReference": [{"uuid": "` + u + `", "timestamp": "noon"}]}]}`,
			func(e *Event) []ItemError { return e.Object.Items[0].ObjectReference.Bad }, "timestamp",
			`"noon" is not a number`, u},
		{"event tag", `{"Tag": [{"name": "x", "local": "often"}]}`,
			func(e *Event) []ItemError { return e.Tag.Bad }, "local", `"often" is not a boolean`, ""},
		{"attribute tag", `{"Attribute": [{"Tag": [{"name": "x", "exportable": []}]}]}`,
			func(e *Event) []ItemError { return e.Attribute.Items[0].Tag.Bad }, "exportable",
			"expected a scalar, got a list", ""},
		{"sighting", `{"Attribute": [{"Sighting": [{"type": "seen"}]}]}`,
			func(e *Event) []ItemError { return e.Attribute.Items[0].Sighting.Bad }, "type", `"seen" is not a number`, ""},
		{"sighting's organisation", `{"Attribute": [{"Sighting": [{"Organisation": {"local": "x"}}]}]}`,
			func(e *Event) []ItemError { return e.Attribute.Items[0].Sighting.Bad }, "Organisation.local",
			`"x" is not a boolean`, ""},
		{"report", `{"EventReport": [{"uuid": "` + u + `", "distribution": "wide"}]}`,
			func(e *Event) []ItemError { return e.EventReport.Bad }, "distribution", `"wide" is not a number`, u},
		{"galaxy cluster", `{"Galaxy": [{"GalaxyCluster": [{"tag_name": "x", "local": "?"}]}]}`,
			func(e *Event) []ItemError { return e.Galaxy.Items[0].GalaxyCluster.Bad }, "local", `"?" is not a boolean`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var e Event
			if err := json.Unmarshal([]byte(tc.doc), &e); err != nil {
				t.Fatalf("got %v, want the event read with the item set aside", err)
			}
			bad := tc.bad(&e)
			if len(bad) != 1 {
				t.Fatalf("got bad items %+v, want one", bad)
			}
			b := bad[0]
			if b.Field != tc.field || tc.reason != "" && b.Err.Error() != tc.reason || b.UUID != tc.uuid {
				t.Errorf("got field %q, reason %q, uuid %q, want %q, %q, %q", b.Field, b.Err, b.UUID,
					tc.field, tc.reason, tc.uuid)
			}
		})
	}
}
