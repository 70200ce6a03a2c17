package dbcopy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/cairn-intel/cairn/internal/store"
)

// TableCheck compares one table on both sides.
type TableCheck struct {
	Table                  string
	SourceRows, TargetRows int64
	// SourceSum and TargetSum are SHA-256 sums of the rows in key order.
	SourceSum, TargetSum []byte
}

// OK reports whether both sides hold the same rows.
func (c TableCheck) OK() bool {
	return c.SourceRows == c.TargetRows && bytes.Equal(c.SourceSum, c.TargetSum)
}

// Verification is the outcome of Verify: one check per table of the source.
type Verification []TableCheck

// Mismatched returns the names of the tables that differ.
func (v Verification) Mismatched() []string {
	var bad []string
	for _, c := range v {
		if !c.OK() {
			bad = append(bad, c.Table)
		}
	}
	return bad
}

// WriteText prints one line per table: its name, the row counts, the
// checksum's first twelve hex digits (both sums when they differ) and ok or
// DIFFERS.
func (v Verification) WriteText(w io.Writer) error {
	width := len("table")
	for _, c := range v {
		width = max(width, len(c.Table))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s  %11s  %11s  checksum\n", width, "table", "source rows", "target rows")
	for _, c := range v {
		sum, status := short(c.SourceSum), "ok"
		if !c.OK() {
			sum, status = short(c.SourceSum)+"/"+short(c.TargetSum), "DIFFERS"
		}
		fmt.Fprintf(&b, "%-*s  %11d  %11d  %-25s  %s\n", width, c.Table, c.SourceRows, c.TargetRows, sum, status)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func short(sum []byte) string {
	h := hex.EncodeToString(sum)
	return h[:min(len(h), 12)]
}

// Verify reads every table of the source and its copy on the target, each in
// the order of the source's primary key (or of all its columns), and
// compares their row counts and checksums. The two sides of a table are read
// at the same time.
func Verify(ctx context.Context, src, dst *store.Store, opts Options) (Verification, error) {
	srcCat, err := readCatalog(ctx, src.DB(), src.Dialect())
	if err != nil {
		return nil, err
	}
	dstCat, err := readCatalog(ctx, dst.DB(), dst.Dialect())
	if err != nil {
		return nil, err
	}
	pairs, err := plan(srcCat, dstCat)
	if err != nil {
		return nil, err
	}
	_, total, err := countRows(ctx, src.DB(), pairs)
	if err != nil {
		return nil, err
	}
	progress := progressFunc(opts, "verify", total)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the target's read when the source's failed
	var out Verification
	for i := range pairs {
		p := &pairs[i]
		tick := func(n int64) { progress(p.name(), n) }
		type side struct {
			rows int64
			sum  []byte
			err  error
		}
		done := make(chan side, 1)
		go func() {
			var s side
			s.rows, s.sum, s.err = checksum(ctx, dst, p, p.dst, func(int64) {})
			done <- s
		}()
		c := TableCheck{Table: p.name()}
		c.SourceRows, c.SourceSum, err = checksum(ctx, src, p, p.src, tick)
		if err != nil {
			cancel()
		}
		d := <-done
		if err != nil {
			return nil, fmt.Errorf("table %s: checksum the source: %w", p.name(), err)
		}
		if d.err != nil {
			return nil, fmt.Errorf("table %s: checksum the target: %w", p.name(), d.err)
		}
		c.TargetRows, c.TargetSum = d.rows, d.sum
		out = append(out, c)
	}
	return out, nil
}

// checksum hashes the canonical encoding of p's rows as st holds them, t
// being st's description of the table.
func checksum(ctx context.Context, st *store.Store, p *pair, t *table, tick func(int64)) (int64, []byte, error) {
	rows, err := st.DB().QueryContext(ctx, p.selectSQL(orderBy(st.Dialect(), t, p.key)))
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	vals := make([]any, len(p.columns))
	ptrs := make([]any, len(p.columns))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	h := sha256.New()
	var buf []byte
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, nil, err
		}
		buf = buf[:0]
		for i, v := range vals {
			if buf, err = appendCanonical(buf, v); err != nil {
				return n, nil, fmt.Errorf("column %s: %w", p.columns[i], err)
			}
		}
		h.Write(buf)
		n++
		if n%progressEvery == 0 {
			tick(progressEvery)
		}
	}
	if err := rows.Err(); err != nil {
		return n, nil, err
	}
	tick(n % progressEvery)
	return n, h.Sum(nil), nil
}

// orderBy sorts by the key columns the same way on both dialects: text by
// its bytes (SQLite's BINARY, PostgreSQL's "C"; the columns' own
// case-insensitive collations would tie and order differently), NULL first.
func orderBy(dialect string, t *table, key []string) string {
	binary := " COLLATE BINARY"
	if dialect == "postgres" {
		binary = ` COLLATE "C"`
	}
	terms := make([]string, len(key))
	for i, k := range key {
		terms[i] = quoteIdent(k)
		if c, ok := t.column(k); ok && c.kind == kindText {
			terms[i] += binary
		}
		terms[i] += " NULLS FIRST"
	}
	return strings.Join(terms, ", ")
}

// The tags of the canonical encoding. Integers, and the integral floats and
// booleans a dialect may hand out for them, share one; text and byte strings
// share another, since SQLite keeps either in a text column.
const (
	tagNull  = 'N'
	tagInt   = 'I'
	tagFloat = 'F'
	tagBytes = 'S'
)

// appendCanonical appends the type-normalised encoding of one value: a tag,
// then eight big-endian bytes for a number, or a length and the bytes for a
// string, so that no two rows run together the same way.
func appendCanonical(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, tagNull), nil
	case int64:
		return binary.BigEndian.AppendUint64(append(b, tagInt), uint64(x)), nil
	case bool:
		return appendCanonical(b, boolInt(x))
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
			return appendCanonical(b, int64(x))
		}
		return binary.BigEndian.AppendUint64(append(b, tagFloat), math.Float64bits(x)), nil
	case string:
		return append(binary.AppendUvarint(append(b, tagBytes), uint64(len(x))), x...), nil
	case []byte:
		return append(binary.AppendUvarint(append(b, tagBytes), uint64(len(x))), x...), nil
	case time.Time:
		return appendCanonical(b, x.UTC().Format(time.RFC3339Nano))
	}
	return b, fmt.Errorf("no canonical form for a %T", v)
}
