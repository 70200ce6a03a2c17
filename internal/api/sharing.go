package api

import (
	"encoding/json"
	"fmt"

	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/store"
)

func sharingGroupJSON(sg store.SharingGroup, a *store.Actor) map[string]any {
	orgs := make([]map[string]any, 0, len(sg.Orgs))
	for _, m := range sg.Orgs {
		orgs = append(orgs, map[string]any{"sharing_group_id": itoa(sg.ID), "org_id": itoa(m.OrgID), "extend": m.Extend,
			"Organisation": map[string]any{"id": itoa(m.OrgID), "name": m.Name, "uuid": m.UUID}})
	}
	servers := []map[string]any{{"sharing_group_id": itoa(sg.ID), "server_id": "0", "all_orgs": sg.AllOrgs,
		"Server": map[string]any{"id": "0", "name": "Local instance"}}}
	owner := map[string]any{"id": itoa(sg.OrgID)}
	for _, m := range sg.Orgs {
		if m.OrgID == sg.OrgID {
			owner["name"], owner["uuid"] = m.Name, m.UUID
		}
	}
	return map[string]any{
		"SharingGroup": map[string]any{"id": itoa(sg.ID), "uuid": sg.UUID, "name": sg.Name, "description": sg.Description,
			"releasability": sg.Releasability, "org_id": itoa(sg.OrgID), "active": sg.Active, "roaming": sg.Roaming,
			"local": true, "created": itoa(sg.Created), "modified": itoa(sg.Modified)},
		"Organisation": owner, "SharingGroupOrg": orgs, "SharingGroupServer": servers,
		"editable": a.SiteAdmin() || sg.OrgID == a.Org.ID, "deletable": a.SiteAdmin() || sg.OrgID == a.Org.ID,
	}
}

func (s *Server) sharingGroupsIndex(q *request) (any, error) {
	groups, err := s.st.SharingGroups(q.ctx(), q.actor)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(groups))
	for _, sg := range groups {
		out = append(out, sharingGroupJSON(sg, q.actor))
	}
	return map[string]any{"response": out}, nil
}

func (s *Server) sharingGroupView(q *request) (any, error) {
	sg, err := s.st.SharingGroupByRef(q.ctx(), q.actor, q.arg(0))
	if err != nil {
		return nil, err
	}
	return sharingGroupJSON(sg, q.actor), nil
}

func (s *Server) sharingGroupAdd(q *request) (any, error) {
	var in struct {
		UUID          string      `json:"uuid"`
		Name          misp.String `json:"name"`
		Description   misp.String `json:"description"`
		Releasability misp.String `json:"releasability"`
	}
	// MISP's full form puts the members beside the group:
	// {"SharingGroup": {...}, "SharingGroupOrganisation": [{"org_id": ...}]}
	// (or "SharingGroupOrg", as answers name them).
	type member struct {
		OrgID misp.String `json:"org_id"`
		Org   struct {
			UUID string `json:"uuid"`
		} `json:"Organisation"`
	}
	var full struct {
		SharingGroup json.RawMessage `json:"SharingGroup"`
		Members      []member        `json:"SharingGroupOrganisation"`
		Orgs         []member        `json:"SharingGroupOrg"`
	}
	body := q.body
	if json.Unmarshal(q.body, &full) == nil && len(full.SharingGroup) > 0 {
		body = full.SharingGroup
	}
	if err := decode(body, "SharingGroup", &in); err != nil {
		return nil, err
	}
	var orgIDs []int64
	for i, m := range append(full.Members, full.Orgs...) {
		o, err := s.st.OrgByRef(q.ctx(), firstNonEmpty(string(m.OrgID), m.Org.UUID))
		if err != nil {
			return nil, badRequest(fmt.Sprintf("SharingGroupOrganisation[%d]: no such organisation %q", i,
				firstNonEmpty(string(m.OrgID), m.Org.UUID)))
		}
		orgIDs = append(orgIDs, o.ID)
	}
	id, err := s.st.CreateSharingGroup(q.ctx(), q.actor, store.SharingGroupInput{UUID: in.UUID, Name: string(in.Name),
		Description: string(in.Description), Releasability: string(in.Releasability), OrgIDs: orgIDs})
	if err != nil {
		return nil, err
	}
	a, err := s.st.ActorForUser(q.ctx(), q.actor.User.ID) // the new group is now one of the actor's
	if err != nil {
		return nil, err
	}
	sg, err := s.st.SharingGroupByRef(q.ctx(), a, itoa(id))
	if err != nil {
		return nil, err
	}
	return sharingGroupJSON(sg, a), nil
}

// sharingGroupOrg answers addOrg/{sg}/{org} and removeOrg/{sg}/{org}, or the
// body form {sg_id, org_id, extend} that PyMISP sends.
func (s *Server) sharingGroupOrg(q *request, remove bool) (any, error) {
	sg, org := q.arg(0), q.arg(1)
	var body struct {
		SG     misp.String `json:"sg_id"`
		Org    misp.String `json:"org_id"`
		Extend misp.Bool   `json:"extend"`
	}
	if len(q.body) > 0 {
		if err := decode(q.body, "", &body); err != nil {
			return nil, err
		}
	}
	sg, org = firstNonEmpty(sg, string(body.SG)), firstNonEmpty(org, string(body.Org))
	if sg == "" || org == "" {
		return nil, badRequest("name the sharing group and the organisation")
	}
	if err := s.st.SetSharingGroupOrg(q.ctx(), q.actor, sg, org, bool(body.Extend), remove); err != nil {
		return nil, err
	}
	msg := "Organisation added to the sharing group."
	if remove {
		msg = "Organisation removed from the sharing group."
	}
	return map[string]any{"saved": true, "success": true, "name": msg, "message": msg, "url": q.path}, nil
}

func (s *Server) sharingGroupAddOrg(q *request) (any, error)    { return s.sharingGroupOrg(q, false) }
func (s *Server) sharingGroupRemoveOrg(q *request) (any, error) { return s.sharingGroupOrg(q, true) }

func (s *Server) sharingGroupDelete(q *request) (any, error) {
	if err := s.st.DeleteSharingGroup(q.ctx(), q.actor, q.arg(0)); err != nil {
		return nil, err
	}
	return success("SharingGroup deleted", q.path+"/"+q.arg(0), 0), nil
}
