package search

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/store"
)

// builder turns Params into SQL conditions for one actor. The access filter
// itself is never built here: store.Actor supplies it, and every query below
// includes it.
type builder struct {
	ctx   context.Context
	st    *store.Store
	a     *store.Actor
	p     Params
	scope string // "events" or "attributes"
	// none is set when a filter can match nothing (an unknown tag in an AND
	// list, say): the search then returns an empty result without a query.
	none bool
}

var never = store.Cond{SQL: "1=0"}

// attrPred returns the condition that the attribute aliased a matches one
// term of the named filter.
func (b *builder) attrPred(filter, v string) store.Cond {
	return b.attrPredMany(filter, []string{v})
}

// attrPredMany returns the condition that the attribute aliased a matches
// any of the terms of the named filter.
func (b *builder) attrPredMany(filter string, vals []string) store.Cond {
	switch filter {
	case "value":
		return b.valuesPred(vals, "a.value1", "a.value2", true)
	case "value1":
		return b.valuesPred(vals, "a.value1", "", false)
	case "value2":
		return b.valuesPred(vals, "a.value2", "", false)
	}
	if c, ok := exactColumns[filter]; ok {
		return b.exactOrLike(c.col, c.kind, vals)
	}
	return never
}

// exactColumns are the attribute filters matched by equality, or by LIKE
// for a term holding %.
var exactColumns = map[string]struct {
	col  string
	kind exactKind
}{
	"type": {"a.type", exactType}, "category": {"a.category", exactCategory},
	"comment": {"a.comment", exactText}, "object_relation": {"a.object_relation", exactText},
}

// exactKind says how an exact term compares with its column. Each ignores
// the case of ASCII letters, as values do and LIKE terms always did.
type exactKind int

const (
	exactText     exactKind = iota // free text: compared with its ASCII letters lowered
	exactType                      // an attribute type, read as the type it names
	exactCategory                  // a category, read as the category it names
)

// typeNames and categoryNames map the lower-cased names of the attribute
// types and categories to the names as stored, so that a term in another
// case still probes the type index.
var typeNames, categoryNames = lowerNames(misp.TypeNames()), lowerNames(misp.Categories())

func lowerNames(names []string) map[string]string {
	m := make(map[string]string, len(names))
	for _, n := range names {
		m[strings.ToLower(n)] = n
	}
	return m
}

// exactOrLike matches col against the terms: the exact ones as one set
// (one parameter however many), the ones holding % each by LIKE. For types,
// email-src and email-dst also find MISP's older type email.
func (b *builder) exactOrLike(col string, kind exactKind, vals []string) store.Cond {
	var exact []string
	var ors []store.Cond
	for _, v := range vals {
		if strings.Contains(v, "%") {
			ors = append(ors, store.Cond{SQL: b.st.Like(col), Args: []any{v}})
			continue
		}
		switch kind {
		case exactType:
			if name, ok := typeNames[strings.ToLower(v)]; ok {
				v = name
			}
			if v == "email-src" || v == "email-dst" {
				exact = append(exact, "email")
			}
		case exactCategory:
			if name, ok := categoryNames[strings.ToLower(v)]; ok {
				v = name
			}
		case exactText:
			v = store.LowerASCII(v)
		}
		exact = append(exact, v)
	}
	if len(exact) > 0 {
		slices.Sort(exact)
		if kind == exactText {
			col = b.st.FoldedValue(col)
		}
		ors = append(ors, b.st.InStrings(col, slices.Compact(exact)))
	}
	return anyOf(ors)
}

// valuesPred matches any of vals: by LIKE for a value with a leading or
// trailing %, by range for a CIDR block, and otherwise in its stored forms
// (store.ValuesMatch, which sightings by value use too): a search for a
// thousand values is one index probe per form, the forms bound as one
// parameter.
func (b *builder) valuesPred(vals []string, col1, col2 string, withIP bool) store.Cond {
	var exact []string
	var ors []store.Cond
	for _, v := range vals {
		if col2 != "" {
			if c, ok := b.compositePattern(v, col1, col2); ok {
				ors = append(ors, c)
			}
		}
		if isLike(v) {
			ors = append(ors, b.likePred(v, col1, col2))
			continue
		}
		exact = append(exact, v)
		if lo, hi, ok := misp.CIDRRange(v); ok && withIP {
			ors = append(ors, store.Cond{SQL: "a.ip BETWEEN ? AND ?", Args: []any{lo, hi}})
		}
	}
	if len(exact) > 0 {
		ors = append(ors, b.st.ValuesMatch(exact, col1, col2))
	}
	return anyOf(ors)
}

// isLike reports whether a value term is a LIKE pattern: MISP's rule is a
// leading or trailing %.
func isLike(v string) bool { return strings.HasPrefix(v, "%") || strings.HasSuffix(v, "%") }

// compositePattern matches a composite term of one "|" with a pattern for
// a half: "198.51.100.7|%" (the address with any port), "%|443",
// "198.51.100.0/24|443" (a port on any address of the block) or
// "example.com|198.51.100.0/24". A half with a leading or trailing % is
// matched by LIKE, a CIDR block by the address column, and the other half
// in its stored forms; value2 must not be empty, so only composite
// attributes match. A block on the left is the address of ip|port, on the
// right that of domain|ip: the address column holds that half for those
// types. ok is false when the term is not such a pattern; the whole term
// is still matched as MISP would (LIKE on either column, or exactly).
func (b *builder) compositePattern(v, col1, col2 string) (c store.Cond, ok bool) {
	v = strings.TrimSpace(v)
	left, right, found := strings.Cut(v, "|")
	if !found {
		left, right, found = addressPort(v)
	}
	if !found || left == "" || right == "" || strings.Contains(right, "|") {
		return c, false
	}
	half := func(h, col string, ipTypes ...string) (store.Cond, bool) {
		if isLike(h) {
			return store.Cond{SQL: b.st.Like(col), Args: []any{h}}, true
		}
		if lo, hi, ok := misp.CIDRRange(h); ok {
			in := b.st.InStrings("a.type", ipTypes)
			return store.Cond{SQL: "(a.ip BETWEEN ? AND ? AND " + in.SQL + ")", Args: append([]any{lo, hi}, in.Args...)}, true
		}
		forms := misp.SearchForms(h)
		if n, err := strconv.ParseUint(h, 10, 16); err == nil {
			forms = append(forms, strconv.FormatUint(n, 10)) // a port as stored, "0443" as "443"
		}
		return b.st.InValues(col, forms), false
	}
	l, lpat := half(left, col1, "ip-src|port", "ip-dst|port")
	r, rpat := half(right, col2, "domain|ip")
	if !lpat && !rpat {
		return c, false
	}
	return store.And(l, r, store.Cond{SQL: col2 + " <> ''"}), true
}

// addressPort splits an address and port written with a colon, as an
// ip|port term is written with a bar: "198.51.100.7:%",
// "198.51.100.0/24:443", "[2001:db8::7]:%", "[2001:db8::/32]:53". The
// address (or block) must parse, and the port be a number or a pattern.
func addressPort(v string) (addr, port string, ok bool) {
	if rest, bracketed := strings.CutPrefix(v, "["); bracketed {
		addr, port, ok = strings.Cut(rest, "]:")
	} else if strings.Count(v, ":") == 1 {
		addr, port, ok = strings.Cut(v, ":")
	}
	if !ok || port == "" {
		return "", "", false
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil && !isLike(port) {
		return "", "", false
	}
	if _, err := netip.ParseAddr(addr); err != nil {
		if _, err := netip.ParsePrefix(addr); err != nil {
			return "", "", false
		}
	}
	return addr, port, true
}

func (b *builder) likePred(v, col1, col2 string) store.Cond {
	c := store.Cond{SQL: b.st.Like(col1), Args: []any{v}}
	if col2 != "" {
		c.SQL = "(" + c.SQL + " OR " + b.st.Like(col2) + ")"
		c.Args = append(c.Args, v)
	}
	return c
}

// termsCondMany applies MISP's OR / AND / NOT rules to one filter, given the
// condition that a row matches any of a list of terms.
func termsCondMany(t Terms, many func([]string) store.Cond) store.Cond {
	var parts []store.Cond
	if len(t.OR) > 0 {
		parts = append(parts, many(t.OR))
	}
	for _, v := range t.AND {
		parts = append(parts, many([]string{v}))
	}
	if len(t.NOT) > 0 {
		c := many(t.NOT)
		parts = append(parts, store.Not(c))
	}
	return store.And(parts...)
}

// checkParams refuses a search whose condition needs more bound parameters
// than one statement may carry: thousands of wildcard patterns or CIDR
// blocks, each a parameter or two (exact values go as one set however many
// there are). The margin leaves room for paging and the cursor.
func checkParams(st *store.Store, c store.Cond) error { return checkParamCount(st, len(c.Args)) }

// checkParamCount is checkParams for a search of n parameters in all.
func checkParamCount(st *store.Store, n int) error {
	if most := st.MaxParams() - 16; n > most {
		return &ParamError{Param: "filters", Reason: fmt.Sprintf(
			"too many wildcard or CIDR terms: the search needs %d parameters, at most %d are possible; split it", n, most)}
	}
	return nil
}

// anyOf joins conditions with OR; none matches nothing.
func anyOf(conds []store.Cond) store.Cond {
	if len(conds) == 0 {
		return never
	}
	c := store.Or(conds...)
	c.SQL = "(" + c.SQL + ")" // callers negate it with NOT
	return c
}

// attributeFilters are the filters that look at attributes.
func (b *builder) attributeFilters() []struct {
	name  string
	terms Terms
} {
	return []struct {
		name  string
		terms Terms
	}{
		{"value", b.p.Value}, {"value1", b.p.Value1}, {"value2", b.p.Value2}, {"type", b.p.Type},
		{"category", b.p.Category}, {"comment", b.p.Comment}, {"object_relation", b.p.ObjectRelation},
	}
}

// attributeCond is the condition on the attribute aliased a (and its event
// e) for an attribute search.
func (b *builder) attributeCond() store.Cond {
	var parts []store.Cond
	for _, f := range b.attributeFilters() {
		name := f.name
		parts = append(parts, termsCondMany(f.terms, func(vals []string) store.Cond { return b.attrPredMany(name, vals) }))
	}
	parts = append(parts, termsCondMany(b.p.UUID, b.attributeUUIDPred))
	parts = append(parts, b.tagCond(b.p.Tags, true, true), b.tagCond(b.p.EventTags, true, false))
	parts = append(parts, b.attributeOnlyCond()...)
	parts = append(parts, b.eventCond()...)
	parts = append(parts, b.distributionCond("a"))
	return store.And(parts...)
}

// attributeUUIDPred matches attributes by their uuid or their event's. Each
// side is a set probed through its own uuid index and joined back by id, so
// that neither reads the whole attributes table.
func (b *builder) attributeUUIDPred(vals []string) store.Cond {
	uuids := lowered(vals)
	byAttr, byEvent := b.st.InStrings("ua.uuid", uuids), b.st.InStrings("ue.uuid", uuids)
	return store.Cond{
		SQL: "(a.id IN (SELECT ua.id FROM attributes ua WHERE " + byAttr.SQL + ") OR " +
			"a.event_id IN (SELECT ue.id FROM events ue WHERE " + byEvent.SQL + "))",
		Args: append(byAttr.Args, byEvent.Args...),
	}
}

// lowered returns the values in lower case, as uuids are stored.
func lowered(vals []string) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = strings.ToLower(strings.TrimSpace(v))
	}
	return out
}

// attributeOnlyCond holds the filters that trim attributes, in both scopes.
func (b *builder) attributeOnlyCond() []store.Cond {
	var parts []store.Cond
	switch b.p.ToIDS {
	case TriTrue:
		parts = append(parts, store.Cond{SQL: "a.to_ids = 1"})
	case TriFalse:
		parts = append(parts, store.Cond{SQL: "a.to_ids = 0"})
	}
	ts := b.p.AttributeTimestamp
	if b.scope == "attributes" && ts == nil {
		ts = b.p.Timestamp
	}
	parts = append(parts, timeCond("a.timestamp", ts, 1))
	parts = append(parts, timeCond("a.first_seen", b.p.FirstSeen, 1e6), timeCond("a.last_seen", b.p.LastSeen, 1e6))
	if b.p.SearchAll != "" {
		like := "%" + strings.Trim(b.p.SearchAll, "%") + "%"
		l := b.st.Like
		parts = append(parts, store.Cond{SQL: `(` + l("a.value1") + ` OR ` + l("a.value2") + ` OR ` + l("a.comment") +
			` OR ` + l("e.info") + `
			OR EXISTS (SELECT 1 FROM attribute_tags sat JOIN tags st ON st.id = sat.tag_id WHERE sat.attribute_id = a.id AND ` + l("st.name") + `)
			OR EXISTS (SELECT 1 FROM event_tags set_ JOIN tags st ON st.id = set_.tag_id WHERE set_.event_id = e.id AND ` + l("st.name") + `))`,
			Args: []any{like, like, like, like, like, like}})
	}
	return parts
}

// eventCond holds the filters on the event aliased e.
func (b *builder) eventCond() []store.Cond {
	p := b.p
	parts := []store.Cond{
		termsCondMany(p.EventID, func(refs []string) store.Cond { return b.st.RefsCond("e", refs) }),
		termsCondMany(p.EventInfo, func(vals []string) store.Cond { return b.exactOrLike("e.info", exactText, vals) }),
		termsCondMany(p.ThreatLevel, func(vals []string) store.Cond { return b.intsPred("e.threat_level_id", vals) }),
		termsCondMany(p.Analysis, func(vals []string) store.Cond { return b.intsPred("e.analysis", vals) }),
		b.orgCond(),
		dateCond(p.From, ">="), dateCond(p.To, "<="),
		timeCond("e.publish_timestamp", p.Last, 1),
		timeCond("e.publish_timestamp", p.PublishTimestamp, 1),
		timeCond("e.timestamp", p.EventTimestamp, 1),
	}
	if b.scope == "events" {
		parts = append(parts, timeCond("e.timestamp", p.Timestamp, 1))
	}
	if p.Date != nil {
		parts = append(parts, dateRangeCond(p.Date))
	}
	switch p.Published {
	case TriTrue:
		parts = append(parts, store.Cond{SQL: "e.published = 1"})
	case TriFalse:
		parts = append(parts, store.Cond{SQL: "e.published = 0"})
	}
	return parts
}

// distributionCond holds the distribution and sharinggroup filters on the
// row aliased alias: the event in the events scope, the attribute in the
// attributes scope.
func (b *builder) distributionCond(alias string) store.Cond {
	c := termsCondMany(b.p.Distribution, func(vals []string) store.Cond { return b.intsPred(alias+".distribution", vals) })
	sg := termsCondMany(b.p.SharingGroup, func(vals []string) store.Cond {
		return b.intsPred(alias+".sharing_group_id", vals)
	})
	return store.And(c, sg)
}

// intsPred matches the integer column col against the terms, as one set.
// A term is its number's decimal text, as the column would be written: a
// term that is not ("x", "01", "1.0") matches nothing.
func (b *builder) intsPred(col string, vals []string) store.Cond {
	var ints []int64
	for _, v := range vals {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && strconv.FormatInt(n, 10) == v {
			ints = append(ints, n)
		}
	}
	slices.Sort(ints)
	return b.st.InInts(col, slices.Compact(ints))
}

// timeCond bounds a column by a time range; unit converts seconds to the
// column's unit. An invalid range matches nothing, as in MISP.
func timeCond(col string, r *TimeRange, unit int64) store.Cond {
	switch {
	case r == nil:
		return store.Cond{}
	case r.Invalid:
		return never
	}
	var parts []store.Cond
	if r.From != 0 {
		parts = append(parts, store.Cond{SQL: col + " >= ?", Args: []any{r.From * unit}})
	}
	if r.To != 0 {
		parts = append(parts, store.Cond{SQL: col + " <= ?", Args: []any{r.To * unit}})
	}
	return store.And(parts...)
}

func dateCond(date, op string) store.Cond {
	if date == "" {
		return store.Cond{}
	}
	return store.Cond{SQL: "e.date " + op + " ?", Args: []any{date}}
}

func dateRangeCond(r *TimeRange) store.Cond {
	if r.Invalid {
		return never
	}
	var parts []store.Cond
	if r.From != 0 {
		parts = append(parts, dateCond(time.Unix(r.From, 0).UTC().Format("2006-01-02"), ">="))
	}
	if r.To != 0 {
		parts = append(parts, dateCond(time.Unix(r.To, 0).UTC().Format("2006-01-02"), "<="))
	}
	return store.And(parts...)
}
