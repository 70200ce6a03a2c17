package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// Bootstrap describes the first organisation and site administrator.
type Bootstrap struct {
	OrgName      string
	AdminEmail   string
	PasswordHash string
	KeyHash      string
	RawKey       string
}

// Initialised reports whether the instance has its first administrator.
func (s *Store) Initialised(ctx context.Context) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n > 0, err
}

// ErrInitialised is returned by Initialise for an instance that has its
// first administrator already.
var ErrInitialised = fmt.Errorf("%w: the instance is already initialised", ErrConflict)

// Initialise creates the default roles, the instance uuid, the host
// organisation and the site administrator with one API key, in one
// transaction. It refuses, with ErrInitialised, an instance that already
// has users, or that another node is initialising at the same moment.
func (s *Store) Initialise(ctx context.Context, b Bootstrap) (User, error) {
	var admin User
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// The first write claims the setting row: on PostgreSQL a second
		// node's transaction waits here until the first commits, then
		// finds the row taken. (SQLite's single writer serialises anyway.)
		res, err := tx.ExecContext(ctx, s.Rebind(`INSERT INTO settings (name, value) VALUES ('initialised', ?)
			ON CONFLICT (name) DO NOTHING`), itoa(s.now().Unix()))
		if err != nil {
			return err
		}
		claimed, err := res.RowsAffected()
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
			return err
		}
		if claimed == 0 || n > 0 {
			return ErrInitialised
		}
		if err := s.ensureRoles(ctx, tx); err != nil {
			return err
		}
		if err := s.setSetting(ctx, tx, "instance_uuid", uuid.NewString()); err != nil {
			return err
		}
		org, err := s.insertOrg(ctx, tx, Org{Name: b.OrgName, Local: true})
		if err != nil {
			return err
		}
		if err := s.setSetting(ctx, tx, "host_org_id", itoa(org.ID)); err != nil {
			return err
		}
		admin, err = s.insertUser(ctx, tx, User{Email: b.AdminEmail, OrgID: org.ID, RoleID: 1,
			PasswordHash: b.PasswordHash, ChangePW: true, TermsAccepted: true})
		if err != nil {
			return err
		}
		_, err = s.insertAuthKey(ctx, tx, AuthKey{UserID: admin.ID, Hash: b.KeyHash, Comment: "created at first start"}, b.RawKey)
		return err
	})
	return admin, err
}

// Setting returns a stored instance setting, or "" when unset.
func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, s.Rebind(`SELECT value FROM settings WHERE name = ?`), name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

func (s *Store) setSetting(ctx context.Context, q querier, name, value string) error {
	_, err := q.ExecContext(ctx, s.Rebind(`INSERT INTO settings (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`), name, value)
	return err
}

// Counts are the sizes of the main tables.
type Counts struct {
	Events, Attributes, Objects, Orgs, Users, Tags int64
}

// Count returns the sizes of the main tables.
func (s *Store) Count(ctx context.Context) (Counts, error) {
	var c Counts
	err := s.db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM events), (SELECT COUNT(*) FROM attributes),
		(SELECT COUNT(*) FROM objects), (SELECT COUNT(*) FROM organisations), (SELECT COUNT(*) FROM users),
		(SELECT COUNT(*) FROM tags)`).Scan(&c.Events, &c.Attributes, &c.Objects, &c.Orgs, &c.Users, &c.Tags)
	return c, err
}

// CLIActor returns the actor that command-line tools act as: the user with
// the given e-mail, or the first site administrator when email is "".
func (s *Store) CLIActor(ctx context.Context, email string) (*Actor, error) {
	var id int64
	var err error
	if email != "" {
		err = s.db.QueryRowContext(ctx, s.Rebind(`SELECT id FROM users WHERE lower(email) = lower(?)`), email).Scan(&id)
	} else {
		err = s.db.QueryRowContext(ctx, `SELECT id FROM users WHERE role_id = 1 AND disabled = 0 ORDER BY id LIMIT 1`).Scan(&id)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFoundf("no such user: run 'cairn serve' once to initialise the instance")
	}
	if err != nil {
		return nil, err
	}
	return s.ActorForUser(ctx, id)
}

// SetSetting stores an instance setting.
func (s *Store) SetSetting(ctx context.Context, name, value string) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return s.setSetting(ctx, tx, name, value) })
}
