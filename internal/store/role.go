package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
)

// PermNames lists MISP's role permission flags in the order MISP shows them.
var PermNames = []string{
	"perm_add", "perm_modify", "perm_modify_org", "perm_publish", "perm_delegate",
	"perm_sync", "perm_admin", "perm_audit", "perm_full", "perm_auth", "perm_site_admin",
	"perm_regexp_access", "perm_tagger", "perm_template", "perm_sharing_group",
	"perm_tag_editor", "perm_sighting", "perm_object_template", "perm_publish_zmq",
	"perm_publish_kafka", "perm_decaying", "perm_galaxy_editor", "perm_warninglist",
	"perm_view_feed_correlations", "perm_analyst_data", "perm_skip_otp",
}

// Role is a named set of permissions.
type Role struct {
	ID      int64
	Name    string
	Perms   map[string]bool
	Default bool
}

// Has reports whether the role grants perm; site admins hold every permission.
func (r Role) Has(perm string) bool {
	return r.Perms[perm] || r.Perms["perm_site_admin"]
}

// defaultRoles are MISP's six shipped roles, with its ids.
func defaultRoles() []Role {
	all := map[string]bool{}
	for _, p := range PermNames {
		all[p] = true
	}
	set := func(perms ...string) map[string]bool {
		m := map[string]bool{}
		for _, p := range perms {
			m[p] = true
		}
		return m
	}
	user := []string{"perm_add", "perm_modify", "perm_auth", "perm_tagger", "perm_sighting",
		"perm_analyst_data"}
	return []Role{
		{ID: 1, Name: "admin", Perms: all},
		{ID: 2, Name: "Org Admin", Perms: set(append(user, "perm_modify_org", "perm_publish",
			"perm_delegate", "perm_admin", "perm_audit", "perm_template", "perm_sharing_group",
			"perm_tag_editor", "perm_publish_zmq", "perm_publish_kafka", "perm_decaying",
			"perm_galaxy_editor", "perm_object_template", "perm_warninglist")...)},
		{ID: 3, Name: "User", Perms: set(user...), Default: true},
		{ID: 4, Name: "Publisher", Perms: set(append(user, "perm_modify_org", "perm_publish",
			"perm_delegate", "perm_publish_zmq", "perm_publish_kafka")...)},
		{ID: 5, Name: "Sync user", Perms: set(append(user, "perm_modify_org", "perm_publish",
			"perm_delegate", "perm_sync", "perm_sharing_group", "perm_tag_editor",
			"perm_galaxy_editor")...)},
		{ID: 6, Name: "Read Only", Perms: set("perm_auth", "perm_audit")},
	}
}

// ensureRoles inserts the default roles into an empty roles table.
func (s *Store) ensureRoles(ctx context.Context, tx *sql.Tx) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM roles`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	for _, r := range defaultRoles() {
		perms, err := json.Marshal(r.Perms)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.Rebind(`INSERT INTO roles (id, name, perms, default_role) VALUES (?, ?, ?, ?)`),
			r.ID, r.Name, string(perms), boolInt(r.Default)); err != nil {
			return fmt.Errorf("insert role %s: %w", r.Name, err)
		}
	}
	return nil
}

// Roles lists every role by id.
func (s *Store) Roles(ctx context.Context) ([]Role, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+roleColumns+` FROM roles r ORDER BY r.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Role
	for rows.Next() {
		r, err := scanRole(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// roleColumns are the columns scanRole reads, of the roles table aliased r.
const roleColumns = `r.id, r.name, r.perms, r.default_role`

func scanRole(row rowScanner) (Role, error) {
	var r Role
	var perms string
	if err := row.Scan(&r.ID, &r.Name, &perms, &r.Default); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(perms), &r.Perms); err != nil {
		return r, fmt.Errorf("role %d perms: %w", r.ID, err)
	}
	return r, nil
}

// RoleByID returns one role.
func (s *Store) RoleByID(ctx context.Context, id int64) (Role, error) {
	roles, err := s.Roles(ctx)
	if err != nil {
		return Role{}, err
	}
	for _, r := range roles {
		if r.ID == id {
			return r, nil
		}
	}
	return Role{}, notFoundf("role %d", id)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
