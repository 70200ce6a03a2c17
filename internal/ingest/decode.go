package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cairn-intel/cairn/internal/misp"
)

// The decoder reads one JSON value at a time with json.Decoder, so a list
// of events is never held in memory whole: only the event being saved is.

// document is a JSON object that may hold an event, either wrapped as
// {"Event": {...}} or as the event's own fields. EventTag and
// attribute_count only serve to recognise an events/index summary.
type document struct {
	Wrapped *misp.Event `json:"Event"`
	misp.Event
	EventTag       json.RawMessage `json:"EventTag"`
	AttributeCount *misp.Int       `json:"attribute_count"`
}

// event returns the event the document holds, or why it holds none.
func (d *document) event() (*misp.Event, string) {
	if d.Wrapped != nil {
		return d.Wrapped, ""
	}
	e := &d.Event
	switch {
	case d.indexSummary():
		return nil, indexSummaryReason
	case e.Info != nil || hasChildren(e) || e.UUID != nil && (e.Orgc != nil || e.Date != nil):
		return e, ""
	}
	return nil, "not a MISP event: it has none of the keys Event, info, Attribute, Object or uuid with Orgc or date"
}

// unreadable is the rejection of a document that did not decode. The
// decoder fills what it can, which is enough to recognise an events/index
// summary, whose lower-case "org" does not fit an event's Org.
func unreadable(file, label string, doc *document, err error) Rejection {
	rej := Rejection{File: file, Where: label, EventUUID: uuidText(doc.UUID)}
	if doc.Wrapped == nil && doc.indexSummary() {
		rej.Reason = indexSummaryReason
	} else {
		rej.Reason = "cannot read the event: " + errorText(doc.fieldError(err))
	}
	return rej
}

// fieldError names the field of err, an error decoding the document, by its
// path in the document. encoding/json names a field of the embedded bare
// event Event.x, as it names one of the wrapped event.
func (d *document) fieldError(err error) error {
	err = misp.DecodeError(err)
	var fe *misp.FieldError
	if d.Wrapped == nil && errors.As(err, &fe) {
		fe.Field = strings.TrimPrefix(fe.Field, "Event.")
	}
	return err
}

// wrappedFieldError names the field of err, an error decoding the value of
// a document's "Event" key on its own, by its path in the document.
func wrappedFieldError(err error) error {
	err = misp.DecodeError(err)
	var fe *misp.FieldError
	if errors.As(err, &fe) {
		fe.Field = strings.TrimSuffix("Event."+fe.Field, ".")
	}
	return err
}

const indexSummaryReason = "an events/index summary without the event's attributes, not a full event; " +
	"export the event itself"

// indexSummary recognises a row of events/index: EventTag instead of Tag,
// or an attribute count without attributes.
func (d *document) indexSummary() bool {
	return !hasChildren(&d.Event) && (d.EventTag != nil || d.AttributeCount != nil && *d.AttributeCount > 0)
}

// hasChildren reports whether an event read lists attributes, objects or
// reports, well-formed or not.
func hasChildren(e *misp.Event) bool {
	return hasItems(e.Attribute) || hasItems(e.Object) || hasItems(e.EventReport)
}

func hasItems[T any](l misp.List[T]) bool { return len(l.Items)+len(l.Bad) > 0 }

// byteOrderMark is skipped at the start of a file; some editors write it.
var byteOrderMark = []byte{0xEF, 0xBB, 0xBF}

// readFile imports the events of one file. Problems with the file are
// rejections; the error it returns is fatal.
func (r *run) readFile(ctx context.Context, src source) error {
	f, err := os.Open(src.path)
	if err != nil {
		r.reject(Rejection{File: src.path, Reason: "cannot open: " + errorText(err)})
		return nil
	}
	defer f.Close()
	br := bufio.NewReaderSize(&countingReader{r: f, n: &r.prog.BytesDone}, 256<<10)
	var base int64
	if head, _ := br.Peek(len(byteOrderMark)); bytes.Equal(head, byteOrderMark) {
		n, _ := br.Discard(len(byteOrderMark)) // cannot fail after a successful Peek
		base = int64(n)
	}
	dec := json.NewDecoder(br)
	before := r.prog.Events
	err = r.readDocument(ctx, dec, src)
	var fatal *fatalError
	switch {
	case errors.As(err, &fatal):
		return fatal.err
	case err != nil:
		r.reject(Rejection{File: src.path, Where: positionText(src.path, base, dec, err),
			Reason: fileErrorText(err, r.prog.Events-before)})
	}
	return nil
}

// readDocument reads the single JSON value a file holds.
func (r *run) readDocument(ctx context.Context, dec *json.Decoder, src source) error {
	tok, err := dec.Token()
	if errors.Is(err, io.EOF) {
		return errors.New("the file is empty")
	}
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('['):
		err = r.readList(ctx, dec, src, "")
	case json.Delim('{'):
		err = r.readObject(ctx, dec, src, "")
	default:
		return fmt.Errorf("not a MISP event: the document is %s, not an object or a list", scalarKind(tok))
	}
	if err != nil {
		return err
	}
	end := dec.InputOffset()
	switch _, err := dec.Token(); {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		return err
	}
	return &trailingError{offset: end}
}

// trailingError is data after the document; offset is where it ended.
type trailingError struct{ offset int64 }

func (e *trailingError) Error() string { return "unexpected data after the end of the JSON document" }

// readList reads the elements of a list whose "[" was consumed; each one is
// an event, wrapped or not.
func (r *run) readList(ctx context.Context, dec *json.Decoder, src source, prefix string) error {
	for i := 0; dec.More(); i++ {
		label := fmt.Sprintf("%s[%d]", prefix, i)
		var doc document
		if err := dec.Decode(&doc); err != nil {
			if isSyntax(err) {
				return err
			}
			r.reject(unreadable(src.path, label, &doc, err))
			continue
		}
		if err := r.handle(ctx, src, label, &doc); err != nil {
			return err
		}
	}
	_, err := dec.Token() // the closing ]
	return err
}

// readObject reads an object whose "{" was consumed. A "response" key holds
// a list of events, read one by one; otherwise the object is one event,
// wrapped in "Event" (decoded directly) or bare (its fields gathered first).
func (r *run) readObject(ctx context.Context, dec *json.Decoder, src source, label string) error {
	o := objectReader{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if err := o.field(ctx, r, dec, src, label, tok.(string)); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing }
		return err
	}
	switch {
	case o.wrapped != nil:
		return r.save(ctx, src, label, o.wrapped)
	case o.wrappedErr != nil:
		r.reject(Rejection{File: src.path, Where: label, Reason: "cannot read the event: " + errorText(wrappedFieldError(o.wrappedErr))})
		return nil
	case o.response:
		return nil
	}
	return r.bareEvent(ctx, src, label, &o)
}

// objectReader gathers the keys of one object.
type objectReader struct {
	wrapped    *misp.Event
	wrappedErr error
	response   bool
	fields     bytes.Buffer
	keys       []string
}

func (o *objectReader) field(ctx context.Context, r *run, dec *json.Decoder, src source, label, key string) error {
	switch key {
	case "response":
		o.response = true
		return r.readResponse(ctx, dec, src, label+".response")
	case "Event":
		var ev misp.Event
		if err := dec.Decode(&ev); err != nil {
			if isSyntax(err) {
				return err
			}
			o.wrappedErr = err
			return nil
		}
		o.wrapped = &ev
		return nil
	}
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	o.keys = append(o.keys, key)
	appendField(&o.fields, key, raw)
	return nil
}

// bareEvent saves an object that is the event's own fields.
func (r *run) bareEvent(ctx context.Context, src source, label string, o *objectReader) error {
	var doc document
	if err := json.Unmarshal(append(append([]byte{'{'}, o.fields.Bytes()...), '}'), &doc); err != nil {
		r.reject(unreadable(src.path, label, &doc, err))
		return nil
	}
	ev, why := doc.event()
	if ev == nil {
		why += fmt.Sprintf(" (its keys: %s)", strings.Join(clip(o.keys, 8), ", "))
		r.reject(Rejection{File: src.path, Where: label, EventUUID: uuidText(doc.UUID), Reason: why})
		return nil
	}
	return r.save(ctx, src, label, ev)
}

// readResponse reads the value of a "response" key: a list of events, or
// one object.
func (r *run) readResponse(ctx context.Context, dec *json.Decoder, src source, label string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('['):
		return r.readList(ctx, dec, src, label)
	case json.Delim('{'):
		return r.readObject(ctx, dec, src, label)
	}
	r.reject(Rejection{File: src.path, Where: label, Reason: "response is " + scalarKind(tok) + ", not a list of events"})
	return nil
}

// handle saves the event of a document, or rejects the document.
func (r *run) handle(ctx context.Context, src source, label string, doc *document) error {
	ev, why := doc.event()
	if ev == nil {
		r.reject(Rejection{File: src.path, Where: label, EventUUID: uuidText(doc.UUID), Reason: why})
		return nil
	}
	return r.save(ctx, src, label, ev)
}

func appendField(buf *bytes.Buffer, key string, raw json.RawMessage) {
	if buf.Len() > 0 {
		buf.WriteByte(',')
	}
	k, _ := json.Marshal(key) // a string always marshals
	buf.Write(k)
	buf.WriteByte(':')
	buf.Write(raw)
}

func clip(ss []string, n int) []string {
	if len(ss) <= n {
		return ss
	}
	return append(ss[:n:n], "…")
}

func scalarKind(tok json.Token) string {
	switch tok.(type) {
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "a closing bracket"
}

// countingReader adds the bytes read to *n, for progress reports.
type countingReader struct {
	r io.Reader
	n *int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}
