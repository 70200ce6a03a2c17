package feed

import (
	"bytes"
	"errors"
	"io"
	"sort"
)

// DefaultMaxRecord is the largest JSON record ParseJSON reads unless told
// otherwise.
const DefaultMaxRecord = 1 << 20

// ErrRecordTooLarge stops a JSON parse whose current record is over the
// limit; a JSON stream cannot be resynchronised after it.
var ErrRecordTooLarge = errors.New("a JSON record is larger than the parser's limit")

// lineIndex sits under a json.Decoder. It remembers where the newlines of
// the part not yet parsed are, so a record can be given its line, and it
// refuses to read far past the start of the current record, so one huge
// record cannot exhaust memory.
type lineIndex struct {
	r      io.Reader
	off    int64   // bytes read so far
	nl     []int64 // offsets of newlines not yet released
	before int     // newlines released
	last   byte
	mark   int64 // where the current record starts
	limit  int64
}

func (li *lineIndex) Read(p []byte) (int, error) {
	if li.limit > 0 && li.off-li.mark > li.limit {
		return 0, ErrRecordTooLarge
	}
	n, err := li.r.Read(p)
	for i := 0; i < n; {
		j := bytes.IndexByte(p[i:n], '\n')
		if j < 0 {
			break
		}
		li.nl = append(li.nl, li.off+int64(i+j))
		i += j + 1
	}
	if n > 0 {
		li.last = p[n-1]
	}
	li.off += int64(n)
	return n, err
}

// lineAt returns the 1-based line of a byte offset at or after the last
// release.
func (li *lineIndex) lineAt(off int64) int {
	return li.before + li.newlinesBefore(off) + 1
}

func (li *lineIndex) newlinesBefore(off int64) int {
	return sort.Search(len(li.nl), func(k int) bool { return li.nl[k] >= off })
}

// release forgets the newlines before off and marks off as the start of
// the next record.
func (li *lineIndex) release(off int64) {
	i := li.newlinesBefore(off)
	li.before += i
	li.nl = append(li.nl[:0], li.nl[i:]...)
	li.mark = off
}

// lines returns the number of lines read.
func (li *lineIndex) lines() int {
	n := li.before + len(li.nl)
	if li.off > 0 && li.last != '\n' {
		n++
	}
	return n
}
