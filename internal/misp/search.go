package misp

import (
	"net/netip"
	"slices"
	"strings"
)

// IPKey returns a key that sorts like the address for the IP inside a
// stored attribute: value1 of ip-src, ip-dst, ip-src|port and ip-dst|port;
// value2 of domain|ip. ok is false when the attribute holds no single
// address (other types, or a CIDR value). The first byte is the family (4 or
// 6) followed by the address bytes, so IPv4 and IPv6 ranges never overlap:
// an IPv6 block never finds an IPv4 address, and an IPv4-mapped IPv6 address
// is an IPv6 value, as its text is.
func IPKey(typ, v1, v2 string) (key []byte, ok bool) {
	var s string
	switch typ {
	case "ip-src", "ip-dst", "ip-src|port", "ip-dst|port":
		s = v1
	case "domain|ip":
		s = v2
	default:
		return nil, false
	}

	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return nil, false
	}
	return addrKey(a), true
}

func addrKey(a netip.Addr) []byte {
	if a.Is4() {
		k := a.As4()
		return append([]byte{4}, k[:]...)
	}
	k := a.As16()
	return append([]byte{6}, k[:]...)
}

// CIDRRange parses a CIDR query ("192.0.2.0/24", "2001:db8::/32") into
// inclusive IPKey bounds; ok is false if q is not a CIDR block. Host bits
// are ignored, so "192.0.2.77/24" covers the same range as "192.0.2.0/24".
func CIDRRange(q string) (lo, hi []byte, ok bool) {
	s := refang(strings.TrimSpace(q))
	if !strings.Contains(s, "/") {
		return nil, nil, false
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return nil, nil, false
	}

	p = p.Masked()
	first := addrKey(p.Addr())
	last := slices.Clone(first)
	for i := p.Bits(); i < (len(last)-1)*8; i++ {
		last[1+i/8] |= 1 << (7 - i%8)
	}
	return first, last, true
}

// SearchForms returns the distinct forms under which a query value (no type
// known) may be stored, after the same normalisation as on write: the
// trimmed input itself; its refanged form; the canonical IP or CIDR block;
// ip:port, [v6]:port and ip|port as canonical "ip|port" and the bare ip
// (host:port likewise); a domain, host name or e-mail address in lower-case
// ASCII; a hex string of a hash length lower-cased; a MAC address, an
// "AS"-prefixed number and a CVE or CWE id as stored. The trimmed input
// comes first. The result is never empty for a non-empty query.
func SearchForms(q string) []string {
	if q == "" {
		return nil
	}
	trimmed := strings.TrimSpace(q)
	forms := []string{trimmed}
	add := func(f string) {
		if f != "" && !slices.Contains(forms, f) {
			forms = append(forms, f)
		}
	}

	s := refang(trimmed)
	add(s)
	for _, probe := range searchProbes {
		for _, f := range probe(s) {
			add(f)
		}
	}
	return forms
}

// searchProbes each try to read a query as one kind of value and return the
// forms it would be stored as; they return nothing when it is not that kind.
var searchProbes = []func(s string) []string{
	probeCheck(canonicalIPOrCIDR),
	probeIPPort,
	probeHostPort,
	probeCheck(canonicalDomain),
	probeCheck(canonicalEmail),
	probeCheck(hexCheck(32, 40, 56, 64, 96, 128)),
	probeCheck(tlshCheck(70, 72)),
	probeFingerprint,
	probeCheck(macCheck(6)),
	probeCheck(macCheck(8)),
	probeAS,
	probeWeaknessID,
}

func probeCheck(c valueCheck) func(string) []string {
	return func(s string) []string {
		if out, ok := c(s); ok {
			return []string{out}
		}
		return nil
	}
}

func probeIPPort(s string) []string {
	left, right, ok := splitIPPort(s)
	if !ok {
		return nil
	}
	ip, ok1 := bracketedIP(strings.TrimSpace(left))
	port, ok2 := portCheck(1)(strings.TrimSpace(right))
	if !ok1 || !ok2 {
		return nil
	}
	return []string{ip + "|" + port, ip}
}

func probeHostPort(s string) []string {
	left, right, ok := splitHostPort(s)
	if !ok {
		return nil
	}
	host, ok1 := canonicalDomain(strings.TrimSpace(left))
	port, ok2 := portCheck(1)(strings.TrimSpace(right))
	if !ok1 || !ok2 {
		return nil
	}
	return []string{host + "|" + port, host}
}

// probeFingerprint reads certificate fingerprints written as colon-separated
// byte pairs; plain hex is already covered by the hash probe.
func probeFingerprint(s string) []string {
	pairs := strings.Split(s, ":")
	if len(pairs) < 2 || slices.ContainsFunc(pairs, func(p string) bool { return len(p) != 2 }) {
		return nil
	}
	return probeCheck(hexCheck(32, 40, 64))(strings.Join(pairs, ""))
}

// probeAS only reads numbers with an "AS" prefix: a bare number is already
// its own stored form, and "1.10" is more likely a version than asdot.
func probeAS(s string) []string {
	if !hasPrefixFold(s, "as") {
		return nil
	}
	return probeCheck(canonicalAS)(s)
}

// probeWeaknessID upper-cases CVE and CWE ids, as vulnerability and weakness
// values are stored.
func probeWeaknessID(s string) []string {
	if !hasPrefixFold(s, "cve-") && !hasPrefixFold(s, "cwe-") {
		return nil
	}
	return probeCheck(upperASCII)(s)
}
