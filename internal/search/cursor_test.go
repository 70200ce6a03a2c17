package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/store"
)

// poll is one poll of a search from a cursor: the items it delivered (uuids)
// and the cursor it answered with.
type poll func(t *testing.T, cursor string) ([]string, string)

// pollAll polls from the start until a poll delivers nothing, and returns
// everything delivered and the last cursor. It fails when an empty poll
// does not keep the cursor, or when polling never ends.
func pollAll(t *testing.T, p poll, from string) ([]string, string) {
	t.Helper()
	var all []string
	cursor := from
	for range 200 {
		items, next := p(t, cursor)
		if len(items) == 0 {
			if next != cursor {
				t.Errorf("an empty poll moved the cursor from %q to %q", cursor, next)
			}
			return all, cursor
		}
		if next == cursor {
			t.Fatalf("a poll of %d items kept the cursor %q: it would loop", len(items), cursor)
		}
		all, cursor = append(all, items...), next
	}
	t.Fatal("the polls never ended")
	return nil, ""
}

// pollers are the four ways to poll: JSON and export, attributes and events.
func pollers(f *exportFixture) map[string]poll {
	ctx := context.Background()
	params := func(t *testing.T, body string) Params {
		p, err := ParseRestSearch([]byte(body), nil, nil, *f.clock)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	uuidsOf := func(attrs []store.Attribute) []string {
		var out []string
		for _, a := range attrs {
			out = append(out, a.UUID)
		}
		return out
	}
	return map[string]poll{
		"json attributes": func(t *testing.T, cursor string) ([]string, string) {
			attrs, _, next, err := AttributesAfter(ctx, f.st, f.viewer, params(t, `{"limit":7,"cursor":"`+cursor+`"}`))
			if err != nil {
				t.Fatal(err)
			}
			return uuidsOf(attrs), next
		},
		"json events": func(t *testing.T, cursor string) ([]string, string) {
			events, _, next, err := EventsAfter(ctx, f.st, f.viewer, params(t, `{"limit":4,"metadata":1,"cursor":"`+cursor+`"}`))
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, e := range events {
				out = append(out, e.UUID)
			}
			return out, next
		},
		"csv attributes": func(t *testing.T, cursor string) ([]string, string) {
			next, body := f.export(t, f.viewer, ScopeAttributes,
				`{"returnFormat":"csv","requested_attributes":"uuid","headerless":1,"limit":7,"cursor":"`+cursor+`"}`)
			return strings.Fields(body), next
		},
		"csv events": func(t *testing.T, cursor string) ([]string, string) {
			next, body := f.export(t, f.viewer, ScopeEvents,
				`{"returnFormat":"csv","requested_attributes":"event_uuid","headerless":1,"limit":4,"cursor":"`+cursor+`"}`)
			return slices.Compact(strings.Fields(body)), next
		},
	}
}

// TestCursorManyInOneSecond polls over 150 attributes and 53 events that
// all share one timestamp, a page at a time, in every way: each item must
// come exactly once.
func TestCursorManyInOneSecond(t *testing.T) {
	f := newExportFixture(t)
	for i := range 50 {
		f.save(t, f.admin, fmt.Sprintf(`{"info":"bulk %d","distribution":1,"Attribute":[
			{"type":"domain","value":"a%d.example"},{"type":"domain","value":"b%d.example"},
			{"type":"ip-dst","value":"198.51.100.%d"}]}`, i, i, i, i), i%2 == 0)
	}
	*f.clock = fixtureClock.Add(time.Minute)

	wantAttrs, wantEvents := f.allUUIDs(t)
	for name, p := range pollers(f) {
		t.Run(name, func(t *testing.T) {
			got, _ := pollAll(t, p, CursorStart)
			want := wantAttrs
			if strings.HasSuffix(name, "events") {
				want = wantEvents
			}
			if dup := duplicates(got); len(dup) > 0 {
				t.Errorf("got %d items twice: %v", len(dup), dup)
			}
			if !slices.Equal(sortedCopy(got), want) {
				t.Errorf("got %d items, want %d: the polls skipped or added some", len(got), len(want))
			}
		})
	}
}

// TestCursorSeesLaterWrites polls to the end, writes, and polls again from
// the last cursor: only what was written comes, once it is settled.
func TestCursorSeesLaterWrites(t *testing.T) {
	f := newExportFixture(t)
	*f.clock = fixtureClock.Add(time.Minute)
	for name, p := range pollers(f) {
		t.Run(name, func(t *testing.T) {
			_, cursor := pollAll(t, p, CursorStart)
			before := *f.clock
			id := f.save(t, f.admin, `{"info":"later","distribution":1,"Attribute":[{"type":"domain","value":"later.example"}]}`, true)
			if items, next := p(t, cursor); len(items) != 0 || next != cursor {
				t.Errorf("in the second of the write: got %v, want nothing yet", items)
			}

			*f.clock = before.Add(settleTime)
			got, _ := pollAll(t, p, cursor)
			if len(got) != 1 {
				t.Errorf("after the write: got %d items, want the new one", len(got))
			}
			if _, err := f.st.DeleteEvent(context.Background(), f.admin, id); err != nil {
				t.Fatal(err)
			}
			*f.clock = before.Add(time.Minute)
		})
	}
}

// allUUIDs returns the sorted uuids of the attributes and events the
// viewer sees.
func (f *exportFixture) allUUIDs(t *testing.T) (attrs, events []string) {
	t.Helper()
	p, err := ParseRestSearch([]byte(`{}`), nil, nil, *f.clock)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	err = AttributesEach(context.Background(), f.st, f.viewer, p, func(a store.Attribute) error {
		attrs = append(attrs, a.UUID)
		if !seen[a.Event.UUID] {
			seen[a.Event.UUID] = true
			events = append(events, a.Event.UUID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(attrs)
	slices.Sort(events)
	return attrs, events
}

func duplicates(s []string) []string {
	seen := map[string]bool{}
	var dup []string
	for _, v := range s {
		if seen[v] {
			dup = append(dup, v)
		}
		seen[v] = true
	}
	return dup
}

func TestCursorRefusals(t *testing.T) {
	f := newExportFixture(t)
	eventsCursor := cursorKey{TS: 1, UUID: "00000000-0000-4000-8000-000000000000"}.encode(ScopeEvents)
	tests := []struct{ name, body string }{
		{"garbage", `{"cursor":"garbage"}`},
		{"another scope's cursor", `{"cursor":"` + eventsCursor + `"}`},
		{"another order", `{"cursor":"start","order":"value"}`},
		{"a page number", `{"cursor":"start","page":2,"limit":5}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseRestSearch([]byte(tt.body), nil, nil, fixtureClock)
			if err != nil {
				t.Fatal(err)
			}
			_, _, _, err = AttributesAfter(context.Background(), f.st, f.viewer, p)
			var pe *ParamError
			if !errors.As(err, &pe) || pe.Param != "cursor" {
				t.Errorf("json: got %v, want a cursor error", err)
			}
			p.ReturnFormat = "text"
			_, err = PrepareExport(context.Background(), f.st, f.viewer, p, ExportOptions{}, ScopeAttributes)
			if !errors.As(err, &pe) || pe.Param != "cursor" {
				t.Errorf("export: got %v, want a cursor error", err)
			}
		})
	}
}

// TestCursorWaitsForLongWrites polls while a write stamped earlier than
// the settle time is still in progress (a large event, a feed pull) and
// another write of the same second has committed: the poll must wait for
// the long write rather than move past its second, or the long write's
// rows, sorting first in that second, would never come. It did skip them.
func TestCursorWaitsForLongWrites(t *testing.T) {
	f := newExportFixture(t)
	ctx := context.Background()
	base := fixtureClock.Add(time.Hour)
	i := 0
	for name, p := range pollers(f) {
		t.Run(name, func(t *testing.T) {
			i++
			start := base.Add(time.Duration(i) * time.Hour)
			*f.clock = start
			_, cursor := pollAll(t, p, CursorStart)
			short := f.save(t, f.admin, `{"info":"short","distribution":1,"Attribute":[{"type":"domain","value":"short.example"}]}`, true)

			// The long write stamps its event at start too, with uuids that
			// sort before the short one's, and stays open until released.
			long := fmt.Sprintf(`{"info":"long","distribution":1,"uuid":"00000000-0000-4000-8000-00000000000%d",
				"Attribute":[{"type":"domain","value":"long.example","uuid":"00000000-0000-4000-8000-00000000010%d"}]}`, i, i)
			var ev misp.Event
			if err := json.Unmarshal([]byte(long), &ev); err != nil {
				t.Fatal(err)
			}
			written, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
			sent := false
			go func() {
				done <- f.st.SaveEventStream(ctx, f.admin, func() (*misp.Event, error) {
					if !sent {
						sent = true
						return &ev, nil
					}
					close(written)
					<-release
					return nil, io.EOF
				}, store.SaveOptions{Mode: store.ModeCreate}, func(store.SaveResult, error) {})
			}()
			<-written
			*f.clock = start.Add(time.Minute) // the long write has run for a minute
			if items, next := p(t, cursor); len(items) != 0 || next != cursor {
				t.Errorf("during the long write: got %v, want to wait for it", items)
			}
			close(release)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			got, _ := pollAll(t, p, cursor)
			longUUIDs := []string{*ev.UUID, *ev.Attribute.Items[0].UUID}
			if !slices.ContainsFunc(got, func(u string) bool { return slices.Contains(longUUIDs, u) }) || len(got) < 2 {
				t.Errorf("after the long write: got %v, want the long write's item and the short one's", got)
			}
			for _, id := range []string{short, *ev.UUID} {
				if _, err := f.st.DeleteEvent(ctx, f.admin, id); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
