package auth

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// forge builds an attack token from the issuer's good claims.
type forge func(t *testing.T, ti *testIssuer, claims map[string]any) string

// signed signs the claims with the issuer's current key, after edit.
func signed(edit func(c map[string]any)) forge {
	return func(t *testing.T, ti *testIssuer, claims map[string]any) string {
		edit(claims)
		return signToken(t, ti.signer, claims)
	}
}

func TestVerifyIDTokenRefusesEachAttackWithItsCheck(t *testing.T) {
	const nonce = "nonce-sent-by-this-sign-in"
	cases := []struct {
		name  string
		forge forge
		nonce string
		want  string
	}{
		{"a token with alg none is refused", func(t *testing.T, ti *testIssuer, c map[string]any) string {
			h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
			p, _ := json.Marshal(c)
			return h + "." + base64.RawURLEncoding.EncodeToString(p) + "."
		}, "", CheckAlgorithm},
		{"an HS256 token keyed with the RSA public key is refused", func(t *testing.T, ti *testIssuer, c map[string]any) string {
			der, err := x509.MarshalPKIXPublicKey(&ti.signer.key.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
			p, _ := json.Marshal(c)
			return signPayload(t, jose.SigningKey{Algorithm: jose.HS256, Key: pubPEM}, ti.signer.kid, p)
		}, "", CheckAlgorithm},
		{"a token signed by a key the issuer does not publish is refused", func(t *testing.T, ti *testIssuer, c map[string]any) string {
			return signToken(t, signingKey{kid: "key-unknown", key: rsaKey(t, 2)}, c)
		}, "", CheckUnknownKey},
		{"a token signed by another key under a published kid is refused", func(t *testing.T, ti *testIssuer, c map[string]any) string {
			return signToken(t, signingKey{kid: ti.signer.kid, key: rsaKey(t, 2)}, c)
		}, "", CheckSignature},
		{"a token whose payload was tampered with is refused", func(t *testing.T, ti *testIssuer, c map[string]any) string {
			good := signToken(t, ti.signer, c)
			parts := strings.Split(good, ".")
			c["preferred_username"] = "admin@contoso.com"
			p, _ := json.Marshal(c)
			return parts[0] + "." + base64.RawURLEncoding.EncodeToString(p) + "." + parts[2]
		}, "", CheckSignature},
		{"a token from another issuer is refused", signed(func(c map[string]any) {
			c["iss"] = strings.Replace(c["iss"].(string), testTenant, otherTenant, 1)
		}), "", CheckIssuer},
		{"a token for another client is refused", signed(func(c map[string]any) {
			c["aud"] = "00000003-0000-0000-c000-000000000000"
		}), "", CheckAudience},
		{"a token that expired an hour ago is refused", signed(func(c map[string]any) {
			c["exp"] = t0.Add(-time.Hour).Unix()
		}), "", CheckExpiry},
		{"a token expiring exactly now is refused (zero leeway)", signed(func(c map[string]any) {
			c["exp"] = t0.Unix()
		}), "", CheckExpiry},
		{"a token not valid for six more minutes is refused", signed(func(c map[string]any) {
			c["nbf"] = t0.Add(6 * time.Minute).Unix()
		}), "", CheckNotBefore},
		{"a token issued ten minutes in the future is refused", signed(func(c map[string]any) {
			c["iat"] = t0.Add(10 * time.Minute).Unix()
		}), "", CheckIssuedAt},
		{"a token without iat is refused", signed(func(c map[string]any) {
			delete(c, "iat")
		}), "", CheckIssuedAt},
		{"a token with another nonce is refused", signed(func(c map[string]any) {
			c["nonce"] = "nonce-of-another-sign-in"
		}), nonce, CheckNonce},
		{"a token without the nonce this sign-in sent is refused", signed(func(c map[string]any) {
			delete(c, "nonce")
		}), nonce, CheckNonce},
		{"a token for another tenant under this tenant's issuer is refused", signed(func(c map[string]any) {
			c["tid"] = otherTenant
		}), "", CheckTenant},
		{"a v1.0 token is refused", signed(func(c map[string]any) {
			c["ver"] = "1.0"
		}), "", CheckVersion},
		{"a token whose oid is not a GUID is refused", signed(func(c map[string]any) {
			c["oid"] = "adele"
		}), "", CheckObjectID},
		{"a token without sub is refused", signed(func(c map[string]any) {
			delete(c, "sub")
		}), "", CheckSubject},
		{"a token for two audiences without azp is refused", signed(func(c map[string]any) {
			c["aud"] = []string{testClient, "00000003-0000-0000-c000-000000000000"}
		}), "", CheckAuthorizedParty},
		{"a token whose azp is another client is refused", signed(func(c map[string]any) {
			c["aud"] = []string{testClient, "00000003-0000-0000-c000-000000000000"}
			c["azp"] = "00000003-0000-0000-c000-000000000000"
		}), "", CheckAuthorizedParty},
		{"a token that is not a JWT is refused", func(*testing.T, *testIssuer, map[string]any) string {
			return "not-a-jwt"
		}, "", CheckMalformed},
	}
	ti := newTestIssuer(t)
	c := ti.client(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			claims := ti.claims(nonce)
			raw := tc.forge(t, ti, claims)
			_, err := c.VerifyIDToken(context.Background(), raw, tc.nonce)
			var ve *VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("VerifyIDToken = %v, want a *VerifyError", err)
			}
			if ve.Check != tc.want {
				t.Fatalf("refused by the %q check (%v), want %q", ve.Check, ve, tc.want)
			}
			t.Logf("refused: %v", err)
			if strings.Contains(err.Error(), raw) {
				t.Fatalf("the error quotes the token: %v", err)
			}
		})
	}
}

func TestVerifyIDTokenAcceptsGoodTokens(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(c map[string]any)
		nonce string
	}{
		{"a fresh token without nonce when none was sent", func(map[string]any) {}, ""},
		{"a token with the nonce this sign-in sent", func(c map[string]any) { c["nonce"] = "n-1" }, "n-1"},
		{"a token issued four minutes in the future (within skew)", func(c map[string]any) {
			c["iat"] = t0.Add(4 * time.Minute).Unix()
			c["nbf"] = t0.Add(4 * time.Minute).Unix()
		}, ""},
		{"a token expiring one second from now", func(c map[string]any) { c["exp"] = t0.Add(time.Second).Unix() }, ""},
		{"a token for two audiences whose azp is this client", func(c map[string]any) {
			c["aud"] = []string{testClient, "00000003-0000-0000-c000-000000000000"}
			c["azp"] = testClient
		}, ""},
		{"a token whose tid is spelled in upper case", func(c map[string]any) {
			c["tid"] = strings.ToUpper(testTenant)
		}, ""},
	}
	ti := newTestIssuer(t)
	c := ti.client(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			claims := ti.claims("")
			tc.edit(claims)
			got, err := c.VerifyIDToken(context.Background(), signToken(t, ti.signer, claims), tc.nonce)
			if err != nil {
				t.Fatalf("VerifyIDToken: %v", err)
			}
			if got.ObjectID != testOID || got.PreferredUsername != testUPN || got.Version != "2.0" {
				t.Fatalf("claims = %+v", got)
			}
		})
	}
}

func TestVerifyIDTokenAfterKeyRotationRefetchesKeys(t *testing.T) {
	ti := newTestIssuer(t)
	c := ti.client(t)
	if _, err := c.VerifyIDToken(context.Background(), signToken(t, ti.signer, ti.claims("")), ""); err != nil {
		t.Fatalf("before rotation: %v", err)
	}
	before := ti.fetches()
	// The issuer rotates to a key it has never published; the client's cached set lacks it.
	rotated := signingKey{kid: "key-3", key: rsaKey(t, 2)}
	ti.publish(rotated, ti.signer)
	claims, err := c.VerifyIDToken(context.Background(), signToken(t, rotated, ti.claims("")), "")
	if err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	if claims.TenantID != testTenant {
		t.Fatalf("tid = %q", claims.TenantID)
	}
	if got := ti.fetches() - before; got != 1 {
		t.Fatalf("the key set was fetched %d times for the new kid, want 1", got)
	}
	// The old key still verifies from the refreshed cache, without another fetch.
	if _, err := c.VerifyIDToken(context.Background(), signToken(t, signingKey{kid: "key-1", key: rsaKey(t, 0)}, ti.claims("")), ""); err != nil {
		t.Fatalf("old key after rotation: %v", err)
	}
	if got := ti.fetches() - before; got != 1 {
		t.Fatalf("a known kid caused a refetch (%d fetches)", got)
	}
}

func TestVerifyIDTokenWithMultiTenantAuthorityUsesTheIssuerTemplate(t *testing.T) {
	cases := []struct {
		name      string
		authority string
		edit      func(ti *testIssuer, c map[string]any)
		want      string // "" means accepted
	}{
		{"organizations accepts a token whose issuer names its own tid", tenantOrganizations, func(*testIssuer, map[string]any) {}, ""},
		{"common accepts a token from another tenant", tenantCommon, func(ti *testIssuer, c map[string]any) {
			c["tid"] = otherTenant
			c["iss"] = ti.srv.URL + "/" + otherTenant + "/v2.0"
		}, ""},
		{"organizations refuses an issuer naming another tenant than tid", tenantOrganizations, func(ti *testIssuer, c map[string]any) {
			c["tid"] = otherTenant
		}, CheckIssuerTenant},
		{"organizations refuses an issuer on another host", tenantOrganizations, func(ti *testIssuer, c map[string]any) {
			c["iss"] = "https://login.microsoftonline.com/" + testTenant + "/v2.0"
		}, CheckIssuerTenant},
		{"organizations refuses a tid that is not a GUID", tenantOrganizations, func(ti *testIssuer, c map[string]any) {
			c["tid"] = "contoso.onmicrosoft.com"
		}, CheckTenant},
		{"organizations refuses a personal Microsoft account", tenantOrganizations, func(ti *testIssuer, c map[string]any) {
			c["tid"] = consumersTenant
			c["iss"] = ti.srv.URL + "/" + consumersTenant + "/v2.0"
		}, CheckTenant},
	}
	ti := newTestIssuer(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ti.clientFor(t, tc.authority)
			if got := c.Issuer(); got != ti.srv.URL+"/{tenantid}/v2.0" {
				t.Fatalf("issuer = %q, want the template", got)
			}
			claims := ti.claims("")
			tc.edit(ti, claims)
			_, err := c.VerifyIDToken(context.Background(), signToken(t, ti.signer, claims), "")
			if tc.want == "" {
				if err != nil {
					t.Fatalf("VerifyIDToken: %v", err)
				}
				return
			}
			var ve *VerifyError
			if !errors.As(err, &ve) || ve.Check != tc.want {
				t.Fatalf("VerifyIDToken = %v, want the %q check", err, tc.want)
			}
		})
	}
}

func TestVerifyIDTokenWhenKeysCannotBeFetchedSaysSo(t *testing.T) {
	ti := newTestIssuer(t)
	c := ti.client(t)
	raw := signToken(t, ti.signer, ti.claims(""))
	ti.srv.Close()
	_, err := c.VerifyIDToken(context.Background(), raw, "")
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Check != CheckKeys {
		t.Fatalf("VerifyIDToken = %v, want the %q check", err, CheckKeys)
	}
}
