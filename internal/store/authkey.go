package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// AuthKey is an API key; only its hash and its first and last four
// characters are kept.
type AuthKey struct {
	ID         int64
	UUID       string
	UserID     int64
	Hash       string
	Start, End string
	Created    int64
	Expiration int64 // Unix seconds; 0 = never
	ReadOnly   bool
	Comment    string
	AllowedIPs []string
	LastUsed   int64
	UserEmail  string
}

const authKeyColumns = `k.id, k.uuid, k.user_id, k.key_hash, k.authkey_start, k.authkey_end, k.created,
	k.expiration, k.read_only, k.comment, k.allowed_ips, k.last_used, u.email`

func scanAuthKey(r rowScanner) (AuthKey, error) {
	var k AuthKey
	var ips string
	err := r.Scan(&k.ID, &k.UUID, &k.UserID, &k.Hash, &k.Start, &k.End, &k.Created, &k.Expiration,
		&k.ReadOnly, &k.Comment, &ips, &k.LastUsed, &k.UserEmail)
	if err == nil {
		_ = json.Unmarshal([]byte(ips), &k.AllowedIPs) // written by us as a JSON list
	}
	return k, err
}

// CreateAuthKey stores a key whose raw text is raw; the caller hashes it.
func (s *Store) CreateAuthKey(ctx context.Context, k AuthKey, raw string) (AuthKey, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		k, err = s.insertAuthKey(ctx, tx, k, raw)
		return err
	})
	return k, err
}

func (s *Store) insertAuthKey(ctx context.Context, q querier, k AuthKey, raw string) (AuthKey, error) {
	for _, cidr := range k.AllowedIPs {
		if _, err := parseAllowedIP(cidr); err != nil {
			return k, invalidf("allowed_ips: %q is not an IP address or CIDR range", cidr)
		}
	}
	if k.UUID == "" {
		k.UUID = uuid.NewString()
	}
	if len(raw) >= 8 {
		k.Start, k.End = raw[:4], raw[len(raw)-4:]
	}
	k.Created = s.now().Unix()
	ips, _ := json.Marshal(nonNil(k.AllowedIPs))
	id, err := s.insertID(ctx, q, `INSERT INTO auth_keys (uuid, user_id, key_hash, authkey_start, authkey_end,
		created, expiration, read_only, comment, allowed_ips) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.UUID, k.UserID, k.Hash, k.Start, k.End, k.Created, k.Expiration, k.ReadOnly, k.Comment, string(ips))
	k.ID = id
	return k, err
}

// AuthKeys lists keys, of one user when userID > 0.
func (s *Store) AuthKeys(ctx context.Context, userID int64) ([]AuthKey, error) {
	q, args := `SELECT `+authKeyColumns+` FROM auth_keys k JOIN users u ON u.id = k.user_id`, []any{}
	if userID > 0 {
		q += ` WHERE k.user_id = ?`
		args = append(args, userID)
	}
	return queryAll(ctx, s, s.Rebind(q+` ORDER BY k.id`), args, scanAuthKey)
}

// AuthKeyByRef returns a key by id or uuid.
func (s *Store) AuthKeyByRef(ctx context.Context, ref string) (AuthKey, error) {
	byRef := RefCond("k", ref)
	k, err := scanAuthKey(s.db.QueryRowContext(ctx, s.Rebind(`SELECT `+authKeyColumns+
		` FROM auth_keys k JOIN users u ON u.id = k.user_id WHERE `+byRef.SQL), byRef.Args...))
	if errors.Is(err, sql.ErrNoRows) {
		return k, notFoundf("auth key %q", ref)
	}
	return k, err
}

// DeleteAuthKey removes a key.
func (s *Store) DeleteAuthKey(ctx context.Context, id int64) error {
	res, err := s.exec(ctx, `DELETE FROM auth_keys WHERE id = ?`, id)
	return mustAffect(res, err, "auth key")
}

// ErrAuthFailed is returned for any key that does not authenticate; the
// reason is logged, never shown to the client.
var ErrAuthFailed = errors.New("authentication failed")

// Authenticate resolves an API key hash to the actor it speaks for. ip is
// the client address, checked against the key's allowed ranges.
func (s *Store) Authenticate(ctx context.Context, hash string, ip netip.Addr) (*Actor, error) {
	k, a, err := s.keyActor(ctx, hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrAuthFailed
	}
	if err != nil {
		return nil, err
	}
	now := s.now().Unix()
	if k.Expiration != 0 && k.Expiration <= now {
		return nil, ErrAuthFailed
	}
	if !ipAllowed(k.AllowedIPs, ip) {
		return nil, ErrAuthFailed
	}
	if a.SharingGroups, err = s.usableSharingGroups(ctx, a.Org.ID, a.Role.Perms["perm_site_admin"]); err != nil {
		return nil, err
	}
	if a.User.Disabled || !a.Role.Has("perm_auth") {
		return nil, ErrAuthFailed
	}
	a.KeyID, a.ReadOnly = k.ID, k.ReadOnly
	if now-k.LastUsed >= 60 && s.claimKeyUse(k.ID, now) {
		// Record use once a minute, beside the request: a read must not
		// wait for the write lock, which a long write may hold.
		go func(id int64) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := s.exec(ctx, `UPDATE auth_keys SET last_used = ? WHERE id = ?`, now, id); err != nil {
				s.log.Warn("record key use", "error", err)
			}
		}(k.ID)
	}
	return a, nil
}

// keyActor reads the key with the given hash and its user, the user's
// organisation and role in one statement (as ActorForUser reads them in
// three), every request being authenticated this way; the caller adds the
// sharing groups. A key whose user, organisation or role is missing is
// sql.ErrNoRows.
func (s *Store) keyActor(ctx context.Context, hash string) (AuthKey, *Actor, error) {
	row := s.db.QueryRowContext(ctx, s.Rebind(`SELECT `+authKeyColumns+`, `+qualify(userColumns, "u")+`, `+
		qualify(orgFields, "o")+`, (SELECT COUNT(*) FROM users ou WHERE ou.org_id = o.id), `+roleColumns+`
		FROM auth_keys k JOIN users u ON u.id = k.user_id JOIN organisations o ON o.id = u.org_id
		JOIN roles r ON r.id = u.role_id WHERE k.key_hash = ?`), hash)
	a := &Actor{}
	// Each scan function hands its destinations to the one it wraps, and
	// the innermost scans the row into all of them; each then finishes its
	// own fields.
	k, err := scanAuthKey(scanFunc(func(keyDest ...any) (err error) {
		a.User, err = scanUser(scanFunc(func(userDest ...any) (err error) {
			a.Org, err = scanOrg(scanFunc(func(orgDest ...any) (err error) {
				a.Role, err = scanRole(scanFunc(func(roleDest ...any) error {
					return row.Scan(slices.Concat(keyDest, userDest, orgDest, roleDest)...)
				}))
				return err
			}))
			return err
		}))
		return err
	}))
	return k, a, err
}

// scanFunc is a rowScanner made of a function.
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// qualify prefixes each name of a comma-separated column list with alias.
func qualify(cols, alias string) string {
	names := strings.Split(cols, ",")
	for i, n := range names {
		names[i] = alias + "." + strings.TrimSpace(n)
	}
	return strings.Join(names, ", ")
}

// claimKeyUse reports whether this request is the one of its minute to
// record the key's use: requests arriving together with a key whose
// recorded use is old would otherwise each write it again.
func (s *Store) claimKeyUse(id, now int64) bool {
	prev, loaded := s.keyUse.LoadOrStore(id, now)
	if !loaded {
		return true
	}
	p := prev.(int64)
	return now-p >= 60 && s.keyUse.CompareAndSwap(id, p, now)
}

func parseAllowedIP(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func ipAllowed(allowed []string, ip netip.Addr) bool {
	if len(allowed) == 0 {
		return true
	}
	ip = ip.Unmap()
	for _, c := range allowed {
		if p, err := parseAllowedIP(c); err == nil && p.Contains(ip) {
			return true
		}
	}
	return false
}
