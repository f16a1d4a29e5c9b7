package auth

import "strings"

// isGUID reports whether s has the 8-4-4-4-12 hex form Entra uses for tenant, object and client IDs.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// sameGUID compares two GUIDs the way Entra does: case does not matter.
func sameGUID(a, b string) bool { return strings.EqualFold(a, b) }
