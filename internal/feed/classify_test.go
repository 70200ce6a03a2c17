package feed

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		typ   string // "" when the text must be refused
		value string
		rule  string
		why   string // part of the reason when refused
	}{
		// the lines
		{"refanged URL", "hxxps://login-portal[.]example/path?a=1", "url", "https://login-portal.example/path?a=1", "url", ""},
		{"IPv4 and port", "198.51.100.23:8443", "ip-dst|port", "198.51.100.23|8443", "ip-port", ""},
		{"bracketed IPv6 and port", "[2001:db8::7]:443", "ip-dst|port", "2001:db8::7|443", "ip-port", ""},
		{"zip file, not a domain", "report.zip", "filename", "report.zip", "filename", ""},
		{"pdf file", "invoice.pdf", "filename", "invoice.pdf", "filename", ""},
		{"md5", "d41d8cd98f00b204e9800998ecf8427e", "md5", "d41d8cd98f00b204e9800998ecf8427e", "hash", ""},
		{"defanged e-mail", "user[at]example.test", "email-src", "user@example.test", "email", ""},
		{"CVE", "CVE-2024-3094", "vulnerability", "CVE-2024-3094", "cve", ""},

		// more shapes
		{"ip|port", "198.51.100.23|8443", "ip-dst|port", "198.51.100.23|8443", "ip-port", ""},
		{"bare IPv4", "198.51.100.23", "ip-dst", "198.51.100.23", "ip", ""},
		{"bare IPv6", "2001:DB8::1", "ip-dst", "2001:db8::1", "ip", ""},
		{"bracketed IPv6", "[2001:db8::1]", "ip-dst", "2001:db8::1", "ip", ""},
		{"defanged IPv4", "198.51.100[.]23", "ip-dst", "198.51.100.23", "ip", ""},
		{"CIDR", "198.51.100.7/24", "ip-dst", "198.51.100.0/24", "cidr", ""},
		{"sha1", strings.Repeat("ab", 20), "sha1", strings.Repeat("ab", 20), "hash", ""},
		{"sha256 upper case", strings.Repeat("AB", 32), "sha256", strings.Repeat("ab", 32), "hash", ""},
		{"sha512", strings.Repeat("0f", 64), "sha512", strings.Repeat("0f", 64), "hash", ""},
		{"ssdeep", "96:s4Ud1Lj96tHHlZDrwciQmA:s4UdR5Lb4Q", "ssdeep", "96:s4Ud1Lj96tHHlZDrwciQmA:s4UdR5Lb4Q", "ssdeep", ""},
		{"two labels is a domain", "Login-Portal.example", "domain", "login-portal.example", "domain", ""},
		{"three labels is a hostname", "cdn.login-portal.example", "hostname", "cdn.login-portal.example", "domain", ""},
		{"zip TLD with three labels is a host", "cdn.report.zip", "hostname", "cdn.report.zip", "domain", ""},
		{"IDN domain", "пример.рф", "domain", "xn--e1afmkfd.xn--p1ai", "domain", ""},
		{"host with port", "evil.example:8080", "domain", "evil.example", "domain", ""},
		{"URL without scheme", "evil.example/gate.php", "url", "evil.example/gate.php", "host-url", ""},
		{"IP URL without scheme", "203.0.113.9:8080/x", "url", "203.0.113.9:8080/x", "host-url", ""},
		{"windows path", `C:\Users\Public\run.exe`, "filename", `C:\Users\Public\run.exe`, "path", ""},
		{"unix path", "/tmp/x.sh", "filename", "/tmp/x.sh", "path", ""},
		{"several labels and a file extension", "my.invoice.pdf", "filename", "my.invoice.pdf", "filename", ""},
		{"extension with a digit", "bot.x86", "filename", "bot.x86", "filename", ""},
		{"shell script", "install.sh", "filename", "install.sh", "filename", ""},
		{"filename and hash", "setup.exe|d41d8cd98f00b204e9800998ecf8427e", "filename|md5",
			"setup.exe|d41d8cd98f00b204e9800998ecf8427e", "filename-hash", ""},
		{"AS number", "AS64496", "AS", "64496", "as", ""},
		{"mailto", "mailto:Someone@Example.test", "email-src", "someone@example.test", "email", ""},

		// refused
		{"word", "hello", "", "", "", "not an indicator"},
		{"number", "12345", "", "", "", "not an indicator"},
		{"time of day", "12:34:56", "", "", "", "not an indicator"},
		{"version", "1.2", "", "", "", "not an indicator"},
		{"single label", "localhost", "", "", "", "not an indicator"},
		{"scheme alone", "http://", "", "", "", "not an indicator"},
		{"URL with a newline", "http://192.0.2.10/multi\nline", "", "", "", "url value contains spaces or control characters"},
		{"bad port", "198.51.100.23:99999", "", "", "", "not a port number"},
		{"empty", "  ", "", "", "", "empty value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Classify(tt.in)
			if tt.typ == "" {
				if err == nil || !strings.Contains(err.Error(), tt.why) {
					t.Fatalf("Classify(%q): got %+v, %v; want an error containing %q", tt.in, got, err, tt.why)
				}
				return
			}
			if err != nil {
				t.Fatalf("Classify(%q): got error %v, want %s %q", tt.in, err, tt.typ, tt.value)
			}
			if got.Type != tt.typ || got.Value != tt.value || got.Rule != tt.rule {
				t.Errorf("Classify(%q): got %s %q by %s, want %s %q by %s",
					tt.in, got.Type, got.Value, got.Rule, tt.typ, tt.value, tt.rule)
			}
		})
	}
}

func TestClassifyNotIndicatorIsSentinel(t *testing.T) {
	if _, err := Classify("hello"); !errors.Is(err, ErrNotIndicator) {
		t.Errorf("got %v, want ErrNotIndicator", err)
	}
}

func TestClassifyHostPortComment(t *testing.T) {
	got, err := Classify("evil.example:8080")
	if err != nil || got.Comment != "port 8080" {
		t.Errorf("got %+v, %v; want the comment %q", got, err, "port 8080")
	}
}

// TestRulesExamples checks each rule of the table against its own example.
func TestRulesExamples(t *testing.T) {
	for _, r := range Rules() {
		t.Run(r.Name, func(t *testing.T) {
			got, err := Classify(r.Example)
			if err != nil || got.Rule != r.Name || got.Value != r.Want {
				t.Errorf("Classify(%q): got %+v, %v; want rule %s value %q", r.Example, got, err, r.Name, r.Want)
			}
			if !strings.Contains(r.Types, got.Type) {
				t.Errorf("rule %s gave type %s, not among its documented types %q", r.Name, got.Type, r.Types)
			}
		})
	}
}

// TestRulesDocumented keeps docs/feeds-freetext.md in step with the table
// and the extension lists.
func TestRulesDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "feeds-freetext.md"))
	if err != nil {
		t.Fatalf("reading the classification documentation: %v", err)
	}
	text := string(doc)
	for _, r := range Rules() {
		if !strings.Contains(text, "| `"+r.Name+"` |") {
			t.Errorf("rule %s: got no row in docs/feeds-freetext.md, want one", r.Name)
		}
	}
	lists := []struct {
		heading string
		set     map[string]bool
	}{
		{"**Ambiguous list**", ambiguousExtensions},
		{"**File extension list**", fileExtensions},
	}
	for _, l := range lists {
		got := docWords(text, l.heading)
		var want []string
		for ext := range l.set {
			want = append(want, ext)
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %v in the documentation, want %v", l.heading, got, want)
		}
	}
}

// docWords returns the sorted extensions listed in the paragraph that
// starts with heading: the lower-case words of letters and digits, besides
// the prose words of the paragraph's own text.
func docWords(text, heading string) []string {
	i := strings.Index(text, heading)
	if i < 0 {
		return nil
	}
	para, _, _ := strings.Cut(text[i+len(heading):], "\n\n")
	if j := strings.Index(para, "):"); j >= 0 {
		para = para[j+2:]
	}
	prose := map[string]bool{"programs": true, "and": true, "scripts": true, "documents": true,
		"archives": true, "images": true, "media": true, "keys": true, "configuration": true}
	var words []string
	fields := strings.FieldsFunc(para, func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9')
	})
	if heading == "**Ambiguous list**" {
		// only the back-quoted words before the first full stop
		first, _, _ := strings.Cut(para, ".")
		fields = nil
		for _, part := range strings.Split(first, "`") {
			if part != "" && !strings.ContainsAny(part, " ,") {
				fields = append(fields, part)
			}
		}
	}
	for _, w := range fields {
		if !prose[w] {
			words = append(words, w)
		}
	}
	slices.Sort(words)
	return slices.Compact(words)
}
