package api

import (
	"github.com/cairn-intel/cairn/internal/store"
)

// The functions below give store models their MISP JSON shape.

func orgJSON(o store.Org) map[string]any {
	domains := o.RestrictedToDomain
	if domains == nil {
		domains = []string{}
	}
	return map[string]any{
		"id": itoa(o.ID), "name": o.Name, "uuid": o.UUID, "local": o.Local, "description": o.Description,
		"type": o.Type, "nationality": o.Nationality, "sector": o.Sector, "contacts": o.Contacts,
		"landingpage": o.LandingPage, "restricted_to_domain": domains, "created_by": itoa(o.CreatedBy),
		"date_created": timeText(o.Created), "date_modified": timeText(o.Modified), "user_count": o.UserCount,
	}
}

func roleJSON(r store.Role) map[string]any {
	m := map[string]any{"id": itoa(r.ID), "name": r.Name, "default_role": r.Default,
		"restricted_to_site_admin": false, "enforce_rate_limit": false, "rate_limit_count": "0",
		"memory_limit": "", "max_execution_time": "", "permission": permissionLevel(r)}
	for _, p := range store.PermNames {
		m[p] = r.Has(p)
	}
	return m
}

// permissionLevel is MISP's summary of a role's event rights.
func permissionLevel(r store.Role) string {
	switch {
	case r.Has("perm_publish"):
		return "3"
	case r.Has("perm_modify_org"):
		return "2"
	case r.Has("perm_add"):
		return "1"
	}
	return "0"
}

func userJSON(u store.User) map[string]any {
	return map[string]any{
		"id": itoa(u.ID), "org_id": itoa(u.OrgID), "role_id": itoa(u.RoleID), "email": u.Email,
		"autoalert": u.Autoalert, "contactalert": u.Contactalert, "disabled": u.Disabled,
		"change_pw": u.ChangePW, "termsaccepted": u.TermsAccepted, "nids_sid": itoa(u.NIDSSID),
		"gpgkey": u.GPGKey, "certif_public": "", "invited_by": "0", "newsread": "0",
		"expiration": nil, "current_login": itoa(u.LastLogin), "last_login": itoa(u.LastLogin),
		"force_logout": false, "date_created": itoa(u.Created), "date_modified": itoa(u.Modified),
		"password": "*****", "totp": u.TOTPSecret != "",
	}
}

func authKeyJSON(k store.AuthKey) map[string]any {
	ips := k.AllowedIPs
	if ips == nil {
		ips = []string{}
	}
	exp := "0"
	if k.Expiration != 0 {
		exp = itoa(k.Expiration)
	}
	return map[string]any{
		"id": itoa(k.ID), "uuid": k.UUID, "authkey_start": k.Start, "authkey_end": k.End,
		"created": itoa(k.Created), "expiration": exp, "read_only": k.ReadOnly, "user_id": itoa(k.UserID),
		"comment": k.Comment, "allowed_ips": ips, "last_used": itoa(k.LastUsed),
	}
}

func timeText(unix int64) string {
	if unix == 0 {
		return ""
	}
	return itoa(unix)
}

// indexEvent is the flat events/index form of an event.
func indexEvent(e store.Event) map[string]any {
	tags := make([]map[string]any, 0, len(e.Tag))
	for _, t := range e.Tag {
		tags = append(tags, map[string]any{"event_id": itoa(e.ID), "tag_id": itoa(t.ID), "local": t.Local,
			"Tag": map[string]any{"id": itoa(t.ID), "name": t.Name, "colour": t.Colour, "is_galaxy": t.IsGalaxy}})
	}
	m := map[string]any{
		"id": itoa(e.ID), "org_id": itoa(e.OrgID), "orgc_id": itoa(e.OrgcID), "date": e.Date, "info": e.Info,
		"uuid": e.UUID, "published": e.Published, "analysis": itoa(e.Analysis),
		"attribute_count": itoa(e.AttributeCount), "threat_level_id": itoa(e.ThreatLevelID),
		"timestamp": itoa(e.Timestamp), "publish_timestamp": itoa(e.PublishTimestamp),
		"sighting_timestamp": itoa(e.SightingTimestamp), "distribution": itoa(e.Distribution),
		"sharing_group_id": itoa(e.SharingGroupID), "locked": e.Locked, "proposal_email_lock": false,
		"disable_correlation": e.DisableCorrelation, "extends_uuid": e.ExtendsUUID, "protected": nil,
		"Org": e.Org, "Orgc": e.Orgc, "EventTag": tags, "GalaxyCluster": []any{},
	}
	if e.SharingGroup != nil {
		m["SharingGroup"] = e.SharingGroup
	}
	return m
}
