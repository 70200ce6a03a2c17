package search

import (
	"slices"
	"strconv"
	"strings"

	"github.com/cairn-intel/cairn/internal/misp"
)

// csvColumn is one column a CSV export may carry.
type csvColumn struct {
	value func(b []byte, r *exportRow) []byte
	needs rowNeeds
}

func textColumn(get func(r *exportRow) string, needs rowNeeds) csvColumn {
	return csvColumn{needs: needs, value: func(b []byte, r *exportRow) []byte {
		return appendCSVField(b, get(r))
	}}
}

func intColumn(get func(r *exportRow) int64, needs rowNeeds) csvColumn {
	return csvColumn{needs: needs, value: func(b []byte, r *exportRow) []byte {
		return strconv.AppendInt(b, get(r), 10)
	}}
}

func boolColumn(get func(r *exportRow) bool) csvColumn {
	return intColumn(func(r *exportRow) int64 {
		if get(r) {
			return 1
		}
		return 0
	}, rowNeeds{})
}

var (
	noNeeds      = rowNeeds{}
	objectNeeds  = rowNeeds{object: true}
	contextNeeds = rowNeeds{context: true}
)

// csvColumns are the columns requested_attributes may name: attribute
// fields, the attribute's object, and its event (event_*). "date" is the
// attribute timestamp, as MISP heads that column.
var csvColumns = map[string]csvColumn{
	"id":        intColumn(func(r *exportRow) int64 { return r.ID }, noNeeds),
	"uuid":      textColumn(func(r *exportRow) string { return r.UUID }, noNeeds),
	"event_id":  intColumn(func(r *exportRow) int64 { return r.EventID }, noNeeds),
	"object_id": intColumn(func(r *exportRow) int64 { return r.ObjectID }, noNeeds),
	"object_relation": textColumn(func(r *exportRow) string {
		if r.ObjectRelation == nil {
			return ""
		}
		return *r.ObjectRelation
	}, noNeeds),
	"category":            textColumn(func(r *exportRow) string { return r.Category }, noNeeds),
	"type":                textColumn(func(r *exportRow) string { return r.Type }, noNeeds),
	"value":               textColumn(func(r *exportRow) string { return r.Value() }, noNeeds),
	"value1":              textColumn(func(r *exportRow) string { return r.Value1 }, noNeeds),
	"value2":              textColumn(func(r *exportRow) string { return r.Value2 }, noNeeds),
	"comment":             textColumn(func(r *exportRow) string { return r.Comment }, noNeeds),
	"to_ids":              boolColumn(func(r *exportRow) bool { return r.ToIDS }),
	"timestamp":           intColumn(func(r *exportRow) int64 { return r.Timestamp }, noNeeds),
	"date":                intColumn(func(r *exportRow) int64 { return r.Timestamp }, noNeeds),
	"distribution":        intColumn(func(r *exportRow) int64 { return r.Distribution }, noNeeds),
	"sharing_group_id":    intColumn(func(r *exportRow) int64 { return r.SharingGroupID }, noNeeds),
	"deleted":             boolColumn(func(r *exportRow) bool { return r.Deleted }),
	"disable_correlation": boolColumn(func(r *exportRow) bool { return r.DisableCorrelation }),
	"first_seen":          textColumn(func(r *exportRow) string { return seenCSV(r.FirstSeen) }, noNeeds),
	"last_seen":           textColumn(func(r *exportRow) string { return seenCSV(r.LastSeen) }, noNeeds),
	"attribute_tag": textColumn(func(r *exportRow) string { return r.attrTags },
		rowNeeds{attrTags: true}),

	"object_uuid":          textColumn(func(r *exportRow) string { return r.objectUUID }, objectNeeds),
	"object_name":          textColumn(func(r *exportRow) string { return r.objectName }, objectNeeds),
	"object_meta-category": textColumn(func(r *exportRow) string { return r.objectMeta }, objectNeeds),

	"event_info":              textColumn(func(r *exportRow) string { return r.Event.Info }, noNeeds),
	"event_uuid":              textColumn(func(r *exportRow) string { return r.Event.UUID }, noNeeds),
	"event_distribution":      intColumn(func(r *exportRow) int64 { return r.Event.Distribution }, noNeeds),
	"event_publish_timestamp": intColumn(func(r *exportRow) int64 { return r.Event.PublishTimestamp }, noNeeds),
	"event_published":         boolColumn(func(r *exportRow) bool { return r.Event.Published }),
	"event_org_id":            intColumn(func(r *exportRow) int64 { return r.Event.OrgID }, noNeeds),
	"event_orgc_id":           intColumn(func(r *exportRow) int64 { return r.Event.OrgcID }, noNeeds),
	"event_member_org":        textColumn(func(r *exportRow) string { return r.eventOrg }, contextNeeds),
	"event_source_org":        textColumn(func(r *exportRow) string { return r.eventOrgc }, contextNeeds),
	"event_threat_level_id":   intColumn(func(r *exportRow) int64 { return r.eventThreat }, contextNeeds),
	"event_analysis":          intColumn(func(r *exportRow) int64 { return r.eventAnalysis }, contextNeeds),
	"event_date":              textColumn(func(r *exportRow) string { return r.eventDate }, contextNeeds),
	"event_timestamp":         intColumn(func(r *exportRow) int64 { return r.eventTimestamp }, contextNeeds),
	"event_tag": textColumn(func(r *exportRow) string { return r.eventTags },
		rowNeeds{eventTags: true}),
}

// The default columns, MISP's: the attribute, its object, and with
// includeContext its event.
var (
	csvDefault = []string{"uuid", "event_id", "category", "type", "value", "comment", "to_ids", "date",
		"object_relation", "attribute_tag", "object_uuid", "object_name", "object_meta-category"}
	csvContext = []string{"event_info", "event_member_org", "event_source_org", "event_distribution",
		"event_threat_level_id", "event_analysis", "event_date", "event_tag", "event_timestamp"}
)

// csvWriter writes comma-separated values, one attribute a line, ended by
// LF as MISP ends them. A field is quoted (RFC 4180) when it holds a comma,
// a double quote, CR or LF, so that no value can add a line or a column.
type csvWriter struct {
	names    []string
	cols     []csvColumn
	noHeader bool
}

func openCSV(p Params, _ ExportOptions) (formatWriter, rowNeeds, error) {
	names := p.RequestedAttributes
	if len(names) == 0 {
		names = csvDefault
		if p.IncludeContext {
			names = append(slices.Clone(csvDefault), csvContext...)
		}
	}
	w := &csvWriter{noHeader: p.Headerless}
	needs := rowNeeds{full: true}
	seen := map[string]bool{}
	for _, n := range names {
		c, ok := csvColumns[strings.ToLower(n)]
		if !ok {
			return nil, needs, &ParamError{Param: "requested_attributes", Reason: "no column " + strconv.Quote(n)}
		}
		if seen[strings.ToLower(n)] {
			continue // a column named twice is written once
		}
		seen[strings.ToLower(n)] = true
		w.names = append(w.names, n)
		w.cols = append(w.cols, c)
		needs.object = needs.object || c.needs.object
		needs.context = needs.context || c.needs.context
		needs.attrTags = needs.attrTags || c.needs.attrTags
		needs.eventTags = needs.eventTags || c.needs.eventTags
	}
	return w, needs, nil
}

func (w *csvWriter) begin(b []byte) []byte {
	if w.noHeader {
		return b
	}
	for i, n := range w.names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCSVField(b, n)
	}
	return append(b, '\n')
}

func (w *csvWriter) row(b []byte, r *exportRow) []byte {
	for i, c := range w.cols {
		if i > 0 {
			b = append(b, ',')
		}
		b = c.value(b, r)
	}
	return append(b, '\n')
}

func (w *csvWriter) end(b []byte) []byte { return b }

// appendCSVField appends s, quoted and with its quotes doubled when it
// holds a comma, a quote, CR or LF.
func appendCSVField(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return append(b, s...)
	}
	b = append(b, '"')
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			break
		}
		b = append(b, s[:i+1]...)
		b = append(b, '"')
		s = s[i+1:]
	}
	b = append(b, s...)
	return append(b, '"')
}

func seenCSV(micros *int64) string {
	if micros == nil {
		return ""
	}
	return misp.FormatSeen(*micros)
}
