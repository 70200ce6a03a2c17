package fetch

import (
	"context"
	"errors"
	"sort"

	"github.com/cairn-intel/cairn/internal/feed"
	"github.com/cairn-intel/cairn/internal/store"
)

// Preview is what a feed's source holds, read without storing anything.
type Preview struct {
	Feed      string         `json:"feed"`
	Format    string         `json:"source_format"`
	Bytes     int64          `json:"bytes"`
	Items     []PreviewItem  `json:"items,omitempty"`
	Events    []PreviewEvent `json:"events,omitempty"`
	Rejects   []RejectedLine `json:"rejects"`
	Stats     *feed.Stats    `json:"stats,omitempty"`
	Truncated bool           `json:"truncated"` // the source holds more than the limit
	Insecure  bool           `json:"insecure_tls,omitempty"`
}

// PreviewItem is an indicator a list feed would store.
type PreviewItem struct {
	Line     int      `json:"line"`
	Type     string   `json:"type"`
	Value    string   `json:"value"`
	Category string   `json:"category,omitempty"`
	Comment  string   `json:"comment,omitempty"`
	Tags     []string `json:"tags,omitempty"`
}

// PreviewEvent is an event of a MISP feed's manifest and what a pull would
// do with it: "new", "changed" or "unchanged".
type PreviewEvent struct {
	UUID      string `json:"uuid"`
	Info      string `json:"info"`
	Date      string `json:"date"`
	Timestamp int64  `json:"timestamp"`
	Status    string `json:"status"`
}

var errPreviewFull = errors.New("preview limit reached")

// Preview reads up to limit indicators (or manifest entries) of a feed and
// the lines rejected among them. It stores nothing and needs no claim.
func (p *Puller) Preview(ctx context.Context, f store.Feed, limit int) (*Preview, error) {
	set, err := DecodeSettings(f.SourceFormat, f.Settings)
	if err != nil {
		return nil, err
	}
	rep := &Report{}
	src, err := p.newSource(f, rep)
	if err != nil {
		return nil, err
	}
	pv := &Preview{Feed: f.Name, Format: f.SourceFormat, Rejects: []RejectedLine{}, Insecure: rep.Insecure}
	if f.SourceFormat == "misp" {
		return pv, p.previewMISP(ctx, f, src, pv, limit)
	}
	b, err := src.open(ctx, "")
	if err != nil {
		return nil, err
	}
	defer b.Close()
	emit := func(it feed.Item) error {
		if len(pv.Items) == limit {
			pv.Truncated = true
			return errPreviewFull
		}
		pv.Items = append(pv.Items, PreviewItem{Line: it.Line, Type: it.Type, Value: it.Value,
			Category: it.Category, Comment: it.Comment, Tags: it.Tags})
		return nil
	}
	reject := func(rj feed.Reject) {
		if len(pv.Rejects) < limit {
			pv.Rejects = append(pv.Rejects, RejectedLine{Line: rj.Line, Where: rj.Field, Text: rj.Text, Reason: rj.Reason})
		}
	}
	stats, err := set.Parse.Parse(ctx, b, emit, reject)
	pv.Bytes, pv.Stats = b.bytes, &stats
	if err != nil && !errors.Is(err, errPreviewFull) {
		return nil, err
	}
	return pv, nil
}

func (p *Puller) previewMISP(ctx context.Context, f store.Feed, src *source, pv *Preview, limit int) error {
	m := &mispPull{p: p, f: f, src: src, rep: &Report{}}
	entries, err := m.manifest(ctx)
	if err != nil {
		return err
	}
	pv.Bytes = m.rep.Bytes
	pv.Rejects = append(pv.Rejects, m.rep.Rejects...)
	sort.Slice(entries, func(i, j int) bool { return entries[i].Timestamp > entries[j].Timestamp })
	if len(entries) > limit {
		entries, pv.Truncated = entries[:limit], true
	}
	actor, err := p.actor(ctx)
	if err != nil {
		return err
	}
	uuids := make([]string, len(entries))
	for i, e := range entries {
		uuids[i] = e.UUID
	}
	stored, err := p.st.EventTimestamps(ctx, actor, uuids)
	if err != nil {
		return err
	}
	for _, e := range entries {
		status := "new"
		if ts, ok := stored[e.UUID]; ok {
			status = "changed"
			if ts >= e.Timestamp {
				status = "unchanged"
			}
		}
		pv.Events = append(pv.Events, PreviewEvent{UUID: e.UUID, Info: e.Info, Date: e.Date,
			Timestamp: e.Timestamp, Status: status})
	}
	return nil
}
