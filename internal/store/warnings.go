package store

// WarninglistHit is one warninglist an attribute's value matches, as MISP
// shows it in the attribute's "warnings" list.
type WarninglistHit struct {
	Value    string `json:"value"`
	Match    string `json:"match"` // the list entry that matched
	ListID   string `json:"warninglist_id"`
	ListName string `json:"warninglist_name"`
	Category string `json:"warninglist_category"`
}

// WarningCheck returns the warninglist hits of a value of an attribute
// type, nil when it hits none. The store does not load warninglists: the
// caller passes the check of the lists it holds.
type WarningCheck func(value, attrType string) []WarninglistHit

// WarningOptions say what to do with attributes whose values hit an
// enabled warninglist: Annotate fills Attribute.Warnings, Drop leaves them
// out (MISP's includeWarninglistHits and enforceWarninglist).
type WarningOptions struct {
	Check    WarningCheck
	Annotate bool
	Drop     bool
}

// active reports whether the options do anything.
func (o WarningOptions) active() bool { return o.Check != nil && (o.Annotate || o.Drop) }

// ApplyWarnings checks each attribute and returns those kept, in order,
// and how many were dropped. The slice is filtered in place.
func ApplyWarnings(attrs []Attribute, o WarningOptions) ([]Attribute, int) {
	if !o.active() {
		return attrs, 0
	}
	kept := attrs[:0]
	for _, at := range attrs {
		hits := o.Check(at.Value(), at.Type)
		if len(hits) > 0 && o.Drop {
			continue
		}
		if o.Annotate {
			at.Warnings = hits
		}
		kept = append(kept, at)
	}
	clear(attrs[len(kept):]) // let the dropped attributes go
	return kept, len(attrs) - len(kept)
}

// ApplyWarnings applies the options to the event's attributes and to those
// of its objects, and returns how many were dropped.
func (e *Event) ApplyWarnings(o WarningOptions) int {
	var dropped, n int
	e.Attribute, dropped = ApplyWarnings(e.Attribute, o)
	for i := range e.Object {
		e.Object[i].Attribute, n = ApplyWarnings(e.Object[i].Attribute, o)
		dropped += n
	}
	return dropped
}
