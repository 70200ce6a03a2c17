package store

import (
	"context"
	"strconv"
	"strings"
)

// Actor is who a request speaks for: a user with its organisation, role and
// the sharing groups its organisation may use. Every read and write takes one.
type Actor struct {
	User     User
	Org      Org
	Role     Role
	KeyID    int64
	ReadOnly bool // the key is read-only
	// SharingGroups are the ids of the active sharing groups the actor's
	// organisation belongs to (or that include every organisation of this
	// instance); for a site admin, every active sharing group.
	SharingGroups []int64
}

// SiteAdmin reports whether the actor sees and may change everything.
func (a *Actor) SiteAdmin() bool { return a.Role.Perms["perm_site_admin"] }

// Sync reports whether the actor is a sync user.
func (a *Actor) Sync() bool { return a.Role.Has("perm_sync") }

// CanUseSharingGroup reports whether the actor may see and assign sg: it
// must exist, be active, and (but for site admins) include the actor's
// organisation.
func (a *Actor) CanUseSharingGroup(sg int64) bool {
	for _, id := range a.SharingGroups {
		if id == sg {
			return true
		}
	}
	return false
}

// ActorForUser loads the actor of a user.
func (s *Store) ActorForUser(ctx context.Context, userID int64) (*Actor, error) {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	org, err := s.orgByRef(ctx, s.db, itoa(u.OrgID))
	if err != nil {
		return nil, err
	}
	role, err := s.RoleByID(ctx, u.RoleID)
	if err != nil {
		return nil, err
	}
	sgs, err := s.usableSharingGroups(ctx, u.OrgID, role.Perms["perm_site_admin"])
	if err != nil {
		return nil, err
	}
	return &Actor{User: u, Org: org, Role: role, SharingGroups: sgs}, nil
}

func (s *Store) usableSharingGroups(ctx context.Context, orgID int64, siteAdmin bool) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, s.Rebind(`SELECT id FROM sharing_groups sg WHERE sg.active = 1 AND (
		? OR sg.org_id = ?
		OR EXISTS (SELECT 1 FROM sharing_group_orgs o WHERE o.sharing_group_id = sg.id AND o.org_id = ?)
		OR EXISTS (SELECT 1 FROM sharing_group_servers v WHERE v.sharing_group_id = sg.id
			AND v.server_id = 0 AND v.all_orgs = 1)) ORDER BY id`), siteAdmin, orgID, orgID)
	if err != nil {
		return nil, err
	}
	return scanIDs(rows)
}

// The access filter. These functions are the only place that decides what an
// actor may see: every read of events, attributes, objects, reports, tags on
// them and sightings goes through them, in SQL, so that paging and counts
// are computed over visible rows only.
//
// An event is visible to its owner organisation, to everyone on the
// instance at distribution 1-3, and at distribution 4 to the members of its
// sharing group. An item inside a visible event (attribute, object, report)
// is visible to the event's owner organisation always, and to others when
// its own distribution is 1-3 or 5 (inherit), or 4 with a sharing group they
// belong to; an attribute inside an object needs its object visible too.
// Site administrators see everything.

// EventAccess returns the SQL condition under which the actor may see the
// event aliased e.
func (a *Actor) EventAccess(e string) (string, []any) {
	return a.distributionAccess(e, e, "1,2,3")
}

// ItemAccess returns the SQL condition under which the actor may see the
// item aliased item (an attribute, object or event report) of the event
// aliased e, the event itself being visible.
func (a *Actor) ItemAccess(item, e string) (string, []any) {
	return a.distributionAccess(item, e, "1,2,3,5")
}

// distributionAccess is the rule both share: the owner organisation of the
// event sees the row, others see it at an open distribution or through a
// sharing group of theirs.
func (a *Actor) distributionAccess(row, e, open string) (string, []any) {
	if a.SiteAdmin() {
		return "1=1", nil
	}
	cond := "(" + e + ".org_id = ? OR " + row + ".distribution IN (" + open + ")"
	args := []any{a.Org.ID}
	if len(a.SharingGroups) > 0 {
		cond += " OR (" + row + ".distribution = 4 AND " + row + ".sharing_group_id IN (" +
			placeholders(len(a.SharingGroups)) + "))"
		args = append(args, int64Args(a.SharingGroups)...)
	}
	return cond + ")", args
}

// AttributeAccess returns the full condition for an attribute aliased at of
// the event aliased e: event visible, attribute visible, and its object (if
// any) visible.
func (a *Actor) AttributeAccess(at, e string) (string, []any) {
	if a.SiteAdmin() {
		return "1=1", nil
	}
	ec, eargs := a.EventAccess(e)
	ic, iargs := a.ItemAccess(at, e)
	oc, oargs := a.ItemAccess("ao", e)
	cond := strings.Join([]string{ec, ic,
		"(" + at + ".object_id = 0 OR EXISTS (SELECT 1 FROM objects ao WHERE ao.id = " + at + ".object_id AND " + oc + "))"},
		" AND ")
	args := append(append(eargs, iargs...), oargs...)
	return cond, args
}

// SeesDeleted reports whether the actor may see soft-deleted items of an
// event owned by orgID.
func (a *Actor) SeesDeleted(orgID int64) bool {
	return a.SiteAdmin() || a.Sync() || a.Org.ID == orgID
}

// DeletedAccess returns the condition under which soft-deleted rows of the
// item aliased item in the event aliased e may be shown to the actor.
func (a *Actor) DeletedAccess(item, e string) (string, []any) {
	if a.SiteAdmin() || a.Sync() {
		return "1=1", nil
	}
	return "(" + item + ".deleted = 0 OR " + e + ".org_id = ?)", []any{a.Org.ID}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
