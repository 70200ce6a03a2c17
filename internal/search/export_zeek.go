package search

import (
	"net/netip"
	"strconv"
	"strings"
)

// zeekWriter writes a Zeek Intel framework file (MISP's "bro" format): a
// #fields header, then one indicator a line with tab-separated fields. An
// indicator holding a tab, a space or a control character is left out:
// the Intel reader would split it or match nothing.
type zeekWriter struct {
	baseURL string
}

func openZeek(_ Params, o ExportOptions) (formatWriter, rowNeeds, error) {
	return &zeekWriter{baseURL: safeBaseURL(o.BaseURL)}, rowNeeds{}, nil
}

func (w *zeekWriter) begin(b []byte) []byte {
	return append(b, "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.url\n"...)
}

func (w *zeekWriter) end(b []byte) []byte { return b }

// zeekTypes maps attribute types to Intel indicator types; the address
// types are resolved apart (an address or a block).
var zeekTypes = map[string]string{
	"domain": "Intel::DOMAIN", "hostname": "Intel::DOMAIN", "url": "Intel::URL",
	"email": "Intel::EMAIL", "email-src": "Intel::EMAIL", "email-dst": "Intel::EMAIL",
	"user-agent": "Intel::SOFTWARE", "filename": "Intel::FILE_NAME",
	"md5": "Intel::FILE_HASH", "sha1": "Intel::FILE_HASH", "sha256": "Intel::FILE_HASH",
	"x509-fingerprint-sha1": "Intel::CERT_HASH",
}

func (w *zeekWriter) row(b []byte, r *exportRow) []byte {
	switch r.Type {
	case "ip-src", "ip-dst", "ip-src|port", "ip-dst|port":
		return w.address(b, r, r.Value1)
	case "domain|ip":
		b = w.line(b, r, strings.ToLower(r.Value1), "Intel::DOMAIN")
		return w.address(b, r, r.Value2)
	case "hostname|port":
		return w.line(b, r, strings.ToLower(r.Value1), "Intel::DOMAIN")
	case "filename|md5", "filename|sha1", "filename|sha256", "malware-sample":
		return w.line(b, r, r.Value2, "Intel::FILE_HASH")
	case "url":
		// Zeek sees URLs without their scheme.
		v := r.Value1
		if i := strings.Index(v, "://"); i >= 0 {
			v = v[i+3:]
		}
		return w.line(b, r, v, "Intel::URL")
	}
	if t, ok := zeekTypes[r.Type]; ok {
		return w.line(b, r, r.Value1, t)
	}
	return b
}

// address writes an address as Intel::ADDR and a block as Intel::SUBNET.
func (w *zeekWriter) address(b []byte, r *exportRow, v string) []byte {
	if ip, err := netip.ParseAddr(v); err == nil {
		return w.line(b, r, ip.String(), "Intel::ADDR")
	}
	if p, err := netip.ParsePrefix(v); err == nil {
		return w.line(b, r, p.Masked().String(), "Intel::SUBNET")
	}
	return b
}

func (w *zeekWriter) line(b []byte, r *exportRow, indicator, kind string) []byte {
	if !isToken(indicator) {
		return b
	}
	b = append(append(b, indicator...), '\t')
	b = append(append(b, kind...), "\tMISP\t"...)
	desc := "e" + strconv.FormatInt(r.EventID, 10) + " " + r.Type + ": " + r.Event.Info
	b = appendPlain(b, desc, 200, ' ')
	b = append(b, '\t')
	if w.baseURL == "" {
		b = append(b, '-')
	} else {
		b = append(b, w.baseURL...)
		b = append(b, "/events/view/"...)
		b = strconv.AppendInt(b, r.EventID, 10)
	}
	return append(b, '\n')
}

// isToken reports whether s is a non-empty run of printable characters
// without spaces, safe to write as one field or one rule address.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return false
		}
	}
	return true
}

// appendPlain appends up to max bytes of s with every byte outside
// printable ASCII, and every byte in drop, replaced by sub, so that free
// text (an event's info) cannot break a field or a rule.
func appendPlain(b []byte, s string, limit int, sub byte, drop ...byte) []byte {
	if len(s) > limit {
		s = s[:limit]
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c >= 0x7f || containsByte(drop, c) {
			c = sub
		}
		b = append(b, c)
	}
	return b
}

func containsByte(set []byte, c byte) bool {
	for _, x := range set {
		if x == c {
			return true
		}
	}
	return false
}

// safeBaseURL returns the instance address (scheme, host, port, path)
// when it is made of the characters of those only, else "".
func safeBaseURL(s string) string {
	s = strings.TrimRight(s, "/")
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !letter && strings.IndexByte(".-_:/[]", c) < 0 {
			return ""
		}
	}
	return s
}

// withoutScheme drops "http://" or "https://", for rule references, which
// name the host and path only.
func withoutScheme(u string) string {
	if _, rest, ok := strings.Cut(u, "://"); ok {
		return rest
	}
	return u
}
