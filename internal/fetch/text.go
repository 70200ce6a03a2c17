package fetch

import (
	"fmt"
	"strings"

	"github.com/cairn-intel/cairn/internal/misp"
	"github.com/cairn-intel/cairn/internal/store"
)

// checkText refuses a feed whose settings hold text that cannot be stored
// (misp.TextFault). The API refuses such a body before it reads it; the
// command line may pass invalid UTF-8 in a flag, and a feed's tags end up
// on the events of its pulls.
func checkText(f *store.Feed) error {
	fields := []struct{ name, text string }{
		{"name", f.Name}, {"provider", f.Provider}, {"url", f.URL}, {"settings", f.Settings},
		{"auth_header", f.AuthHeader}, {"auth secret", f.AuthSecret}, {"user_agent", f.UserAgent},
		{"ca_pin", f.CAPin},
	}
	for _, tag := range f.Tags {
		fields = append(fields, struct{ name, text string }{"tag", tag})
	}
	for _, fl := range fields {
		if fault := misp.TextFault(fl.text); fault != "" {
			return fmt.Errorf("%w: %s %s", store.ErrInvalid, fl.name, fault)
		}
	}
	return nil
}

// storable returns a message that may quote what a feed sent with each
// NUL character written as \u0000 and invalid UTF-8 replaced, so that it
// can be recorded (as a pull's error) on either database.
func storable(s string) string {
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", `\u0000`), "\uFFFD")
}
