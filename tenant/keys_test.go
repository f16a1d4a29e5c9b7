package tenant

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

func TestJWKSPublishesRSAKeysWithTheirCertificates(t *testing.T) {
	h := newHarness(t)
	resp, body := h.get("/" + contosoID + "/discovery/v2.0/keys")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	set := decodeJSON[jwks](t, body)
	if len(set.Keys) < 2 {
		t.Fatalf("%d keys published, want at least two", len(set.Keys))
	}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || k.Use != "sig" || k.Kid == "" || k.Kid != k.X5t {
			t.Errorf("key %q: kty %q use %q x5t %q", k.Kid, k.Kty, k.Use, k.X5t)
		}
		if k.Issuer != h.url("/"+contosoID+"/v2.0") {
			t.Errorf("key issuer %q", k.Issuer)
		}
		der, err := base64.StdEncoding.DecodeString(k.X5c[0])
		if err != nil {
			t.Fatal(err)
		}
		thumb := sha1.Sum(der)
		if got := base64.RawURLEncoding.EncodeToString(thumb[:]); got != k.X5t {
			t.Errorf("x5t %q is not the SHA-1 of x5c[0] (%q)", k.X5t, got)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatalf("x5c[0] is not a certificate: %v", err)
		}
		if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
			t.Errorf("certificate is not self-signed: %v", err)
		}
		pub := cert.PublicKey.(*rsa.PublicKey)
		n, _ := base64.RawURLEncoding.DecodeString(k.N)
		e, _ := base64.RawURLEncoding.DecodeString(k.E)
		if new(big.Int).SetBytes(n).Cmp(pub.N) != 0 || int(new(big.Int).SetBytes(e).Int64()) != pub.E {
			t.Errorf("n/e of %s differ from the certificate's key", k.Kid)
		}
		if pub.N.BitLen() != 2048 {
			t.Errorf("key has %d bits, want 2048", pub.N.BitLen())
		}
	}
}

func TestJWKSIsByteIdenticalForTheSamePEMKeys(t *testing.T) {
	a, b := newHarness(t), newHarness(t)
	// Both servers must name the same base URL for the issuer field to match.
	b.srv.SetBaseURL(a.http.URL)
	_, first := a.get("/" + contosoID + "/discovery/v2.0/keys")
	_, second := b.getAddressedTo(a.http.URL, "/"+contosoID+"/discovery/v2.0/keys")
	if !bytes.Equal(first, second) {
		t.Fatalf("JWKS differs between two servers from the same PEM keys:\n%s\n%s", first, second)
	}
}

func TestRotationPublishesTheNewKeyFirstAndDropsTheOldest(t *testing.T) {
	h := newHarness(t)
	before := decodeJSON[jwks](t, bodyOf(h.get("/"+contosoID+"/discovery/v2.0/keys"))).Keys
	old := h.signInWithDeviceCode(contosoID, contosoClient, adeleUPN, adelePassword)

	resp, body := h.adminPost("/_oobe/tenants/"+contosoID+"/keys/rotate", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("rotate: %d %s", resp.StatusCode, body)
	}
	res := decodeJSON[rotateResult](t, body)
	after := decodeJSON[jwks](t, bodyOf(h.get("/"+contosoID+"/discovery/v2.0/keys"))).Keys
	if len(after) != len(before) {
		t.Fatalf("%d keys after rotation, want %d", len(after), len(before))
	}
	if after[0].Kid != res.Signer || after[0].Kid == before[0].Kid || after[1].Kid != before[0].Kid {
		t.Fatalf("after rotation kids = %v, %v; before %v, %v", after[0].Kid, after[1].Kid, before[0].Kid, before[1].Kid)
	}

	// The old signer is still published, so its tokens still work; new tokens use the new key.
	if resp, body := h.bearer("/v1.0/me", old.AccessToken); resp.StatusCode != http.StatusOK {
		t.Fatalf("token from the still-published key refused: %d %s", resp.StatusCode, body)
	}
	fresh := h.signInWithDeviceCode(contosoID, contosoClient, adeleUPN, adelePassword)
	if claims := h.verifyWithJWKS(contosoID, fresh.IDToken); claims["tid"] != contosoID {
		t.Fatalf("new ID token does not verify: %v", claims)
	}

	// A second rotation drops the key that signed the first token.
	if err := h.srv.RotateKeys(contosoID); err != nil {
		t.Fatal(err)
	}
	resp, body = h.bearer("/v1.0/me", old.AccessToken)
	if resp.StatusCode != http.StatusUnauthorized || !contains(body, "signing key not found") {
		t.Fatalf("token signed by a dropped key: %d %s", resp.StatusCode, body)
	}
}

func TestRotatingAnUnknownTenantFails(t *testing.T) {
	h := newHarness(t)
	if err := h.srv.RotateKeys("00000000-0000-0000-0000-000000000000"); err == nil {
		t.Fatal("RotateKeys of an unknown tenant succeeded")
	}
	resp, _ := h.adminPost("/_oobe/tenants/nope/keys/rotate", "")
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("status %d, want 404", resp.StatusCode)
	}
}

func TestRotationRefusesARequestThatIsNotJSON(t *testing.T) {
	h := newHarness(t)
	before := decodeJSON[jwks](t, bodyOf(h.get("/"+contosoID+"/discovery/v2.0/keys"))).Keys
	for _, ctype := range []string{"", "application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"} {
		resp, body := h.send(http.MethodPost, "/_oobe/tenants/"+contosoID+"/keys/rotate", "", "Content-Type", ctype, AdminSecretHeader, h.srv.AdminSecret())
		if resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Fatalf("Content-Type %q: status %d, want 415: %s", ctype, resp.StatusCode, body)
		}
	}
	after := decodeJSON[jwks](t, bodyOf(h.get("/"+contosoID+"/discovery/v2.0/keys"))).Keys
	if after[0].Kid != before[0].Kid {
		t.Fatal("a refused rotation rotated the keys")
	}
}

func TestTenantsWithoutKeysGetTwoGenerated(t *testing.T) {
	tenants := demoTenants(t)
	tenants[1].Keys = nil
	srv, err := New(Config{Tenants: tenants})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Tenants()[1].Keys); n != 2 {
		t.Fatalf("%d keys, want 2 generated", n)
	}
}

func bodyOf[A, B any](_ A, b B) B { return b }

func TestTokensAreSignedAsGoJoseSignsThem(t *testing.T) {
	keys := demoKeys(t, "contoso-1.pem", "contoso-2.pem")
	cases := []struct {
		name   string
		claims any
	}{
		{"an access token", accessTokenClaims{Aud: graphAppID, Iss: "http://127.0.0.1:1/" + contosoID + "/v2.0", Iat: 1, Nbf: 1, Exp: 3601,
			Appid: contosoClient, Idtyp: "user", Name: "Adele Vance", Oid: adeleOID, Scp: "openid User.Read", Sub: "s", Tid: contosoID,
			Upn: adeleUPN, Uti: "u", Ver: "2.0"}},
		{"an ID token with a nonce and characters JSON escapes", idTokenClaims{Aud: contosoClient, Name: `Zoë "Z" <z&z>`, Nonce: "n\u2028",
			Oid: adeleOID, PreferredUsername: adeleUPN, Sub: "s", Tid: contosoID, Ver: "2.0"}},
		{"empty claims", struct{}{}},
	}
	for _, k := range keys {
		key, err := newSigningKey(k)
		if err != nil {
			t.Fatal(err)
		}
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: k, KeyID: key.kid}},
			(&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			t.Run(key.kid+"/"+c.name, func(t *testing.T) {
				got, err := key.sign(c.claims)
				if err != nil {
					t.Fatal(err)
				}
				payload, _ := json.Marshal(c.claims)
				obj, err := signer.Sign(payload)
				if err != nil {
					t.Fatal(err)
				}
				want, _ := obj.CompactSerialize()
				if got != want {
					t.Fatalf("signed\n%s\ngo-jose signs\n%s", got, want)
				}
				jws, err := jose.ParseSignedCompact(got, []jose.SignatureAlgorithm{jose.RS256})
				if err != nil {
					t.Fatal(err)
				}
				if verified, err := jws.Verify(&k.PublicKey); err != nil || !bytes.Equal(verified, payload) {
					t.Fatalf("the token does not verify with its key: %v", err)
				}
			})
		}
	}
}
