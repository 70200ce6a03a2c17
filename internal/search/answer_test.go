package search

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/cairn-intel/cairn/internal/store"
)

// answerLimits sets the size from which a json answer is read as ids, and
// the size of its chunks, for one test.
func answerLimits(t *testing.T, whole, chunk int) {
	oldWhole, oldChunk := wholeRows, chunkRows
	wholeRows, chunkRows = whole, chunk
	t.Cleanup(func() { wholeRows, chunkRows = oldWhole, oldChunk })
}

// TestLargeAttributeAnswers checks that an answer read as ids and written
// in chunks holds exactly what the same answer read whole holds: the same
// attributes, complete, in the same order, with the same count and cursor,
// for paging, polling, warninglists and every actor.
func TestLargeAttributeAnswers(t *testing.T) {
	f := newExportFixture(t)
	for i := range 12 {
		f.save(t, f.admin, fmt.Sprintf(`{"info":"more %d","distribution":1,"Tag":[{"name":"tlp:green"}],"Attribute":[
			{"type":"domain","value":"m%d.example","Tag":[{"name":"tlp:amber"}]},{"type":"ip-dst","value":"198.51.100.%d"}]}`,
			i, i, i+10), true)
	}
	bodies := []string{
		`{}`,
		`{"limit": 7}`,
		`{"limit": 7, "page": 3}`,
		`{"limit": 500}`,
		`{"cursor": "start", "limit": 9}`,
		`{"type": "domain", "includeEventTags": 1, "includeContext": 1, "includeSightings": 1}`,
		`{"enforceWarninglist": 1, "includeWarninglistHits": 1}`,
		`{"enforceWarninglist": 1, "limit": 6, "page": 2}`,
		`{"order": "value desc"}`,
		`{"value": "no-such-value.example"}`,
	}
	warn := func(value, _ string) []store.WarninglistHit {
		if len(value) > 2 && value[0] == 'm' && value[1] < '5' {
			return []store.WarninglistHit{{ListName: "test"}}
		}
		return nil
	}
	actors := map[string]*store.Actor{"admin": f.admin, "viewer": f.viewer, "other": f.other}
	ctx := context.Background()
	for _, body := range bodies {
		p, err := ParseRestSearch([]byte(body), nil, nil, fixtureClock)
		if err != nil {
			t.Fatal(err)
		}
		p.Warnings = warn
		for name, a := range actors {
			whole, wTotal, wCursor, err := AttributesAfter(ctx, f.st, a, p)
			if err != nil {
				t.Fatal(err)
			}
			if body == `{}` && name == "admin" && len(whole) < 30 {
				t.Fatalf("the fixture holds %d attributes; the test needs more than a few chunks", len(whole))
			}
			t.Run(name+" "+body, func(t *testing.T) {
				answerLimits(t, 3, 2)
				x, err := PrepareAttributes(ctx, f.st, a, p)
				if err != nil {
					t.Fatal(err)
				}
				var large []store.Attribute
				chunks := 0
				err = x.Each(ctx, func(c []store.Attribute) error {
					if len(c) > 2 {
						t.Errorf("a chunk of %d attributes, want at most 2", len(c))
					}
					chunks++
					large = append(large, c...)
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if x.Total != wTotal || x.Cursor != wCursor {
					t.Errorf("total %d, cursor %q; read whole: %d, %q", x.Total, x.Cursor, wTotal, wCursor)
				}
				if got, want := asJSON(t, large), asJSON(t, whole); got != want {
					t.Errorf("in chunks:\n%s\nread whole:\n%s", got, want)
				}
				if len(whole) > 3 && chunks < 2 {
					t.Errorf("%d attributes came in %d chunk: the answer was not read as ids", len(whole), chunks)
				}
			})
		}
	}
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestEventAnswerChunks checks that an events answer loaded a few events at
// a time holds what it holds loaded in larger chunks, in order, and that
// chunks shrink after one holding many attributes.
func TestEventAnswerChunks(t *testing.T) {
	f := newExportFixture(t)
	for i := range 40 {
		f.save(t, f.admin, fmt.Sprintf(`{"info":"more %d","distribution":1,"Attribute":[
			{"type":"domain","value":"m%d.example"},{"type":"ip-dst","value":"198.51.100.%d"}]}`, i, i, i+10), true)
	}
	ctx := context.Background()
	for _, body := range []string{`{}`, `{"limit": 30, "page": 2}`, `{"type": "domain", "enforceWarninglist": 1}`} {
		p, err := ParseRestSearch([]byte(body), nil, nil, fixtureClock)
		if err != nil {
			t.Fatal(err)
		}
		p.Warnings = func(value, _ string) []store.WarninglistHit {
			if value == "m3.example" {
				return []store.WarninglistHit{{ListName: "test"}}
			}
			return nil
		}
		for name, a := range map[string]*store.Actor{"admin": f.admin, "viewer": f.viewer, "other": f.other} {
			read := func(perChunk int) ([]store.Event, []int) {
				old := eventChunkAttributes
				eventChunkAttributes = perChunk
				defer func() { eventChunkAttributes = old }()
				x, err := PrepareEvents(ctx, f.st, a, p)
				if err != nil {
					t.Fatal(err)
				}
				var events []store.Event
				var sizes []int
				err = x.Each(ctx, func(c []store.Event) error {
					events, sizes = append(events, c...), append(sizes, len(c))
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				return events, sizes
			}
			large, _ := read(1 << 30)
			small, sizes := read(1)
			if got, want := asJSON(t, small), asJSON(t, large); got != want {
				t.Errorf("%s %s: in small chunks %s, in large ones %s", name, body, got, want)
			}
			if len(sizes) > 1 && sizes[len(sizes)-1] != 1 {
				t.Errorf("%s %s: chunks of %v events, want them down to one", name, body, sizes)
			}
			if name == "admin" && len(large) < 10 {
				t.Errorf("%s %s: %d events; the test needs more", name, body, len(large))
			}
		}
	}
}

// TestPageTotals checks the total of every page of a search, including a
// short last page and pages past the end, whose totals are taken from the
// page or counted: each must be the number of attributes (events) the
// unpaged search finds, for every actor.
func TestPageTotals(t *testing.T) {
	f := newExportFixture(t)
	for i := range 9 {
		f.save(t, f.admin, fmt.Sprintf(`{"info":"page %d","distribution":1,"Attribute":[
			{"type":"domain","value":"p%d.example"},{"type":"ip-dst","value":"198.51.100.%d"}]}`, i, i, i+10), true)
	}
	ctx := context.Background()
	for name, a := range map[string]*store.Actor{"admin": f.admin, "viewer": f.viewer, "other": f.other} {
		for _, filter := range []string{`"type": "domain"`, `"to_ids": 1`, `"tags": "tlp:green"`, `"value": "no-such-value.example"`} {
			all, err := ParseRestSearch([]byte(`{`+filter+`}`), nil, nil, fixtureClock)
			if err != nil {
				t.Fatal(err)
			}
			attrs, _, _, err := AttributesAfter(ctx, f.st, a, all)
			if err != nil {
				t.Fatal(err)
			}
			events, _, _, err := EventsAfter(ctx, f.st, a, all)
			if err != nil {
				t.Fatal(err)
			}
			for _, limit := range []int{1, 4, 7, 100} {
				for page := 1; page <= len(attrs)/limit+3; page++ {
					p := all
					p.Limit, p.Page = limit, page
					_, total, _, err := AttributesAfter(ctx, f.st, a, p)
					if err != nil {
						t.Fatal(err)
					}
					if total != int64(len(attrs)) {
						t.Errorf("%s, {%s}, limit %d, page %d: attribute total %d, want %d", name, filter, limit, page, total, len(attrs))
					}
					_, total, _, err = EventsAfter(ctx, f.st, a, p)
					if err != nil {
						t.Fatal(err)
					}
					if total != int64(len(events)) {
						t.Errorf("%s, {%s}, limit %d, page %d: event total %d, want %d", name, filter, limit, page, total, len(events))
					}
				}
			}
		}
	}
}
