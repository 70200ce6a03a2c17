package ingest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/cairn-intel/cairn/internal/misp"
)

// positionText locates a JSON syntax error in a file as "line L, column C
// (byte B)", or returns "" for other errors.
func positionText(path string, base int64, dec *json.Decoder, err error) string {
	off, ok := errorOffset(path, base, dec, err)
	if !ok {
		return ""
	}
	return offsetText(path, skipSpace(path, off))
}

// offsetText turns a byte offset into "line L, column C (byte B)".
func offsetText(path string, off int64) string {
	line, col, err := lineColumn(path, off)
	if err != nil {
		return fmt.Sprintf("byte %d", off)
	}
	return fmt.Sprintf("line %d, column %d (byte %d)", line, col, off)
}

// errorOffset returns the 0-based offset in the file of the byte at fault.
// json.Decoder reports where the failing value started; its own offsets skip
// the delimiters read by Token, so the value is scanned again from there.
func errorOffset(path string, base int64, dec *json.Decoder, err error) (int64, bool) {
	var se *json.SyntaxError
	var te *trailingError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		info, statErr := os.Stat(path)
		if statErr != nil {
			return 0, false
		}
		return info.Size(), true
	case errors.As(err, &se):
		start := base + dec.InputOffset()
		if rel, found := rescan(path, start); found {
			return start + rel, true
		}
		return max(base+se.Offset-1, 0), true
	case errors.As(err, &te):
		return base + te.offset, true
	}
	return 0, false
}

// skipSpace moves an offset past JSON white space, onto the byte at fault:
// the decoder reports some errors where the space before it starts.
func skipSpace(path string, off int64) int64 {
	f, err := os.Open(path)
	if err != nil {
		return off
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return off
	}
	br := bufio.NewReader(f)
	for {
		b, err := br.ReadByte()
		if err != nil || !strings.ContainsRune(" \t\r\n", rune(b)) {
			return off
		}
		off++
	}
}

// rescan decodes the value at start again with a fresh decoder and returns
// the offset, relative to start, of the byte at fault.
func rescan(path string, start int64) (int64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		return 0, false
	}
	var raw json.RawMessage
	var se *json.SyntaxError
	if err := json.NewDecoder(f).Decode(&raw); errors.As(err, &se) {
		return max(se.Offset-1, 0), true
	}
	return 0, false
}

// lineColumn turns a byte offset into a 1-based line and column (in bytes).
func lineColumn(path string, off int64) (line, col int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	br := bufio.NewReader(io.LimitReader(f, off))
	line, col = 1, 1
	for {
		b, err := br.ReadByte()
		if errors.Is(err, io.EOF) {
			return line, col, nil
		}
		if err != nil {
			return 0, 0, err
		}
		if b == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
}

// fileErrorText phrases a problem with a whole file; read is the number of
// events read from it before the problem.
func fileErrorText(err error, read int) string {
	var se *json.SyntaxError
	var text string
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		text = "invalid JSON: the file ends in the middle of a value (truncated?)"
	case errors.As(err, &se):
		text = "invalid JSON: " + se.Error()
	default:
		text = errorText(err)
	}
	if read > 0 {
		text += fmt.Sprintf("; the %d event(s) before this point were read", read)
	}
	return text
}

func isSyntax(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF)
}

// errorText phrases an error for a report that already names the file.
// A text that cannot be stored is named by its field (misp.DecodeError).
func errorText(err error) string {
	err = misp.DecodeError(err)
	var pe *fs.PathError
	var ute *json.UnmarshalTypeError
	switch {
	case errors.As(err, &pe):
		return pe.Err.Error()
	case errors.As(err, &ute) && ute.Field != "":
		return fmt.Sprintf("field %s: a JSON %s is the wrong type here", ute.Field, ute.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}
