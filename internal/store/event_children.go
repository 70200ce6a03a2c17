package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// existingItem is a stored attribute or object found by uuid.
type existingItem struct {
	id, eventID, objectID, timestamp int64
}

// lookupUUIDs finds which of uuids are stored in table.
func (w *eventWriter) lookupUUIDs(ctx context.Context, table string, uuids []string) (map[string]existingItem, error) {
	out := map[string]existingItem{}
	objCol := "0"
	if table == "attributes" {
		objCol = "object_id"
	}
	err := eachUUIDChunk(w.s, uuids, func(cond string, args []any) error {
		rows, err := w.tx.QueryContext(ctx, w.s.Rebind(`SELECT uuid, id, event_id, `+objCol+`, timestamp FROM `+
			table+` WHERE uuid`+cond), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u string
			var it existingItem
			if err := rows.Scan(&u, &it.id, &it.eventID, &it.objectID, &it.timestamp); err != nil {
				return err
			}
			out[u] = it
		}
		return rows.Err()
	})
	return out, err
}

func stringArgs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// children writes attributes, objects, references, reports and tags.
func (w *eventWriter) children(ctx context.Context, p *eventPlan, e storedEvent, isNew bool) error {
	c, err := w.newChildWriter(ctx, e, isNew)
	if err != nil {
		return err
	}
	defer c.close()
	if err := c.loadExisting(ctx, p, isNew); err != nil {
		return err
	}
	if err := c.reserveIDs(ctx, p); err != nil {
		return err
	}
	for i := range p.objects {
		if err := c.object(ctx, &p.objects[i]); err != nil {
			return err
		}
	}
	for i := range p.attrs {
		if _, err := c.attribute(ctx, &p.attrs[i], 0, fmt.Sprintf("Attribute[%d]", p.attrs[i].pos)); err != nil {
			return err
		}
	}
	if err := c.flush(ctx); err != nil {
		return err
	}
	for i := range p.objects {
		if err := c.references(ctx, &p.objects[i]); err != nil {
			return err
		}
	}
	for _, r := range p.reports {
		if err := c.report(ctx, r); err != nil {
			return err
		}
	}
	return c.eventTags(ctx, p.tags)
}

// childWriter writes the children of one event.
type childWriter struct {
	*eventWriter
	e          storedEvent
	isNew      bool                    // the event is created by this write
	attrs      map[string]existingItem // stored attributes named in the payload
	objects    map[string]existingItem
	valueKeys  map[string]string // type|category|value of live top-level attributes -> uuid
	seen       map[string]bool   // uuids already written by this payload
	refIDs     map[string][2]int64
	insertAttr *sql.Stmt // prepared on first use
	// On PostgreSQL new objects and attributes are batched (rowBatch); nil
	// on SQLite, where a statement costs no round trip.
	newObjects, newAttrs *rowBatch
	// Tag attachments and sightings of attributes wait for flush, which
	// writes them as multi-row INSERTs once their attributes are stored.
	attrTags, sightings []any
}

// The tables the write path fills in bulk.
var (
	objectTable = &rowTable{name: "objects",
		columns: []string{"id", "uuid", "event_id", "name", "meta_category", "description", "template_uuid",
			"template_version", "timestamp", "distribution", "sharing_group_id", "comment", "deleted", "first_seen",
			"last_seen"},
		types: []string{"bigint", "text", "bigint", "text", "text", "text", "text",
			"bigint", "bigint", "bigint", "bigint", "text", "bigint", "bigint",
			"bigint"}}
	attributeTable = &rowTable{name: "attributes",
		columns: []string{"id", "uuid", "event_id", "object_id", "object_relation", "type", "category",
			"value1", "value2", "ip", "to_ids", "distribution", "sharing_group_id", "comment", "timestamp", "deleted",
			"disable_correlation", "first_seen", "last_seen", "data"},
		types: []string{"bigint", "text", "bigint", "bigint", "text", "text", "text",
			"text", "text", "bytea", "bigint", "bigint", "bigint", "text", "bigint", "bigint",
			"bigint", "bigint", "bigint", "text"}}
	attributeTagTable = &rowTable{name: "attribute_tags",
		columns:    []string{"attribute_id", "event_id", "tag_id", "local", "relationship_type"},
		types:      []string{"bigint", "bigint", "bigint", "bigint", "text"},
		onConflict: " ON CONFLICT DO NOTHING"}
	eventTagTable = &rowTable{name: "event_tags",
		columns:    []string{"event_id", "tag_id", "local", "relationship_type"},
		types:      []string{"bigint", "bigint", "bigint", "text"},
		onConflict: " ON CONFLICT DO NOTHING"}
	sightingTable = &rowTable{name: "sightings",
		columns:    []string{"uuid", "attribute_id", "event_id", "org_id", "date_sighting", "source", "type"},
		types:      []string{"text", "bigint", "bigint", "bigint", "bigint", "text", "bigint"},
		onConflict: " ON CONFLICT DO NOTHING"}
)

func (w *eventWriter) newChildWriter(ctx context.Context, e storedEvent, isNew bool) (*childWriter, error) {
	c := &childWriter{eventWriter: w, e: e, isNew: isNew, refIDs: map[string][2]int64{}}
	if w.s.dialect.name() != "postgres" {
		return c, nil
	}
	c.newObjects = &rowBatch{table: objectTable}
	c.newAttrs = &rowBatch{table: attributeTable}
	for _, b := range []*rowBatch{c.newObjects, c.newAttrs} {
		var err error
		if b.seq, err = w.batch.sequence(ctx, w.tx, b.table.name); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// reserveIDs draws the ids of the objects and attributes of the plan not
// stored yet: an upper bound of the ids the write takes, exact unless some
// are refused.
func (c *childWriter) reserveIDs(ctx context.Context, p *eventPlan) error {
	if c.newAttrs == nil {
		return nil
	}
	objects, attrs := 0, 0
	count := func(rows []attrRow) {
		for _, r := range rows {
			if _, ok := c.attrs[r.uuid]; !ok || r.uuid == "" {
				attrs++
			}
		}
	}
	count(p.attrs)
	for _, o := range p.objects {
		if _, ok := c.objects[o.uuid]; !ok {
			objects++
		}
		count(o.attrs)
	}
	return reserveIDs(ctx, c.s, c.tx, []*rowBatch{c.newObjects, c.newAttrs}, []int{objects, attrs})
}

// flush writes the batched objects and attributes, then what refers to
// them.
func (c *childWriter) flush(ctx context.Context) error {
	if err := c.flushRows(ctx); err != nil {
		return err
	}
	if err := c.s.writeRows(ctx, c.tx, attributeTagTable, c.attrTags); err != nil {
		return err
	}
	c.attrTags = c.attrTags[:0]
	if err := c.s.writeRows(ctx, c.tx, sightingTable, c.sightings); err != nil {
		return err
	}
	c.sightings = c.sightings[:0]
	return nil
}

// flushRows writes the batched objects and attributes.
func (c *childWriter) flushRows(ctx context.Context) error {
	if err := c.newObjects.flush(ctx, c.s, c.tx); err != nil {
		return err
	}
	return c.newAttrs.flush(ctx, c.s, c.tx)
}

func (c *childWriter) close() {
	if c.insertAttr != nil {
		c.insertAttr.Close()
	}
}

func (c *childWriter) loadExisting(ctx context.Context, p *eventPlan, isNew bool) error {
	var attrUUIDs, objUUIDs []string
	for _, a := range p.attrs {
		if a.uuid != "" {
			attrUUIDs = append(attrUUIDs, a.uuid)
		}
	}
	for _, o := range p.objects {
		objUUIDs = append(objUUIDs, o.uuid)
		for _, a := range o.attrs {
			if a.uuid != "" {
				attrUUIDs = append(attrUUIDs, a.uuid)
			}
		}
	}
	var err error
	if c.attrs, err = c.lookupUUIDs(ctx, "attributes", attrUUIDs); err != nil {
		return err
	}
	if c.objects, err = c.lookupUUIDs(ctx, "objects", objUUIDs); err != nil {
		return err
	}
	c.valueKeys, c.seen = map[string]string{}, map[string]bool{}
	if isNew {
		return nil
	}
	rows, err := c.tx.QueryContext(ctx, c.s.Rebind(`SELECT uuid, type, category, value1, value2 FROM attributes
		WHERE event_id = ? AND object_id = 0 AND deleted = 0`), c.e.id)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var u, t, cat, v1, v2 string
		if err := rows.Scan(&u, &t, &cat, &v1, &v2); err != nil {
			return err
		}
		c.valueKeys[t+"\x00"+cat+"\x00"+v1+"\x00"+v2] = u
	}
	return rows.Err()
}

// attribute inserts or updates one attribute; it returns its id, or 0 when
// the attribute was refused or skipped.
func (c *childWriter) attribute(ctx context.Context, r *attrRow, objectID int64, item string) (int64, error) {
	if r.uuid != "" && c.seen[r.uuid] {
		c.rejected.add(item, r.uuid, "uuid", "appears twice in this request")
		return 0, nil
	}
	if r.uuid != "" {
		c.seen[r.uuid] = true
	}
	cur, exists := c.attrs[r.uuid]
	if exists && (cur.eventID != c.e.id || cur.objectID != objectID) {
		c.rejected.add(item, r.uuid, "uuid", "an attribute with this uuid exists in another event or object")
		return 0, nil
	}
	if objectID == 0 && !r.deleted {
		key := r.typ + "\x00" + r.category + "\x00" + r.value1 + "\x00" + r.value2
		if other, dup := c.valueKeys[key]; dup && (other != r.uuid || r.uuid == "") {
			c.rejected.add(item, r.uuid, "value", "a similar attribute (same type, category and value) already exists in this event")
			return 0, nil
		}
		c.valueKeys[key] = r.uuid
	}
	if r.timestamp == 0 || (!c.opts.Preserve && r.timestamp > c.now+300) {
		r.timestamp = c.now
	}
	if exists {
		return cur.id, c.updateAttribute(ctx, r, cur, item)
	}
	if r.uuid == "" {
		r.uuid = uuid.NewString()
	}
	id, err := c.insertAttribute(ctx, r, objectID)
	if err != nil {
		return 0, fmt.Errorf("insert attribute %s: %w", r.uuid, err)
	}
	c.res.AttributesCreated++
	c.refIDs[r.uuid] = [2]int64{id, 0}
	return id, c.attributeExtras(ctx, r, id, item, false)
}

// insertAttribute writes a new attribute, or on PostgreSQL queues it with
// a reserved id.
func (c *childWriter) insertAttribute(ctx context.Context, r *attrRow, objectID int64) (int64, error) {
	if c.newAttrs != nil {
		id, ok := c.newAttrs.add(r.uuid, c.e.id, objectID, r.objectRelation, r.typ, r.category, r.value1, r.value2,
			r.ip, boolAsInt(r.toIDS), r.distribution, r.sg, r.comment, r.timestamp, boolAsInt(r.deleted),
			boolAsInt(r.disableCorrelation), r.firstSeen, r.lastSeen, r.data)
		if ok {
			if c.newAttrs.full() {
				return id, c.flushRows(ctx)
			}
			return id, nil
		}
	}
	if c.insertAttr == nil {
		var err error
		c.insertAttr, err = c.tx.PrepareContext(ctx, c.s.Rebind(`INSERT INTO attributes (uuid, event_id, object_id,
			object_relation, type, category, value1, value2, ip, to_ids, distribution, sharing_group_id, comment,
			timestamp, deleted, disable_correlation, first_seen, last_seen, data)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`+c.s.dialect.returning()))
		if err != nil {
			return 0, err
		}
	}
	return c.s.stmtInsertID(ctx, c.insertAttr, r.uuid, c.e.id, objectID, r.objectRelation, r.typ, r.category,
		r.value1, r.value2, r.ip, r.toIDS, r.distribution, r.sg, r.comment, r.timestamp, r.deleted,
		r.disableCorrelation, r.firstSeen, r.lastSeen, r.data)
}

// updateAttribute applies an incoming attribute that is strictly newer.
func (c *childWriter) updateAttribute(ctx context.Context, r *attrRow, cur existingItem, item string) error {
	c.refIDs[r.uuid] = [2]int64{cur.id, 0}
	if r.timestamp <= cur.timestamp {
		return nil // not newer: MISP keeps the stored copy silently
	}
	_, err := c.tx.ExecContext(ctx, c.s.Rebind(`UPDATE attributes SET object_relation = ?, type = ?, category = ?,
		value1 = ?, value2 = ?, ip = ?, to_ids = ?, distribution = ?, sharing_group_id = ?, comment = ?,
		timestamp = ?, deleted = ?, disable_correlation = ?, first_seen = ?, last_seen = ?,
		data = COALESCE(?, data) WHERE id = ?`),
		r.objectRelation, r.typ, r.category, r.value1, r.value2, r.ip, r.toIDS, r.distribution, r.sg,
		r.comment, r.timestamp, r.deleted, r.disableCorrelation, r.firstSeen, r.lastSeen, r.data, cur.id)
	if err != nil {
		return fmt.Errorf("update attribute %s: %w", r.uuid, err)
	}
	c.res.AttributesUpdated++
	return c.attributeExtras(ctx, r, cur.id, item, true)
}

// attributeExtras attaches an attribute's tags and sightings; stored says
// whether the attribute was there before, with tags of its own.
func (c *childWriter) attributeExtras(ctx context.Context, r *attrRow, id int64, item string, stored bool) error {
	var prior []string
	if stored && len(r.tags) > 0 && c.checksTags() {
		var err error
		if prior, err = c.s.attachedTagNames(ctx, c.tx, c.a, c.e.id, id); err != nil {
			return err
		}
	}
	for i, t := range r.tags {
		tagID, fe := c.tagFor(ctx, t, prior)
		if fe != nil {
			c.rejected.add(fmt.Sprintf("%s.Tag[%d]", item, i), "", fe.field, fe.reason)
			continue
		}
		c.attrTags = append(c.attrTags, id, c.e.id, tagID, boolAsInt(t.local), t.relationshipType)
		prior = append(prior, t.name)
	}
	for _, sg := range r.sightings {
		c.sighting(ctx, sg, id)
	}
	return nil
}

// sighting queues a sighting of an attribute for flush.
func (c *childWriter) sighting(ctx context.Context, sg sightingRow, attrID int64) {
	if sg.uuid == "" {
		sg.uuid = uuid.NewString()
	}
	if sg.date == 0 {
		sg.date = c.now
	}
	orgID := c.a.Org.ID
	if sg.orgUUID != "" || sg.orgName != "" {
		if (c.a.SiteAdmin() || c.a.Sync()) && (sg.orgUUID != "" || sg.orgName != "") {
			id, err := c.findOrCreateOrg(ctx, OrgRef{UUID: sg.orgUUID, Name: sg.orgName})
			if err == nil {
				orgID = id
			}
		}
	}
	c.sightings = append(c.sightings, sg.uuid, attrID, c.e.id, orgID, sg.date, sg.source, sg.typ)
}

func (c *childWriter) object(ctx context.Context, o *objRow) error {
	item := fmt.Sprintf("Object[%d]", o.pos)
	if c.seen[o.uuid] {
		c.rejected.add(item, o.uuid, "uuid", "appears twice in this request")
		return nil
	}
	c.seen[o.uuid] = true
	if o.timestamp == 0 || (!c.opts.Preserve && o.timestamp > c.now+300) {
		o.timestamp = c.now
	}
	cur, exists := c.objects[o.uuid]
	if !exists && len(o.attrs) == 0 {
		c.rejected.add(item, o.uuid, "Attribute", "an object needs at least one valid attribute")
		return nil
	}
	var id int64
	switch {
	case exists && cur.eventID != c.e.id:
		c.rejected.add(item, o.uuid, "uuid", "an object with this uuid exists in another event")
		return nil
	case exists:
		id = cur.id
		if o.timestamp > cur.timestamp {
			if _, err := c.tx.ExecContext(ctx, c.s.Rebind(`UPDATE objects SET name = ?, meta_category = ?,
				description = ?, template_uuid = ?, template_version = ?, timestamp = ?, distribution = ?,
				sharing_group_id = ?, comment = ?, deleted = ?, first_seen = ?, last_seen = ? WHERE id = ?`),
				o.name, o.metaCategory, o.description, o.templateUUID, o.templateVersion, o.timestamp,
				o.distribution, o.sg, o.comment, o.deleted, o.firstSeen, o.lastSeen, id); err != nil {
				return err
			}
		}
	default:
		var err error
		if id, err = c.insertObject(ctx, o); err != nil {
			return fmt.Errorf("insert object %s: %w", o.uuid, err)
		}
	}
	c.refIDs[o.uuid] = [2]int64{id, 1}
	for i := range o.attrs {
		at := &o.attrs[i]
		if _, err := c.attribute(ctx, at, id, fmt.Sprintf("%s.Attribute[%d]", item, at.pos)); err != nil {
			return err
		}
	}
	return nil
}

// insertObject writes a new object, or on PostgreSQL queues it with a
// reserved id.
func (c *childWriter) insertObject(ctx context.Context, o *objRow) (int64, error) {
	if c.newObjects != nil {
		id, ok := c.newObjects.add(o.uuid, c.e.id, o.name, o.metaCategory, o.description, o.templateUUID,
			o.templateVersion, o.timestamp, o.distribution, o.sg, o.comment, boolAsInt(o.deleted), o.firstSeen,
			o.lastSeen)
		if ok {
			if c.newObjects.full() {
				return id, c.newObjects.flush(ctx, c.s, c.tx)
			}
			return id, nil
		}
	}
	return c.s.insertID(ctx, c.tx, `INSERT INTO objects (uuid, event_id, name, meta_category, description,
		template_uuid, template_version, timestamp, distribution, sharing_group_id, comment, deleted,
		first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.uuid, c.e.id, o.name, o.metaCategory, o.description, o.templateUUID, o.templateVersion,
		o.timestamp, o.distribution, o.sg, o.comment, o.deleted, o.firstSeen, o.lastSeen)
}

// references writes an object's references once every object and attribute
// of the payload exists, so a reference to an item defined later resolves.
func (c *childWriter) references(ctx context.Context, o *objRow) error {
	obj, ok := c.refIDs[o.uuid]
	if !ok || obj[1] != 1 {
		return nil // the object itself was refused
	}
	for _, r := range o.refs {
		if r.timestamp == 0 {
			r.timestamp = c.now
		}
		target, known := c.refIDs[r.referencedUUID]
		if !known {
			target = c.lookupReferenced(ctx, r.referencedUUID)
		}
		_, err := c.tx.ExecContext(ctx, c.s.Rebind(`INSERT INTO object_references (uuid, event_id, object_id,
			source_uuid, referenced_uuid, referenced_id, referenced_type, relationship_type, comment, timestamp,
			deleted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (uuid) DO UPDATE SET referenced_uuid = excluded.referenced_uuid,
			referenced_id = excluded.referenced_id, referenced_type = excluded.referenced_type,
			relationship_type = excluded.relationship_type, comment = excluded.comment,
			timestamp = excluded.timestamp, deleted = excluded.deleted
			WHERE object_references.event_id = excluded.event_id AND excluded.timestamp > object_references.timestamp`),
			r.uuid, c.e.id, obj[0], o.uuid, r.referencedUUID, target[0], target[1], r.relationshipType,
			r.comment, r.timestamp, r.deleted)
		if err != nil {
			return fmt.Errorf("insert reference %s: %w", r.uuid, err)
		}
	}
	return nil
}

// lookupReferenced finds a referenced item stored outside this payload.
func (c *childWriter) lookupReferenced(ctx context.Context, u string) [2]int64 {
	var id int64
	if c.tx.QueryRowContext(ctx, c.s.Rebind(`SELECT id FROM objects WHERE uuid = ?`), u).Scan(&id) == nil {
		return [2]int64{id, 1}
	}
	if c.tx.QueryRowContext(ctx, c.s.Rebind(`SELECT id FROM attributes WHERE uuid = ?`), u).Scan(&id) == nil {
		return [2]int64{id, 0}
	}
	return [2]int64{0, 0}
}

func (c *childWriter) report(ctx context.Context, r reportRow) error {
	if r.timestamp == 0 {
		r.timestamp = c.now
	}
	_, err := c.tx.ExecContext(ctx, c.s.Rebind(`INSERT INTO event_reports (uuid, event_id, name, content,
		distribution, sharing_group_id, timestamp, deleted) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (uuid) DO UPDATE SET name = excluded.name, content = excluded.content,
		distribution = excluded.distribution, sharing_group_id = excluded.sharing_group_id,
		timestamp = excluded.timestamp, deleted = excluded.deleted
		WHERE event_reports.event_id = excluded.event_id AND excluded.timestamp > event_reports.timestamp`),
		r.uuid, c.e.id, r.name, r.content, r.distribution, r.sg, r.timestamp, r.deleted)
	return err
}

// eventTags attaches the event's tags. A tag the taxonomies refuse, or one
// that an exclusive taxonomy does not allow beside a tag already on the
// event, is rejected alone; the event stands.
func (c *childWriter) eventTags(ctx context.Context, tags []tagRef) error {
	var prior []string
	var rows []any
	if !c.isNew && len(tags) > 0 && c.checksTags() {
		var err error
		if prior, err = c.s.attachedTagNames(ctx, c.tx, c.a, c.e.id, 0); err != nil {
			return err
		}
	}
	for i, t := range tags {
		id, fe := c.tagFor(ctx, t, prior)
		if fe != nil {
			c.rejected.add(fmt.Sprintf("Tag[%d]", i), "", fe.field, fe.reason)
			continue
		}
		rows = append(rows, c.e.id, id, boolAsInt(t.local), strings.TrimSpace(t.relationshipType))
		prior = append(prior, t.name)
	}
	return c.s.writeRows(ctx, c.tx, eventTagTable, rows)
}

// checksTags reports whether the write checks tags against the tag
// policy. A copy of an event written elsewhere (an import, a MISP feed:
// Preserve) keeps the tags its source gave it, as a sync push does: the
// instance that wrote it judged them, perhaps with other taxonomies.
func (c *childWriter) checksTags() bool {
	return !c.opts.Preserve && c.s.tagPolicy(c.a) != nil
}

// tagFor checks a tag against the tags already on its target and finds or
// creates it (ensureTag checks the tag itself). A tag no taxonomy defines
// never clashes, so its refusal says what is wrong with it.
func (c *childWriter) tagFor(ctx context.Context, t tagRef, prior []string) (int64, *fieldError) {
	if !c.checksTags() {
		return c.s.findOrCreateTag(ctx, c.tx, c.a, t, c.tagCache)
	}
	if fe := c.s.checkExclusive(c.a, prior, t.name); fe != nil {
		return 0, fe
	}
	return c.s.ensureTag(ctx, c.tx, c.a, t, c.tagCache)
}
