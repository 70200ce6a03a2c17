package feed

import "strings"

// defangs are the bracketed forms reports use to keep indicators from
// being clicked, and what they stand for. Matching ignores ASCII case.
var defangs = []struct{ from, to string }{
	{"[.]", "."}, {"(.)", "."}, {"{.}", "."},
	{"[dot]", "."}, {"(dot)", "."}, {"{dot}", "."},
	{"[:]", ":"}, {"[://]", "://"},
	{"[at]", "@"}, {"(at)", "@"}, {"{at}", "@"}, {"[@]", "@"},
}

// schemeDefangs are defanged URL schemes at the start of a token.
var schemeDefangs = []struct{ from, to string }{
	{"hxxps", "https"}, {"hxxp", "http"}, {"fxp", "ftp"},
}

// refang undoes the usual defanging of a network indicator.
func refang(s string) string {
	if strings.ContainsAny(s, "[({") {
		s = replaceDefangs(s)
	}
	for _, d := range schemeDefangs {
		if len(s) > len(d.from)+3 && strings.EqualFold(s[:len(d.from)], d.from) &&
			strings.HasPrefix(s[len(d.from):], "://") {
			return d.to + s[len(d.from):]
		}
	}
	return s
}

func replaceDefangs(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if to, n := defangAt(s[i:]); n > 0 {
			b.WriteString(to)
			i += n
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// defangAt returns the replacement of a defang pattern at the start of s
// and its length, or 0 when none starts there.
func defangAt(s string) (string, int) {
	if s[0] != '[' && s[0] != '(' && s[0] != '{' {
		return "", 0
	}
	for _, d := range defangs {
		if len(s) >= len(d.from) && strings.EqualFold(s[:len(d.from)], d.from) {
			return d.to, len(d.from)
		}
	}
	return "", 0
}
