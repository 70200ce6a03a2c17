package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-intel/cairn/internal/feed"
	"github.com/cairn-intel/cairn/internal/fetch"
	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/store"
)

// secretMask stands for a feed's access key in every answer. Sent back in
// an edit (as clients that fetch a feed and post it back do), it keeps the
// stored key.
const secretMask = "********"

// puller returns a Puller that checks values against the server's
// warninglists.
func (s *Server) puller(ctx context.Context) *fetch.Puller {
	opts := fetch.Options{Version: s.cfg.CairnVersion, Logger: s.log, Node: s.cfg.Node, Heartbeat: s.cfg.Heartbeat}
	if k, err := s.knowledge(ctx); err == nil {
		opts.Warninglists = k.Warninglists
	} // else the Puller reads them itself, and its pull reports the fault
	return fetch.New(s.st, opts)
}

func (s *Server) feedsIndex(q *request) (any, error) {
	// Feeds and their pull reports are the instance's plumbing: what it
	// downloads, from where, and the text of refused lines. Site admins only.
	if err := requireSiteAdmin(q.actor); err != nil {
		return nil, err
	}
	feeds, err := s.st.Feeds(q.ctx())
	if err != nil {
		return nil, err
	}
	orgs := map[int64]map[string]any{}
	out := make([]map[string]any, 0, len(feeds))
	for _, f := range feeds {
		if _, ok := orgs[f.OrgcID]; !ok {
			orgs[f.OrgcID] = s.orgBrief(q.ctx(), f.OrgcID)
		}
		out = append(out, map[string]any{"Feed": feedJSON(f, s.st.Now()), "Orgc": orgs[f.OrgcID]})
	}
	return out, nil
}

// orgBrief is the {id, name, uuid} of an organisation, or nil.
func (s *Server) orgBrief(ctx context.Context, id int64) map[string]any {
	o, err := s.st.OrgByRef(ctx, itoa(id))
	if err != nil {
		return nil
	}
	return map[string]any{"id": itoa(o.ID), "name": o.Name, "uuid": o.UUID}
}

func (s *Server) feedView(q *request) (any, error) {
	if err := requireSiteAdmin(q.actor); err != nil {
		return nil, err
	}
	f, err := s.feedOf(q)
	if err != nil || q.r.Method == http.MethodHead {
		return nil, err
	}
	pulls, err := s.st.FeedPulls(q.ctx(), f.ID, 10)
	if err != nil {
		return nil, err
	}
	history := make([]map[string]any, 0, len(pulls))
	for _, p := range pulls {
		history = append(history, map[string]any{"started": itoa(p.Started), "finished": itoa(p.Finished),
			"result": resultWord(p.Success), "error": p.Error, "report": rawJSON(p.Report)})
	}
	doc := feedJSON(f, s.st.Now())
	doc["last_report"] = rawJSON(f.Health.LastReport)
	return map[string]any{"Feed": doc, "Orgc": s.orgBrief(q.ctx(), f.OrgcID), "FeedPull": history}, nil
}

func resultWord(ok bool) string {
	if ok {
		return "success"
	}
	return "failure"
}

// rawJSON passes stored JSON through, or null when there is none.
func rawJSON(s string) json.RawMessage {
	if strings.TrimSpace(s) == "" {
		return json.RawMessage("null")
	}
	return json.RawMessage(s)
}

// feedOf loads the feed named by the first path argument (id or name).
func (s *Server) feedOf(q *request) (store.Feed, error) {
	if q.arg(0) == "" {
		return store.Feed{}, notFound("Invalid feed")
	}
	f, err := s.st.FeedByRef(q.ctx(), q.arg(0))
	if errors.Is(err, store.ErrNotFound) {
		return f, notFound("Invalid feed")
	}
	return f, err
}

func (s *Server) feedAdd(q *request) (any, error) {
	if err := requireFeedAdmin(q.actor); err != nil {
		return nil, err
	}
	in, err := decodeFeed(q.body)
	if err != nil {
		return nil, err
	}
	f := store.Feed{SourceFormat: "freetext", FixedEvent: true, OrgcID: q.actor.Org.ID}
	if err := in.apply(q.ctx(), s.st, &f); err != nil {
		return nil, feedSaveFail(q, "add", err)
	}
	if err := remoteLocalPath("", f.URL); err != nil {
		return nil, err
	}
	created, err := s.st.CreateFeed(q.ctx(), f)
	if err != nil {
		return nil, feedSaveFail(q, "add", err)
	}
	s.log.Info("feed added", "action", "feed_add", "feed", created.Name, "feed_id", created.ID,
		"user", q.actor.User.Email)
	return map[string]any{"Feed": feedJSON(created, s.st.Now())}, nil
}

func (s *Server) feedEdit(q *request) (any, error) {
	if err := requireFeedAdmin(q.actor); err != nil {
		return nil, err
	}
	f, err := s.feedOf(q)
	if err != nil {
		return nil, err
	}
	in, err := decodeFeed(q.body)
	if err != nil {
		return nil, err
	}
	before := f.URL
	if err := in.apply(q.ctx(), s.st, &f); err != nil {
		return nil, feedSaveFail(q, "edit", err)
	}
	if err := remoteLocalPath(before, f.URL); err != nil {
		return nil, err
	}
	updated, err := s.st.UpdateFeed(q.ctx(), f)
	if err != nil {
		return nil, feedSaveFail(q, "edit", err)
	}
	return map[string]any{"Feed": feedJSON(updated, s.st.Now())}, nil
}

func (s *Server) feedDelete(q *request) (any, error) {
	if err := requireFeedAdmin(q.actor); err != nil {
		return nil, err
	}
	f, err := s.feedOf(q)
	if err != nil {
		return nil, err
	}
	if err := s.st.DeleteFeed(q.ctx(), f.ID); err != nil {
		return nil, err
	}
	s.log.Info("feed deleted", "action", "feed_delete", "feed", f.Name, "feed_id", f.ID, "user", q.actor.User.Email)
	return success("Feed deleted.", q.r.URL.Path, f.ID), nil
}

func (s *Server) feedEnable(q *request) (any, error)  { return s.feedSwitch(q, true) }
func (s *Server) feedDisable(q *request) (any, error) { return s.feedSwitch(q, false) }

func (s *Server) feedSwitch(q *request, on bool) (any, error) {
	if err := requireFeedAdmin(q.actor); err != nil {
		return nil, err
	}
	f, err := s.feedOf(q)
	if err != nil {
		return nil, err
	}
	if err := s.st.EnableFeed(q.ctx(), f.ID, on); err != nil {
		return nil, err
	}
	msg := "Feed disabled."
	if on {
		msg = "Feed enabled."
	}
	return map[string]any{"name": msg, "message": msg, "url": q.r.URL.Path}, nil
}

// feedFetch pulls one feed now and answers, as MISP does, with HTTP 200
// and a result sentence whatever the outcome; the report comes with it.
// The pull is not tied to the request: a client that gives up does not
// leave it half done.
func (s *Server) feedFetch(q *request) (any, error) {
	if err := requireFeedAdmin(q.actor); err != nil {
		return nil, err
	}
	f, err := s.feedOf(q)
	if err != nil {
		return nil, err
	}
	if !f.Enabled {
		return map[string]any{"result": "Feed is currently not enabled. Make sure you enable it."}, nil
	}
	rep, err := s.puller(q.ctx()).Pull(context.WithoutCancel(q.ctx()), f)
	switch {
	case errors.Is(err, fetch.ErrBusy):
		return map[string]any{"result": "A pull of this feed is already running."}, nil
	case rep == nil:
		return nil, err
	}
	return map[string]any{"result": rep.Summary(), "report": rep}, nil
}

func (s *Server) feedFetchAll(q *request) (any, error) {
	if err := requireFeedAdmin(q.actor); err != nil {
		return nil, err
	}
	reports, err := s.puller(q.ctx()).PullAll(context.WithoutCancel(q.ctx()))
	if err != nil && len(reports) == 0 {
		return nil, err
	}
	failed := 0
	for _, r := range reports {
		if !r.Succeeded() {
			failed++
		}
	}
	msg := fmt.Sprintf("Pulled %d enabled feed(s): %d succeeded, %d failed.", len(reports), len(reports)-failed, failed)
	if reports == nil {
		reports = []*fetch.Report{}
	}
	return map[string]any{"result": msg, "reports": reports}, nil
}

// feedCache answers feeds/cacheFeeds honestly: Cairn has no value cache
// beside the events. Every pull stores a feed's values as attributes,
// which search and correlation use like any others.
func (s *Server) feedCache(q *request) (any, error) {
	if err := requireFeedAdmin(q.actor); err != nil {
		return nil, err
	}
	return map[string]any{"result": "Cairn keeps no separate feed cache: every pull stores the feed's values " +
		"as attributes of events, which are searched and correlated like any others. Nothing was cached; " +
		"use feeds/fetchFromFeed or feeds/fetchFromAllFeeds to pull."}, nil
}

// feedPreview reads the feed's source without storing anything.
func (s *Server) feedPreview(q *request) (any, error) {
	if err := requireFeedAdmin(q.actor); err != nil {
		return nil, err
	}
	f, err := s.feedOf(q)
	if err != nil {
		return nil, err
	}
	limit := 100
	if v, err := strconv.Atoi(q.namedValue("limit")); err == nil && v > 0 {
		limit = min(v, 10000)
	}
	pv, err := s.puller(q.ctx()).Preview(q.ctx(), f, limit)
	if err != nil {
		return map[string]any{"result": "Could not read the feed: " + err.Error()}, nil
	}
	return map[string]any{"Feed": feedJSON(f, s.st.Now()), "Preview": pv}, nil
}

func (s *Server) feedLoadDefaults(q *request) (any, error) {
	if err := requireFeedAdmin(q.actor); err != nil {
		return nil, err
	}
	created, skipped, err := fetch.LoadPresets(q.ctx(), s.st)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(created))
	for _, f := range created {
		names = append(names, f.Name)
	}
	msg := fmt.Sprintf("Default feeds loaded: %d created (disabled), %d already present.", len(created), len(skipped))
	out := success(msg, q.r.URL.Path, 0)
	delete(out, "id")
	out["created"], out["skipped"] = names, nonNilStrings(skipped)
	return out, nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// remoteLocalPath refuses a feed URL that names a local file when it comes
// through the API: a local feed reads a file of the server, and its pull
// report quotes the lines it refuses, so only the operator at the command
// line (cairn feed add), who can read the files anyway, may set one.
func remoteLocalPath(before, after string) error {
	if after == before || !fetch.IsLocal(after) {
		return nil
	}
	return &httpError{status: http.StatusForbidden,
		msg: "A feed reading a local path can be set only with the cairn command line (cairn feed add)."}
}

// requireFeedAdmin admits site administrators with a writable key: feeds
// decide what the instance downloads and stores.
func requireFeedAdmin(a *store.Actor) error {
	if err := requireWrite(a); err != nil {
		return err
	}
	return requireSiteAdmin(a)
}

// feedSaveFail turns a refused feed into MISP's save failure (403).
func feedSaveFail(q *request, action string, err error) error {
	if !errors.Is(err, store.ErrInvalid) {
		return err
	}
	msg := "Could not " + action + " Feed"
	return &httpError{status: http.StatusForbidden, msg: msg,
		extra: map[string]any{"saved": false, "errors": reason(err)}}
}

// feedJSON is a feed as MISP shows it, with Cairn's fields after MISP's.
// The access key is masked.
func feedJSON(f store.Feed, now time.Time) map[string]any {
	input := "network"
	if fetch.IsLocal(f.URL) {
		input = "local"
	}
	return map[string]any{
		"id": itoa(f.ID), "name": f.Name, "provider": f.Provider, "url": feed.RedactURL(f.URL), "rules": "",
		"enabled": f.Enabled, "distribution": itoa(f.Distribution), "sharing_group_id": itoa(f.SharingGroupID),
		"tag_id": "0", "default": f.Default, "source_format": f.SourceFormat, "fixed_event": f.FixedEvent,
		"delta_merge": f.DeltaMerge, "event_id": itoa(f.EventID), "publish": f.Publish,
		"override_ids": f.OverrideIDs, "settings": f.Settings, "input_source": input,
		"delete_local_file": false, "lookup_visible": false, "headers": maskedHeaders(f),
		"caching_enabled": false, "force_to_ids": false, "orgc_id": itoa(f.OrgcID), "cache_timestamp": false,
		"schedule": fetch.FormatSchedule(f.Schedule), "tags": nonNilStrings(f.Tags),
		"auth_header": f.AuthHeader, "auth_secret": masked(f.AuthSecret), "user_agent": f.UserAgent,
		"ca_pin": f.CAPin, "insecure": f.Insecure, "health": fetch.HealthOf(f, now),
	}
}

func masked(secret string) string {
	if secret == "" {
		return ""
	}
	return secretMask
}

func maskedHeaders(f store.Feed) string {
	if f.AuthHeader == "" || f.AuthSecret == "" {
		return ""
	}
	return f.AuthHeader + ": " + secretMask
}

// feedInput is the body of feeds/add and feeds/edit: MISP's fields and
// Cairn's. Absent fields keep their value.
type feedInput struct {
	Name           *misp.String    `json:"name"`
	Provider       *misp.String    `json:"provider"`
	URL            *misp.String    `json:"url"`
	SourceFormat   *misp.String    `json:"source_format"`
	Enabled        *misp.Bool      `json:"enabled"`
	Distribution   *misp.Int       `json:"distribution"`
	SharingGroupID *misp.Int       `json:"sharing_group_id"`
	OrgcID         *misp.Int       `json:"orgc_id"`
	FixedEvent     *misp.Bool      `json:"fixed_event"`
	DeltaMerge     *misp.Bool      `json:"delta_merge"`
	Publish        *misp.Bool      `json:"publish"`
	OverrideIDs    *misp.Bool      `json:"override_ids"`
	EventID        *misp.Int       `json:"event_id"`
	TargetEvent    *misp.Int       `json:"target_event"`
	Settings       json.RawMessage `json:"settings"`
	Headers        *misp.String    `json:"headers"`
	TagID          *misp.Int       `json:"tag_id"`
	Tags           []string        `json:"tags"`
	Schedule       *misp.String    `json:"schedule"`
	AuthHeader     *misp.String    `json:"auth_header"`
	AuthSecret     *misp.String    `json:"auth_secret"`
	UserAgent      *misp.String    `json:"user_agent"`
	CAPin          *misp.String    `json:"ca_pin"`
	Insecure       *misp.Bool      `json:"insecure"`
}

func decodeFeed(body []byte) (*feedInput, error) {
	in := &feedInput{}
	if err := decode(body, "Feed", in); err != nil {
		return nil, err
	}
	return in, nil
}

// apply merges the input into f and validates the result.
func (in *feedInput) apply(ctx context.Context, st *store.Store, f *store.Feed) error {
	setS := func(dst *string, v *misp.String) {
		if v != nil {
			*dst = strings.TrimSpace(string(*v))
		}
	}
	setB := func(dst *bool, v *misp.Bool) {
		if v != nil {
			*dst = bool(*v)
		}
	}
	setI := func(dst *int64, v *misp.Int) {
		if v != nil {
			*dst = int64(*v)
		}
	}
	setS(&f.Name, in.Name)
	setS(&f.Provider, in.Provider)
	if in.URL == nil || string(*in.URL) != feed.RedactURL(f.URL) { // a masked URL posted back keeps the stored one
		setS(&f.URL, in.URL)
	}
	setS(&f.SourceFormat, in.SourceFormat)
	setS(&f.UserAgent, in.UserAgent)
	setS(&f.CAPin, in.CAPin)
	setB(&f.Enabled, in.Enabled)
	setB(&f.FixedEvent, in.FixedEvent)
	setB(&f.DeltaMerge, in.DeltaMerge)
	setB(&f.Publish, in.Publish)
	setB(&f.OverrideIDs, in.OverrideIDs)
	setB(&f.Insecure, in.Insecure)
	setI(&f.Distribution, in.Distribution)
	setI(&f.SharingGroupID, in.SharingGroupID)
	setI(&f.OrgcID, in.OrgcID)
	setI(&f.EventID, in.EventID)
	setI(&f.EventID, in.TargetEvent)
	if err := in.applyExtras(ctx, st, f); err != nil {
		return err
	}
	return fetch.Check(f)
}

// applyExtras handles the fields that need parsing: settings, schedule,
// tags and the access key.
func (in *feedInput) applyExtras(ctx context.Context, st *store.Store, f *store.Feed) error {
	if s, err := settingsText(in.Settings); err != nil {
		return err
	} else if s != "" {
		f.Settings = s
	}
	if in.Schedule != nil {
		d, err := fetch.ParseSchedule(string(*in.Schedule))
		if err != nil {
			return fmt.Errorf("%w: %v", store.ErrInvalid, err)
		}
		f.Schedule = d
	}
	if in.Tags != nil {
		f.Tags = in.Tags
	}
	if in.TagID != nil && *in.TagID > 0 {
		t, err := st.TagByRef(ctx, itoa(int64(*in.TagID)))
		if err != nil {
			return fmt.Errorf("%w: tag_id: %v", store.ErrInvalid, reason(err))
		}
		if !containsFold(f.Tags, t.Name) {
			f.Tags = append(f.Tags, t.Name)
		}
	}
	return in.applyKey(f)
}

// applyKey takes the access key from auth_header and auth_secret, or from
// MISP's headers field ("Name: value"). The mask keeps the stored key.
func (in *feedInput) applyKey(f *store.Feed) error {
	if in.Headers != nil && strings.TrimSpace(string(*in.Headers)) != "" {
		lines := strings.Split(strings.TrimSpace(string(*in.Headers)), "\n")
		if len(lines) > 1 {
			return fmt.Errorf("%w: headers: Cairn sends one header per feed (its access key), got %d",
				store.ErrInvalid, len(lines))
		}
		name, value, ok := strings.Cut(lines[0], ":")
		if !ok {
			return fmt.Errorf("%w: headers: write the header as \"Name: value\"", store.ErrInvalid)
		}
		f.AuthHeader = strings.TrimSpace(name)
		if v := strings.TrimSpace(value); v != secretMask {
			f.AuthSecret = v
		}
	}
	if in.AuthHeader != nil {
		f.AuthHeader = strings.TrimSpace(string(*in.AuthHeader))
	}
	if in.AuthSecret != nil && string(*in.AuthSecret) != secretMask {
		f.AuthSecret = strings.TrimSpace(string(*in.AuthSecret))
	}
	return nil
}

// settingsText accepts settings as a JSON object or as the JSON string MISP
// stores; "" means not given.
func settingsText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", badRequest("settings: " + err.Error())
		}
		return s, nil
	}
	if raw[0] != '{' {
		return "", fmt.Errorf("%w: settings: a JSON object was expected", store.ErrInvalid)
	}
	return string(raw), nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
