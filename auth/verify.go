package auth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// The checks VerifyIDToken makes; VerifyError.Check names the one that failed.
const (
	CheckMalformed       = "malformed" // not a compact JWS with a JSON header and claims
	CheckAlgorithm       = "alg"       // anything but RS256, including none and HS256
	CheckKeys            = "jwks"      // the issuer's signing keys could not be fetched
	CheckUnknownKey      = "kid"       // signed by a key the issuer does not publish
	CheckSignature       = "signature" // the signature does not match the header and claims
	CheckIssuer          = "iss"       // issued by another issuer
	CheckAudience        = "aud"       // issued to another client
	CheckExpiry          = "exp"       // expired (no leeway: exp == now is expired)
	CheckNotBefore       = "nbf"       // not valid yet, beyond go-oidc's 5 minutes of skew
	CheckIssuedAt        = "iat"       // missing, or issued more than MaxClockSkew in the future
	CheckNonce           = "nonce"     // missing or different from the one this sign-in sent
	CheckTenant          = "tid"       // not the configured tenant, or not a tenant GUID
	CheckIssuerTenant    = "iss-tid"   // the tenant in the issuer is not the token's tid
	CheckVersion         = "ver"       // not a v2.0 token
	CheckObjectID        = "oid"       // the user's object id is not a GUID
	CheckSubject         = "sub"       // no subject
	CheckAuthorizedParty = "azp"       // several audiences without azp, or azp not this client
	// CheckKeyTenant (tenantkeys.go): under common or organizations, the key is not one the
	// token's tenant publishes.
)

// MaxClockSkew is how far in the future iat may be: the same 5 minutes go-oidc allows for nbf and
// Microsoft's own token validation library allows by default.
const MaxClockSkew = 5 * time.Minute

// goOIDCNotBeforeLeeway is the skew go-oidc v3 allows on nbf; explain mirrors it to name the check.
const goOIDCNotBeforeLeeway = 5 * time.Minute

// VerifyError says which check refused an ID token.
type VerifyError struct {
	Check string // one of the Check* constants
	Err   error  // details; never contains the token
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("ID token refused by the %s check: %v", e.Check, e.Err)
}

func (e *VerifyError) Unwrap() error { return e.Err }

func refuse(check string, format string, args ...any) *VerifyError {
	return &VerifyError{Check: check, Err: fmt.Errorf(format, args...)}
}

// sigTrace records what go-oidc's key set saw during one Verify call, so that a failure can be
// named precisely without reading go-oidc's error strings.
type sigTrace struct {
	called  bool
	err     error
	payload []byte
}

type sigTraceKey struct{}

// tracingKeySet wraps go-oidc's RemoteKeySet (cache, refetch on an unknown kid) and records the outcome.
type tracingKeySet struct{ keys oidc.KeySet }

func (t tracingKeySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := t.keys.VerifySignature(ctx, jwt)
	if tr, ok := ctx.Value(sigTraceKey{}).(*sigTrace); ok {
		tr.called, tr.err, tr.payload = true, err, payload
	}
	return payload, err
}

// newVerifier pins go-oidc to RS256, the client id and the injected clock. For common and
// organizations the issuer is a template go-oidc cannot match, so VerifyIDToken checks it instead.
func (c *Client) newVerifier() *oidc.IDTokenVerifier {
	keys := newKeySet(c.http, c.disc.JWKSURI)
	cfg := &oidc.Config{
		ClientID:             c.clientID,
		SupportedSigningAlgs: []string{oidc.RS256},
		Now:                  c.clock.Now,
		SkipIssuerCheck:      c.authority.multiTenant(),
	}
	return oidc.NewVerifier(c.disc.Issuer, tracingKeySet{keys: keys}, cfg)
}

// VerifyIDToken verifies raw with go-oidc and then makes the checks go-oidc leaves to the app.
// nonce is the value this sign-in sent, or "" when the flow sent none (device code, refresh).
// Every refusal is a *VerifyError naming the check.
func (c *Client) VerifyIDToken(ctx context.Context, raw, nonce string) (*Claims, error) {
	hdr, err := parseJWTHeader(raw)
	if err != nil {
		return nil, &VerifyError{Check: CheckMalformed, Err: err}
	}
	// go-oidc refuses these too, but only with a generic message; naming the check helps.
	if hdr.Alg != oidc.RS256 {
		return nil, refuse(CheckAlgorithm, "signed with %q; only RS256 is accepted", sanitizeCode(hdr.Alg))
	}
	tr := &sigTrace{}
	if _, err := c.verifier.Verify(context.WithValue(ctx, sigTraceKey{}, tr), raw); err != nil {
		return nil, c.explain(ctx, err, tr, hdr)
	}
	claims, err := parseClaims(tr.payload)
	if err != nil {
		return nil, &VerifyError{Check: CheckMalformed, Err: err}
	}
	if err := c.checkClaims(claims, nonce); err != nil {
		return nil, err
	}
	if err := c.checkKeyTenant(ctx, raw, claims); err != nil {
		return nil, err
	}
	return claims, nil
}

// explain names the check behind a go-oidc failure. go-oidc checks, in order: parse and alg,
// signature, iss, aud, exp, nbf; the trace tells how far it got.
func (c *Client) explain(ctx context.Context, err error, tr *sigTrace, hdr jwtHeader) *VerifyError {
	var expired *oidc.TokenExpiredError
	switch {
	case errors.As(err, &expired):
		return refuse(CheckExpiry, "expired at %s", expired.Expiry.UTC().Format(time.RFC3339))
	case !tr.called:
		return &VerifyError{Check: CheckMalformed, Err: err}
	case tr.err != nil:
		kids, ferr := c.publishedKeyIDs(ctx)
		switch {
		case ferr != nil:
			return &VerifyError{Check: CheckKeys, Err: ferr}
		case hdr.Kid != "" && !slices.Contains(kids, hdr.Kid):
			return refuse(CheckUnknownKey, "key %q is not among the issuer's published keys, even after a refetch", sanitizeCode(hdr.Kid))
		}
		return refuse(CheckSignature, "the signature does not match the token (tampered or signed by another key)")
	}
	// The signature held, so the payload is the issuer's and can be read to name the claim.
	claims, perr := parseClaims(tr.payload)
	if perr != nil {
		return &VerifyError{Check: CheckMalformed, Err: perr}
	}
	switch {
	case !c.authority.multiTenant() && claims.Issuer != c.disc.Issuer:
		return refuse(CheckIssuer, "issued by %q, want %q", claims.Issuer, c.disc.Issuer)
	case !slices.Contains(claims.Audience, c.clientID):
		return refuse(CheckAudience, "issued to %q, not this client %q", claims.Audience, c.clientID)
	case !claims.NotBefore.IsZero() && c.clock.Now().Add(goOIDCNotBeforeLeeway).Before(claims.NotBefore):
		return refuse(CheckNotBefore, "not valid before %s", claims.NotBefore.Format(time.RFC3339))
	}
	return &VerifyError{Check: CheckMalformed, Err: err}
}

// checkClaims makes the checks go-oidc does not: exp at zero leeway, the issuer template, tid,
// ver, oid, sub, iat, azp and nonce.
func (c *Client) checkClaims(cl *Claims, nonce string) error {
	now := c.clock.Now()
	// go-oidc lets a token through at exactly exp; RFC 7519 says it must be refused.
	if !now.Before(cl.Expiry) {
		return refuse(CheckExpiry, "expired at %s", cl.Expiry.Format(time.RFC3339))
	}
	if !isGUID(cl.TenantID) {
		return refuse(CheckTenant, "tid %q is not a tenant GUID", cl.TenantID)
	}
	if c.authority.multiTenant() {
		if want := strings.Replace(c.disc.Issuer, "{tenantid}", cl.TenantID, 1); cl.Issuer != want {
			return refuse(CheckIssuerTenant, "issuer %q does not match the template for tenant %s", cl.Issuer, cl.TenantID)
		}
		if c.authority.tenant == tenantOrganizations && sameGUID(cl.TenantID, consumersTenant) {
			return refuse(CheckTenant, "a personal Microsoft account signed in; the organizations authority takes work accounts only")
		}
	} else if !sameGUID(cl.TenantID, c.authority.tenant) {
		return refuse(CheckTenant, "issued for tenant %s, not the configured tenant %s", cl.TenantID, c.authority.tenant)
	}
	if t := issuerTenant(cl.Issuer); !sameGUID(t, cl.TenantID) {
		return refuse(CheckIssuerTenant, "issuer names tenant %q but tid is %s", t, cl.TenantID)
	}
	if cl.Version != "2.0" {
		return refuse(CheckVersion, "ver %q; only v2.0 tokens are accepted", cl.Version)
	}
	if !isGUID(cl.ObjectID) {
		return refuse(CheckObjectID, "oid %q is not a GUID", cl.ObjectID)
	}
	if cl.Subject == "" {
		return refuse(CheckSubject, "no sub claim")
	}
	if cl.IssuedAt.IsZero() {
		return refuse(CheckIssuedAt, "no iat claim")
	}
	if cl.IssuedAt.After(now.Add(MaxClockSkew)) {
		return refuse(CheckIssuedAt, "issued at %s, more than %s in the future", cl.IssuedAt.Format(time.RFC3339), MaxClockSkew)
	}
	if len(cl.Audience) > 1 && cl.AuthorizedParty == "" {
		return refuse(CheckAuthorizedParty, "several audiences %q and no azp", cl.Audience)
	}
	if cl.AuthorizedParty != "" && cl.AuthorizedParty != c.clientID {
		return refuse(CheckAuthorizedParty, "azp %q is not this client %q", cl.AuthorizedParty, c.clientID)
	}
	if nonce != "" {
		if cl.Nonce == "" {
			return refuse(CheckNonce, "the token has no nonce but this sign-in sent one")
		}
		if subtle.ConstantTimeCompare([]byte(cl.Nonce), []byte(nonce)) != 1 {
			return refuse(CheckNonce, "the nonce is not the one this sign-in sent (a replayed or injected token)")
		}
	}
	return nil
}

// issuerTenant returns the tenant segment of an Entra issuer: scheme://host/<tenant>/v2.0.
func issuerTenant(iss string) string {
	rest := iss
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || parts[2] != "v2.0" {
		return ""
	}
	return parts[1]
}

// publishedKeyIDs fetches the issuer's key ids, only to tell an unknown key from a bad signature.
func (c *Client) publishedKeyIDs(ctx context.Context) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.disc.JWKSURI, nil)
	if err != nil {
		return nil, fmt.Errorf("building the key request: %w", err)
	}
	status, _, body, err := do(c.http, req)
	if err != nil {
		return nil, fmt.Errorf("fetching the signing keys from %s: %w", c.disc.JWKSURI, err)
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("fetching the signing keys from %s: HTTP %d", c.disc.JWKSURI, status)
	}
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("the key set from %s is not JSON: %w", c.disc.JWKSURI, err)
	}
	kids := make([]string, 0, len(set.Keys))
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return kids, nil
}
