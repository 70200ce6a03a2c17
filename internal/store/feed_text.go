package store

import "github.com/cairn-intel/cairn/internal/misp"

// feedItemTextFault says why an item of a list feed holds text that cannot
// be stored (misp.TextFault), or "". The parsers of package feed reject
// such lines already; this keeps any other caller from writing them, which
// SQLite would accept and PostgreSQL refuse.
func feedItemTextFault(it FeedItem) string {
	fields := []struct{ name, text string }{
		{"type", it.Type}, {"value", it.Value}, {"category", it.Category}, {"comment", it.Comment},
	}
	for _, f := range fields {
		if fault := misp.TextFault(f.text); fault != "" {
			return f.name + " " + fault
		}
	}
	for _, tag := range it.Tags {
		if fault := misp.TextFault(tag); fault != "" {
			return "tag " + fault
		}
	}
	return ""
}
