package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Feed is a source of indicators or events that Cairn pulls: its settings
// as MISP names them, the Cairn additions (schedule, tags by name, the
// access key, TLS options) and its health.
type Feed struct {
	ID             int64
	Name           string
	Provider       string
	URL            string // http(s) URL, file:// URL or local path
	SourceFormat   string // misp, csv, freetext or json
	Settings       string // parser settings as JSON, read by package fetch
	Schedule       time.Duration
	Enabled        bool
	Default        bool // created from one of the shipped presets
	OrgcID         int64
	Distribution   int64
	SharingGroupID int64
	Tags           []string // tag names applied to the feed's events
	FixedEvent     bool
	EventID        int64 // the fixed event; 0 until the first pull creates it
	DeltaMerge     bool
	Publish        bool
	OverrideIDs    bool
	AuthHeader     string // request header carrying the key, such as "Auth-Key"
	AuthSecret     string // never shown in clear by the API
	UserAgent      string // "" for Cairn's own
	CAPin          string // hex SHA-256 of the server's certificate, optional
	Insecure       bool   // TLS verification off: audited in every pull report
	Created        int64
	Modified       int64
	Health         FeedHealth
}

// FeedHealth is what the pulls of a feed recorded.
type FeedHealth struct {
	PullingSince     int64  // a pull holds the feed since then; 0 when idle
	PullingNode      string // the node of that pull, or of the last one
	LastFetchStarted int64
	LastSuccess      int64
	LastError        string
	ErrorStreak      int64
	LastReport       string // JSON report of the last pull
}

// Bounds of a feed's schedule.
const (
	MinFeedSchedule = time.Minute
	MaxFeedSchedule = 30 * 24 * time.Hour
)

const feedColumns = `id, name, provider, url, source_format, settings, schedule, enabled, is_default,
	orgc_id, distribution, sharing_group_id, tags, fixed_event, event_id, delta_merge, publish,
	override_ids, auth_header, auth_secret, user_agent, ca_pin, insecure, created, modified,
	pulling_since, last_fetch_started, last_success, last_error, error_streak, last_report, pulling_node`

func scanFeed(r rowScanner) (Feed, error) {
	var f Feed
	var schedule int64
	var tags string
	h := &f.Health
	err := r.Scan(&f.ID, &f.Name, &f.Provider, &f.URL, &f.SourceFormat, &f.Settings, &schedule,
		&f.Enabled, &f.Default, &f.OrgcID, &f.Distribution, &f.SharingGroupID, &tags, &f.FixedEvent,
		&f.EventID, &f.DeltaMerge, &f.Publish, &f.OverrideIDs, &f.AuthHeader, &f.AuthSecret,
		&f.UserAgent, &f.CAPin, &f.Insecure, &f.Created, &f.Modified, &h.PullingSince,
		&h.LastFetchStarted, &h.LastSuccess, &h.LastError, &h.ErrorStreak, &h.LastReport, &h.PullingNode)
	if err != nil {
		return f, err
	}
	f.Schedule = time.Duration(schedule) * time.Second
	_ = json.Unmarshal([]byte(tags), &f.Tags) // written by us as a JSON list
	return f, nil
}

// Feeds lists every feed by id.
func (s *Store) Feeds(ctx context.Context) ([]Feed, error) {
	return queryAll(ctx, s, `SELECT `+feedColumns+` FROM feeds ORDER BY id`, nil, scanFeed)
}

// FeedByRef finds a feed by id or, case-insensitively, by name.
func (s *Store) FeedByRef(ctx context.Context, ref string) (Feed, error) {
	return s.feedByRef(ctx, s.db, ref)
}

func (s *Store) feedByRef(ctx context.Context, q querier, ref string) (Feed, error) {
	ref = strings.TrimSpace(ref)
	where, arg := `lower(name) = ?`, any(strings.ToLower(ref))
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		where, arg = `id = ?`, id
	}
	f, err := scanFeed(q.QueryRowContext(ctx, s.Rebind(`SELECT `+feedColumns+` FROM feeds WHERE `+where), arg))
	if errors.Is(err, sql.ErrNoRows) {
		return f, notFoundf("feed %q", ref)
	}
	return f, err
}

// CreateFeed stores a new feed. An owning organisation of 0 becomes the
// host organisation.
func (s *Store) CreateFeed(ctx context.Context, f Feed) (Feed, error) {
	var out Feed
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkFeed(ctx, tx, &f); err != nil {
			return err
		}
		now := s.now().Unix()
		tags, _ := json.Marshal(nonNil(f.Tags)) // a string list always encodes
		id, err := s.insertID(ctx, tx, `INSERT INTO feeds (name, provider, url, source_format, settings,
			schedule, enabled, is_default, orgc_id, distribution, sharing_group_id, tags, fixed_event,
			event_id, delta_merge, publish, override_ids, auth_header, auth_secret, user_agent, ca_pin,
			insecure, created, modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			f.Name, f.Provider, f.URL, f.SourceFormat, f.Settings, int64(f.Schedule/time.Second), f.Enabled,
			f.Default, f.OrgcID, f.Distribution, f.SharingGroupID, string(tags), f.FixedEvent, f.EventID,
			f.DeltaMerge, f.Publish, f.OverrideIDs, f.AuthHeader, f.AuthSecret, f.UserAgent, f.CAPin,
			f.Insecure, now, now)
		if err != nil {
			return err
		}
		out, err = s.feedByRef(ctx, tx, itoa(id))
		return err
	})
	return out, err
}

// UpdateFeed replaces the settings of a stored feed; its health and its
// fixed event are kept unless f names another event.
func (s *Store) UpdateFeed(ctx context.Context, f Feed) (Feed, error) {
	var out Feed
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkFeed(ctx, tx, &f); err != nil {
			return err
		}
		tags, _ := json.Marshal(nonNil(f.Tags)) // a string list always encodes
		res, err := tx.ExecContext(ctx, s.Rebind(`UPDATE feeds SET name = ?, provider = ?, url = ?,
			source_format = ?, settings = ?, schedule = ?, enabled = ?, orgc_id = ?, distribution = ?,
			sharing_group_id = ?, tags = ?, fixed_event = ?, event_id = ?, delta_merge = ?, publish = ?,
			override_ids = ?, auth_header = ?, auth_secret = ?, user_agent = ?, ca_pin = ?, insecure = ?,
			modified = ? WHERE id = ?`),
			f.Name, f.Provider, f.URL, f.SourceFormat, f.Settings, int64(f.Schedule/time.Second), f.Enabled,
			f.OrgcID, f.Distribution, f.SharingGroupID, string(tags), f.FixedEvent, f.EventID, f.DeltaMerge,
			f.Publish, f.OverrideIDs, f.AuthHeader, f.AuthSecret, f.UserAgent, f.CAPin, f.Insecure,
			s.now().Unix(), f.ID)
		if err := mustAffect(res, err, "feed"); err != nil {
			return err
		}
		out, err = s.feedByRef(ctx, tx, itoa(f.ID))
		return err
	})
	return out, err
}

// EnableFeed turns pulling of a feed on or off.
func (s *Store) EnableFeed(ctx context.Context, id int64, enabled bool) error {
	res, err := s.exec(ctx, `UPDATE feeds SET enabled = ?, modified = ? WHERE id = ?`, enabled, s.now().Unix(), id)
	return mustAffect(res, err, "feed")
}

// DeleteFeed removes a feed and its pull history. The events it created
// stay: they are data like any other.
func (s *Store) DeleteFeed(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.Rebind(`DELETE FROM feed_staging WHERE feed_id = ?`), id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.Rebind(`DELETE FROM feed_pulls WHERE feed_id = ?`), id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.Rebind(`DELETE FROM feeds WHERE id = ?`), id)
		return mustAffect(res, err, "feed")
	})
}

// feedFormats are the source formats a feed may have.
var feedFormats = map[string]bool{"misp": true, "csv": true, "freetext": true, "json": true}

// checkFeed validates what the database must hold true of a feed and fills
// defaults. Parser settings and URLs are checked by package fetch.
func (s *Store) checkFeed(ctx context.Context, q querier, f *Feed) error {
	f.Name, f.URL = strings.TrimSpace(f.Name), strings.TrimSpace(f.URL)
	switch {
	case f.Name == "":
		return invalidf("name: is required")
	case len(f.Name) > 255:
		return invalidf("name: at most 255 characters")
	case f.URL == "":
		return invalidf("url: is required")
	case !feedFormats[f.SourceFormat]:
		return invalidf("source_format: %q is not one of misp, csv, freetext, json", f.SourceFormat)
	case f.Schedule < MinFeedSchedule || f.Schedule > MaxFeedSchedule:
		return invalidf("schedule: %s is not between %s and %s", f.Schedule, MinFeedSchedule, MaxFeedSchedule)
	}
	if err := s.checkFeedSharing(ctx, q, f); err != nil {
		return err
	}
	for _, t := range f.Tags {
		if t = strings.TrimSpace(t); t == "" || len(t) > 255 {
			return invalidf("tags: %q is not a tag name", t)
		}
	}
	if strings.TrimSpace(f.Settings) == "" {
		f.Settings = "{}"
	}
	var other int64
	err := q.QueryRowContext(ctx, s.Rebind(`SELECT id FROM feeds WHERE lower(name) = ? AND id <> ?`),
		strings.ToLower(f.Name), f.ID).Scan(&other)
	if err == nil {
		return invalidf("name: feed %d is already called %q", other, f.Name)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return nil
}

// checkFeedSharing validates the distribution, sharing group and owning
// organisation of a feed.
func (s *Store) checkFeedSharing(ctx context.Context, q querier, f *Feed) error {
	maxDist := int64(4)
	if f.SourceFormat == "misp" {
		maxDist = 5 // keep what each event says
	}
	if f.Distribution < 0 || f.Distribution > maxDist {
		return invalidf("distribution: must be between 0 and %d for a %s feed, got %d",
			maxDist, f.SourceFormat, f.Distribution)
	}
	if f.Distribution != 4 {
		f.SharingGroupID = 0
	} else if err := q.QueryRowContext(ctx, s.Rebind(`SELECT id FROM sharing_groups WHERE id = ?`),
		f.SharingGroupID).Scan(new(int64)); err != nil {
		return invalidf("sharing_group_id: distribution 4 needs an existing sharing group, not %d", f.SharingGroupID)
	}
	if f.OrgcID == 0 {
		host, err := s.settingIn(ctx, q, "host_org_id")
		if err != nil {
			return err
		}
		f.OrgcID, _ = strconv.ParseInt(host, 10, 64) // set by Initialise; 0 before it
	}
	if _, err := s.orgByRef(ctx, q, itoa(f.OrgcID)); err != nil {
		return invalidf("orgc_id: organisation %d does not exist", f.OrgcID)
	}
	return nil
}

func (s *Store) settingIn(ctx context.Context, q querier, name string) (string, error) {
	var v string
	err := q.QueryRowContext(ctx, s.Rebind(`SELECT value FROM settings WHERE name = ?`), name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}
