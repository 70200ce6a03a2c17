package search

import (
	"net/netip"
	"strconv"
	"strings"
)

// nidsWriter writes Suricata or Snort rules for the network attributes.
// Every value is checked before it reaches a rule header (an address, a
// port) and every other value goes into a content string with the bytes
// that could end it hex-encoded, so no attribute can add options or rules.
//
// A rule's sid is the base + 10 × the attribute id + the rule's rank among
// the rules of its attribute (at most three), so sids are stable across
// exports; rev is the attribute's timestamp, which grows when it is edited.
type nidsWriter struct {
	suricata bool
	base     int64
	baseURL  string
}

func openSuricata(_ Params, o ExportOptions) (formatWriter, rowNeeds, error) {
	return newNIDSWriter(true, o), rowNeeds{}, nil
}

func openSnort(_ Params, o ExportOptions) (formatWriter, rowNeeds, error) {
	return newNIDSWriter(false, o), rowNeeds{}, nil
}

func newNIDSWriter(suricata bool, o ExportOptions) *nidsWriter {
	base := o.SIDBase
	if base <= 0 {
		base = DefaultSIDBase
	}
	return &nidsWriter{suricata: suricata, base: base, baseURL: withoutScheme(safeBaseURL(o.BaseURL))}
}

func (w *nidsWriter) begin(b []byte) []byte {
	engine := "Snort"
	if w.suricata {
		engine = "Suricata"
	}
	b = append(b, "# "...)
	b = append(b, engine...)
	b = append(b, " rules exported by Cairn from MISP attributes.\n"...)
	return append(b, "# They use the variables $HOME_NET, $EXTERNAL_NET, $HTTP_PORTS and $SMTP_SERVERS.\n"...)
}

func (w *nidsWriter) end(b []byte) []byte { return b }

// rule is one rule being built: its header and the options that match.
type rule struct {
	header string // "alert ip $HOME_NET any -> 192.0.2.1 any"
	label  string // what the message says was seen
	opts   []string
}

func (w *nidsWriter) row(b []byte, r *exportRow) []byte {
	for i, ru := range w.rules(r) {
		b = w.appendRule(b, r, i, ru)
	}
	return b
}

// rules returns the rules of one attribute; none for a type without
// rules or a value that does not parse.
func (w *nidsWriter) rules(r *exportRow) []rule {
	switch r.Type {
	case "ip-dst", "ip-src":
		return ipRules(r.Type, r.Value1, "")
	case "ip-dst|port", "ip-src|port":
		return ipRules(strings.TrimSuffix(r.Type, "|port"), r.Value1, r.Value2)
	case "domain":
		return w.domainRules(r.Value1)
	case "hostname":
		return w.hostnameRules(r.Value1)
	case "domain|ip":
		return append(w.domainRules(r.Value1), ipRules("ip-dst", r.Value2, "")...)
	case "url":
		return w.urlRules(r.Value1)
	case "user-agent":
		return w.userAgentRules(r.Value1)
	case "email-src", "email-dst":
		return emailRules(r.Type, r.Value1)
	case "ja3-fingerprint-md5":
		if w.suricata && isHex(r.Value1, 32) {
			return []rule{{header: "alert tls $HOME_NET any -> $EXTERNAL_NET any", label: "JA3 fingerprint",
				opts: []string{"ja3.hash", content(strings.ToLower(r.Value1))}}}
		}
	}
	return nil
}

// ipRules are the rules of an address or block, with a port if given:
// traffic to it for ip-dst, from it for ip-src. A port gives a TCP and a
// UDP rule, since ports belong to those protocols.
func ipRules(typ, addr, port string) []rule {
	host, ok := ruleAddress(addr)
	if !ok {
		return nil
	}
	protos, p := []string{"ip"}, "any"
	if port != "" {
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil || n == 0 {
			return nil
		}
		protos, p = []string{"tcp", "udp"}, strconv.FormatUint(n, 10)
	}
	var out []rule
	for _, proto := range protos {
		if typ == "ip-src" {
			out = append(out, rule{header: "alert " + proto + " " + host + " " + p + " -> $HOME_NET any",
				label: "Incoming From IP"})
		} else {
			out = append(out, rule{header: "alert " + proto + " $HOME_NET any -> " + host + " " + p,
				label: "Outgoing To IP"})
		}
	}
	return out
}

// ruleAddress returns an address or a CIDR block in the form rules take,
// and false for anything else.
func ruleAddress(v string) (string, bool) {
	if ip, err := netip.ParseAddr(v); err == nil {
		return ip.WithZone("").String(), true
	}
	if p, err := netip.ParsePrefix(v); err == nil {
		return p.Masked().String(), true
	}
	return "", false
}

// domainRules match DNS queries for the domain and its subdomains.
func (w *nidsWriter) domainRules(v string) []rule {
	name := strings.ToLower(strings.TrimSuffix(v, "."))
	if !isHostName(name) {
		return nil
	}
	if w.suricata {
		return []rule{{header: "alert dns $HOME_NET any -> any any", label: "Domain",
			opts: []string{"dns.query", "dotprefix", content("." + name), "nocase", "endswith"}}}
	}
	return []rule{{header: "alert udp $HOME_NET any -> any 53", label: "Domain",
		opts: []string{content(dnsWire(name)), "nocase"}}}
}

// hostnameRules match the name in DNS queries, HTTP Host headers and, for
// Suricata, TLS server names.
func (w *nidsWriter) hostnameRules(v string) []rule {
	name := strings.ToLower(strings.TrimSuffix(v, "."))
	if !isHostName(name) {
		return nil
	}
	size := "bsize:" + strconv.Itoa(len(name))
	if w.suricata {
		return []rule{
			{header: "alert dns $HOME_NET any -> any any", label: "Hostname",
				opts: []string{"dns.query", content(name), "nocase", size}},
			{header: "alert http $HOME_NET any -> $EXTERNAL_NET any", label: "Hostname",
				opts: []string{"flow:established,to_server", "http.host", content(name), size}},
			{header: "alert tls $HOME_NET any -> $EXTERNAL_NET any", label: "Hostname",
				opts: []string{"flow:established,to_server", "tls.sni", content(name), "nocase", size}},
		}
	}
	return []rule{
		{header: "alert udp $HOME_NET any -> any 53", label: "Hostname",
			opts: []string{content(dnsWire(name)), "nocase"}},
		{header: "alert tcp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS", label: "Hostname",
			opts: []string{"flow:to_server,established", content("Host: " + name), "nocase", "http_header"}},
	}
}

// urlRules match a URL's host and path in HTTP requests; for an https URL
// Suricata matches the host as the TLS server name, since the path is not
// visible.
func (w *nidsWriter) urlRules(v string) []rule {
	host, path, tls := splitURL(v)
	if host == "" && path == "" {
		return nil
	}
	if w.suricata && tls && host != "" {
		return []rule{{header: "alert tls $HOME_NET any -> $EXTERNAL_NET any", label: "URL",
			opts: []string{"flow:established,to_server", "tls.sni", content(host), "nocase"}}}
	}
	var opts []string
	if w.suricata {
		opts = append(opts, "flow:established,to_server")
		if host != "" {
			opts = append(opts, "http.host", content(host))
		}
		if path != "" {
			opts = append(opts, "http.uri", content(path), "depth:"+strconv.Itoa(len(path)))
		}
		return []rule{{header: "alert http $HOME_NET any -> $EXTERNAL_NET any", label: "URL", opts: opts}}
	}
	opts = append(opts, "flow:to_server,established")
	if host != "" {
		opts = append(opts, content(host), "http_header", "nocase")
	}
	if path != "" {
		opts = append(opts, content(path), "http_uri")
	}
	return []rule{{header: "alert tcp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS", label: "URL", opts: opts}}
}

// splitURL returns the host (lower-cased, without port) and the path with
// query of a URL, and whether it is https. A value without a scheme is
// read as host/path; one starting with / as a path.
func splitURL(v string) (host, path string, tls bool) {
	if i := strings.Index(v, "://"); i >= 0 {
		tls = strings.EqualFold(v[:i], "https")
		v = v[i+3:]
	}
	if strings.HasPrefix(v, "/") {
		return "", v, tls
	}
	host, path = v, ""
	if i := strings.IndexAny(v, "/?#"); i >= 0 {
		host, path = v[:i], v[i:]
	}
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:] // user information
	}
	if h, _, ok := strings.Cut(host, ":"); ok && !strings.HasPrefix(host, "[") {
		host = h
	}
	host = strings.ToLower(host)
	if i := strings.IndexByte(path, '#'); i >= 0 {
		path = path[:i] // never sent
	}
	if path == "/" {
		path = ""
	}
	return host, path, tls
}

func (w *nidsWriter) userAgentRules(v string) []rule {
	if v == "" {
		return nil
	}
	if w.suricata {
		return []rule{{header: "alert http $HOME_NET any -> $EXTERNAL_NET any", label: "User-Agent",
			opts: []string{"flow:established,to_server", "http.user_agent", content(v),
				"bsize:" + strconv.Itoa(len(v))}}}
	}
	return []rule{{header: "alert tcp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS", label: "User-Agent",
		opts: []string{"flow:to_server,established", content("User-Agent: " + v), "http_header"}}}
}

// emailRules match the address in the SMTP envelope: MAIL FROM for a
// source, RCPT TO for a destination.
func emailRules(typ, v string) []rule {
	if !isToken(v) || !strings.Contains(v, "@") {
		return nil
	}
	verb, label := "MAIL FROM:", "Source Email Address"
	if typ == "email-dst" {
		verb, label = "RCPT TO:", "Destination Email Address"
	}
	return []rule{{header: "alert tcp $EXTERNAL_NET any -> $SMTP_SERVERS 25", label: label,
		opts: []string{"flow:established,to_server", content(verb), "nocase", content(v), "nocase",
			"distance:0", "within:" + strconv.Itoa(len(v)+4)}}}
}

// appendRule writes one rule on one line.
func (w *nidsWriter) appendRule(b []byte, r *exportRow, rank int, ru rule) []byte {
	b = append(b, ru.header...)
	b = append(b, ` (msg:"MISP e`...)
	b = strconv.AppendInt(b, r.EventID, 10)
	b = append(b, " ["...)
	b = appendPlain(b, r.Event.Info, 60, '_', '"', ';', '\\', '[', ']')
	b = append(b, "] "...)
	b = append(b, ru.label...)
	b = append(b, ": "...)
	b = appendPlain(b, r.Value(), 120, '_', '"', ';', '\\')
	b = append(b, `";`...)
	for _, o := range ru.opts {
		b = append(append(append(b, ' '), o...), ';')
	}
	b = append(b, " classtype:trojan-activity; sid:"...)
	b = strconv.AppendInt(b, w.base+10*r.ID+int64(rank), 10)
	b = append(b, "; rev:"...)
	b = strconv.AppendInt(b, max(r.Timestamp, 1), 10)
	b = append(b, "; priority:1;"...)
	if w.baseURL != "" {
		b = append(b, " reference:url,"...)
		b = append(b, w.baseURL...)
		b = append(b, "/events/view/"...)
		b = strconv.AppendInt(b, r.EventID, 10)
		b = append(b, ';')
	}
	return append(b, ")\n"...)
}

// content returns a content option matching s: printable ASCII as is, and
// the bytes a rule parser treats specially (" ; \ | :) and all others in
// |hex| form.
func content(s string) string {
	const hexDigits = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+16)
	b = append(b, `content:"`...)
	inHex := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= ' ' && c < 0x7f && strings.IndexByte("\";\\|:", c) < 0 {
			if inHex {
				b, inHex = append(b, '|'), false
			}
			b = append(b, c)
			continue
		}
		if inHex {
			b = append(b, ' ')
		} else {
			b, inHex = append(b, '|'), true
		}
		b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
	}
	if inHex {
		b = append(b, '|')
	}
	return string(append(b, '"'))
}

// dnsWire returns a name as it travels in a DNS message: each label
// preceded by its length, ended by a zero byte. Subdomains contain it.
func dnsWire(name string) string {
	var sb strings.Builder
	for _, label := range strings.Split(name, ".") {
		sb.WriteByte(byte(len(label)))
		sb.WriteString(label)
	}
	sb.WriteByte(0)
	return sb.String()
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
