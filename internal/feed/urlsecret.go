package feed

import (
	"net/url"
	"regexp"
	"strings"
)

// secretParam matches query parameter names that carry credentials.
var secretParam = regexp.MustCompile(`(?i)key|token|secret|pass|auth|sig|session|cred`)

// URLSecrets returns the credentials a feed URL carries in the clear: the
// password of its user information and the values of query parameters whose
// names say they are keys or tokens.
func URLSecrets(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var out []string
	if p, ok := u.User.Password(); ok && p != "" {
		out = append(out, p)
	}
	for name, values := range u.Query() {
		if !secretParam.MatchString(name) {
			continue
		}
		for _, v := range values {
			if v != "" && v != "{key}" {
				out = append(out, v)
			}
		}
	}
	return out
}

// RedactURL returns the URL with the credentials of URLSecrets masked, for
// answers, reports and logs.
func RedactURL(raw string) string {
	return RedactText(raw, URLSecrets(raw))
}

// RedactText masks every secret, and its URL-escaped forms, in t.
func RedactText(t string, secrets []string) string {
	for _, s := range secrets {
		if len(s) < 3 {
			continue // too short to mask without garbling the text
		}
		for _, form := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
			t = strings.ReplaceAll(t, form, "********")
		}
	}
	return t
}
