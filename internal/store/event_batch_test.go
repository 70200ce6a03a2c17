package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/cairn-intel/cairn/internal/misp"
)

// TestSaveEventsSharesLookups covers what the events of one SaveEvents
// batch share (writeBatch): a tag and an organisation that the first event
// creates are found again by the later ones, a uuid on the blocklist is
// refused alone, and an event that comes twice in a batch is updated by its
// second copy.
func TestSaveEventsSharesLookups(t *testing.T) {
	s, a := newTestStore(t)
	ctx := context.Background()
	gone, err := s.SaveEvent(ctx, a, event(t, `{"uuid": "6a1f0c2e-0000-4000-8000-0000000000b0", "info": "deleted"}`),
		SaveOptions{Mode: ModeCreate})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteEvent(ctx, a, gone.UUID); err != nil {
		t.Fatal(err)
	}
	const orgc = `"Orgc": {"uuid": "6a1f0c2e-0000-4000-8000-0000000000c0", "name": "Elsewhere"}`
	batch := []*misp.Event{
		event(t, `{"uuid": "6a1f0c2e-0000-4000-8000-0000000000b1", "info": "first", "timestamp": "1700000000", `+orgc+`,
			"Tag": [{"name": "batch:new"}],
			"Attribute": [{"type": "domain", "value": "one.example", "Tag": [{"name": "batch:attribute"}]}]}`),
		event(t, `{"uuid": "6a1f0c2e-0000-4000-8000-0000000000b0", "info": "blocked", "timestamp": "1700000000"}`),
		event(t, `{"uuid": "6a1f0c2e-0000-4000-8000-0000000000b3", "info": "third", "timestamp": "1700000000", `+orgc+`,
			"Tag": [{"name": "BATCH:NEW"}],
			"Attribute": [{"type": "domain", "value": "three.example", "Tag": [{"name": "batch:attribute"}]}]}`),
		event(t, `{"uuid": "6a1f0c2e-0000-4000-8000-0000000000b1", "info": "first, again", "timestamp": "1700000100",
			`+orgc+`, "Attribute": [{"type": "domain", "value": "four.example"}]}`),
	}
	results, errs, err := s.SaveEvents(ctx, a, batch, SaveOptions{Mode: ModeUpsert, Preserve: true})
	if err != nil {
		t.Fatal(err)
	}
	outcomes := []string{OutcomeCreated, "", OutcomeCreated, OutcomeUpdated}
	for i, want := range outcomes {
		if want == "" {
			if !errors.Is(errs[i], ErrForbidden) {
				t.Errorf("event %d: got error %v, want the blocklist's refusal", i, errs[i])
			}
			continue
		}
		if errs[i] != nil || results[i].Outcome != want || len(results[i].Rejected) > 0 {
			t.Errorf("event %d: got %q, %v, rejected %v; want %q", i, results[i].Outcome, errs[i], results[i].Rejected, want)
		}
	}
	first, err := s.EventByRef(ctx, a, results[0].UUID, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	third, err := s.EventByRef(ctx, a, results[2].UUID, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if first.Info != "first, again" || len(first.Attribute) != 2 || first.AttributeCount != 2 {
		t.Errorf("got %q with %d attributes (count %d), want the second copy's info and 2", first.Info,
			len(first.Attribute), first.AttributeCount)
	}
	if first.OrgcID != third.OrgcID || first.OrgcID == a.Org.ID {
		t.Errorf("got creator organisations %d and %d, want one organisation made for both", first.OrgcID, third.OrgcID)
	}
	if len(first.Tag) != 1 || len(third.Tag) != 1 || first.Tag[0].ID != third.Tag[0].ID {
		t.Fatalf("got event tags %v and %v, want one tag shared", first.Tag, third.Tag)
	}
	tagIDs := map[int64]bool{}
	for _, e := range []Event{first, third} {
		for _, at := range e.Attribute {
			for _, tag := range at.Tag {
				tagIDs[tag.ID] = true
			}
		}
	}
	if len(tagIDs) != 1 {
		t.Errorf("got attribute tag ids %v, want one tag", tagIDs)
	}
}

// TestSaveEventWritesAttachmentsAfterTheirAttributes covers the rows that
// wait for their attributes and go out together: attribute tags (one named
// twice, which one statement must pass over), sightings with their
// organisation, tags of object attributes, and event tags named twice.
func TestSaveEventWritesAttachmentsAfterTheirAttributes(t *testing.T) {
	s, a := newTestStore(t)
	ctx := context.Background()
	res, err := s.SaveEvent(ctx, a, event(t, `{"uuid": "6a1f0c2e-0000-4000-8000-0000000000d1", "info": "attachments",
		"timestamp": "1700000000", "Tag": [{"name": "tlp:green"}, {"name": "TLP:GREEN"}, {"name": "type:OSINT"}],
		"Attribute": [
			{"type": "domain", "value": "a.example", "Tag": [{"name": "x:one"}, {"name": "X:ONE"}, {"name": "x:two"}],
			 "Sighting": [{"uuid": "6a1f0c2e-0000-4000-8000-0000000000e1", "type": "0", "date_sighting": "1700000001",
				"Org": {"uuid": "6a1f0c2e-0000-4000-8000-0000000000e2", "name": "Sighter"}},
				{"uuid": "6a1f0c2e-0000-4000-8000-0000000000e3", "type": "1", "date_sighting": "1700000002"}]},
			{"type": "domain", "value": "b.example"}],
		"Object": [{"name": "domain-ip", "Attribute": [{"type": "ip-dst", "object_relation": "ip",
			"value": "192.0.2.7", "Tag": [{"name": "x:two"}]}]}]}`), SaveOptions{Mode: ModeUpsert, Preserve: true})
	if err != nil || len(res.Rejected) > 0 {
		t.Fatalf("got %v, rejected %v", err, res.Rejected)
	}
	e, err := s.EventByRef(ctx, a, res.UUID, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tags := map[string]int{}
	sightings := 0
	for _, at := range e.Attribute {
		for _, tag := range at.Tag {
			tags[at.Value()+" "+tag.Name]++
		}
		sightings += len(at.Sighting)
	}
	for _, o := range e.Object {
		for _, at := range o.Attribute {
			for _, tag := range at.Tag {
				tags[at.Value()+" "+tag.Name]++
			}
		}
	}
	want := map[string]int{"a.example x:one": 1, "a.example x:two": 1, "192.0.2.7 x:two": 1}
	if len(tags) != len(want) || tags["a.example x:one"] != 1 || tags["a.example x:two"] != 1 || tags["192.0.2.7 x:two"] != 1 {
		t.Errorf("got attribute tags %v, want %v", tags, want)
	}
	if sightings != 2 {
		t.Errorf("got %d sightings, want 2", sightings)
	}
	if len(e.Tag) != 2 {
		t.Errorf("got event tags %v, want tlp:green and type:OSINT once each", e.Tag)
	}
}

// TestEventLargerThanOneInsert covers an event with more new attributes
// than one INSERT carries on PostgreSQL (unnestRows), so that some go out
// before the rest and before the objects' attributes and the tags.
func TestEventLargerThanOneInsert(t *testing.T) {
	s, a := newTestStore(t)
	ctx := context.Background()
	n := unnestRows + 100
	attrs := make([]map[string]any, n)
	for i := range attrs {
		attrs[i] = map[string]any{"type": "domain", "value": fmt.Sprintf("host%d.example", i),
			"Tag": []map[string]any{{"name": "tlp:green"}}}
	}
	objects := []map[string]any{{"name": "domain-ip", "Attribute": []map[string]any{
		{"type": "ip-dst", "object_relation": "ip", "value": "192.0.2.9", "Tag": []map[string]any{{"name": "tlp:green"}}}}}}
	raw, _ := json.Marshal(map[string]any{"info": "large", "Attribute": attrs, "Object": objects})
	res, err := s.SaveEvent(ctx, a, event(t, string(raw)), SaveOptions{Mode: ModeCreate})
	if err != nil || len(res.Rejected) > 0 || res.AttributesCreated != n+1 {
		t.Fatalf("got %v, rejected %v, %d created; want %d", err, res.Rejected, res.AttributesCreated, n+1)
	}
	e, err := s.EventByRef(ctx, a, res.UUID, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tagged := 0
	for _, at := range e.Attribute {
		tagged += len(at.Tag)
	}
	if len(e.Attribute) != n || tagged != n || e.AttributeCount != int64(n+1) || len(e.Object) != 1 ||
		len(e.Object[0].Attribute) != 1 || len(e.Object[0].Attribute[0].Tag) != 1 {
		t.Errorf("got %d attributes, %d tagged, count %d, %d objects; want %d, %d, %d and one object with a tagged attribute",
			len(e.Attribute), tagged, e.AttributeCount, len(e.Object), n, n, n+1)
	}
}
