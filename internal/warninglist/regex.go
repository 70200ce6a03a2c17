package warninglist

import (
	"fmt"
	"regexp"
	"strings"
)

// compileEntry compiles the entry of a regex list. MISP evaluates entries
// with PHP's preg_match, so published lists write them with delimiters and
// trailing modifiers ("/^foo$/i"); those are translated to Go's syntax. An
// entry without delimiters is taken as a Go expression. Constructs RE2 does
// not have (look-around, back-references) fail here and the entry is
// reported rather than silently never matching.
func compileEntry(e string) (*regexp.Regexp, error) {
	expr, err := goExpr(e)
	if err != nil {
		return nil, err
	}
	for _, pcre := range []string{"(?=", "(?!", "(?<=", "(?<!"} {
		if strings.Contains(expr, pcre) {
			return nil, fmt.Errorf("look-around %q has no equivalent in Go's regular expressions", pcre)
		}
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("not a regular expression Go can run: %v", err)
	}
	return re, nil
}

// goExpr turns a delimited PCRE pattern into a Go expression.
func goExpr(e string) (string, error) {
	body, mods, ok := splitDelimited(e)
	if !ok {
		return e, nil
	}
	var flags strings.Builder
	for _, m := range mods {
		switch m {
		case 'i', 'm', 's', 'U':
			flags.WriteRune(m)
		case 'u', 'D':
			// Go matches UTF-8 already; D only narrows what $ accepts.
		default:
			return "", fmt.Errorf("modifier %q has no equivalent in Go", m)
		}
	}
	if flags.Len() > 0 {
		return "(?" + flags.String() + ")" + body, nil
	}
	return body, nil
}

// splitDelimited reads "/body/mods", "#body#mods" or "{body}mods".
func splitDelimited(e string) (body, mods string, ok bool) {
	if len(e) < 2 {
		return "", "", false
	}
	open := e[0]
	if isAlnum(open) || open == '\\' || open == ' ' || open == '^' || open == '(' || open == '[' {
		// A leading ( or [ is far more often a group than a delimiter.
		return "", "", false
	}
	closing := open
	switch open {
	case '{':
		closing = '}'
	case '<':
		closing = '>'
	}
	end := strings.LastIndexByte(e, closing)
	if end <= 0 {
		return "", "", false
	}
	for i := end + 1; i < len(e); i++ {
		if !isAlnum(e[i]) {
			return "", "", false
		}
	}
	return e[1:end], e[end+1:], true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
