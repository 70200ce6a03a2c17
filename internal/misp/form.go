package misp

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// A value of the wrong form ("maybe" for a boolean, "abc" for a number, a
// list for a text) is refused by the loose scalars of loose.go with an
// error that encoding/json does not place: it knows only the Go types. So,
// like a refused text (see text.go), the refusal travels as an
// *json.UnmarshalTypeError, whose Field encoding/json fills with the path
// of the field being decoded, until DecodeError or a List reads it back.

// FieldError is a value of a MISP document that has the wrong form for its
// field.
type FieldError struct {
	// Field is the field's path in the document decoded: "distribution",
	// "Event.distribution", "Attribute[3].to_ids", "Orgc.id"; "" when the
	// value is the document or list item itself.
	Field  string
	Reason string // `"maybe" is not a boolean`, "got a JSON number, want text"
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

// formFault is the Go type named by a refusal of a loose scalar while it
// travels through encoding/json.
type formFault struct{}

var formFaultType = reflect.TypeFor[formFault]()

// wrongForm returns err, a loose scalar's refusal, as one that encoding/json
// gives the field's path.
func wrongForm(err error) error {
	if err == nil {
		return nil
	}
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		return err // placed already: a list's item, or a refused text
	}
	return &json.UnmarshalTypeError{Value: err.Error(), Type: formFaultType}
}

// fieldErrorOf returns err as a *FieldError when it is a value of the wrong
// form, or nil. A refused text is not one (see DecodeError).
func fieldErrorOf(err error) *FieldError {
	var ute *json.UnmarshalTypeError
	if !errorsAs(err, &ute) || ute.Type == textFaultType {
		return nil
	}
	fe := &FieldError{Field: fieldPath(ute.Field), Reason: ute.Value}
	if ute.Type != formFaultType {
		fe.Reason = fmt.Sprintf("got a JSON %s, want %s", ute.Value, kindName(ute.Type))
	}
	return fe
}

// fieldPath turns encoding/json's path, in which the items of a List come
// as fields ("Attribute.[3].to_ids"), into an index path.
func fieldPath(p string) string {
	return strings.ReplaceAll(p, ".[", "[")
}

// kindName names what a Go type reads from JSON.
func kindName(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "text"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8,
		reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "another type"
}
