package misp

import (
	"crypto/sha256"
	"encoding/binary"
)

// Correlates reports whether values of type t take part in correlation at
// all; an unknown type does, as MISP's free-form types do.
func Correlates(t string) bool { return !nonCorrelating[t] }

// CorrelatesSecond reports whether the second half of a composite value of
// type t correlates: a port does not.
func CorrelatesSecond(t string) bool {
	switch t {
	case "ip-src|port", "ip-dst|port", "hostname|port":
		return false
	}
	return true
}

// CorrelationKey returns the key under which a value correlates: the first
// eight bytes of the SHA-256 of the value with ASCII letters folded to lower
// case, as a signed integer. Folding only ASCII matches the case-insensitive
// value search of SQLite and keeps the key the same in every language that
// computes it.
func CorrelationKey(v string) int64 {
	h := sha256.New()
	var buf [256]byte
	for len(v) > 0 {
		n := copy(buf[:], v)
		for i := range n {
			if c := buf[i]; 'A' <= c && c <= 'Z' {
				buf[i] = c + 'a' - 'A'
			}
		}
		h.Write(buf[:n])
		v = v[n:]
	}
	var sum [sha256.Size]byte
	return int64(binary.BigEndian.Uint64(h.Sum(sum[:0])))
}
