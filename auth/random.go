package auth

import (
	"crypto/rand"
	"encoding/base64"
)

// randomToken returns 256 bits from crypto/rand, base64url-encoded: used for state and nonce,
// which must be unguessable and used once.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails; it crashes the program instead.
	return base64.RawURLEncoding.EncodeToString(b)
}
