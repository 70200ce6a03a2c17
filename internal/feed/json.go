package feed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/cairn-intel/cairn/internal/misp"
)

// JSONOptions maps the records of a JSON feed to indicators. It is a small
// mapping language:
//
//   - Records says where the records are: "" for the document itself (an
//     array of records, or one record), or a dot-separated path of member
//     names, where "*" stands for every member of an object. The value
//     found there is a record (an object), an array of records, or an
//     array of arrays of records.
//   - Value, Type, FirstSeen, LastSeen and ID name a field of a record by
//     a dot-separated path; "$key" is the member name matched by the last
//     "*" (ThreatFox keeps its ids there).
//   - Comment and Tags are templates: text with {path} placeholders. A
//     template whose placeholder is empty, null or listed in Absent gives
//     nothing. A tag template with one placeholder gives one tag for each
//     element of an array or comma-separated string. Comment parts are
//     joined with "; ".
//
// The type of a record is TypeMap[record's Type field] when TypeMap is
// set, the Type field itself when it is not, FixedType when there is no
// Type field, and the classification table when there is neither.
type JSONOptions struct {
	Records   string
	Value     string
	Type      string
	TypeMap   map[string]string
	FixedType string
	FirstSeen string
	LastSeen  string
	ID        string
	Comment   []string
	Tags      []string
	Absent    []string // values that mean "none", besides null, "" and "None"
	Exclude   string   // see CompileExclude
	MaxRecord int      // 0 means DefaultMaxRecord
}

// ThreatFoxJSON returns the mapping of ThreatFox's JSON export
// (export/json/recent/): an object keyed by IOC id, each value an array
// holding one IOC. The malware family becomes a MISP galaxy tag and the
// export's own tags are kept as they are.
func ThreatFoxJSON() JSONOptions {
	return JSONOptions{
		Records: "*",
		Value:   "ioc_value",
		Type:    "ioc_type",
		TypeMap: map[string]string{
			"ip:port": "ip-dst|port", "domain": "domain", "url": "url",
			"md5_hash": "md5", "sha1_hash": "sha1", "sha256_hash": "sha256",
		},
		ID:        "$key",
		FirstSeen: "first_seen_utc",
		LastSeen:  "last_seen_utc",
		Comment: []string{"{threat_type}", "{malware_printable}",
			"confidence {confidence_level}", "{reference}"},
		Tags:   []string{"{tags}", `misp-galaxy:malpedia="{malware_printable}"`},
		Absent: []string{"unknown", "Unknown malware"},
	}
}

// ParseJSON reads the records of a JSON document as opts maps them,
// streaming with json.Decoder so that only one record is in memory at a
// time. A record that yields no indicator is rejected with the line where
// it starts; malformed JSON ends the parse with an error naming the line.
func ParseJSON(ctx context.Context, r io.Reader, opts JSONOptions,
	emit func(Item) error, reject func(Reject)) (Stats, error) {
	p, err := newJSONParser(opts, emit, reject)
	if err != nil {
		return Stats{}, err
	}
	cr := &countingReader{r: r}
	p.idx = &lineIndex{r: cr, limit: int64(cmpOr(opts.MaxRecord, DefaultMaxRecord))}
	p.dec = json.NewDecoder(p.idx)
	p.dec.UseNumber()

	err = p.walk(ctx, splitPath(opts.Records), "")
	p.stats.Bytes, p.stats.Lines = cr.n, p.idx.lines()
	return p.stats, err
}

type jsonParser struct {
	*sink
	opts     JSONOptions
	exclude  *regexp.Regexp
	comments []template
	tags     []template
	absent   map[string]bool
	dec      *json.Decoder
	idx      *lineIndex
	peek     [64]byte
}

func newJSONParser(opts JSONOptions, emit func(Item) error, reject func(Reject)) (*jsonParser, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	exclude, err := CompileExclude(opts.Exclude)
	if err != nil {
		return nil, err
	}
	p := &jsonParser{sink: newSink(emit, reject), opts: opts, exclude: exclude,
		absent: map[string]bool{}}
	for _, a := range opts.Absent {
		p.absent[strings.ToLower(a)] = true
	}
	for _, t := range opts.Comment {
		p.comments = append(p.comments, parseTemplate(t))
	}
	for _, t := range opts.Tags {
		p.tags = append(p.tags, parseTemplate(t))
	}
	return p, nil
}

func (o JSONOptions) validate() error {
	if o.Value == "" {
		return errors.New("json mapping: Value must name the field holding the indicator")
	}
	types := []string{o.FixedType}
	for _, t := range o.TypeMap {
		types = append(types, t)
	}
	for _, t := range types {
		if _, ok := misp.LookupType(t); t != "" && !ok {
			return fmt.Errorf("json mapping: %q is not an attribute type", t)
		}
	}
	return nil
}

func splitPath(p string) []string {
	if p == "" {
		return nil
	}
	return strings.Split(p, ".")
}

// walk descends the document along path; key is the member name matched
// by the last "*".
func (p *jsonParser) walk(ctx context.Context, path []string, key string) error {
	if len(path) == 0 {
		return p.records(ctx, key)
	}
	tok, err := p.dec.Token()
	if err != nil {
		return p.syntax(err)
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("json: expected an object holding %q, found %v", path[0], tok)
	}
	found := false
	for p.dec.More() {
		name, err := p.memberName()
		if err != nil {
			return err
		}
		switch {
		case path[0] == "*":
			found, err = true, p.walk(ctx, path[1:], name)
		case name == path[0]:
			found, err = true, p.walk(ctx, path[1:], key)
		default:
			err = p.skip()
		}
		if err != nil {
			return err
		}
	}
	if !found && path[0] != "*" {
		return fmt.Errorf("json: the document has no member %q where the records should be", path[0])
	}
	_, err = p.dec.Token()
	return p.syntax(err)
}

func (p *jsonParser) memberName() (string, error) {
	tok, err := p.dec.Token()
	if err != nil {
		return "", p.syntax(err)
	}
	name, _ := tok.(string)
	return name, nil
}

// skip passes over one value token by token, so a large value that holds
// no records is never held in memory.
func (p *jsonParser) skip() error {
	depth := 0
	for {
		tok, err := p.dec.Token()
		if err != nil {
			return p.syntax(err)
		}
		p.idx.release(p.dec.InputOffset())
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// records reads the value where the records are.
func (p *jsonParser) records(ctx context.Context, key string) error {
	line := p.nextLine()
	tok, err := p.dec.Token()
	if err != nil {
		return p.syntax(err)
	}
	switch tok {
	case json.Delim('['):
		return p.array(ctx, key)
	case json.Delim('{'):
		m, validUTF8, err := p.objectRest()
		if err != nil {
			return err
		}
		if field, reason := recordFault(validUTF8, m); reason != "" {
			p.stats.Records++
			p.refuse(line, field, "", reason)
			return nil
		}
		return p.record(m, key, line)
	}
	p.stats.Records++
	p.refuse(line, "", fmt.Sprint(tok), "not a record")
	return nil
}

// array reads the elements of an array of records, one at a time.
func (p *jsonParser) array(ctx context.Context, key string) error {
	for p.dec.More() {
		if err := ctx.Err(); err != nil {
			return err
		}
		line := p.nextLine()
		v, raw, err := p.decodeValue()
		if err != nil {
			return err
		}
		p.idx.release(p.dec.InputOffset())
		if field, reason := recordFault(utf8.Valid(raw), v); reason != "" {
			p.stats.Records++
			p.refuse(line, field, string(raw), reason)
			continue
		}
		if err := p.element(v, key, line); err != nil {
			return err
		}
	}
	_, err := p.dec.Token()
	return p.syntax(err)
}

func (p *jsonParser) element(v any, key string, line int) error {
	switch v := v.(type) {
	case map[string]any:
		return p.record(v, key, line)
	case []any:
		for _, e := range v {
			if err := p.element(e, key, line); err != nil {
				return err
			}
		}
		return nil
	}
	p.stats.Records++
	p.refuse(line, "", fmt.Sprint(v), "not a record")
	return nil
}

// objectRest reads the members of an object whose "{" was just read;
// validUTF8 says whether their values were valid UTF-8.
func (p *jsonParser) objectRest() (m map[string]any, validUTF8 bool, err error) {
	m, validUTF8 = map[string]any{}, true
	for p.dec.More() {
		name, err := p.memberName()
		if err != nil {
			return nil, false, err
		}
		v, raw, err := p.decodeValue()
		if err != nil {
			return nil, false, err
		}
		m[name], validUTF8 = v, validUTF8 && utf8.Valid(raw)
	}
	_, err = p.dec.Token()
	return m, validUTF8, p.syntax(err)
}

// decodeValue reads the next value whole and returns it decoded, with its
// bytes: decoding replaces invalid UTF-8, which recordFault refuses.
func (p *jsonParser) decodeValue() (v any, raw json.RawMessage, err error) {
	if err := p.dec.Decode(&raw); err != nil {
		return nil, nil, p.syntax(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, nil, err // not met: raw was read as one JSON value
	}
	return v, raw, nil
}

// nextLine returns the line where the next value starts, looking past
// blanks, commas and colons in what the decoder has buffered.
func (p *jsonParser) nextLine() int {
	off := p.dec.InputOffset()
	buf := p.peek[:]
	rest := p.dec.Buffered()
	for {
		n, _ := rest.Read(buf)
		if n == 0 {
			break
		}
		skipped := len(buf[:n]) - len(strings.TrimLeft(string(buf[:n]), " \t\r\n,:"))
		off += int64(skipped)
		if skipped < n {
			break
		}
	}
	return p.idx.lineAt(off)
}

// syntax names the line of a JSON syntax error.
func (p *jsonParser) syntax(err error) error {
	var se *json.SyntaxError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		return fmt.Errorf("json: line %d: %w", p.idx.lineAt(se.Offset), err)
	case errors.Is(err, io.EOF):
		return fmt.Errorf("json: the document ends early: %w", io.ErrUnexpectedEOF)
	}
	return err
}
