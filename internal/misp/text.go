package misp

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"
)

// Text is stored the same on both databases only when it is valid UTF-8
// without a NUL character: PostgreSQL refuses either in a text column,
// SQLite keeps them, and a row holding one stops a copy between the two.
// Every text field of a MISP document is a String, and String refuses both
// as it is decoded, so that the events of the API, of `cairn import` and of
// MISP feeds are refused before any write, with the field named.

// The reasons a text is refused.
const (
	ReasonNUL  = `holds a NUL character (\u0000), which no text field may hold`
	ReasonUTF8 = "is not valid UTF-8"
)

// TextFault returns why s cannot be stored as text, or "" when it can.
func TextFault(s string) string {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return ReasonNUL
	case !utf8.ValidString(s):
		return ReasonUTF8
	}
	return ""
}

// TextError is a text field of a MISP document that cannot be stored.
type TextError struct {
	// Field is the field's path in the event: "info", "Orgc.name",
	// "Attribute[3].comment", "Object[0].Attribute[1].Tag[0].name".
	Field  string
	Reason string // ReasonNUL or ReasonUTF8
}

func (e *TextError) Error() string { return e.Field + " " + e.Reason }

// DecodeError returns err, an error of encoding/json decoding a MISP
// document, with a refused text turned into a *TextError and a value of the
// wrong form (or JSON type) into a *FieldError. Callers that report
// decoding errors pass them through it.
func DecodeError(err error) error {
	if fe := fieldErrorOf(err); fe != nil {
		return fe
	}
	var ute *json.UnmarshalTypeError
	if !errorsAs(err, &ute) || ute.Type != textFaultType {
		return err
	}
	field := strings.ReplaceAll(ute.Field, ".[", "[")
	field = strings.TrimPrefix(field, "Event.") // the wrapper of {"Event": {...}}
	return &TextError{Field: field, Reason: ute.Value}
}

// textFault is the Go type named by the errors of refused texts while they
// travel through encoding/json. It gives only an *json.UnmarshalTypeError
// the path of the field being decoded, so a refused text travels as one,
// its Value holding the reason, until DecodeError makes it a TextError. A
// List adds the item's index to the path (see textFaultAt).
type textFault struct{}

var textFaultType = reflect.TypeFor[textFault]()

// checkText refuses the text s decoded from the JSON token raw. Invalid
// UTF-8 is looked for in raw, since decoding replaces it.
func checkText(raw []byte, s string) error {
	reason := ""
	switch {
	case !utf8.Valid(raw):
		reason = ReasonUTF8
	case strings.IndexByte(s, 0) >= 0:
		reason = ReasonNUL
	}
	if reason == "" {
		return nil
	}
	return &json.UnmarshalTypeError{Value: reason, Type: textFaultType}
}

// textFaultAt returns err, the error of decoding item i of a list, as a
// refused text whose path starts at the item, or nil when err is not one.
func textFaultAt(i int, err error) error {
	var ute *json.UnmarshalTypeError
	if !errorsAs(err, &ute) || ute.Type != textFaultType {
		return nil
	}
	path := fmt.Sprintf("[%d]", i)
	if ute.Field != "" {
		path += "." + ute.Field
	}
	return &json.UnmarshalTypeError{Value: ute.Value, Type: textFaultType, Field: path}
}
