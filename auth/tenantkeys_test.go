package auth_test

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io/fs"
	"net/http"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/fixtures"
)

const fabrikamID = "164b2b49-eae9-4235-a4e0-74a9aef2fa00"

// TestMultiTenantVerifierRefusesAKeyOfAnotherTenant holds the verifier under organizations and
// common to the token's own tenant's keys: both demo tenants' keys are in the authority's key
// set, and a token claiming Contoso signed with Fabrikam's key must still be refused.
func TestMultiTenantVerifierRefusesAKeyOfAnotherTenant(t *testing.T) {
	s := newSim(t)
	contosoKey, contosoKid := demoSigningKey(t, s, contosoID, "keys/contoso-1.pem")
	fabrikamKey, fabrikamKid := demoSigningKey(t, s, fabrikamID, "keys/fabrikam-1.pem")
	for _, seg := range []string{"organizations", "common"} {
		c, err := auth.New(context.Background(), auth.Config{Authority: s.url + "/" + seg, ClientID: contosoClient, Clock: s.clock})
		if err != nil {
			t.Fatal(err)
		}
		t.Run(seg+" accepts a Contoso token signed with Contoso's key", func(t *testing.T) {
			if _, err := c.VerifyIDToken(context.Background(), forgeIDToken(t, s, contosoKey, contosoKid, contosoID), ""); err != nil {
				t.Fatalf("refused: %v", err)
			}
		})
		t.Run(seg+" refuses a Contoso token signed with Fabrikam's key", func(t *testing.T) {
			_, err := c.VerifyIDToken(context.Background(), forgeIDToken(t, s, fabrikamKey, fabrikamKid, contosoID), "")
			var ve *auth.VerifyError
			if !errors.As(err, &ve) || ve.Check != auth.CheckKeyTenant {
				t.Fatalf("err = %v, want the %s check", err, auth.CheckKeyTenant)
			}
		})
		t.Run(seg+" accepts a Fabrikam token signed with Fabrikam's key", func(t *testing.T) {
			if _, err := c.VerifyIDToken(context.Background(), forgeIDToken(t, s, fabrikamKey, fabrikamKid, fabrikamID), ""); err != nil {
				t.Fatalf("refused: %v", err)
			}
		})
	}
}

// demoSigningKey loads a demo tenant's PEM key and finds the kid its tenant publishes it under.
func demoSigningKey(t *testing.T, s *sim, tid, file string) (*rsa.PrivateKey, string) {
	t.Helper()
	raw, err := fs.ReadFile(fixtures.Demo(), file)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		t.Fatalf("%s is not PEM", file)
	}
	var key *rsa.PrivateKey
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		key, _ = k.(*rsa.PrivateKey)
	} else if key, err = x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	resp, err := http.Get(s.url + "/" + tid + "/discovery/v2.0/keys")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	for _, k := range set.Keys {
		if pub, ok := k.Key.(*rsa.PublicKey); ok && pub.Equal(&key.PublicKey) {
			return key, k.KeyID
		}
	}
	t.Fatalf("tenant %s does not publish the key in %s", tid, file)
	return nil, ""
}

// forgeIDToken signs a v2.0 ID token for the demo client claiming tid, with key under kid.
func forgeIDToken(t *testing.T, s *sim, key *rsa.PrivateKey, kid, tid string) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	now := s.clock.Now()
	claims, _ := json.Marshal(map[string]any{
		"aud": contosoClient, "iss": s.url + "/" + tid + "/v2.0", "tid": tid, "oid": adeleOID,
		"sub": "forged-subject", "ver": "2.0", "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	jws, err := signer.Sign(claims)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}
