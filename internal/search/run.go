package search

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/cairn-intel/cairn/internal/store"
)

// attributeOrders and eventOrders allow-list the sort columns of "order".
var attributeOrders = map[string]string{
	"id": "a.id", "event_id": "a.event_id", "object_id": "a.object_id", "type": "a.type",
	"category": "a.category", "value": "a.value1", "distribution": "a.distribution",
	"timestamp": "a.timestamp", "object_relation": "a.object_relation",
	"event.publish_timestamp": "e.publish_timestamp",
}

var eventOrders = map[string]string{
	"id": "e.id", "info": "e.info", "analysis": "e.analysis", "threat_level_id": "e.threat_level_id",
	"distribution": "e.distribution", "timestamp": "e.timestamp", "publish_timestamp": "e.publish_timestamp",
	"date": "e.date",
}

// textOrders are the text columns of the orders: they sort by their bytes
// with ASCII letters folded, the same on both databases (PostgreSQL's
// collations ignore punctuation, so a page sorted by value held other
// attributes there than on SQLite). A value sorts by both halves.
var textOrders = map[string][]string{
	"a.value1": {"a.value1", "a.value2"}, "a.type": {"a.type"}, "a.category": {"a.category"},
	"a.object_relation": {"a.object_relation"}, "e.info": {"e.info"},
}

// orderBy builds the ORDER BY clause; the default and the tie-breaker is
// (timestamp, uuid), so that paging is stable.
func orderBy(st *store.Store, order string, allowed map[string]string, alias string) (string, error) {
	def := alias + ".timestamp, " + alias + ".uuid"
	order = strings.TrimSpace(strings.ToLower(order))
	if order == "" {
		return def, nil
	}
	fields := strings.Fields(order)
	col, ok := allowed[strings.TrimPrefix(strings.TrimPrefix(fields[0], "attribute."), "event.")]
	if !ok {
		col, ok = allowed[fields[0]]
	}
	if !ok || len(fields) > 2 {
		return "", &ParamError{Param: "order", Reason: fmt.Sprintf("cannot sort by %q", order)}
	}
	dir := "ASC"
	if len(fields) == 2 {
		switch fields[1] {
		case "asc":
		case "desc":
			dir = "DESC"
		default:
			return "", &ParamError{Param: "order", Reason: "direction must be asc or desc"}
		}
	}
	keys := []string{col}
	if cols, ok := textOrders[col]; ok {
		keys = keys[:0]
		for _, c := range cols {
			keys = append(keys, st.OrderText(c))
		}
	}
	return strings.Join(keys, " "+dir+", ") + " " + dir + ", " + alias + ".uuid " + dir, nil
}

func limitClause(p Params) (string, []any) {
	if p.Limit <= 0 {
		return "", nil
	}
	page := max(p.Page, 1)
	return " LIMIT ? OFFSET ?", []any{p.Limit, (page - 1) * p.Limit}
}

// Attributes runs an attributes/restSearch for the actor and returns one
// page of matching attributes and the total before paging.
func Attributes(ctx context.Context, st *store.Store, a *store.Actor, p Params) ([]store.Attribute, int64, error) {
	attrs, total, _, err := AttributesAfter(ctx, st, a, p)
	return attrs, total, err
}

// AttributesAfter is Attributes starting after p.Cursor, if given, that
// also returns the continuation cursor: the position of the page's last
// row in (timestamp, uuid) order, counted before warninglists drop any, so
// that a page dropped whole still moves the poll on. The cursor is "" when
// the search is sorted another way; the total counts the rows after the
// request's cursor.
func AttributesAfter(ctx context.Context, st *store.Store, a *store.Actor, p Params) ([]store.Attribute, int64, string, error) {
	x, err := PrepareAttributes(ctx, st, a, p)
	if err != nil {
		return nil, 0, "", err
	}
	if x.ids == nil {
		return x.attrs, x.Total, x.Cursor, nil // held whole: no copy
	}
	var attrs []store.Attribute
	err = x.Each(ctx, func(chunk []store.Attribute) error {
		attrs = append(attrs, chunk...)
		return nil
	})
	return attrs, x.Total, x.Cursor, err
}

// attributeDetails adds to the attributes of a search their tags and
// sightings, and what the parameters ask for besides.
func attributeDetails(ctx context.Context, st *store.Store, a *store.Actor, attrs []store.Attribute, p Params) error {
	opts := store.LoadOptions{NoSightings: !p.IncludeSightings, ExcludeLocalTags: p.ExcludeLocalTags, ExportableOnly: !p.IncludeAllTags}
	if err := st.AttachAttributeDetails(ctx, a, attrs, opts); err != nil {
		return err
	}
	if p.IncludeCorrelations {
		if err := st.AttachRelatedAttributes(ctx, a, attrs); err != nil {
			return err
		}
	}
	if err := attachObjects(ctx, st, attrs); err != nil {
		return err
	}
	if p.IncludeEventUUID {
		for i := range attrs {
			attrs[i].EventUUID = attrs[i].Event.UUID
		}
	}
	if !p.IncludeEventTags && !p.IncludeContext {
		return nil
	}
	return attachEvents(ctx, st, a, attrs, p, opts)
}

// attachObjects gives each attribute inside an object the summary of its
// object (id, distribution, sharing group), read for all of them in one
// query. The attributes were read through the access filter, which shows
// an object's attribute only when the object is visible too.
func attachObjects(ctx context.Context, st *store.Store, attrs []store.Attribute) error {
	var ids []int64
	for _, at := range attrs {
		if at.ObjectID != 0 {
			ids = append(ids, at.ObjectID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	c := st.InInts("o.id", slices.Compact(ids))
	objects, err := store.QueryAll(ctx, st, `SELECT o.id, o.distribution, o.sharing_group_id FROM objects o WHERE `+c.SQL, c.Args,
		func(r store.RowScanner) (o store.AttributeObject, err error) {
			err = r.Scan(&o.ID, &o.Distribution, &o.SharingGroupID)
			return
		})
	if err != nil {
		return err
	}
	byID := make(map[int64]*store.AttributeObject, len(objects))
	for i := range objects {
		byID[objects[i].ID] = &objects[i]
	}
	for i := range attrs {
		if o, ok := byID[attrs[i].ObjectID]; ok {
			attrs[i].Object = o
		}
	}
	return nil
}

// eventSummaryColumns are the event fields every attribute in a search
// carries, read in the same query as the attribute.
const eventSummaryColumns = `e.info, e.org_id, e.orgc_id, e.uuid, e.distribution, e.publish_timestamp, e.published`

// attributeReader scans the rows of a search (AttributeColumns, then
// eventSummaryColumns) through reused destinations, and hands out event
// summaries from blocks: a row costs its text and little else.
type attributeReader struct {
	sc     *store.AttributeScanner
	ev     store.AttributeEvent
	events []store.AttributeEvent // the block summaries are taken from
}

func newAttributeReader() *attributeReader {
	r := &attributeReader{}
	ev := &r.ev
	r.sc = store.NewAttributeScanner(&ev.Info, &ev.OrgID, &ev.OrgcID, &ev.UUID, &ev.Distribution,
		&ev.PublishTimestamp, &ev.Published)
	return r
}

func (r *attributeReader) scan(rows store.RowScanner) (store.Attribute, error) {
	at, err := r.sc.Scan(rows)
	if err != nil {
		return at, err
	}
	if len(r.events) == cap(r.events) {
		r.events = make([]store.AttributeEvent, 0, 256) // the full block stays with its attributes
	}
	r.ev.ID = at.EventID
	r.events = append(r.events, r.ev)
	at.Event = &r.events[len(r.events)-1]
	return at, nil
}

// attachEvents adds, for includeEventTags and includeContext, the event's
// tags and context to each attribute.
func attachEvents(ctx context.Context, st *store.Store, a *store.Actor, attrs []store.Attribute, p Params, opts store.LoadOptions) error {
	var ids []int64
	seen := map[int64]bool{}
	for _, at := range attrs {
		if !seen[at.EventID] {
			seen[at.EventID] = true
			ids = append(ids, at.EventID)
		}
	}
	opts.Metadata = true
	events, err := st.LoadEvents(ctx, a, ids, opts)
	if err != nil {
		return err
	}
	byID := map[int64]*store.Event{}
	for i := range events {
		byID[events[i].ID] = &events[i]
	}
	for i := range attrs {
		e, ok := byID[attrs[i].EventID]
		if !ok {
			continue
		}
		if p.IncludeContext {
			ev := attrs[i].Event
			ev.Date, ev.ThreatLevelID, ev.Analysis, ev.Tag = e.Date, e.ThreatLevelID, e.Analysis, e.Tag
			orgc := e.Orgc
			ev.Orgc = &orgc
		}
		if p.IncludeEventTags {
			for _, t := range e.Tag {
				t.Inherited = 1
				attrs[i].Tag = append(attrs[i].Tag, t)
			}
		}
	}
	return nil
}

// Events runs an events/restSearch for the actor and returns one page of
// matching events, fully loaded, and the total before paging.
func Events(ctx context.Context, st *store.Store, a *store.Actor, p Params) ([]store.Event, int64, error) {
	events, total, _, err := EventsAfter(ctx, st, a, p)
	return events, total, err
}

// EventsAfter is Events starting after p.Cursor, if given, that also
// returns the continuation cursor: the position of the page's last event
// in (timestamp, uuid) order, or "" when the search is sorted another way.
// An event's timestamp moves with every edit of it or its children, so an
// edited event comes back in a later poll.
func EventsAfter(ctx context.Context, st *store.Store, a *store.Actor, p Params) ([]store.Event, int64, string, error) {
	x, err := PrepareEvents(ctx, st, a, p)
	if err != nil {
		return nil, 0, "", err
	}
	var events []store.Event
	err = x.Each(ctx, func(chunk []store.Event) error {
		events = append(events, chunk...)
		return nil
	})
	return events, x.Total, x.Cursor, err
}

// warningOptions turns enforceWarninglist and includeWarninglistHits into
// what the store applies.
func (p Params) warningOptions() store.WarningOptions {
	return store.WarningOptions{Check: p.Warnings, Annotate: p.IncludeWarninglistHits, Drop: p.EnforceWarninglist}
}

func (b *builder) loadOptions() store.LoadOptions {
	opts := store.LoadOptions{
		Deleted: store.Deleted(b.p.Deleted), Metadata: b.p.Metadata, WithAttachments: b.p.WithAttachments,
		ExcludeLocalTags: b.p.ExcludeLocalTags, ExportableOnly: !b.p.IncludeAllTags, AttrCond: b.stripTagged(),
	}
	switch b.p.ToIDS {
	case TriTrue:
		t := true
		opts.ToIDS = &t
	case TriFalse:
		f := false
		opts.ToIDS = &f
	}
	return opts
}

// eventSelectCond chooses events: event filters, tags, and attribute filters
// as existence tests. The OR lists of all attribute filters must hold on one
// attribute together; each AND term and each NOT list is tested on its own.
func (b *builder) eventSelectCond() store.Cond {
	parts := b.eventCond()
	// A NOT tag removes events tagged with it, and only strips the tagged
	// attributes from the others (loadOptions), as MISP does.
	tags := b.p.Tags
	notTags := Terms{NOT: tags.NOT}
	tags.NOT = nil
	parts = append(parts, b.distributionCond("e"), b.tagCond(tags, false, true), b.tagCond(notTags, false, false),
		b.tagCond(b.p.EventTags, false, false))
	exists := func(c store.Cond) store.Cond {
		acc, accArgs := b.a.AttributeAccess("a", "e")
		del := store.DeletedFilter(b.a, "a", store.Deleted(b.p.Deleted))
		inner := store.And(store.Cond{SQL: acc, Args: accArgs}, del, c)
		return store.Cond{SQL: "EXISTS (SELECT 1 FROM attributes a WHERE a.event_id = e.id AND " + inner.SQL + ")",
			Args: inner.Args}
	}
	var together []store.Cond
	for _, f := range b.attributeFilters() {
		name := f.name
		if len(f.terms.OR) > 0 {
			together = append(together, b.attrPredMany(name, f.terms.OR))
		}
		for _, v := range f.terms.AND {
			parts = append(parts, exists(b.attrPred(name, v)))
		}
		if len(f.terms.NOT) > 0 {
			c := b.attrPredMany(name, f.terms.NOT)
			together = append(together, store.Not(c))
		}
	}
	together = append(together, b.attributeOnlyCondForEvents()...)
	if b.p.Deleted == DeletedOnly && store.And(together...).SQL == "" {
		together = append(together, store.Cond{SQL: "1=1"}) // only events that have a deleted attribute
	}
	if q := b.p.SearchAll; q != "" {
		like := "%" + strings.Trim(q, "%") + "%"
		l := b.st.Like
		e := exists(store.Cond{SQL: "(" + l("a.value1") + " OR " + l("a.value2") + " OR " + l("a.comment") + ")", Args: []any{like, like, like}})
		parts = append(parts, store.Cond{SQL: "(" + l("e.info") + " OR " + e.SQL +
			" OR EXISTS (SELECT 1 FROM event_tags qet JOIN tags qt ON qt.id = qet.tag_id WHERE qet.event_id = e.id AND " + l("qt.name") + "))",
			Args: append(append([]any{like}, e.Args...), like)})
	}
	if c := store.And(together...); c.SQL != "" {
		if b.probesValues() {
			parts = append(parts, b.eventsHaving(c))
		} else {
			parts = append(parts, exists(c))
		}
	}
	parts = append(parts, termsCondMany(b.p.UUID, b.eventUUIDPred))
	return store.And(parts...)
}

// probesValues reports whether the attribute terms that must hold together
// include an OR list of values: such a list finds its attributes through
// the value indexes, far fewer than the events to test.
func (b *builder) probesValues() bool {
	return len(b.p.Value.OR) > 0 || len(b.p.Value1.OR) > 0 || len(b.p.Value2.OR) > 0
}

// eventsHaving selects the events with an attribute the actor may see that
// meets c, starting from the attributes: the values are probed once through
// their indexes and the events collected, where an existence test per event
// would read the value set again for every event in the database.
func (b *builder) eventsHaving(c store.Cond) store.Cond {
	acc, accArgs := b.a.AttributeAccess("a", "ae")
	del := store.DeletedFilterIn(b.a, "a", "ae", store.Deleted(b.p.Deleted))
	inner := store.And(store.Cond{SQL: acc, Args: accArgs}, del, c)
	return store.Cond{SQL: "e.id IN (SELECT a.event_id FROM attributes a JOIN events ae ON ae.id = a.event_id WHERE " +
		inner.SQL + ")", Args: inner.Args}
}

// eventUUIDPred matches events by their uuid or by the uuid of one of
// their attributes that the actor may see. Both sides are sets probed
// through their uuid index.
func (b *builder) eventUUIDPred(vals []string) store.Cond {
	uuids := lowered(vals)
	byEvent, byAttr := b.st.InStrings("e.uuid", uuids), b.st.InStrings("ua.uuid", uuids)
	acc, accArgs := b.a.AttributeAccess("ua", "ue")
	inner := store.And(store.Cond{SQL: acc, Args: accArgs}, store.DeletedFilterIn(b.a, "ua", "ue", store.Deleted(b.p.Deleted)), byAttr)
	return store.Cond{
		SQL: "(" + byEvent.SQL + " OR e.id IN (SELECT ua.event_id FROM attributes ua JOIN events ue ON ue.id = ua.event_id WHERE " +
			inner.SQL + "))",
		Args: append(byEvent.Args, inner.Args...),
	}
}

// attributeOnlyCondForEvents is attributeOnlyCond without searchall, which
// for events also matches the event's info and tags.
func (b *builder) attributeOnlyCondForEvents() []store.Cond {
	q := b.p.SearchAll
	b.p.SearchAll = ""
	parts := b.attributeOnlyCond()
	b.p.SearchAll = q
	return parts
}
