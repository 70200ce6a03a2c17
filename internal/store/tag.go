package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
)

// Tags lists tags whose name matches the pattern (SQL LIKE, case-insensitive;
// "" for all), with the number of events and attributes carrying each that
// the actor may see: counts go through the access filter like every read.
func (s *Store) Tags(ctx context.Context, a *Actor, pattern string) ([]TagStat, error) {
	eacc, eargs := a.EventAccess("e")
	aacc, aargs := a.AttributeAccess("ca", "e")
	q := `SELECT ` + tagColumns + `,
		(SELECT COUNT(*) FROM event_tags et JOIN events e ON e.id = et.event_id WHERE et.tag_id = t.id AND ` + eacc + `),
		(SELECT COUNT(*) FROM attribute_tags at JOIN attributes ca ON ca.id = at.attribute_id
			JOIN events e ON e.id = ca.event_id WHERE at.tag_id = t.id AND ca.deleted = 0 AND ` + aacc + `)
		FROM tags t`
	where, wargs := s.tagPattern(pattern)
	args := append(append(append([]any{}, eargs...), aargs...), wargs...)
	return queryAll(ctx, s, s.Rebind(q+where+` ORDER BY lower(t.name)`), args, func(r rowScanner) (TagStat, error) {
		var ts TagStat
		t, err := scanTag(r, &ts.Count, &ts.AttributeCount)
		ts.Tag = t
		return ts, err
	})
}

// TagNames lists the tags whose names match the pattern, without counts.
func (s *Store) TagNames(ctx context.Context, pattern string) ([]Tag, error) {
	where, args := s.tagPattern(pattern)
	return queryAll(ctx, s, s.Rebind(`SELECT `+tagColumns+` FROM tags t`+where+` ORDER BY lower(t.name)`), args,
		func(r rowScanner) (Tag, error) { return scanTag(r) })
}

// tagPattern is the WHERE clause of a case-insensitive LIKE pattern on tag
// names; "" matches every tag.
func (s *Store) tagPattern(pattern string) (string, []any) {
	if pattern == "" {
		return "", nil
	}
	return ` WHERE ` + s.likeLower("lower(t.name)"), []any{strings.ToLower(pattern)}
}

// TagStat is a tag with the number of events and attributes carrying it.
type TagStat struct {
	Tag
	Count          int64 `json:"count"`
	AttributeCount int64 `json:"attribute_count"`
}

// TagByRef finds a tag by id or name.
func (s *Store) TagByRef(ctx context.Context, ref string) (Tag, error) {
	ref = strings.TrimSpace(ref)
	where, arg := `lower(t.name) = ?`, any(strings.ToLower(ref))
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		where, arg = `t.id = ?`, id
	}
	t, err := scanTag(s.db.QueryRowContext(ctx, s.Rebind(`SELECT `+tagColumns+` FROM tags t WHERE `+where), arg))
	if errors.Is(err, sql.ErrNoRows) {
		return t, notFoundf("tag %q", ref)
	}
	return t, err
}

// SaveTag creates a tag (returning the existing one of the same name) or,
// with t.ID set, updates it. A name in the namespace of an enabled taxonomy
// must be one the taxonomy defines (see SetTagPolicy).
func (s *Store) SaveTag(ctx context.Context, a *Actor, t Tag) (Tag, error) {
	if err := a.canWrite("perm_tag_editor"); err != nil {
		return t, err
	}
	t.Name = strings.TrimSpace(t.Name)
	if t.Name == "" || len(t.Name) > 255 {
		return t, invalidf("tag name must be 1 to 255 characters")
	}
	if t.Colour == "" {
		t.Colour = TagColour(t.Name)
	}
	if !validColour(t.Colour) {
		return t, invalidf("colour %q is not of the form #rrggbb", t.Colour)
	}
	if fe := s.checkTagName(a, t.Name); fe != nil {
		return t, tagRefusal(fe)
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var existing int64
		err := tx.QueryRowContext(ctx, s.Rebind(`SELECT id FROM tags WHERE lower(name) = ?`), strings.ToLower(t.Name)).Scan(&existing)
		switch {
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		case t.ID == 0 && existing != 0:
			t.ID = existing
			return nil
		case t.ID != 0 && existing != 0 && existing != t.ID:
			return invalidf("another tag is named %q", t.Name)
		case t.ID == 0:
			t.ID, err = s.insertID(ctx, tx, `INSERT INTO tags (name, colour, exportable, org_id, user_id, hide_tag,
				numerical_value, is_galaxy, local_only) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				t.Name, t.Colour, t.Exportable, t.OrgID, t.UserID, t.HideTag, t.NumericalValue,
				strings.HasPrefix(t.Name, "misp-galaxy:"), t.LocalOnly)
			return err
		}
		res, err := tx.ExecContext(ctx, s.Rebind(`UPDATE tags SET name = ?, colour = ?, exportable = ?, org_id = ?,
			user_id = ?, hide_tag = ?, numerical_value = ?, local_only = ? WHERE id = ?`),
			t.Name, t.Colour, t.Exportable, t.OrgID, t.UserID, t.HideTag, t.NumericalValue, t.LocalOnly, t.ID)
		return mustAffect(res, err, "tag")
	})
	if err != nil {
		return t, err
	}
	return s.TagByRef(ctx, strconv.FormatInt(t.ID, 10))
}

func validColour(c string) bool {
	if len(c) != 7 || c[0] != '#' {
		return false
	}
	_, err := strconv.ParseUint(c[1:], 16, 32)
	return err == nil
}

// DeleteTag removes a tag and its attachments.
func (s *Store) DeleteTag(ctx context.Context, a *Actor, id int64) error {
	if err := a.canWrite("perm_tag_editor"); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM event_tags WHERE tag_id = ?`, `DELETE FROM attribute_tags WHERE tag_id = ?`} {
			if _, err := tx.ExecContext(ctx, s.Rebind(q), id); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, s.Rebind(`DELETE FROM tags WHERE id = ?`), id)
		return mustAffect(res, err, "tag")
	})
}

// TagEvent attaches (or with remove, detaches) a tag to an event or to an
// attribute, named by id or uuid. A global tag change unpublishes the event.
func (s *Store) TagEvent(ctx context.Context, a *Actor, target string, isAttribute bool, tagRef string, local, remove bool) error {
	if !a.Role.Has("perm_tagger") && !a.Sync() {
		return errNoPermission
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		eventRef, attrID := target, int64(0)
		if isAttribute {
			at, err := s.AttributeByRef(ctx, a, target, DeletedExclude)
			if err != nil {
				return err
			}
			eventRef, attrID = itoa(at.EventID), at.ID
		}
		e, err := s.editableEvent(ctx, tx, a, eventRef)
		if err != nil {
			return err
		}
		tag, err := s.tagForAttach(ctx, tx, a, tagRef, remove)
		if err != nil {
			return err
		}
		if tag.LocalOnly && !local && !remove {
			return invalidf("tag %q may only be attached locally", tag.Name)
		}
		if !remove {
			if err := s.checkAttach(ctx, tx, a, e.id, attrID, tag.Name); err != nil {
				return err
			}
		}
		var res sql.Result
		switch {
		case remove && isAttribute:
			res, err = tx.ExecContext(ctx, s.Rebind(`DELETE FROM attribute_tags WHERE attribute_id = ? AND tag_id = ?`), attrID, tag.ID)
		case remove:
			res, err = tx.ExecContext(ctx, s.Rebind(`DELETE FROM event_tags WHERE event_id = ? AND tag_id = ?`), e.id, tag.ID)
		case isAttribute:
			res, err = tx.ExecContext(ctx, s.Rebind(`INSERT INTO attribute_tags (attribute_id, event_id, tag_id, local)
				VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`), attrID, e.id, tag.ID, local)
		default:
			res, err = tx.ExecContext(ctx, s.Rebind(`INSERT INTO event_tags (event_id, tag_id, local)
				VALUES (?, ?, ?) ON CONFLICT DO NOTHING`), e.id, tag.ID, local)
		}
		if err := mustAffect(res, err, "tag attachment"); err != nil {
			if errors.Is(err, ErrNotFound) && !remove {
				return invalidf("tag %q is already attached", tag.Name)
			}
			return err
		}
		if local {
			return nil
		}
		return s.touchEvent(ctx, tx, e.id)
	})
}

// checkAttach applies the tag policy to one tag about to be attached to an
// event (attributeID 0) or an attribute.
func (s *Store) checkAttach(ctx context.Context, q querier, a *Actor, eventID, attributeID int64, name string) error {
	if fe := s.checkTagName(a, name); fe != nil {
		return tagRefusal(fe)
	}
	prior, err := s.attachedTagNames(ctx, q, a, eventID, attributeID)
	if err != nil {
		return err
	}
	if fe := s.checkExclusive(a, prior, name); fe != nil {
		return tagRefusal(fe)
	}
	return nil
}

// TagIDsMatchingAny returns the ids of the tags matching any of the tag
// filter terms: a number is a tag id, a term holding % a case-insensitive
// name pattern, anything else a name in any case. The ids and names go in
// one statement (a search may name thousands), each pattern in its own.
func (s *Store) TagIDsMatchingAny(ctx context.Context, terms []string) ([]int64, error) {
	var ids []int64
	var names []string
	var out []int64
	for _, term := range terms {
		term = strings.TrimSpace(term)
		if id, err := strconv.ParseInt(term, 10, 64); err == nil {
			ids = append(ids, id)
		} else if strings.Contains(term, "%") {
			rows, err := s.db.QueryContext(ctx, s.Rebind(`SELECT id FROM tags WHERE `+s.likeLower("lower(name)")),
				strings.ToLower(term))
			if err != nil {
				return nil, err
			}
			found, err := scanIDs(rows)
			if err != nil {
				return nil, err
			}
			out = append(out, found...)
		} else {
			names = append(names, strings.ToLower(term))
		}
	}
	if len(ids) > 0 || len(names) > 0 {
		c := Or(s.InInts("id", ids), s.InStrings("lower(name)", names))
		rows, err := s.db.QueryContext(ctx, s.Rebind(`SELECT id FROM tags WHERE `+c.SQL), c.Args...)
		if err != nil {
			return nil, err
		}
		found, err := scanIDs(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, found...)
	}
	return out, nil
}

// tagForAttach finds the tag to attach or detach; a tag named for attaching
// that does not exist yet is created when the actor may create tags (and
// the taxonomy policy allows the name), as MISP's addTag does.
func (s *Store) tagForAttach(ctx context.Context, tx *sql.Tx, a *Actor, ref string, remove bool) (Tag, error) {
	tag, err := s.TagByRef(ctx, ref)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return tag, err
	}
	if _, numeric := strconv.ParseInt(strings.TrimSpace(ref), 10, 64); numeric == nil || remove {
		return tag, notFoundf("tag %q does not exist", ref)
	}
	id, fe := s.ensureTag(ctx, tx, a, tagRef{name: strings.TrimSpace(ref)}, map[string]int64{})
	if fe != nil {
		return tag, invalidf("%s", fe.reason)
	}
	tag, err = scanTag(tx.QueryRowContext(ctx, s.Rebind(`SELECT `+tagColumns+` FROM tags t WHERE t.id = ?`), id))
	return tag, err
}
