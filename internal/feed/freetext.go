package feed

import (
	"context"
	"errors"
	"io"
	"regexp"
	"strings"
	"unicode"
)

// FreetextOptions configures ParseFreetext.
type FreetextOptions struct {
	// CommentPrefixes mark comment lines (after leading blanks); nil means
	// {"#"}. Use an empty, non-nil slice for a body without comments.
	CommentPrefixes []string
	// Exclude drops matching values, counted in Stats.Excluded; see
	// CompileExclude.
	Exclude string
	// MaxLine is the longest line accepted; 0 means DefaultMaxLine.
	MaxLine int
}

// ParseFreetext reads a plain list or free text, one or more indicators a
// line. A line without blanks is first tried whole, so a URL holding a
// comma survives; otherwise it is split on blanks, ",", ";", "<" and ">",
// each piece is trimmed of quotes, dots, commas and brackets, and typed by
// Classify. A line that yields nothing is rejected with a reason; only
// blank and comment lines are skipped silently. Values are not
// deduplicated across lines.
func ParseFreetext(ctx context.Context, r io.Reader, opts FreetextOptions,
	emit func(Item) error, reject func(Reject)) (Stats, error) {
	exclude, err := CompileExclude(opts.Exclude)
	if err != nil {
		return Stats{}, err
	}
	prefixes := opts.CommentPrefixes
	if prefixes == nil {
		prefixes = []string{"#"}
	}
	p := &freetextParser{sink: newSink(emit, reject), exclude: exclude, comments: prefixes}
	cr := &countingReader{r: r}
	err = p.run(ctx, newLineReader(cr, opts.MaxLine))
	p.stats.Bytes = cr.n
	return p.stats, err
}

type freetextParser struct {
	*sink
	exclude  *regexp.Regexp
	comments []string
}

func (p *freetextParser) run(ctx context.Context, lr *lineReader) error {
	for i := 0; ; i++ {
		if err := checkContext(ctx, i); err != nil {
			return err
		}
		text, tooLong, err := lr.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		p.stats.Lines++
		if tooLong {
			p.stats.Records++
			p.refuse(lr.n, "", string(text), tooLongReason)
			continue
		}
		if err := p.line(lr.n, strings.TrimSpace(string(text))); err != nil {
			return err
		}
	}
}

func (p *freetextParser) line(n int, t string) error {
	if t == "" || hasAnyPrefix(t, p.comments) {
		p.stats.Skipped++
		return nil
	}
	p.stats.Records++
	if fault := lineFault(t); fault != "" {
		p.refuse(n, "", t, fault)
		return nil
	}
	if strings.ContainsFunc(t, unicode.IsSpace) {
		return p.tokens(n, t)
	}

	c, err := Classify(t)
	if err != nil && trimToken(t) != t {
		c, err = Classify(trimToken(t))
	}
	switch {
	case err == nil:
		return p.use(n, t, c)
	case strings.ContainsAny(t, ",;<>"):
		return p.tokens(n, t)
	}
	p.refuse(n, "", t, err.Error())
	return nil
}

// tokens splits a line and uses every piece that is an indicator. The
// other pieces are the prose around them; only a line with no indicator
// at all is rejected.
func (p *freetextParser) tokens(n int, t string) error {
	pieces := strings.FieldsFunc(t, isSeparator)
	seen := make(map[string]bool, len(pieces))
	used := 0
	var lastErr error
	for _, piece := range pieces {
		tok := trimToken(piece)
		if tok == "" || seen[tok] {
			continue
		}
		seen[tok] = true
		c, err := Classify(tok)
		if err != nil {
			lastErr = err
			continue
		}
		used++
		if err := p.use(n, tok, c); err != nil {
			return err
		}
	}
	if used > 0 {
		return nil
	}
	reason := reasonNotIndicator
	if len(seen) == 1 && lastErr != nil {
		reason = lastErr.Error()
	}
	p.refuse(n, "", t, reason)
	return nil
}

func (p *freetextParser) use(n int, raw string, c Classification) error {
	if excludes(p.exclude, raw, c.Value) {
		p.stats.Excluded++
		return nil
	}
	return p.item(Item{Line: n, Type: c.Type, Value: c.Value, Comment: c.Comment, Rule: c.Rule})
}

func isSeparator(r rune) bool {
	return unicode.IsSpace(r) || r == ',' || r == ';' || r == '<' || r == '>'
}

// trimToken drops the quotes and punctuation prose puts around indicators.
func trimToken(s string) string {
	return strings.Trim(s, `'".,()`)
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if p != "" && strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
