package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/cairn-intel/cairn/internal/misp"
)

// SaveMode says what SaveEvent does with an event whose uuid is known.
type SaveMode int

const (
	// ModeCreate refuses a known uuid (events/add).
	ModeCreate SaveMode = iota
	// ModeEdit merges into the stored event (events/edit); a given event
	// timestamp that is not newer than the stored one is refused.
	ModeEdit
	// ModeUpsert creates, or merges when the incoming event is strictly
	// newer, and otherwise skips (import, feeds, sync).
	ModeUpsert
)

// SaveOptions tune SaveEvent.
type SaveOptions struct {
	Mode SaveMode
	// TargetID is the event named in the request path for ModeEdit; 0 means
	// locate the event by the uuid in the payload.
	TargetID int64
	// Preserve keeps published, publish_timestamp and timestamps from the
	// input (import and sync), instead of applying the local edit rules.
	Preserve bool
}

// Save outcomes.
const (
	OutcomeCreated = "created"
	OutcomeUpdated = "updated"
	OutcomeSkipped = "skipped"
)

// SaveResult reports what SaveEvent did.
type SaveResult struct {
	EventID  int64
	UUID     string
	Outcome  string
	Rejected []Rejection
	// Attributes counts stored attributes: created and updated ones.
	AttributesCreated, AttributesUpdated int
}

// ExistsError is returned by ModeCreate for a known uuid; it carries the id
// of the stored event, for the Location header sync clients expect.
type ExistsError struct{ ID int64 }

func (e *ExistsError) Error() string { return fmt.Sprintf("event already exists with id %d", e.ID) }

// Unwrap makes an ExistsError an ErrConflict.
func (e *ExistsError) Unwrap() error { return ErrConflict }

// eventPlan is a prepared event ready for the transaction.
type eventPlan struct {
	uuid                        string
	info, date                  *string
	threatLevel, analysis       *int64
	distribution, sg            *int64
	published                   bool
	publishedGiven              bool
	timestamp, publishTimestamp int64
	sourceVersion               int64 // misp.Event.SourceVersion: compared instead of timestamp
	orgc                        *OrgRef
	disableCorrelation, extends *string
	attrs                       []attrRow
	objects                     []objRow
	tags                        []tagRef
	reports                     []reportRow
	rejected                    rejections
}

// SaveEvent validates and stores an event with its attributes, objects,
// references, reports, tags and sightings in one transaction. Items that
// fail validation are left out and listed in the result; an event whose
// own fields are invalid is refused whole with a *ValidationError.
func (s *Store) SaveEvent(ctx context.Context, a *Actor, in *misp.Event, opts SaveOptions) (SaveResult, error) {
	results, errs, err := s.SaveEvents(ctx, a, []*misp.Event{in}, opts)
	if err != nil {
		return SaveResult{}, err
	}
	return results[0], errs[0]
}

// Batch limits for callers of SaveEvents: batches of up to BatchAttributes
// attributes or BatchEvents events make commits rare while keeping the writer
// lock short and memory flat.
const (
	BatchAttributes = 20000
	BatchEvents     = 200
)

// SaveEvents stores several events in one transaction, each under its own
// savepoint: an event that is refused is rolled back alone and its error
// returned in its slot of errs, while the others are kept. Large imports use
// it because a commit per event costs more than the event itself (each
// commit rewrites the index pages it touched). err is a fault that stopped
// the whole batch, which is then rolled back.
func (s *Store) SaveEvents(ctx context.Context, a *Actor, in []*misp.Event, opts SaveOptions) (results []SaveResult, errs []error, err error) {
	if err := a.canWrite("perm_add"); err != nil {
		return nil, nil, err
	}
	results, errs = make([]SaveResult, len(in)), make([]error, len(in))
	plans := make([]*eventPlan, len(in))
	for i, ev := range in {
		plans[i], errs[i] = s.prepareEvent(a, ev, opts.Mode == ModeCreate)
	}
	err = s.timedTx(ctx, func(tx *sql.Tx) error {
		b := newWriteBatch()
		if err := s.planImport(ctx, tx); err != nil {
			return err
		}
		if err := b.loadBlocked(ctx, s, tx, plans); err != nil {
			return err
		}
		for i, p := range plans {
			if errs[i] != nil {
				continue
			}
			results[i], errs[i] = s.saveInBatch(ctx, tx, a, b, p, opts)
			if errs[i] != nil && !isRefusal(errs[i]) {
				return errs[i]
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	for i, p := range plans {
		if errs[i] == nil {
			results[i].Rejected = append(results[i].Rejected, p.rejected...)
		}
	}
	return results, errs, nil
}

func (s *Store) saveInSavepoint(ctx context.Context, tx *sql.Tx, a *Actor, p *eventPlan, opts SaveOptions) (SaveResult, error) {
	return s.saveInBatch(ctx, tx, a, newWriteBatch(), p, opts)
}

// saveInBatch saves one event of a batch under its own savepoint.
func (s *Store) saveInBatch(ctx context.Context, tx *sql.Tx, a *Actor, b *writeBatch, p *eventPlan, opts SaveOptions) (SaveResult, error) {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT save_event"); err != nil {
		return SaveResult{}, err
	}
	w := b.newEventWriter(s, tx, a, opts)
	res, err := w.save(ctx, p)
	if err != nil {
		if _, rbErr := tx.ExecContext(ctx, "ROLLBACK TO save_event"); rbErr != nil {
			return res, rbErr
		}
	}
	if _, relErr := tx.ExecContext(ctx, "RELEASE save_event"); relErr != nil {
		return res, relErr
	}
	if err == nil {
		b.keep(w)
	}
	return res, err
}

// isRefusal reports whether err refuses one request (invalid, forbidden,
// conflicting, not found) rather than reporting a fault.
func isRefusal(err error) bool {
	for _, kind := range []error{ErrInvalid, ErrForbidden, ErrConflict, ErrNotFound} {
		if errors.Is(err, kind) {
			return true
		}
	}
	return false
}

func (a *Actor) canWrite(perm string) error {
	if a.ReadOnly {
		return forbiddenf("This API key is read-only.")
	}
	if !a.Role.Has(perm) {
		return forbiddenf("You do not have permission to do that.")
	}
	return nil
}

func (s *Store) prepareEvent(a *Actor, in *misp.Event, create bool) (*eventPlan, error) {
	p := &eventPlan{}
	var fe *fieldError
	fail := func(fe *fieldError) error {
		return &ValidationError{Message: "Event could not be saved", Rejected: []Rejection{{Item: "Event", Field: fe.field, Reason: fe.reason}}}
	}
	if p.uuid, fe = normUUID(in.UUID); fe != nil {
		return nil, fail(fe)
	}
	if in.Info != nil {
		info := strings.TrimSpace(string(*in.Info))
		if info == "" {
			return nil, fail(ferr("info", "must not be empty"))
		}
		p.info = &info
	} else if create {
		return nil, fail(ferr("info", "is required"))
	}
	if in.Date != nil && strings.TrimSpace(string(*in.Date)) != "" {
		d, fe := normDate(string(*in.Date))
		if fe != nil {
			return nil, fail(fe)
		}
		p.date = &d
	}
	if fe := prepareEnums(p, in); fe != nil {
		return nil, fail(fe)
	}
	if in.Distribution != nil || in.SharingGroupID != nil || create {
		dist := intOr(in.Distribution, 1)
		sg, fe := checkSharing(a, dist, intOr(in.SharingGroupID, sgFromEvent(in)), 4)
		if fe != nil {
			return nil, fail(fe)
		}
		p.distribution, p.sg = &dist, &sg
	}
	p.publishedGiven = in.Published != nil
	p.published = boolOr(in.Published, false)
	p.timestamp, p.publishTimestamp = intOr(in.Timestamp, 0), intOr(in.PublishTimestamp, 0)
	p.sourceVersion = in.SourceVersion
	if in.Orgc != nil {
		p.orgc = &OrgRef{UUID: strings.ToLower(uuidOf(in.Orgc.UUID)), Name: strings.TrimSpace(str(in.Orgc.Name))}
	}
	if in.DisableCorrelation != nil {
		v := fmt.Sprint(boolInt(bool(*in.DisableCorrelation)))
		p.disableCorrelation = &v
	}
	if in.ExtendsUUID != nil {
		v := string(*in.ExtendsUUID)
		p.extends = &v
	}
	p.tags = tagRefs(in.Tag, in.Galaxy)
	s.prepareChildren(a, in, p)
	return p, nil
}

func sgFromEvent(in *misp.Event) int64 {
	if in.SharingGroup != nil && in.SharingGroup.ID != nil {
		return int64(*in.SharingGroup.ID)
	}
	return 0
}

func prepareEnums(p *eventPlan, in *misp.Event) *fieldError {
	if in.ThreatLevelID != nil {
		v := int64(*in.ThreatLevelID)
		if v < 1 || v > 4 {
			return ferr("threat_level_id", "must be 1 (high) to 4 (undefined), got %d", v)
		}
		p.threatLevel = &v
	}
	if in.Analysis != nil {
		v := int64(*in.Analysis)
		if v < 0 || v > 2 {
			return ferr("analysis", "must be 0 (initial), 1 (ongoing) or 2 (completed), got %d", v)
		}
		p.analysis = &v
	}
	return nil
}

func (s *Store) prepareChildren(a *Actor, in *misp.Event, p *eventPlan) {
	p.rejected.addBad("Attribute", in.Attribute.Bad)
	for i := range in.Attribute.Items {
		r, fe := prepareAttribute(a, &in.Attribute.Items[i], false)
		r.pos = in.Attribute.Index[i]
		item := fmt.Sprintf("Attribute[%d]", r.pos)
		if fe != nil {
			p.rejected.add(item, uuidOf(in.Attribute.Items[i].UUID), fe.field, fe.reason)
			continue
		}
		p.rejected.addBadOfAttribute(item, &in.Attribute.Items[i])
		p.attrs = append(p.attrs, r)
	}
	p.rejected.addBad("Object", in.Object.Bad)
	for i := range in.Object.Items {
		item := fmt.Sprintf("Object[%d]", in.Object.Index[i])
		o, fe := prepareObject(a, &in.Object.Items[i], item, &p.rejected)
		o.pos = in.Object.Index[i]
		if fe != nil {
			p.rejected.add(item, uuidOf(in.Object.Items[i].UUID), fe.field, fe.reason)
			continue
		}
		p.objects = append(p.objects, o)
	}
	for i, r := range in.EventReport.Items {
		rr, fe := prepareReport(a, &r)
		if fe != nil {
			p.rejected.add(fmt.Sprintf("EventReport[%d]", in.EventReport.Index[i]), uuidOf(r.UUID), fe.field, fe.reason)
			continue
		}
		p.reports = append(p.reports, rr)
	}
	p.rejected.addBad("EventReport", in.EventReport.Bad)
	p.rejected.addBad("Tag", in.Tag.Bad)
	p.rejected.addBadGalaxies("Galaxy", in.Galaxy)
}

func prepareReport(a *Actor, in *misp.EventReport) (reportRow, *fieldError) {
	r := reportRow{}
	var fe *fieldError
	if r.uuid, fe = normUUID(in.UUID); fe != nil {
		return r, fe
	}
	if r.uuid == "" {
		r.uuid = uuid.NewString()
	}
	if r.name = strings.TrimSpace(str(in.Name)); r.name == "" {
		return r, ferr("name", "is required")
	}
	r.content, r.distribution = str(in.Content), intOr(in.Distribution, 5)
	if r.sg, fe = checkSharing(a, r.distribution, intOr(in.SharingGroupID, 0), 5); fe != nil {
		return r, fe
	}
	r.timestamp, r.deleted = intOr(in.Timestamp, 0), boolOr(in.Deleted, false)
	return r, nil
}

// storedEvent is the part of an event row the writer needs.
type storedEvent struct {
	id, orgID, orgcID, userID, timestamp int64
	sourceVersion                        int64
	locked, published                    bool
	uuid                                 string
}

func (s *Store) loadStoredEvent(ctx context.Context, q querier, id int64, uid string) (storedEvent, error) {
	var e storedEvent
	err := q.QueryRowContext(ctx, s.Rebind(`SELECT id, org_id, orgc_id, user_id, timestamp, source_version,
		locked, published, uuid FROM events WHERE id = ? OR uuid = ?`), id, uid).Scan(&e.id, &e.orgID, &e.orgcID,
		&e.userID, &e.timestamp, &e.sourceVersion, &e.locked, &e.published, &e.uuid)
	if errors.Is(err, sql.ErrNoRows) {
		return e, notFoundf("event")
	}
	return e, err
}

// CanEdit reports whether the actor may change the event: site admins; the
// creator organisation with perm_modify_org; the creating user with
// perm_modify; sync users on events received through sync.
func (a *Actor) canEdit(e storedEvent) bool {
	switch {
	case a.ReadOnly:
		return false
	case a.SiteAdmin():
		return true
	case a.Role.Has("perm_modify_org") && a.Org.ID == e.orgcID:
		return true
	case a.Role.Has("perm_modify") && a.User.ID == e.userID:
		return true
	case a.Sync() && e.locked:
		return true
	}
	return false
}

func (a *Actor) canPublish(e storedEvent) bool {
	return !a.ReadOnly && (a.SiteAdmin() || a.Role.Has("perm_publish") && a.Org.ID == e.orgcID)
}

var errNoPermission = forbiddenf("You do not have permission to do that.")

// eventWriter holds the state of one SaveEvent transaction.
type eventWriter struct {
	s        *Store
	tx       *sql.Tx
	a        *Actor
	now      int64
	opts     SaveOptions
	batch    *writeBatch
	tagCache map[string]int64
	orgCache map[OrgRef]int64
	rejected rejections
	res      SaveResult
}

func (w *eventWriter) save(ctx context.Context, p *eventPlan) (SaveResult, error) {
	var cur storedEvent
	err := notFoundf("event")
	if w.opts.Mode == ModeEdit || p.uuid != "" {
		cur, err = w.s.loadStoredEvent(ctx, w.tx, w.opts.TargetID, p.uuid)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return w.res, err
		}
	}
	found := err == nil
	switch {
	case w.opts.Mode == ModeEdit && !found:
		return w.res, err
	case w.opts.Mode == ModeEdit && p.uuid != "" && cur.uuid != p.uuid:
		return w.res, invalidf("the uuid in the body does not match the event in the path")
	case w.opts.Mode == ModeCreate && found:
		return w.res, &ExistsError{ID: cur.id}
	case found:
		err = w.update(ctx, p, cur)
	default:
		err = w.create(ctx, p)
	}
	w.res.Rejected = w.rejected
	return w.res, err
}

func (w *eventWriter) create(ctx context.Context, p *eventPlan) error {
	if p.info == nil {
		return &ValidationError{Message: "Event could not be saved", Rejected: []Rejection{{Item: "Event", Field: "info", Reason: "is required"}}}
	}
	if p.uuid == "" {
		p.uuid = uuid.NewString()
	}
	if blocked, err := w.isBlocked(ctx, p.uuid); err != nil || blocked {
		if err == nil {
			err = forbiddenf("event %s is on the event blocklist", p.uuid)
		}
		return err
	}
	orgc, err := w.resolveOrgc(ctx, p.orgc)
	if err != nil {
		return err
	}
	e := storedEvent{orgID: w.a.Org.ID, orgcID: orgc, userID: w.a.User.ID, uuid: p.uuid}
	ts := w.now
	if p.timestamp > 0 && (w.opts.Preserve || p.timestamp <= w.now+300) {
		ts = p.timestamp
	}
	published, pubTS := false, int64(0)
	if w.opts.Preserve {
		published, pubTS = p.published, p.publishTimestamp
	} else if p.published && w.a.canPublish(e) {
		published, pubTS = true, w.now
	}
	date := time.Unix(w.now, 0).UTC().Format("2006-01-02")
	if p.date != nil {
		date = *p.date
	}
	e.id, err = w.s.insertID(ctx, w.tx, `INSERT INTO events (uuid, org_id, orgc_id, user_id, info, date,
		threat_level_id, analysis, distribution, sharing_group_id, published, timestamp, publish_timestamp,
		locked, disable_correlation, extends_uuid, source_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.uuid, e.orgID, orgc, w.a.User.ID, *p.info, date, deref(p.threatLevel, 4), deref(p.analysis, 0),
		deref(p.distribution, 1), deref(p.sg, 0), published, ts, pubTS, w.receivedThroughSync(),
		p.disableCorrelation != nil && *p.disableCorrelation == "1", derefS(p.extends), p.sourceVersion)
	if err != nil {
		return err
	}
	w.res.EventID, w.res.UUID, w.res.Outcome = e.id, p.uuid, OutcomeCreated
	if err := w.children(ctx, p, e, true); err != nil {
		return err
	}
	return w.finish(ctx, e.id)
}

func (w *eventWriter) update(ctx context.Context, p *eventPlan, cur storedEvent) error {
	w.res.EventID, w.res.UUID = cur.id, cur.uuid
	if !w.a.canEdit(cur) {
		return errNoPermission
	}
	if err := w.mayOverwrite(ctx, p, cur); err != nil {
		return err
	}
	if p.timestamp > 0 && p.timestamp <= cur.timestamp || p.sourceVersion > 0 && p.sourceVersion <= cur.sourceVersion {
		if w.opts.Mode == ModeUpsert {
			w.res.Outcome = OutcomeSkipped
			return nil
		}
		return forbiddenf("Event could not be saved: Event in the request not newer than the local copy.")
	}
	w.res.Outcome = OutcomeUpdated
	if err := w.children(ctx, p, cur, false); err != nil {
		return err
	}
	if err := w.updateEventRow(ctx, p, cur); err != nil {
		return err
	}
	return w.finish(ctx, cur.id)
}

func (w *eventWriter) updateEventRow(ctx context.Context, p *eventPlan, cur storedEvent) error {
	sets, args := []string{}, []any{}
	set := func(col string, v any) { sets = append(sets, col+" = ?"); args = append(args, v) }
	if p.info != nil {
		set("info", *p.info)
	}
	if p.date != nil {
		set("date", *p.date)
	}
	if p.threatLevel != nil {
		set("threat_level_id", *p.threatLevel)
	}
	if p.analysis != nil {
		set("analysis", *p.analysis)
	}
	if p.distribution != nil {
		set("distribution", *p.distribution)
		set("sharing_group_id", *p.sg)
	}
	if p.disableCorrelation != nil {
		set("disable_correlation", *p.disableCorrelation == "1")
	}
	if p.extends != nil {
		set("extends_uuid", *p.extends)
	}
	ts := w.now
	if p.timestamp > 0 {
		ts = p.timestamp
	}
	set("timestamp", ts)
	if p.sourceVersion > 0 { // other writes keep the file's version: importing it again changes nothing
		set("source_version", p.sourceVersion)
	}
	switch {
	case w.opts.Preserve:
		set("published", p.published)
		if p.publishTimestamp > 0 {
			set("publish_timestamp", p.publishTimestamp)
		}
	case p.published && w.a.canPublish(cur):
		set("published", true)
		set("publish_timestamp", w.now)
	default:
		set("published", false)
	}
	args = append(args, cur.id)
	_, err := w.tx.ExecContext(ctx, w.s.Rebind(`UPDATE events SET `+strings.Join(sets, ", ")+` WHERE id = ?`), args...)
	return err
}

// receivedThroughSync reports whether a created event is a copy of one
// written elsewhere (import, feed, sync), which MISP marks as locked.
func (w *eventWriter) receivedThroughSync() bool {
	return w.opts.Preserve
}

// mayOverwrite guards copies written elsewhere (imports, feeds, sync): they
// may update only an event that itself arrived from elsewhere (locked) and
// that has the same creator organisation, never an event made here.
func (w *eventWriter) mayOverwrite(ctx context.Context, p *eventPlan, cur storedEvent) error {
	if !w.opts.Preserve {
		return nil
	}
	if !cur.locked {
		return forbiddenf("event %s was created on this instance; imports and feeds do not overwrite it", cur.uuid)
	}
	if p.orgc == nil || (p.orgc.UUID == "" && p.orgc.Name == "") {
		return nil
	}
	var storedUUID, storedName string
	if err := w.tx.QueryRowContext(ctx, w.s.Rebind(`SELECT uuid, name FROM organisations WHERE id = ?`), cur.orgcID).
		Scan(&storedUUID, &storedName); err != nil {
		return err
	}
	if (p.orgc.UUID != "" && p.orgc.UUID != storedUUID) || (p.orgc.UUID == "" && !strings.EqualFold(p.orgc.Name, storedName)) {
		return forbiddenf("event %s exists here with another creator organisation (%s)", cur.uuid, storedName)
	}
	return nil
}

// resolveOrgc decides the creator organisation: the actor's own, unless a
// site admin or sync user names another one in the payload.
func (w *eventWriter) resolveOrgc(ctx context.Context, ref *OrgRef) (int64, error) {
	if ref == nil || (!w.a.SiteAdmin() && !w.a.Sync()) {
		return w.a.Org.ID, nil
	}
	if ref.UUID == "" && ref.Name == "" {
		return w.a.Org.ID, nil
	}
	return w.findOrCreateOrg(ctx, *ref)
}

// findOrCreateOrg is Store.findOrCreateOrg, remembered for the batch.
func (w *eventWriter) findOrCreateOrg(ctx context.Context, ref OrgRef) (int64, error) {
	if id, ok := w.orgCache[ref]; ok {
		return id, nil
	}
	id, err := w.s.findOrCreateOrg(ctx, w.tx, ref)
	if err == nil {
		w.orgCache[ref] = id
	}
	return id, err
}

// isBlocked reports whether an event uuid is on the event blocklist: from
// the batch, which read the uuids of all its events at once, or, for a
// uuid made since, from the table.
func (w *eventWriter) isBlocked(ctx context.Context, u string) (bool, error) {
	if blocked, ok := w.batch.blocked[u]; ok {
		return blocked, nil
	}
	var n int
	err := w.tx.QueryRowContext(ctx, w.s.Rebind(`SELECT COUNT(*) FROM event_blocklist WHERE uuid = ?`), u).Scan(&n)
	return n > 0, err
}

// finish recomputes the derived attribute count and queues the event for
// correlation.
func (w *eventWriter) finish(ctx context.Context, eventID int64) error {
	_, err := w.tx.ExecContext(ctx, w.s.Rebind(`UPDATE events SET attribute_count =
		(SELECT COUNT(*) FROM attributes WHERE event_id = ? AND deleted = 0) WHERE id = ?`), eventID, eventID)
	if err != nil {
		return err
	}
	return w.s.queueCorrelation(ctx, w.tx, eventID)
}

func deref(p *int64, def int64) int64 {
	if p == nil {
		return def
	}
	return *p
}

func derefS(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
