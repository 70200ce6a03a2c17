package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestValuesIgnoreASCIICase stores values in mixed case and looks them up
// through InValues and SameValue: ASCII letters match in either case,
// other letters as written, and both databases give the same answers.
func TestValuesIgnoreASCIICase(t *testing.T) {
	s, a := newTestStore(t)
	ctx := context.Background()
	if _, err := s.SaveEvent(ctx, a, event(t, `{"info": "cases", "Attribute": [
		{"type": "text", "value": "Evil Payload"},
		{"type": "text", "value": "ÄRGER"},
		{"type": "filename|md5", "value": "Drop.EXE|0749bae92ca336a02c83d126e04ec628"}]}`),
		SaveOptions{Mode: ModeCreate}); err != nil {
		t.Fatal(err)
	}
	find := func(c Cond) []string {
		t.Helper()
		found, err := queryAll(ctx, s, s.Rebind(`SELECT value1 FROM attributes a WHERE `+c.SQL), c.Args,
			func(r rowScanner) (v string, err error) { err = r.Scan(&v); return })
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(found)
		return found
	}
	for _, tc := range []struct {
		col  string
		vals []string
		want []string
	}{
		{"a.value1", []string{"evil payload"}, []string{"Evil Payload"}},
		{"a.value1", []string{"EVIL PAYLOAD", "drop.exe"}, []string{"Drop.EXE", "Evil Payload"}},
		{"a.value1", []string{"ÄRGER"}, []string{"ÄRGER"}},
		{"a.value1", []string{"äRGER"}, nil}, // not an ASCII letter: compared as written
		{"a.value2", []string{"0749BAE92CA336A02C83D126E04EC628"}, []string{"Drop.EXE"}},
	} {
		long := slices.Clone(tc.vals)
		for i := range 2 * setMin { // past setMin the values go as one set
			long = append(long, fmt.Sprintf("other-%d", i))
		}
		for _, vals := range [][]string{tc.vals, long} {
			if got := find(s.InValues(tc.col, vals)); !slices.Equal(got, tc.want) {
				t.Errorf("%s in %d values %q...: got %q, want %q", tc.col, len(vals), tc.vals, got, tc.want)
			}
		}
	}
	same := Cond{SQL: `EXISTS (SELECT 1 FROM attributes o WHERE o.id <> a.id AND ` + s.SameValue("o.value1", "?") + `)
		AND ` + s.SameValue("a.value1", "?"), Args: []any{"x", "EVIL payload"}}
	if got := find(same); len(got) != 0 {
		t.Errorf("SameValue with no other match: got %q", got)
	}
	if got := find(Cond{SQL: s.SameValue("a.value1", "?"), Args: []any{"evil PAYLOAD"}}); !slices.Equal(got, []string{"Evil Payload"}) {
		t.Errorf("SameValue: got %q, want the stored value", got)
	}
}

// TestValueLookupsUseValueIndexes reads the plans of value look-ups: each
// must probe the value index of its column, on either database (on
// PostgreSQL the index of the lowered values, migration 6).
func TestValueLookupsUseValueIndexes(t *testing.T) {
	s, _ := newTestStore(t)
	var vals []string
	for i := range 2 * setMin {
		vals = append(vals, fmt.Sprintf("Value-%d.example", i))
	}
	for _, tc := range []struct {
		name, index string
		c           Cond
	}{
		{"value1, short", "attributes_value1", s.InValues("a.value1", vals[:2])},
		{"value1, set", "attributes_value1", s.InValues("a.value1", vals)},
		{"value2, set", "attributes_value2", s.InValues("a.value2", vals)},
		{"same value", "attributes_value1", Cond{SQL: s.SameValue("a.value1", "?"), Args: []any{"Evil"}}},
	} {
		c := tc.c
		if strings.Contains(tc.name, "value2") {
			c.SQL += " AND a.value2 <> ''"
		}
		index := tc.index
		if s.Dialect() != "sqlite" {
			index += "_key " // the ICU-collated indexes are gone
		}
		plan := valuePlan(t, s, `SELECT a.id FROM attributes a WHERE `+c.SQL, c.Args)
		if !strings.Contains(plan, index) {
			t.Errorf("%s: plan %q does not probe %s", tc.name, plan, tc.index)
		}
	}
}

// valuePlan returns the plan of q as one line. PostgreSQL is told to
// avoid sequential scans, which it prefers on a table this small.
func valuePlan(t *testing.T, s *Store, q string, args []any) string {
	t.Helper()
	ctx := context.Background()
	if s.Dialect() == "sqlite" {
		plan, err := s.QueryPlan(ctx, q, args...)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(plan, "; ")
	}
	conn, err := s.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, `RESET enable_seqscan`)
	return explain(t, conn, `EXPLAIN `+s.Rebind(q), args...)
}

// explain runs an EXPLAIN on conn and returns the plan as one line.
func explain(t *testing.T, conn *sql.Conn, q string, args ...any) string {
	t.Helper()
	rows, err := conn.QueryContext(context.Background(), q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, strings.TrimSpace(l))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "; ")
}

// TestBlankSightingValueFindsNothing adds a sighting by a value of blanks:
// it must reach no attribute. Its one search form is empty, and value2 is
// empty in every attribute that is not composite, all of which it matched.
func TestBlankSightingValueFindsNothing(t *testing.T) {
	s, a := newTestStore(t)
	ctx := context.Background()
	if _, err := s.SaveEvent(ctx, a, event(t, `{"info": "plain", "Attribute": [{"type": "ip-dst", "value": "198.51.100.7"}]}`),
		SaveOptions{Mode: ModeCreate}); err != nil {
		t.Fatal(err)
	}
	_, n, err := s.AddSightings(ctx, a, SightingInput{Values: []string{"  "}, Timestamp: 1700000000})
	if n != 0 {
		t.Errorf("a blank value reached %d attributes (err %v), want none", n, err)
	}
}

// TestSightingsByValueMatchAsSearches adds sightings by value to composite
// attributes: each value reaches the attributes a search for it finds, the
// whole composite value as MISP shows it included, and an address and port
// no attribute holds reaches none (it reached the address and every port).
func TestSightingsByValueMatchAsSearches(t *testing.T) {
	s, a := newTestStore(t)
	ctx := context.Background()
	if _, err := s.SaveEvent(ctx, a, event(t, `{"info": "composites", "Attribute": [
		{"type": "ip-dst", "value": "198.18.5.5"},
		{"type": "ip-dst|port", "value": "198.18.5.5|22"},
		{"type": "filename|md5", "value": "Repro.exe|d41d8cd98f00b204e9800998ecf8427e"},
		{"type": "domain|ip", "value": "repro.example|198.18.5.6"}]}`), SaveOptions{Mode: ModeCreate}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		value string
		want  []string // value1 of the attributes sighted
	}{
		{"198.18.5.5|9999", nil},
		{"198.18.5.5:9999", nil},
		{"198.18.5.5|22", []string{"198.18.5.5"}},
		{"198.18.5.5:22", []string{"198.18.5.5"}},
		{"REPRO.EXE|D41D8CD98F00B204E9800998ECF8427E", []string{"Repro.exe"}},
		{"repro.example|198.18.5.6", []string{"repro.example"}},
		{"198.18.5.6", []string{"repro.example"}},
	} {
		targets, err := s.sightingTargets(ctx, a, SightingInput{Values: []string{tc.value}})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, at := range targets {
			got = append(got, at.Value1+"|"+at.Value2)
		}
		var want []string
		for _, v := range tc.want {
			for _, at := range targets {
				if at.Value1 == v {
					want = append(want, at.Value1+"|"+at.Value2)
				}
			}
		}
		if len(targets) != len(tc.want) || !slices.Equal(got, want) {
			t.Errorf("sighting %q reached %q, want the attributes of value1 %q", tc.value, got, tc.want)
		}
	}
}

// TestSightingsByBracketedAddressAndPort adds sightings by an IPv6 address
// in brackets and a port: only the composite with that port is reached,
// never the bare address nor another port.
func TestSightingsByBracketedAddressAndPort(t *testing.T) {
	s, a := newTestStore(t)
	ctx := context.Background()
	if _, err := s.SaveEvent(ctx, a, event(t, `{"info": "v6", "Attribute": [
		{"type": "ip-src", "value": "2001:db8::7"}, {"type": "ip-src|port", "value": "2001:db8::7|53"}]}`),
		SaveOptions{Mode: ModeCreate}); err != nil {
		t.Fatal(err)
	}
	for value, want := range map[string]int{"[2001:db8::7]|54": 0, "[2001:db8::7]|53": 1, "[2001:db8::7]:53": 1} {
		targets, err := s.sightingTargets(ctx, a, SightingInput{Values: []string{value}})
		if err != nil {
			t.Fatal(err)
		}
		if len(targets) != want || want == 1 && targets[0].Value2 != "53" {
			t.Errorf("sighting %q reached %d attributes %v, want %d (the composite with port 53)", value, len(targets), targets, want)
		}
	}
}

// TestTagIDsMatchingAny resolves tag terms of every kind at once: ids,
// names in any case and patterns, among thousands that match nothing, as
// it resolves each of them alone.
func TestTagIDsMatchingAny(t *testing.T) {
	s, a := newTestStore(t)
	ctx := context.Background()
	var want []int64
	for _, name := range []string{"tlp:amber", "kill-chain:c2", "osint:source-type=\"blog-post\""} {
		tag, err := s.SaveTag(ctx, a, Tag{Name: name, Colour: "#ffffff", Exportable: true})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, tag.ID)
	}
	terms := []string{"TLP:AMBER", fmt.Sprint(want[1]), "osint:%"}
	for i := range 3000 {
		terms = append(terms, fmt.Sprintf("nothing:%d", i), fmt.Sprint(100000+i))
	}
	got, err := s.TagIDsMatchingAny(ctx, terms)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if !slices.Equal(slices.Compact(got), want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, term := range terms[:3] {
		one, err := s.TagIDsMatchingAny(ctx, []string{term})
		if err != nil || len(one) != 1 {
			t.Errorf("TagIDsMatchingAny(%q) = %v, %v; want one tag", term, one, err)
		}
	}
}

// TestAttributeDetailsInHalves attaches the tags of more attributes than
// are read in one piece: they are read in two halves at once, and each
// attribute gets its own tags, in order, as when read in one.
func TestAttributeDetailsInHalves(t *testing.T) {
	s, a := newTestStore(t)
	ctx := context.Background()
	n := 2*detailParallelMin + 7
	var attrs []string
	for i := range n {
		tags := `[{"name": "half:one"}]`
		if i%3 == 0 {
			tags = `[{"name": "half:two"}, {"name": "half:one"}]`
		}
		attrs = append(attrs, fmt.Sprintf(`{"type": "domain", "value": "d%d.example", "Tag": %s}`, i, tags))
	}
	res, err := s.SaveEvent(ctx, a, event(t, `{"info": "many", "Attribute": [`+strings.Join(attrs, ",")+`]}`),
		SaveOptions{Mode: ModeCreate})
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.EventByRef(ctx, a, res.UUID, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := slices.Clone(e.Attribute)
	for i := range got {
		got[i].Tag = nil
	}
	if err := s.AttachAttributeDetails(ctx, a, got, LoadOptions{NoSightings: true}); err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d attributes, want %d", len(got), n)
	}
	for i, at := range got {
		var names []string
		for _, tag := range at.Tag {
			names = append(names, tag.Name)
		}
		var k int
		if _, err := fmt.Sscanf(at.Value1, "d%d.example", &k); err != nil {
			t.Fatal(err)
		}
		want := []string{"half:one"}
		if k%3 == 0 {
			want = []string{"half:two", "half:one"}
		}
		if !slices.Equal(names, want) {
			t.Fatalf("attribute %d (%s): tags %v, want %v", i, at.Value1, names, want)
		}
	}
}

// TestRefreshStatisticsAfterGrowth grows a table past its statistics and
// refreshes them: on PostgreSQL the grown tables are analysed and named,
// and a second refresh finds nothing left to do; on SQLite PRAGMA optimize
// runs.
func TestRefreshStatisticsAfterGrowth(t *testing.T) {
	s, a := newTestStore(t)
	ctx := context.Background()
	if _, err := s.RefreshStatistics(ctx); err != nil {
		t.Fatal(err)
	}
	var attrs []string
	for i := range 1200 {
		attrs = append(attrs, fmt.Sprintf(`{"type": "domain", "value": "grow%d.example"}`, i))
	}
	if _, err := s.SaveEvent(ctx, a, event(t, `{"info": "growth", "Attribute": [`+strings.Join(attrs, ",")+`]}`),
		SaveOptions{Mode: ModeCreate}); err != nil {
		t.Fatal(err)
	}
	tables, err := s.RefreshStatistics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Dialect() == "sqlite" {
		// A small table read as one row where it holds three: SQLite's
		// PRAGMA optimize waits for tenfold growth, the refresh does not.
		for i := range 2 {
			if _, err := s.SaveEvent(ctx, a, event(t, fmt.Sprintf(`{"info": "more %d"}`, i)), SaveOptions{Mode: ModeCreate}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.db.ExecContext(ctx, `UPDATE sqlite_stat1 SET stat = '1 1' WHERE tbl = 'events'`); err != nil {
			t.Fatal(err)
		}
		// The readers plan with what they read when they opened: those
		// idle at the refresh must be closed for new ones to read it.
		if _, err := s.db.ExecContext(ctx, `SELECT COUNT(*) FROM events`); err != nil {
			t.Fatal(err)
		}
		closedBefore := s.db.Stats().MaxIdleClosed
		if tables, err = s.RefreshStatistics(ctx); err != nil || !slices.Contains(tables, "events") {
			t.Fatalf("refresh with events at 3 rows, statistics at 1: analysed %v, %v; want events", tables, err)
		}
		if st := s.db.Stats(); st.MaxIdleClosed == closedBefore || st.Idle != 0 {
			t.Errorf("after the refresh %d idle readers remain, %d closed; want the idle ones closed", st.Idle, st.MaxIdleClosed-closedBefore)
		}
		var stat string
		if err := s.db.QueryRowContext(ctx, `SELECT stat FROM sqlite_stat1 WHERE tbl = 'events' LIMIT 1`).Scan(&stat); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(stat, "3 ") {
			t.Errorf("events statistics after the refresh: %q, want 3 rows", stat)
		}
		if again, err := s.RefreshStatistics(ctx); err != nil || len(again) != 0 {
			t.Errorf("a second refresh analysed %v, %v; want nothing", again, err)
		}
		return
	}
	if !slices.Contains(tables, "attributes") {
		// The counters of the statistics collector reach the view when the
		// writing backend reports them; give them a moment.
		time.Sleep(time.Second)
		if tables, err = s.RefreshStatistics(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Contains(tables, "attributes") {
		t.Errorf("after 1,200 new attributes the refresh analysed %v, want attributes among them", tables)
	}
	again, err := s.RefreshStatistics(ctx)
	if err != nil || slices.Contains(again, "attributes") {
		t.Errorf("a second refresh: %v, %v; want attributes left alone", again, err)
	}
}
