package search

import (
	"net/netip"
	"strconv"
	"strings"
)

// rpzPolicies maps the policy names MISP accepts, lower-cased, to their
// canonical spelling.
var rpzPolicies = map[string]string{
	"nxdomain": "NXDOMAIN", "nodata": "NODATA", "drop": "DROP", "passthru": "PASSTHRU",
	"tcp-only": "TCP-only", "local-data": "Local-Data",
}

func rpzPolicyName(s string) (string, bool) {
	p, ok := rpzPolicies[strings.ToLower(s)]
	return p, ok
}

// rpzWriter writes a DNS Response Policy Zone: the SOA and NS records from
// the options, then for each domain a rule for the name and its
// subdomains, for each host name a rule for the name, and for each address
// an rpz-ip rule. Every rule has the action of the policy.
type rpzWriter struct {
	o      ExportOptions
	action string // the record data of a rule, e.g. "CNAME ."
	seen   dedupe
}

func openRPZ(_ Params, o ExportOptions) (formatWriter, rowNeeds, error) {
	w := &rpzWriter{o: o}
	switch o.Policy {
	case "NODATA":
		w.action = "CNAME *."
	case "DROP":
		w.action = "CNAME rpz-drop."
	case "PASSTHRU":
		w.action = "CNAME rpz-passthru."
	case "TCP-only":
		w.action = "CNAME rpz-tcp-only."
	case "Local-Data":
		w.action = localData(o.WalledGarden)
	default:
		w.action = "CNAME ."
	}
	return w, rowNeeds{byValue: true}, nil
}

// localData is the record that answers with the walled garden: an address
// record for an IP, an alias for a name.
func localData(garden string) string {
	ip, err := netip.ParseAddr(garden)
	switch {
	case err != nil:
		return "CNAME " + garden
	case ip.Is4():
		return "A " + ip.String()
	}
	return "AAAA " + ip.String()
}

func (w *rpzWriter) begin(b []byte) []byte {
	serial := uint64(w.o.Serial)
	if serial == 0 {
		serial = uint64(uint32(w.o.Now.Unix()))
	}
	b = append(b, "; Response policy zone exported by Cairn, policy "...)
	b = append(b, w.o.Policy...)
	b = append(b, "\n$TTL "...)
	b = append(b, w.o.TTL...)
	b = append(b, "\n@ SOA "...)
	b = append(append(append(b, w.o.NS...), ' '), w.o.Email...)
	b = append(b, " ( "...)
	b = strconv.AppendUint(b, serial, 10)
	for _, f := range []string{w.o.Refresh, w.o.Retry, w.o.Expiry, w.o.MinimumTTL} {
		b = append(append(b, ' '), f...)
	}
	b = append(b, " )\n@ NS "...)
	b = append(b, w.o.NS...)
	return append(b, '\n')
}

func (w *rpzWriter) end(b []byte) []byte { return b }

func (w *rpzWriter) row(b []byte, r *exportRow) []byte {
	switch r.Type {
	case "domain", "domain|ip":
		if name, ok := domainOf(r); ok {
			b = w.rule(b, r.Value1, name)
			b = w.rule(b, r.Value1, "*."+name)
		}
		if r.Type == "domain|ip" {
			b = w.ipRule(b, r.Value1, r.Value2)
		}
	case "hostname":
		if name, ok := domainOf(r); ok {
			b = w.rule(b, r.Value1, name)
		}
	case "ip-src", "ip-dst":
		b = w.ipRule(b, r.Value1, r.Value1)
	}
	return b
}

func (w *rpzWriter) ipRule(b []byte, group, ip string) []byte {
	if owner, ok := rpzIPOwner(ip); ok {
		return w.rule(b, group, owner)
	}
	return b
}

// rule writes "owner action" once per owner within a group of values.
func (w *rpzWriter) rule(b []byte, group, owner string) []byte {
	if !w.seen.first(group, owner) {
		return b
	}
	b = append(append(b, owner...), ' ')
	return append(append(b, w.action...), '\n')
}

// rpzIPOwner returns the rpz-ip owner name of an address or a CIDR block:
// the prefix length, then the address backwards, by octet for IPv4 and by
// 16-bit group for IPv6, the longest run of zero groups written "zz"
// (192.0.2.1 is 32.1.2.0.192.rpz-ip, 2001:db8::1 is
// 128.1.zz.db8.2001.rpz-ip).
func rpzIPOwner(v string) (string, bool) {
	pfx, err := netip.ParsePrefix(v)
	if err != nil {
		ip, err := netip.ParseAddr(v)
		if err != nil {
			return "", false
		}
		pfx = netip.PrefixFrom(ip, ip.BitLen())
	}
	ip, bits := pfx.Addr().WithZone(""), pfx.Bits()
	if ip.Is4In6() && bits >= 96 {
		ip, bits = ip.Unmap(), bits-96
	}
	pfx, err = ip.Prefix(bits)
	if err != nil || bits == 0 {
		return "", false
	}

	var parts []string
	if ip = pfx.Addr(); ip.Is4() {
		parts = strings.Split(ip.String(), ".")
	} else {
		s := strings.Trim(strings.Replace(ip.String(), "::", ":zz:", 1), ":")
		parts = strings.Split(s, ":")
	}
	var sb strings.Builder
	sb.WriteString(strconv.Itoa(bits))
	for i := len(parts) - 1; i >= 0; i-- {
		sb.WriteByte('.')
		sb.WriteString(parts[i])
	}
	sb.WriteString(".rpz-ip")
	return sb.String(), true
}
