package api

import (
	"net/http"

	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/store"
)

func (s *Server) orgsIndex(q *request) (any, error) {
	orgs, err := s.st.Orgs(q.ctx(), q.namedValue("scope"), q.namedValue("searchall"))
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(orgs))
	for _, o := range orgs {
		out = append(out, map[string]any{"Organisation": orgJSON(o)})
	}
	return out, nil
}

func (s *Server) orgView(q *request) (any, error) {
	o, err := s.st.OrgByRef(q.ctx(), q.arg(0))
	if err != nil || q.r.Method == http.MethodHead {
		return nil, err
	}
	return map[string]any{"Organisation": orgJSON(o)}, nil
}

// orgInput is the body of admin/organisations/add and edit.
type orgInput struct {
	Name               *misp.String `json:"name"`
	UUID               *string      `json:"uuid"`
	Local              *misp.Bool   `json:"local"`
	Description        *misp.String `json:"description"`
	Type               *misp.String `json:"type"`
	Nationality        *misp.String `json:"nationality"`
	Sector             *misp.String `json:"sector"`
	Contacts           *misp.String `json:"contacts"`
	LandingPage        *misp.String `json:"landingpage"`
	RestrictedToDomain []string     `json:"restricted_to_domain"`
}

func (in orgInput) apply(o *store.Org) {
	set := func(dst *string, v *misp.String) {
		if v != nil {
			*dst = string(*v)
		}
	}
	set(&o.Name, in.Name)
	set(&o.Description, in.Description)
	set(&o.Type, in.Type)
	set(&o.Nationality, in.Nationality)
	set(&o.Sector, in.Sector)
	set(&o.Contacts, in.Contacts)
	set(&o.LandingPage, in.LandingPage)
	if in.Local != nil {
		o.Local = bool(*in.Local)
	}
	if in.RestrictedToDomain != nil {
		o.RestrictedToDomain = in.RestrictedToDomain
	}
}

func (s *Server) orgAdd(q *request) (any, error) {
	if err := requireSiteAdmin(q.actor); err != nil {
		return nil, err
	}
	var in orgInput
	if err := decode(q.body, "Organisation", &in); err != nil {
		return nil, err
	}
	o := store.Org{Local: true, CreatedBy: q.actor.User.ID}
	in.apply(&o)
	if in.UUID != nil {
		o.UUID = *in.UUID
	}
	o, err := s.st.CreateOrg(q.ctx(), o)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Organisation": orgJSON(o)}, nil
}

func (s *Server) orgEdit(q *request) (any, error) {
	if err := requireSiteAdmin(q.actor); err != nil {
		return nil, err
	}
	o, err := s.st.OrgByRef(q.ctx(), q.arg(0))
	if err != nil {
		return nil, err
	}
	var in orgInput
	if err := decode(q.body, "Organisation", &in); err != nil {
		return nil, err
	}
	in.apply(&o)
	o, err = s.st.UpdateOrg(q.ctx(), o)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Organisation": orgJSON(o)}, nil
}

func (s *Server) orgDelete(q *request) (any, error) {
	if err := requireSiteAdmin(q.actor); err != nil {
		return nil, err
	}
	o, err := s.st.OrgByRef(q.ctx(), q.arg(0))
	if err != nil {
		return nil, err
	}
	if o.ID == q.actor.Org.ID {
		return nil, &httpError{status: http.StatusForbidden, msg: "You cannot delete your own organisation."}
	}
	if err := s.st.DeleteOrg(q.ctx(), o.ID); err != nil {
		return nil, err
	}
	return success("Organisation deleted", q.path+"/"+q.arg(0), o.ID), nil
}
