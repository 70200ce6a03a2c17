package search

import (
	"context"

	"bytes"
	"encoding/json"
	"fmt"
	"github.com/cairn-intel/cairn/internal/store"
	"strings"
	"time"
)

// IndexParams are the filters of an events/index request. A Terms or string
// field left empty and a nil *TimeRange apply no filter.
type IndexParams struct {
	All string // quick search over the event and its attributes

	Attribute, EventID, Org, EventInfo, Tags, Distribution, SharingGroup, Analysis, ThreatLevel,
	Email Terms

	Published           Tri
	DateFrom, DateUntil string // Event.date bounds as YYYY-MM-DD; "" is no bound

	Timestamp, PublishTimestamp *TimeRange

	HasProposal Tri
	Minimal     bool
	Page, Limit int    // Page is 1-based and at least 1; a Limit of 0 leaves the limit to the caller
	Sort        string // an event column, checked by the caller
	Direction   string // "asc", "desc" or ""
}

// indexAliases maps the other accepted spellings (lower-cased) of an
// events/index key to its canonical name.
var indexAliases = map[string]string{
	"tag":              "tags",
	"value":            "attribute",
	"publishtimestamp": "publish_timestamp",
	"threat_level_id":  "threatlevel",
}

// indexFields is the events/index parameter table, by canonical name.
var indexFields = []field[IndexParams]{
	{[]string{"all"}, textInto(func(p *IndexParams) *string { return &p.All })},
	{[]string{"attribute"},
		indexTermsInto(func(p *IndexParams) *Terms { return &p.Attribute }, false)},
	{[]string{"eventid"}, indexTermsInto(func(p *IndexParams) *Terms { return &p.EventID }, false)},
	{[]string{"org"}, indexTermsInto(func(p *IndexParams) *Terms { return &p.Org }, false)},
	{[]string{"eventinfo"},
		indexTermsInto(func(p *IndexParams) *Terms { return &p.EventInfo }, false)},
	{[]string{"tags"}, indexTermsInto(func(p *IndexParams) *Terms { return &p.Tags }, true)},
	{[]string{"distribution"},
		indexTermsInto(func(p *IndexParams) *Terms { return &p.Distribution }, false)},
	{[]string{"sharinggroup"},
		indexTermsInto(func(p *IndexParams) *Terms { return &p.SharingGroup }, false)},
	{[]string{"analysis"}, indexTermsInto(func(p *IndexParams) *Terms { return &p.Analysis }, false)},
	{[]string{"threatlevel"},
		indexTermsInto(func(p *IndexParams) *Terms { return &p.ThreatLevel }, false)},
	{[]string{"email"}, indexTermsInto(func(p *IndexParams) *Terms { return &p.Email }, false)},
	{[]string{"published"}, triInto(func(p *IndexParams) *Tri { return &p.Published }, false)},
	{[]string{"datefrom"}, dateInto(func(p *IndexParams) *string { return &p.DateFrom })},
	{[]string{"dateuntil"}, dateInto(func(p *IndexParams) *string { return &p.DateUntil })},
	{[]string{"timestamp"},
		timeInto(func(p *IndexParams) **TimeRange { return &p.Timestamp }, false)},
	{[]string{"publish_timestamp"},
		timeInto(func(p *IndexParams) **TimeRange { return &p.PublishTimestamp }, false)},
	{[]string{"hasproposal"}, triInto(func(p *IndexParams) *Tri { return &p.HasProposal }, false)},
	{[]string{"minimal"}, boolInto(func(p *IndexParams) *bool { return &p.Minimal })},
	{[]string{"page"}, countInto(func(p *IndexParams) *int { return &p.Page })},
	{[]string{"limit"}, countInto(func(p *IndexParams) *int { return &p.Limit })},
	{[]string{"sort"}, textInto(func(p *IndexParams) *string { return &p.Sort })},
	{[]string{"direction"}, setDirection},
}

// ParseIndex reads the filters of an events/index request from its JSON body
// (bare or wrapped in {"request": {...}}; may be empty) and its named URL
// parameters. Keys are matched without regard to case and may carry a
// "search" prefix ("searchorg" is "org", "searchall" is "all"). A body value
// wins over a named one; within one place the plain canonical key wins over an
// alias, and an alias over a prefixed key. List values are JSON lists or
// "|"-separated strings whose "!"-prefixed entries are negated; in tags, "&"
// joins entries that must all be present. Unknown keys are ignored; a
// malformed body or a value of the wrong shape is a *ParamError.
func ParseIndex(body []byte, named map[string][]string, now time.Time) (IndexParams, error) {
	fromBody, err := bodyObject(body)
	if err != nil {
		return IndexParams{}, err
	}
	values := canonicalIndexKeys(namedValues(named))
	for name, v := range canonicalIndexKeys(fromBody) {
		values[name] = v
	}

	p := IndexParams{Page: 1}
	for _, f := range indexFields {
		v, ok := values[f.names[0]]
		if !ok {
			continue
		}
		if err := f.set(&p, v.raw, now); err != nil {
			return IndexParams{}, &ParamError{Param: v.key, Reason: err.Error()}
		}
	}

	p.Page = max(p.Page, 1)
	return p, nil
}

// indexValue is one events/index value with the key it came under and how
// closely that key matched the canonical name (0 is exact).
type indexValue struct {
	key  string
	raw  json.RawMessage
	rank int
}

// canonicalIndexKeys files the present values of one source under their
// canonical names. When several keys land on one name, the closest match wins
// and ties go to the smallest key, so the outcome never depends on map order.
func canonicalIndexKeys(src map[string]json.RawMessage) map[string]indexValue {
	out := make(map[string]indexValue, len(src))
	for key, raw := range src {
		name, rank, ok := indexKey(key)
		if !ok || isAbsent(raw) {
			continue
		}
		if cur, seen := out[name]; seen && (cur.rank < rank || cur.rank == rank && cur.key < key) {
			continue
		}
		out[name] = indexValue{key: key, raw: raw, rank: rank}
	}
	return out
}

// indexKey resolves an events/index key to its canonical name. rank is 0 for
// the canonical name as written, 1 for another spelling and 2 for a key that
// needed its "search" prefix removed.
func indexKey(key string) (name string, rank int, ok bool) {
	lower := strings.ToLower(key)
	if name, ok := indexName(lower); ok {
		if key == name {
			return name, 0, true
		}
		return name, 1, true
	}
	if rest, found := strings.CutPrefix(lower, "search"); found {
		if name, ok := indexName(rest); ok {
			return name, 2, true
		}
	}
	return "", 0, false
}

// indexName returns the canonical name for a lower-cased key, if it has one.
func indexName(lower string) (string, bool) {
	if name, ok := indexAliases[lower]; ok {
		return name, true
	}
	for _, f := range indexFields {
		if f.names[0] == lower {
			return lower, true
		}
	}
	return "", false
}

// indexTermsInto reads an events/index list value with parseIndexTerms.
func indexTermsInto(get func(*IndexParams) *Terms, allowAnd bool) setter[IndexParams] {
	return func(dst *IndexParams, raw json.RawMessage, _ time.Time) error {
		t, err := parseIndexTerms(raw, allowAnd)
		if err != nil {
			return err
		}
		*get(dst) = t
		return nil
	}
}

// parseIndexTerms reads an events/index list value: a JSON list (entries taken
// whole), an explicit {"OR", "AND", "NOT"} object as in restSearch, or a string
// split on "|". With allowAnd, a "|"-piece holding "&" is split again and its
// entries go to AND. A "!" prefix negates an entry in every form but the
// explicit object.
func parseIndexTerms(raw json.RawMessage, allowAnd bool) (Terms, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && (raw[0] == '[' || raw[0] == '{') {
		return ParseTerms(raw)
	}

	s, err := scalarText(raw)
	if err != nil {
		return Terms{}, err
	}
	var t Terms
	for _, piece := range strings.Split(s, "|") {
		if !allowAnd || !strings.Contains(piece, "&") {
			t.add(piece)
			continue
		}
		for _, part := range strings.Split(piece, "&") {
			t.addAll(part)
		}
	}
	return t, nil
}

// addAll files one entry that must be present under AND, or under NOT without
// its "!".
func (t *Terms) addAll(v string) {
	if rest, ok := strings.CutPrefix(v, "!"); ok {
		if rest != "" {
			t.NOT = append(t.NOT, rest)
		}
		return
	}
	if v != "" {
		t.AND = append(t.AND, v)
	}
}

// setDirection reads the sort direction, which must be asc or desc.
func setDirection(p *IndexParams, raw json.RawMessage, _ time.Time) error {
	s, err := scalarText(raw)
	if err != nil {
		return err
	}
	s = strings.ToLower(strings.TrimSpace(s))
	if s != "asc" && s != "desc" {
		return fmt.Errorf("%.40q is not asc or desc", s)
	}
	p.Direction = s
	return nil
}

// Index runs an events/index request: the same event selection as
// restSearch, returning event metadata only.
func Index(ctx context.Context, st *store.Store, a *store.Actor, ip IndexParams) ([]store.Event, int64, error) {
	p := Params{
		SearchAll: ip.All, Value: ip.Attribute, EventID: ip.EventID, Org: ip.Org, EventInfo: ip.EventInfo,
		Tags: ip.Tags, Distribution: ip.Distribution, SharingGroup: ip.SharingGroup, Analysis: ip.Analysis,
		ThreatLevel: ip.ThreatLevel, Published: ip.Published, From: ip.DateFrom, To: ip.DateUntil,
		Timestamp: ip.Timestamp, PublishTimestamp: ip.PublishTimestamp, Page: ip.Page, Limit: ip.Limit,
		Metadata: true, IncludeAllTags: false,
	}
	if ip.Sort != "" {
		p.Order = ip.Sort + " " + ip.Direction
	}
	return Events(ctx, st, a, p)
}
