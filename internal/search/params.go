package search

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/store"
)

// Deleted says which soft-deleted items a search returns.
type Deleted int

// The deleted filter: the zero value hides soft-deleted items, as MISP does
// when the parameter is absent.
const (
	DeletedExclude Deleted = iota
	DeletedOnly
	DeletedBoth
)

// Tri is a yes/no filter that may also be left open.
type Tri int

// The tri-state values; the zero value applies no filter.
const (
	TriAny Tri = iota
	TriTrue
	TriFalse
)

// Params are the filters and options of one restSearch request. A Terms or
// string field left empty and a nil *TimeRange apply no filter.
type Params struct {
	ReturnFormat string // lower-cased; default "json"; "download" becomes "json"
	Page, Limit  int    // Page is 1-based and at least 1; a Limit of 0 is no limit

	Value, Value1, Value2, Type, Category, Org, Tags, EventTags, EventID, UUID, EventInfo,
	ObjectRelation, ObjectName, Comment, Distribution, SharingGroup, ThreatLevel, Analysis Terms

	SearchAll string // searchall / quickFilter
	From, To  string // Event.date bounds as YYYY-MM-DD; "" is no bound

	// Time filters in Unix seconds. Last is applied to Event.publish_timestamp;
	// FirstSeen and LastSeen are compared by the caller in its own unit.
	Date, Last, Timestamp, PublishTimestamp, EventTimestamp, AttributeTimestamp,
	FirstSeen, LastSeen *TimeRange

	Published, ToIDS Tri
	Deleted          Deleted

	IncludeEventTags, IncludeContext, IncludeEventUUID, WithAttachments, Metadata, IncludeCorrelations,
	IncludeEventCorrelations, IncludeGranularCorrelations,
	IncludeSightings, ExcludeLocalTags, IncludeAllTags, EnforceWarninglist, IncludeWarninglistHits,
	ExcludeGalaxy, Headerless bool

	// Ignore is MISP's legacy "ignore" flag: it turns off the to_ids and
	// published defaults of restrictive formats.
	Ignore bool

	Order               string // raw, e.g. "timestamp desc"; checked by the caller
	Cursor              string // opaque continuation cursor (parameter "cursor")
	RequestedAttributes []string

	// Warnings checks attribute values against the enabled warninglists,
	// for EnforceWarninglist and IncludeWarninglistHits. The caller sets it
	// (the search does not load warninglists); nil leaves both without
	// effect.
	Warnings store.WarningCheck

	// Given lists the canonical names of the recognised parameters that came
	// with a value, in the order of the parameter table. Defaults added for
	// restrictive formats are not listed.
	Given []string
}

// ParamError names a request parameter and says why it was refused.
type ParamError struct {
	Param, Reason string
}

// Error returns "parameter <name>: <reason>".
func (e *ParamError) Error() string {
	return "parameter " + e.Param + ": " + e.Reason
}

// IsRestrictive reports whether MISP treats the return format as restrictive:
// such exports only carry published IDS data unless the caller says otherwise.
func IsRestrictive(format string) bool {
	switch strings.ToLower(format) {
	// zeek (MISP's bro) feeds a sensor like suricata and snort, so it gets
	// the same defaults although the reference list does not name it.
	case "text", "hashes", "suricata", "snort", "rpz", "hosts", "openioc", "kunai", "zeek", "bro":
		return true
	}
	return false
}

// ParseRestSearch reads a restSearch request: the JSON body (bare or wrapped
// in {"request": {...}}; may be empty), the named URL parameters (key:value
// segments, already split, with key[] forms gathered under key) and the
// positional URL segments after restSearch, of which only the first is read,
// as the returnFormat. When a parameter comes from several places the body
// wins over a named parameter, which wins over the positional segment; within
// one place a canonical name wins over its alias. A value that is null, "",
// [] or {} counts as absent. Unknown parameter names are ignored. A malformed
// body or a parameter of the wrong shape is a *ParamError.
func ParseRestSearch(
	body []byte, named map[string][]string, positional []string, now time.Time,
) (Params, error) {
	fromBody, err := bodyObject(body)
	if err != nil {
		return Params{}, err
	}
	src := sources{fromBody, namedValues(named), positionalValues(positional)}

	p := Params{ReturnFormat: "json", Page: 1}
	for _, f := range restSearchFields {
		name, raw, ok := src.find(f.names)
		if !ok {
			continue
		}
		if err := f.set(&p, raw, now); err != nil {
			return Params{}, &ParamError{Param: name, Reason: err.Error()}
		}
		p.Given = append(p.Given, f.names[0])
	}

	if n := p.termCount(); n > MaxTerms {
		return Params{}, &ParamError{Param: "filters", Reason: fmt.Sprintf(
			"%d filter terms, at most %d are taken in one search; split it", n, MaxTerms)}
	}
	p.Page = max(p.Page, 1)
	p.applyRestrictiveDefaults()
	return p, nil
}

// CheckListSize refuses, before it is decoded, a request body whose lists
// hold far more entries than MaxTerms (see listItems): a search, or any
// request that looks values up the way a search does.
func CheckListSize(body []byte) error {
	if n := listItems(body); n > 2*MaxTerms {
		return &ParamError{Param: "filters", Reason: fmt.Sprintf(
			"about %d list entries, at most %d are taken in one request; split it", n, MaxTerms)}
	}
	return nil
}

// listItems counts, without decoding the body, the entries its lists
// could hold: the items of its JSON arrays and the "&&"-separated parts of
// its strings. A body far over MaxTerms is refused on that count, before
// decoding it would take tens of times its size in memory.
func listItems(body []byte) int {
	n := 0
	var open []byte // the containers around the current byte
	inString, escaped := false, false
	for i, c := range body {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case inString && c == '"':
			inString = false
		case inString:
			if c == '&' && i+1 < len(body) && body[i+1] == '&' && (i == 0 || body[i-1] != '&') {
				n++ // a run of & counts once, as "&&" splits it once
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			open = append(open, c)
			if c == '[' {
				n++
			}
		case c == ']' || c == '}':
			if len(open) > 0 {
				open = open[:len(open)-1]
			}
		case c == ',' && len(open) > 0 && open[len(open)-1] == '[':
			n++
		}
	}
	return n
}

// MaxTerms is the most list entries (values, uuids, tags...) one search
// takes, all filters together: a hundred times the thousand-value searches
// the speed aims name. Each entry costs memory several times its length on
// the way to the database (its normal forms, the set parameter), so a
// request body of the largest size accepted, full of values, would hold
// gigabytes.
const MaxTerms = 100_000

// termCount counts the entries of every list filter.
func (p Params) termCount() int {
	n := 0
	for _, t := range []Terms{p.Value, p.Value1, p.Value2, p.Type, p.Category, p.Org, p.Tags, p.EventTags, p.EventID,
		p.UUID, p.EventInfo, p.ObjectRelation, p.ObjectName, p.Comment, p.Distribution, p.SharingGroup, p.ThreatLevel,
		p.Analysis} {
		n += len(t.OR) + len(t.AND) + len(t.NOT)
	}
	return n
}

// Empty reports whether the request named no recognised parameter at all, not
// even returnFormat, page or limit.
func (p Params) Empty() bool {
	return len(p.Given) == 0
}

// applyRestrictiveDefaults limits restrictive exports to published IDS data
// when the caller left to_ids or published open.
func (p *Params) applyRestrictiveDefaults() {
	if p.Ignore || !IsRestrictive(p.ReturnFormat) {
		return
	}
	if !slices.Contains(p.Given, "to_ids") {
		p.ToIDS = TriTrue
	}
	if !slices.Contains(p.Given, "published") {
		p.Published = TriTrue
	}
}

// restSearchFields is the restSearch parameter table: canonical name first,
// then aliases.
var restSearchFields = []field[Params]{
	{[]string{"returnFormat"}, setFormat},
	{[]string{"page"}, countInto(func(p *Params) *int { return &p.Page })},
	{[]string{"limit"}, countInto(func(p *Params) *int { return &p.Limit })},
	{[]string{"value"}, termsInto(func(p *Params) *Terms { return &p.Value })},
	{[]string{"value1"}, termsInto(func(p *Params) *Terms { return &p.Value1 })},
	{[]string{"value2"}, termsInto(func(p *Params) *Terms { return &p.Value2 })},
	{[]string{"type"}, termsInto(func(p *Params) *Terms { return &p.Type })},
	{[]string{"category"}, termsInto(func(p *Params) *Terms { return &p.Category })},
	{[]string{"org"}, termsInto(func(p *Params) *Terms { return &p.Org })},
	{[]string{"tags", "tag"}, termsInto(func(p *Params) *Terms { return &p.Tags })},
	{[]string{"event_tags"}, termsInto(func(p *Params) *Terms { return &p.EventTags })},
	{[]string{"eventid"}, termsInto(func(p *Params) *Terms { return &p.EventID })},
	{[]string{"uuid"}, termsInto(func(p *Params) *Terms { return &p.UUID })},
	{[]string{"eventinfo"}, termsInto(func(p *Params) *Terms { return &p.EventInfo })},
	{[]string{"object_relation"}, termsInto(func(p *Params) *Terms { return &p.ObjectRelation })},
	{[]string{"object_name"}, termsInto(func(p *Params) *Terms { return &p.ObjectName })},
	{[]string{"comment"}, termsInto(func(p *Params) *Terms { return &p.Comment })},
	{[]string{"distribution"}, termsInto(func(p *Params) *Terms { return &p.Distribution })},
	{[]string{"sharinggroup"}, termsInto(func(p *Params) *Terms { return &p.SharingGroup })},
	{[]string{"threat_level_id"}, termsInto(func(p *Params) *Terms { return &p.ThreatLevel })},
	{[]string{"analysis"}, termsInto(func(p *Params) *Terms { return &p.Analysis })},
	{[]string{"searchall", "quickFilter"}, textInto(func(p *Params) *string { return &p.SearchAll })},
	{[]string{"from"}, dateInto(func(p *Params) *string { return &p.From })},
	{[]string{"to"}, dateInto(func(p *Params) *string { return &p.To })},
	{[]string{"date"}, timeInto(func(p *Params) **TimeRange { return &p.Date }, false)},
	{[]string{"last"}, timeInto(func(p *Params) **TimeRange { return &p.Last }, false)},
	{[]string{"timestamp"}, timeInto(func(p *Params) **TimeRange { return &p.Timestamp }, false)},
	{[]string{"publish_timestamp"},
		timeInto(func(p *Params) **TimeRange { return &p.PublishTimestamp }, false)},
	{[]string{"event_timestamp"},
		timeInto(func(p *Params) **TimeRange { return &p.EventTimestamp }, false)},
	{[]string{"attribute_timestamp"},
		timeInto(func(p *Params) **TimeRange { return &p.AttributeTimestamp }, false)},
	{[]string{"first_seen"}, timeInto(func(p *Params) **TimeRange { return &p.FirstSeen }, false)},
	{[]string{"last_seen"}, timeInto(func(p *Params) **TimeRange { return &p.LastSeen }, true)},
	{[]string{"published"}, triInto(func(p *Params) *Tri { return &p.Published }, false)},
	{[]string{"to_ids"}, triInto(func(p *Params) *Tri { return &p.ToIDS }, true)},
	{[]string{"deleted"}, setDeleted},
	{[]string{"includeEventTags"}, boolInto(func(p *Params) *bool { return &p.IncludeEventTags })},
	{[]string{"includeContext"}, boolInto(func(p *Params) *bool { return &p.IncludeContext })},
	{[]string{"includeEventUuid", "include_event_uuid"},
		boolInto(func(p *Params) *bool { return &p.IncludeEventUUID })},
	{[]string{"withAttachments", "includeAttachments"},
		boolInto(func(p *Params) *bool { return &p.WithAttachments })},
	{[]string{"metadata"}, boolInto(func(p *Params) *bool { return &p.Metadata })},
	{[]string{"includeCorrelations"},
		boolInto(func(p *Params) *bool { return &p.IncludeCorrelations })},
	{[]string{"includeEventCorrelations"},
		boolInto(func(p *Params) *bool { return &p.IncludeEventCorrelations })},
	{[]string{"includeGranularCorrelations"},
		boolInto(func(p *Params) *bool { return &p.IncludeGranularCorrelations })},
	{[]string{"includeSightings"}, boolInto(func(p *Params) *bool { return &p.IncludeSightings })},
	{[]string{"excludeLocalTags"}, boolInto(func(p *Params) *bool { return &p.ExcludeLocalTags })},
	{[]string{"includeAllTags"}, boolInto(func(p *Params) *bool { return &p.IncludeAllTags })},
	{[]string{"enforceWarninglist"}, boolInto(func(p *Params) *bool { return &p.EnforceWarninglist })},
	{[]string{"includeWarninglistHits"},
		boolInto(func(p *Params) *bool { return &p.IncludeWarninglistHits })},
	{[]string{"excludeGalaxy"}, boolInto(func(p *Params) *bool { return &p.ExcludeGalaxy })},
	{[]string{"headerless"}, boolInto(func(p *Params) *bool { return &p.Headerless })},
	{[]string{"ignore"}, boolInto(func(p *Params) *bool { return &p.Ignore })},
	{[]string{"order"}, textInto(func(p *Params) *string { return &p.Order })},
	{[]string{"cursor"}, textInto(func(p *Params) *string { return &p.Cursor })},
	{[]string{"requested_attributes"}, setRequestedAttributes},
}

// setFormat reads returnFormat. Whether the format exists is for the caller
// to decide, since that depends on the scope searched.
func setFormat(p *Params, raw json.RawMessage, _ time.Time) error {
	s, err := scalarText(raw)
	if err != nil {
		return err
	}
	p.ReturnFormat = strings.ToLower(strings.TrimSpace(s))
	if p.ReturnFormat == "download" || p.ReturnFormat == "" {
		p.ReturnFormat = "json"
	}
	return nil
}

// setDeleted reads deleted: 0/false keeps live items, 1/true/"only" keeps
// soft-deleted ones, and a list holding both kinds keeps everything.
func setDeleted(p *Params, raw json.RawMessage, _ time.Time) error {
	values, err := flagValues(raw)
	if err != nil {
		return err
	}

	var live, gone bool
	for _, v := range values {
		if strings.EqualFold(v, "only") {
			gone = true
			continue
		}
		b, err := misp.ParseLooseBool(v)
		if err != nil {
			return err
		}
		gone = gone || b
		live = live || !b
	}

	switch {
	case live && gone:
		p.Deleted = DeletedBoth
	case gone:
		p.Deleted = DeletedOnly
	default:
		p.Deleted = DeletedExclude
	}
	return nil
}

// setRequestedAttributes reads the CSV column list: a JSON list or a
// comma-separated string.
func setRequestedAttributes(p *Params, raw json.RawMessage, _ time.Time) error {
	values, err := scalarOrList(raw)
	if err != nil {
		return err
	}

	p.RequestedAttributes = nil
	for _, v := range values {
		for _, column := range strings.Split(v, ",") {
			if column = strings.TrimSpace(column); column != "" {
				p.RequestedAttributes = append(p.RequestedAttributes, column)
			}
		}
	}
	return nil
}

// setter stores one parameter's JSON value into the parameters being built.
type setter[T any] func(dst *T, raw json.RawMessage, now time.Time) error

// field is one recognised parameter: its canonical name, then its aliases.
type field[T any] struct {
	names []string
	set   setter[T]
}

// termsInto reads a list-capable filter with ParseTerms.
func termsInto[T any](get func(*T) *Terms) setter[T] {
	return func(dst *T, raw json.RawMessage, _ time.Time) error {
		t, err := ParseTerms(raw)
		if err != nil {
			return err
		}
		*get(dst) = t
		return nil
	}
}

// timeInto reads a time filter with ParseTime.
func timeInto[T any](get func(*T) **TimeRange, singleIsUpper bool) setter[T] {
	return func(dst *T, raw json.RawMessage, now time.Time) error {
		r, err := ParseTime(raw, now, singleIsUpper)
		if err != nil {
			return err
		}
		*get(dst) = &r
		return nil
	}
}

// dateInto reads an Event.date bound.
func dateInto[T any](get func(*T) *string) setter[T] {
	return func(dst *T, raw json.RawMessage, now time.Time) error {
		s, err := scalarText(raw)
		if err != nil {
			return err
		}
		*get(dst), err = parseDate(s, now)
		return err
	}
}

// textInto reads a single string, trimmed.
func textInto[T any](get func(*T) *string) setter[T] {
	return func(dst *T, raw json.RawMessage, _ time.Time) error {
		s, err := scalarText(raw)
		if err != nil {
			return err
		}
		*get(dst) = strings.TrimSpace(s)
		return nil
	}
}

// boolInto reads a loose boolean: true/false, 1/0, "1"/"0" and the like.
func boolInto[T any](get func(*T) *bool) setter[T] {
	return func(dst *T, raw json.RawMessage, _ time.Time) error {
		s, err := scalarText(raw)
		if err != nil {
			return err
		}
		*get(dst), err = misp.ParseLooseBool(s)
		return err
	}
}

// triInto reads a yes/no filter given as one flag or a list of flags; a list
// holding both yes and no applies no filter. With allowExclude, "exclude"
// means no (MISP's spelling for to_ids).
func triInto[T any](get func(*T) *Tri, allowExclude bool) setter[T] {
	return func(dst *T, raw json.RawMessage, _ time.Time) error {
		values, err := flagValues(raw)
		if err != nil {
			return err
		}

		var yes, no bool
		for _, v := range values {
			b, err := parseFlag(v, allowExclude)
			if err != nil {
				return err
			}
			yes, no = yes || b, no || !b
		}

		switch {
		case yes && !no:
			*get(dst) = TriTrue
		case no && !yes:
			*get(dst) = TriFalse
		default:
			*get(dst) = TriAny
		}
		return nil
	}
}

// parseFlag reads one yes/no value; with allowExclude, "exclude" is no.
func parseFlag(v string, allowExclude bool) (bool, error) {
	if allowExclude && strings.EqualFold(v, "exclude") {
		return false, nil
	}
	return misp.ParseLooseBool(v)
}

// countInto reads a page number or a limit: a loose whole number that may not
// be negative.
func countInto[T any](get func(*T) *int) setter[T] {
	return func(dst *T, raw json.RawMessage, _ time.Time) error {
		s, err := scalarText(raw)
		if err != nil {
			return err
		}
		n, err := misp.ParseLooseInt(s)
		switch {
		case err != nil:
			return err
		case n < 0:
			return errors.New("must not be negative")
		case n > math.MaxInt32:
			return fmt.Errorf("must be at most %d", math.MaxInt32)
		}
		*get(dst) = int(n)
		return nil
	}
}

// flagValues reads one flag or a list of flags as trimmed text, dropping
// empty entries.
func flagValues(raw json.RawMessage) ([]string, error) {
	values, err := scalarOrList(raw)
	if err != nil {
		return nil, err
	}
	out := values[:0]
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out, nil
}

// sources holds parameter values by name, highest precedence first.
type sources []map[string]json.RawMessage

// find returns the first present value of any of names, trying each source in
// turn and, within a source, the canonical name before its aliases. It also
// returns the name the value was found under, for error messages.
func (s sources) find(names []string) (string, json.RawMessage, bool) {
	for _, src := range s {
		for _, n := range names {
			if raw, ok := src[n]; ok && !isAbsent(raw) {
				return n, raw, true
			}
		}
	}
	return "", nil, false
}

// bodyObject decodes a request body into its parameters, unwrapping a
// top-level "request" object. An empty body or null has no parameters.
func bodyObject(body []byte) (map[string]json.RawMessage, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, nil
	}

	if err := CheckListSize(body); err != nil {
		return nil, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return nil, &ParamError{Param: "body", Reason: fmt.Sprintf("not valid JSON at byte %d: %v", syntax.Offset, err)}
		}
		return nil, &ParamError{Param: "body", Reason: "must be a JSON object of filters"}
	}
	inner, ok := obj["request"]
	if !ok || isAbsent(inner) {
		return obj, nil
	}

	var req map[string]json.RawMessage
	if err := json.Unmarshal(inner, &req); err != nil {
		return nil, &ParamError{Param: "request", Reason: "must be a JSON object"}
	}
	return req, nil
}

// namedValues turns named URL parameters into JSON: one value becomes a
// string and repeated values a list of strings, so that they pass through the
// same rules as a body.
func namedValues(named map[string][]string) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(named))
	for key, values := range named {
		var v any = values
		switch len(values) {
		case 0:
			continue
		case 1:
			v = values[0]
		}
		raw, _ := json.Marshal(v) // strings and string lists always marshal
		out[key] = raw
	}
	return out
}

// positionalValues reads the returnFormat from the first positional segment.
func positionalValues(positional []string) map[string]json.RawMessage {
	if len(positional) == 0 {
		return nil
	}
	raw, _ := json.Marshal(positional[0]) // a string always marshals
	return map[string]json.RawMessage{"returnFormat": raw}
}

// isAbsent reports whether a JSON value counts as not given: nothing, null,
// "", [] or {}.
func isAbsent(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0, string(raw) == "null", string(raw) == `""`:
		return true
	case len(raw) >= 2 && (raw[0] == '[' || raw[0] == '{'):
		return len(bytes.TrimSpace(raw[1:len(raw)-1])) == 0
	}
	return false
}
