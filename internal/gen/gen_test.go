package gen

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/cairn-intel/cairn/internal/ingest"
	"github.com/cairn-intel/cairn/internal/misp"
)

func TestConfigs(t *testing.T) {
	tests := []struct {
		name                 string
		cfg                  Config
		wantEvents, wantAttr int
		wantErr              bool
	}{
		{"default", DefaultConfig(), 1842, 595023, false},
		{"scaled by ten", DefaultConfig().Scaled(10), 18420, 5950230, false},
		{"a tenth of the events", DefaultConfig().WithEvents(184), 184, 59437, false},
		{"no events", DefaultConfig().WithEvents(0), 0, 0, false},
		{"too few attributes", Config{Events: 10, Attributes: 9, Orgs: 1}, 10, 9, true},
		{"no organisations", Config{Events: 1, Attributes: 1}, 1, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.cfg.Events != tt.wantEvents || tt.cfg.Attributes != tt.wantAttr {
				t.Errorf("got %d events, %d attributes; want %d, %d", tt.cfg.Events, tt.cfg.Attributes,
					tt.wantEvents, tt.wantAttr)
			}
			_, err := New(tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Errorf("New: got error %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

// TestSizes checks the skew of the default dataset: many small events and
// a few with thousands of attributes, summing to the total exactly.
func TestSizes(t *testing.T) {
	g, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	sizes := slices.Clone(g.sizes)
	slices.Sort(sizes)
	sum, thousands := 0, 0
	for _, n := range sizes {
		sum += n
		if n >= 1000 {
			thousands++
		}
	}
	median, largest := sizes[len(sizes)/2], sizes[len(sizes)-1]
	if sum != DefaultAttributes || sizes[0] < 1 {
		t.Errorf("got %d attributes, smallest event %d; want %d, at least 1", sum, sizes[0], DefaultAttributes)
	}
	if median > 100 || largest < 5000 || thousands < 50 {
		t.Errorf("got median %d, largest %d, %d events of 1000 or more; want a median under 100, "+
			"a largest of 5000 or more and at least 50 such events", median, largest, thousands)
	}
}

// sample are the events the content tests look at: spread over the
// dataset, and the largest one.
func sample(g *Generator) []int {
	idx := []int{}
	largest := 0
	for i := range g.cfg.Events {
		if i%61 == 0 {
			idx = append(idx, i)
		}
		if g.sizes[i] > g.sizes[largest] {
			largest = i
		}
	}
	return append(idx, largest)
}

func TestDeterministic(t *testing.T) {
	cfg := DefaultConfig()
	a, _ := New(cfg)
	b, _ := New(cfg)
	cfg.Seed = 2
	c, _ := New(cfg)
	for _, i := range sample(a)[:5] {
		ja, jb, jc := mustJSON(t, a.wire(i)), mustJSON(t, b.wire(i)), mustJSON(t, c.wire(i))
		if ja != jb {
			t.Errorf("event %d: two generators with one seed differ", i)
		}
		if ja == jc {
			t.Errorf("event %d: seeds 1 and 2 give the same event", i)
		}
	}
}

// TestConvertMatchesDecode checks that the events yielded are those an
// import of the feed reads.
func TestConvertMatchesDecode(t *testing.T) {
	g, _ := New(DefaultConfig())
	for _, i := range sample(g) {
		w := g.wire(i)
		var decoded misp.Event
		if err := json.Unmarshal([]byte(mustJSON(t, w)), &decoded); err != nil {
			t.Fatal(err)
		}
		if got := g.Event(i); !reflect.DeepEqual(*got, decoded) {
			t.Errorf("event %d: got %s, want %s", i, mustJSON(t, got), mustJSON(t, &decoded))
		}
	}
}

// TestValuesValid checks every attribute of the sample against the rules
// the store applies, and the size of each event.
func TestValuesValid(t *testing.T) {
	g, _ := New(DefaultConfig())
	for _, i := range sample(g) {
		ev := g.Event(i)
		n := 0
		seen := map[string]bool{}
		for _, a := range ev.Attribute.Items {
			key := checkAttribute(t, i, &a)
			if seen[key] {
				t.Errorf("event %d: got %s twice at the top level, want no duplicate", i, key)
			}
			seen[key] = true
			n++
		}
		for _, o := range ev.Object.Items {
			for _, a := range o.Attribute.Items {
				checkAttribute(t, i, &a)
				n++
			}
		}
		if n != g.Size(i) {
			t.Errorf("event %d: got %d attributes, want %d", i, n, g.Size(i))
		}
	}
}

func checkAttribute(t *testing.T, event int, a *misp.Attribute) string {
	t.Helper()
	typ, cat, value := string(*a.Type), string(*a.Category), string(*a.Value)
	v1, v2, err := misp.NormalizeValue(typ, value)
	if err != nil {
		t.Errorf("event %d: %s %q: %v", event, typ, value, err)
	}
	if !misp.CategoryAllows(cat, typ) {
		t.Errorf("event %d: category %q does not allow type %q", event, cat, typ)
	}
	return typ + " " + v1 + "|" + v2
}

func TestSaveEventsStoresAll(t *testing.T) {
	ctx := context.Background()
	g, _ := New(Config{Seed: 3, Events: 40, Attributes: 4000, Orgs: 5})
	st, a, err := NewStore(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	res, err := SaveEvents(ctx, st, a, g)
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Events != 40 || res.Attributes != 4000 || c.Events != 40 || c.Attributes != 4000 || c.Orgs != 6 {
		t.Errorf("got result %+v and counts %+v; want 40 events, 4000 attributes, 6 organisations", res, c)
	}
}

func TestRawInsert(t *testing.T) {
	g, _ := New(Config{Seed: 3, Events: 40, Attributes: 4000, Orgs: 5})
	res, err := RawInsert(context.Background(), t.TempDir(), g)
	if err != nil {
		t.Fatal(err)
	}
	if res.Events != 40 || res.Attributes != 4000 || res.Rate() <= 0 {
		t.Errorf("got %+v, want 40 events, 4000 attributes and a rate", res)
	}
}

// TestFeedImport writes a feed and imports it twice with 'cairn import's
// code: everything is created once, then skipped.
func TestFeedImport(t *testing.T) {
	ctx := context.Background()
	g, _ := New(Config{Seed: 4, Events: 30, Attributes: 2500, Orgs: 3})
	dir := filepath.Join(t.TempDir(), "feed")
	if err := g.WriteFeed(dir); err != nil {
		t.Fatal(err)
	}
	st, a, err := NewStore(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	steps := []struct {
		name string
		want ingest.EventCounts
		attr int
	}{
		{"first import", ingest.EventCounts{Created: 30}, 2500},
		{"second import", ingest.EventCounts{Skipped: 30}, 0},
	}
	for _, step := range steps {
		rep, err := ingest.New(st, a, ingest.Options{}).Import(ctx, []string{dir})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Events != step.want || rep.Attributes.Created != step.attr || !rep.Clean() {
			t.Errorf("%s: got %+v, %d attributes, clean %v; want %+v, %d, clean", step.name, rep.Events,
				rep.Attributes.Created, rep.Clean(), step.want, step.attr)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
