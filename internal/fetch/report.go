package fetch

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cairn-intel/cairn/internal/feed"
)

// MaxReportRejects is how many rejected lines a report lists; Rejected
// counts them all.
const MaxReportRejects = 100

// Report says what one pull of a feed did.
type Report struct {
	FeedID   int64     `json:"feed_id"`
	Feed     string    `json:"feed"`
	Format   string    `json:"source_format"`
	Started  time.Time `json:"started"`
	Duration float64   `json:"duration_seconds"`
	Result   string    `json:"result"` // "success" or "failure"
	Error    string    `json:"error,omitempty"`

	Bytes   int64 `json:"bytes"`
	Retries int   `json:"retries,omitempty"`
	// Unit says what Created, Updated and Unchanged count: "attributes"
	// for list feeds, "events" for MISP feeds.
	Unit      string `json:"unit"`
	Created   int    `json:"created"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
	Deleted   int    `json:"deleted"` // soft-deleted by the delta merge
	Rejected  int    `json:"rejected"`
	// Warninglisted counts the distinct values that hit an enabled
	// warninglist: left out or stored with to_ids off, as the feed's
	// "warninglist" setting says. WarninglistHits lists the first of them.
	Warninglisted   int                  `json:"warninglisted"`
	WarninglistHits []WarninglistedValue `json:"warninglisted_values,omitempty"`

	// List feeds: what the parser saw.
	Lines      int `json:"lines,omitempty"`
	Records    int `json:"records,omitempty"`
	Items      int `json:"items,omitempty"`
	Duplicates int `json:"duplicates,omitempty"` // values repeated in the body
	Excluded   int `json:"excluded,omitempty"`   // values dropped by the exclude pattern
	Skipped    int `json:"skipped,omitempty"`    // blank, comment and header lines

	// MISP feeds: the attributes inside the events saved.
	AttributesCreated int `json:"attributes_created,omitempty"`
	AttributesUpdated int `json:"attributes_updated,omitempty"`

	EventID  int64          `json:"event_id,omitempty"` // the event written, for list feeds
	Insecure bool           `json:"insecure_tls,omitempty"`
	SHA256   string         `json:"sha256,omitempty"` // of the body, for list feeds
	Notes    []string       `json:"notes,omitempty"`
	Rejects  []RejectedLine `json:"rejects"`
}

// RejectedLine is one line, record or event of the source that yielded
// nothing, and why.
type RejectedLine struct {
	Line   int    `json:"line,omitempty"`
	Where  string `json:"where,omitempty"` // a column, JSON field or event uuid
	Text   string `json:"text,omitempty"`
	Reason string `json:"reason"`
}

// Succeeded reports whether the pull stored a consistent result.
func (r *Report) Succeeded() bool { return r.Result == resultSuccess }

const (
	resultSuccess = "success"
	resultFailure = "failure"
)

func (r *Report) reject(rl RejectedLine) {
	r.Rejected++
	if len(r.Rejects) < MaxReportRejects {
		r.Rejects = append(r.Rejects, rl)
	}
}

func (r *Report) parserReject(rj feed.Reject) {
	r.reject(RejectedLine{Line: rj.Line, Where: rj.Field, Text: rj.Text, Reason: rj.Reason})
}

func (r *Report) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// Summary is the one-line result MISP clients read from fetchFromFeed.
func (r *Report) Summary() string {
	if !r.Succeeded() {
		return fmt.Sprintf("Fetching the feed %q failed: %s", r.Feed, r.Error)
	}
	if r.Unit == unitEvents {
		return fmt.Sprintf("Fetching the feed has successfully completed. Downloaded %d new event(s). "+
			"Updated %d event(s). %d event(s) unchanged.", r.Created, r.Updated, r.Unchanged)
	}
	return fmt.Sprintf("Fetching the feed has successfully completed. %d value(s) added, %d updated, "+
		"%d unchanged, %d removed, %d rejected, %d warninglisted.", r.Created, r.Updated, r.Unchanged,
		r.Deleted, r.Rejected, r.Warninglisted)
}

const (
	unitAttributes = "attributes"
	unitEvents     = "events"
)

// JSON returns the report as compact JSON.
func (r *Report) JSON() string {
	b, _ := json.Marshal(r) // plain fields always encode
	return string(b)
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// textRejectLimit caps the rejected lines the text form lists.
const textRejectLimit = 10

// WriteText writes the report as Markdown-like text for a terminal.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Pull of feed %d %q: %s\n\n", r.FeedID, r.Feed, r.Result)
	fmt.Fprintf(&b, "| %s created | updated | unchanged | deleted | rejected | warninglisted | bytes | seconds |\n", r.Unit)
	b.WriteString("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	fmt.Fprintf(&b, "| %d | %d | %d | %d | %d | %d | %d | %.2f |\n", r.Created, r.Updated, r.Unchanged,
		r.Deleted, r.Rejected, r.Warninglisted, r.Bytes, r.Duration)
	if r.Error != "" {
		fmt.Fprintf(&b, "\n**Failed:** %s\n", r.Error)
	}
	if r.Retries > 0 {
		fmt.Fprintf(&b, "\nThe download was retried %d time(s).\n", r.Retries)
	}
	if r.Insecure {
		b.WriteString("\n**TLS verification was off for this pull.**\n")
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\n- note: %s\n", n)
	}
	writeWarninglisted(&b, r)
	if len(r.Rejects) > 0 {
		fmt.Fprintf(&b, "\n## Rejected (%d)\n\n", r.Rejected)
		for i, rj := range r.Rejects {
			if i == textRejectLimit {
				fmt.Fprintf(&b, "- … and %d more (the --json report lists up to %d)\n", r.Rejected-i, MaxReportRejects)
				break
			}
			fmt.Fprintf(&b, "- %s: %s\n", rj.place(), rj.Reason)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeWarninglisted lists the first warninglisted values.
func writeWarninglisted(b *strings.Builder, r *Report) {
	if len(r.WarninglistHits) == 0 {
		return
	}
	fmt.Fprintf(b, "\n## Warninglisted (%d)\n\n", r.Warninglisted)
	for i, w := range r.WarninglistHits {
		if i == textRejectLimit {
			fmt.Fprintf(b, "- … and %d more (the --json report lists up to %d)\n", r.Warninglisted-i, MaxReportRejects)
			break
		}
		place := RejectedLine{Line: w.Line, Where: w.Where, Text: w.Value}.place()
		fmt.Fprintf(b, "- %s: %s (%s)\n", place, w.Action, w.List)
	}
}

func (rl RejectedLine) place() string {
	var parts []string
	if rl.Line > 0 {
		parts = append(parts, fmt.Sprintf("line %d", rl.Line))
	}
	if rl.Where != "" {
		parts = append(parts, rl.Where)
	}
	if rl.Text != "" {
		parts = append(parts, fmt.Sprintf("%q", rl.Text))
	}
	if len(parts) == 0 {
		return "source"
	}
	return strings.Join(parts, " ")
}
