package dbcopy

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// progressEvery is how many rows pass between two progress reports.
const progressEvery = 8192

// rowSource reads one table of the source and hands out its rows converted
// to the target's column types. It is a pgx.CopyFromSource, and the SQLite
// writer reads it the same way.
type rowSource struct {
	rows    *sql.Rows
	p       *pair
	convert []converter
	vals    []any // as read
	ptrs    []any // scan destinations, pointing into vals
	out     []any // as converted
	err     error
	n       int64
	tick    func(rows int64)
}

func newRowSource(rows *sql.Rows, p *pair, toPostgres bool, tick func(int64)) *rowSource {
	r := &rowSource{rows: rows, p: p, tick: tick}
	n := len(p.columns)
	r.vals, r.ptrs, r.out = make([]any, n), make([]any, n), make([]any, n)
	for i, name := range p.columns {
		r.ptrs[i] = &r.vals[i]
		c, _ := p.dst.column(name) // plan checked that it exists
		r.convert = append(r.convert, converterFor(c.kind, toPostgres))
	}
	return r
}

// Next reads and converts the next row.
func (r *rowSource) Next() bool {
	if r.err != nil || !r.rows.Next() {
		return false
	}
	if err := r.rows.Scan(r.ptrs...); err != nil {
		r.err = fmt.Errorf("table %s: read: %w", r.p.name(), err)
		return false
	}
	for i, v := range r.vals {
		out, err := r.convert[i](v)
		if err != nil {
			r.err = fmt.Errorf("table %s, column %s, row %s: %w", r.p.name(), r.p.columns[i], r.rowRef(), err)
			return false
		}
		r.out[i] = out
	}
	r.n++
	if r.n%progressEvery == 0 {
		r.tick(progressEvery)
	}
	return true
}

// Values returns the current row; the slice is reused by the next call to
// Next.
func (r *rowSource) Values() ([]any, error) { return r.out, nil }

// Err reports why Next stopped early.
func (r *rowSource) Err() error {
	if r.err != nil {
		return r.err
	}
	if err := r.rows.Err(); err != nil {
		return fmt.Errorf("table %s: read: %w", r.p.name(), err)
	}
	return nil
}

// done reports the rows read since the last report.
func (r *rowSource) done() { r.tick(r.n % progressEvery) }

// rowRef names the current row by its key, for error messages.
func (r *rowSource) rowRef() string {
	var parts []string
	for _, k := range r.p.key {
		for i, c := range r.p.columns {
			if c == k {
				v := []rune(fmt.Sprint(r.vals[i]))
				parts = append(parts, c+"="+string(v[:min(len(v), 40)]))
			}
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// converter turns a value read from the source into one the target's column
// takes. NULL stays NULL.
type converter func(any) (any, error)

// converterFor returns the conversion into a column of kind k. SQLite keeps
// values loosely typed, so a text column may hold a blob and an untyped
// column anything; PostgreSQL takes only its column's type, and no text
// with invalid UTF-8 or NUL bytes.
func converterFor(k kind, toPostgres bool) converter {
	switch k {
	case kindInt:
		return toInt
	case kindFloat:
		return toFloat
	case kindText:
		if toPostgres {
			return toPostgresText
		}
		return toText
	case kindBytes:
		return toBytes
	case kindBool:
		return toBool
	}
	return func(v any) (any, error) { return v, nil }
}

func toInt(v any) (any, error) {
	switch x := v.(type) {
	case nil, int64:
		return v, nil
	case float64:
		if x != math.Trunc(x) || math.Abs(x) >= 1<<63 {
			return nil, fmt.Errorf("%v is not an integer", x)
		}
		return int64(x), nil
	case bool:
		return boolInt(x), nil
	case string:
		return parseInt(x)
	case []byte:
		return parseInt(string(x))
	}
	return nil, fmt.Errorf("a %T where an integer belongs", v)
}

func parseInt(s string) (any, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("text %.40q where an integer belongs", s)
	}
	return n, nil
}

func toFloat(v any) (any, error) {
	switch x := v.(type) {
	case nil, float64:
		return v, nil
	case int64:
		return float64(x), nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return nil, fmt.Errorf("text %.40q where a number belongs", x)
		}
		return f, nil
	}
	return nil, fmt.Errorf("a %T where a number belongs", v)
}

func toText(v any) (any, error) {
	switch x := v.(type) {
	case nil, string:
		return v, nil
	case []byte:
		return string(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano), nil
	}
	return nil, fmt.Errorf("a %T where text belongs", v)
}

func toPostgresText(v any) (any, error) {
	out, err := toText(v)
	if s, ok := out.(string); ok {
		if !utf8.ValidString(s) {
			return nil, errors.New("text that is not valid UTF-8, which PostgreSQL refuses")
		}
		if strings.IndexByte(s, 0) >= 0 {
			return nil, errors.New("text holding a NUL byte, which PostgreSQL refuses")
		}
	}
	return out, err
}

func toBytes(v any) (any, error) {
	switch x := v.(type) {
	case nil, []byte:
		return v, nil
	case string:
		return []byte(x), nil
	}
	return nil, fmt.Errorf("a %T where bytes belong", v)
}

func toBool(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool:
		return v, nil
	case int64:
		return x != 0, nil
	}
	return nil, fmt.Errorf("a %T where a boolean belongs", v)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
