package fetch

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cairn-intel/cairn/internal/store"
)

// TestIssueCSVCase pulls the CSV case of issue 3 from a loopback server:
// a BOM, CRLF, two comment lines (the second naming the columns), a URL
// with a comma inside quotes, a doubled quote, a quoted newline and a
// plain row. Three values are stored with their exact text and the
// report says 3 created and 1 rejected, with its line and reason.
func TestIssueCSVCase(t *testing.T) {
	body := strings.Join([]string{
		"\ufeff# Example URL feed, generated 2024-05-01 00:00:00 UTC",
		"# id,dateadded,url,status",
		`"101","2024-05-01 10:00:00","http://198.51.100.7/a,b.php","online"`,
		`"102","2024-05-01 10:01:00","http://203.0.113.9/x""y","online"`,
		`"103","2024-05-01 10:02:00","http://192.0.2.10/multi`,
		`line","online"`,
		`"104","2024-05-01 10:03:00","http://example.test/good","online"`,
	}, "\r\n") + "\r\n"
	ls := newListServer(t, body)
	st, a := newStore(t, nil)
	f, err := st.CreateFeed(context.Background(), store.Feed{Name: "issue case", URL: ls.srv.URL,
		SourceFormat: "csv", Schedule: time.Hour, Enabled: true, FixedEvent: true,
		Settings: `{"csv": {"value": "3", "id_column": 1, "first_seen_column": 2}}`})
	if err != nil {
		t.Fatal(err)
	}
	rep := mustPull(t, New(st, testOptions()), f)
	if rep.Created != 3 || rep.Rejected != 1 || rep.Rejects[0].Line != 5 ||
		rep.Rejects[0].Reason != "url value contains spaces or control characters" {
		t.Errorf("got %d created, %d rejected %+v, want 3 and 1 at line 5", rep.Created, rep.Rejected, rep.Rejects)
	}
	ev, err := st.EventByRef(context.Background(), a, itoa(rep.EventID), store.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"http://198.51.100.7/a,b.php", `http://203.0.113.9/x"y`, "http://example.test/good"}
	for i, at := range ev.Attribute {
		if i >= len(want) || at.Value() != want[i] || at.Type != "url" {
			t.Errorf("attribute %d: got %s %q, want url %q", i, at.Type, at.Value(), want[min(i, 2)])
		}
	}
	if len(ev.Attribute) != 3 || ev.Attribute[0].FirstSeen == nil {
		t.Errorf("got %d attributes, the first with first_seen %v", len(ev.Attribute), ev.Attribute[0].FirstSeen)
	}
}

// TestSampleDetailsStored checks what the presets keep beside the value:
// ThreatFox's tags on each attribute and the feed's tag on the event.
func TestSampleDetailsStored(t *testing.T) {
	requireSamples(t)
	st, a := newStore(t, nil)
	srv := serveDir(t, samplePath("threatfox"))
	f := presetFeed(t, st, "ThreatFox", srv.URL+"/recent.json")
	rep := mustPull(t, New(st, testOptions()), f)
	ev, err := st.EventByRef(context.Background(), a, itoa(rep.EventID), store.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Tag) != 1 || ev.Tag[0].Name != `osint:source-type="block-or-filter-list"` {
		t.Errorf("got event tags %v, want the block-or-filter-list tag", ev.Tag)
	}
	var cs *store.Attribute
	for i := range ev.Attribute {
		if ev.Attribute[i].Value() == "8.137.170.3|443" {
			cs = &ev.Attribute[i]
		}
	}
	if cs == nil {
		t.Fatal("8.137.170.3|443 is missing")
	}
	var tags []string
	for _, tg := range cs.Tag {
		tags = append(tags, tg.Name)
	}
	if strings.Join(tags, "|") != `cobaltstrike|misp-galaxy:malpedia="Cobalt Strike"` ||
		cs.Comment != "botnet_cc; Cobalt Strike; confidence 100" {
		t.Errorf("got tags %v comment %q", tags, cs.Comment)
	}
}
