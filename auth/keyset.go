package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/go-jose/go-jose/v4"
)

// keySet is the issuer's published signing keys, fetched again when a token names a key the
// cached set lacks (rotation without notice, as Entra does). It replaces go-oidc's
// RemoteKeySet, which signals a finished fetch before clearing it, so a verification right
// after one can be answered with the keys from before a rotation.
type keySet struct {
	url  string
	http *http.Client

	mu   sync.Mutex // held across a fetch: concurrent verifications wait for one fetch
	keys map[string]jose.JSONWebKey
}

func newKeySet(hc *http.Client, url string) *keySet {
	return &keySet{url: url, http: hc}
}

// VerifySignature implements oidc.KeySet: RS256 only, by kid, refetching once on an unknown kid.
func (k *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	jws, err := jose.ParseSigned(jwt, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, fmt.Errorf("malformed JWS: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("a token must carry exactly one signature")
	}
	kid := jws.Signatures[0].Header.KeyID
	key, ok, err := k.lookup(ctx, kid)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("no published key has kid %q", kid)
	}
	return jws.Verify(&key)
}

func (k *keySet) lookup(ctx context.Context, kid string) (jose.JSONWebKey, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if key, ok := k.keys[kid]; ok {
		return key, true, nil
	}
	if err := k.fetch(ctx); err != nil {
		return jose.JSONWebKey{}, false, err
	}
	key, ok := k.keys[kid]
	return key, ok, nil
}

// fetch replaces the cached keys with the published ones; callers hold k.mu.
func (k *keySet) fetch(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return err
	}
	status, _, body, err := do(k.http, req)
	if err != nil {
		return fmt.Errorf("fetching the signing keys from %s: %w", k.url, err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("fetching the signing keys from %s: HTTP %d", k.url, status)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return fmt.Errorf("the key set from %s is not a JWKS: %w", k.url, err)
	}
	keys := make(map[string]jose.JSONWebKey, len(set.Keys))
	for _, key := range set.Keys {
		if key.Use != "" && key.Use != "sig" {
			continue
		}
		if key.KeyID != "" && key.Valid() && key.IsPublic() {
			keys[key.KeyID] = key
		}
	}
	k.keys = keys
	return nil
}
