package feed

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/cairn-intel/cairn/internal/misp"
)

// record turns one JSON record into an item or a reject.
func (p *jsonParser) record(m map[string]any, key string, line int) error {
	p.stats.Records++
	raw := strings.TrimSpace(p.text(m, key, p.opts.Value))
	if raw == "" {
		p.refuse(line, p.opts.Value, "", "no value")
		return nil
	}
	if excludes(p.exclude, raw, "") {
		p.stats.Excluded++
		return nil
	}

	c, field, text, err := p.typeRecord(m, key, raw)
	if err != nil {
		p.refuse(line, field, text, err.Error())
		return nil
	}
	if excludes(p.exclude, "", c.Value) {
		p.stats.Excluded++
		return nil
	}
	return p.item(Item{
		Line:      line,
		Type:      c.Type,
		Value:     c.Value,
		Rule:      c.Rule,
		Comment:   joinComment(p.expandAll(p.comments, m, key, "; "), c.Comment),
		Tags:      p.expandTags(m, key),
		FirstSeen: parseFeedTime(p.text(m, key, p.opts.FirstSeen)),
		LastSeen:  parseFeedTime(p.text(m, key, p.opts.LastSeen)),
		SourceID:  p.text(m, key, p.opts.ID),
	})
}

// typeRecord types the value of a record; field and text name the field
// at fault and its text when it fails.
func (p *jsonParser) typeRecord(m map[string]any, key, raw string) (c Classification, field, text string, err error) {
	typ := p.opts.FixedType
	if p.opts.Type != "" {
		src := p.text(m, key, p.opts.Type)
		typ = src
		if p.opts.TypeMap != nil {
			typ = p.opts.TypeMap[src]
		}
		if typ == "" {
			return c, p.opts.Type, src, unknownTypeError(src)
		}
		if _, ok := misp.LookupType(typ); !ok {
			return c, p.opts.Type, src, reasonError(strconv.Quote(typ) + " is not an attribute type")
		}
	}
	if typ == "" {
		c, err = Classify(raw)
		return c, p.opts.Value, raw, err
	}
	value, err := normalize(typ, raw)
	if err != nil {
		return c, p.opts.Value, raw, reasonError(valueReason(typ, err))
	}
	return Classification{Type: typ, Value: value}, "", "", nil
}

type reasonError string

func (e reasonError) Error() string { return string(e) }

func unknownTypeError(src string) error {
	if src == "" {
		return reasonError("no type")
	}
	return reasonError("type " + strconv.Quote(src) + " is not mapped to an attribute type")
}

// lookup follows a dot-separated path in a record; "$key" is the member
// name matched by the last "*" of the records path.
func lookup(m map[string]any, key, path string) any {
	if path == "" {
		return nil
	}
	if path == "$key" {
		return key
	}
	var v any = m
	for _, name := range strings.Split(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = obj[name]
	}
	return v
}

// text returns a field as text: strings and numbers as written, booleans
// as true or false, anything else (null, objects, arrays) as "".
func (p *jsonParser) text(m map[string]any, key, path string) string {
	s := scalarText(lookup(m, key, path))
	if isSentinel(s) || p.absent[strings.ToLower(s)] {
		return ""
	}
	return s
}

func scalarText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// listText returns a field as a list: the elements of an array, or a
// comma-separated string split.
func (p *jsonParser) listText(m map[string]any, key, path string) []string {
	v := lookup(m, key, path)
	arr, ok := v.([]any)
	if !ok {
		arr = nil
		for _, part := range strings.Split(scalarText(v), ",") {
			arr = append(arr, part)
		}
	}
	var out []string
	for _, e := range arr {
		s := strings.TrimSpace(scalarText(e))
		if !isSentinel(s) && !p.absent[strings.ToLower(s)] {
			out = append(out, s)
		}
	}
	return out
}

// template is text with {path} placeholders.
type template struct {
	parts []templatePart
}

type templatePart struct {
	text  string
	field bool // text is a path to a field
}

func parseTemplate(s string) template {
	var t template
	for s != "" {
		open := strings.IndexByte(s, '{')
		end := strings.IndexByte(s[max(open, 0):], '}')
		if open < 0 || end < 0 {
			t.parts = append(t.parts, templatePart{text: s})
			break
		}
		end += open
		if open > 0 {
			t.parts = append(t.parts, templatePart{text: s[:open]})
		}
		t.parts = append(t.parts, templatePart{text: s[open+1 : end], field: true})
		s = s[end+1:]
	}
	return t
}

// fields returns the placeholders of a template.
func (t template) fields() []string {
	var out []string
	for _, part := range t.parts {
		if part.field {
			out = append(out, part.text)
		}
	}
	return out
}

// expand fills a template with values; ok is false when one is missing.
func (t template) expand(value func(path string) string) (string, bool) {
	var b strings.Builder
	for _, part := range t.parts {
		if !part.field {
			b.WriteString(part.text)
			continue
		}
		v := value(part.text)
		if v == "" {
			return "", false
		}
		b.WriteString(v)
	}
	return strings.TrimSpace(b.String()), true
}

func (p *jsonParser) expandAll(ts []template, m map[string]any, key, sep string) string {
	var out []string
	for _, t := range ts {
		if s, ok := t.expand(func(path string) string { return p.text(m, key, path) }); ok && s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, sep)
}

// expandTags gives one tag per element of a single-placeholder template's
// list, and one tag for other templates.
func (p *jsonParser) expandTags(m map[string]any, key string) []string {
	var tags []string
	for _, t := range p.tags {
		fields := t.fields()
		if len(fields) != 1 {
			if s := p.expandAll([]template{t}, m, key, ""); s != "" {
				tags = append(tags, s)
			}
			continue
		}
		for _, v := range p.listText(m, key, fields[0]) {
			if s, ok := t.expand(func(string) string { return v }); ok && s != "" {
				tags = append(tags, s)
			}
		}
	}
	return tags
}
