package feed

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Format is the source format of a feed, as MISP names it, plus "json".
type Format string

// The formats a feed may have.
const (
	FormatMISP     Format = "misp"     // manifest.json and one file per event
	FormatCSV      Format = "csv"      // delimited text
	FormatFreetext Format = "freetext" // plain lists and free text
	FormatJSON     Format = "json"     // records mapped by JSONOptions
)

// ErrEventFeed is returned by Settings.Parse for a MISP-format feed, which
// is read event by event rather than as one body of indicators.
var ErrEventFeed = errors.New("a MISP feed is read event by event, not parsed as one body")

// Settings says how to read the body of a feed: its format and the options
// of that format's parser.
type Settings struct {
	Format   Format
	CSV      CSVOptions
	Freetext FreetextOptions
	JSON     JSONOptions
}

// Parse reads a body with the parser of the settings' format.
func (s Settings) Parse(ctx context.Context, r io.Reader,
	emit func(Item) error, reject func(Reject)) (Stats, error) {
	switch s.Format {
	case FormatCSV:
		return ParseCSV(ctx, r, s.CSV, emit, reject)
	case FormatFreetext:
		return ParseFreetext(ctx, r, s.Freetext, emit, reject)
	case FormatJSON:
		return ParseJSON(ctx, r, s.JSON, emit, reject)
	case FormatMISP:
		return Stats{}, ErrEventFeed
	}
	return Stats{}, fmt.Errorf("feed format %q is not one of misp, csv, freetext, json", s.Format)
}
