package search

import (
	"encoding/json"
	"errors"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ExportOptions are the parameters of the export formats that are not
// search filters: the rpz zone, the hosts sinkhole and the cache hash. They
// are read from the same body and named URL parameters as Params.
type ExportOptions struct {
	HashType  string // cache: md5 (default), sha1, sha224, sha256, sha384, sha512
	IPAddress string // hosts: the sinkhole address, default 0.0.0.0

	// The rpz zone: policy, walled garden, SOA and TTL fields.
	Policy, WalledGarden, NS, Email         string
	Refresh, Retry, Expiry, MinimumTTL, TTL string
	Serial                                  uint32 // 0: the Unix time of Now

	// Set by the caller, not by the request.

	// SIDBase is the first Snort/Suricata rule id (MISP's per-user
	// nids_sid); a rule's sid is SIDBase + 10 × attribute id + its rank
	// among the rules of that attribute. Zero means DefaultSIDBase.
	SIDBase int64
	// BaseURL is this instance's address ("https://misp.example"), for
	// links to events in rules and Zeek intel; "" leaves them out.
	BaseURL string
	// Now dates the default rpz serial.
	Now time.Time
}

// DefaultSIDBase is the rule id base of users without a nids_sid.
const DefaultSIDBase = 8000000

// ParseExportOptions reads the options of an export format from a
// restSearch request's JSON body (bare or wrapped in {"request": {...}}) and
// named URL parameters, with the precedence of ParseRestSearch. Only the
// options of the format are read. A value of the wrong shape is a
// *ParamError; so is one that could break the format it is written into (a
// TTL that is not a duration, a name server that is not a host name), since
// these values are copied into zone files and host files.
func ParseExportOptions(format string, body []byte, named map[string][]string) (ExportOptions, error) {
	fromBody, err := bodyObject(body)
	if err != nil {
		return ExportOptions{}, err
	}
	src := sources{fromBody, namedValues(named)}

	o := ExportOptions{HashType: "md5", IPAddress: "0.0.0.0", Policy: "NXDOMAIN", WalledGarden: "127.0.0.1",
		NS: "localhost.", Email: "root.localhost.", Refresh: "2h", Retry: "30m", Expiry: "30d",
		MinimumTTL: "1h", TTL: "1h"}
	for _, f := range exportFields {
		if optionFormats[f.names[0]] != format {
			continue
		}
		name, raw, ok := src.find(f.names)
		if !ok {
			continue
		}
		if err := f.set(&o, raw, time.Time{}); err != nil {
			return ExportOptions{}, &ParamError{Param: name, Reason: err.Error()}
		}
	}
	return o, nil
}

// optionFormats names the format each option belongs to.
var optionFormats = map[string]string{
	"hash_type": "cache", "ip_address": "hosts",
	"policy": "rpz", "walled_garden": "rpz", "ns": "rpz", "email": "rpz", "serial": "rpz", "refresh": "rpz",
	"retry": "rpz", "expiry": "rpz", "minimum_ttl": "rpz", "ttl": "rpz",
}

// exportFields is the table of export parameters.
var exportFields = []field[ExportOptions]{
	{[]string{"hash_type"}, exportText(func(o *ExportOptions, s string) error {
		s = strings.ToLower(s)
		if _, ok := cacheHashes[s]; !ok {
			return errors.New("must be one of md5, sha1, sha224, sha256, sha384, sha512")
		}
		o.HashType = s
		return nil
	})},
	{[]string{"ip_address"}, exportText(func(o *ExportOptions, s string) error {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return errors.New("must be an IP address")
		}
		o.IPAddress = ip.String()
		return nil
	})},
	{[]string{"policy"}, exportText(func(o *ExportOptions, s string) error {
		p, ok := rpzPolicyName(s)
		if !ok {
			return errors.New("must be one of NXDOMAIN, NODATA, DROP, PASSTHRU, TCP-only, Local-Data")
		}
		o.Policy = p
		return nil
	})},
	{[]string{"walled_garden"}, exportText(func(o *ExportOptions, s string) error {
		if _, err := netip.ParseAddr(s); err == nil {
			o.WalledGarden = s
			return nil
		}
		name, ok := absoluteName(s)
		if !ok {
			return errors.New("must be an IP address or a host name")
		}
		o.WalledGarden = name
		return nil
	})},
	{[]string{"ns"}, exportText(func(o *ExportOptions, s string) error {
		name, ok := absoluteName(s)
		if !ok {
			return errors.New("must be a host name")
		}
		o.NS = name
		return nil
	})},
	{[]string{"email"}, exportText(func(o *ExportOptions, s string) error {
		// The SOA mailbox is written as a name: the @ becomes a dot.
		name, ok := absoluteName(strings.Replace(s, "@", ".", 1))
		if !ok {
			return errors.New("must be an e-mail address or its SOA form")
		}
		o.Email = name
		return nil
	})},
	{[]string{"serial"}, exportText(func(o *ExportOptions, s string) error {
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return errors.New("must be a whole number below 2^32")
		}
		o.Serial = uint32(n)
		return nil
	})},
	{[]string{"refresh"}, ttlInto(func(o *ExportOptions) *string { return &o.Refresh })},
	{[]string{"retry"}, ttlInto(func(o *ExportOptions) *string { return &o.Retry })},
	{[]string{"expiry"}, ttlInto(func(o *ExportOptions) *string { return &o.Expiry })},
	{[]string{"minimum_ttl"}, ttlInto(func(o *ExportOptions) *string { return &o.MinimumTTL })},
	{[]string{"ttl"}, ttlInto(func(o *ExportOptions) *string { return &o.TTL })},
}

// exportText reads a trimmed string parameter and hands it to check.
func exportText(check func(o *ExportOptions, s string) error) setter[ExportOptions] {
	return func(o *ExportOptions, raw json.RawMessage, _ time.Time) error {
		s, err := scalarText(raw)
		if err != nil {
			return err
		}
		return check(o, strings.TrimSpace(s))
	}
}

// zoneDuration is a zone file time value: seconds, or numbers with the
// units s, m, h, d, w (BIND's "1h30m").
var zoneDuration = regexp.MustCompile(`^([0-9]{1,10}[smhdw]?){1,5}$`)

func ttlInto(get func(*ExportOptions) *string) setter[ExportOptions] {
	return exportText(func(o *ExportOptions, s string) error {
		s = strings.ToLower(s)
		if !zoneDuration.MatchString(s) {
			return errors.New("must be a zone file duration such as 3600 or 1h")
		}
		*get(o) = s
		return nil
	})
}

// absoluteName checks a host name for a zone file and returns it with its
// final dot.
func absoluteName(s string) (string, bool) {
	s = strings.TrimSuffix(strings.ToLower(s), ".")
	if !isHostName(s) {
		return "", false
	}
	return s + ".", true
}

// isHostName reports whether s is a dotted name of letters, digits, hyphens
// and underscores: what may be written into a zone file, a hosts file or a
// rule without quoting.
func isHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
