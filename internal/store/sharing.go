package store

import (
	"context"
	"database/sql"
	"errors"
)

// SharingGroup is a sharing group with its member organisations.
type SharingGroup struct {
	ID            int64
	UUID          string
	Name          string
	Description   string
	Releasability string
	OrgID         int64
	Active        bool
	Roaming       bool
	Created       int64
	Modified      int64
	Orgs          []SharingGroupOrg
	AllOrgs       bool // every organisation of this instance is a member
}

// SharingGroupOrg is one member organisation.
type SharingGroupOrg struct {
	OrgID  int64
	Name   string
	UUID   string
	Extend bool
}

// SharingGroups lists the sharing groups the actor may use.
func (s *Store) SharingGroups(ctx context.Context, a *Actor) ([]SharingGroup, error) {
	var out []SharingGroup
	for _, id := range a.SharingGroups {
		sg, err := s.sharingGroup(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, sg)
	}
	return out, nil
}

// SharingGroupByRef returns a sharing group the actor may use, by id or uuid.
func (s *Store) SharingGroupByRef(ctx context.Context, a *Actor, ref string) (SharingGroup, error) {
	var id int64
	byRef := RefCond("", ref)
	err := s.db.QueryRowContext(ctx, s.Rebind(`SELECT id FROM sharing_groups WHERE `+byRef.SQL), byRef.Args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.CanUseSharingGroup(id)) {
		return SharingGroup{}, notFoundf("sharing group %q", ref)
	}
	if err != nil {
		return SharingGroup{}, err
	}
	return s.sharingGroup(ctx, id)
}

func (s *Store) sharingGroup(ctx context.Context, id int64) (SharingGroup, error) {
	var sg SharingGroup
	err := s.db.QueryRowContext(ctx, s.Rebind(`SELECT id, uuid, name, description, releasability, org_id, active,
		roaming, created, modified, EXISTS (SELECT 1 FROM sharing_group_servers v WHERE v.sharing_group_id = sharing_groups.id
		AND v.server_id = 0 AND v.all_orgs = 1) FROM sharing_groups WHERE id = ?`), id).Scan(&sg.ID, &sg.UUID, &sg.Name,
		&sg.Description, &sg.Releasability, &sg.OrgID, &sg.Active, &sg.Roaming, &sg.Created, &sg.Modified, &sg.AllOrgs)
	if errors.Is(err, sql.ErrNoRows) {
		return sg, notFoundf("sharing group %d", id)
	}
	if err != nil {
		return sg, err
	}
	rows, err := s.db.QueryContext(ctx, s.Rebind(`SELECT o.id, o.name, o.uuid, m.extend FROM sharing_group_orgs m
		JOIN organisations o ON o.id = m.org_id WHERE m.sharing_group_id = ? ORDER BY o.id`), id)
	if err != nil {
		return sg, err
	}
	defer rows.Close()
	for rows.Next() {
		var m SharingGroupOrg
		if err := rows.Scan(&m.OrgID, &m.Name, &m.UUID, &m.Extend); err != nil {
			return sg, err
		}
		sg.Orgs = append(sg.Orgs, m)
	}
	return sg, rows.Err()
}

// canEditSharingGroup: site admins, and members with the extend right.
func (a *Actor) canEditSharingGroup(sg SharingGroup) bool {
	if a.ReadOnly || !a.Role.Has("perm_sharing_group") {
		return false
	}
	if a.SiteAdmin() || sg.OrgID == a.Org.ID {
		return true
	}
	for _, m := range sg.Orgs {
		if m.OrgID == a.Org.ID && m.Extend {
			return true
		}
	}
	return false
}

// SetSharingGroupOrg adds (or with remove, removes) a member organisation.
func (s *Store) SetSharingGroupOrg(ctx context.Context, a *Actor, sgRef, orgRef string, extend, remove bool) error {
	sg, err := s.SharingGroupByRef(ctx, a, sgRef)
	if err != nil {
		return err
	}
	if !a.canEditSharingGroup(sg) {
		return errNoPermission
	}
	org, err := s.OrgByRef(ctx, orgRef)
	if err != nil {
		return err
	}
	if remove && org.ID == sg.OrgID {
		return invalidf("the owner organisation cannot leave its sharing group")
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		q := `INSERT INTO sharing_group_orgs (sharing_group_id, org_id, extend) VALUES (?, ?, ?)
			ON CONFLICT (sharing_group_id, org_id) DO UPDATE SET extend = excluded.extend`
		args := []any{sg.ID, org.ID, extend}
		if remove {
			q, args = `DELETE FROM sharing_group_orgs WHERE sharing_group_id = ? AND org_id = ?`, []any{sg.ID, org.ID}
		}
		if _, err := tx.ExecContext(ctx, s.Rebind(q), args...); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.Rebind(`UPDATE sharing_groups SET modified = ? WHERE id = ?`), s.now().Unix(), sg.ID)
		return err
	})
}

// DeleteSharingGroup removes a sharing group that no event or item uses.
func (s *Store) DeleteSharingGroup(ctx context.Context, a *Actor, ref string) error {
	sg, err := s.SharingGroupByRef(ctx, a, ref)
	if err != nil {
		return err
	}
	if !a.SiteAdmin() && (sg.OrgID != a.Org.ID || !a.canEditSharingGroup(sg)) {
		return errNoPermission
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		var used int
		if err := tx.QueryRowContext(ctx, s.Rebind(`SELECT (SELECT COUNT(*) FROM events WHERE sharing_group_id = ?)
			+ (SELECT COUNT(*) FROM attributes WHERE sharing_group_id = ?)
			+ (SELECT COUNT(*) FROM objects WHERE sharing_group_id = ?)`), sg.ID, sg.ID, sg.ID).Scan(&used); err != nil {
			return err
		}
		if used > 0 {
			return invalidf("the sharing group is used by %d events or items", used)
		}
		_, err := tx.ExecContext(ctx, s.Rebind(`DELETE FROM sharing_groups WHERE id = ?`), sg.ID)
		return err
	})
}
