package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/cairn-intel/cairn/internal/misp"
)

// newTestStore opens a fresh database with a site administrator.
func newTestStore(t *testing.T) (*Store, *Actor) {
	t.Helper()
	ctx := context.Background()
	s := openTestStore(t, Options{})
	if _, err := s.Initialise(ctx, Bootstrap{OrgName: "Host", AdminEmail: "admin@host.test", KeyHash: "h", RawKey: "k"}); err != nil {
		t.Fatal(err)
	}
	a, err := s.CLIActor(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	return s, a
}

func event(t *testing.T, doc string) *misp.Event {
	t.Helper()
	var e misp.Event
	if err := json.Unmarshal([]byte(doc), &e); err != nil {
		t.Fatal(err)
	}
	return &e
}

func TestUpsertCreatesEventWithoutDistribution(t *testing.T) {
	s, a := newTestStore(t)
	ctx := context.Background()
	res, err := s.SaveEvent(ctx, a, event(t, `{"uuid": "6a1f0c2e-0000-4000-8000-000000000001", "info": "feed event",
		"timestamp": "1700000000", "Attribute": [{"type": "md5", "value": "0749bae92ca336a02c83d126e04ec628"}]}`),
		SaveOptions{Mode: ModeUpsert, Preserve: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != OutcomeCreated {
		t.Fatalf("got outcome %q, want created", res.Outcome)
	}
	e, err := s.EventByRef(ctx, a, res.UUID, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if e.Distribution != 1 || !e.Locked {
		t.Errorf("got distribution %d locked %v, want 1 and true (a copy of an event made elsewhere)", e.Distribution, e.Locked)
	}
	again, err := s.SaveEvent(ctx, a, event(t, `{"uuid": "6a1f0c2e-0000-4000-8000-000000000001", "info": "feed event",
		"timestamp": "1700000000"}`), SaveOptions{Mode: ModeUpsert, Preserve: true})
	if err != nil || again.Outcome != OutcomeSkipped {
		t.Errorf("second upsert: got %q, %v, want skipped", again.Outcome, err)
	}
}

func TestConcurrentWritersAndReaders(t *testing.T) {
	s, a := newTestStore(t)
	ctx := context.Background()
	errs := make(chan error, 40)
	for i := 0; i < 20; i++ {
		go func() {
			_, err := s.SaveEvent(ctx, a, event(t, `{"info": "parallel", "Attribute": [{"type": "ip-dst", "value": "198.51.100.9"}]}`),
				SaveOptions{Mode: ModeCreate})
			errs <- err
		}()
		go func() {
			_, err := s.Count(ctx)
			errs <- err
		}()
	}
	for i := 0; i < 40; i++ {
		if err := <-errs; err != nil {
			t.Errorf("concurrent access: %v", err)
		}
	}
	c, err := s.Count(ctx)
	if err != nil || c.Events != 20 || c.Attributes != 20 {
		t.Errorf("got %+v, %v, want 20 events and 20 attributes", c, err)
	}
}

func TestIDsAreNotReusedAfterDelete(t *testing.T) {
	s, a := newTestStore(t)
	ctx := context.Background()
	first, err := s.SaveEvent(ctx, a, event(t, `{"info": "first", "Attribute": [{"type": "md5", "value": "0749bae92ca336a02c83d126e04ec628"}]}`), SaveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.EventByRef(ctx, a, itoa(first.EventID), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteAttribute(ctx, a, itoa(e.Attribute[0].ID), true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteEvent(ctx, a, itoa(first.EventID)); err != nil {
		t.Fatal(err)
	}
	second, err := s.SaveEvent(ctx, a, event(t, `{"info": "second", "Attribute": [{"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e"}]}`), SaveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e2, err := s.EventByRef(ctx, a, itoa(second.EventID), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if second.EventID == first.EventID || e2.Attribute[0].ID == e.Attribute[0].ID {
		t.Errorf("got event %d and attribute %d again after deleting them", second.EventID, e2.Attribute[0].ID)
	}
}

func TestCopiesDoNotOverwriteLocalOrForeignEvents(t *testing.T) {
	s, a := newTestStore(t)
	ctx := context.Background()
	local, err := s.SaveEvent(ctx, a, event(t, `{"uuid": "7c2e0000-0000-4000-8000-000000000001", "info": "made here",
		"timestamp": "1700000000"}`), SaveOptions{Mode: ModeCreate})
	if err != nil {
		t.Fatal(err)
	}
	imported, err := s.SaveEvent(ctx, a, event(t, `{"uuid": "7c2e0000-0000-4000-8000-000000000002", "info": "from CIRCL",
		"timestamp": "1700000000", "Orgc": {"name": "CIRCL", "uuid": "55f6ea5e-2c60-40e5-964f-47a8950d210f"}}`),
		SaveOptions{Mode: ModeUpsert, Preserve: true})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, doc string
		refused   bool
	}{
		{"a feed copy of a local event", `{"uuid": "` + local.UUID + `", "info": "hijack", "timestamp": "1800000000",
			"Orgc": {"name": "Host", "uuid": "` + a.Org.UUID + `"}}`, true},
		{"another creator for an imported event", `{"uuid": "` + imported.UUID + `", "info": "hijack", "timestamp": "1800000000",
			"Orgc": {"name": "Evil Org", "uuid": "eeeeeeee-0000-4000-8000-000000000001"}}`, true},
		{"a newer copy from the same creator", `{"uuid": "` + imported.UUID + `", "info": "from CIRCL, v2", "timestamp": "1800000000",
			"Orgc": {"name": "CIRCL", "uuid": "55f6ea5e-2c60-40e5-964f-47a8950d210f"}}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.SaveEvent(ctx, a, event(t, tc.doc), SaveOptions{Mode: ModeUpsert, Preserve: true})
			if refused := errors.Is(err, ErrForbidden); refused != tc.refused {
				t.Errorf("got %v, want refused=%v", err, tc.refused)
			}
		})
	}
	e, err := s.EventByRef(ctx, a, local.UUID, LoadOptions{})
	if err != nil || e.Info != "made here" {
		t.Errorf("the local event changed: %q, %v", e.Info, err)
	}
}

// TestLargeEventWritesEveryAttribute covers the batched write of new
// attributes (PostgreSQL): more rows than one INSERT carries, tagged
// attributes among them (their rows must be out before their tags), object
// attributes, and a second write adding to the event.
func TestLargeEventWritesEveryAttribute(t *testing.T) {
	s, a := newTestStore(t)
	ctx := context.Background()
	var attrs []map[string]any
	for i := range 1200 {
		at := map[string]any{"type": "domain", "value": fmt.Sprintf("host%d.example", i)}
		if i%250 == 7 {
			at["Tag"] = []map[string]any{{"name": "tlp:green"}}
		}
		attrs = append(attrs, at)
	}
	doc := map[string]any{"info": "large", "Attribute": attrs, "Object": []map[string]any{{"name": "domain-ip",
		"Attribute": []map[string]any{{"type": "ip-dst", "object_relation": "ip", "value": "192.0.2.44"}}}}}
	raw, _ := json.Marshal(doc)
	res, err := s.SaveEvent(ctx, a, event(t, string(raw)), SaveOptions{Mode: ModeCreate})
	if err != nil {
		t.Fatal(err)
	}
	more, _ := json.Marshal(map[string]any{"uuid": res.UUID, "Attribute": []map[string]any{
		{"type": "md5", "value": "0749bae92ca336a02c83d126e04ec628", "Tag": []map[string]any{{"name": "tlp:amber"}}}}})
	if _, err := s.SaveEvent(ctx, a, event(t, string(more)), SaveOptions{Mode: ModeEdit}); err != nil {
		t.Fatal(err)
	}
	e, err := s.EventByRef(ctx, a, res.UUID, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tagged, ids := 0, map[int64]bool{}
	for _, at := range e.Attribute {
		ids[at.ID] = true
		tagged += len(at.Tag)
	}
	if len(e.Attribute) != 1201 || len(ids) != 1201 || tagged != 6 || len(e.Object) != 1 || len(e.Object[0].Attribute) != 1 {
		t.Errorf("got %d attributes (%d ids), %d tags, %d objects; want 1201, 1201, 6 and one object with its attribute",
			len(e.Attribute), len(ids), tagged, len(e.Object))
	}
	if e.AttributeCount != 1202 {
		t.Errorf("got attribute_count %d, want 1202", e.AttributeCount)
	}
}
