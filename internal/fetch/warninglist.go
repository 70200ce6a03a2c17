package fetch

import (
	"context"
	"fmt"
	"strings"

	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/warninglist"
)

// WarninglistMode says what a pull does with a value that an enabled
// warninglist holds: a documentation address, a private range, an example
// domain, or whatever lists the administrator enabled.
type WarninglistMode string

// The modes of the "warninglist" feed setting.
const (
	// WarninglistOff stores values as the feed gives them.
	WarninglistOff WarninglistMode = "off"
	// WarninglistSkip leaves the value out of the feed's event.
	WarninglistSkip WarninglistMode = "skip"
	// WarninglistFlag stores the value with to_ids off, so that IDS
	// exports leave it out while analysts still see it. It is the default:
	// nothing a feed sends disappears without being asked for, yet a
	// likely false positive never reaches a blocking rule.
	WarninglistFlag WarninglistMode = "flag"
)

// ParseWarninglistMode reads the setting. An empty setting stays "",
// which means the default, WarninglistFlag.
func ParseWarninglistMode(s string) (WarninglistMode, error) {
	switch m := WarninglistMode(strings.ToLower(strings.TrimSpace(s))); m {
	case "", WarninglistOff, WarninglistSkip, WarninglistFlag:
		return m, nil
	}
	return "", fmt.Errorf("warninglist %q is not one of off, skip, flag", s)
}

// WarninglistedValue is one value of the source that hit a warninglist,
// and what the pull did with it.
type WarninglistedValue struct {
	Line   int    `json:"line,omitempty"`
	Where  string `json:"where,omitempty"` // the event and attribute, for MISP feeds
	Type   string `json:"type"`
	Value  string `json:"value"`
	List   string `json:"warninglist"` // the first list hit
	Action string `json:"action"`      // "skipped" or "flagged"
}

// warninglister checks the values of one pull against one snapshot of the
// enabled lists, so that a reload during the pull does not split it.
type warninglister struct {
	mode    WarninglistMode
	matcher *warninglist.Matcher
	rep     *Report
	seen    map[string]bool // type and value already counted
}

// newWarninglister returns the checker of a pull, nil when the feed turns
// warninglists off.
func (p *Puller) newWarninglister(ctx context.Context, mode WarninglistMode, rep *Report) (*warninglister, error) {
	if mode == "" {
		mode = WarninglistFlag
	}
	if mode == WarninglistOff {
		return nil, nil
	}
	reg, err := p.warninglists(ctx)
	if err != nil {
		return nil, fmt.Errorf("warninglists: %w", err)
	}
	return &warninglister{mode: mode, matcher: reg.Matcher(), rep: rep, seen: map[string]bool{}}, nil
}

// warninglists returns the registry of Options.Warninglists, or one read
// from the store's settings once per Puller (a command-line pull).
func (p *Puller) warninglists(ctx context.Context) (*warninglist.Registry, error) {
	p.wlMu.Lock()
	defer p.wlMu.Unlock()
	if p.wl != nil {
		return p.wl, nil
	}
	reg, err := warninglist.Open(ctx, p.st)
	if err != nil {
		return nil, err
	}
	p.wl = reg
	return reg, nil
}

// check reports whether the value hits an enabled list, and records it;
// skip says to leave the value out, otherwise its to_ids goes off.
func (w *warninglister) check(typ, value string, line int, where string) (hit, skip bool) {
	if w == nil {
		return false, false
	}
	hits := w.matcher.Check(value, typ)
	if len(hits) == 0 {
		return false, false
	}
	key := typ + "\x00" + value
	if !w.seen[key] {
		w.seen[key] = true
		w.record(WarninglistedValue{Line: line, Where: where, Type: typ, Value: value, List: hits[0].Name})
	}
	return true, w.mode == WarninglistSkip
}

func (w *warninglister) record(v WarninglistedValue) {
	v.Action = "flagged"
	if w.mode == WarninglistSkip {
		v.Action = "skipped"
	}
	w.rep.Warninglisted++
	if len(w.rep.WarninglistHits) < MaxReportRejects {
		w.rep.WarninglistHits = append(w.rep.WarninglistHits, v)
	}
}

// event applies the lists to the attributes of an event of a MISP feed:
// skipped ones are removed, flagged ones lose to_ids. An object whose every
// attribute is skipped goes too: an object needs an attribute.
func (w *warninglister) event(ev *misp.Event, eventUUID string) {
	if w == nil {
		return
	}
	ev.Attribute = w.attributes(ev.Attribute, eventUUID+" Attribute")
	var objects misp.List[misp.Object]
	objects.Bad = ev.Object.Bad
	for i := range ev.Object.Items {
		o := ev.Object.Items[i]
		had := len(o.Attribute.Items)
		o.Attribute = w.attributes(o.Attribute, fmt.Sprintf("%s Object[%d].Attribute", eventUUID, ev.Object.Index[i]))
		if had > 0 && len(o.Attribute.Items) == 0 {
			w.rep.note("event %s: Object[%d] left out: all its attributes are warninglisted",
				eventUUID, ev.Object.Index[i])
			continue
		}
		objects.Items = append(objects.Items, o)
		objects.Index = append(objects.Index, ev.Object.Index[i])
	}
	ev.Object = objects
}

// attributes filters one list of attributes; where names it in the report.
func (w *warninglister) attributes(in misp.List[misp.Attribute], where string) misp.List[misp.Attribute] {
	out := misp.List[misp.Attribute]{Bad: in.Bad}
	for i, a := range in.Items {
		if a.Deleted != nil && bool(*a.Deleted) {
			out.Items = append(out.Items, a)
			out.Index = append(out.Index, in.Index[i])
			continue // a deletion is passed on as it is
		}
		typ, value := attributeText(a)
		hit, skip := w.check(typ, value, 0, fmt.Sprintf("%s[%d]", where, in.Index[i]))
		if skip {
			continue
		}
		if hit {
			off := misp.Bool(false)
			a.ToIDS = &off
		}
		out.Items = append(out.Items, a)
		out.Index = append(out.Index, in.Index[i])
	}
	return out
}

// attributeText is the type and value of an attribute as a feed gives it
// (value, or value1 and value2 for the halves of a composite), normalised
// as the store will store it where it can be.
func attributeText(a misp.Attribute) (typ, value string) {
	if a.Type != nil {
		typ = strings.TrimSpace(string(*a.Type))
	}
	switch {
	case a.Value != nil:
		value = string(*a.Value)
	case a.Value1 != nil:
		value = string(*a.Value1)
		if a.Value2 != nil && *a.Value2 != "" {
			value += "|" + string(*a.Value2)
		}
	}
	if v1, v2, err := misp.NormalizeValue(typ, value); err == nil {
		value = v1
		if v2 != "" {
			value += "|" + v2
		}
	}
	return typ, value
}
