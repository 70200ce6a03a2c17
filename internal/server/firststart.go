package server

import (
	"errors"
	"fmt"

	"github.com/cairn-intel/cairn/internal/auth"
	"github.com/cairn-intel/cairn/internal/misp"
)

// ErrBadAdminKey refuses a CAIRN_ADMIN_KEY that cannot be an API key.
var ErrBadAdminKey = errors.New("CAIRN_ADMIN_KEY must be 40 letters and digits")

// CheckFirstStart checks the settings that only a new instance reads: the
// organisation, and the administrator's e-mail and key ("" lets Bootstrap
// make one). A command that may create an instance checks them before it
// creates anything, and Bootstrap checks them again; an instance that has
// its administrator ignores them, so a stale value in the environment
// cannot stop it.
func (c Config) CheckFirstStart() error {
	if c.AdminKey != "" && !auth.ValidKey(c.AdminKey) {
		return ErrBadAdminKey
	}
	for _, v := range []struct{ name, text string }{{"--org", c.OrgName}, {"--admin-email", c.AdminEmail}} {
		if fault := misp.TextFault(v.text); fault != "" {
			return fmt.Errorf("%s %s", v.name, fault)
		}
	}
	return nil
}
