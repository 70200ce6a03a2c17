package search

import (
	"errors"
	"strings"

	"github.com/cairn-intel/cairn/internal/store"
)

// resolveTags turns tag terms into tag ids. ok is false when nothing exists.
func (b *builder) resolveTags(terms []string) ([]int64, bool) {
	ids, err := b.st.TagIDsMatchingAny(b.ctx, terms)
	if err != nil {
		b.none = true // a failed lookup must never widen the result
		return nil, false
	}
	return ids, len(ids) > 0
}

// tagCond filters by tags. Attribute searches match a tag on the attribute
// or on its event (unless eventOnly); event searches match a tag on the
// event or on one of its attributes the actor may see. A list of OR tags
// none of which exists, or an AND tag that does not exist, matches nothing;
// NOT tags that do not exist are ignored.
func (b *builder) tagCond(t Terms, _ bool, withAttributeTags bool) store.Cond {
	if t.Empty() {
		return store.Cond{}
	}
	var parts []store.Cond
	if len(t.OR) > 0 {
		ids, ok := b.resolveTags(t.OR)
		if !ok {
			b.none = true
			return never
		}
		parts = append(parts, b.tagPred(ids, withAttributeTags))
	}
	for _, name := range t.AND {
		ids, ok := b.resolveTags([]string{name})
		if !ok {
			b.none = true
			return never
		}
		parts = append(parts, b.tagPred(ids, withAttributeTags))
	}
	if len(t.NOT) > 0 {
		if ids, ok := b.resolveTags(t.NOT); ok {
			c := b.tagPred(ids, withAttributeTags)
			parts = append(parts, store.Not(c))
		}
	}
	return store.And(parts...)
}

// tagPred holds for a row carrying one of the tags. The tagged events and
// attributes are sets the row's ids are looked up in, not subqueries run
// for each row: the database may then start from the tags' indexes, and
// for attributes it reads the tagged events' attributes and the tagged
// attributes by index (SQLite's multi-index OR) instead of testing every
// attribute; counting 242,455 tagged attributes of 595,023 took 0.43 s on
// SQLite and 0.35-0.42 s on PostgreSQL that way, against 0.11-0.15 s.
func (b *builder) tagPred(ids []int64, withAttributeTags bool) store.Cond {
	in := func(col string) store.Cond { return b.st.InInts(col, ids) }
	eventIn := in("tet.tag_id")
	eventCol := "e.id"
	if b.scope == "attributes" {
		eventCol = "a.event_id" // the same, and an index of attributes
	}
	event := store.Cond{SQL: eventCol + " IN (SELECT tet.event_id FROM event_tags tet WHERE " + eventIn.SQL + ")", Args: eventIn.Args}
	if !withAttributeTags {
		return event
	}
	var attr store.Cond
	if b.scope == "attributes" {
		attrIn := in("tat.tag_id")
		attr = store.Cond{SQL: "a.id IN (SELECT tat.attribute_id FROM attribute_tags tat WHERE " + attrIn.SQL + ")", Args: attrIn.Args}
	} else {
		acc, accArgs := b.a.AttributeAccess("ta", "e")
		attrIn := in("tat.tag_id")
		attr = store.Cond{SQL: "EXISTS (SELECT 1 FROM attribute_tags tat JOIN attributes ta ON ta.id = tat.attribute_id " +
			"WHERE tat.event_id = e.id AND " + attrIn.SQL + " AND ta.deleted = 0 AND " + acc + ")",
			Args: append(attrIn.Args, accArgs...)}
	}
	return store.Cond{SQL: "(" + event.SQL + " OR " + attr.SQL + ")", Args: append(event.Args, attr.Args...)}
}

// stripTagged is the condition keeping attributes that carry none of the NOT
// tags, for event searches that remove such attributes from their output.
func (b *builder) stripTagged() store.Cond {
	if len(b.p.Tags.NOT) == 0 {
		return store.Cond{}
	}
	ids, ok := b.resolveTags(b.p.Tags.NOT)
	if !ok {
		return store.Cond{}
	}
	ph, args := store.IDList(ids)
	return store.Cond{SQL: "NOT EXISTS (SELECT 1 FROM attribute_tags sat WHERE sat.attribute_id = a.id AND sat.tag_id IN (" + ph + "))", Args: args}
}

// orgCond filters on the creator organisation, by id, name or uuid. Unknown
// organisations are dropped; if every OR entry is unknown nothing matches.
func (b *builder) orgCond() store.Cond {
	t := b.p.Org
	if t.Empty() {
		return store.Cond{}
	}
	resolve := func(refs []string) ([]int64, bool) {
		var ids []int64
		for _, r := range refs {
			o, err := b.st.OrgByRef(b.ctx, strings.TrimSpace(r))
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				b.none = true
				return nil, false
			}
			ids = append(ids, o.ID)
		}
		return ids, len(ids) > 0
	}
	var parts []store.Cond
	if len(t.OR) > 0 {
		ids, ok := resolve(t.OR)
		if !ok {
			b.none = true
			return never
		}
		ph, args := store.IDList(ids)
		parts = append(parts, store.Cond{SQL: "e.orgc_id IN (" + ph + ")", Args: args})
	}
	for _, r := range t.AND {
		ids, ok := resolve([]string{r})
		if !ok {
			b.none = true
			return never
		}
		parts = append(parts, store.Cond{SQL: "e.orgc_id = ?", Args: []any{ids[0]}})
	}
	if ids, ok := resolve(t.NOT); ok {
		ph, args := store.IDList(ids)
		parts = append(parts, store.Cond{SQL: "e.orgc_id NOT IN (" + ph + ")", Args: args})
	}
	return store.And(parts...)
}
