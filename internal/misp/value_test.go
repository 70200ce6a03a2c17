package misp

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

const (
	md5Lower    = "d41d8cd98f00b204e9800998ecf8427e"
	sha256Lower = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	tlshBody    = "8d31d1a5a5b1f0c09a1e0a79e10a98b1e25c2c5d3a1c7e5e1a7d6a2f0b1c4d5e6f7a8b"
)

func TestNormalizeValue(t *testing.T) {
	tests := []struct {
		name, typ, in string
		want1, want2  string
	}{
		{"ipv6 full form", "ip-dst", "2001:0db8:0000:0000:0000:0000:0000:0190", "2001:db8::190", ""},
		{"ipv6 upper case", "ip-src", "2001:DB8:0:0:0:0:0:190", "2001:db8::190", ""},
		{"ipv4 trimmed", "ip-src", "  192.0.2.7\n", "192.0.2.7", ""},
		{"ipv4 refanged", "ip-dst", "192.0.2[.]7", "192.0.2.7", ""},
		{"ipv4 cidr", "ip-dst", "192.0.2.0/24", "192.0.2.0/24", ""},
		{"ipv4 cidr host bits cleared", "ip-dst", "192.0.2.77/24", "192.0.2.0/24", ""},
		{"ipv6 cidr", "ip-src", "2001:DB8::/32", "2001:db8::/32", ""},
		{"ipv4-mapped ipv6 kept", "ip-src", "::FFFF:192.0.2.1", "::ffff:192.0.2.1", ""},

		{"ip|port with colon", "ip-src|port", "192.0.2.7:8080", "192.0.2.7", "8080"},
		{"ip|port with pipe", "ip-src|port", "192.0.2.7|8080", "192.0.2.7", "8080"},
		{"ip|port spaces around pipe", "ip-src|port", "192.0.2.7 | 08080", "192.0.2.7", "8080"},
		{"ipv6 in brackets with port", "ip-dst|port", "[2001:db8::7]:443", "2001:db8::7", "443"},
		{"ipv6 with pipe port", "ip-dst|port", "2001:0DB8::7|443", "2001:db8::7", "443"},
		{"bracketed ipv6 with pipe port", "ip-dst|port", "[2001:db8::7]|443", "2001:db8::7", "443"},

		{"idn domain", "domain", "bücher.example", "xn--bcher-kva.example", ""},
		{"idn domain upper case", "domain", "BÜCHER.example", "xn--bcher-kva.example", ""},
		{"punycode domain", "domain", "xn--bcher-kva.example", "xn--bcher-kva.example", ""},
		{"punycode domain upper case", "hostname", "XN--BCHER-KVA.EXAMPLE", "xn--bcher-kva.example", ""},
		{"underscore label", "domain", "a_b.example", "a_b.example", ""},
		{"trailing dot", "hostname", "WWW.Example.COM.", "www.example.com", ""},
		{"ideographic full stop", "domain", "bücher。example", "xn--bcher-kva.example", ""},
		{"triple hyphen label", "hostname", "r3---sn-a.example", "r3---sn-a.example", ""},
		{"defanged domain", "domain", "evil[.]example(.)com", "evil.example.com", ""},
		{"domain|ip", "domain|ip", "Example.COM|192.0.2.1", "example.com", "192.0.2.1"},
		{"hostname|port with pipe", "hostname|port", "WWW.example.com|443", "www.example.com", "443"},
		{"hostname|port with colon", "hostname|port", "www.example.com:443", "www.example.com", "443"},

		{"url keeps case", "url", "hxxps://Example[.]com/Path?Q=A", "https://Example.com/Path?Q=A", ""},
		{"url refang is repeated", "url", "http://a[[.]]example", "http://a.example", ""},
		{"link defanged scheme upper case", "link", "HXXP://example.com/", "http://example.com/", ""},
		{"email", "email-src", "John.Doe@Bücher.Example", "john.doe@xn--bcher-kva.example", ""},
		{"email defanged", "email", "info[at]example[dot]org", "info@example.org", ""},
		{"eppn", "eppn", "Alice@Uni.Example", "alice@uni.example", ""},

		{"md5 upper case", "md5", "D41D8CD98F00B204E9800998ECF8427E", md5Lower, ""},
		{"sha512/256", "sha512/256", strings.ToUpper(sha256Lower), sha256Lower, ""},
		{"filename|sha256", "filename|sha256", "Invoice Copy.EXE|" + strings.ToUpper(sha256Lower), "Invoice Copy.EXE", sha256Lower},
		{"malware-sample", "malware-sample", "dropper.bin|" + md5Lower, "dropper.bin", md5Lower},
		{"tlsh with T1", "tlsh", "T1" + strings.ToUpper(tlshBody), "t1" + tlshBody, ""},
		{"tlsh without prefix", "tlsh", tlshBody, tlshBody, ""},
		{"ssdeep keeps case", "ssdeep", "96:s4Ud1Lj96tHHlZDrwciQmA5MfzRqG:S4ULtHH6Q5y", "96:s4Ud1Lj96tHHlZDrwciQmA5MfzRqG:S4ULtHH6Q5y", ""},
		{"ssdeep wrapped over lines", "ssdeep", "96:s4Ud1Lj96tHH\r\nlZDrwciQmA5MfzRqG:S4UL\r\ntHH6Q5y", "96:s4Ud1Lj96tHHlZDrwciQmA5MfzRqG:S4ULtHH6Q5y", ""},
		{"filename|ssdeep", "filename|ssdeep", "a.doc|3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C", "a.doc", "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C"},
		{"x509 with colons", "x509-fingerprint-sha1", "DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF:95:60:18:90:AF:D8:07:09", "da39a3ee5e6b4b0d3255bfef95601890afd80709", ""},
		{"vhash kept", "vhash", "015076655d1Az4!z", "015076655d1Az4!z", ""},

		{"regkey|value splits on first pipe", "regkey|value", `HKLM\Run|cmd /c a|b`, `HKLM\Run`, "cmd /c a|b"},
		{"regkey|value empty data", "regkey|value", `HKLM\Run|`, `HKLM\Run`, ""},

		{"AS prefix", "AS", "AS64496", "64496", ""},
		{"AS lower-case prefix with space", "AS", "as 64496", "64496", ""},
		{"AS asdot", "AS", "1.10", "65546", ""},
		{"AS leading zeros", "AS", "0013335", "13335", ""},
		{"port zero", "port", "0", "0", ""},
		{"integer signed", "integer", "-42", "-42", ""},
		{"counter plus sign", "counter", "+7", "7", ""},
		{"float trailing zero", "float", "1.50", "1.5", ""},
		{"float exponent", "float", "2.5e3", "2500", ""},
		{"boolean yes", "boolean", "Yes", "1", ""},
		{"boolean false", "boolean", "false", "0", ""},
		{"datetime rfc3339 offset", "datetime", "2019-06-02T23:14:28.7119549+01:00", "2019-06-02T22:14:28.711954+00:00", ""},
		{"datetime with space", "datetime", "2019-06-02 22:14:28", "2019-06-02T22:14:28.000000+00:00", ""},
		{"datetime date only", "datetime", "2019-06-02", "2019-06-02T00:00:00.000000+00:00", ""},
		{"mac with dashes", "mac-address", "00-1A-2B-3C-4D-5E", "00:1a:2b:3c:4d:5e", ""},
		{"mac-eui-64", "mac-eui-64", "00:1A:2B:FF:FE:3C:4D:5E", "00:1a:2b:ff:fe:3c:4d:5e", ""},
		{"vulnerability", "vulnerability", "cve-2021-44228", "CVE-2021-44228", ""},
		{"http-method", "http-method", "post", "POST", ""},
		{"hex", "hex", "0xdeadbeef", "0XDEADBEEF", ""},
		{"onion-address", "onion-address", "ExampleOnionAddress.onion", "exampleonionaddress.onion", ""},
		{"other text kept", "text", "  Hello | World  ", "Hello | World", ""},
		{"filename kept", "filename", "Report.PDF", "Report.PDF", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got1, got2, err := NormalizeValue(tt.typ, tt.in)
			if err != nil {
				t.Fatalf("NormalizeValue(%q, %q): got error %v", tt.typ, tt.in, err)
			}
			if got1 != tt.want1 || got2 != tt.want2 {
				t.Errorf("NormalizeValue(%q, %q): got %q, %q, want %q, %q", tt.typ, tt.in, got1, got2, tt.want1, tt.want2)
			}
		})
	}
}

func TestNormalizeValueRefuses(t *testing.T) {
	tests := []struct {
		name, typ, in string
	}{
		{"unknown type", "ip", "192.0.2.1"},
		{"empty", "text", "   "},
		{"too long", "text", strings.Repeat("a", MaxValueBytes+1)},
		{"not utf-8", "text", "a\xffb"},
		{"ipv4 octet too large", "ip-dst", "198.51.100.300"},
		{"ipv4 leading zero", "ip-src", "192.0.2.07"},
		{"ipv6 zone", "ip-src", "fe80::1%eth0"},
		{"cidr bits too many", "ip-src", "192.0.2.0/33"},
		{"ip|port without port", "ip-src|port", "192.0.2.7"},
		{"ip|port port zero", "ip-src|port", "192.0.2.7|0"},
		{"ip|port port too large", "ip-dst|port", "192.0.2.7:65536"},
		{"ip|port bare ipv6 with port", "ip-dst|port", "2001:db8::7:443"},
		{"domain|ip cidr", "domain|ip", "example.com|192.0.2.0/24"},
		{"domain single label", "domain", "localhost"},
		{"domain numeric top label", "domain", "192.0.2.1"},
		{"domain with space", "hostname", "a b.example"},
		{"domain empty label", "domain", "a..example"},
		{"domain two trailing dots", "domain", "example.com.."},
		{"domain label too long", "domain", strings.Repeat("a", 64) + ".example"},
		{"url with space", "url", "http://example.com/a b"},
		{"email without local part", "email", "@example.com"},
		{"email without domain", "email-dst", "someone"},
		{"md5 wrong length", "md5", "d41d8cd98f00b204e9800998ecf8427"},
		{"md5 not hex", "md5", "z41d8cd98f00b204e9800998ecf8427e"},
		{"composite without pipe", "filename|md5", "file.exe"},
		{"composite with two pipes", "filename|md5", "a|b|" + md5Lower},
		{"composite empty left", "filename|sha256", "|" + sha256Lower},
		{"filename|sha256 bad hash", "filename|sha256", "a.exe|" + md5Lower},
		{"malware-sample bad hash", "malware-sample", "a.exe|abc"},
		{"ssdeep wrong shape", "ssdeep", "not-a-fuzzy-hash"},
		{"tlsh wrong length", "tlsh", "T1abc"},
		{"AS too large", "AS", "4294967296"},
		{"AS asdot half too large", "AS", "65536.1"},
		{"port too large", "port", "65536"},
		{"port negative", "port", "-1"},
		{"size-in-bytes negative", "size-in-bytes", "-1"},
		{"integer with fraction", "integer", "1.5"},
		{"float not a number", "float", "NaN"},
		{"float hex", "float", "0x1p-2"},
		{"boolean", "boolean", "maybe"},
		{"datetime", "datetime", "02/06/2019"},
		{"mac five pairs", "mac-address", "00:1a:2b:3c:4d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v1, v2, err := NormalizeValue(tt.typ, tt.in)
			var ve *ValueError
			if !errors.As(err, &ve) {
				t.Fatalf("NormalizeValue(%q, %.40q): got %q, %q, %v, want a *ValueError", tt.typ, tt.in, v1, v2, err)
			}
			if ve.Type != tt.typ {
				t.Errorf("got error type %q, want %q", ve.Type, tt.typ)
			}
		})
	}
}

func TestValueErrorMessage(t *testing.T) {
	tests := []struct {
		name, typ, in, want string
	}{
		{"bad ip", "ip-dst", "198.51.100.300", `"198.51.100.300" is not a valid IP address or CIDR block for type ip-dst`},
		{"unknown type", "ip", "192.0.2.1", `unknown attribute type "ip"`},
		{"empty", "md5", " ", "the value for type md5 is empty"},
		{"bad hash half", "filename|md5", "a.exe|xyz", `"xyz" is not a valid md5 hash (32 hexadecimal digits) for type filename|md5`},
		{"no pipe", "filename|md5", "a.exe", `"a.exe" needs exactly one | between its two parts for type filename|md5`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := NormalizeValue(tt.typ, tt.in)
			if err == nil || err.Error() != tt.want {
				t.Errorf("got %v, want %s", err, tt.want)
			}
		})
	}

	long := (&ValueError{Type: "text", Value: strings.Repeat("é", 100), Reason: "is wrong"}).Error()
	if len(long) > 120 {
		t.Errorf("got a %d-byte message for a long value, want it clipped", len(long))
	}
}

func TestEveryCompositeTypeHasASplitRule(t *testing.T) {
	for _, name := range TypeNames() {
		info, _ := LookupType(name)
		if got := valueRules[name].split != nil; got != info.Composite {
			t.Errorf("%s: got split rule %v, want %v", name, got, info.Composite)
		}
	}
	for name := range valueRules {
		if _, ok := LookupType(name); !ok {
			t.Errorf("rule for %q, which is not a type", name)
		}
	}
}

// joinValue rebuilds the single value NormalizeValue takes from its halves.
func joinValue(typ, v1, v2 string) string {
	if info, _ := LookupType(typ); info.Composite {
		return v1 + "|" + v2
	}
	return v1
}

func FuzzNormalizeValue(f *testing.F) {
	names := TypeNames()
	seeds := []struct{ typ, value string }{
		{"ip-dst", "2001:0db8::0190"},
		{"ip-src|port", "[2001:db8::7]:443"},
		{"domain", "BÜCHER.example."},
		{"email", "A[at]b[.]example"},
		{"url", "hxxp://a[[.]]b"},
		{"filename|sha256", "a|" + sha256Lower},
		{"tlsh", "T1" + tlshBody},
		{"datetime", "0000-01-01T00:30:00+01:00"},
		{"float", "1e300"},
		{"AS", "AS1.10"},
		{"regkey|value", "k| v|w "},
	}
	for _, s := range seeds {
		f.Add(uint(slices.Index(names, s.typ)), s.value)
	}

	f.Fuzz(func(t *testing.T, n uint, value string) {
		typ := names[n%uint(len(names))]
		v1, v2, err := NormalizeValue(typ, value)
		if err != nil {
			return
		}
		again1, again2, err := NormalizeValue(typ, joinValue(typ, v1, v2))
		if err != nil {
			t.Fatalf("%s %q gave %q, %q, which is refused: %v", typ, value, v1, v2, err)
		}
		if again1 != v1 || again2 != v2 {
			t.Fatalf("%s %q: got %q, %q then %q, %q, want the same twice", typ, value, v1, v2, again1, again2)
		}
	})
}
