package tenant

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Certificate validity is fixed, not taken from a clock, so the same PEM key always yields the same
// certificate bytes and therefore the same x5t, kid and JWKS.
var (
	certNotBefore = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	certNotAfter  = time.Date(2049, 12, 31, 23, 59, 59, 0, time.UTC)
)

// certSubject says plainly that the certificate belongs to the simulator, unlike Entra's accounts.accesscontrol.windows.net.
const certSubject = "oobe simulated Entra ID signing key"

// signingKey is one published RSA key with its self-signed certificate, the protected header
// its tokens carry, and its JWKS entry's encoded parts.
type signingKey struct {
	priv    *rsa.PrivateKey
	kid     string // equals x5t, as in Entra's JWKS
	certDER []byte
	// header is the base64url protected header, as go-jose writes it for an RS256 JWT with
	// this kid; sign puts it before every payload.
	header string
	// n, e and x5c are the JWKS entry's values, encoded once.
	n, e, x5c string
}

// newSigningKey wraps priv with a deterministic self-signed certificate and the RS256 header
// its tokens carry.
func newSigningKey(priv *rsa.PrivateKey) (*signingKey, error) {
	if priv.N.BitLen() < minKeyBits {
		return nil, fmt.Errorf("signing key has %d bits, want at least %d", priv.N.BitLen(), minKeyBits)
	}
	spki, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("encoding signing key: %w", err)
	}
	sum := sha256.Sum256(spki)
	serial := new(big.Int).SetBytes(sum[:16])
	serial.SetBit(serial, 127, 0) // a positive serial of at most 16 bytes, as RFC 5280 asks
	if serial.Sign() == 0 {
		serial.SetInt64(1)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: certSubject},
		NotBefore:             certNotBefore,
		NotAfter:              certNotAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		SignatureAlgorithm:    x509.SHA256WithRSA,
		SubjectKeyId:          sum[:20],
	}
	// PKCS#1 v1.5 signatures are deterministic, so the reader is never used for randomness here.
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		return nil, fmt.Errorf("making the signing certificate: %w", err)
	}
	thumb := sha1.Sum(der)
	kid := base64.RawURLEncoding.EncodeToString(thumb[:])
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: priv, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return nil, fmt.Errorf("making the RS256 signer: %w", err)
	}
	// The header is taken from a token go-jose signs, so sign's tokens are byte for byte the
	// ones go-jose would make (PKCS#1 v1.5 signatures are deterministic).
	obj, err := signer.Sign([]byte("{}"))
	if err != nil {
		return nil, fmt.Errorf("making the RS256 signer: %w", err)
	}
	compact, err := obj.CompactSerialize()
	if err != nil {
		return nil, fmt.Errorf("making the RS256 signer: %w", err)
	}
	header, _, _ := strings.Cut(compact, ".")
	return &signingKey{priv: priv, kid: kid, certDER: der, header: header,
		n:   base64.RawURLEncoding.EncodeToString(priv.N.Bytes()),
		e:   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(priv.E)).Bytes()),
		x5c: base64.StdEncoding.EncodeToString(der)}, nil
}

// maxCachedKeys bounds the certificate cache; past it the cache starts afresh.
const maxCachedKeys = 256

// keyCache keeps the signing key made for each private key a server was given, by the SHA-256 of
// its public key: making a key's certificate costs an RSA signature and its check (about 1 ms),
// which would otherwise be paid again by every server that publishes the same fixture or shared
// key. The certificate is deterministic, so a cached one is byte for byte the one New would make;
// a signingKey is never changed, so servers share it.
var keyCache struct {
	mu    sync.Mutex
	keys  map[[sha256.Size]byte]*signingKey
	byPtr map[*rsa.PrivateKey]*signingKey // the same keys by the address they were given at
}

// cachedSigningKey returns the signing key for priv, made once per key.
func cachedSigningKey(priv *rsa.PrivateKey) (*signingKey, error) {
	if priv == nil || priv.N == nil {
		return nil, errors.New("signing key is nil")
	}
	// The same *rsa.PrivateKey as last time (Config.Keys shared by many servers) is found by
	// its address, without encoding and comparing the key.
	keyCache.mu.Lock()
	k := keyCache.byPtr[priv]
	keyCache.mu.Unlock()
	if k != nil {
		return k, nil
	}
	spki, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("encoding signing key: %w", err)
	}
	id := sha256.Sum256(spki)
	keyCache.mu.Lock()
	k = keyCache.keys[id]
	keyCache.mu.Unlock()
	if k == nil || !k.priv.Equal(priv) {
		if k, err = newSigningKey(priv); err != nil {
			return nil, err
		}
	}
	keyCache.mu.Lock()
	if keyCache.keys == nil || len(keyCache.keys) >= maxCachedKeys {
		keyCache.keys = map[[sha256.Size]byte]*signingKey{}
	}
	if keyCache.byPtr == nil || len(keyCache.byPtr) >= maxCachedKeys {
		keyCache.byPtr = map[*rsa.PrivateKey]*signingKey{}
	}
	keyCache.keys[id] = k
	keyCache.byPtr[priv] = k
	keyCache.mu.Unlock()
	return k, nil
}

// checkSharedKeys checks Config.Keys: none, or at least two usable RSA keys.
func checkSharedKeys(keys []*rsa.PrivateKey) error {
	if len(keys) == 1 {
		return errors.New("Config.Keys has one key: give at least two (Entra always publishes several), or none to have keys generated per tenant")
	}
	for i, k := range keys {
		if k == nil || k.N == nil {
			return fmt.Errorf("Config.Keys[%d] is nil", i)
		}
		if k.N.BitLen() < minKeyBits {
			return fmt.Errorf("Config.Keys[%d] has %d bits, want at least %d", i, k.N.BitLen(), minKeyBits)
		}
	}
	return nil
}

// sign serialises claims as JSON and returns the compact RS256 JWS: the header, the payload
// and the PKCS#1 v1.5 signature of the two, as go-jose makes it, built in one buffer.
func (k *signingKey) sign(claims any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encoding token claims: %w", err)
	}
	enc := base64.RawURLEncoding
	sigLen := enc.EncodedLen(k.priv.Size())
	buf := make([]byte, 0, len(k.header)+1+enc.EncodedLen(len(payload))+1+sigLen)
	buf = append(buf, k.header...)
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, payload)
	digest := sha256.Sum256(buf)
	sig, err := rsa.SignPKCS1v15(rand.Reader, k.priv, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("signing the token: %w", err)
	}
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, sig)
	return string(buf), nil
}

// keySet is a tenant's published keys in publication order; the first one signs.
type keySet struct {
	mu   sync.RWMutex
	keys []*signingKey
}

func newKeySet(privs []*rsa.PrivateKey) (*keySet, error) {
	ks := &keySet{}
	for _, p := range privs {
		k, err := cachedSigningKey(p)
		if err != nil {
			return nil, err
		}
		ks.keys = append(ks.keys, k)
	}
	return ks, nil
}

// signer returns the key that signs new tokens.
func (ks *keySet) signer() *signingKey {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	return ks.keys[0]
}

// published returns a copy of the published keys.
func (ks *keySet) published() []*signingKey {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	return append([]*signingKey(nil), ks.keys...)
}

// byKid finds a published key; tokens signed by a dropped key stop verifying, as after an Entra rotation.
func (ks *keySet) byKid(kid string) *signingKey {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	for _, k := range ks.keys {
		if k.kid == kid {
			return k
		}
	}
	return nil
}

// rotate publishes k first (it signs from now on) and drops the oldest key, keeping at least two.
func (ks *keySet) rotate(k *signingKey) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	keep := ks.keys
	if len(keep) >= 2 {
		keep = keep[:len(keep)-1]
	}
	ks.keys = append([]*signingKey{k}, keep...)
}

// jwk is one entry of Entra's JWKS, fields in Entra's order.
type jwk struct {
	Kty               string   `json:"kty"`
	Use               string   `json:"use"`
	Kid               string   `json:"kid"`
	X5t               string   `json:"x5t"`
	N                 string   `json:"n"`
	E                 string   `json:"e"`
	X5c               []string `json:"x5c"`
	CloudInstanceName string   `json:"cloud_instance_name"`
	Issuer            string   `json:"issuer"`
}

// jwks is the body of /discovery/v2.0/keys.
type jwks struct {
	Keys []jwk `json:"keys"`
}

func (k *signingKey) jwk(issuer, cloudInstance string) jwk {
	return jwk{
		Kty:               "RSA",
		Use:               "sig",
		Kid:               k.kid,
		X5t:               k.kid,
		N:                 k.n,
		E:                 k.e,
		X5c:               []string{k.x5c},
		CloudInstanceName: cloudInstance,
		Issuer:            issuer,
	}
}

// handleKeys serves the JWKS of one tenant, or of every tenant under /common and /organizations.
// There, as in Entra's common keys, each entry's issuer is the literal template
// "{base}/{tenantid}/v2.0": a client substitutes the token's tid before comparing.
func (s *Server) handleKeys(w http.ResponseWriter, r *http.Request) {
	seg := r.PathValue("tenant")
	var set jwks
	add := func(ts *tenantState, issuer string) {
		for _, k := range ts.keys.published() {
			set.Keys = append(set.Keys, k.jwk(issuer, ts.cloud.instance))
		}
	}
	if isMultiTenantSegment(seg) {
		// Tenants sharing keys (Config.Keys) would list the same entry twice: every entry here has
		// the same template issuer, so the first of each kid stands for all.
		template := s.baseURL(r) + "/{tenantid}/v2.0"
		seen := map[string]bool{}
		for _, ts := range s.tenants {
			for _, k := range ts.keys.published() {
				if !seen[k.kid] {
					seen[k.kid] = true
					set.Keys = append(set.Keys, k.jwk(template, ts.cloud.instance))
				}
			}
		}
	} else {
		ts := s.tenantBySegment(seg)
		if ts == nil {
			s.writeEntraError(w, r, errUnknownTenant(seg))
			return
		}
		add(ts, s.issuer(r, ts))
	}
	w.Header().Set("Cache-Control", "max-age=86400, private")
	writeJSON(w, http.StatusOK, set)
}

// RotateKeys makes a freshly generated RSA-2048 key the tenant's signer, published first, and drops
// the tenant's oldest key. Tokens signed by the dropped key stop verifying.
func (s *Server) RotateKeys(tenantID string) error {
	ts := s.tenantBySegment(tenantID)
	if ts == nil {
		return fmt.Errorf("rotating keys: no tenant %q here; use one of the tenant GUIDs the simulator serves", tenantID)
	}
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("rotating keys for tenant %s: generating a key: %w", ts.id, err)
	}
	k, err := newSigningKey(priv)
	if err != nil {
		return fmt.Errorf("rotating keys for tenant %s: %w", ts.id, err)
	}
	ts.keys.rotate(k)
	s.log.Info("signing keys rotated", "tenant", ts.id, "kid", k.kid)
	return nil
}
