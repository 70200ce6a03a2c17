package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

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

func TestSharingGroupAddWithMembers(t *testing.T) {
	e := newEnv(t)
	orgs := e.must(200, "POST", "/admin/organisations/add", e.admin, map[string]any{"name": "Partner"})
	partner := orgs["Organisation"].(map[string]any)
	out := e.must(200, "POST", "/sharing_groups/add", e.admin, map[string]any{
		"SharingGroup":             map[string]any{"name": "with members", "releasability": "partners"},
		"SharingGroupOrganisation": []any{map[string]any{"org_id": partner["id"], "extend": false}}})
	found := false
	for _, m := range get(out, "SharingGroupOrg").([]any) {
		if get(m, "org_id") == partner["id"] {
			found = true
		}
	}
	if get(out, "SharingGroup", "name") != "with members" || !found {
		t.Errorf("got %v, want the group with the partner as a member", out)
	}
	status, _, _ := e.call("POST", "/sharing_groups/add", e.admin, map[string]any{
		"SharingGroup":             map[string]any{"name": "bad member"},
		"SharingGroupOrganisation": []any{map[string]any{"org_id": "99999"}}})
	if status != 400 {
		t.Errorf("unknown member: got status %d, want 400", status)
	}
	list := e.must(200, "GET", "/sharing_groups/index", e.admin, nil)
	for _, sg := range get(list, "response").([]any) {
		if get(sg, "SharingGroup", "name") == "bad member" {
			t.Error("the group with an unknown member was created")
		}
	}
}

func TestNULAndInvalidUTF8AreRefused(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, body string
		want       int
	}{
		{"NUL in a comment", `{"Event": {"info": "x", "Attribute": [{"type": "domain", "value": "a.example", "comment": "nul\u0000?"}]}}`, 400},
		{"NUL in the info", `{"Event": {"info": "x\u0000"}}`, 400},
		{"an escaped backslash before u0000 is text", `{"Event": {"info": "path C:\\u0000dir"}}`, 200},
		{"invalid UTF-8", "{\"Event\": {\"info\": \"bad \xff byte\"}}", 400},
	}
	for _, tc := range cases {
		status, out, _ := e.call("POST", "/events/add", e.admin, tc.body)
		if status != tc.want {
			t.Errorf("%s: got status %d, want %d: %v", tc.name, status, tc.want, out)
		}
	}
}

// TestNULAndInvalidUTF8InTheURLAreRefused checks that path arguments,
// named parameters and query values are held to the body's rule: a tag
// named in the path of events/addTag was stored with its NUL on SQLite and
// failed with 500 on PostgreSQL.
func TestNULAndInvalidUTF8InTheURLAreRefused(t *testing.T) {
	e := newEnv(t)
	out := e.must(200, "POST", "/events/add", e.admin, `{"Event": {"info": "tagged"}}`)
	id := get(out, "Event", "id").(string)
	for _, path := range []string{
		"/events/addTag/" + id + "/tlp%00x",
		"/events/addTag/" + id + "/caf%E9",
		"/events/index/eventinfo:x%00y",
		"/events/index?eventinfo=x%00y",
		"/attributes/restSearch/value:%FF",
	} {
		status, body, _ := e.call("POST", path, e.admin, "")
		if status != 400 {
			t.Errorf("%s: got status %d, want 400: %v", path, status, body)
		}
	}
	var n int
	if err := e.st.DB().QueryRow(`SELECT COUNT(*) FROM tags WHERE name LIKE 'tlp%x' OR name LIKE 'caf%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d tags were stored from the refused paths", n)
	}
}

// TestTooManyWildcardTermsAreRefused checks that a filter needing more
// bound parameters than a statement may carry (each CIDR block is two) is
// refused with 400 in every answer format, instead of failing in the
// database with 500.
func TestTooManyWildcardTermsAreRefused(t *testing.T) {
	e := newEnv(t)
	cidrs := make([]string, 33_000)
	for i := range cidrs {
		cidrs[i] = fmt.Sprintf("10.%d.%d.0/24", i/256%256, i%256)
	}
	for _, tc := range []struct{ path, format string }{
		{"/attributes/restSearch", "json"}, {"/events/restSearch", "json"},
		{"/attributes/restSearch", "text"}, {"/events/restSearch", "csv"},
	} {
		body, _ := json.Marshal(map[string]any{"value": cidrs, "returnFormat": tc.format})
		status, out, _ := e.call("POST", tc.path, e.admin, string(body))
		if status != 400 || !strings.Contains(fmt.Sprint(out), "too many wildcard or CIDR terms") {
			t.Errorf("%s %s: got status %d, %.200v", tc.path, tc.format, status, out)
		}
	}
}

// TestCutShortAnswersAbortTheConnection checks that an answer whose body
// has started and then fails (the query budget passed, say) is not closed
// as if it were whole: the handler aborts the connection, so the client
// sees an error rather than a body that ends early but cleanly.
func TestCutShortAnswersAbortTheConnection(t *testing.T) {
	s := &Server{log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithTimeout(context.Background(), -time.Second)
	defer cancel()
	rec := httptest.NewRecorder()
	q := &request{r: httptest.NewRequest("POST", "/attributes/restSearch", nil).WithContext(ctx), w: rec}
	l := startList(q, `{"response":{"Attribute":[`)
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Errorf("got panic %v, want http.ErrAbortHandler", p)
		}
		if strings.HasSuffix(rec.Body.String(), "]}}\n") {
			t.Errorf("the cut answer was closed as if whole: %q", rec.Body.String())
		}
	}()
	s.endList(l, ctx.Err(), "]}}\n")
}
