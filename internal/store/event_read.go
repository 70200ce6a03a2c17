package store

import (
	"context"
	"database/sql"
	"strings"
)

// Deleted selects soft-deleted items.
type Deleted int

// The Deleted choices.
const (
	DeletedExclude Deleted = iota
	DeletedOnly
	DeletedBoth
)

// LoadOptions say which parts of events to load.
type LoadOptions struct {
	Deleted          Deleted
	ToIDS            *bool // only attributes with this to_ids
	Metadata         bool  // no attributes, objects or reports
	WithAttachments  bool
	ExcludeLocalTags bool
	ExportableOnly   bool // hide non-exportable tags
	NoSightings      bool
	// AttrCond further restricts the attributes shown (alias a; events e),
	// for searches that strip attributes from the events they return.
	AttrCond Cond
}

// Cond is a piece of SQL with its arguments.
type Cond struct {
	SQL  string
	Args []any
}

// And joins non-empty conditions with AND.
func And(conds ...Cond) Cond { return join(" AND ", conds) }

// Or joins conditions with OR, skipping empty ones.
func Or(conds ...Cond) Cond { return join(" OR ", conds) }

// Not holds where c does not: where c is false, and where it is NULL (a
// comparison with a column that holds no value, such as the address of an
// attribute that is not one), which SQL's NOT would drop as well.
func Not(c Cond) Cond { return Cond{SQL: "(" + c.SQL + ") IS NOT TRUE", Args: c.Args} }

// flatJoin is the most conditions join writes as one flat list. A longer
// list is nested as a balanced tree, so that a filter of thousands of terms
// stays within SQLite's limit on expression depth (1,000): a flat list of n
// terms is n deep, a tree 2·log2(n).
const flatJoin = 64

func join(op string, conds []Cond) Cond {
	parts := make([]Cond, 0, len(conds))
	for _, c := range conds {
		if c.SQL != "" {
			parts = append(parts, c)
		}
	}
	return joinParts(op, parts)
}

func joinParts(op string, parts []Cond) Cond {
	if len(parts) > flatJoin {
		l, r := joinParts(op, parts[:len(parts)/2]), joinParts(op, parts[len(parts)/2:])
		args := make([]any, 0, len(l.Args)+len(r.Args))
		return Cond{SQL: "(" + l.SQL + ")" + op + "(" + r.SQL + ")", Args: append(append(args, l.Args...), r.Args...)}
	}
	sqls := make([]string, len(parts))
	var args []any
	for i, c := range parts {
		sqls[i] = "(" + c.SQL + ")"
		args = append(args, c.Args...)
	}
	return Cond{SQL: strings.Join(sqls, op), Args: args}
}

const eventColumns = `e.id, e.uuid, e.org_id, e.orgc_id, e.user_id, e.info, e.date, e.threat_level_id,
	e.analysis, e.distribution, e.sharing_group_id, e.published, e.timestamp, e.publish_timestamp,
	e.sighting_timestamp, e.attribute_count, e.locked, e.disable_correlation, e.extends_uuid,
	o.name, o.uuid, o.local, c.name, c.uuid, c.local`

const eventFrom = ` FROM events e JOIN organisations o ON o.id = e.org_id JOIN organisations c ON c.id = e.orgc_id`

func scanEvent(r rowScanner) (Event, error) {
	var e Event
	err := r.Scan(&e.ID, &e.UUID, &e.OrgID, &e.OrgcID, &e.UserID, &e.Info, &e.Date, &e.ThreatLevelID,
		&e.Analysis, &e.Distribution, &e.SharingGroupID, &e.Published, &e.Timestamp, &e.PublishTimestamp,
		&e.SightingTimestamp, &e.AttributeCount, &e.Locked, &e.DisableCorrelation, &e.ExtendsUUID,
		&e.Org.Name, &e.Org.UUID, &e.Org.Local, &e.Orgc.Name, &e.Orgc.UUID, &e.Orgc.Local)
	e.Org.ID, e.Orgc.ID = e.OrgID, e.OrgcID
	return e, err
}

// EventByRef returns one visible event, by id or uuid, fully loaded.
func (s *Store) EventByRef(ctx context.Context, a *Actor, ref string, opts LoadOptions) (Event, error) {
	id, err := s.EventIDByRef(ctx, a, ref)
	if err != nil {
		return Event{}, err
	}
	events, err := s.LoadEvents(ctx, a, []int64{id}, opts)
	if err != nil {
		return Event{}, err
	}
	if len(events) == 0 {
		return Event{}, notFoundf("event %q", ref)
	}
	return events[0], nil
}

// EventIDByRef resolves an event id or uuid to the id of an event the actor
// may see; an invisible event is not found.
func (s *Store) EventIDByRef(ctx context.Context, a *Actor, ref string) (int64, error) {
	acc, args := a.EventAccess("e")
	var id int64
	byRef := RefCond("e", ref)
	err := s.db.QueryRowContext(ctx, s.Rebind(`SELECT e.id FROM events e WHERE `+byRef.SQL+` AND `+acc),
		append(byRef.Args, args...)...).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, notFoundf("event %q", ref)
	}
	return id, err
}

// LoadEvents loads the visible events among ids, in the order given.
func (s *Store) LoadEvents(ctx context.Context, a *Actor, ids []int64, opts LoadOptions) ([]Event, error) {
	var out []Event
	for start := 0; start < len(ids); start += 500 {
		chunk, err := s.loadEventChunk(ctx, a, ids[start:min(start+500, len(ids))], opts)
		if err != nil {
			return nil, err
		}
		out = append(out, chunk...)
	}
	return out, nil
}

func (s *Store) loadEventChunk(ctx context.Context, a *Actor, ids []int64, opts LoadOptions) ([]Event, error) {
	acc, accArgs := a.EventAccess("e")
	rows, err := s.db.QueryContext(ctx, s.Rebind(`SELECT `+eventColumns+eventFrom+` WHERE e.id IN (`+
		placeholders(len(ids))+`) AND `+acc), append(int64Args(ids), accArgs...)...)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*Event{}
	var loaded []*Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		initEventSlices(&e)
		loaded = append(loaded, &e)
		byID[e.ID] = &e
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	visible := make([]int64, 0, len(loaded))
	for _, e := range loaded {
		visible = append(visible, e.ID)
	}
	if len(visible) > 0 {
		if err := s.loadEventParts(ctx, a, visible, byID, opts); err != nil {
			return nil, err
		}
	}
	out := make([]Event, 0, len(loaded))
	for _, id := range ids {
		if e, ok := byID[id]; ok {
			out = append(out, *e)
		}
	}
	return out, nil
}

func initEventSlices(e *Event) {
	e.Attribute, e.Object, e.Tag = []Attribute{}, []Object{}, []Tag{}
	e.ShadowAttribute, e.RelatedEvent, e.Galaxy = []struct{}{}, []RelatedEvent{}, []any{}
	e.EventReport = []EventReport{}
}

func (s *Store) loadEventParts(ctx context.Context, a *Actor, ids []int64, byID map[int64]*Event, opts LoadOptions) error {
	tags, err := s.eventTags(ctx, ids, opts)
	if err != nil {
		return err
	}
	for id, t := range tags {
		byID[id].Tag = t
	}
	if err := s.attachSharingGroups(ctx, byID); err != nil {
		return err
	}
	if opts.Metadata {
		return nil
	}
	attrs, err := s.eventAttributes(ctx, a, ids, opts)
	if err != nil {
		return err
	}
	objects, err := s.eventObjects(ctx, a, ids, opts)
	if err != nil {
		return err
	}
	objByID := map[int64]*Object{}
	for i := range objects {
		objByID[objects[i].ID] = &objects[i]
	}
	for _, at := range attrs {
		if at.ObjectID == 0 {
			byID[at.EventID].Attribute = append(byID[at.EventID].Attribute, at)
		} else if o, ok := objByID[at.ObjectID]; ok {
			o.Attribute = append(o.Attribute, at)
		}
	}
	for _, o := range objects {
		byID[o.EventID].Object = append(byID[o.EventID].Object, o)
	}
	reports, err := s.eventReports(ctx, a, ids, opts)
	if err != nil {
		return err
	}
	for _, r := range reports {
		byID[r.EventID].EventReport = append(byID[r.EventID].EventReport, r)
	}
	return nil
}

func deletedCond(a *Actor, item string, d Deleted) Cond { return deletedCondIn(a, item, "e", d) }

func deletedCondIn(a *Actor, item, event string, d Deleted) Cond {
	switch d {
	case DeletedOnly:
		c, args := a.DeletedAccess(item, event)
		return Cond{SQL: item + ".deleted = 1 AND " + c, Args: args}
	case DeletedBoth:
		c, args := a.DeletedAccess(item, event)
		return Cond{SQL: c, Args: args}
	}
	return Cond{SQL: item + ".deleted = 0"}
}

// AttributeColumns lists the attribute columns ScanAttribute reads (alias a).
const AttributeColumns = `a.id, a.event_id, a.object_id, a.object_relation, a.uuid, a.type, a.category,
	a.value1, a.value2, a.to_ids, a.distribution, a.sharing_group_id, a.comment, a.timestamp, a.deleted,
	a.disable_correlation, a.first_seen, a.last_seen`

// ScanAttribute reads a row selected with AttributeColumns.
func ScanAttribute(r rowScanner) (Attribute, error) {
	return NewAttributeScanner().Scan(r)
}

// AttributeScanner reads rows selected with AttributeColumns, and the
// columns after them into the destinations given, through one set of
// destinations kept from row to row: a scan allocates the row's text and
// nothing else (what thousands of rows otherwise spend most of their time
// on).
type AttributeScanner struct {
	at          Attribute
	rel         sql.NullString
	first, last sql.NullInt64
	dest        []any
}

// NewAttributeScanner returns a scanner whose rows hold AttributeColumns
// and then one column for each of extra.
func NewAttributeScanner(extra ...any) *AttributeScanner {
	s := &AttributeScanner{}
	at := &s.at
	s.dest = append([]any{&at.ID, &at.EventID, &at.ObjectID, &s.rel, &at.UUID, &at.Type, &at.Category, &at.Value1,
		&at.Value2, &at.ToIDS, &at.Distribution, &at.SharingGroupID, &at.Comment, &at.Timestamp, &at.Deleted,
		&at.DisableCorrelation, &s.first, &s.last}, extra...)
	return s
}

// Scan reads the current row.
func (s *AttributeScanner) Scan(r rowScanner) (Attribute, error) {
	if err := r.Scan(s.dest...); err != nil {
		return Attribute{}, err
	}
	at := s.at
	if s.rel.Valid {
		rel := s.rel.String
		at.ObjectRelation = &rel
	}
	if s.first.Valid {
		first := s.first.Int64
		at.FirstSeen = &first
	}
	if s.last.Valid {
		last := s.last.Int64
		at.LastSeen = &last
	}
	return at, nil
}

func (s *Store) eventAttributes(ctx context.Context, a *Actor, ids []int64, opts LoadOptions) ([]Attribute, error) {
	acc, accArgs := a.AttributeAccess("a", "e")
	cond := And(Cond{SQL: "a.event_id IN (" + placeholders(len(ids)) + ")", Args: int64Args(ids)},
		Cond{SQL: acc, Args: accArgs}, deletedCond(a, "a", opts.Deleted), opts.AttrCond)
	if opts.ToIDS != nil {
		cond = And(cond, Cond{SQL: "a.to_ids = ?", Args: []any{*opts.ToIDS}})
	}
	cols := AttributeColumns
	if opts.WithAttachments {
		cols += ", a.data"
	}
	rows, err := s.db.QueryContext(ctx, s.Rebind(`SELECT `+cols+` FROM attributes a JOIN events e ON e.id = a.event_id
		WHERE `+cond.SQL+` ORDER BY a.event_id, a.id`), cond.Args...)
	if err != nil {
		return nil, err
	}
	var attrs []Attribute
	for rows.Next() {
		var at Attribute
		var err error
		if opts.WithAttachments {
			var data sql.NullString
			at, err = scanAttributeWithData(rows, &data)
			at.Data = data.String
		} else {
			at, err = ScanAttribute(rows)
		}
		if err != nil {
			rows.Close()
			return nil, err
		}
		attrs = append(attrs, at)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return attrs, s.AttachAttributeDetails(ctx, a, attrs, opts)
}

type dataScanner struct {
	r    rowScanner
	data *sql.NullString
}

func (d dataScanner) Scan(dest ...any) error { return d.r.Scan(append(dest, d.data)...) }

func scanAttributeWithData(r rowScanner, data *sql.NullString) (Attribute, error) {
	return ScanAttribute(dataScanner{r: r, data: data})
}

// AttachAttributeDetails loads the tags and sightings of attributes.
func (s *Store) AttachAttributeDetails(ctx context.Context, a *Actor, attrs []Attribute, opts LoadOptions) error {
	if len(attrs) == 0 {
		return nil
	}
	idx := make(map[int64]int, len(attrs))
	ids := make([]int64, 0, len(attrs))
	for i, at := range attrs {
		idx[at.ID] = i
		ids = append(ids, at.ID)
	}
	details := func(chunk []int64) error {
		if err := s.attributeTags(ctx, chunk, opts, func(id int64, t Tag) {
			attrs[idx[id]].Tag = append(attrs[idx[id]].Tag, t)
		}); err != nil {
			return err
		}
		if opts.NoSightings {
			return nil
		}
		return s.sightingsOf(ctx, a, chunk, func(sg Sighting) {
			attrs[idx[sg.AttributeID]].Sighting = append(attrs[idx[sg.AttributeID]].Sighting, sg)
		})
	}
	size := detailChunk
	if len(ids) >= 2*detailParallelMin {
		size = min(size, (len(ids)+1)/2)
	}
	var chunks [][]int64
	for start := 0; start < len(ids); start += size {
		chunks = append(chunks, ids[start:min(start+size, len(ids))])
	}
	if len(chunks) == 1 {
		return details(chunks[0])
	}
	// Two chunks at a time, on connections of their own: each chunk's
	// attributes are its own, so their details are filled without a lock.
	for i := 0; i < len(chunks); i += 2 {
		pair := chunks[i:min(i+2, len(chunks))]
		errs := make(chan error, len(pair))
		for _, chunk := range pair {
			go func() { errs <- details(chunk) }()
		}
		var first error
		for range pair { // both finish before the attributes go back to the caller
			if err := <-errs; err != nil && first == nil {
				first = err
			}
		}
		if first != nil {
			return first
		}
	}
	return nil
}

// detailParallelMin is the fewest attributes whose tags and sightings are
// read in two halves at once.
const detailParallelMin = 1_000

const tagColumns = `t.id, t.name, t.colour, t.exportable, t.org_id, t.user_id, t.hide_tag, t.numerical_value,
	t.is_galaxy, t.is_custom_galaxy, t.local_only`

func scanTag(r rowScanner, extra ...any) (Tag, error) {
	var t Tag
	var num sql.NullInt64
	err := r.Scan(append([]any{&t.ID, &t.Name, &t.Colour, &t.Exportable, &t.OrgID, &t.UserID, &t.HideTag, &num,
		&t.IsGalaxy, &t.IsCustomGalaxy, &t.LocalOnly}, extra...)...)
	if num.Valid {
		t.NumericalValue = &num.Int64
	}
	return t, err
}

func tagFilter(alias string, opts LoadOptions) string {
	f := ""
	if opts.ExportableOnly {
		f += " AND t.exportable = 1"
	}
	if opts.ExcludeLocalTags {
		f += " AND " + alias + ".local = 0"
	}
	return f
}

func (s *Store) eventTags(ctx context.Context, ids []int64, opts LoadOptions) (map[int64][]Tag, error) {
	rows, err := s.db.QueryContext(ctx, s.Rebind(`SELECT `+tagColumns+`, et.event_id, et.local, et.relationship_type
		FROM event_tags et JOIN tags t ON t.id = et.tag_id WHERE et.event_id IN (`+placeholders(len(ids))+`)`+
		tagFilter("et", opts)+` ORDER BY et.id`), int64Args(ids)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][]Tag{}
	for rows.Next() {
		var eventID int64
		var local bool
		var rel string
		t, err := scanTag(rows, &eventID, &local, &rel)
		if err != nil {
			return nil, err
		}
		t.Local, t.RelationshipType = local, rel
		out[eventID] = append(out[eventID], t)
	}
	return out, rows.Err()
}

// detailChunk is how many attributes have their tags and sightings read
// in one query: the ids go as one set parameter, probed one by one.
const detailChunk = 10_000

func (s *Store) attributeTags(ctx context.Context, attrIDs []int64, opts LoadOptions, add func(int64, Tag)) error {
	in := s.InInts("at.attribute_id", attrIDs)
	rows, err := s.db.QueryContext(ctx, s.Rebind(`SELECT `+tagColumns+`, at.attribute_id, at.local, at.relationship_type
		FROM attribute_tags at JOIN tags t ON t.id = at.tag_id WHERE `+in.SQL+tagFilter("at", opts)+` ORDER BY at.id`),
		in.Args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var attrID int64
		var local bool
		var rel string
		t, err := scanTag(rows, &attrID, &local, &rel)
		if err != nil {
			return err
		}
		t.Local, t.RelationshipType = local, rel
		add(attrID, t)
	}
	return rows.Err()
}

// sightingsOf loads the sightings of attributes that the actor may see:
// the event's owner organisation and site admins see all of them, others
// their own organisation's (MISP's default sighting policy).
func (s *Store) sightingsOf(ctx context.Context, a *Actor, attrIDs []int64, add func(Sighting)) error {
	q := `SELECT sg.id, sg.uuid, sg.attribute_id, sg.event_id, sg.org_id, sg.date_sighting, sg.source, sg.type,
		a.uuid, COALESCE(o.name, ''), COALESCE(o.uuid, '')
		FROM sightings sg JOIN attributes a ON a.id = sg.attribute_id JOIN events e ON e.id = sg.event_id
		LEFT JOIN organisations o ON o.id = sg.org_id
		WHERE `
	in := s.InInts("sg.attribute_id", attrIDs)
	q += in.SQL
	args := in.Args
	if !a.SiteAdmin() {
		q += ` AND (sg.org_id = ? OR e.org_id = ?)`
		args = append(args, a.Org.ID, a.Org.ID)
	}
	rows, err := s.db.QueryContext(ctx, s.Rebind(q+` ORDER BY sg.id`), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var sg Sighting
		var org OrgBrief
		if err := rows.Scan(&sg.ID, &sg.UUID, &sg.AttributeID, &sg.EventID, &sg.OrgID, &sg.DateSighting,
			&sg.Source, &sg.Type, &sg.AttributeUUID, &org.Name, &org.UUID); err != nil {
			return err
		}
		org.ID = sg.OrgID
		sg.Organisation = &org
		add(sg)
	}
	return rows.Err()
}

func (s *Store) eventObjects(ctx context.Context, a *Actor, ids []int64, opts LoadOptions) ([]Object, error) {
	acc, accArgs := a.ItemAccess("ob", "e")
	del := deletedCond(a, "ob", opts.Deleted)
	cond := And(Cond{SQL: "ob.event_id IN (" + placeholders(len(ids)) + ")", Args: int64Args(ids)},
		Cond{SQL: acc, Args: accArgs}, del)
	rows, err := s.db.QueryContext(ctx, s.Rebind(`SELECT ob.id, ob.uuid, ob.event_id, ob.name, ob.meta_category,
		ob.description, ob.template_uuid, ob.template_version, ob.timestamp, ob.distribution, ob.sharing_group_id,
		ob.comment, ob.deleted, ob.first_seen, ob.last_seen
		FROM objects ob JOIN events e ON e.id = ob.event_id WHERE `+cond.SQL+` ORDER BY ob.event_id, ob.id`), cond.Args...)
	if err != nil {
		return nil, err
	}
	var objects []Object
	idx := map[int64]int{}
	for rows.Next() {
		var o Object
		var first, last sql.NullInt64
		if err := rows.Scan(&o.ID, &o.UUID, &o.EventID, &o.Name, &o.MetaCategory, &o.Description, &o.TemplateUUID,
			&o.TemplateVersion, &o.Timestamp, &o.Distribution, &o.SharingGroupID, &o.Comment, &o.Deleted,
			&first, &last); err != nil {
			rows.Close()
			return nil, err
		}
		if first.Valid {
			o.FirstSeen = seenText(&first.Int64)
		}
		if last.Valid {
			o.LastSeen = seenText(&last.Int64)
		}
		o.Attribute, o.ObjectReference = []Attribute{}, []ObjectReference{}
		idx[o.ID] = len(objects)
		objects = append(objects, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(objects) == 0 {
		return objects, err
	}
	refCond := And(Cond{SQL: "r.event_id IN (" + placeholders(len(ids)) + ")", Args: int64Args(ids)},
		deletedCond(a, "r", opts.Deleted))
	rrows, err := s.db.QueryContext(ctx, s.Rebind(`SELECT r.id, r.uuid, r.timestamp, r.object_id, r.event_id,
		r.source_uuid, r.referenced_uuid, r.referenced_id, r.referenced_type, r.relationship_type, r.comment, r.deleted
		FROM object_references r JOIN events e ON e.id = r.event_id WHERE `+refCond.SQL+` ORDER BY r.id`), refCond.Args...)
	if err != nil {
		return nil, err
	}
	defer rrows.Close()
	for rrows.Next() {
		var r ObjectReference
		if err := rrows.Scan(&r.ID, &r.UUID, &r.Timestamp, &r.ObjectID, &r.EventID, &r.SourceUUID, &r.ReferencedUUID,
			&r.ReferencedID, &r.ReferencedType, &r.RelationshipType, &r.Comment, &r.Deleted); err != nil {
			return nil, err
		}
		if i, ok := idx[r.ObjectID]; ok {
			objects[i].ObjectReference = append(objects[i].ObjectReference, r)
		}
	}
	return objects, rrows.Err()
}

func (s *Store) eventReports(ctx context.Context, a *Actor, ids []int64, opts LoadOptions) ([]EventReport, error) {
	acc, accArgs := a.ItemAccess("r", "e")
	cond := And(Cond{SQL: "r.event_id IN (" + placeholders(len(ids)) + ")", Args: int64Args(ids)},
		Cond{SQL: acc, Args: accArgs}, deletedCond(a, "r", opts.Deleted))
	rows, err := s.db.QueryContext(ctx, s.Rebind(`SELECT r.id, r.uuid, r.event_id, r.name, r.content,
		r.distribution, r.sharing_group_id, r.timestamp, r.deleted
		FROM event_reports r JOIN events e ON e.id = r.event_id WHERE `+cond.SQL+` ORDER BY r.id`), cond.Args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []EventReport
	for rows.Next() {
		var r EventReport
		if err := rows.Scan(&r.ID, &r.UUID, &r.EventID, &r.Name, &r.Content, &r.Distribution, &r.SharingGroupID,
			&r.Timestamp, &r.Deleted); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *Store) attachSharingGroups(ctx context.Context, byID map[int64]*Event) error {
	for _, e := range byID {
		if e.Distribution != 4 || e.SharingGroupID == 0 {
			continue
		}
		var sg SharingGroupBrief
		err := s.db.QueryRowContext(ctx, s.Rebind(`SELECT id, uuid, name, releasability, description
			FROM sharing_groups WHERE id = ?`), e.SharingGroupID).Scan(&sg.ID, &sg.UUID, &sg.Name,
			&sg.Releasability, &sg.Description)
		if err == nil {
			e.SharingGroup = &sg
		} else if err != sql.ErrNoRows {
			return err
		}
	}
	return nil
}

// DeletedFilter returns the condition selecting soft-deleted rows of the
// item aliased item (in the event aliased e) that the actor may see.
func DeletedFilter(a *Actor, item string, d Deleted) Cond { return deletedCond(a, item, d) }

// DeletedFilterIn is DeletedFilter for an item whose event is aliased event.
func DeletedFilterIn(a *Actor, item, event string, d Deleted) Cond {
	return deletedCondIn(a, item, event, d)
}

// IDList returns "?,?,?" and the arguments for ids.
func IDList(ids []int64) (string, []any) { return placeholders(len(ids)), int64Args(ids) }
