package feed

import (
	"fmt"
	"regexp"
	"strings"
)

// CompileExclude compiles a feed's exclude pattern. It takes Go regular
// expression syntax, or MISP's delimited form "/pattern/flags" with the
// flags i, m and s, so MISP feed settings work unchanged. An empty pattern
// gives nil, which excludes nothing.
func CompileExclude(pattern string) (*regexp.Regexp, error) {
	if pattern == "" {
		return nil, nil
	}
	expr, err := fromDelimited(pattern)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("exclude pattern %q: %w", pattern, err)
	}
	return re, nil
}

// fromDelimited turns "/pattern/flags" into Go syntax; other text is
// returned as it is.
func fromDelimited(p string) (string, error) {
	if len(p) < 2 || p[0] != '/' {
		return p, nil
	}
	end := strings.LastIndexByte(p, '/')
	if end == 0 {
		return p, nil
	}
	body, flags := p[1:end], p[end+1:]
	for _, f := range flags {
		if !strings.ContainsRune("ims", f) {
			return "", fmt.Errorf("exclude pattern %q: flag %q is not supported (only i, m, s)", p, f)
		}
	}
	if flags != "" {
		body = "(?" + flags + ")" + body
	}
	return body, nil
}

// excludes reports whether the raw text or the normalised value of an
// indicator matches the exclude pattern. An empty string is not tested, so
// a pattern that matches nothing at all excludes nothing.
func excludes(re *regexp.Regexp, raw, value string) bool {
	if re == nil {
		return false
	}
	return raw != "" && re.MatchString(raw) || value != "" && re.MatchString(value)
}
