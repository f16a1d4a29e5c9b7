package tenant

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// Graph's access tokens are Entra's v1.0 tokens: issuer https://sts.windows.net/{tid}/, and a
// nonce in the header that the signature does not cover as sent. The signature is over the
// header with the nonce's SHA-256 in its place, so a client that validates a Graph token the
// ordinary way fails, as it does with Entra's; clients must treat them as opaque (domain.md
// §7.5). Only the simulated Graph, which knows the trick, verifies them.

// graphTokenIssuer is the v1.0 issuer of a tenant's Graph tokens; it names Entra's STS, not
// the simulator's URL, as Entra's do.
func graphTokenIssuer(tid string) string { return "https://sts.windows.net/" + tid + "/" }

// graphTokenHeader is a Graph token's JOSE header, fields in Entra's order.
type graphTokenHeader struct {
	Typ   string `json:"typ"`
	Nonce string `json:"nonce"`
	Alg   string `json:"alg"`
	X5t   string `json:"x5t"`
	Kid   string `json:"kid"`
}

// graphTokenClaims are the claims of a v1.0 Graph access token, in Entra's order. A user's token
// has the user's claims and scp; an app's own token (client credentials) has idp and roles instead.
type graphTokenClaims struct {
	Aud               string   `json:"aud"`
	Iss               string   `json:"iss"`
	Iat               int64    `json:"iat"`
	Nbf               int64    `json:"nbf"`
	Exp               int64    `json:"exp"`
	Acct              *int     `json:"acct,omitempty"`
	Acr               string   `json:"acr,omitempty"`
	Amr               []string `json:"amr,omitempty"`
	AppDisplayName    string   `json:"app_displayname"`
	Appid             string   `json:"appid"`
	Appidacr          string   `json:"appidacr"`
	FamilyName        string   `json:"family_name,omitempty"`
	GivenName         string   `json:"given_name,omitempty"`
	Idp               string   `json:"idp,omitempty"`
	Idtyp             string   `json:"idtyp"`
	Name              string   `json:"name,omitempty"`
	Oid               string   `json:"oid"`
	Roles             []string `json:"roles,omitempty"`
	Scp               string   `json:"scp,omitempty"`
	Sub               string   `json:"sub"`
	TenantRegionScope string   `json:"tenant_region_scope"`
	Tid               string   `json:"tid"`
	UniqueName        string   `json:"unique_name,omitempty"`
	Upn               string   `json:"upn,omitempty"`
	Uti               string   `json:"uti"`
	Ver               string   `json:"ver"`
	Wids              []string `json:"wids,omitempty"`
}

// hashedNonce is what the signature covers in the nonce's place.
func hashedNonce(nonce string) string {
	sum := sha256.Sum256([]byte(nonce))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// encodeHeader is the base64url JSON of h, exactly as signGraph writes it.
func (h graphTokenHeader) encode() (string, error) {
	b, err := json.Marshal(h)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// signGraph returns a Graph access token: claims signed by k with nonce in the header.
func (k *signingKey) signGraph(claims graphTokenClaims, nonce string) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encoding token claims: %w", err)
	}
	h := graphTokenHeader{Typ: "JWT", Nonce: nonce, Alg: "RS256", X5t: k.kid, Kid: k.kid}
	sent, err := h.encode()
	if err != nil {
		return "", err
	}
	h.Nonce = hashedNonce(nonce)
	covered, err := h.encode()
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	body := enc.EncodeToString(payload)
	digest := sha256.Sum256([]byte(covered + "." + body))
	sig, err := rsa.SignPKCS1v15(nil, k.priv, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("signing the token: %w", err)
	}
	return sent + "." + body + "." + enc.EncodeToString(sig), nil
}

// parsedGraphToken is a Graph token split into its parts, its signature not yet checked.
type parsedGraphToken struct {
	header  graphTokenHeader
	covered string // what the signature covers: the header with the hashed nonce, and the payload
	payload []byte
	sig     []byte
}

// parseGraphToken splits a compact token and reads its header; it does not verify anything.
// The message says what is wrong, for Graph's 401.
func parseGraphToken(tok string) (*parsedGraphToken, string) {
	const malformed = "Access token validation failure: the token is not a well-formed RS256-signed JWT."
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, malformed
	}
	enc := base64.RawURLEncoding
	rawHeader, err := enc.DecodeString(parts[0])
	if err != nil {
		return nil, malformed
	}
	var h graphTokenHeader
	if err := json.Unmarshal(rawHeader, &h); err != nil || h.Alg != "RS256" {
		return nil, malformed
	}
	if h.Kid == "" {
		return nil, "Access token validation failure: the token header names no signing key (kid)."
	}
	if h.Nonce == "" {
		return nil, "Access token validation failure: the token is not a Microsoft Graph access token (its header has no nonce)."
	}
	payload, err := enc.DecodeString(parts[1])
	if err != nil {
		return nil, malformed
	}
	sig, err := enc.DecodeString(parts[2])
	if err != nil || len(sig) == 0 {
		return nil, malformed
	}
	h2 := h
	h2.Nonce = hashedNonce(h.Nonce)
	covered, err := h2.encode()
	if err != nil {
		return nil, malformed
	}
	return &parsedGraphToken{header: h, covered: covered + "." + parts[1], payload: payload, sig: sig}, ""
}

// verify checks the signature with the public key.
func (p *parsedGraphToken) verify(pub *rsa.PublicKey) bool {
	digest := sha256.Sum256([]byte(p.covered))
	return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], p.sig) == nil
}
