package api

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/store"
)

func (s *Server) getVersion(q *request) (any, error) {
	a := q.actor
	uuid := "-"
	if a.Sync() || a.SiteAdmin() {
		uuid, _ = s.st.Setting(q.ctx(), "instance_uuid")
	}
	return map[string]any{
		"version": Version, "pymisp_recommended_version": Version, "cairn_version": s.cfg.CairnVersion,
		"perm_sync": a.Role.Has("perm_sync"), "perm_sighting": a.Role.Has("perm_sighting"),
		"perm_galaxy_editor": a.Role.Has("perm_galaxy_editor"), "perm_analyst_data": a.Role.Has("perm_analyst_data"),
		"uuid": uuid, "request_encoding": []string{"gzip"}, "filter_sightings": true,
	}, nil
}

func (s *Server) getPyMISPVersion(q *request) (any, error) {
	return map[string]any{"version": Version}, nil
}

func (s *Server) describeTypes(q *request) (any, error) {
	return map[string]json.RawMessage{"result": misp.DescribeTypes()}, nil
}

func (s *Server) rolesIndex(q *request) (any, error) {
	roles, err := s.st.Roles(q.ctx())
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(roles))
	for _, r := range roles {
		out = append(out, map[string]any{"Role": roleJSON(r)})
	}
	return out, nil
}

// viewUser answers users/view/me and users/view/{id}.
func (s *Server) viewUser(q *request) (any, error) {
	ref := q.arg(0)
	if ref == "" || ref == "me" {
		return s.userDocument(q, q.actor.User.ID)
	}
	id, ok := parseID(ref)
	if !ok {
		return nil, notFound("Invalid user")
	}
	if err := s.mayManageUser(q, id); err != nil {
		return nil, err
	}
	return s.userDocument(q, id)
}

// userDocument is the {User, Role, UserSetting, Organisation} answer.
func (s *Server) userDocument(q *request, id int64) (any, error) {
	a, err := s.st.ActorForUser(q.ctx(), id)
	if err != nil {
		return nil, err
	}
	return map[string]any{"User": userJSON(a.User), "Role": roleJSON(a.Role), "UserSetting": []any{},
		"Organisation": orgJSON(a.Org)}, nil
}

// mayManageUser lets site admins manage anyone and org admins the users of
// their own organisation.
func (s *Server) mayManageUser(q *request, id int64) error {
	a := q.actor
	if a.SiteAdmin() || a.User.ID == id {
		return nil
	}
	if !a.Role.Has("perm_admin") {
		return errForbidden
	}
	u, err := s.st.UserByID(q.ctx(), id)
	if err != nil {
		return err
	}
	if u.OrgID != a.Org.ID {
		return notFound("Invalid user")
	}
	return nil
}

var errForbidden = &httpError{status: http.StatusForbidden, msg: "You do not have permission to do that."}

func requireSiteAdmin(a *store.Actor) error {
	if !a.SiteAdmin() {
		return errForbidden
	}
	return nil
}

func requireWrite(a *store.Actor) error {
	if a.ReadOnly {
		return &httpError{status: http.StatusForbidden, msg: "This API key is read-only."}
	}
	return nil
}

// flag reads a 0/1 named parameter or body field.
func flag(v string) bool {
	b, err := strconv.ParseBool(v)
	return err == nil && b
}
