package feed

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/cairn-intel/cairn/internal/misp"
)

// CSVOptions configures ParseCSV. Column numbers are 1-based, as in MISP's
// feed settings.
type CSVOptions struct {
	// Columns hold the indicators; empty means every column.
	Columns []int
	// Types gives the MISP type of a column; a column without one is typed
	// by Classify.
	Types map[int]string
	// Delimiter separates fields; 0 means ','. See ParseDelimiter.
	Delimiter rune
	// CommentPrefix marks comment lines (after leading blanks); "" means "#".
	CommentPrefix string
	// Header says the first row that is not a comment names the columns.
	Header bool
	// Exclude drops matching values, counted in Stats.Excluded; see
	// CompileExclude.
	Exclude string

	// Optional columns whose text goes with every indicator of the row.
	IDColumn        int // the feed's id of the row (Item.SourceID)
	CommentColumn   int // a description (Item.Comment)
	FirstSeenColumn int // a time (Item.FirstSeen)
	LastSeenColumn  int // a time (Item.LastSeen)
	TagsColumn      int // comma-separated tags (Item.Tags)

	// MaxLine is the longest line, and the longest record, accepted; 0
	// means DefaultMaxLine.
	MaxLine int
}

// ParseCSV reads delimited text per RFC 4180: quoted fields may hold the
// delimiter, doubled quotes and line breaks (an item's Line is where its
// record starts). A UTF-8 byte order mark, CRLF line ends, blanks after
// the delimiter (abuse.ch's `"a", "b"`), comment lines and footers are
// handled. A malformed record is rejected with its line and reading goes
// on at the next line.
//
// With explicit value columns every value cell yields an item or a
// reject. With every column read, cells that are not indicators are taken
// as data about the row and ignored; a row without any indicator is
// rejected.
func ParseCSV(ctx context.Context, r io.Reader, opts CSVOptions,
	emit func(Item) error, reject func(Reject)) (Stats, error) {
	p, err := newCSVParser(opts, emit, reject)
	if err != nil {
		return Stats{}, err
	}
	cr := &countingReader{r: r}
	maxLine := cmpOr(opts.MaxLine, DefaultMaxLine)
	p.src = recordSource{lr: newLineReader(cr, maxLine), comment: p.comment,
		maxBytes: maxLine, stats: &p.stats}
	err = p.run(ctx)
	p.stats.Bytes = cr.n
	return p.stats, err
}

type csvParser struct {
	*sink
	opts       CSVOptions
	comment    string
	exclude    *regexp.Regexp
	src        recordSource
	fields     fieldSplitter
	headerDone bool
	extra      map[int]bool // columns that describe the row, not indicators
}

func newCSVParser(opts CSVOptions, emit func(Item) error, reject func(Reject)) (*csvParser, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	exclude, err := CompileExclude(opts.Exclude)
	if err != nil {
		return nil, err
	}
	p := &csvParser{sink: newSink(emit, reject), opts: opts, exclude: exclude,
		comment: cmpOr(opts.CommentPrefix, "#")}
	p.fields.delim = cmpOr(opts.Delimiter, ',')
	p.extra = map[int]bool{opts.IDColumn: true, opts.CommentColumn: true,
		opts.FirstSeenColumn: true, opts.LastSeenColumn: true, opts.TagsColumn: true}
	return p, nil
}

func (o CSVOptions) validate() error {
	d := cmpOr(o.Delimiter, ',')
	if d == '"' || d == '\r' || d == '\n' || d == 0xFFFD {
		return fmt.Errorf("csv delimiter %q cannot be used", d)
	}
	for _, c := range o.Columns {
		if c < 1 {
			return fmt.Errorf("csv value column %d: columns are numbered from 1", c)
		}
	}
	for c, typ := range o.Types {
		if _, ok := misp.LookupType(typ); !ok || c < 1 {
			return fmt.Errorf("csv column %d: %q is not an attribute type", c, typ)
		}
	}
	return nil
}

func (p *csvParser) run(ctx context.Context) error {
	for i := 0; ; i++ {
		if err := checkContext(ctx, i); err != nil {
			return err
		}
		rec, problem, err := p.src.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if problem != "" {
			p.stats.Records++
			p.refuse(rec.line(), "", rec.lines[0].text, p.openQuoteReason(rec, problem))
			continue
		}
		if err := p.record(rec); err != nil {
			return err
		}
	}
}

func (p *csvParser) record(rec rawRecord) error {
	text := rec.text()
	fields, err := p.fields.split(text)
	if err != nil {
		// A broken first row still counts as the header, so the next good
		// row is not taken for it.
		p.headerDone = true
		p.stats.Records++
		p.refuse(rec.line(), "", rec.lines[0].text, err.Error())
		p.src.pushBack(rec.lines[1:])
		return nil
	}
	if len(fields) > 0 && strings.HasPrefix(strings.TrimSpace(fields[0]), p.comment) {
		p.stats.Skipped++
		return nil
	}
	if p.opts.Header && !p.headerDone {
		p.headerDone = true
		p.stats.Skipped++
		return nil
	}

	p.stats.Records++
	if fault := lineFault(text); fault != "" {
		p.refuse(rec.line(), "", text, fault)
		return nil
	}
	base := p.rowData(rec.line(), fields)
	if len(p.opts.Columns) == 0 {
		return p.everyColumn(base, text, fields)
	}
	for _, col := range p.opts.Columns {
		if err := p.valueCell(base, text, fields, col); err != nil {
			return err
		}
	}
	return nil
}

// openQuoteReason names the real fault of a line whose quotes do not
// balance when encoding/csv finds one, such as a bare quote.
func (p *csvParser) openQuoteReason(rec rawRecord, problem string) string {
	if problem != reasonOpenQuote {
		return problem
	}
	_, err := p.fields.split(rec.lines[0].text)
	if err == nil || errors.Is(err, csv.ErrQuote) {
		return problem
	}
	return err.Error()
}

// valueCell turns one configured value cell into an item or a reject.
func (p *csvParser) valueCell(base Item, text string, fields []string, col int) error {
	field := "column " + strconv.Itoa(col)
	if col > len(fields) {
		p.refuse(base.Line, field, text, fmt.Sprintf("the row has no column %d (it has %d)", col, len(fields)))
		return nil
	}
	raw := strings.TrimSpace(fields[col-1])
	switch {
	case raw == "":
		p.refuse(base.Line, field, text, "empty value")
		return nil
	case excludes(p.exclude, raw, ""):
		p.stats.Excluded++
		return nil
	}

	c, err := p.typeCell(col, raw)
	if err != nil {
		p.refuse(base.Line, field, raw, err.Error())
		return nil
	}
	return p.use(base, col, c)
}

// everyColumn uses every cell that is an indicator.
func (p *csvParser) everyColumn(base Item, text string, fields []string) error {
	found := false
	for i, cell := range fields {
		col, raw := i+1, strings.TrimSpace(cell)
		if p.extra[col] || isSentinel(raw) {
			continue
		}
		if excludes(p.exclude, raw, "") {
			p.stats.Excluded++
			found = true
			continue
		}
		c, err := p.typeCell(col, raw)
		if err != nil {
			continue
		}
		found = true
		if err := p.use(base, col, c); err != nil {
			return err
		}
	}
	if !found {
		p.refuse(base.Line, "", text, "no column holds an indicator")
	}
	return nil
}

func (p *csvParser) use(base Item, col int, c Classification) error {
	if excludes(p.exclude, "", c.Value) {
		p.stats.Excluded++
		return nil
	}
	it := base
	it.Column, it.Type, it.Value, it.Rule = col, c.Type, c.Value, c.Rule
	it.Comment = joinComment(base.Comment, c.Comment)
	return p.item(it)
}

// typeCell types a cell by its configured type or by Classify.
func (p *csvParser) typeCell(col int, raw string) (Classification, error) {
	typ, ok := p.opts.Types[col]
	if !ok {
		return Classify(raw)
	}
	value, err := normalize(typ, raw)
	if err != nil {
		return Classification{}, errors.New(valueReason(typ, err))
	}
	if (typ == "url" || typ == "link") && !urlLike(refang(value)) {
		return Classification{}, errors.New("url value has no scheme://host or host/path form")
	}
	return Classification{Type: typ, Value: value}, nil
}

// urlLike reports whether s has the form of a URL, with or without scheme.
func urlLike(s string) bool {
	_, ok := urlShape(s)
	if !ok {
		_, ok = hostURLShape(s)
	}
	return ok
}

// rowData reads the optional columns that describe the row.
func (p *csvParser) rowData(line int, fields []string) Item {
	cell := func(col int) string {
		if col < 1 || col > len(fields) || isSentinel(fields[col-1]) {
			return ""
		}
		return strings.TrimSpace(fields[col-1])
	}
	it := Item{
		Line:      line,
		SourceID:  cell(p.opts.IDColumn),
		Comment:   cell(p.opts.CommentColumn),
		FirstSeen: parseFeedTime(cell(p.opts.FirstSeenColumn)),
		LastSeen:  parseFeedTime(cell(p.opts.LastSeenColumn)),
	}
	it.Tags = splitList(cell(p.opts.TagsColumn))
	return it
}

// splitList splits a comma-separated list, dropping empty and sentinel
// entries.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); !isSentinel(part) {
			out = append(out, part)
		}
	}
	return out
}

func joinComment(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// cmpOr returns v, or def when v is the zero value.
func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// ParseDelimiter reads a delimiter as MISP's feed settings write it: ""
// means ',', the two characters `\t` mean a tab, otherwise one character.
// MISP also allows several characters; Cairn does not.
func ParseDelimiter(s string) (rune, error) {
	switch s {
	case "":
		return ',', nil
	case `\t`:
		return '\t', nil
	}
	r := []rune(s)
	if len(r) != 1 {
		return 0, fmt.Errorf("csv delimiter %q: give exactly one character", s)
	}
	return r[0], nil
}

// ParseColumns reads a list of value columns as MISP's feed settings write
// it, such as "1,3"; "" means every column.
func ParseColumns(s string) ([]int, error) {
	var cols []int
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		n, err := strconv.Atoi(part)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("csv value column %q: give numbers from 1", part)
		}
		cols = append(cols, n)
	}
	return cols, nil
}
