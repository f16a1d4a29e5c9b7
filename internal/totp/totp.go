// Package totp is RFC 6238's time-based one-time password as authenticator apps use it (SHA-1,
// six digits, 30-second steps): the simulated tenant checks codes with it and a replay's person
// reads their phone with it. It holds no secret and logs nothing.
package totp

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Step and Digits are the parameters authenticator apps use.
const (
	Step   = 30 * time.Second
	Digits = 6
)

// Decode reads a base32 secret as authenticator apps take it: any case, spaces and dashes
// ignored, padding optional, 16 to 128 characters (at least 80 bits).
func Decode(secret string) ([]byte, error) {
	s := strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(secret))
	s = strings.TrimRight(s, "=")
	if len(s) < 16 || len(s) > 128 {
		return nil, errors.New("is not 16 to 128 base32 characters (80 bits at least)")
	}
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil {
		return nil, errors.New("is not base32 (letters A-Z and digits 2-7)")
	}
	return key, nil
}

// HOTP is RFC 4226's HOTP with SHA-1: the truncated HMAC of counter, digits long.
func HOTP(key []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, v%mod)
}

// At is RFC 6238's TOTP of key at t (T0 = 0, 30-second steps, SHA-1), digits long.
func At(key []byte, t time.Time, digits int) string {
	return HOTP(key, uint64(t.Unix()/int64(Step/time.Second)), digits)
}

// Code is the six-digit code an authenticator app shows at t for the base32 secret.
func Code(secret string, t time.Time) (string, error) {
	key, err := Decode(secret)
	if err != nil {
		return "", fmt.Errorf("the authenticator secret %w", err)
	}
	return At(key, t, Digits), nil
}

// Matches reports whether code is the secret's code at now or within skew steps of it, in
// constant time.
func Matches(secret, code string, now time.Time, skew int) bool {
	key, err := Decode(secret)
	if err != nil || len(code) != Digits {
		return false
	}
	ok := 0
	for d := -skew; d <= skew; d++ {
		ok |= subtle.ConstantTimeCompare([]byte(At(key, now.Add(time.Duration(d)*Step), Digits)), []byte(code))
	}
	return ok == 1
}
