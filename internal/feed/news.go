package feed

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"strings"
	"time"
	"unicode"
)

// NewsItem is one article of a security-news RSS or Atom feed.
type NewsItem struct {
	Title     string
	Link      string
	Published time.Time // the item's date, or NewsOptions.FetchedAt when it has none
	Undated   bool      // the feed gave no date that could be read
	Summary   string    // plain text, cut to NewsOptions.MaxSummary bytes
	GUID      string    // the item's guid or Atom id; the link when it has none
}

// NewsOptions configures ParseNews.
type NewsOptions struct {
	// FetchedAt stands in for the date of items that have none.
	FetchedAt time.Time
	// MaxSummary is the longest summary kept, in bytes; 0 means
	// DefaultMaxSummary. Some feeds put a whole advisory in each item.
	MaxSummary int
	// MaxItem is the largest item read, in bytes of XML; 0 means
	// DefaultMaxItem. A larger item ends the parse with ErrItemTooLarge.
	MaxItem int
}

// DefaultMaxSummary is the longest news summary kept unless told otherwise.
const DefaultMaxSummary = 1000

// DefaultMaxItem is the largest news item read unless told otherwise.
const DefaultMaxItem = 8 << 20

// ErrItemTooLarge ends a news parse whose current item is over the limit.
var ErrItemTooLarge = errors.New("a news item is larger than the parser's limit")

// NewsStats says what ParseNews read.
type NewsStats struct {
	Format string // "rss", "atom" or "rdf"
	Items  int
	Bytes  int64
}

// ErrNotNews is returned for an XML document that is not RSS or Atom.
var ErrNotNews = errors.New("not an RSS or Atom document")

const atomNS = "http://www.w3.org/2005/Atom"

// ParseNews reads an RSS 2.0, RSS 1.0 (RDF) or Atom 1.0 document item by
// item with encoding/xml and calls emit for each. Dates are read in the
// forms real feeds use (see parseNewsDate); an item whose date cannot be
// read keeps FetchedAt and is marked Undated rather than dropped.
func ParseNews(ctx context.Context, r io.Reader, opts NewsOptions,
	emit func(NewsItem) error) (NewsStats, error) {
	win := &windowReader{r: r, limit: int64(cmpOr(opts.MaxItem, DefaultMaxItem))}
	dec := xml.NewDecoder(win)
	dec.Strict = false
	dec.Entity = xml.HTMLEntity
	dec.CharsetReader = charsetReader

	var st NewsStats
	err := newsLoop(ctx, dec, win, opts, &st, emit)
	st.Bytes = win.off
	return st, err
}

func newsLoop(ctx context.Context, dec *xml.Decoder, win *windowReader, opts NewsOptions,
	st *NewsStats, emit func(NewsItem) error) error {
	for {
		win.mark = dec.InputOffset()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if st.Format == "" {
				return ErrNotNews
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("news feed: %w", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if st.Format == "" {
			if st.Format = newsFormat(se.Name); st.Format == "" {
				return ErrNotNews
			}
			continue
		}
		item, ok, err := decodeNewsItem(dec, se, st.Format, opts)
		if err != nil {
			return fmt.Errorf("news feed: %w", err)
		}
		if !ok {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		st.Items++
		if err := emit(item); err != nil {
			return err
		}
	}
}

func newsFormat(root xml.Name) string {
	switch {
	case root.Local == "rss":
		return "rss"
	case root.Local == "feed" && root.Space == atomNS:
		return "atom"
	case root.Local == "RDF":
		return "rdf"
	}
	return ""
}

// decodeNewsItem reads an item or entry that starts at se; ok is false for
// any other element, which the caller walks into.
func decodeNewsItem(dec *xml.Decoder, se xml.StartElement, format string,
	opts NewsOptions) (NewsItem, bool, error) {
	switch {
	case format == "atom" && se.Name.Local == "entry" && se.Name.Space == atomNS:
		var e atomEntry
		if err := dec.DecodeElement(&e, &se); err != nil {
			return NewsItem{}, false, err
		}
		return e.item(opts), true, nil
	case format != "atom" && se.Name.Local == "item":
		var it rssItem
		if err := dec.DecodeElement(&it, &se); err != nil {
			return NewsItem{}, false, err
		}
		return it.item(opts), true, nil
	}
	return NewsItem{}, false, nil
}

// xmlLink is an RSS <link>text</link> or an Atom <link href="..."/>.
type xmlLink struct {
	XMLName xml.Name
	Href    string `xml:"href,attr"`
	Rel     string `xml:"rel,attr"`
	Text    string `xml:",chardata"`
}

type rssItem struct {
	Title       string    `xml:"title"`
	Links       []xmlLink `xml:"link"`
	GUID        string    `xml:"guid"`
	PubDate     string    `xml:"pubDate"`
	Date        string    `xml:"http://purl.org/dc/elements/1.1/ date"`
	Description string    `xml:"description"`
	Content     string    `xml:"http://purl.org/rss/1.0/modules/content/ encoded"`
}

func (it rssItem) item(opts NewsOptions) NewsItem {
	n := NewsItem{
		Title:   cleanTitle(it.Title, true),
		Link:    rssLink(it.Links),
		GUID:    strings.TrimSpace(it.GUID),
		Summary: summarize(firstNonEmpty(it.Description, it.Content), true, opts.MaxSummary),
	}
	n.setDate(opts, it.PubDate, it.Date)
	return n.withIDs()
}

// rssLink prefers the text of a plain RSS <link>, then an alternate Atom
// link.
func rssLink(links []xmlLink) string {
	for _, l := range links {
		if l.XMLName.Space != atomNS && strings.TrimSpace(l.Text) != "" {
			return strings.TrimSpace(l.Text)
		}
	}
	return atomLink(links)
}

type atomText struct {
	Type  string `xml:"type,attr"`
	Text  string `xml:",chardata"`
	Inner string `xml:",innerxml"`
}

// plain returns the text of an Atom text construct, without markup.
func (t atomText) plain(limit int) string {
	switch t.Type {
	case "xhtml":
		return summarize(t.Inner, true, limit)
	case "html":
		return summarize(t.Text, true, limit)
	}
	return summarize(t.Text, false, limit)
}

type atomEntry struct {
	Title     atomText  `xml:"http://www.w3.org/2005/Atom title"`
	Links     []xmlLink `xml:"http://www.w3.org/2005/Atom link"`
	ID        string    `xml:"http://www.w3.org/2005/Atom id"`
	Published string    `xml:"http://www.w3.org/2005/Atom published"`
	Updated   string    `xml:"http://www.w3.org/2005/Atom updated"`
	Summary   atomText  `xml:"http://www.w3.org/2005/Atom summary"`
	Content   atomText  `xml:"http://www.w3.org/2005/Atom content"`
}

func (e atomEntry) item(opts NewsOptions) NewsItem {
	summary := e.Summary
	if strings.TrimSpace(summary.Text+summary.Inner) == "" {
		summary = e.Content
	}
	n := NewsItem{
		Title:   cleanTitle(e.Title.Text, e.Title.Type == "html"),
		Link:    atomLink(e.Links),
		GUID:    strings.TrimSpace(e.ID),
		Summary: summary.plain(opts.MaxSummary),
	}
	n.setDate(opts, e.Published, e.Updated)
	return n.withIDs()
}

// atomLink returns the alternate link (rel "alternate" or none).
func atomLink(links []xmlLink) string {
	for _, l := range links {
		if (l.Rel == "" || l.Rel == "alternate") && l.Href != "" {
			return strings.TrimSpace(l.Href)
		}
	}
	return ""
}

// setDate uses the first date that can be read.
func (n *NewsItem) setDate(opts NewsOptions, dates ...string) {
	for _, d := range dates {
		if t, ok := parseNewsDate(d); ok {
			n.Published = t
			return
		}
	}
	n.Published, n.Undated = opts.FetchedAt, true
}

// withIDs fills a missing GUID from the link and a missing link from a
// GUID that is a URL.
func (n NewsItem) withIDs() NewsItem {
	if n.GUID == "" {
		n.GUID = n.Link
	}
	if n.Link == "" && (strings.HasPrefix(n.GUID, "http://") || strings.HasPrefix(n.GUID, "https://")) {
		n.Link = n.GUID
	}
	return n
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// cleanTitle decodes entities a feed escaped twice ("&amp;trade;") and,
// for HTML titles, drops the markup.
func cleanTitle(s string, markup bool) string {
	if markup {
		s = stripTags(s)
	}
	return strings.Join(strings.Fields(html.UnescapeString(s)), " ")
}

// summarize turns (possibly HTML) text into one line of plain text of at
// most limit bytes.
func summarize(s string, markup bool, limit int) string {
	if markup {
		s = html.UnescapeString(stripTags(s))
	}
	s = strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
	return clip(s, cmpOr(limit, DefaultMaxSummary))
}

// stripTags removes everything between < and >, leaving a space where a
// block element (a paragraph, a line break, a list item) was. It is not an
// HTML parser; it only has to make a summary readable.
func stripTags(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	var b strings.Builder
	for {
		open := strings.IndexByte(s, '<')
		if open < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := strings.IndexByte(s[open:], '>')
		if end < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:open])
		if blockTag(s[open+1 : open+end]) {
			b.WriteByte(' ')
		}
		s = s[open+end+1:]
	}
}

// blockTag reports whether the inside of a tag names a block element.
func blockTag(tag string) bool {
	name := strings.TrimPrefix(tag, "/")
	if i := strings.IndexAny(name, " \t\n/"); i >= 0 {
		name = name[:i]
	}
	switch strings.ToLower(name) {
	case "p", "br", "div", "li", "ul", "ol", "tr", "td", "th", "table", "pre",
		"blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "hr":
		return true
	}
	return false
}

// windowReader counts the bytes read and refuses to read more than limit
// bytes past mark, the start of the element being decoded.
type windowReader struct {
	r                io.Reader
	off, mark, limit int64
}

func (w *windowReader) Read(p []byte) (int, error) {
	if w.off-w.mark > w.limit {
		return 0, ErrItemTooLarge
	}
	n, err := w.r.Read(p)
	w.off += int64(n)
	return n, err
}

// charsetReader lets feeds declared as Latin-1 or ASCII be read; encoding
// /xml itself reads only UTF-8.
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "iso-8859-1", "latin1", "latin-1", "us-ascii", "ascii":
		return &latin1Reader{r: input}, nil
	}
	return nil, fmt.Errorf("character set %q is not supported", charset)
}

// latin1Reader converts ISO-8859-1 bytes to UTF-8.
type latin1Reader struct {
	r   io.Reader
	buf []byte
	out []byte
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	if len(l.out) == 0 {
		if cap(l.buf) == 0 {
			l.buf = make([]byte, 2048)
		}
		n, err := l.r.Read(l.buf)
		l.out = l.out[:0]
		for _, c := range l.buf[:n] {
			l.out = append(l.out, string(rune(c))...)
		}
		if n == 0 {
			return 0, err
		}
	}
	n := copy(p, l.out)
	l.out = l.out[n:]
	return n, nil
}
