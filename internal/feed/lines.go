package feed

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
)

// DefaultMaxLine is the longest line a parser accepts unless told
// otherwise. It is well above misp.MaxValueBytes, so a line is only cut
// when no value in it could be stored anyway.
const DefaultMaxLine = 256 << 10

// checkEvery is how many steps a parse loop takes between context checks.
const checkEvery = 256

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// lineReader hands out one line at a time, without its line end, from a
// buffer of a fixed size. A longer line is skipped and reported as too
// long, with its start kept for the Reject.
type lineReader struct {
	br   *bufio.Reader
	n    int // number of the line last returned
	head []byte
}

func newLineReader(r io.Reader, maxLine int) *lineReader {
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	return &lineReader{br: bufio.NewReaderSize(r, maxLine)}
}

// next returns the next line. The slice is valid until the next call.
// tooLong reports a line over the limit; text then holds its start. At
// the end of the input next returns io.EOF.
func (lr *lineReader) next() (text []byte, tooLong bool, err error) {
	line, err := lr.br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		lr.n++
		lr.head = append(lr.head[:0], line[:min(len(line), MaxRejectText)]...)
		return lr.head, true, lr.skipRest()
	case err != nil && !errors.Is(err, io.EOF):
		return nil, false, err
	case len(line) == 0:
		return nil, false, io.EOF
	}

	lr.n++
	if lr.n == 1 {
		line = bytes.TrimPrefix(line, utf8BOM)
	}
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	return line, false, nil
}

// skipRest discards the rest of an overlong line.
func (lr *lineReader) skipRest() error {
	for {
		_, err := lr.br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			return nil
		}
		return err
	}
}

// checkContext returns the context's error on every checkEvery-th step of
// a parse loop, the first included.
func checkContext(ctx context.Context, step int) error {
	if step%checkEvery != 0 {
		return nil
	}
	return ctx.Err()
}

// tooLongReason is the reason given for a line over the limit.
const tooLongReason = "line is longer than the parser's limit"
