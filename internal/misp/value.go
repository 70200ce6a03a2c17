package misp

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// MaxValueBytes is the longest attribute value, in bytes, that NormalizeValue
// accepts, before and after normalisation.
const MaxValueBytes = 131071

// ValueError says why a value was refused.
type ValueError struct {
	Type   string // the attribute type asked for
	Value  string // the value, or the half of a composite value, that was refused
	Reason string // what is wrong, phrased to follow the quoted value
}

const reasonUnknownType = "unknown attribute type"

// Error returns a short sentence naming the value, the problem and the type.
func (e *ValueError) Error() string {
	switch {
	case e.Reason == reasonUnknownType:
		return fmt.Sprintf("%s %q", reasonUnknownType, e.Type)
	case e.Value == "":
		return "the value for type " + e.Type + " is empty"
	}
	return fmt.Sprintf("%q %s for type %s", clipValue(e.Value), e.Reason, e.Type)
}

// clipValue keeps error messages short when the refused value is large.
func clipValue(s string) string {
	const limit = 80
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// NormalizeValue validates a value of the given type and returns its
// canonical halves (v2 is "" for non-composite types). The input may be
// "left|right" for composite types. A refused value gives a *ValueError.
func NormalizeValue(typ, value string) (v1, v2 string, err error) {
	if _, ok := LookupType(typ); !ok {
		return "", "", &ValueError{Type: typ, Value: value, Reason: reasonUnknownType}
	}
	s := strings.TrimSpace(value)
	if err := checkValueText(typ, s); err != nil {
		return "", "", err
	}

	rule := valueRules[typ]
	if rule.refang {
		s = refang(s)
	}
	if rule.split == nil {
		v1, err = rule.one.apply(typ, s)
	} else {
		v1, v2, err = rule.applyPair(typ, s)
	}
	if err != nil {
		return "", "", err
	}

	// Case mapping and punycode can lengthen a value.
	stored := v1
	if rule.split != nil {
		stored = v1 + "|" + v2
	}
	if len(stored) > MaxValueBytes {
		return "", "", &ValueError{Type: typ, Value: stored, Reason: reasonTooLong}
	}
	return v1, v2, nil
}

var reasonTooLong = fmt.Sprintf("is longer than %d bytes", MaxValueBytes)

// checkValueText refuses values no type accepts: empty, oversized, not
// UTF-8 or holding a NUL character (see TextFault).
func checkValueText(typ, s string) error {
	switch {
	case s == "":
		return &ValueError{Type: typ}
	case len(s) > MaxValueBytes:
		return &ValueError{Type: typ, Value: s, Reason: reasonTooLong}
	case TextFault(s) != "":
		return &ValueError{Type: typ, Value: s, Reason: TextFault(s)}
	}
	return nil
}

// valueCheck normalises one value, or one half of a composite value; ok is
// false when the text is not of the expected form.
type valueCheck func(s string) (out string, ok bool)

// valuePart is a valueCheck and the reason given when it fails. A nil check
// keeps the text as it is.
type valuePart struct {
	check  valueCheck
	reason string
}

func (p valuePart) apply(typ, s string) (string, error) {
	if p.check == nil {
		return s, nil
	}
	out, ok := p.check(s)
	if !ok {
		return "", &ValueError{Type: typ, Value: s, Reason: p.reason}
	}
	return out, nil
}

// valueRule is how NormalizeValue treats one attribute type. Types without
// a rule keep their trimmed text.
type valueRule struct {
	refang bool
	one    valuePart // non-composite types

	// Composite types: split finds the halves, which are then trimmed and
	// checked by left and right.
	split       func(s string) (left, right string, ok bool)
	splitReason string
	left, right valuePart
	emptyRight  bool
}

func (r valueRule) applyPair(typ, s string) (string, string, error) {
	left, right, ok := r.split(s)
	if !ok {
		return "", "", &ValueError{Type: typ, Value: s, Reason: r.splitReason}
	}
	left, right = strings.TrimSpace(left), strings.TrimSpace(right)
	if left == "" || (right == "" && !r.emptyRight) {
		reason := "needs a value on both sides of the |"
		return "", "", &ValueError{Type: typ, Value: s, Reason: reason}
	}

	left, err := r.left.apply(typ, left)
	if err != nil {
		return "", "", err
	}
	if right != "" {
		right, err = r.right.apply(typ, right)
	}
	return left, right, err
}

func singleRule(p valuePart) valueRule {
	return valueRule{one: p}
}

// checked is the rule of a non-composite type with its own check.
func checked(c valueCheck, reason string) valueRule {
	return valueRule{one: valuePart{c, reason}}
}

func pairRule(left, right valuePart) valueRule {
	return valueRule{
		split:       splitPipe,
		splitReason: "needs exactly one | between its two parts",
		left:        left,
		right:       right,
	}
}

// networkRule marks a rule whose values are refanged before checking.
func networkRule(r valueRule) valueRule {
	r.refang = true
	return r
}

// valueRules holds the rule of every type that is more than free text.
var valueRules = buildValueRules()

func buildValueRules() map[string]valueRule {
	rules := map[string]valueRule{
		"ip-src":        networkRule(singleRule(ipOrCIDRPart)),
		"ip-dst":        networkRule(singleRule(ipOrCIDRPart)),
		"ip-src|port":   networkRule(ipPortRule),
		"ip-dst|port":   networkRule(ipPortRule),
		"domain":        networkRule(singleRule(domainPart)),
		"hostname":      networkRule(singleRule(domainPart)),
		"domain|ip":     networkRule(pairRule(domainPart, ipPart)),
		"hostname|port": networkRule(hostPortRule),
		"url":           networkRule(singleRule(urlPart)),
		"uri":           networkRule(singleRule(urlPart)),
		"link":          networkRule(singleRule(urlPart)),
		"regkey|value":  regkeyValueRule,

		"malware-sample": pairRule(valuePart{}, hashParts["md5"]),

		"x509-fingerprint-md5":    singleRule(colonHexPart("x509-fingerprint-md5", 32)),
		"x509-fingerprint-sha1":   singleRule(colonHexPart("x509-fingerprint-sha1", 40)),
		"x509-fingerprint-sha256": singleRule(colonHexPart("x509-fingerprint-sha256", 64)),

		"AS":            checked(canonicalAS, "is not an AS number (such as AS64496 or 1.10)"),
		"port":          checked(portCheck(0), "is not a port number from 0 to 65535"),
		"size-in-bytes": checked(intCheck(false), "is not a whole number of bytes"),
		"counter":       checked(intCheck(false), "is not a whole number of zero or more"),
		"integer":       checked(intCheck(true), "is not a whole number"),
		"float":         checked(canonicalFloat, "is not a finite decimal number"),
		"boolean":       checked(canonicalBool, "is not one of true, false, 1, 0, yes or no"),
		"datetime":      checked(canonicalDatetime, "is not an RFC 3339 or YYYY-MM-DD HH:MM:SS time"),
		"mac-address":   checked(macCheck(6), "is not a MAC address of six hex pairs"),
		"mac-eui-64":    checked(macCheck(8), "is not an EUI-64 address of eight hex pairs"),
		"vulnerability": checked(upperASCII, ""),
		"weakness":      checked(upperASCII, ""),
		"hex":           checked(upperASCII, ""),
		"http-method":   checked(upperASCII, ""),
		"onion-address": checked(lowerASCII, ""),
	}
	for name, p := range hashParts {
		rules[name] = singleRule(p)
		if _, ok := LookupType("filename|" + name); ok {
			rules["filename|"+name] = pairRule(valuePart{}, p)
		}
	}
	for _, name := range emailTypes {
		rules[name] = networkRule(singleRule(emailPart))
	}
	return rules
}

var emailTypes = []string{
	"email", "email-src", "email-dst", "target-email", "whois-registrant-email",
	"dns-soa-email", "eppn", "email-reply-to",
}

// hashParts checks the hash types, which also appear as the right half of
// the filename|<hash> types.
var hashParts = map[string]valuePart{
	"md5":          hexPart("md5", 32),
	"sha1":         hexPart("sha1", 40),
	"sha224":       hexPart("sha224", 56),
	"sha256":       hexPart("sha256", 64),
	"sha384":       hexPart("sha384", 96),
	"sha512":       hexPart("sha512", 128),
	"sha512/224":   hexPart("sha512/224", 56),
	"sha512/256":   hexPart("sha512/256", 64),
	"sha3-224":     hexPart("sha3-224", 56),
	"sha3-256":     hexPart("sha3-256", 64),
	"sha3-384":     hexPart("sha3-384", 96),
	"sha3-512":     hexPart("sha3-512", 128),
	"imphash":      hexPart("imphash", 32),
	"authentihash": hexPart("authentihash", 64),
	"pehash":       hexPart("pehash", 40),
	"cdhash":       hexPart("cdhash", 40),
	"telfhash":     {tlshCheck(70, 71, 72), "is not a valid telfhash (70 to 72 hex digits)"},
	"tlsh":         {tlshCheck(70, 72), "is not a valid TLSH (70 or 72 hex digits, may start T1)"},
	"ssdeep":       {fuzzyHashCheck, "is not a valid ssdeep hash (blocksize:hash:hash)"},
	"impfuzzy":     {fuzzyHashCheck, "is not a valid impfuzzy hash (blocksize:hash:hash)"},
	"vhash":        {},
}

var (
	ipPart       = valuePart{bracketedIP, "is not a valid IP address"}
	ipOrCIDRPart = valuePart{canonicalIPOrCIDR, "is not a valid IP address or CIDR block"}
	domainPart   = valuePart{canonicalDomain, "is not a valid domain name"}
	emailPart    = valuePart{canonicalEmail, "is not a valid e-mail address"}
	urlPart      = valuePart{noSpaceOrControl, "contains spaces or control characters"}

	ipPortRule = valueRule{
		split:       splitIPPort,
		splitReason: "is not an address and port such as 192.0.2.1|80 or [2001:db8::1]:80",
		left:        ipPart,
		right:       valuePart{portCheck(1), "is not a port number from 1 to 65535"},
	}
	hostPortRule = valueRule{
		split:       splitHostPort,
		splitReason: "is not a host name and port such as example.com|443",
		left:        domainPart,
		right:       valuePart{portCheck(1), "is not a port number from 1 to 65535"},
	}
	// The registry data may itself contain "|", and may be empty.
	regkeyValueRule = valueRule{
		split:      func(s string) (string, string, bool) { return strings.Cut(s, "|") },
		left:       valuePart{},
		right:      valuePart{},
		emptyRight: true,
	}
)

func hexPart(name string, length int) valuePart {
	return valuePart{
		check:  hexCheck(length),
		reason: fmt.Sprintf("is not a valid %s hash (%d hexadecimal digits)", name, length),
	}
}

func colonHexPart(name string, length int) valuePart {
	hex := hexCheck(length)
	return valuePart{
		check:  func(s string) (string, bool) { return hex(strings.ReplaceAll(s, ":", "")) },
		reason: fmt.Sprintf("is not a valid %s (%d hex digits, colons allowed)", name, length),
	}
}

// hexCheck accepts hexadecimal text of one of the lengths, lower-cased.
func hexCheck(lengths ...int) valueCheck {
	return func(s string) (string, bool) {
		if !slices.Contains(lengths, len(s)) || !isHex(s) {
			return "", false
		}
		return strings.ToLower(s), true
	}
}

// tlshCheck accepts a TLSH-style digest, with or without the "T1" version
// prefix, lower-cased.
func tlshCheck(lengths ...int) valueCheck {
	hex := hexCheck(lengths...)
	return func(s string) (string, bool) {
		if len(s) > 2 && hasPrefixFold(s, "t1") {
			h, ok := hex(s[2:])
			return "t1" + h, ok
		}
		return hex(s)
	}
}

// fuzzyHashCheck accepts the ssdeep shape blocksize:hash:hash, case kept
// because the hash parts are base64. Line breaks and spaces inside are
// dropped: reports wrap long digests, and real MISP events carry them.
func fuzzyHashCheck(s string) (string, bool) {
	s = strings.Join(strings.Fields(s), "")
	block, rest, ok := strings.Cut(s, ":")
	if !ok || !isDigits(block) {
		return "", false
	}
	h1, h2, ok := strings.Cut(rest, ":")
	if !ok || !isBase64Alphabet(h1) || !isBase64Alphabet(h2) {
		return "", false
	}
	return s, true
}

func canonicalIP(s string) (string, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return "", false
	}
	return a.String(), true
}

// bracketedIP is canonicalIP that also takes an IPv6 address in brackets,
// as written next to a port.
func bracketedIP(s string) (string, bool) {
	if inner, ok := strings.CutPrefix(s, "["); ok {
		if inner, ok = strings.CutSuffix(inner, "]"); ok && strings.Contains(inner, ":") {
			s = inner
		}
	}
	return canonicalIP(s)
}

// canonicalIPOrCIDR writes a CIDR block with its host bits cleared, so the
// same network is always stored the same way.
func canonicalIPOrCIDR(s string) (string, bool) {
	if !strings.Contains(s, "/") {
		return canonicalIP(s)
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return "", false
	}
	return p.Masked().String(), true
}

func splitPipe(s string) (string, string, bool) {
	left, right, ok := strings.Cut(s, "|")
	if !ok || strings.Contains(right, "|") {
		return "", "", false
	}
	return left, right, true
}

// splitIPPort takes ip|port, ipv4:port or [ipv6]:port.
func splitIPPort(s string) (string, string, bool) {
	switch {
	case strings.Contains(s, "|"):
		return splitPipe(s)
	case strings.HasPrefix(s, "["):
		return strings.Cut(s[1:], "]:")
	case strings.Count(s, ":") == 1:
		return strings.Cut(s, ":")
	}
	return "", "", false
}

// splitHostPort takes host|port or host:port.
func splitHostPort(s string) (string, string, bool) {
	if strings.Contains(s, "|") {
		return splitPipe(s)
	}
	if strings.Count(s, ":") == 1 {
		return strings.Cut(s, ":")
	}
	return "", "", false
}

// idnaProfile maps internationalised names to punycode. It leaves hyphen
// placement and ASCII symbols to canonicalDomain, because real indicators
// include names such as "r3---sn-a.example" and "a_b.example".
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.Transitional(false),
	idna.StrictDomainName(false),
	idna.CheckHyphens(false),
)

// canonicalDomain lower-cases a domain or host name, converts it to ASCII
// and drops one trailing dot.
func canonicalDomain(s string) (string, bool) {
	if isASCII(s) {
		s = strings.ToLower(s)
	} else {
		a, err := idnaProfile.ToASCII(s)
		if err != nil {
			return "", false
		}
		s = a
	}
	s = strings.TrimSuffix(s, ".")
	return s, validDomainName(s)
}

// validDomainName wants two or more labels of letters, digits, "-" or "_",
// and a last label that is not all digits (so an IPv4 address is no domain).
func validDomainName(s string) bool {
	if len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 || isDigits(labels[len(labels)-1]) {
		return false
	}
	for _, label := range labels {
		if len(label) == 0 || len(label) > 63 {
			return false
		}
		for _, c := range []byte(label) {
			if !isLowerAlnum(c) && c != '-' && c != '_' {
				return false
			}
		}
	}
	return true
}

// canonicalEmail lower-cases local@domain and converts the domain to ASCII.
// The last "@" separates the parts, since a quoted local part may hold one.
func canonicalEmail(s string) (string, bool) {
	i := strings.LastIndexByte(s, '@')
	if i <= 0 {
		return "", false
	}
	local := s[:i]
	if _, ok := noSpaceOrControl(local); !ok {
		return "", false
	}
	domain, ok := canonicalDomain(s[i+1:])
	if !ok {
		return "", false
	}
	return strings.ToLower(local) + "@" + domain, true
}

func noSpaceOrControl(s string) (string, bool) {
	bad := strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	})
	return s, !bad
}

// canonicalAS writes an AS number as a plain integer, from "AS64496",
// "64496" or the asdot form "1.10".
func canonicalAS(s string) (string, bool) {
	if len(s) > 2 && hasPrefixFold(s, "as") {
		s = strings.TrimSpace(s[2:])
	}
	if high, low, dotted := strings.Cut(s, "."); dotted {
		h, ok1 := parseDigits(high, math.MaxUint16)
		l, ok2 := parseDigits(low, math.MaxUint16)
		return strconv.FormatUint(h<<16|l, 10), ok1 && ok2
	}
	n, ok := parseDigits(s, math.MaxUint32)
	return strconv.FormatUint(n, 10), ok
}

func portCheck(lowest uint64) valueCheck {
	return func(s string) (string, bool) {
		n, ok := parseDigits(s, math.MaxUint16)
		return strconv.FormatUint(n, 10), ok && n >= lowest
	}
}

// parseDigits reads a decimal number of at most max; no signs or spaces.
func parseDigits(s string, max uint64) (uint64, bool) {
	if !isDigits(s) {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil && n <= max
}

func intCheck(signed bool) valueCheck {
	return func(s string) (string, bool) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || (!signed && n < 0) {
			return "", false
		}
		return strconv.FormatInt(n, 10), true
	}
}

// canonicalFloat writes the shortest decimal that reads back as the same
// number, switching to exponent form only for very large or small values.
func canonicalFloat(s string) (string, bool) {
	// ParseFloat also reads hex floats, "Inf" and digit underscores.
	if strings.Trim(s, "0123456789+-.eE") != "" {
		return "", false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return "", false
	}
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.FormatFloat(f, 'g', -1, 64), true
	}
	return strconv.FormatFloat(f, 'f', -1, 64), true
}

func canonicalBool(s string) (string, bool) {
	switch strings.ToLower(s) {
	case "1", "true", "yes":
		return "1", true
	case "0", "false", "no":
		return "0", true
	}
	return "", false
}

// datetimeLayouts are the input forms of datetime; zone-less ones are UTC.
var datetimeLayouts = []string{
	time.RFC3339,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

// datetimeLayout is how MISP writes first_seen/last_seen style times.
const datetimeLayout = "2006-01-02T15:04:05.000000-07:00"

func canonicalDatetime(s string) (string, bool) {
	for _, layout := range datetimeLayouts {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		t = t.UTC()
		// Shifting to UTC can leave the four-digit years the layouts read.
		if t.Year() < 0 || t.Year() > 9999 {
			return "", false
		}
		return t.Format(datetimeLayout), true
	}
	return "", false
}

// macCheck accepts pairs of hex digits separated by ":" or "-" and writes
// them lower-case with ":".
func macCheck(pairs int) valueCheck {
	return func(s string) (string, bool) {
		s = strings.ReplaceAll(s, "-", ":")
		groups := strings.Split(s, ":")
		if len(groups) != pairs {
			return "", false
		}
		for _, g := range groups {
			if len(g) != 2 || !isHex(g) {
				return "", false
			}
		}
		return strings.ToLower(s), true
	}
}

// refangs undo the usual ways of defanging network indicators. Matching
// ignores ASCII case.
var refangs = []struct{ from, to string }{
	{"hxxps://", "https://"},
	{"hxxp://", "http://"},
	{"[.]", "."},
	{"(.)", "."},
	{"{.}", "."},
	{"[dot]", "."},
	{"[:]", ":"},
	{"[at]", "@"},
	{"[@]", "@"},
	{"(at)", "@"},
}

// refang builds its output a byte at a time and replaces a pattern as soon
// as the output ends with one. Because a replacement can complete another
// pattern ("[[.]]" becomes "[.]" and then "."), matching against the output
// rather than the input leaves no pattern behind, so refang(refang(s)) ==
// refang(s), in one linear pass.
func refang(s string) string {
	if !strings.ContainsAny(s, "[({/") {
		return s
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		out = append(out, s[i])
		for _, r := range refangs {
			if n := len(out) - len(r.from); n >= 0 && hasPrefixFold(out[n:], r.from) {
				// A replacement never completes a second pattern ending at
				// the same byte, so one per byte is enough.
				out = append(out[:n], r.to...)
				break
			}
		}
	}
	return string(out)
}

// hasPrefixFold reports whether s starts with prefix, ignoring ASCII case.
func hasPrefixFold[T string | []byte](s T, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := range len(prefix) {
		if asciiLowerByte(s[i]) != asciiLowerByte(prefix[i]) {
			return false
		}
	}
	return true
}

func asciiLowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// upperASCII and lowerASCII change only ASCII letters, so text in other
// scripts is stored as given.
func upperASCII(s string) (string, bool) {
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s), true
}

func lowerASCII(s string) (string, bool) {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r - 'A' + 'a'
		}
		return r
	}, s), true
}

func isHex(s string) bool {
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
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

func isLowerAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
}

func isBase64Alphabet(s string) bool {
	for _, c := range []byte(s) {
		if !isLowerAlnum(c) && !('A' <= c && c <= 'Z') && c != '+' && c != '/' {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for _, c := range []byte(s) {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
