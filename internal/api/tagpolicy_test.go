package api

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// eventTagNames lists the tag names of an event answer.
func eventTagNames(out any) []string {
	var names []string
	for _, tag := range asList(get(out, "Event", "Tag")) {
		names = append(names, fmt.Sprint(get(tag, "name")))
	}
	slices.Sort(names)
	return names
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// rejectedText joins the reasons of an answer's "rejected" list.
func rejectedText(out map[string]any) string {
	var parts []string
	for _, r := range asList(out["rejected"]) {
		parts = append(parts, fmt.Sprint(get(r, "item"), ": ", get(r, "reason")))
	}
	return strings.Join(parts, "\n")
}

// makeTags creates tags as the site administrator, for users who may
// attach tags but not create them.
func (e *env) makeTags(names ...string) {
	e.t.Helper()
	for _, name := range names {
		e.must(200, "POST", "/tags/add", e.admin, map[string]any{"name": name})
	}
}

func TestEventAddValidatesTaxonomyTags(t *testing.T) {
	e := newEnv(t)
	e.makeTags("tlp:green", "tlp:red", "phishing")
	body := map[string]any{"info": "tagged", "Tag": []any{
		map[string]any{"name": "tlp:green"}, map[string]any{"name": "tlp:purple"},
		map[string]any{"name": "tlp:red"}, map[string]any{"name": "phishing"}}}
	cases := []struct {
		name       string
		key        string
		wantTags   []string
		wantReject []string
	}{
		{"user", e.user("Users", 3), []string{"phishing", "tlp:green"},
			[]string{`"purple" is not a predicate of the taxonomy tlp; it has clear, green`,
				`the taxonomy tlp is exclusive and "tlp:green" is already attached`}},
		{"sync user is not judged again", e.user("Peers", 5),
			[]string{"phishing", "tlp:green", "tlp:purple", "tlp:red"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := e.must(200, "POST", "/events/add", tc.key, body)
			if got := eventTagNames(out); !slices.Equal(got, tc.wantTags) {
				t.Errorf("got tags %q, want %q", got, tc.wantTags)
			}
			text := rejectedText(out)
			if n := len(asList(out["rejected"])); n != len(tc.wantReject) {
				t.Fatalf("got %d rejections %q, want %d", n, text, len(tc.wantReject))
			}
			for _, want := range tc.wantReject {
				if !strings.Contains(text, want) {
					t.Errorf("got rejections %q, want one saying %q", text, want)
				}
			}
		})
	}
}

func TestTagWritesFollowEnabledTaxonomies(t *testing.T) {
	e := newEnv(t)
	e.makeTags("tlp:green", "tlp:red")
	user := e.user("Users", 3)
	added := e.must(200, "POST", "/events/add", user, map[string]any{"info": "tlp green",
		"Tag": []any{map[string]any{"name": "tlp:green"}}})
	eventID := get(added, "Event", "id").(string)

	attr := e.must(200, "POST", "/attributes/add/"+eventID, user, map[string]any{"type": "ip-dst",
		"value": "198.51.100.8", "Tag": []any{map[string]any{"name": "PAP:MAUVE"}}})
	if got := rejectedText(attr); !strings.Contains(got, `"MAUVE" is not a predicate of the taxonomy PAP`) {
		t.Errorf("attributes/add: got rejections %q, want PAP:MAUVE refused", got)
	}
	if get(attr, "Attribute", "value") != "198.51.100.8" {
		t.Errorf("attributes/add: got %v, want the attribute stored without the tag", attr)
	}

	steps := []struct {
		name, path string
		key        string
		body       any
		status     int
		want       string // in the answer
	}{
		{"undefined tag refused", "/tags/add", e.admin, map[string]any{"name": "tlp:purple"}, 403,
			`"purple" is not a predicate`},
		{"free tag created", "/tags/add", e.admin, map[string]any{"name": "campaign-x"}, 200, "campaign-x"},
		{"second level refused", "/events/addTag", user, map[string]any{"event": eventID, "tag": "tlp:red"}, 200,
			`the taxonomy tlp is exclusive and "tlp:green" is already attached`},
		{"free tag attached", "/events/addTag", user, map[string]any{"event": eventID, "tag": "campaign-x"}, 200,
			"saved:true"},
		{"taxonomy disabled", "/taxonomies/disable/tlp", e.admin, nil, 200, "Taxonomy disabled"},
		{"undefined tag of a disabled taxonomy", "/tags/add", e.admin, map[string]any{"name": "tlp:purple"}, 200,
			"tlp:purple"},
		{"no clash once disabled", "/events/addTag", e.admin, map[string]any{"event": eventID, "tag": "tlp:purple"},
			200, "saved:true"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			status, out, _ := e.call("POST", st.path, st.key, st.body)
			text := fmt.Sprint(out)
			if status != st.status || !strings.Contains(text, st.want) {
				t.Errorf("got %d %s, want %d with %q", status, text, st.status, st.want)
			}
		})
	}
}

// TestAttributeListErrorsByPosition checks that the errors of a list sent
// to attributes/add are keyed by the position of their attribute in the
// request, as MISP's attribute_<n>, not numbered by failure, and that what
// was refused inside a stored attribute is not among them.
func TestAttributeListErrorsByPosition(t *testing.T) {
	e := newEnv(t)
	added := e.must(200, "POST", "/events/add", e.admin, map[string]any{"info": "list"})
	eventID := get(added, "Event", "id").(string)
	out := e.must(200, "POST", "/attributes/add/"+eventID, e.admin, []any{
		map[string]any{"type": "domain", "value": "good-0.example"},
		map[string]any{"type": "ip-dst", "value": "not an address"},
		map[string]any{"type": "domain", "value": "good-2.example"},
		map[string]any{"type": "ip-dst", "value": "also not one"},
		map[string]any{"type": "domain", "value": "good-4.example", "Tag": []any{map[string]any{"name": []any{}}}},
	})
	errs, _ := out["errors"].(map[string]any)
	if len(errs) != 2 || errs["attribute_1"] == nil || errs["attribute_3"] == nil {
		t.Errorf("got errors %v, want attribute_1 and attribute_3", errs)
	}
	if got := get(out, "errors", "attribute_3", "item"); got != "Attribute[3]" {
		t.Errorf("attribute_3 is about %v, want Attribute[3]", got)
	}
	// The bad tag of a stored attribute is not an error of the attribute.
	if got := get(out, "rejected", 0, "item"); got != "Attribute[4].Tag[0]" {
		t.Errorf("got rejected %v, want the tag of Attribute[4] (answer %v)", out["rejected"], out)
	}
	if n := len(asList(out["Attribute"])); n != 3 {
		t.Errorf("got %d attributes stored, want the three good ones", n)
	}
}
