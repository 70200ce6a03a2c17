package feed

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Free text is full of names like "report.zip" and "invoice.pdf" that
// could be a file or a host. These lists decide. They are our own choice,
// documented in docs/feeds-freetext.md.

// fileExtensions are extensions that are not top-level domains: a dotted
// name ending in one of them is a file name, never a domain.
var fileExtensions = setOf(
	// programs, scripts and libraries
	"exe", "dll", "sys", "scr", "pif", "cpl", "msi", "msp", "msc", "bat",
	"cmd", "vbs", "vbe", "js", "jse", "wsf", "wsh", "hta", "lnk", "inf",
	"reg", "jar", "class", "apk", "ipa", "dmg", "pkg", "deb", "rpm", "elf",
	"bin", "dylib", "ocx", "drv", "efi", "msix", "appx", "xll", "sct",
	"chm", "hlp", "iqy", "slk", "psm", "php", "asp", "aspx", "jsp", "cgi",
	"rb", "lua", "vba", "pyc", "pyw", "bash", "zsh", "ksh", "cs", "cpp",
	"java", "swift", "dat", "tmp",
	// documents
	"doc", "docx", "docm", "dotm", "xls", "xlsx", "xlsm", "xlsb",
	"xlam", "ppt", "pptx", "pptm", "pps", "ppsx", "rtf", "pdf", "odt",
	"ods", "odp", "txt", "csv", "html", "htm", "xhtml", "mht", "mhtml",
	"xml", "json", "yaml", "yml", "eml", "msg", "ics", "vcf", "svg",
	// archives and disk images
	"rar", "tar", "gz", "tgz", "xz", "lz", "lzh", "arj", "ace",
	"iso", "img", "vhd", "vhdx", "cpio", "zst",
	// media
	"jpg", "jpeg", "png", "gif", "bmp", "ico", "tif", "tiff", "webp",
	"avi", "wav", "wmv", "mkv", "flv", "ogg",
	// keys, certificates and configuration
	"pem", "crt", "cer", "der", "pfx", "key", "ovpn", "gpg", "asc", "cfg",
	"ini", "conf", "log", "bak", "db", "sqlite",
)

// ambiguousExtensions are top-level domains that are also common file
// extensions. A name of exactly two labels ending in one of them
// ("report.zip", "install.sh") is a file name; with more labels
// ("cdn.report.zip") it is a host name.
var ambiguousExtensions = setOf(
	"zip", "mov", "sh", "py", "md", "one", "cab", "pub", "dot",
)

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// tldLike reports whether a label could be a top-level domain: two or
// more letters (in any script), or an internationalised "xn--" label.
func tldLike(label string) bool {
	if strings.HasPrefix(label, "xn--") && len(label) > 4 {
		return true
	}
	if utf8.RuneCountInString(label) < 2 || len(label) > 63 {
		return false
	}
	for _, r := range label {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// extOf returns the lower-cased text after the last dot of name, and
// whether there is a non-empty name before it.
func extOf(name string) (string, bool) {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 || i == len(name)-1 {
		return "", false
	}
	return strings.ToLower(name[i+1:]), true
}

// fileExtensionLike reports whether ext can end a file name: one to ten
// letters or digits, at least one of them a letter.
func fileExtensionLike(ext string) bool {
	if len(ext) == 0 || len(ext) > 10 {
		return false
	}
	letter := false
	for _, c := range []byte(ext) {
		switch {
		case 'a' <= c && c <= 'z':
			letter = true
		case '0' <= c && c <= '9':
		default:
			return false
		}
	}
	return letter
}

// fileNameWins reports whether a dotted name without a path is a file name
// rather than a host name, by its extension and its number of labels.
func fileNameWins(name string) bool {
	ext, ok := extOf(name)
	if !ok || !fileExtensionLike(ext) {
		return false
	}
	switch {
	case fileExtensions[ext]:
		return true
	case ambiguousExtensions[ext]:
		return strings.Count(name, ".") == 1
	}
	// An extension with a digit or of one letter ("x86", "7z", "c") is no
	// top-level domain.
	return !tldLike(ext)
}
