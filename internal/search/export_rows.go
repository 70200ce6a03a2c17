package search

import (
	"context"
	"database/sql"
	"errors"

	"github.com/cairn-intel/cairn/internal/store"
)

// exportRow is one attribute read for an export, with the context its
// format asked for (rowNeeds).
type exportRow struct {
	store.Attribute
	objectUUID, objectName, objectMeta string
	attrTags, eventTags                string // tag names joined by commas
	eventDate, eventOrg, eventOrgc     string
	eventThreat, eventAnalysis         int64
	eventTimestamp                     int64
}

// rowNeeds says which columns an export reads, and whether it wants its
// rows sorted by value (formats that drop repeated values do it by
// comparing neighbours, which keeps their memory flat). Without full, only
// narrowColumns are read: reading and sorting every column of a quarter
// of a million rows takes six times as long as the few a text or rule
// export writes.
type rowNeeds struct {
	full, object, context, attrTags, eventTags, byValue bool
}

// narrowColumns are what every format but csv reads: the attribute's id,
// event, type, value and timestamp, its event's uuid and info.
const narrowColumns = `a.id, a.event_id, a.type, a.value1, a.value2, a.timestamp, e.uuid, e.info`

// rowQuery is the search behind one export. Every query it runs includes
// the access filter of store.Actor.
type rowQuery struct {
	st    *store.Store
	p     Params
	scope Scope
	none  bool // a filter can match nothing: no query is run

	where  store.Cond // on the attribute a and its event e, access included
	events store.Cond // events scope: the events chosen (alias e), access included
	order  string     // the scope's ORDER BY
	window store.Cond // the cursor window on the scope's key; empty when paged
	paged  bool       // page and limit apply as OFFSET and LIMIT
}

const attributeFrom = ` FROM attributes a JOIN events e ON e.id = a.event_id`

// newRowQuery builds the search of an export. For events the rows are the
// attributes of the chosen events, object attributes included (MISP
// flattens), trimmed as events/restSearch trims them: visible, not deleted
// unless asked, to_ids as asked, and without those carrying a NOT tag.
func newRowQuery(ctx context.Context, st *store.Store, a *store.Actor, p Params, scope Scope) (*rowQuery, error) {
	q := &rowQuery{st: st, p: p, scope: scope, paged: true}
	acc, accArgs := a.AttributeAccess("a", "e")
	visible := store.And(store.Cond{SQL: acc, Args: accArgs}, store.DeletedFilter(a, "a", store.Deleted(p.Deleted)))

	var err error
	if scope == ScopeEvents {
		b := &builder{ctx: ctx, st: st, a: a, p: p, scope: "events"}
		evAcc, evArgs := a.EventAccess("e")
		q.events = store.And(store.Cond{SQL: evAcc, Args: evArgs}, b.eventSelectCond())
		q.where = store.And(visible, toIDSCond(p.ToIDS), b.stripTagged())
		q.order, err = orderBy(st, p.Order, eventOrders, "e")
		q.none = b.none
		if err == nil {
			err = checkParams(st, store.And(q.events, q.where))
		}
		return q, err
	}
	b := &builder{ctx: ctx, st: st, a: a, p: p, scope: "attributes"}
	q.where = store.And(visible, b.attributeCond())
	q.order, err = orderBy(st, p.Order, attributeOrders, "a")
	q.none = b.none
	if err == nil {
		err = checkParams(st, q.where)
	}
	return q, err
}

func toIDSCond(t Tri) store.Cond {
	switch t {
	case TriTrue:
		return store.Cond{SQL: "a.to_ids = 1"}
	case TriFalse:
		return store.Cond{SQL: "a.to_ids = 0"}
	}
	return store.Cond{}
}

// setWindow replaces paging by a window in key order: after the request's
// cursor, if any, and up to the key of the last item of the page (the
// limit-th, or the last of all without a limit). The rows are then read
// by that window, so the next cursor is known before the first byte and
// rows written meanwhile cannot shift the page. found is false when the
// window is empty.
func (q *rowQuery) setWindow(ctx context.Context) (next cursorKey, found bool, err error) {
	ts, uuid := keyColumns(q.scope)
	after, err := cursorFilter(ctx, q.st, q.p, q.scope)
	if err != nil || q.none {
		return next, false, err
	}

	from, cond := attributeFrom, store.And(q.where, after)
	if q.scope == ScopeEvents {
		from, cond = ` FROM events e`, store.And(q.events, after)
	}
	inner := `SELECT ` + ts + ` AS k_ts, ` + uuid + ` AS k_uuid` + from + ` WHERE ` + cond.SQL
	args := append([]any{}, cond.Args...)
	query := inner + ` ORDER BY ` + ts + ` DESC, ` + uuid + ` DESC LIMIT 1`
	if q.p.Limit > 0 {
		query = `SELECT w.k_ts, w.k_uuid FROM (` + inner + ` ORDER BY ` + ts + `, ` + uuid + ` LIMIT ?) w
			ORDER BY w.k_ts DESC, w.k_uuid DESC LIMIT 1`
		args = append(args, q.p.Limit)
	}
	err = q.st.DB().QueryRowContext(ctx, q.st.Rebind(query), args...).Scan(&next.TS, &next.UUID)
	if errors.Is(err, sql.ErrNoRows) {
		q.none = true
		return next, false, nil
	}
	if err != nil {
		return next, false, err
	}
	q.window, q.paged = store.And(after, upToCond(next, ts, uuid)), false
	return next, true, nil
}

// rowCond is the whole condition on the attributes read. For events it
// names the chosen events, which rowSQL selects first (chosenEvents).
func (q *rowQuery) rowCond() store.Cond {
	if q.scope == ScopeAttributes {
		return store.And(q.where, q.window)
	}
	return store.And(q.where, store.Cond{SQL: "a.event_id IN (SELECT id FROM chosen)"})
}

// chosenEvents is the head of an events export's statement: the ids of the
// chosen events, selected once. As a subquery of the condition on the
// attributes, PostgreSQL merged it into the join and ran the test of an
// event's attributes (its type filter, say) again for every attribute read,
// over all the attributes of the attribute's event: an export of 620k
// attributes in 12,700 events ran past the query budget of two minutes.
// A materialised common table expression is selected on its own, on both
// databases.
func (q *rowQuery) chosenEvents() (string, []any) {
	sub, args := q.eventIDs()
	return `WITH chosen AS MATERIALIZED (` + sub + `) `, args
}

// eventIDs is the query of the ids of the chosen events: those in the
// window, or one page of them.
func (q *rowQuery) eventIDs() (string, []any) {
	c := store.And(q.events, q.window)
	query := `SELECT e.id FROM events e WHERE ` + c.SQL
	args := append([]any{}, c.Args...)
	if q.paged && q.p.Limit > 0 {
		lim, limArgs := limitClause(q.p)
		query += ` ORDER BY ` + q.order + lim
		args = append(args, limArgs...)
	}
	return query, args
}

// each reads the rows of the export in order and calls fn with each row
// as it is read; the row is reused, so fn must copy what it keeps. Only
// one row is held at a time, and all the context a format asks for comes
// in the same query, so an export holds one database connection and no
// more memory for a million rows than for ten.
func (q *rowQuery) each(ctx context.Context, needs rowNeeds, fn func(*exportRow) error) error {
	if q.none {
		return nil
	}
	query, args := q.rowSQL(needs)
	rows, err := q.st.DB().QueryContext(ctx, q.st.Rebind(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()

	drop := q.p.EnforceWarninglist && q.p.Warnings != nil
	var r exportRow
	for rows.Next() {
		r = exportRow{}
		if err := scanExportRow(rows, &r, needs); err != nil {
			return err
		}
		if drop && len(q.p.Warnings(r.Value(), r.Type)) > 0 {
			continue
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// rowSQL is the query of each: the rows in the window, or one page of
// them, sorted for the format.
func (q *rowQuery) rowSQL(needs rowNeeds) (string, []any) {
	cond, lim, limArgs := q.rowCond(), "", []any(nil)
	if q.scope == ScopeAttributes && q.paged && q.p.Limit > 0 {
		page, pageArgs := limitClause(q.p)
		if needs.byValue {
			// The page is cut in the search's order, then sorted by value.
			inner := `SELECT a.id` + attributeFrom + ` WHERE ` + cond.SQL + ` ORDER BY ` + q.order + page
			cond = store.Cond{SQL: "a.id IN (" + inner + ")",
				Args: append(append([]any{}, cond.Args...), pageArgs...)}
		} else {
			lim, limArgs = page, pageArgs
		}
	}
	var with string
	var args []any
	if q.scope == ScopeEvents {
		with, args = q.chosenEvents()
	}
	query := with + `SELECT ` + q.columns(needs) + q.from(needs) + ` WHERE ` + cond.SQL +
		` ORDER BY ` + q.rowOrder(needs) + lim
	return query, append(append(args, cond.Args...), limArgs...)
}

// count returns how many items the export holds: attributes, or events for
// the events scope. Warninglists that drop attributes need each value
// checked, so the rows are then read and counted.
func (q *rowQuery) count(ctx context.Context) (int64, error) {
	if q.none {
		return 0, nil
	}
	var inner string
	var args []any
	switch {
	case q.scope == ScopeEvents:
		inner, args = q.eventIDs()
	case q.p.EnforceWarninglist && q.p.Warnings != nil:
		var n int64
		err := q.each(ctx, rowNeeds{}, func(*exportRow) error { n++; return nil })
		return n, err
	default:
		cond := q.rowCond()
		inner, args = `SELECT a.id`+attributeFrom+` WHERE `+cond.SQL, cond.Args
		if q.paged {
			lim, limArgs := limitClause(q.p)
			inner += ` ORDER BY ` + q.order + lim
			args = append(append([]any{}, args...), limArgs...)
		}
	}
	var n int64
	err := q.st.DB().QueryRowContext(ctx, q.st.Rebind(`SELECT COUNT(*) FROM (`+inner+`) c`), args...).Scan(&n)
	return n, err
}

func (q *rowQuery) rowOrder(needs rowNeeds) string {
	switch {
	case needs.byValue:
		// Bytes with ASCII letters lowered: the same order on both
		// databases, equal values next to each other.
		return q.st.FoldedValue("a.value1") + ", " + q.st.FoldedValue("a.value2") + ", a.id"
	case q.scope == ScopeEvents:
		return q.order + ", a.id"
	}
	return q.order
}

func (q *rowQuery) columns(needs rowNeeds) string {
	cols := narrowColumns
	if needs.full {
		cols = store.AttributeColumns + ", " + eventSummaryColumns
	}
	if needs.object {
		cols += `, COALESCE(ob.uuid, ''), COALESCE(ob.name, ''), COALESCE(ob.meta_category, '')`
	}
	if needs.context {
		cols += `, e.date, e.threat_level_id, e.analysis, e.timestamp, eo.name, ec.name`
	}
	if needs.attrTags {
		cols += ", " + q.tagNames("attribute_tags", "attribute_id", "a.id")
	}
	if needs.eventTags {
		cols += ", " + q.tagNames("event_tags", "event_id", "e.id")
	}
	return cols
}

func (q *rowQuery) from(needs rowNeeds) string {
	from := attributeFrom
	if needs.object {
		from += ` LEFT JOIN objects ob ON ob.id = a.object_id`
	}
	if needs.context {
		from += ` JOIN organisations eo ON eo.id = e.org_id JOIN organisations ec ON ec.id = e.orgc_id`
	}
	return from
}

// tagNames is a subquery joining the names of the tags of one row, in the
// order they were attached, with the tag filters of the JSON answers:
// exportable tags only unless includeAllTags, no local tags with
// excludeLocalTags. string_agg with ORDER BY is valid on SQLite 3.44 and
// later and on PostgreSQL alike.
func (q *rowQuery) tagNames(table, column, key string) string {
	filter := ""
	if !q.p.IncludeAllTags {
		filter += " AND t.exportable = 1"
	}
	if q.p.ExcludeLocalTags {
		filter += " AND xt.local = 0"
	}
	return `COALESCE((SELECT string_agg(t.name, ',' ORDER BY xt.id) FROM ` + table + ` xt
		JOIN tags t ON t.id = xt.tag_id WHERE xt.` + column + ` = ` + key + filter + `), '')`
}

type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

func scanExportRow(rows *sql.Rows, r *exportRow, needs rowNeeds) error {
	if !needs.full {
		r.Event = &store.AttributeEvent{}
		err := rows.Scan(&r.ID, &r.EventID, &r.Type, &r.Value1, &r.Value2, &r.Timestamp, &r.Event.UUID,
			&r.Event.Info)
		r.Event.ID = r.EventID
		return err
	}
	ev := &store.AttributeEvent{}
	at, err := store.ScanAttribute(scanFunc(func(dest ...any) error {
		dest = append(dest, &ev.Info, &ev.OrgID, &ev.OrgcID, &ev.UUID, &ev.Distribution, &ev.PublishTimestamp,
			&ev.Published)
		if needs.object {
			dest = append(dest, &r.objectUUID, &r.objectName, &r.objectMeta)
		}
		if needs.context {
			dest = append(dest, &r.eventDate, &r.eventThreat, &r.eventAnalysis, &r.eventTimestamp, &r.eventOrg,
				&r.eventOrgc)
		}
		if needs.attrTags {
			dest = append(dest, &r.attrTags)
		}
		if needs.eventTags {
			dest = append(dest, &r.eventTags)
		}
		return rows.Scan(dest...)
	}))
	ev.ID = at.EventID
	at.Event = ev
	r.Attribute = at
	return err
}

// AttributesEach runs an attributes/restSearch for the actor, through the
// same access filter and filters as Attributes, and calls fn with each
// matching attribute as its row is read, in the search's order, without
// holding the result: memory stays flat however many rows match. The
// attributes carry their event summary but no tags or sightings. Page and
// limit apply; enforceWarninglist drops attributes as they are read. An
// error from fn stops the search and is returned.
func AttributesEach(
	ctx context.Context, st *store.Store, a *store.Actor, p Params, fn func(store.Attribute) error,
) error {
	q, err := newRowQuery(ctx, st, a, p, ScopeAttributes)
	if err != nil {
		return err
	}
	return q.each(ctx, rowNeeds{full: true}, func(r *exportRow) error { return fn(r.Attribute) })
}
