package api

import (
	"errors"
	"net/http"

	"github.com/cairn-intel/cairn/internal/auth"
	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/store"
)

func (s *Server) usersIndex(q *request) (any, error) {
	a := q.actor
	if !a.SiteAdmin() && !a.Role.Has("perm_admin") {
		return nil, errForbidden
	}
	orgID := int64(0)
	if !a.SiteAdmin() {
		orgID = a.Org.ID
	} else if v, ok := parseID(q.namedValue("searchorg")); ok {
		orgID = v
	}
	users, err := s.st.Users(q.ctx(), orgID, q.namedValue("value"))
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(users))
	for _, u := range users {
		doc, err := s.userDocument(q, u.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, doc.(map[string]any))
	}
	return out, nil
}

func (s *Server) adminUserView(q *request) (any, error) {
	id, ok := parseID(q.arg(0))
	if !ok {
		return nil, notFound("Invalid user")
	}
	if err := s.mayManageUser(q, id); err != nil {
		return nil, err
	}
	return s.userDocument(q, id)
}

// userInput is the body of admin/users/add and edit.
type userInput struct {
	Email         *misp.String `json:"email"`
	OrgID         *misp.Int    `json:"org_id"`
	RoleID        *misp.Int    `json:"role_id"`
	Password      *string      `json:"password"`
	Disabled      *misp.Bool   `json:"disabled"`
	ChangePW      *misp.Bool   `json:"change_pw"`
	Autoalert     *misp.Bool   `json:"autoalert"`
	Contactalert  *misp.Bool   `json:"contactalert"`
	TermsAccepted *misp.Bool   `json:"termsaccepted"`
	NIDSSID       *misp.Int    `json:"nids_sid"`
	GPGKey        *misp.String `json:"gpgkey"`
}

func (in userInput) apply(u *store.User) error {
	if in.Email != nil {
		u.Email = string(*in.Email)
	}
	if in.OrgID != nil {
		u.OrgID = int64(*in.OrgID)
	}
	if in.RoleID != nil {
		u.RoleID = int64(*in.RoleID)
	}
	for _, f := range []struct {
		dst *bool
		v   *misp.Bool
	}{{&u.Disabled, in.Disabled}, {&u.ChangePW, in.ChangePW}, {&u.Autoalert, in.Autoalert},
		{&u.Contactalert, in.Contactalert}, {&u.TermsAccepted, in.TermsAccepted}} {
		if f.v != nil {
			*f.dst = bool(*f.v)
		}
	}
	if in.NIDSSID != nil {
		u.NIDSSID = int64(*in.NIDSSID)
	}
	if in.GPGKey != nil {
		u.GPGKey = string(*in.GPGKey)
	}
	if in.Password != nil && *in.Password != "" {
		h, err := auth.HashPassword(*in.Password)
		if err != nil {
			return badRequest("password: " + err.Error())
		}
		u.PasswordHash = h
	}
	return nil
}

// checkUserScope keeps org admins to their own organisation and to roles
// that are not site administrator.
func (s *Server) checkUserScope(q *request, u store.User) error {
	a := q.actor
	if a.SiteAdmin() {
		return nil
	}
	if !a.Role.Has("perm_admin") || u.OrgID != a.Org.ID {
		return errForbidden
	}
	r, err := s.st.RoleByID(q.ctx(), u.RoleID)
	if err != nil {
		return err
	}
	if r.Perms["perm_site_admin"] || r.Perms["perm_sync"] {
		return errForbidden
	}
	return nil
}

func (s *Server) userAdd(q *request) (any, error) {
	if err := requireWrite(q.actor); err != nil {
		return nil, err
	}
	var in userInput
	if err := decode(q.body, "User", &in); err != nil {
		return nil, err
	}
	u := store.User{OrgID: q.actor.Org.ID, RoleID: 3, ChangePW: true}
	if err := in.apply(&u); err != nil {
		return nil, err
	}
	if err := s.checkUserScope(q, u); err != nil {
		return nil, err
	}
	u, err := s.st.CreateUser(q.ctx(), u)
	if err != nil {
		return nil, err
	}
	raw := auth.NewKey()
	if _, err := s.st.CreateAuthKey(q.ctx(), store.AuthKey{UserID: u.ID, Hash: auth.HashKey(raw), Comment: "created with the user"}, raw); err != nil {
		return nil, err
	}
	s.log.Info("user created", "action", "user_add", "user", q.actor.User.Email, "object", u.Email)
	doc := userJSON(u)
	doc["authkey"] = raw
	return map[string]any{"User": doc}, nil
}

func (s *Server) userEdit(q *request) (any, error) {
	if err := requireWrite(q.actor); err != nil {
		return nil, err
	}
	id, ok := parseID(q.arg(0))
	if !ok {
		return nil, notFound("Invalid user")
	}
	u, err := s.st.UserByID(q.ctx(), id)
	if err != nil {
		return nil, err
	}
	if err := s.checkUserScope(q, u); err != nil {
		return nil, err
	}
	var in userInput
	if err := decode(q.body, "User", &in); err != nil {
		return nil, err
	}
	if err := in.apply(&u); err != nil {
		return nil, err
	}
	if err := s.checkUserScope(q, u); err != nil {
		return nil, err
	}
	if err := s.st.UpdateUser(q.ctx(), u); err != nil {
		return nil, err
	}
	return s.userDocument(q, id)
}

func (s *Server) userDelete(q *request) (any, error) {
	id, ok := parseID(q.arg(0))
	if !ok {
		return nil, notFound("Invalid user")
	}
	if id == q.actor.User.ID {
		return nil, &httpError{status: http.StatusForbidden, msg: "You cannot delete yourself."}
	}
	u, err := s.st.UserByID(q.ctx(), id)
	if err != nil {
		return nil, err
	}
	if err := s.checkUserScope(q, u); err != nil {
		return nil, err
	}
	if err := s.st.DeleteUser(q.ctx(), id); err != nil {
		return nil, err
	}
	return success("User deleted.", q.path+"/"+q.arg(0), id), nil
}

func (s *Server) authKeyAdd(q *request) (any, error) {
	if err := requireWrite(q.actor); err != nil {
		return nil, err
	}
	userID := q.actor.User.ID
	if ref := q.arg(0); ref != "" && ref != "me" {
		id, ok := parseID(ref)
		if !ok {
			return nil, notFound("Invalid user")
		}
		if err := s.mayManageUser(q, id); err != nil {
			return nil, err
		}
		userID = id
	}
	var in struct {
		Comment    misp.String `json:"comment"`
		ReadOnly   misp.Bool   `json:"read_only"`
		AllowedIPs []string    `json:"allowed_ips"`
		Expiration misp.String `json:"expiration"`
		UUID       string      `json:"uuid"`
	}
	if len(q.body) > 0 {
		if err := decode(q.body, "AuthKey", &in); err != nil {
			return nil, err
		}
	}
	exp, err := parseExpiration(string(in.Expiration))
	if err != nil {
		return nil, err
	}
	if exp != 0 && exp <= s.st.Now().Unix() {
		return nil, badRequest("expiration must be in the future")
	}
	raw := auth.NewKey()
	k, err := s.st.CreateAuthKey(q.ctx(), store.AuthKey{UserID: userID, Hash: auth.HashKey(raw), Comment: string(in.Comment),
		ReadOnly: bool(in.ReadOnly), AllowedIPs: in.AllowedIPs, Expiration: exp, UUID: in.UUID}, raw)
	if err != nil {
		return nil, err
	}
	doc := authKeyJSON(k)
	doc["authkey_raw"] = raw
	return map[string]any{"AuthKey": doc}, nil
}

func parseExpiration(v string) (int64, error) {
	if v == "" || v == "0" {
		return 0, nil
	}
	if n, err := misp.ParseLooseInt(v); err == nil {
		return n, nil
	}
	t, err := timeParseDate(v)
	if err != nil {
		return 0, badRequest("expiration must be a date (YYYY-MM-DD) or epoch seconds")
	}
	return t, nil
}

func (s *Server) authKeysIndex(q *request) (any, error) {
	userID := q.actor.User.ID
	if q.actor.SiteAdmin() {
		userID = 0
	}
	keys, err := s.st.AuthKeys(q.ctx(), userID)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(keys))
	for _, k := range keys {
		out = append(out, map[string]any{"AuthKey": authKeyJSON(k), "User": map[string]any{"id": itoa(k.UserID), "email": k.UserEmail}})
	}
	return out, nil
}

func (s *Server) ownedKey(q *request) (store.AuthKey, error) {
	k, err := s.st.AuthKeyByRef(q.ctx(), q.arg(0))
	if err != nil {
		return k, err
	}
	if err := s.mayManageUser(q, k.UserID); err != nil {
		if errors.Is(err, errForbidden) {
			return k, notFound("Invalid auth key")
		}
		return k, err
	}
	return k, nil
}

func (s *Server) authKeyView(q *request) (any, error) {
	k, err := s.ownedKey(q)
	if err != nil {
		return nil, err
	}
	return map[string]any{"AuthKey": authKeyJSON(k), "User": map[string]any{"id": itoa(k.UserID), "email": k.UserEmail}}, nil
}

func (s *Server) authKeyDelete(q *request) (any, error) {
	if err := requireWrite(q.actor); err != nil {
		return nil, err
	}
	k, err := s.ownedKey(q)
	if err != nil {
		return nil, err
	}
	if err := s.st.DeleteAuthKey(q.ctx(), k.ID); err != nil {
		return nil, err
	}
	return success("AuthKey deleted.", q.path+"/"+q.arg(0), k.ID), nil
}
