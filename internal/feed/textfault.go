package feed

import (
	"strings"

	"github.com/cairn-intel/cairn/internal/misp"
)

// A line or record holding text that cannot be stored, a NUL character or
// invalid UTF-8 (misp.TextFault), is rejected whole, as the API refuses a
// whole body: none of its cells or pieces reaches the database. Blank and
// comment lines and header rows, which store nothing, are still skipped.

// lineFault says why a line (or a CSV record) cannot be used, or "".
func lineFault(text string) string {
	if fault := misp.TextFault(text); fault != "" {
		return "the line " + fault
	}
	return ""
}

// recordFault says why a decoded JSON record cannot be used, naming the
// field (a dot-separated path) that holds a NUL character, or "". validUTF8
// says whether the record's bytes were valid UTF-8: decoding replaces what
// is not, so it is looked for before (see decodeValue).
func recordFault(validUTF8 bool, v any) (field, reason string) {
	if !validUTF8 {
		return "", "the record " + misp.ReasonUTF8
	}
	if path, ok := findNUL(v, ""); ok {
		return path, misp.ReasonNUL
	}
	return "", ""
}

// findNUL returns the path of the first string in v, a decoded JSON value,
// that holds a NUL character: a member's value or its name.
func findNUL(v any, path string) (string, bool) {
	join := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	switch v := v.(type) {
	case string:
		return path, strings.IndexByte(v, 0) >= 0
	case map[string]any:
		for name, member := range v {
			if strings.IndexByte(name, 0) >= 0 {
				return join(name), true
			}
			if p, ok := findNUL(member, join(name)); ok {
				return p, true
			}
		}
	case []any:
		for _, e := range v {
			if p, ok := findNUL(e, path); ok {
				return p, true
			}
		}
	}
	return "", false
}
