package fetch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/store"
)

// mispPull is one pull of a MISP-format feed.
type mispPull struct {
	p     *Puller
	f     store.Feed
	set   Settings
	actor *store.Actor
	src   *source
	rep   *Report
	wl    *warninglister // nil when the feed turns warninglists off
	dir   string         // where the event files wait for the transaction
	orgc  *misp.Org
}

// manifestEntry is what a pull needs of one event of manifest.json.
type manifestEntry struct {
	UUID      string
	Timestamp int64
	Info      string
	Date      string
}

// pullMISP reads manifest.json, downloads the events that are new or
// newer than the stored copy into a temporary directory, then saves them
// in one transaction. Nothing is written if a download fails.
func (p *Puller) pullMISP(ctx context.Context, m *mispPull) error {
	m.rep.Unit = unitEvents
	entries, err := m.manifest(ctx)
	if err != nil {
		return err
	}
	todo, err := m.changed(ctx, entries)
	if err != nil || len(todo) == 0 {
		return err
	}
	if m.dir, err = os.MkdirTemp(p.opts.TempDir, "cairn-feed-"); err != nil {
		return err
	}
	defer os.RemoveAll(m.dir)
	var ready []manifestEntry
	for _, e := range todo {
		ok, err := m.download(ctx, e)
		if err != nil {
			return err
		}
		if ok {
			ready = append(ready, e)
		}
	}
	if err := m.save(ctx, ready); err != nil {
		return err
	}
	if m.rep.Created+m.rep.Updated+m.rep.Unchanged == 0 && m.rep.Rejected > 0 {
		return fmt.Errorf("none of the %d events of the manifest could be stored: %d rejected", len(entries), m.rep.Rejected)
	}
	return nil
}

// manifest reads manifest.json one entry at a time.
func (m *mispPull) manifest(ctx context.Context) ([]manifestEntry, error) {
	b, err := m.src.open(ctx, "manifest.json")
	if err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	defer b.Close()
	entries, err := readManifest(b, m.rep)
	m.rep.Bytes += b.bytes
	if err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	return entries, nil
}

// readManifest decodes the manifest object, keyed by event uuid. Entries
// whose key is not a uuid are rejected.
func readManifest(r io.Reader, rep *Report) ([]manifestEntry, error) {
	dec := json.NewDecoder(r)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a MISP feed manifest: a JSON object keyed by event uuid was expected")
	}
	var out []manifestEntry
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v struct {
			Timestamp misp.Int    `json:"timestamp"`
			Info      misp.String `json:"info"`
			Date      misp.String `json:"date"`
		}
		key, _ := tok.(string)
		if err := dec.Decode(&v); err != nil {
			var te *misp.TextError
			if errors.As(misp.DecodeError(err), &te) {
				rep.reject(RejectedLine{Where: key, Reason: "manifest entry: " + te.Error()})
				continue
			}
			return nil, err
		}
		u, err := uuid.Parse(key)
		if err != nil {
			rep.reject(RejectedLine{Where: key, Reason: "manifest key is not an event uuid"})
			continue
		}
		out = append(out, manifestEntry{UUID: u.String(), Timestamp: int64(v.Timestamp), Info: string(v.Info),
			Date: string(v.Date)})
	}
	return out, nil
}

// changed keeps the entries unknown to the store or newer than the stored
// event, and counts the others as unchanged.
func (m *mispPull) changed(ctx context.Context, entries []manifestEntry) ([]manifestEntry, error) {
	uuids := make([]string, len(entries))
	for i, e := range entries {
		uuids[i] = e.UUID
	}
	stored, err := m.p.st.EventTimestamps(ctx, m.actor, uuids)
	if err != nil {
		return nil, err
	}
	var todo []manifestEntry
	for _, e := range entries {
		if ts, ok := stored[e.UUID]; ok && ts >= e.Timestamp {
			m.rep.Unchanged++
			continue
		}
		todo = append(todo, e)
	}
	sort.Slice(todo, func(i, j int) bool { return todo[i].Timestamp < todo[j].Timestamp })
	return todo, nil
}

// download copies one event file to the temporary directory. An event
// the server does not have (404) is rejected; other failures end the pull.
func (m *mispPull) download(ctx context.Context, e manifestEntry) (bool, error) {
	b, err := m.src.open(ctx, e.UUID+".json")
	var se *StatusError
	if errors.As(err, &se) && se.Status == 404 {
		m.rep.reject(RejectedLine{Where: e.UUID, Reason: "listed in the manifest but not served (HTTP 404)"})
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("event %s: %w", e.UUID, err)
	}
	defer b.Close()
	out, err := os.Create(filepath.Join(m.dir, e.UUID+".json"))
	if err != nil {
		return false, err
	}
	_, err = io.Copy(out, b)
	m.rep.Bytes += b.bytes
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, fmt.Errorf("event %s: %w", e.UUID, err)
	}
	return true, nil
}

// save stores the downloaded events in one transaction, reading and
// decoding one file at a time, so only one event is in memory. (Decoding
// ahead in a goroutine was measured: no gain, the writer is the bound.)
func (m *mispPull) save(ctx context.Context, ready []manifestEntry) error {
	if len(ready) == 0 {
		return nil
	}
	if err := m.feedOrg(ctx); err != nil {
		return err
	}
	i := 0
	var current string
	next := func() (*misp.Event, error) {
		for ; i < len(ready); i++ {
			e := ready[i]
			ev, err := readEventFile(filepath.Join(m.dir, e.UUID+".json"))
			if err != nil {
				m.rep.reject(RejectedLine{Where: e.UUID, Reason: "cannot read the event: " + misp.DecodeError(err).Error()})
				continue
			}
			if ev.UUID == nil || !strings.EqualFold(strings.TrimSpace(*ev.UUID), e.UUID) {
				m.rep.reject(RejectedLine{Where: e.UUID, Reason: "the file holds another event than the manifest names"})
				continue
			}
			if narrowed := m.prepare(ev, e); narrowed > 0 {
				m.rep.note("event %s: %d item(s) shared with a sharing group of the source kept to your "+
					"organisation", e.UUID, narrowed)
			}
			m.wl.event(ev, e.UUID)
			current = e.UUID
			i++
			return ev, nil
		}
		return nil, io.EOF
	}
	done := func(res store.SaveResult, err error) { m.count(current, res, err) }
	return m.p.st.SaveEventStream(ctx, m.actor, next, store.SaveOptions{Mode: store.ModeUpsert, Preserve: true}, done)
}

func (m *mispPull) count(u string, res store.SaveResult, err error) {
	if err != nil {
		m.rep.reject(RejectedLine{Where: u, Reason: err.Error()})
		return
	}
	switch res.Outcome {
	case store.OutcomeCreated:
		m.rep.Created++
	case store.OutcomeUpdated:
		m.rep.Updated++
	default:
		m.rep.Unchanged++
	}
	m.rep.AttributesCreated += res.AttributesCreated
	m.rep.AttributesUpdated += res.AttributesUpdated
	for _, rj := range res.Rejected {
		m.rep.reject(RejectedLine{Where: u + " " + rj.Item, Text: rj.UUID,
			Reason: strings.TrimSpace(rj.Field + " " + rj.Reason)})
	}
}

// feedOrg is the creator organisation given to events that name none.
func (m *mispPull) feedOrg(ctx context.Context) error {
	o, err := m.p.st.OrgByRef(ctx, fmt.Sprint(m.f.OrgcID))
	if err != nil {
		return fmt.Errorf("the feed's organisation: %w", err)
	}
	name := misp.String(o.Name)
	m.orgc = &misp.Org{Name: &name, UUID: &o.UUID}
	return nil
}

// readEventFile decodes an event file: {"Event": {...}}, the bare event,
// {"response": [{"Event": {...}}]} or a list of one event.
func readEventFile(path string) (*misp.Event, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	raw = []byte(strings.TrimSpace(strings.TrimPrefix(string(raw), "\uFEFF")))
	if len(raw) > 0 && raw[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil || len(list) != 1 {
			return nil, errors.New("a list holding one event was expected")
		}
		raw = list[0]
	}
	var doc struct {
		Wrapped  *misp.Event       `json:"Event"`
		Response []json.RawMessage `json:"response"`
		misp.Event
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	switch {
	case doc.Wrapped != nil:
		return doc.Wrapped, nil
	case len(doc.Response) == 1:
		return readEventDoc(doc.Response[0])
	case doc.Info != nil || doc.UUID != nil:
		return &doc.Event, nil
	}
	return nil, errors.New("not a MISP event")
}

func readEventDoc(raw json.RawMessage) (*misp.Event, error) {
	var doc struct {
		Wrapped *misp.Event `json:"Event"`
	}
	err := json.Unmarshal(raw, &doc)
	var te *misp.TextError
	if errors.As(misp.DecodeError(err), &te) {
		return nil, te
	}
	if err != nil || doc.Wrapped == nil {
		return nil, errors.New(`{"Event": {...}} was expected in the response`)
	}
	return doc.Wrapped, nil
}
