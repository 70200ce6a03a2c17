package api

import (
	"fmt"
	"time"

	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/search"
	"github.com/cairn-intel/cairn/internal/store"
)

func (s *Server) sightingAdd(q *request) (any, error) {
	var body struct {
		Value  misp.String   `json:"value"`
		Values []misp.String `json:"values"`
		ID     misp.String   `json:"id"`
		UUID   misp.String   `json:"uuid"`
		Type   misp.Int      `json:"type"`
		Source misp.String   `json:"source"`
		TS     misp.Int      `json:"timestamp"`
		Date   misp.String   `json:"date"`
		Time   misp.String   `json:"time"`
	}
	if len(q.body) > 0 {
		if err := search.CheckListSize(q.body); err != nil {
			return nil, err
		}
		if err := decode(q.body, "Sighting", &body); err != nil {
			return nil, err
		}
	}
	if len(body.Values) > search.MaxTerms {
		return nil, badRequest(fmt.Sprintf("%d values, at most %d are taken in one request; split it", len(body.Values), search.MaxTerms))
	}
	in := store.SightingInput{AttributeRef: q.arg(0), Type: int64(body.Type), Source: string(body.Source), Timestamp: int64(body.TS)}
	if in.AttributeRef == "" {
		in.AttributeRef = firstNonEmpty(string(body.ID), string(body.UUID))
	}
	if body.Value != "" {
		in.Values = append(in.Values, string(body.Value))
	}
	for _, v := range body.Values {
		in.Values = append(in.Values, string(v))
	}
	if in.Timestamp == 0 && body.Date != "" {
		t, err := time.Parse("2006-01-02 15:04:05", string(body.Date)+" "+firstNonEmpty(string(body.Time), "00:00:00"))
		if err != nil {
			return nil, badRequest("date and time must be YYYY-MM-DD and HH:MM:SS")
		}
		in.Timestamp = t.Unix()
	}
	last, n, err := s.st.AddSightings(q.ctx(), q.actor, in)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"Sighting": last}
	if n > 1 {
		out["message"] = itoa(int64(n)) + " sightings successfully added."
	}
	return out, nil
}

func (s *Server) sightingsIndex(q *request) (any, error) {
	list, err := s.st.EventSightings(q.ctx(), q.actor, q.arg(0))
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(list))
	for _, sg := range list {
		out = append(out, map[string]any{"Sighting": sg})
	}
	return out, nil
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
