package api

import (
	"strconv"

	"github.com/cairn-intel/cairn/internal/store"
)

// maxTopCorrelations bounds the lists of correlating values.
const maxTopCorrelations = 1000

// correlationsTop lists the values that correlate the most, as the caller
// sees them: GET correlations/top[/limit:N].
func (s *Server) correlationsTop(q *request) (any, error) {
	return s.correlatedValues(q, false)
}

// correlationsOver lists the over-correlating values the caller sees:
// GET correlations/overCorrelatingValues[/limit:N].
func (s *Server) correlationsOver(q *request) (any, error) {
	return s.correlatedValues(q, true)
}

func (s *Server) correlatedValues(q *request, overOnly bool) (any, error) {
	limit := 50
	if v := firstNonEmpty(q.namedValue("limit"), q.r.URL.Query().Get("limit")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxTopCorrelations {
			return nil, badRequest("limit must be a number from 1 to " + strconv.Itoa(maxTopCorrelations))
		}
		limit = n
	}
	list, err := s.st.TopCorrelations(q.ctx(), q.actor, limit, overOnly)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]store.CorrelatedValue, 0, len(list))
	for _, v := range list {
		out = append(out, map[string]store.CorrelatedValue{"Correlation": v})
	}
	return out, nil
}

// correlationsStats sizes the correlation index as the caller sees it:
// GET correlations/stats.
func (s *Server) correlationsStats(q *request) (any, error) {
	st, err := s.st.CorrelationStats(q.ctx(), q.actor)
	if err != nil {
		return nil, err
	}
	return map[string]any{"CorrelationStats": st}, nil
}
