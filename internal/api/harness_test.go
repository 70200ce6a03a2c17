package api

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/cairn-intel/cairn/internal/store/storetest"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cairn-intel/cairn/internal/auth"
	"github.com/cairn-intel/cairn/internal/store"
)

// env is a running API on a fresh database, with a site admin key.
type env struct {
	t     *testing.T
	st    *store.Store
	srv   *httptest.Server
	admin string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e, _ := newEnvWith(t, nil)
	return e
}

// newEnvWith is newEnv with a hook that configures the store before the
// API opens its knowledge registries, which it returns.
func newEnvWith(t *testing.T, setup func(context.Context, *store.Store) error) (*env, *Knowledge) {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, store.Options{})
	key := auth.NewKey()
	if _, err := st.Initialise(ctx, store.Bootstrap{OrgName: "Host", AdminEmail: "admin@host.test",
		KeyHash: auth.HashKey(key), RawKey: key}); err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		if err := setup(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.DiscardHandler)
	k, err := OpenKnowledge(ctx, st, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(st, log, Config{CairnVersion: "test", Knowledge: k}))
	t.Cleanup(srv.Close)
	return &env{t: t, st: st, srv: srv, admin: key}, k
}

// call sends a request and decodes the JSON answer into a generic value.
func (e *env) call(method, path, key string, body any) (int, any, http.Header) {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			e.t.Fatalf("%s %s: answer is not JSON: %s", method, path, raw)
		}
	}
	return resp.StatusCode, out, resp.Header
}

// must calls and fails the test unless the status is want.
func (e *env) must(want int, method, path, key string, body any) map[string]any {
	e.t.Helper()
	status, out, _ := e.call(method, path, key, body)
	if status != want {
		e.t.Fatalf("%s %s: got status %d, want %d: %v", method, path, status, want, out)
	}
	m, _ := out.(map[string]any)
	return m
}

// user creates an organisation (if new) and a user in it with the role,
// and returns the user's key.
func (e *env) user(org string, role int) string {
	e.t.Helper()
	orgs := e.must(200, "POST", "/admin/organisations/add", e.admin, map[string]any{"name": org})
	if orgs == nil {
		e.t.Fatal("no organisation")
	}
	return e.userIn(orgs["Organisation"].(map[string]any)["id"].(string), role)
}

var userSeq int

func (e *env) userIn(orgID string, role int) string {
	e.t.Helper()
	userSeq++
	out := e.must(200, "POST", "/admin/users/add", e.admin, map[string]any{
		"email": "user" + itoa(int64(userSeq)) + "@example.test", "org_id": orgID, "role_id": role})
	return out["User"].(map[string]any)["authkey"].(string)
}

// get walks a decoded JSON value by keys and list indexes.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func count(v any) int {
	l, _ := v.([]any)
	return len(l)
}

func sgInput(name string) store.SharingGroupInput { return store.SharingGroupInput{Name: name} }
