package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/search"
	"github.com/cairn-intel/cairn/internal/store"
)

func (s *Server) eventsIndex(q *request) (any, error) {
	ip, err := search.ParseIndex(q.body, q.named, s.st.Now())
	if err != nil {
		return nil, err
	}
	events, total, err := search.Index(q.ctx(), s.st, q.actor, ip)
	if err != nil {
		return nil, err
	}
	q.w.Header().Set("X-Result-Count", itoa(total))
	out := make([]map[string]any, 0, len(events))
	for _, e := range events {
		if ip.Minimal {
			out = append(out, map[string]any{"id": itoa(e.ID), "timestamp": itoa(e.Timestamp),
				"sighting_timestamp": itoa(e.SightingTimestamp), "published": e.Published, "uuid": e.UUID,
				"orgc_uuid": e.Orgc.UUID})
			continue
		}
		out = append(out, indexEvent(e))
	}
	return out, nil
}

// viewParams returns the reader of events/view parameters: a named
// parameter of the path, else a field of the body.
func viewParams(q *request) func(k string) string {
	var body map[string]json.RawMessage
	_ = json.Unmarshal(unwrap(q.body, ""), &body) // an unreadable body just adds no options
	return func(k string) string {
		if v := q.namedValue(k); v != "" {
			return v
		}
		var s misp.String
		if raw, ok := body[k]; ok && json.Unmarshal(raw, &s) == nil {
			return string(s)
		}
		return ""
	}
}

// viewOptions reads the events/view parameters from named params or body.
func viewOptions(q *request) store.LoadOptions {
	opts := store.LoadOptions{}
	get := viewParams(q)
	switch d := q.named["deleted"]; {
	case len(d) > 1:
		opts.Deleted = store.DeletedBoth
	case get("deleted") == "only" || flag(get("deleted")):
		opts.Deleted = store.DeletedOnly
	}
	opts.WithAttachments = flag(get("includeAttachments")) || flag(get("withAttachments"))
	opts.ExcludeLocalTags = flag(get("excludeLocalTags"))
	opts.NoSightings = flag(get("noSightings"))
	switch get("toIDS") {
	case "1":
		t := true
		opts.ToIDS = &t
	case "2":
		f := false
		opts.ToIDS = &f
	}
	return opts
}

func (s *Server) eventView(q *request) (any, error) {
	if q.arg(0) == "" {
		return nil, notFound("Invalid event")
	}
	if q.r.Method == http.MethodHead {
		_, err := s.st.EventIDByRef(q.ctx(), q.actor, q.arg(0))
		return nil, err
	}
	e, err := s.st.EventByRef(q.ctx(), q.actor, q.arg(0), viewOptions(q))
	if err != nil {
		return nil, err
	}
	x, err := s.viewExtras(q)
	if err != nil {
		return nil, err
	}
	events := []store.Event{e}
	if err := s.decorateEvents(q.ctx(), events, x); err != nil {
		return nil, err
	}
	return map[string]any{"Event": events[0]}, nil
}

// viewExtras reads includeWarninglistHits and excludeGalaxy of
// events/view.
func (s *Server) viewExtras(q *request) (eventExtras, error) {
	get := viewParams(q)
	x := eventExtras{noGalaxy: flag(get("excludeGalaxy")), actor: q.actor, related: true,
		granular: flag(get("includeGranularCorrelations"))}
	if flag(get("includeWarninglistHits")) {
		k, err := s.knowledge(q.ctx())
		if err != nil {
			return x, err
		}
		x.warnings = store.WarningOptions{Check: k.WarningCheck(), Annotate: true}
	}
	return x, nil
}

func (s *Server) eventAdd(q *request) (any, error) {
	return s.saveEvent(q, store.SaveOptions{Mode: store.ModeCreate})
}

func (s *Server) eventEdit(q *request) (any, error) {
	opts := store.SaveOptions{Mode: store.ModeEdit}
	if ref := q.arg(0); ref != "" {
		id, err := s.st.EventIDByRef(q.ctx(), q.actor, ref)
		if err != nil {
			return nil, err
		}
		opts.TargetID = id
	}
	return s.saveEvent(q, opts)
}

// saveEvent runs events/add and events/edit: one transaction, the stored
// event in the answer, and the items that were left out with their reasons.
func (s *Server) saveEvent(q *request, opts store.SaveOptions) (any, error) {
	if err := requireWrite(q.actor); err != nil {
		return nil, err
	}
	var in misp.Event
	if err := decode(q.body, "Event", &in); err != nil {
		return nil, err
	}
	if opts.Mode == store.ModeEdit && opts.TargetID == 0 && (in.UUID == nil || *in.UUID == "") {
		return nil, badRequest("events/edit needs an event id or uuid in the path or the body")
	}
	res, err := s.st.SaveEvent(q.ctx(), q.actor, &in, opts)
	if err != nil {
		return nil, err
	}
	metadata := flag(q.namedValue("metadata"))
	e, err := s.st.EventByRef(q.ctx(), q.actor, itoa(res.EventID), store.LoadOptions{Metadata: metadata})
	if err != nil {
		return nil, err
	}
	saved := []store.Event{e}
	if err := s.decorateEvents(q.ctx(), saved, eventExtras{}); err != nil {
		return nil, err
	}
	e = saved[0]
	s.log.Info("event saved", "action", "event_"+res.Outcome, "user", q.actor.User.Email, "object", e.UUID,
		"attributes_created", res.AttributesCreated, "rejected", len(res.Rejected))
	out := map[string]any{"Event": e}
	if len(res.Rejected) > 0 {
		out["rejected"] = res.Rejected
	}
	return out, nil
}

func (s *Server) eventDelete(q *request) (any, error) {
	ref := q.arg(0)
	if ref == "" {
		var body struct {
			ID json.RawMessage `json:"id"`
		}
		_ = json.Unmarshal(unwrap(q.body, "Event"), &body) // no body: the path names the event
		var one misp.String
		if json.Unmarshal(body.ID, &one) == nil {
			ref = string(one)
		}
	}
	if ref == "" {
		return nil, badRequest("events/delete needs an event id or uuid")
	}
	id, err := s.st.DeleteEvent(q.ctx(), q.actor, ref)
	if err != nil {
		return nil, err
	}
	s.log.Info("event deleted", "action", "event_delete", "user", q.actor.User.Email, "object", ref)
	return success("Event deleted.", q.path+"/"+ref, id), nil
}

func (s *Server) eventPublish(q *request) (any, error) {
	id, err := s.st.PublishEvent(q.ctx(), q.actor, q.arg(0), true)
	if err != nil {
		return nil, err
	}
	return success("Event published without alerts", q.path+"/"+q.arg(0), id), nil
}

func (s *Server) eventUnpublish(q *request) (any, error) {
	id, err := s.st.PublishEvent(q.ctx(), q.actor, q.arg(0), false)
	if err != nil {
		return nil, err
	}
	return success("Event unpublished.", q.path+"/"+q.arg(0), id), nil
}

func (s *Server) eventsRestSearch(q *request) (any, error) {
	p, err := s.parseSearch(q)
	if err != nil {
		return nil, err
	}
	if p.ReturnFormat != "json" {
		return s.writeExport(q, p, search.ScopeEvents)
	}
	answer, err := search.PrepareEvents(q.ctx(), s.st, q.actor, p)
	if err != nil {
		return nil, err
	}
	x := eventExtras{noGalaxy: p.ExcludeGalaxy, actor: q.actor,
		related: p.IncludeCorrelations || p.IncludeEventCorrelations, granular: p.IncludeGranularCorrelations}
	q.w.Header().Set("X-Result-Count", itoa(answer.Total))
	setCursor(q, answer.Cursor)
	// The events are loaded, completed and written a chunk at a time.
	l := startList(q, `{"response":[`)
	err = answer.Each(q.ctx(), func(events []store.Event) error {
		if err := s.decorateEvents(q.ctx(), events, x); err != nil {
			return err
		}
		for i := range events {
			item := map[string]any{"Event": &events[i]}
			if err := l.item(func(b []byte) ([]byte, error) { return appendEncoded(b, item) }); err != nil {
				return err
			}
		}
		return nil
	})
	s.endList(l, err, "]}\n")
	return nil, nil
}

// parseSearch reads restSearch parameters: json and the export formats of
// package search are served, and a GET without any parameter is refused as
// MISP does.
func (s *Server) parseSearch(q *request) (search.Params, error) {
	p, err := search.ParseRestSearch(q.body, q.named, q.args, s.st.Now())
	if err != nil {
		return p, err
	}
	if q.r.Method == http.MethodGet && p.Empty() {
		return p, badRequest("Either specify the search terms in the url, or POST a json with the filter parameters.")
	}
	if p.ReturnFormat != "json" && !search.IsExportFormat(p.ReturnFormat) {
		return p, badRequest("returnFormat " + p.ReturnFormat + " is not supported; use json or one of " +
			strings.Join(search.ExportFormats(), ", "))
	}
	if p.EnforceWarninglist || p.IncludeWarninglistHits {
		k, err := s.knowledge(q.ctx())
		if err != nil {
			return p, err
		}
		p.Warnings = k.WarningCheck()
	}
	q.w.Header().Set("X-Export-Module-Used", p.ReturnFormat)
	q.w.Header().Set("X-Response-Format", "json")
	return p, nil
}

// tagRequest reads the event/attribute and tag of addTag and removeTag,
// from the path or from a body {"event"|"attribute": x, "tag": y, "local": 0|1}.
func tagRequest(q *request, targetKey string) (target, tag string, local bool, err error) {
	target, tag = q.arg(0), q.arg(1)
	local = flag(q.namedValue("local"))
	if len(q.body) > 0 {
		var body map[string]json.RawMessage
		if err := json.Unmarshal(unwrap(q.body, ""), &body); err != nil {
			return "", "", false, badRequest("the JSON body could not be read")
		}
		var v misp.String
		if raw, ok := body[targetKey]; ok && json.Unmarshal(raw, &v) == nil && target == "" {
			target = string(v)
		}
		if raw, ok := body["tag"]; ok && json.Unmarshal(raw, &v) == nil && tag == "" {
			tag = string(v)
		}
		var l misp.Bool
		if raw, ok := body["local"]; ok && json.Unmarshal(raw, &l) == nil {
			local = local || bool(l)
		}
	}
	if target == "" || tag == "" {
		return "", "", false, badRequest("name the " + targetKey + " and the tag")
	}
	return target, tag, local, nil
}

// tagAction answers MISP's tag attach/detach shape, which reports failures
// with HTTP 200 and saved:false.
func (s *Server) tagAction(q *request, targetKey string, isAttribute, remove bool) (any, error) {
	target, tag, local, err := tagRequest(q, targetKey)
	if err != nil {
		return nil, err
	}
	err = s.st.TagEvent(q.ctx(), q.actor, target, isAttribute, tag, local, remove)
	switch {
	case err == nil && remove:
		return map[string]any{"saved": true, "success": "Tag removed.", "check_publish": true}, nil
	case err == nil:
		return map[string]any{"saved": true, "success": "Tag added.", "check_publish": true}, nil
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrInvalid), errors.Is(err, store.ErrForbidden):
		return map[string]any{"saved": false, "errors": strings.TrimSpace(reason(err))}, nil
	}
	return nil, err
}

func (s *Server) eventAddTag(q *request) (any, error)    { return s.tagAction(q, "event", false, false) }
func (s *Server) eventRemoveTag(q *request) (any, error) { return s.tagAction(q, "event", false, true) }
