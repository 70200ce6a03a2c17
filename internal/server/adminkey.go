package server

import (
	"errors"

	"github.com/cairn-intel/cairn/internal/auth"
)

// ErrBadAdminKey refuses a CAIRN_ADMIN_KEY that cannot be an API key.
var ErrBadAdminKey = errors.New("CAIRN_ADMIN_KEY must be 40 letters and digits")

// CheckAdminKey checks the key chosen for the first administrator; "" lets
// Bootstrap make one. Only a new instance reads the key, so a command that
// may create one checks it before creating anything, and Bootstrap again.
func CheckAdminKey(key string) error {
	if key != "" && !auth.ValidKey(key) {
		return ErrBadAdminKey
	}
	return nil
}
