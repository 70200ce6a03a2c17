package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// User is an account on this instance.
type User struct {
	ID            int64
	Email         string
	OrgID         int64
	RoleID        int64
	PasswordHash  string
	Disabled      bool
	ChangePW      bool
	Autoalert     bool
	Contactalert  bool
	TermsAccepted bool
	NIDSSID       int64
	GPGKey        string
	TOTPSecret    string
	Created       int64
	Modified      int64
	LastLogin     int64
}

const userColumns = `id, email, org_id, role_id, password_hash, disabled, change_pw, autoalert,
	contactalert, termsaccepted, nids_sid, gpgkey, totp_secret, created, date_modified, last_login`

func scanUser(r rowScanner) (User, error) {
	var u User
	err := r.Scan(&u.ID, &u.Email, &u.OrgID, &u.RoleID, &u.PasswordHash, &u.Disabled, &u.ChangePW,
		&u.Autoalert, &u.Contactalert, &u.TermsAccepted, &u.NIDSSID, &u.GPGKey, &u.TOTPSecret,
		&u.Created, &u.Modified, &u.LastLogin)
	return u, err
}

// UserByID returns one user.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, s.Rebind(`SELECT `+userColumns+` FROM users WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, notFoundf("user %d", id)
	}
	return u, err
}

// Users lists users, optionally of one organisation (orgID > 0) and whose
// e-mail contains search.
func (s *Store) Users(ctx context.Context, orgID int64, search string) ([]User, error) {
	q, args := `SELECT `+userColumns+` FROM users WHERE 1=1`, []any{}
	if orgID > 0 {
		q += ` AND org_id = ?`
		args = append(args, orgID)
	}
	if search != "" {
		q += ` AND ` + s.likeLower("lower(email)")
		args = append(args, "%"+strings.ToLower(search)+"%")
	}
	return queryAll(ctx, s, s.Rebind(q+` ORDER BY id`), args, scanUser)
}

// CreateUser adds a user; the e-mail must be unused and the org and role
// must exist.
func (s *Store) CreateUser(ctx context.Context, u User) (User, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		u, err = s.insertUser(ctx, tx, u)
		return err
	})
	return u, err
}

func (s *Store) insertUser(ctx context.Context, q querier, u User) (User, error) {
	u.Email = strings.TrimSpace(u.Email)
	if !strings.Contains(u.Email, "@") || strings.ContainsAny(u.Email, " \t\r\n") {
		return u, invalidf("email %q is not an e-mail address", u.Email)
	}
	var n int
	err := q.QueryRowContext(ctx, s.Rebind(`SELECT (SELECT COUNT(*) FROM users WHERE lower(email) = ?)
		+ 100 * (1 - (SELECT COUNT(*) FROM organisations WHERE id = ?))
		+ 10000 * (1 - (SELECT COUNT(*) FROM roles WHERE id = ?))`),
		strings.ToLower(u.Email), u.OrgID, u.RoleID).Scan(&n)
	switch {
	case err != nil:
		return u, err
	case n >= 10000:
		return u, invalidf("role %d does not exist", u.RoleID)
	case n >= 100:
		return u, invalidf("organisation %d does not exist", u.OrgID)
	case n > 0:
		return u, fmt.Errorf("%w: a user with this e-mail already exists", ErrConflict)
	}
	now := s.now().Unix()
	u.Created, u.Modified = now, now
	u.ID, err = s.insertID(ctx, q, `INSERT INTO users (email, org_id, role_id, password_hash, disabled,
		change_pw, autoalert, contactalert, termsaccepted, nids_sid, gpgkey, created, date_modified)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.Email, u.OrgID, u.RoleID, u.PasswordHash, u.Disabled, u.ChangePW, u.Autoalert,
		u.Contactalert, u.TermsAccepted, u.NIDSSID, u.GPGKey, now, now)
	return u, err
}

// UpdateUser stores every field of u except its id and creation time.
func (s *Store) UpdateUser(ctx context.Context, u User) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.Rebind(`SELECT COUNT(*) FROM users WHERE lower(email) = ? AND id <> ?`),
			strings.ToLower(u.Email), u.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: a user with this e-mail already exists", ErrConflict)
		}
		res, err := tx.ExecContext(ctx, s.Rebind(`UPDATE users SET email = ?, org_id = ?, role_id = ?,
			password_hash = ?, disabled = ?, change_pw = ?, autoalert = ?, contactalert = ?,
			termsaccepted = ?, nids_sid = ?, gpgkey = ?, totp_secret = ?, date_modified = ? WHERE id = ?`),
			u.Email, u.OrgID, u.RoleID, u.PasswordHash, u.Disabled, u.ChangePW, u.Autoalert,
			u.Contactalert, u.TermsAccepted, u.NIDSSID, u.GPGKey, u.TOTPSecret, s.now().Unix(), u.ID)
		return mustAffect(res, err, "user")
	})
}

// DeleteUser removes a user and its keys.
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.Rebind(`DELETE FROM auth_keys WHERE user_id = ?`), id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.Rebind(`DELETE FROM users WHERE id = ?`), id)
		return mustAffect(res, err, "user")
	})
}
