package fetch

import (
	"strings"
	"testing"
)

func TestReportText(t *testing.T) {
	rep := &Report{FeedID: 3, Feed: "list", Result: resultFailure, Error: "boom", Unit: unitAttributes,
		Created: 2, Rejected: 12, Retries: 1, Insecure: true}
	for i := range 12 {
		rep.Rejects = append(rep.Rejects, RejectedLine{Line: i + 1, Text: "x", Reason: "not an indicator"})
	}
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`# Pull of feed 3 "list": failure`, "| 2 | 0 | 0 | 0 | 12 | 0 |",
		"**Failed:** boom", "retried 1 time", "TLS verification was off", `- line 1 "x": not an indicator`,
		"… and 2 more"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the text lacks %q:\n%s", want, b.String())
		}
	}
	if got := rep.Summary(); !strings.Contains(got, `Fetching the feed "list" failed: boom`) {
		t.Errorf("got summary %q", got)
	}
}

func TestReportTextWarninglisted(t *testing.T) {
	rep := &Report{FeedID: 4, Feed: "list", Result: resultSuccess, Unit: unitAttributes, Created: 1,
		Warninglisted: 2, Rejects: []RejectedLine{}, WarninglistHits: []WarninglistedValue{
			{Line: 2, Type: "ip-dst", Value: "192.0.2.1", List: "docs", Action: "skipped"},
			{Where: "0b9d3c5e Attribute[1]", Type: "domain", Value: "www.example.org", List: "names", Action: "skipped"}}}
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| 1 | 0 | 0 | 0 | 0 | 2 |", "## Warninglisted (2)",
		`- line 2 "192.0.2.1": skipped (docs)`, `- 0b9d3c5e Attribute[1] "www.example.org": skipped (names)`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the text lacks %q:\n%s", want, b.String())
		}
	}
	if got, want := rep.Summary(), "0 rejected, 2 warninglisted."; !strings.HasSuffix(got, want) {
		t.Errorf("got summary %q, want it to end %q", got, want)
	}
}
