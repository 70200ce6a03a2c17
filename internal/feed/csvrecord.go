package feed

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// A CSV record ends at a line end outside quotes. recordSource finds those
// ends itself, counting quotes line by line, rather than leaving it to
// encoding/csv on the whole stream: that bounds the size of a record, keeps
// exact line numbers, and lets a broken record be rejected and reading
// resume at the line after its first, instead of one stray quote
// swallowing the rest of the file.

// maxRecordLines is how many physical lines one quoted field may span.
const maxRecordLines = 128

const reasonOpenQuote = "a quoted field is not closed"

// physLine is one physical line, kept as a string because a record may be
// handed back and read again.
type physLine struct {
	n       int
	text    string
	tooLong bool
}

// rawRecord is one record: one line, or several when a quoted field holds
// a line break.
type rawRecord struct {
	lines []physLine
}

func (r rawRecord) line() int { return r.lines[0].n }

func (r rawRecord) text() string {
	if len(r.lines) == 1 {
		return r.lines[0].text
	}
	parts := make([]string, len(r.lines))
	for i, l := range r.lines {
		parts[i] = l.text
	}
	return strings.Join(parts, "\n")
}

// recordSource cuts a stream of lines into records, skipping blank and
// comment lines between records.
type recordSource struct {
	lr       *lineReader
	pending  []physLine // lines handed back, read before new ones
	comment  string
	maxBytes int
	stats    *Stats
}

func (rs *recordSource) nextLine() (physLine, error) {
	if len(rs.pending) > 0 {
		l := rs.pending[0]
		rs.pending = rs.pending[1:]
		return l, nil
	}
	text, tooLong, err := rs.lr.next()
	if err != nil {
		return physLine{}, err
	}
	rs.stats.Lines++
	return physLine{n: rs.lr.n, text: string(text), tooLong: tooLong}, nil
}

// pushBack hands lines back to be read again before any new line.
func (rs *recordSource) pushBack(lines []physLine) {
	if len(lines) > 0 {
		rs.pending = append(append([]physLine(nil), lines...), rs.pending...)
	}
}

// next returns the next record. problem is set, and the record holds only
// its first line, when the record cannot be read: that line is too long,
// or a quoted field is not closed within the limits.
func (rs *recordSource) next() (rec rawRecord, problem string, err error) {
	for {
		l, err := rs.nextLine()
		if err != nil {
			return rawRecord{}, "", err
		}
		if l.tooLong {
			return rawRecord{lines: []physLine{l}}, tooLongReason, nil
		}
		if t := strings.TrimSpace(l.text); t == "" || strings.HasPrefix(t, rs.comment) {
			rs.stats.Skipped++
			continue
		}
		return rs.extend(l)
	}
}

// extend adds lines to a record while a quoted field is open.
func (rs *recordSource) extend(first physLine) (rawRecord, string, error) {
	rec := rawRecord{lines: []physLine{first}}
	quotes, size := strings.Count(first.text, `"`), len(first.text)
	for quotes%2 == 1 {
		l, err := rs.nextLine()
		if err != nil && !errors.Is(err, io.EOF) {
			return rawRecord{}, "", err
		}
		if err == nil {
			rec.lines = append(rec.lines, l)
		}
		size += len(l.text) + 1
		if err != nil || l.tooLong || len(rec.lines) > maxRecordLines || size > rs.maxBytes {
			rs.pushBack(rec.lines[1:])
			return rawRecord{lines: rec.lines[:1]}, reasonOpenQuote, nil
		}
		quotes += strings.Count(l.text, `"`)
	}
	return rec, "", nil
}

// fieldSplitter splits one record into fields with encoding/csv. It keeps
// one csv.Reader across records by feeding it a record at a time, and
// starts a fresh one after an error, when the old one may hold the rest
// of a broken record.
type fieldSplitter struct {
	delim rune
	feed  recordFeed
	cr    *csv.Reader
	fed   int64
}

// recordFeed is the reader under the csv.Reader: it holds one record.
type recordFeed struct{ s string }

func (f *recordFeed) Read(p []byte) (int, error) {
	if f.s == "" {
		return 0, io.EOF
	}
	n := copy(p, f.s)
	f.s = f.s[n:]
	return n, nil
}

func (fs *fieldSplitter) split(text string) ([]string, error) {
	if fs.cr == nil {
		fs.cr = csv.NewReader(&fs.feed)
		fs.cr.Comma = fs.delim
		fs.cr.FieldsPerRecord = -1
		fs.cr.LazyQuotes = false
		fs.cr.TrimLeadingSpace = true
		fs.cr.ReuseRecord = true
		fs.fed = 0
	}
	fs.feed.s = text + "\n"
	fs.fed += int64(len(text)) + 1

	fields, err := fs.cr.Read()
	if err == nil && fs.cr.InputOffset() == fs.fed {
		return fields, nil
	}
	fs.cr, fs.feed.s = nil, ""
	var pe *csv.ParseError
	switch {
	case errors.As(err, &pe):
		return nil, fmt.Errorf("malformed CSV: %w", pe.Err)
	case err != nil:
		return nil, fmt.Errorf("malformed CSV: %w", err)
	}
	return nil, errors.New("malformed CSV: the record does not end at the end of its line")
}
