package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-intel/cairn/internal/misp"
)

// unwrap removes the envelopes MISP accepts around a model: {"request": x},
// {"response": x} and {"<Model>": x}.
func unwrap(body []byte, model string) []byte {
	body, _ = unwrapPath(body, model)
	return body
}

// unwrapPath is unwrap that also returns the path of the envelopes it
// removed ("Event", "request.Event"), so that an error can name a field by
// its path in the body as sent.
func unwrapPath(body []byte, model string) ([]byte, string) {
	var path []string
	for i := 0; i < 3; i++ {
		var m map[string]json.RawMessage
		if json.Unmarshal(body, &m) != nil || len(m) != 1 {
			break
		}
		key := "request"
		inner, ok := m[key]
		if !ok {
			key = "response"
			inner, ok = m[key]
		}
		if !ok && model != "" {
			key = model
			inner, ok = m[key]
		}
		if !ok {
			break
		}
		body, path = inner, append(path, key)
	}
	return body, strings.Join(path, ".")
}

// decode reads a JSON body (wrapped or bare) into v.
func decode(body []byte, model string, v any) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return badRequest("the request has no JSON body")
	}
	inner, path := unwrapPath(body, model)
	if err := json.Unmarshal(inner, v); err != nil {
		return badRequest("the JSON body could not be read: " + jsonErrorText(body, inFields(path, err)))
	}
	return nil
}

// inFields returns err, an error of decoding the value at path in a body,
// with a field of the wrong form or a refused text named by its path in the
// body.
func inFields(path string, err error) error {
	err = misp.DecodeError(err)
	var fe *misp.FieldError
	var te *misp.TextError
	switch {
	case path == "":
	case errors.As(err, &fe):
		fe.Field = strings.TrimSuffix(path+"."+fe.Field, ".")
	case errors.As(err, &te):
		te.Field = path + "." + te.Field
	}
	return err
}

// jsonErrorText adds the line and column of a syntax error.
func jsonErrorText(body []byte, err error) string {
	var se *json.SyntaxError
	if ok := asSyntax(err, &se); ok {
		line, col := 1, 1
		for _, c := range body[:min(int(se.Offset), len(body))] {
			if c == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
		return fmt.Sprintf("%s (line %d, column %d)", se.Error(), line, col)
	}
	var te *json.UnmarshalTypeError
	if asType(err, &te) && te.Field != "" {
		return fmt.Sprintf("field %s has the wrong JSON type (%s)", te.Field, te.Value)
	}
	if asType(err, &te) {
		return fmt.Sprintf("expected a JSON object, got %s", te.Value)
	}
	return err.Error()
}

func asSyntax(err error, target **json.SyntaxError) bool {
	se, ok := err.(*json.SyntaxError)
	if ok {
		*target = se
	}
	return ok
}

func asType(err error, target **json.UnmarshalTypeError) bool {
	te, ok := err.(*json.UnmarshalTypeError)
	if ok {
		*target = te
	}
	return ok
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func parseID(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

func timeParseDate(v string) (int64, error) {
	t, err := time.Parse("2006-01-02", v)
	return t.Unix(), err
}
