package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/cairn-intel/cairn/internal/misp"
)

// The prepare step turns wire input into rows to store: every value is
// checked and normalised here, before any transaction starts, so a write
// either stores what was prepared or nothing.

type attrRow struct {
	pos                int // position in the input, for reports
	uuid               string
	typ, category      string
	value1, value2     string
	ip                 []byte
	toIDS              bool
	distribution, sg   int64
	comment            string
	timestamp          int64 // 0 = not given
	deleted            bool
	disableCorrelation bool
	objectRelation     *string
	firstSeen          *int64
	lastSeen           *int64
	data               *string
	tags               []tagRef
	sightings          []sightingRow
	// fields present in the input, for edits that merge
	has map[string]bool
}

type tagRef struct {
	name             string
	colour           string
	local            bool
	relationshipType string
	galaxy           bool
}

type sightingRow struct {
	uuid    string
	typ     int64
	source  string
	date    int64
	orgUUID string
	orgName string
}

type objRow struct {
	pos                int
	uuid               string
	name, metaCategory string
	description        string
	templateUUID       string
	templateVersion    int64
	timestamp          int64
	distribution, sg   int64
	comment            string
	deleted            bool
	firstSeen          *int64
	lastSeen           *int64
	attrs              []attrRow
	refs               []refRow
}

type refRow struct {
	uuid             string
	timestamp        int64
	referencedUUID   string
	relationshipType string
	comment          string
	deleted          bool
}

type reportRow struct {
	uuid             string
	name, content    string
	distribution, sg int64
	timestamp        int64
	deleted          bool
}

// rejections collects refused items of one request.
type rejections []Rejection

func (r *rejections) add(item, uuid, field, reason string) {
	*r = append(*r, Rejection{Item: item, UUID: uuid, Field: field, Reason: reason})
}

// addBad lists the items of a list that did not decode, list being the
// list's path ("Attribute", "Object[0].ObjectReference").
func (r *rejections) addBad(list string, bad []misp.ItemError) {
	for _, b := range bad {
		r.add(fmt.Sprintf("%s[%d]", list, b.Index), b.UUID, b.Field, b.Err.Error())
	}
}

// addBadOfAttribute lists the tags, galaxy clusters and sightings of the
// attribute at item that did not decode: the attribute is kept without
// them.
func (r *rejections) addBadOfAttribute(item string, in *misp.Attribute) {
	r.addBad(item+".Tag", in.Tag.Bad)
	r.addBadGalaxies(item+".Galaxy", in.Galaxy)
	r.addBad(item+".Sighting", in.Sighting.Bad)
}

// addBadGalaxies lists the galaxies and clusters at list that did not
// decode.
func (r *rejections) addBadGalaxies(list string, galaxies misp.List[misp.Galaxy]) {
	r.addBad(list, galaxies.Bad)
	for i, g := range galaxies.Items {
		r.addBad(fmt.Sprintf("%s[%d].GalaxyCluster", list, galaxies.Index[i]), g.GalaxyCluster.Bad)
	}
}

// fieldError is a refusal of one field of one item.
type fieldError struct{ field, reason string }

func (e *fieldError) Error() string { return e.field + ": " + e.reason }

func ferr(field, format string, args ...any) *fieldError {
	return &fieldError{field: field, reason: fmt.Sprintf(format, args...)}
}

func normUUID(s *string) (string, *fieldError) {
	if s == nil || strings.TrimSpace(*s) == "" {
		return "", nil
	}
	u, err := uuid.Parse(strings.TrimSpace(*s))
	if err != nil {
		return "", ferr("uuid", "%q is not a UUID", *s)
	}
	return u.String(), nil
}

func str(s *misp.String) string {
	if s == nil {
		return ""
	}
	return string(*s)
}

func intOr(n *misp.Int, def int64) int64 {
	if n == nil {
		return def
	}
	return int64(*n)
}

func boolOr(b *misp.Bool, def bool) bool {
	if b == nil {
		return def
	}
	return bool(*b)
}

// checkSharing validates a distribution and sharing group pair. A named
// sharing group must be one the actor may use whatever the distribution
// says; the stored group is 0 unless the distribution is 4.
func checkSharing(a *Actor, dist, sg int64, maxDist int64) (int64, *fieldError) {
	if dist < 0 || dist > maxDist {
		return 0, ferr("distribution", "must be between 0 and %d, got %d", maxDist, dist)
	}
	if sg != 0 && !a.CanUseSharingGroup(sg) {
		return 0, ferr("sharing_group_id", "sharing group %d does not exist or your organisation may not use it", sg)
	}
	if dist == 4 && sg == 0 {
		return 0, ferr("sharing_group_id", "distribution 4 needs a sharing group")
	}
	if dist != 4 {
		return 0, nil
	}
	return sg, nil
}

// prepareAttribute validates and normalises one attribute.
func prepareAttribute(a *Actor, in *misp.Attribute, inObject bool) (attrRow, *fieldError) {
	r := attrRow{has: map[string]bool{}}
	var fe *fieldError
	if r.uuid, fe = normUUID(in.UUID); fe != nil {
		return r, fe
	}
	r.typ = strings.TrimSpace(str(in.Type))
	info, ok := misp.LookupType(r.typ)
	switch {
	case r.typ == "":
		return r, ferr("type", "is required")
	case !ok:
		return r, ferr("type", "%q is not a MISP attribute type", r.typ)
	}
	value := str(in.Value)
	if in.Value == nil && in.Value1 != nil {
		value = str(in.Value1)
		if v2 := str(in.Value2); v2 != "" {
			value += "|" + v2
		}
	}
	v1, v2, err := misp.NormalizeValue(r.typ, value)
	if err != nil {
		return r, ferr("value", "%s", err.Error())
	}
	r.value1, r.value2 = v1, v2
	r.ip, _ = misp.IPKey(r.typ, v1, v2)
	r.category = info.DefaultCategory
	if c := strings.TrimSpace(str(in.Category)); c != "" {
		if !misp.IsCategory(c) {
			return r, ferr("category", "%q is not a MISP category", c)
		}
		if !misp.CategoryAllows(c, r.typ) {
			return r, ferr("category", "category %q does not allow type %q", c, r.typ)
		}
		r.category = c
	}
	r.toIDS = boolOr(in.ToIDS, info.ToIDS)
	r.distribution = intOr(in.Distribution, 5)
	if r.sg, fe = checkSharing(a, r.distribution, intOr(in.SharingGroupID, 0), 5); fe != nil {
		return r, fe
	}
	r.comment = str(in.Comment)
	r.timestamp = intOr(in.Timestamp, 0)
	r.deleted = boolOr(in.Deleted, false)
	r.disableCorrelation = boolOr(in.DisableCorrelation, !info.Correlates)
	if fe := prepareSeen(&r.firstSeen, &r.lastSeen, in.FirstSeen, in.LastSeen); fe != nil {
		return r, fe
	}
	if rel := strings.TrimSpace(str(in.ObjectRelation)); rel != "" {
		r.objectRelation = &rel
	} else if inObject {
		return r, ferr("object_relation", "is required for an attribute inside an object")
	}
	if in.Data != nil && *in.Data != "" {
		if _, err := base64.StdEncoding.DecodeString(string(*in.Data)); err != nil {
			return r, ferr("data", "is not valid base64")
		}
		d := string(*in.Data)
		r.data = &d
	}
	r.tags = tagRefs(in.Tag, in.Galaxy)
	r.sightings = sightingRows(in.Sighting)
	markPresent(r.has, in)
	return r, nil
}

func markPresent(has map[string]bool, in *misp.Attribute) {
	has["category"] = in.Category != nil
	has["to_ids"] = in.ToIDS != nil
	has["distribution"] = in.Distribution != nil
	has["comment"] = in.Comment != nil
	has["deleted"] = in.Deleted != nil
	has["disable_correlation"] = in.DisableCorrelation != nil
	has["first_seen"] = in.FirstSeen != nil
	has["last_seen"] = in.LastSeen != nil
	has["value"] = in.Value != nil || in.Value1 != nil
	has["type"] = in.Type != nil
}

func prepareSeen(first, last **int64, inFirst, inLast *misp.Seen) *fieldError {
	if inFirst != nil && inFirst.Valid {
		v := inFirst.Micros
		*first = &v
	}
	if inLast != nil && inLast.Valid {
		v := inLast.Micros
		*last = &v
	}
	if *first != nil && *last != nil && **last < **first {
		return ferr("last_seen", "%s precedes first_seen %s", misp.FormatSeen(**last), misp.FormatSeen(**first))
	}
	return nil
}

func tagRefs(tags misp.List[misp.Tag], galaxies misp.List[misp.Galaxy]) []tagRef {
	var out []tagRef
	for _, t := range tags.Items {
		name := strings.TrimSpace(str(t.Name))
		if name == "" {
			continue
		}
		out = append(out, tagRef{name: name, colour: str(t.Colour), local: boolOr(t.Local, false),
			relationshipType: str(t.RelationshipType)})
	}
	for _, g := range galaxies.Items {
		for _, c := range g.GalaxyCluster.Items {
			if name := strings.TrimSpace(str(c.TagName)); name != "" {
				out = append(out, tagRef{name: name, local: boolOr(c.Local, false), galaxy: true})
			}
		}
	}
	return out
}

func sightingRows(in misp.List[misp.Sighting]) []sightingRow {
	var out []sightingRow
	for _, s := range in.Items {
		u, fe := normUUID(s.UUID)
		if fe != nil {
			continue // a sighting with a broken uuid is dropped; the attribute stands
		}
		r := sightingRow{uuid: u, typ: intOr(s.Type, 0), source: str(s.Source),
			date: intOr(s.DateSighting, intOr(s.Timestamp, 0))}
		if s.Org != nil {
			if s.Org.UUID != nil {
				r.orgUUID = strings.ToLower(*s.Org.UUID)
			}
			r.orgName = str(s.Org.Name)
		}
		out = append(out, r)
	}
	return out
}

// prepareObject validates an object and its attributes; bad member
// attributes are rejected one by one, a bad object as a whole.
func prepareObject(a *Actor, in *misp.Object, item string, rej *rejections) (objRow, *fieldError) {
	r := objRow{}
	var fe *fieldError
	if r.uuid, fe = normUUID(in.UUID); fe != nil {
		return r, fe
	}
	if r.uuid == "" {
		r.uuid = uuid.NewString()
	}
	r.name = strings.TrimSpace(str(in.Name))
	if r.name == "" {
		return r, ferr("name", "is required")
	}
	r.metaCategory, r.description = str(in.MetaCategory), str(in.Description)
	r.templateUUID, r.templateVersion = str(in.TemplateUUID), intOr(in.TemplateVersion, 0)
	r.timestamp = intOr(in.Timestamp, 0)
	r.distribution = intOr(in.Distribution, 5)
	if r.sg, fe = checkSharing(a, r.distribution, intOr(in.SharingGroupID, 0), 5); fe != nil {
		return r, fe
	}
	r.comment, r.deleted = str(in.Comment), boolOr(in.Deleted, false)
	if fe := prepareSeen(&r.firstSeen, &r.lastSeen, in.FirstSeen, in.LastSeen); fe != nil {
		return r, fe
	}
	rej.addBad(item+".Attribute", in.Attribute.Bad)
	for i := range in.Attribute.Items {
		at, fe := prepareAttribute(a, &in.Attribute.Items[i], true)
		at.pos = in.Attribute.Index[i]
		attrItem := fmt.Sprintf("%s.Attribute[%d]", item, at.pos)
		if fe != nil {
			rej.add(attrItem, uuidOf(in.Attribute.Items[i].UUID), fe.field, fe.reason)
			continue
		}
		rej.addBadOfAttribute(attrItem, &in.Attribute.Items[i])
		r.attrs = append(r.attrs, at)
	}
	rej.addBad(item+".ObjectReference", in.ObjectReference.Bad)
	for i, ref := range in.ObjectReference.Items {
		rr, fe := prepareReference(&ref)
		if fe != nil {
			rej.add(fmt.Sprintf("%s.ObjectReference[%d]", item, in.ObjectReference.Index[i]), uuidOf(ref.UUID), fe.field, fe.reason)
			continue
		}
		r.refs = append(r.refs, rr)
	}
	return r, nil
}

func prepareReference(in *misp.ObjectReference) (refRow, *fieldError) {
	r := refRow{}
	var fe *fieldError
	if r.uuid, fe = normUUID(in.UUID); fe != nil {
		return r, fe
	}
	if r.uuid == "" {
		r.uuid = uuid.NewString()
	}
	if in.ReferencedUUID == nil || strings.TrimSpace(*in.ReferencedUUID) == "" {
		return r, ferr("referenced_uuid", "is required")
	}
	ref, err := uuid.Parse(strings.TrimSpace(*in.ReferencedUUID))
	if err != nil {
		return r, ferr("referenced_uuid", "%q is not a UUID", *in.ReferencedUUID)
	}
	r.referencedUUID = ref.String()
	r.relationshipType = strings.TrimSpace(str(in.RelationshipType))
	if r.relationshipType == "" {
		return r, ferr("relationship_type", "is required")
	}
	r.comment, r.timestamp = str(in.Comment), intOr(in.Timestamp, 0)
	r.deleted = boolOr(in.Deleted, false)
	return r, nil
}

func uuidOf(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// normDate accepts YYYY-MM-DD, a longer ISO date-time or epoch seconds.
func normDate(s string) (string, *fieldError) {
	s = strings.TrimSpace(s)
	if dateRE.MatchString(s) {
		if _, err := time.Parse("2006-01-02", s); err == nil {
			return s, nil
		}
	}
	if len(s) > 10 && dateRE.MatchString(s[:10]) {
		if _, err := time.Parse("2006-01-02", s[:10]); err == nil {
			return s[:10], nil
		}
	}
	if n, err := misp.ParseLooseInt(s); err == nil && n > 0 {
		return time.Unix(n, 0).UTC().Format("2006-01-02"), nil
	}
	return "", ferr("date", "%q is not a date (YYYY-MM-DD)", s)
}

// ensureTag finds a tag by name (case-insensitively) or creates it when the
// actor may create tags. A tag the tag policy refuses is neither found nor
// created; a name in the cache passed the policy already.
func (s *Store) ensureTag(ctx context.Context, q querier, a *Actor, t tagRef, cache map[string]int64) (int64, *fieldError) {
	key := strings.ToLower(t.name)
	if id, ok := cache[key]; ok {
		return id, nil
	}
	if fe := s.checkTagName(a, t.name); fe != nil {
		return 0, fe
	}
	return s.findOrCreateTag(ctx, q, a, t, cache)
}

// findOrCreateTag is ensureTag without the tag policy, for copies of
// events written elsewhere.
func (s *Store) findOrCreateTag(ctx context.Context, q querier, a *Actor, t tagRef, cache map[string]int64) (int64, *fieldError) {
	key := strings.ToLower(t.name)
	if id, ok := cache[key]; ok {
		return id, nil
	}
	var id int64
	err := q.QueryRowContext(ctx, s.Rebind(`SELECT id FROM tags WHERE lower(name) = ?`), key).Scan(&id)
	if err == nil {
		cache[key] = id
		return id, nil
	}
	if !a.Role.Has("perm_tag_editor") && !a.Role.Has("perm_sync") {
		return 0, ferr("name", "tag %q does not exist and your role may not create tags", t.name)
	}
	if len(t.name) > 255 {
		return 0, ferr("name", "tag names are at most 255 characters")
	}
	colour := t.colour
	if !validColour(colour) {
		colour = TagColour(t.name)
	}
	id, err = s.insertID(ctx, q, `INSERT INTO tags (name, colour, exportable, is_galaxy) VALUES (?, ?, 1, ?)`,
		t.name, colour, t.galaxy || strings.HasPrefix(t.name, "misp-galaxy:"))
	if err != nil {
		return 0, ferr("name", "could not create tag: %v", err)
	}
	cache[key] = id
	return id, nil
}

// TagColour derives a stable colour from a tag name, for tags created
// without one.
func TagColour(name string) string {
	var h uint32 = 2166136261
	for i := 0; i < len(name); i++ {
		h = (h ^ uint32(name[i])) * 16777619
	}
	return fmt.Sprintf("#%06x", h&0xffffff)
}
