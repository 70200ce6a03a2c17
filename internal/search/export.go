package search

import (
	"context"
	"io"
	"slices"
	"strconv"

	"github.com/cairn-intel/cairn/internal/store"
)

// formatWriter writes one export format. It appends to a buffer that the
// export flushes as it fills: begin once, row for every attribute read
// (zero or more lines), end once. A filter that matches nothing gets begin
// and end only: the format's empty skeleton (a CSV header, an rpz SOA).
type formatWriter interface {
	begin(b []byte) []byte
	row(b []byte, r *exportRow) []byte
	end(b []byte) []byte
}

// exportFormat describes one returnFormat besides json.
type exportFormat struct {
	contentType string
	// family is MISP's X-Response-Format value.
	family string
	// open returns the writer for the request and the columns it reads.
	open func(p Params, o ExportOptions) (formatWriter, rowNeeds, error)
}

const (
	contentCSV  = "text/csv; charset=UTF-8"
	contentText = "text/plain; charset=UTF-8"
)

// exportFormats lists the formats served besides json. count is handled
// apart: it writes a number, not rows.
var exportFormats = map[string]exportFormat{
	"csv":      {contentCSV, "csv", openCSV},
	"text":     {contentText, "txt", openText},
	"hashes":   {contentText, "txt", openHashes},
	"cache":    {contentText, "txt", openCache},
	"hosts":    {contentText, "txt", openHosts},
	"rpz":      {contentText, "txt", openRPZ},
	"suricata": {contentText, "txt", openSuricata},
	"snort":    {contentText, "txt", openSnort},
	"zeek":     {contentText, "txt", openZeek},
	"bro":      {contentText, "txt", openZeek},
	"count":    {contentText, "txt", nil},
}

// ExportFormats returns the names of the formats Export serves, sorted.
func ExportFormats() []string {
	names := make([]string, 0, len(exportFormats))
	for n := range exportFormats {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// IsExportFormat reports whether Export serves the return format.
func IsExportFormat(format string) bool {
	_, ok := exportFormats[format]
	return ok
}

// Export is a prepared restSearch export: its search is built and its
// cursor known, and Run writes its body.
type Export struct {
	format exportFormat
	writer formatWriter
	needs  rowNeeds
	q      *rowQuery
	cursor string
}

// PrepareExport builds the export of a restSearch in p.ReturnFormat for the
// actor, for the scope searched: attributes, or the attributes of the
// matching events (MISP flattens events for every format but json). It
// checks the parameters and, unless the request pages by number past the
// first page or sorts another way than (timestamp, uuid), reads the key of
// the last item of the page, so that the continuation cursor can be sent
// before the body. An unknown format or
// a bad parameter is a *ParamError.
func PrepareExport(
	ctx context.Context, st *store.Store, a *store.Actor, p Params, o ExportOptions, scope Scope,
) (*Export, error) {
	f, ok := exportFormats[p.ReturnFormat]
	if !ok {
		return nil, &ParamError{Param: "returnFormat", Reason: strconv.Quote(p.ReturnFormat) + " is not served"}
	}
	if err := checkCursor(p); err != nil {
		return nil, err
	}
	x := &Export{format: f, cursor: p.Cursor}
	if f.open != nil {
		w, needs, err := f.open(p, o)
		if err != nil {
			return nil, err
		}
		x.writer, x.needs = w, needs
	}

	q, err := newRowQuery(ctx, st, a, p, scope)
	if err != nil {
		return nil, err
	}
	x.q = q
	if p.Cursor == "" && (p.Page > 1 || !isKeyOrder(p.Order)) {
		return x, nil // plain paging, or another order: no position to give
	}
	next, found, err := q.setWindow(ctx)
	if err != nil {
		return nil, err
	}
	if found {
		x.cursor = next.encode(scope)
	}
	return x, nil
}

// ContentType is the media type of the body.
func (x *Export) ContentType() string { return x.format.contentType }

// ResponseFormat is MISP's X-Response-Format value for the body.
func (x *Export) ResponseFormat() string { return x.format.family }

// Cursor is the continuation cursor to send with the body: the position
// after its last item, or the request's own cursor when nothing new
// matched; "" when paging by page number.
func (x *Export) Cursor() string { return x.cursor }

// Run writes the body to w as the rows are read, in chunks of about 64 KiB,
// and returns how many attributes were read (events for count). An error
// before anything was written leaves w untouched.
func (x *Export) Run(ctx context.Context, w io.Writer) (int64, error) {
	if x.writer == nil {
		n, err := x.q.count(ctx)
		if err != nil {
			return 0, err
		}
		_, err = w.Write(strconv.AppendInt(nil, n, 10))
		return n, err
	}

	const flushAt = 60 << 10
	buf := x.writer.begin(make([]byte, 0, 64<<10))
	var n int64
	err := x.q.each(ctx, x.needs, func(r *exportRow) error {
		n++
		buf = x.writer.row(buf, r)
		if len(buf) < flushAt {
			return nil
		}
		_, err := w.Write(buf)
		buf = buf[:0]
		return err
	})
	if err != nil {
		return n, err
	}
	buf = x.writer.end(buf)
	if len(buf) > 0 {
		_, err = w.Write(buf)
	}
	return n, err
}
