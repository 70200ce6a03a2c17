package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// Org is an organisation.
type Org struct {
	ID                 int64
	UUID               string
	Name               string
	Local              bool
	Description        string
	Type               string
	Nationality        string
	Sector             string
	Contacts           string
	LandingPage        string
	RestrictedToDomain []string
	CreatedBy          int64
	Created            int64
	Modified           int64
	UserCount          int64
}

// orgFields are the stored columns scanOrg reads, and orgColumns them with
// the count of the organisation's users that it reads last.
const orgFields = `id, uuid, name, local, description, type, nationality, sector, contacts,
	landingpage, restricted_to_domain, created_by, date_created, date_modified`

const orgColumns = orgFields + `, (SELECT COUNT(*) FROM users u WHERE u.org_id = organisations.id)`

type rowScanner interface{ Scan(dest ...any) error }

func scanOrg(r rowScanner) (Org, error) {
	var o Org
	var domains string
	err := r.Scan(&o.ID, &o.UUID, &o.Name, &o.Local, &o.Description, &o.Type, &o.Nationality,
		&o.Sector, &o.Contacts, &o.LandingPage, &domains, &o.CreatedBy, &o.Created, &o.Modified,
		&o.UserCount)
	if err != nil {
		return o, err
	}
	_ = json.Unmarshal([]byte(domains), &o.RestrictedToDomain) // written by us as a JSON list
	return o, nil
}

// Orgs lists organisations: scope "local" (default), "external" or "all".
func (s *Store) Orgs(ctx context.Context, scope, search string) ([]Org, error) {
	q := `SELECT ` + orgColumns + ` FROM organisations WHERE 1=1`
	var args []any
	switch scope {
	case "", "local":
		q += ` AND local = 1`
	case "external":
		q += ` AND local = 0`
	case "all":
	default:
		return nil, invalidf("scope must be local, external or all")
	}
	if search != "" {
		q += ` AND (` + s.likeLower("lower(name)") + ` OR uuid = ?)`
		args = append(args, "%"+strings.ToLower(search)+"%", strings.ToLower(search))
	}
	return queryAll(ctx, s, s.Rebind(q+` ORDER BY lower(name)`), args, scanOrg)
}

// OrgByRef finds an organisation by id, uuid or name.
func (s *Store) OrgByRef(ctx context.Context, ref string) (Org, error) {
	return s.orgByRef(ctx, s.db, ref)
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (s *Store) orgByRef(ctx context.Context, q querier, ref string) (Org, error) {
	ref = strings.TrimSpace(ref)
	where, arg := `lower(name) = ?`, any(strings.ToLower(ref))
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		where, arg = `id = ?`, id
	} else if _, err := uuid.Parse(ref); err == nil {
		where, arg = `uuid = ?`, strings.ToLower(ref)
	}
	o, err := scanOrg(q.QueryRowContext(ctx, s.Rebind(`SELECT `+orgColumns+` FROM organisations WHERE `+where), arg))
	if errors.Is(err, sql.ErrNoRows) {
		return o, notFoundf("organisation %q", ref)
	}
	return o, err
}

// CreateOrg adds an organisation; the name must be unused.
func (s *Store) CreateOrg(ctx context.Context, o Org) (Org, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		o, err = s.insertOrg(ctx, tx, o)
		return err
	})
	return o, err
}

func (s *Store) insertOrg(ctx context.Context, q querier, o Org) (Org, error) {
	o.Name = strings.TrimSpace(o.Name)
	if o.Name == "" {
		return o, invalidf("organisation name is required")
	}
	if o.UUID == "" {
		o.UUID = uuid.NewString()
	}
	u, err := uuid.Parse(o.UUID)
	if err != nil {
		return o, invalidf("organisation uuid %q is not a UUID", o.UUID)
	}
	o.UUID = u.String()
	var n int
	if err := q.QueryRowContext(ctx, s.Rebind(`SELECT COUNT(*) FROM organisations WHERE lower(name) = ? OR uuid = ?`),
		strings.ToLower(o.Name), o.UUID).Scan(&n); err != nil {
		return o, err
	}
	if n > 0 {
		return o, fmt.Errorf("%w: an organisation with this name or uuid already exists", ErrConflict)
	}
	domains, _ := json.Marshal(nonNil(o.RestrictedToDomain))
	now := s.now().Unix()
	o.Created, o.Modified = now, now
	id, err := s.insertID(ctx, q, `INSERT INTO organisations (uuid, name, local, description, type, nationality,
		sector, contacts, landingpage, restricted_to_domain, created_by, date_created, date_modified)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.UUID, o.Name, o.Local, o.Description, o.Type, o.Nationality, o.Sector, o.Contacts,
		o.LandingPage, string(domains), o.CreatedBy, now, now)
	o.ID = id
	return o, err
}

// UpdateOrg stores the descriptive fields and name of an organisation.
func (s *Store) UpdateOrg(ctx context.Context, o Org) (Org, error) {
	o.Name = strings.TrimSpace(o.Name)
	if o.Name == "" {
		return o, invalidf("organisation name is required")
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.Rebind(`SELECT COUNT(*) FROM organisations WHERE lower(name) = ? AND id <> ?`),
			strings.ToLower(o.Name), o.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: an organisation with this name already exists", ErrConflict)
		}
		domains, _ := json.Marshal(nonNil(o.RestrictedToDomain))
		res, err := tx.ExecContext(ctx, s.Rebind(`UPDATE organisations SET name = ?, local = ?, description = ?,
			type = ?, nationality = ?, sector = ?, contacts = ?, landingpage = ?, restricted_to_domain = ?,
			date_modified = ? WHERE id = ?`),
			o.Name, o.Local, o.Description, o.Type, o.Nationality, o.Sector, o.Contacts, o.LandingPage,
			string(domains), s.now().Unix(), o.ID)
		return mustAffect(res, err, "organisation")
	})
	if err != nil {
		return o, err
	}
	return s.OrgByRef(ctx, strconv.FormatInt(o.ID, 10))
}

// DeleteOrg removes an organisation that owns no users and no events.
func (s *Store) DeleteOrg(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var users, events int
		err := tx.QueryRowContext(ctx, s.Rebind(`SELECT (SELECT COUNT(*) FROM users WHERE org_id = ?),
			(SELECT COUNT(*) FROM events WHERE org_id = ? OR orgc_id = ?)`), id, id, id).Scan(&users, &events)
		if err != nil {
			return err
		}
		if users > 0 || events > 0 {
			return fmt.Errorf("%w: the organisation still has %d users and %d events", ErrConflict, users, events)
		}
		res, err := tx.ExecContext(ctx, s.Rebind(`DELETE FROM organisations WHERE id = ?`), id)
		return mustAffect(res, err, "organisation")
	})
}

// findOrCreateOrg resolves an organisation named in incoming data: by uuid,
// then by name; an unknown one is created as non-local. A uuid that is new
// but whose name is taken gets a suffixed name, as MISP does.
func (s *Store) findOrCreateOrg(ctx context.Context, q querier, ref OrgRef) (int64, error) {
	if ref.UUID != "" {
		if o, err := s.orgByRef(ctx, q, ref.UUID); err == nil {
			return o.ID, nil
		} else if !errors.Is(err, ErrNotFound) {
			return 0, err
		}
	}
	if ref.Name != "" {
		o, err := s.orgByRef(ctx, q, ref.Name)
		if err == nil && (ref.UUID == "" || o.UUID == ref.UUID) {
			return o.ID, nil
		}
		if err == nil {
			ref.Name = ref.Name + "_" + uuid.NewString()[:8]
		} else if !errors.Is(err, ErrNotFound) {
			return 0, err
		}
	}
	if ref.Name == "" {
		return 0, invalidf("organisation has neither a known uuid nor a name")
	}
	o, err := s.insertOrg(ctx, q, Org{UUID: ref.UUID, Name: ref.Name, Local: false})
	return o.ID, err
}

// OrgRef names an organisation in incoming data.
type OrgRef struct{ UUID, Name string }

func (s *Store) insertID(ctx context.Context, q querier, query string, args ...any) (int64, error) {
	if r := s.dialect.returning(); r != "" {
		var id int64
		err := q.QueryRowContext(ctx, s.Rebind(query+r), args...).Scan(&id)
		return id, err
	}
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// stmtInsertID runs a prepared INSERT and returns the new row's id; the
// statement was prepared with s.dialect.returning() appended.
func (s *Store) stmtInsertID(ctx context.Context, st *sql.Stmt, args ...any) (int64, error) {
	if s.dialect.returning() != "" {
		var id int64
		err := st.QueryRowContext(ctx, args...).Scan(&id)
		return id, err
	}
	res, err := st.ExecContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

func mustAffect(res sql.Result, err error, what string) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFoundf("%s", what)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
