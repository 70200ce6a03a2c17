package gen

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
)

// typeWeight is one attribute type and how often it appears among the
// top-level attributes, roughly as on community instances: network
// indicators and file hashes dominate.
type typeWeight struct {
	typ    string
	weight int
}

var typeMix = []typeWeight{
	{"ip-dst", 17}, {"ip-src", 6}, {"domain", 12}, {"hostname", 8}, {"url", 14},
	{"md5", 9}, {"sha1", 5}, {"sha256", 10}, {"filename", 5}, {"filename|sha256", 3},
	{"ip-dst|port", 4}, {"email-src", 2}, {"link", 2}, {"domain|ip", 2}, {"AS", 1},
}

var typeWeightTotal = func() int {
	n := 0
	for _, tw := range typeMix {
		n += tw.weight
	}
	return n
}()

func pickType(r *rand.Rand) string {
	n := r.IntN(typeWeightTotal)
	for _, tw := range typeMix {
		if n < tw.weight {
			return tw.typ
		}
		n -= tw.weight
	}
	return typeMix[0].typ
}

var (
	syllables = []string{"ka", "lo", "mi", "net", "sec", "up", "da", "te", "ro", "vi", "zo", "pa", "qu", "bel",
		"cor", "fin", "gar", "hub", "ix", "jet", "kor", "lux", "mon", "nor", "ost", "pix", "rad", "sol"}
	tlds      = []string{"com", "net", "org", "info", "ru", "cn", "xyz", "top", "io", "biz", "su", "online"}
	subs      = []string{"www", "mail", "cdn", "update", "login", "api", "static", "secure", "files", "m"}
	paths     = []string{"gate.php", "admin/login.php", "wp-content/plugins/x.php", "invoice.doc", "panel/index.php", "dl/payload.bin", "check", "api/v1/beacon"}
	fileStems = []string{"invoice", "update", "setup", "scan", "document", "payment", "report", "svchost", "loader", "client"}
	fileExts  = []string{"exe", "dll", "doc", "docm", "xls", "js", "vbs", "zip", "pdf", "ps1"}
	mailUsers = []string{"info", "billing", "support", "hr", "admin", "noreply", "accounts", "ceo"}
)

func pick(r *rand.Rand, from []string) string { return from[r.IntN(len(from))] }

// domainName is a made-up registrable domain: two or three syllables and a
// top-level domain, with a number when the syllables alone would repeat.
func domainName(r *rand.Rand) string {
	n := 2 + r.IntN(2)
	var b strings.Builder
	for range n {
		b.WriteString(pick(r, syllables))
	}
	if r.IntN(3) == 0 {
		b.WriteString(strconv.Itoa(r.IntN(1000)))
	}
	return b.String() + "." + pick(r, tlds)
}

// ipAddress is a public-looking address, IPv6 one time in twenty.
func ipAddress(r *rand.Rand) string {
	if r.IntN(20) == 0 {
		var a [16]byte
		a[0], a[1] = 0x2a, byte(r.IntN(16))
		for i := 2; i < 16; i++ {
			a[i] = byte(r.UintN(256))
		}
		return netip.AddrFrom16(a).String()
	}
	first := 1 + r.IntN(222)
	if first == 10 || first == 127 {
		first++
	}
	return fmt.Sprintf("%d.%d.%d.%d", first, r.IntN(256), r.IntN(256), 1+r.IntN(254))
}

func hexDigits(r *rand.Rand, n int) string {
	b := make([]byte, (n+1)/2)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return hex.EncodeToString(b)[:n]
}

func fileName(r *rand.Rand) string {
	return fmt.Sprintf("%s_%d.%s", pick(r, fileStems), r.IntN(100000), pick(r, fileExts))
}

// makeValue returns a valid value of typ.
func makeValue(r *rand.Rand, typ string) string {
	switch typ {
	case "ip-dst", "ip-src":
		return ipAddress(r)
	case "domain":
		return domainName(r)
	case "hostname":
		return pick(r, subs) + strconv.Itoa(r.IntN(100)) + "." + domainName(r)
	case "url", "link":
		return fmt.Sprintf("https://%s/%s?id=%d", domainName(r), pick(r, paths), r.IntN(1_000_000))
	case "md5":
		return hexDigits(r, 32)
	case "sha1":
		return hexDigits(r, 40)
	case "sha256":
		return hexDigits(r, 64)
	case "filename":
		return fileName(r)
	case "filename|sha256":
		return fileName(r) + "|" + hexDigits(r, 64)
	case "ip-dst|port":
		return fmt.Sprintf("%s|%d", ipAddress(r), 1+r.IntN(65535))
	case "email-src":
		return pick(r, mailUsers) + strconv.Itoa(r.IntN(1000)) + "@" + domainName(r)
	case "domain|ip":
		return domainName(r) + "|" + ipAddress(r)
	case "AS":
		return strconv.Itoa(1 + r.IntN(400000))
	}
	return hexDigits(r, 16)
}

// categoryOf is the category generated attributes carry.
func categoryOf(typ string) string {
	switch typ {
	case "md5", "sha1", "sha256", "filename", "filename|sha256":
		return "Payload delivery"
	case "email-src":
		return "Payload delivery"
	case "link":
		return "External analysis"
	}
	return "Network activity"
}
