// Package guid is the one place for GUIDs in the 8-4-4-4-12 form Entra uses for tenant, object,
// client and device ids: checking one, and shaping 16 bytes as one. It keeps no state.
package guid

import "encoding/hex"

// Valid reports whether s is a GUID: 36 characters, hex digits in 8-4-4-4-12 groups, any case.
func Valid(s string) bool {
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
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// V4 shapes the first 16 bytes of b as a version-4 GUID in lower case, setting the version and
// variant bits; b must hold at least 16 bytes (random ones, or a hash for a stable id).
func V4(b []byte) string {
	var u [16]byte
	copy(u[:], b[:16])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return format(u)
}

// Stable shapes the first 16 bytes of b, a hash of what the id stands for, as a version-4 GUID
// in lower case whose variant digit is always 8: the form a replayed scenario's device ids have
// always had, so they must keep it. b must hold at least 16 bytes.
func Stable(b []byte) string {
	var u [16]byte
	copy(u[:], b[:16])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x0f | 0x80
	return format(u)
}

// format writes u in the 8-4-4-4-12 form.
func format(u [16]byte) string {
	var out [36]byte // built in place: the simulator makes two for every request
	hex.Encode(out[0:8], u[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], u[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], u[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], u[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], u[10:16])
	return string(out[:])
}
