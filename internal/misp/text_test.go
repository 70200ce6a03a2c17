package misp

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestTextFaultsNameTheirField(t *testing.T) {
	cases := []struct {
		name, doc     string
		field, reason string // "" for a document that decodes
	}{
		{"NUL in the info", `{"info": "a\u0000b"}`, "info", ReasonNUL},
		{"NUL in the creator's name", `{"info": "x", "Orgc": {"name": "\u0000"}}`, "Orgc.name", ReasonNUL},
		{"NUL in an attribute's comment", `{"info": "x", "Attribute": [{"type": "domain", "value": "a.example"},
			{"type": "domain", "value": "b.example", "comment": "nul\u0000?"}]}`, "Attribute[1].comment", ReasonNUL},
		{"one attribute where a list is expected", `{"Attribute": {"type": "text", "value": "\u0000"}}`,
			"Attribute[0].value", ReasonNUL},
		{"NUL in a tag of an object's attribute", `{"Object": [{"name": "file", "Attribute": [{"type": "md5"},
			{"type": "text", "Tag": [{"name": "tlp:white\u0000"}]}]}]}`, "Object[0].Attribute[1].Tag[0].name", ReasonNUL},
		{"NUL in a reference", `{"Object": [{"name": "file", "ObjectReference": [{"relationship_type": "\u0000"}]}]}`,
			"Object[0].ObjectReference[0].relationship_type", ReasonNUL},
		{"NUL in a report", `{"EventReport": [{"name": "r", "content": "# \u0000"}]}`, "EventReport[0].content", ReasonNUL},
		{"NUL in a sighting's source", `{"Attribute": [{"Sighting": [{"source": "\u0000"}]}]}`,
			"Attribute[0].Sighting[0].source", ReasonNUL},
		{"NUL in a galaxy cluster", `{"Galaxy": [{"GalaxyCluster": [{"tag_name": "\u0000"}]}]}`,
			"Galaxy[0].GalaxyCluster[0].tag_name", ReasonNUL},
		{"invalid UTF-8 in a value", "{\"Attribute\": [{\"type\": \"text\", \"value\": \"bad \xff byte\"}]}",
			"Attribute[0].value", ReasonUTF8},
		{"invalid UTF-8 in the info", "{\"info\": \"\xc3\"}", "info", ReasonUTF8},
		{"an escaped backslash before u0000 is text", `{"info": "path C:\\u0000dir"}`, "", ""},
		{"the replacement character itself is text", `{"info": "� \ufffd"}`, "", ""},
		{"a number where text is expected", `{"info": 12, "Attribute": [{"value": 3}]}`, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, wrap := range []bool{false, true} {
				doc, target := tc.doc, any(&Event{})
				if wrap {
					doc, target = `{"Event": `+tc.doc+`}`, &struct {
						Event *Event `json:"Event"`
					}{}
				}
				err := DecodeError(json.Unmarshal([]byte(doc), target))
				var te *TextError
				switch {
				case tc.field == "" && err != nil:
					t.Errorf("wrapped %v: got %v, want the document read", wrap, err)
				case tc.field == "":
				case !errors.As(err, &te):
					t.Errorf("wrapped %v: got %v, want a TextError", wrap, err)
				case te.Field != tc.field || te.Reason != tc.reason:
					t.Errorf("wrapped %v: got %q %q, want %q %q", wrap, te.Field, te.Reason, tc.field, tc.reason)
				}
			}
		})
	}
}

func TestTextFault(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain", ""},
		{"", ""},
		{"café �", ""},
		{"a\x00b", ReasonNUL},
		{"a\xffb", ReasonUTF8},
		{"\xc3", ReasonUTF8},
	}
	for _, tc := range cases {
		if got := TextFault(tc.in); got != tc.want {
			t.Errorf("TextFault(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNormalizeValueRefusesNUL(t *testing.T) {
	for _, typ := range []string{"text", "comment", "domain", "url", "filename|md5"} {
		_, _, err := NormalizeValue(typ, "a\x00b.example")
		var ve *ValueError
		if !errors.As(err, &ve) || ve.Reason != ReasonNUL {
			t.Errorf("%s: got %v, want a ValueError for the NUL", typ, err)
		}
	}
}
