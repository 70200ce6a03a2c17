package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/search"
	"github.com/cairn-intel/cairn/internal/store"
)

// attributeList reads attributes/add bodies: one attribute, a list, or one
// attribute whose value is a list (one attribute per value).
func attributeList(body []byte) (misp.List[misp.Attribute], bool, error) {
	var list misp.List[misp.Attribute]
	raw := bytes.TrimSpace(unwrap(bytes.TrimSpace(body), "Attribute"))
	if len(raw) == 0 {
		return list, false, badRequest("the request has no JSON body")
	}
	single := raw[0] == '{'
	if single {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return list, false, badRequest("the JSON body could not be read: " + jsonErrorText(raw, err))
		}
		if v := bytes.TrimSpace(m["value"]); len(v) > 0 && v[0] == '[' {
			var values []json.RawMessage
			if err := json.Unmarshal(v, &values); err != nil {
				return list, false, badRequest("value: " + err.Error())
			}
			items := make([]map[string]json.RawMessage, 0, len(values))
			for _, val := range values {
				item := map[string]json.RawMessage{}
				for k, x := range m {
					item[k] = x
				}
				item["value"] = val
				items = append(items, item)
			}
			raw, _ = json.Marshal(items)
			single = false
		}
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return list, false, badRequest("the JSON body could not be read: " + jsonErrorText(raw, err))
	}
	return list, single, nil
}

func (s *Server) attributeAdd(q *request) (any, error) {
	if err := requireWrite(q.actor); err != nil {
		return nil, err
	}
	list, single, err := attributeList(q.body)
	if err != nil {
		return nil, err
	}
	if len(list.Items) == 0 && len(list.Bad) == 0 {
		return nil, badRequest("the request holds no attribute")
	}
	res, written, err := s.st.AddChildren(q.ctx(), q.actor, q.arg(0), list, misp.List[misp.Object]{})
	if err != nil {
		return nil, err
	}
	attrs, err := s.st.AttributesByUUID(q.ctx(), q.actor, written)
	if err != nil {
		return nil, err
	}
	errs, inside := attributeErrors(res.Rejected)
	switch {
	case len(attrs) == 0:
		q.status = http.StatusForbidden
		return saveFail("add", "Attribute", q.path+"/"+q.arg(0), map[string]any{"rejected": res.Rejected}), nil
	case single && len(res.Rejected) > 0:
		// A tag left out: said under "rejected", as events/add says it,
		// since PyMISP reads "errors" of a single attribute as a failure.
		return map[string]any{"Attribute": attrs[0], "rejected": res.Rejected}, nil
	case single:
		return map[string]any{"Attribute": attrs[0]}, nil
	}
	out := map[string]any{"Attribute": attrs}
	if len(errs) > 0 {
		out["errors"] = errs
	}
	if len(inside) > 0 {
		out["rejected"] = inside
	}
	return out, nil
}

// attributeErrors keys the rejections of attributes left out by the
// position of their attribute in the request, as MISP's "attribute_<n>"
// ("Attribute[3]" under attribute_3): they were numbered by failure, so
// the second of two failures was attribute_1 wherever it stood. What was
// refused inside an attribute that was stored (a tag, say) is returned
// apart, under "rejected": a MISP client reads attribute_<n> as attribute n
// not saved.
func attributeErrors(rejected []store.Rejection) (errs map[string]any, inside []store.Rejection) {
	errs = map[string]any{}
	for i, r := range rejected {
		n, whole := attributeIndex(r.Item)
		switch {
		case whole:
			errs["attribute_"+n] = r
		case n != "":
			inside = append(inside, r)
		default: // no position: keep the old numbering
			errs[fmt.Sprintf("attribute_%d", i)] = r
		}
	}
	return errs, inside
}

// attributeIndex reads the position out of "Attribute[3]" (whole) or
// "Attribute[3].Tag[0]" (not whole); n is "" for anything else.
func attributeIndex(item string) (n string, whole bool) {
	rest, ok := strings.CutPrefix(item, "Attribute[")
	if !ok {
		return "", false
	}
	n, rest, ok = strings.Cut(rest, "]")
	if _, err := strconv.Atoi(n); !ok || err != nil {
		return "", false
	}
	return n, rest == ""
}

func (s *Server) attributeEdit(q *request) (any, error) {
	if err := requireWrite(q.actor); err != nil {
		return nil, err
	}
	var in misp.Attribute
	if err := decode(q.body, "Attribute", &in); err != nil {
		return nil, err
	}
	at, err := s.st.EditAttribute(q.ctx(), q.actor, q.arg(0), in)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Attribute": at}, nil
}

func (s *Server) attributeDelete(q *request) (any, error) {
	hard := q.arg(1) == "1" || flag(q.namedValue("hard"))
	if len(q.body) > 0 {
		var body struct {
			Hard misp.Bool `json:"hard"`
		}
		_ = json.Unmarshal(q.body, &body) // an unreadable body means a soft delete
		hard = hard || bool(body.Hard)
	}
	if _, err := s.st.DeleteAttribute(q.ctx(), q.actor, q.arg(0), hard); err != nil {
		return nil, err
	}
	return map[string]any{"message": "Attribute deleted."}, nil
}

// attributeRestore takes back a soft deletion: POST attributes/restore/{id}.
func (s *Server) attributeRestore(q *request) (any, error) {
	at, err := s.st.RestoreAttribute(q.ctx(), q.actor, q.arg(0))
	if err != nil {
		return nil, err
	}
	return map[string]any{"Attribute": at}, nil
}

func (s *Server) attributeView(q *request) (any, error) {
	at, err := s.st.AttributeByRef(q.ctx(), q.actor, q.arg(0), store.DeletedBoth)
	if err != nil || q.r.Method == http.MethodHead {
		return nil, err
	}
	return map[string]any{"Attribute": at}, nil
}

func (s *Server) attributesRestSearch(q *request) (any, error) {
	p, err := s.parseSearch(q)
	if err != nil {
		return nil, err
	}
	if p.ReturnFormat != "json" {
		return s.writeExport(q, p, search.ScopeAttributes)
	}
	x, err := search.PrepareAttributes(q.ctx(), s.st, q.actor, p)
	if err != nil {
		return nil, err
	}
	q.w.Header().Set("X-Result-Count", itoa(x.Total))
	setCursor(q, x.Cursor)
	s.writeAttributeList(q, x)
	return nil, nil
}

// setCursor sends the continuation cursor of a restSearch answer, if any.
func setCursor(q *request, cursor string) {
	if cursor != "" {
		q.w.Header().Set("X-Cairn-Cursor", cursor)
	}
}

// writeExport streams a restSearch answer in an export format, written as
// the rows are read. The headers go out before the body, so
// X-Result-Count is sent only for count, whose body is the number; the
// continuation cursor is known beforehand and sent as X-Cairn-Cursor. An
// error met before the first byte is answered as usual; after it, the body
// ends early and the error is logged.
func (s *Server) writeExport(q *request, p search.Params, scope search.Scope) (any, error) {
	opts, err := search.ParseExportOptions(p.ReturnFormat, q.body, q.named)
	if err != nil {
		return nil, err
	}
	scheme := "https://"
	if q.r.TLS == nil {
		scheme = "http://"
	}
	opts.SIDBase, opts.BaseURL, opts.Now = q.actor.User.NIDSSID, scheme+q.r.Host, s.st.Now()
	x, err := search.PrepareExport(q.ctx(), s.st, q.actor, p, opts, scope)
	if err != nil {
		return nil, err
	}

	h := q.w.Header()
	h.Set("Content-Type", x.ContentType())
	h.Set("X-Response-Format", x.ResponseFormat())
	setCursor(q, x.Cursor())
	if q.r.Method == http.MethodHead {
		return nil, nil
	}

	body := &lazyBody{q: q}
	if p.ReturnFormat == "count" {
		return nil, s.writeCount(q, x, body)
	}
	w := bufio.NewWriterSize(body, 64<<10)
	n, err := x.Run(q.ctx(), w)
	if err == nil {
		err = w.Flush()
	}
	action := "export_" + p.ReturnFormat
	switch {
	case err == nil:
		s.log.Debug("export written", "action", action, "path", q.r.URL.Path, "attributes_read", n)
	case body.started:
		s.cutShort(q, "export", err)
	default:
		return nil, err
	}
	return nil, nil
}

// writeCount answers the count format: the number, also in X-Result-Count.
func (s *Server) writeCount(q *request, x *search.Export, body *lazyBody) error {
	var buf bytes.Buffer
	n, err := x.Run(q.ctx(), &buf)
	if err != nil {
		return err
	}
	q.w.Header().Set("X-Result-Count", itoa(n))
	_, _ = body.Write(buf.Bytes()) // the client went away: nothing left to tell it
	return nil
}

// writeAttributeList writes {"response": {"Attribute": [...]}} as the
// answer's chunks come, encoding each attribute with its own appender
// rather than reflection.
func (s *Server) writeAttributeList(q *request, x *search.AttributeAnswer) {
	l := startList(q, `{"response":{"Attribute":[`)
	err := x.Each(q.ctx(), func(chunk []store.Attribute) error {
		for _, at := range chunk {
			if err := l.item(at.AppendJSON); err != nil {
				return err
			}
		}
		return nil
	})
	s.endList(l, err, "]}}\n")
}

func (s *Server) attributeAddTag(q *request) (any, error) {
	return s.tagAction(q, "attribute", true, false)
}

func (s *Server) attributeRemoveTag(q *request) (any, error) {
	return s.tagAction(q, "attribute", true, true)
}
