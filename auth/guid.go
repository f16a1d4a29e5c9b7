package auth

import (
	"strings"

	"github.com/oobe-dev/oobe/internal/guid"
)

// isGUID reports whether s has the 8-4-4-4-12 hex form Entra uses for tenant, object and client IDs.
func isGUID(s string) bool { return guid.Valid(s) }

// sameGUID compares two GUIDs the way Entra does: case does not matter.
func sameGUID(a, b string) bool { return strings.EqualFold(a, b) }
