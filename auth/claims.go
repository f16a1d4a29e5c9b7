package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Claims are the ID token claims this client reads, after verification.
type Claims struct {
	Issuer            string    `json:"iss"`
	Subject           string    `json:"sub"`
	Audience          []string  `json:"aud"`
	AuthorizedParty   string    `json:"azp,omitempty"`
	TenantID          string    `json:"tid"`
	ObjectID          string    `json:"oid"`
	PreferredUsername string    `json:"preferred_username"`
	Name              string    `json:"name"`
	Nonce             string    `json:"nonce,omitempty"`
	Version           string    `json:"ver"`
	IssuedAt          time.Time `json:"iat"`
	NotBefore         time.Time `json:"nbf"`
	Expiry            time.Time `json:"exp"`
}

// Identity is who signed in: (TenantID, ObjectID) is the key, UPN and Name are for display.
type Identity struct {
	UPN      string `json:"upn"`
	Name     string `json:"name"`
	TenantID string `json:"tid"`
	ObjectID string `json:"oid"`
}

// Identity returns the signed-in user named by the claims.
func (c *Claims) Identity() Identity {
	return Identity{UPN: c.PreferredUsername, Name: c.Name, TenantID: c.TenantID, ObjectID: c.ObjectID}
}

// jwtHeader is the part of a JOSE header checked before the signature.
type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

// parseJWTHeader decodes the header of a compact JWT without trusting anything in it.
func parseJWTHeader(raw string) (jwtHeader, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return jwtHeader{}, fmt.Errorf("a compact JWT has 3 parts, this has %d", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return jwtHeader{}, errors.New("the header is not base64url")
	}
	var h jwtHeader
	if err := json.Unmarshal(b, &h); err != nil {
		return jwtHeader{}, errors.New("the header is not a JSON object")
	}
	return h, nil
}

// parseClaims decodes a verified JWT payload into Claims; numeric dates may be fractional.
func parseClaims(payload []byte) (*Claims, error) {
	var raw struct {
		Iss               string      `json:"iss"`
		Sub               string      `json:"sub"`
		Aud               audience    `json:"aud"`
		Azp               string      `json:"azp"`
		Tid               string      `json:"tid"`
		Oid               string      `json:"oid"`
		PreferredUsername string      `json:"preferred_username"`
		Name              string      `json:"name"`
		Nonce             string      `json:"nonce"`
		Ver               string      `json:"ver"`
		Iat               numericDate `json:"iat"`
		Nbf               numericDate `json:"nbf"`
		Exp               numericDate `json:"exp"`
	}
	if err := json.Unmarshal(payload, &raw); err != nil {
		return nil, fmt.Errorf("the claims are not the expected JSON: %w", err)
	}
	return &Claims{
		Issuer:            raw.Iss,
		Subject:           raw.Sub,
		Audience:          []string(raw.Aud),
		AuthorizedParty:   raw.Azp,
		TenantID:          raw.Tid,
		ObjectID:          raw.Oid,
		PreferredUsername: raw.PreferredUsername,
		Name:              raw.Name,
		Nonce:             raw.Nonce,
		Version:           raw.Ver,
		IssuedAt:          time.Time(raw.Iat),
		NotBefore:         time.Time(raw.Nbf),
		Expiry:            time.Time(raw.Exp),
	}, nil
}

// audience accepts aud as one string or an array of strings (RFC 7519 §4.1.3).
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("aud is neither a string nor an array of strings")
	}
	*a = many
	return nil
}

// numericDate is a JWT NumericDate: seconds since the epoch, possibly fractional.
type numericDate time.Time

func (d *numericDate) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return errors.New("a date claim is not a number")
	}
	// Beyond year 9999 or before 1970 is no real token and would overflow time arithmetic.
	if math.IsNaN(f) || f < 0 || f > 253402300799 {
		return errors.New("a date claim is out of range")
	}
	sec, frac := math.Modf(f)
	*d = numericDate(time.Unix(int64(sec), int64(frac*1e9)).UTC())
	return nil
}
