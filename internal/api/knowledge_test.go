package api

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/cairn-intel/cairn/internal/galaxy"
	"github.com/cairn-intel/cairn/internal/store"
	"github.com/cairn-intel/cairn/internal/warninglist"
)

// newKnowledgeEnv is newEnv with the warninglists and galaxies of the
// packages' test data configured.
func newKnowledgeEnv(t *testing.T) (*env, *Knowledge) {
	t.Helper()
	return newEnvWith(t, func(ctx context.Context, st *store.Store) error {
		if err := warninglist.SetDir(ctx, st, "../warninglist/testdata/lists"); err != nil {
			return err
		}
		return galaxy.SetDir(ctx, st, "../galaxy/testdata/misp")
	})
}

func TestWarninglistsIndexAndView(t *testing.T) {
	e, _ := newKnowledgeEnv(t)
	cases := []struct {
		name, path string
		want       int
	}{
		{"all", "/warninglists/index", 12},
		{"alias", "/warninglists", 12},
		{"enabled only", "/warninglists/index/enabled:1", 7},
		{"disabled only", "/warninglists/index/enabled:0", 5},
		{"by name", "/warninglists/index/value:resolvers", 1},
		{"by type", "/warninglists/index/value:hostname", 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := e.must(200, "GET", tc.path, e.admin, nil)
			if got := count(out["Warninglists"]); got != tc.want {
				t.Errorf("got %d lists, want %d", got, tc.want)
			}
		})
	}

	first := get(e.must(200, "GET", "/warninglists/index", e.admin, nil), "Warninglists", 0, "Warninglist")
	want := map[string]any{"id": "1", "name": "Cairn: IPv4 documentation ranges (RFC 5737)", "type": "cidr",
		"version": "1", "enabled": true, "default": true, "category": "false_positive",
		"warninglist_entry_count": "3", "valid_attributes": "ip-src, ip-dst, ip-src|port, ip-dst|port, domain|ip, url"}
	for k, v := range want {
		if got := get(first, k); got != v {
			t.Errorf("index field %s: got %v, want %v", k, got, v)
		}
	}

	view := e.must(200, "GET", "/warninglists/view/8", e.admin, nil)
	if got := get(view, "Warninglist", "name"); got != "Test: hashes of empty content" {
		t.Errorf("view 8: got %v, want the hashes list", got)
	}
	if got := get(view, "Warninglist", "WarninglistEntry", 0, "comment"); got != "md5 of nothing" {
		t.Errorf("view 8: got first comment %v, want %q", got, "md5 of nothing")
	}
	if got := count(get(view, "Warninglist", "WarninglistType")); got != 4 {
		t.Errorf("view 8: got %d types, want 4", got)
	}
	e.must(404, "GET", "/warninglists/view/99", e.admin, nil)
}

func TestWarninglistsToggleEnable(t *testing.T) {
	e, _ := newKnowledgeEnv(t)
	user := e.user("Other", 3)
	cases := []struct {
		name      string
		key       string
		body      any
		status    int
		wantSaved bool
		wantMsg   string
	}{
		{"enable by name pattern", e.admin, map[string]any{"name": "%RESOLVERS%", "enabled": 1}, 200, true,
			"1 warninglist(s) enabled"},
		{"disable by ids", e.admin, map[string]any{"id": []any{"1", 2}, "enabled": false}, 200, true,
			"2 warninglist(s) disabled"},
		{"toggle one", e.admin, map[string]any{"name": "Cairn: loopback addresses"}, 200, true,
			"1 warninglist(s) disabled"},
		{"toggle several", e.admin, map[string]any{"id": []any{"5", "6"}}, 200, true, "2 warninglist(s) toggled"},
		{"form data", e.admin, map[string]any{"Warninglist": map[string]any{"data": "9", "enabled": "1"}}, 200, true,
			"1 warninglist(s) enabled"},
		{"unknown list", e.admin, map[string]any{"id": 999, "enabled": 1}, 200, false, ""},
		{"not an admin", user, map[string]any{"id": 1, "enabled": 0}, 403, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := e.must(tc.status, "POST", "/warninglists/toggleEnable", tc.key, tc.body)
			if tc.status != 200 {
				return
			}
			if got := out["saved"]; got != tc.wantSaved {
				t.Fatalf("got saved %v (%v), want %v", got, out, tc.wantSaved)
			}
			if tc.wantMsg != "" && out["success"] != tc.wantMsg {
				t.Errorf("got %q, want %q", out["success"], tc.wantMsg)
			}
		})
	}

	raw, err := e.st.Setting(t.Context(), warninglist.EnabledSetting)
	if err != nil {
		t.Fatal(err)
	}
	var saved map[string]bool
	if err := json.Unmarshal([]byte(raw), &saved); err != nil {
		t.Fatal(err)
	}
	wantSaved := map[string]bool{"Test: public DNS resolvers": true, "Cairn: loopback addresses": false,
		"Cairn: IPv6 documentation range (RFC 3849)": false, "Test: link shorteners": true,
		"Cairn: shared address space (RFC 6598)": false}
	for name, on := range wantSaved {
		if got, ok := saved[name]; !ok || got != on {
			t.Errorf("saved state of %q: got %v (set: %v), want %v", name, got, ok, on)
		}
	}
	out := e.must(200, "POST", "/warninglists/checkValue", e.admin, []string{"8.8.8.8", "127.0.0.1"})
	if got := get(out, "8.8.8.8", 0, "name"); got != "Test: public DNS resolvers" {
		t.Errorf("checkValue after enabling: got %v, want the resolvers list", out)
	}
	if _, hit := out["127.0.0.1"]; hit {
		t.Errorf("checkValue after disabling loopback: got %v, want no hit for 127.0.0.1", out)
	}
}

func TestWarninglistsCheckValue(t *testing.T) {
	e, _ := newKnowledgeEnv(t)
	user := e.user("Other", 3)
	cases := []struct {
		name string
		body any
		want string // the answer, compacted
	}{
		{"array", []any{"192.0.2.1", "8.8.8.8"},
			`{"192.0.2.1":[{"id":"1","matched":"192.0.2.0/24","name":"Cairn: IPv4 documentation ranges (RFC 5737)"}]}`},
		{"wrapped", map[string]any{"Warninglist": []any{"www.example.com"}},
			`{"www.example.com":[{"id":"7","matched":"example.com","name":"Cairn: example and reserved domain names (RFC 2606, RFC 6761)"}]}`},
		{"single string", "10.1.1.1",
			`{"10.1.1.1":[{"id":"3","matched":"10.0.0.0/8","name":"Cairn: private IPv4 ranges (RFC 1918)"}]}`},
		{"repeated value once", []any{"::1", "::1"},
			`{"::1":[{"id":"4","matched":"::1/128","name":"Cairn: loopback addresses"}]}`},
		{"composite value by its halves", []any{"192.0.2.1|443"},
			`{"192.0.2.1|443":[{"id":"1","matched":"192.0.2.0/24","name":"Cairn: IPv4 documentation ranges (RFC 5737)"}]}`},
		{"no hit", []any{"8.8.8.8", "d41d8cd98f00b204e9800998ecf8427e"}, `{}`},
		{"nothing", []any{}, `{}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body any = tc.body
			if s, ok := tc.body.(string); ok {
				body = `"` + s + `"`
			}
			out := e.must(200, "POST", "/warninglists/checkValue", user, body)
			raw, _ := json.Marshal(out)
			if out == nil {
				raw = []byte("{}")
			}
			if string(raw) != tc.want {
				t.Errorf("got %s, want %s", raw, tc.want)
			}
		})
	}
	e.must(400, "POST", "/warninglists/checkValue", user, `{"Warninglist": {"a": 1}}`)
}

func TestTaxonomiesAPI(t *testing.T) {
	e, _ := newKnowledgeEnv(t)
	user := e.user("Other", 3)
	e.addEvent(e.admin, map[string]any{"info": "tagged", "Tag": []any{map[string]any{"name": "tlp:amber"}}})

	status, raw, _ := e.call("GET", "/taxonomies/index", user, nil)
	rows, _ := raw.([]any)
	if status != 200 || len(rows) != 4 {
		t.Fatalf("got status %d and %d taxonomies, want 200 and 4", status, len(rows))
	}
	tlp := rows[0]
	for k, v := range map[string]any{"namespace": "tlp", "enabled": true, "exclusive": true, "required": false, "id": "1"} {
		if got := get(tlp, "Taxonomy", k); got != v {
			t.Errorf("tlp %s: got %v, want %v", k, got, v)
		}
	}
	if get(tlp, "total_count") != 6.0 || get(tlp, "current_count") != 1.0 {
		t.Errorf("tlp counts: got %v total, %v current, want 6 and 1", get(tlp, "total_count"), get(tlp, "current_count"))
	}

	view := e.must(200, "GET", "/taxonomies/view/tlp", user, nil)
	entries, _ := view["entries"].([]any)
	if len(entries) != 6 {
		t.Fatalf("got %d entries, want 6", len(entries))
	}
	for _, en := range entries {
		existing := get(en, "existing_tag")
		switch get(en, "tag") {
		case "tlp:amber":
			if get(existing, "name") != "tlp:amber" {
				t.Errorf("tlp:amber: got existing_tag %v, want the stored tag", existing)
			}
		default:
			if existing != false {
				t.Errorf("%v: got existing_tag %v, want false", get(en, "tag"), existing)
			}
		}
	}
	adm := e.must(200, "GET", "/taxonomies/view/4", user, nil)
	if got := get(adm, "entries", 0, "tag"); got != `admiralty-scale:source-reliability="a"` {
		t.Errorf("admiralty first entry: got %v", got)
	}

	cases := []struct {
		name, path, key string
		body            any
		status          int
		wantEnabled     bool
		wantRequired    bool
	}{
		{"user may not disable", "/taxonomies/disable/1", user, nil, 403, true, false},
		{"disable", "/taxonomies/disable/1", e.admin, nil, 200, false, false},
		{"require while disabled", "/taxonomies/toggleRequired/1", e.admin,
			map[string]any{"Taxonomy": map[string]any{"required": true}}, 403, false, false},
		{"enable by namespace", "/taxonomies/enable/TLP", e.admin, nil, 200, true, false},
		{"require", "/taxonomies/toggleRequired/1", e.admin,
			map[string]any{"Taxonomy": map[string]any{"required": 1}}, 200, true, true},
		{"toggle required off", "/taxonomies/toggleRequired/1", e.admin, nil, 200, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.must(tc.status, "POST", tc.path, tc.key, tc.body)
			v := e.must(200, "GET", "/taxonomies/view/1", user, nil)
			if get(v, "Taxonomy", "enabled") != tc.wantEnabled || get(v, "Taxonomy", "required") != tc.wantRequired {
				t.Errorf("got enabled %v required %v, want %v %v", get(v, "Taxonomy", "enabled"),
					get(v, "Taxonomy", "required"), tc.wantEnabled, tc.wantRequired)
			}
		})
	}
	e.must(404, "POST", "/taxonomies/enable/99", e.admin, nil)
	e.must(404, "GET", "/taxonomies/view/nothing", user, nil)
}

func TestGalaxiesAPI(t *testing.T) {
	e, k := newKnowledgeEnv(t)
	status, raw, _ := e.call("GET", "/galaxies/index", e.admin, nil)
	if rows, _ := raw.([]any); status != 200 || len(rows) != 3 {
		t.Fatalf("got %d and %v, want 200 and 3 galaxies", status, raw)
	}
	_, raw, _ = e.call("POST", "/galaxies", e.admin, map[string]any{"value": "SECTOR"})
	if rows, _ := raw.([]any); len(rows) != 1 || get(rows[0], "Galaxy", "type") != "sector" {
		t.Errorf("search: got %v, want the sector galaxy", raw)
	}
	view := e.must(200, "GET", "/galaxies/view/threat-actor", e.admin, nil)
	if got := count(view["GalaxyCluster"]); got != 2 {
		t.Errorf("view: got %d clusters, want 2", got)
	}
	e.must(404, "GET", "/galaxies/view/42", e.admin, nil)

	tagger := e.user("Taggers", 3)
	ev := e.must(200, "POST", "/events/add", tagger, map[string]any{"Event": map[string]any{"info": "galaxy target",
		"Attribute": []any{map[string]any{"type": "domain", "value": "c2.granite.test"}}}})
	eventID := get(ev, "Event", "id").(string)
	attrID := get(ev, "Event", "Attribute", 0, "id").(string)
	heron := map[string]any{"Galaxy": map[string]any{"target_id": 3}}
	byUUID := map[string]any{"Galaxy": map[string]any{"target_id": "5b1c1e8a-0000-4000-8000-0000000000b1"}}

	cases := []struct {
		name, path, key string
		body            any
		status          int
		wantSaved       any
	}{
		{"attach by id as a plain user", "/galaxies/attachCluster/" + eventID + "/event/local:0", tagger, heron, 200, true},
		{"attach twice", "/galaxies/attachCluster/" + eventID + "/event/local:0", tagger, heron, 200, false},
		{"attach by uuid to an attribute", "/galaxies/attachCluster/" + attrID + "/attribute/local:1", tagger, byUUID, 200, true},
		{"unknown cluster", "/galaxies/attachCluster/" + eventID + "/event/local:0", tagger,
			map[string]any{"Galaxy": map[string]any{"target_id": 77}}, 404, nil},
		{"tag collection", "/galaxies/attachCluster/1/tag_collection/local:0", tagger, heron, 400, nil},
		{"unknown event", "/galaxies/attachCluster/9999/event/local:0", tagger, heron, 200, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := e.must(tc.status, "POST", tc.path, tc.key, tc.body)
			if tc.status == 200 && out["saved"] != tc.wantSaved {
				t.Errorf("got %v, want saved %v", out, tc.wantSaved)
			}
		})
	}

	stored := e.must(200, "GET", "/events/view/"+eventID, e.admin, nil)
	var names []string
	for _, tag := range get(stored, "Event", "Tag").([]any) {
		names = append(names, get(tag, "name").(string))
	}
	if len(names) != 1 || names[0] != `misp-galaxy:threat-actor="Granite Heron"` {
		t.Fatalf("got event tags %q, want the Granite Heron cluster tag", names)
	}
	galaxies := k.Galaxies.FromTags(names)
	if len(galaxies) != 1 || galaxies[0].GalaxyCluster[0].Value != "Granite Heron" {
		t.Errorf("FromTags: got %+v, want the threat-actor galaxy with Granite Heron", galaxies)
	}
	if got := get(stored, "Event", "Attribute", 0, "Tag", 0, "local"); got != true {
		t.Errorf("attribute cluster tag: got local %v, want true", got)
	}

	tag, err := e.st.TagByRef(t.Context(), names[0])
	if err != nil {
		t.Fatal(err)
	}
	detach := []struct {
		name, path string
		wantSaved  bool
	}{
		{"detach by tag id", "/galaxies/detach/" + eventID + "/event/" + itoa(tag.ID), true},
		{"detach again", "/galaxies/detach/" + eventID + "/event/" + itoa(tag.ID), false},
		{"detach by cluster uuid", "/galaxy_clusters/detach/" + attrID + "/attribute/5b1c1e8a-0000-4000-8000-0000000000b1", true},
	}
	for _, tc := range detach {
		t.Run(tc.name, func(t *testing.T) {
			if out := e.must(200, "POST", tc.path, tagger, nil); out["saved"] != tc.wantSaved {
				t.Errorf("got %v, want saved %v", out, tc.wantSaved)
			}
		})
	}
	// A role without the right to tag gets MISP's soft refusal, as events/addTag gives.
	readOnly := e.user("Readers", 6)
	if out := e.must(200, "POST", "/galaxies/attachCluster/"+eventID+"/event/local:0", readOnly, heron); out["saved"] != false {
		t.Errorf("read-only role: got %v, want saved false", out)
	}
}

func TestKnowledgeUpdateReloads(t *testing.T) {
	e, k := newKnowledgeEnv(t)
	if err := galaxy.SetDir(t.Context(), e.st, ""); err != nil {
		t.Fatal(err)
	}
	user := e.user("Other", 3)
	e.must(403, "POST", "/galaxies/update", user, nil)
	out := e.must(200, "POST", "/galaxies/update", e.admin, nil)
	if out["success"] != true || len(k.Galaxies.Galaxies()) != 0 {
		t.Errorf("got %v and %d galaxies, want success and none left", out, len(k.Galaxies.Galaxies()))
	}
	out = e.must(200, "POST", "/warninglists/update", e.admin, nil)
	if got := out["message"]; got != "Successfully updated 12 warninglists." {
		t.Errorf("got %v, want 12 warninglists", got)
	}
}

func TestAttributeWarnings(t *testing.T) {
	k := &Knowledge{Warninglists: warninglist.NewRegistry(nil)}
	got := k.AttributeWarnings("login.example.com|203.0.113.5", "domain|ip")
	raw, _ := json.Marshal(got)
	want := `[{"value":"login.example.com|203.0.113.5","match":"203.0.113.0/24","warninglist_id":"1",` +
		`"warninglist_name":"Cairn: IPv4 documentation ranges (RFC 5737)","warninglist_category":"false_positive"},` +
		`{"value":"login.example.com|203.0.113.5","match":"example.com","warninglist_id":"7",` +
		`"warninglist_name":"Cairn: example and reserved domain names (RFC 2606, RFC 6761)",` +
		`"warninglist_category":"false_positive"}]`
	if string(raw) != want {
		t.Errorf("got %s, want %s", raw, want)
	}
	if k.AttributeWarnings("8.8.8.8", "ip-dst") != nil {
		t.Error("got warnings for a public address, want none")
	}
}

func TestLike(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"abc", "ABC", true},
		{"abc", "abcd", false},
		{"%bc", "abc", true},
		{"a%", "abc", true},
		{"%b%", "abc", true},
		{"a%c", "abc", true},
		{"a%c", "ac", true},
		{"a%b%c", "axxbyyc", true},
		{"a%b%c", "acb", false},
		{"ab%ba", "aba", false},
		{"%", "", true},
	}
	for _, tc := range cases {
		if got := like(tc.pattern, tc.s); got != tc.want {
			t.Errorf("like(%q, %q): got %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}
