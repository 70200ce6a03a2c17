package ingest

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/cairn-intel/cairn/internal/store"
)

// Report says what an import did.
type Report struct {
	// Files counts the files read to the end, whatever they held.
	Files      int             `json:"files"`
	Events     EventCounts     `json:"events"`
	Attributes AttributeCounts `json:"attributes"`
	// Rejected lists the documents and events refused whole.
	Rejected []Rejection `json:"rejected"`
	// Items lists, per stored event, the attributes, objects, tags and
	// other items the store refused.
	Items []ItemRejections `json:"item_rejections"`
	// Stopped is the fatal error that ended the import early, if any.
	Stopped string `json:"stopped,omitempty"`
}

// EventCounts counts events by outcome; Rejected counts documents and
// events refused whole.
type EventCounts struct {
	Created  int `json:"created"`
	Updated  int `json:"updated"`
	Skipped  int `json:"skipped"`
	Rejected int `json:"rejected"`
}

// AttributeCounts counts stored attributes, object attributes included.
type AttributeCounts struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
}

// Rejection is a document or an event that was not imported.
type Rejection struct {
	File string `json:"file"`
	// Where locates the problem in the file: a list position such as
	// "[3]" or ".response[0]", or a line and column for invalid JSON.
	Where     string `json:"where,omitempty"`
	EventUUID string `json:"event_uuid,omitempty"`
	Reason    string `json:"reason"`
}

// ItemRejections are the items of one stored event that the store refused.
type ItemRejections struct {
	File      string            `json:"file"`
	Where     string            `json:"where,omitempty"`
	EventUUID string            `json:"event_uuid"`
	Items     []store.Rejection `json:"items"`
}

// Clean reports whether everything read was imported or skipped.
func (r *Report) Clean() bool {
	return len(r.Rejected) == 0 && len(r.Items) == 0 && r.Stopped == ""
}

// ItemsRejected counts the refused items over all events.
func (r *Report) ItemsRejected() int {
	n := 0
	for _, ir := range r.Items {
		n += len(ir.Items)
	}
	return n
}

func (r *Report) add(res store.SaveResult, file, where string) {
	switch res.Outcome {
	case store.OutcomeCreated:
		r.Events.Created++
	case store.OutcomeUpdated:
		r.Events.Updated++
	default:
		r.Events.Skipped++
	}
	r.Attributes.Created += res.AttributesCreated
	r.Attributes.Updated += res.AttributesUpdated
	if len(res.Rejected) > 0 {
		r.Items = append(r.Items, ItemRejections{File: file, Where: where, EventUUID: res.UUID, Items: res.Rejected})
	}
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// textItemLimit caps the refused items listed per event in the text form;
// the JSON form lists them all.
const textItemLimit = 10

// WriteText writes the report as Markdown-like text for a terminal.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# Import report\n\n")
	fmt.Fprintf(&b, "| files | events created | updated | skipped | rejected | attributes created | updated |\n")
	fmt.Fprintf(&b, "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	fmt.Fprintf(&b, "| %d | %d | %d | %d | %d | %d | %d |\n", r.Files, r.Events.Created, r.Events.Updated,
		r.Events.Skipped, r.Events.Rejected, r.Attributes.Created, r.Attributes.Updated)
	if r.Stopped != "" {
		fmt.Fprintf(&b, "\n**Stopped early:** %s\n", r.Stopped)
	}
	if len(r.Rejected) > 0 {
		fmt.Fprintf(&b, "\n## Rejected documents and events (%d)\n\n", len(r.Rejected))
		for _, rj := range r.Rejected {
			fmt.Fprintf(&b, "- %s: %s\n", locate(rj.File, rj.Where, rj.EventUUID), rj.Reason)
		}
	}
	if len(r.Items) > 0 {
		fmt.Fprintf(&b, "\n## Rejected items (%d in %s)\n", r.ItemsRejected(), plural(len(r.Items), "event"))
		for _, ir := range r.Items {
			writeItems(&b, ir)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeItems(b *strings.Builder, ir ItemRejections) {
	fmt.Fprintf(b, "\n### %s\n\n", locate(ir.File, ir.Where, ir.EventUUID))
	for i, it := range ir.Items {
		if i == textItemLimit {
			fmt.Fprintf(b, "- … and %d more (the --json report lists them all)\n", len(ir.Items)-i)
			break
		}
		item := it.Item
		if it.UUID != "" {
			item += " " + it.UUID
		}
		if it.Field != "" {
			item += " (" + it.Field + ")"
		}
		fmt.Fprintf(b, "- %s: %s\n", item, it.Reason)
	}
}

// locate names a place in a file: "dir/a.json[3] (event 5a0a…)".
func locate(file, where, eventUUID string) string {
	s := file
	switch {
	case strings.HasPrefix(where, "[") || strings.HasPrefix(where, "."):
		s += where
	case where != "":
		s += " at " + where
	}
	if eventUUID != "" {
		s += " (event " + eventUUID + ")"
	}
	return s
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
