package feed

import (
	"errors"
	"net/netip"
	"strings"
	"unicode"
)

// ErrNotIndicator is the error Classify gives for text that no rule of the
// classification table recognises.
var ErrNotIndicator = errors.New(reasonNotIndicator)

// Classification is the attribute type and value the classification table
// gives a piece of free text.
type Classification struct {
	Type    string // MISP attribute type
	Value   string // normalised by misp.NormalizeValue
	Comment string // what the value lost on the way, such as a port
	Rule    string // name of the rule that matched
}

// Rule is one row of the classification table. Rules are tried in order
// and the first whose shape fits and whose value misp.NormalizeValue
// accepts wins.
type Rule struct {
	Name        string // used in docs/feeds-freetext.md and Item.Rule
	Types       string // the attribute type or types the rule gives
	Example     string // a token the rule classifies
	Want        string // the value it gives for Example
	Description string

	shape shapeFunc
}

// candidate is what a rule's shape proposes: a type and the text to
// normalise as that type.
type candidate struct{ typ, text, comment string }

// shapeFunc recognises the form of a rule; it does not validate.
type shapeFunc func(s string) (candidate, bool)

// classificationTable is the freetext classification table; the
// documentation in docs/feeds-freetext.md follows it row by row.
var classificationTable = []Rule{
	{"cve", "vulnerability", "CVE-2024-3094", "CVE-2024-3094",
		"CVE id: CVE-, a four-digit year, -, four or more digits; upper-cased.", cveShape},
	{"hash", "md5, sha1, sha224, sha256, sha384, sha512",
		"d41d8cd98f00b204e9800998ecf8427e", "d41d8cd98f00b204e9800998ecf8427e",
		"Hexadecimal string, typed by its length (32, 40, 56, 64, 96, 128); lower-cased.", hashShape},
	{"tlsh", "tlsh", "T1" + strings.Repeat("0a", 35), "t1" + strings.Repeat("0a", 35),
		"T1 followed by 70 hexadecimal digits.", tlshShape},
	{"filename-hash", "filename|md5, filename|sha1, filename|sha256, ...",
		"setup.exe|d41d8cd98f00b204e9800998ecf8427e", "setup.exe|d41d8cd98f00b204e9800998ecf8427e",
		"A file name, |, and a hash typed by its length.", filenameHashShape},
	{"ip", "ip-dst", "198.51.100.23", "198.51.100.23",
		"A bare IPv4 or IPv6 address, IPv6 also in brackets.", ipShape},
	{"cidr", "ip-dst", "198.51.100.0/24", "198.51.100.0/24",
		"An IPv4 or IPv6 network in CIDR notation; host bits cleared.", cidrShape},
	{"ip-port", "ip-dst|port", "[2001:db8::7]:443", "2001:db8::7|443",
		"ip:port, ip|port or [ipv6]:port.", ipPortShape},
	{"ssdeep", "ssdeep", "96:s4Ud1Lj96tHHlZDrwciQmA:s4UdR5Lb4Q", "96:s4Ud1Lj96tHHlZDrwciQmA:s4UdR5Lb4Q",
		"ssdeep fuzzy hash: a block size of 3 times a power of two, :, two base64 parts that are not all digits.", ssdeepShape},
	{"url", "url", "hxxps://login-portal[.]example/path?a=1", "https://login-portal.example/path?a=1",
		"scheme://host..., after refanging (hxxp, [.], [:]). No spaces or control characters.", urlShape},
	{"email", "email-src", "user[at]example.test", "user@example.test",
		"local@domain after refanging ([at], (at), [@]), with a valid domain; lower-cased.", emailShape},
	{"as", "AS", "AS64496", "64496",
		"AS followed by the AS number; stored as the number.", asShape},
	{"host-url", "url", "evil.example/gate.php", "evil.example/gate.php",
		"A URL without scheme: host name or IP address (optionally :port), then /path.", hostURLShape},
	{"path", "filename", `C:\Users\Public\run.exe`, `C:\Users\Public\run.exe`,
		"A path with / or \\ and no spaces whose last element has an extension.", pathShape},
	{"filename", "filename", "report.zip", "report.zip",
		"name.ext where ext is a file extension (see the extension lists), or an extension no " +
			"top-level domain can be (a digit, one letter).", filenameShape},
	{"domain", "domain, hostname", "login-portal.example", "login-portal.example",
		"A dotted name whose last label looks like a top-level domain: two labels give domain, " +
			"more give hostname. A :port is stripped and noted in the comment.", domainShape},
}

// Rules returns the classification table, in the order it is applied.
func Rules() []Rule {
	return append([]Rule(nil), classificationTable...)
}

// Classify types one piece of free text with the classification table. It
// does not trim punctuation: callers pass one token. When no rule fits it
// returns ErrNotIndicator; when a rule's shape fits but the value is
// invalid, the error says why.
func Classify(token string) (Classification, error) {
	s := strings.TrimSpace(token)
	if s == "" {
		return Classification{}, errors.New("empty value")
	}
	s = refang(s)

	var first error
	for _, r := range classificationTable {
		cand, ok := r.shape(s)
		if !ok {
			continue
		}
		value, err := normalize(cand.typ, cand.text)
		if err == nil {
			return Classification{Type: cand.typ, Value: value, Comment: cand.comment, Rule: r.Name}, nil
		}
		if first == nil {
			first = errors.New(valueReason(cand.typ, err))
		}
	}
	if first != nil {
		return Classification{}, first
	}
	return Classification{}, ErrNotIndicator
}

func cveShape(s string) (candidate, bool) {
	if len(s) < 13 || !strings.EqualFold(s[:4], "cve-") || s[8] != '-' {
		return candidate{}, false
	}
	if !allDigits(s[4:8]) || !allDigits(s[9:]) {
		return candidate{}, false
	}
	return candidate{typ: "vulnerability", text: s}, true
}

// hashTypes maps a hexadecimal length to the hash type it stands for.
var hashTypes = map[int]string{
	32: "md5", 40: "sha1", 56: "sha224", 64: "sha256", 96: "sha384", 128: "sha512",
}

func hashShape(s string) (candidate, bool) {
	typ, ok := hashTypes[len(s)]
	if !ok || !allHex(s) {
		return candidate{}, false
	}
	return candidate{typ: typ, text: s}, true
}

func tlshShape(s string) (candidate, bool) {
	if len(s) != 72 || !strings.EqualFold(s[:2], "t1") || !allHex(s[2:]) {
		return candidate{}, false
	}
	return candidate{typ: "tlsh", text: s}, true
}

func filenameHashShape(s string) (candidate, bool) {
	name, hash, ok := strings.Cut(s, "|")
	if !ok || strings.Contains(hash, "|") {
		return candidate{}, false
	}
	ext, hasExt := extOf(name)
	h, isHash := hashShape(hash)
	if !hasExt || !fileExtensionLike(ext) || !isHash {
		return candidate{}, false
	}
	return candidate{typ: "filename|" + h.typ, text: s}, true
}

func ipShape(s string) (candidate, bool) {
	if !ipChars(s) {
		return candidate{}, false
	}
	if inner, ok := strings.CutPrefix(s, "["); ok {
		s = strings.TrimSuffix(inner, "]")
	}
	if _, err := netip.ParseAddr(s); err != nil {
		return candidate{}, false
	}
	return candidate{typ: "ip-dst", text: s}, true
}

func cidrShape(s string) (candidate, bool) {
	if !strings.Contains(s, "/") || !ipChars(s) {
		return candidate{}, false
	}
	if _, err := netip.ParsePrefix(s); err != nil {
		return candidate{}, false
	}
	return candidate{typ: "ip-dst", text: s}, true
}

func ipPortShape(s string) (candidate, bool) {
	if !ipChars(s) {
		return candidate{}, false
	}
	var host, port string
	switch {
	case strings.Contains(s, "|"):
		host, port, _ = strings.Cut(s, "|")
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	case strings.HasPrefix(s, "["):
		var ok bool
		if host, port, ok = strings.Cut(s[1:], "]:"); !ok {
			return candidate{}, false
		}
	case strings.Count(s, ":") == 1:
		host, port, _ = strings.Cut(s, ":")
	default:
		return candidate{}, false
	}
	if _, err := netip.ParseAddr(host); err != nil || !allDigits(port) {
		return candidate{}, false
	}
	return candidate{typ: "ip-dst|port", text: s}, true
}

func ssdeepShape(s string) (candidate, bool) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 || !ssdeepBlockSize(parts[0]) {
		return candidate{}, false
	}
	// A time of day such as 12:34:56 has the same shape.
	if parts[1] == "" || parts[2] == "" || allDigits(parts[1]) || allDigits(parts[2]) {
		return candidate{}, false
	}
	return candidate{typ: "ssdeep", text: s}, true
}

// ssdeepBlockSize reports whether s is 3 times a power of two.
func ssdeepBlockSize(s string) bool {
	if !allDigits(s) || len(s) > 12 {
		return false
	}
	n := 0
	for _, c := range []byte(s) {
		n = n*10 + int(c-'0')
	}
	if n < 3 || n%3 != 0 {
		return false
	}
	n /= 3
	return n&(n-1) == 0
}

func urlShape(s string) (candidate, bool) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || !validScheme(scheme) {
		return candidate{}, false
	}
	host := rest
	if i := strings.IndexAny(host, "/?#"); i >= 0 {
		host = host[:i]
	}
	if j := strings.LastIndexByte(host, '@'); j >= 0 {
		host = host[j+1:]
	}
	if host == "" {
		return candidate{}, false
	}
	return candidate{typ: "url", text: s}, true
}

// validScheme reports whether s is a URL scheme: a letter, then letters,
// digits, "+", "-" or ".".
func validScheme(s string) bool {
	if s == "" || !isASCIILetter(s[0]) {
		return false
	}
	for _, c := range []byte(s) {
		if !isASCIILetter(c) && !('0' <= c && c <= '9') && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func emailShape(s string) (candidate, bool) {
	s = strings.TrimPrefix(s, "mailto:")
	i := strings.LastIndexByte(s, '@')
	if i <= 0 || !hostLike(s[i+1:]) {
		return candidate{}, false
	}
	return candidate{typ: "email-src", text: s}, true
}

func asShape(s string) (candidate, bool) {
	if len(s) < 3 || !strings.EqualFold(s[:2], "as") || !allDigits(s[2:]) {
		return candidate{}, false
	}
	return candidate{typ: "AS", text: s}, true
}

func hostURLShape(s string) (candidate, bool) {
	host, _, ok := strings.Cut(s, "/")
	if !ok || strings.Contains(s, "://") {
		return candidate{}, false
	}
	host, _ = cutPort(host)
	if !hostLike(host) && !isIP(host) {
		return candidate{}, false
	}
	return candidate{typ: "url", text: s}, true
}

func pathShape(s string) (candidate, bool) {
	i := strings.LastIndexAny(s, `/\`)
	if i < 0 || strings.Contains(s, "://") || strings.ContainsFunc(s, unicode.IsSpace) {
		return candidate{}, false
	}
	ext, ok := extOf(s[i+1:])
	if !ok || !fileExtensionLike(ext) {
		return candidate{}, false
	}
	return candidate{typ: "filename", text: s}, true
}

func filenameShape(s string) (candidate, bool) {
	if strings.ContainsAny(s, `/\:@?*"<>|`) || strings.ContainsFunc(s, unicode.IsSpace) {
		return candidate{}, false
	}
	if !fileNameWins(s) {
		return candidate{}, false
	}
	return candidate{typ: "filename", text: s}, true
}

func domainShape(s string) (candidate, bool) {
	host, port := cutPort(s)
	if !hostLike(host) || fileNameWins(host) {
		return candidate{}, false
	}
	c := candidate{typ: "domain", text: host}
	if strings.Count(strings.TrimSuffix(host, "."), ".") > 1 {
		c.typ = "hostname"
	}
	if port != "" {
		c.comment = "port " + port
	}
	return c, true
}

// cutPort splits "host:port" when the part after the only colon is digits.
func cutPort(s string) (host, port string) {
	h, p, ok := strings.Cut(s, ":")
	if !ok || !allDigits(p) || strings.Contains(p, ":") {
		return s, ""
	}
	return h, p
}

// hostLike reports whether s has the shape of a host name: two or more
// labels and a last label that looks like a top-level domain and is not a
// known file extension. misp.NormalizeValue checks the rest.
func hostLike(s string) bool {
	s = strings.TrimSuffix(s, ".")
	i := strings.LastIndexByte(s, '.')
	if i <= 0 {
		return false
	}
	last := strings.ToLower(s[i+1:])
	return tldLike(last) && !fileExtensions[last]
}

// ipChars reports whether s holds only what an address, a network or an
// address and port can: hex digits, ".", ":", "/", "|", "[" and "]". It
// spares the netip parsers, whose errors are costly, most tokens.
func ipChars(s string) bool {
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' ||
			c == '.' || c == ':' || c == '/' || c == '|' || c == '[' || c == ']') {
			return false
		}
	}
	return s != ""
}

func isIP(s string) bool {
	if !ipChars(s) {
		return false
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func allHex(s string) bool {
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return s != ""
}

func isASCIILetter(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
