package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oobe-dev/oobe/clock"
)

// The demo Contoso tenant's identifiers, so that the tests read like the real thing.
const (
	testTenant  = "39150fda-e360-47ce-b98e-d9250ba6f8e8"
	otherTenant = "164b2b49-eae9-4235-a4e0-74a9aef2fa00"
	testClient  = "9c6fb39d-8205-4a69-8a44-e2bae12741d2"
	testOID     = "6f162abf-414f-4b42-bd2a-7ff532bb3859"
	testUPN     = "adele.vance@contoso.com"
)

// t0 is when every test's virtual clock starts.
var t0 = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

var testKeys struct {
	once sync.Once
	keys [3]*rsa.PrivateKey
}

// rsaKey returns one of three RSA-2048 keys shared by the tests (generated once per run).
func rsaKey(t testing.TB, i int) *rsa.PrivateKey {
	t.Helper()
	testKeys.once.Do(func() {
		for n := range testKeys.keys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			testKeys.keys[n] = k
		}
	})
	return testKeys.keys[i]
}

// signingKey is an RSA key with the kid it is published under.
type signingKey struct {
	kid string
	key *rsa.PrivateKey
}

// pollAnswer scripts one answer of the token endpoint to a device code poll.
type pollAnswer struct {
	approve    bool   // issue tokens
	status     int    // HTTP status for an error; 400 when zero
	code       string // Entra's error
	aadsts     int
	retryAfter string
	drop       bool   // close the connection without an answer
	run        func() // called when this poll arrives
}

// recordedRequest is one request the token endpoint saw.
type recordedRequest struct {
	At     time.Time
	Form   url.Values
	Header http.Header
}

// authCode is a code the fake authorize endpoint issued.
type authCode struct {
	challenge, method, nonce, redirectURI string
	used                                  bool
}

// testIssuer is a small Entra-shaped issuer on 127.0.0.1 built from httptest and go-jose, in the
// spirit of go-oidc's own test servers. It serves any tenant path.
type testIssuer struct {
	t   testing.TB
	srv *httptest.Server
	clk *clock.Virtual

	logs *syncBuffer

	mu            sync.Mutex
	published     []signingKey
	signer        signingKey
	jwksFetches   int
	editDiscovery func(doc map[string]any)
	editClaims    func(claims map[string]any)
	devicePolls   []pollAnswer
	polls         int
	deviceAnswer  func(w http.ResponseWriter)
	tokenRequests []recordedRequest
	codes         map[string]*authCode
	refreshTokens map[string]bool
	secrets       []string // every token and code handed out, to look for in logs
	seq           int
}

func newTestIssuer(t testing.TB) *testIssuer {
	t.Helper()
	ti := &testIssuer{
		t:             t,
		clk:           clock.NewVirtual(t0),
		logs:          &syncBuffer{},
		codes:         map[string]*authCode{},
		refreshTokens: map[string]bool{},
	}
	k := signingKey{kid: "key-1", key: rsaKey(t, 0)}
	ti.published = []signingKey{k, {kid: "key-2", key: rsaKey(t, 1)}}
	ti.signer = k
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", ti.serveDiscovery)
	mux.HandleFunc("GET /{tenant}/discovery/v2.0/keys", ti.serveKeys)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/devicecode", ti.serveDeviceCode)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", ti.serveToken)
	mux.HandleFunc("GET /{tenant}/oauth2/v2.0/authorize", ti.serveAuthorize)
	ti.srv = httptest.NewServer(mux)
	t.Cleanup(ti.srv.Close)
	return ti
}

// authority is the issuer's authority URL for a tenant path segment.
func (ti *testIssuer) authority(tenant string) string { return ti.srv.URL + "/" + tenant }

// client builds a Client for the demo tenant on this issuer, logging into ti.logs.
func (ti *testIssuer) client(t testing.TB) *Client { return ti.clientFor(t, testTenant) }

func (ti *testIssuer) clientFor(t testing.TB, tenant string) *Client {
	t.Helper()
	c, err := New(context.Background(), Config{
		Authority:  ti.authority(tenant),
		ClientID:   testClient,
		Clock:      ti.clk,
		HTTPClient: ti.srv.Client(),
		Logger:     slog.New(slog.NewJSONHandler(ti.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func (ti *testIssuer) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	switch tenant {
	case testTenant, otherTenant, "common", "organizations":
	default:
		writeEntraError(w, http.StatusBadRequest, "invalid_tenant", 90002)
		return
	}
	base := ti.srv.URL + "/" + tenant
	issuer := base + "/v2.0"
	if tenant == "common" || tenant == "organizations" {
		issuer = ti.srv.URL + "/{tenantid}/v2.0"
	}
	doc := map[string]any{
		"issuer":                                issuer,
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
		"end_session_endpoint":                  base + "/oauth2/v2.0/logout",
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
	}
	ti.mu.Lock()
	if ti.editDiscovery != nil {
		ti.editDiscovery(doc)
	}
	ti.mu.Unlock()
	writeJSON(w, http.StatusOK, doc)
}

func (ti *testIssuer) serveKeys(w http.ResponseWriter, _ *http.Request) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.jwksFetches++
	var set jose.JSONWebKeySet
	for _, k := range ti.published {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.key.PublicKey, KeyID: k.kid, Algorithm: "RS256", Use: "sig"})
	}
	writeJSON(w, http.StatusOK, set)
}

// publish replaces the published key set; sign with signWith.
func (ti *testIssuer) publish(keys ...signingKey) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.published = keys
}

func (ti *testIssuer) signWith(k signingKey) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.signer = k
}

func (ti *testIssuer) fetches() int {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	return ti.jwksFetches
}

func (ti *testIssuer) serveDeviceCode(w http.ResponseWriter, r *http.Request) {
	ti.mu.Lock()
	answer := ti.deviceAnswer
	ti.mu.Unlock()
	if answer != nil {
		answer(w)
		return
	}
	deviceCode := ti.secret("device-code")
	userCode := "KQ7XDRT4M"
	ti.remember(userCode)
	writeJSON(w, http.StatusOK, map[string]any{
		"device_code":      deviceCode,
		"user_code":        userCode,
		"verification_uri": ti.srv.URL + "/devicelogin",
		"expires_in":       900,
		"interval":         5,
		"message":          "To sign in, use a web browser to open the page " + ti.srv.URL + "/devicelogin and enter the code " + userCode + " to authenticate.",
	})
}

func (ti *testIssuer) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeEntraError(w, http.StatusBadRequest, "invalid_request", 9002313)
		return
	}
	ti.mu.Lock()
	ti.tokenRequests = append(ti.tokenRequests, recordedRequest{At: ti.clk.Now(), Form: r.PostForm, Header: r.Header.Clone()})
	ti.mu.Unlock()
	if r.PostForm.Get("client_secret") != "" || r.Header.Get("Authorization") != "" {
		writeEntraError(w, http.StatusUnauthorized, "invalid_client", 700025)
		return
	}
	if r.PostForm.Get("client_id") != testClient {
		writeEntraError(w, http.StatusBadRequest, "unauthorized_client", 700016)
		return
	}
	switch r.PostForm.Get("grant_type") {
	case grantDeviceCode:
		ti.answerPoll(w)
	case "authorization_code":
		ti.redeemCode(w, r.PostForm)
	case "refresh_token":
		ti.mu.Lock()
		ok := ti.refreshTokens[r.PostForm.Get("refresh_token")]
		delete(ti.refreshTokens, r.PostForm.Get("refresh_token")) // rotation: single use
		ti.mu.Unlock()
		if !ok {
			writeEntraError(w, http.StatusBadRequest, "invalid_grant", 700082)
			return
		}
		ti.issueTokens(w, "")
	default:
		writeEntraError(w, http.StatusBadRequest, "unsupported_grant_type", 70003)
	}
}

func (ti *testIssuer) answerPoll(w http.ResponseWriter) {
	ti.mu.Lock()
	var a pollAnswer
	switch {
	case len(ti.devicePolls) == 0:
		a = pollAnswer{approve: true}
	case ti.polls < len(ti.devicePolls):
		a = ti.devicePolls[ti.polls]
	default:
		a = ti.devicePolls[len(ti.devicePolls)-1]
	}
	ti.polls++
	ti.mu.Unlock()
	if a.run != nil {
		a.run()
	}
	switch {
	case a.drop:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	case a.approve:
		ti.issueTokens(w, "")
	default:
		if a.retryAfter != "" {
			w.Header().Set("Retry-After", a.retryAfter)
		}
		status := a.status
		if status == 0 {
			status = http.StatusBadRequest
		}
		writeEntraError(w, status, a.code, a.aadsts)
	}
}

func (ti *testIssuer) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect := q.Get("redirect_uri")
	if q.Get("client_id") != testClient || !strings.HasPrefix(redirect, "http://127.0.0.1:") {
		writeEntraError(w, http.StatusBadRequest, "invalid_request", 50011)
		return
	}
	answer := url.Values{"state": {q.Get("state")}}
	if q.Get("login_hint") == "cancel@contoso.com" {
		answer.Set("error", "access_denied")
		answer.Set("error_description", "AADSTS65004: User declined to consent to access the app.")
	} else {
		code := ti.secret("auth-code")
		ti.mu.Lock()
		ti.codes[code] = &authCode{
			challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method"),
			nonce: q.Get("nonce"), redirectURI: redirect,
		}
		ti.mu.Unlock()
		answer.Set("code", code)
	}
	if q.Get("response_mode") == "form_post" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<html><body onload="document.forms[0].submit()"><form method="POST" action="%s">`, html.EscapeString(redirect))
		for k := range answer {
			fmt.Fprintf(w, `<input type="hidden" name="%s" value="%s">`, k, html.EscapeString(answer.Get(k)))
		}
		fmt.Fprint(w, `<noscript><button type="submit">Continue</button></noscript></form></body></html>`)
		return
	}
	http.Redirect(w, r, redirect+"?"+answer.Encode(), http.StatusFound)
}

func (ti *testIssuer) redeemCode(w http.ResponseWriter, form url.Values) {
	ti.mu.Lock()
	ac := ti.codes[form.Get("code")]
	var used bool
	if ac != nil {
		used, ac.used = ac.used, true
	}
	ti.mu.Unlock()
	switch {
	case ac == nil:
		writeEntraError(w, http.StatusBadRequest, "invalid_grant", 70000)
	case used:
		writeEntraError(w, http.StatusBadRequest, "invalid_grant", 54005)
	case form.Get("redirect_uri") != ac.redirectURI:
		writeEntraError(w, http.StatusBadRequest, "invalid_grant", 70000)
	case form.Get("code_verifier") == "":
		writeEntraError(w, http.StatusBadRequest, "invalid_grant", 501481)
	case ac.method != "S256" || s256(form.Get("code_verifier")) != ac.challenge:
		writeEntraError(w, http.StatusBadRequest, "invalid_grant", 50148)
	default:
		ti.issueTokens(w, ac.nonce)
	}
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// claims are the ID token claims the issuer puts in a token, before editClaims.
func (ti *testIssuer) claims(nonce string) map[string]any {
	now := ti.clk.Now()
	c := map[string]any{
		"iss":                ti.srv.URL + "/" + testTenant + "/v2.0",
		"aud":                testClient,
		"sub":                "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
		"tid":                testTenant,
		"oid":                testOID,
		"preferred_username": testUPN,
		"name":               "Adele Vance",
		"ver":                "2.0",
		"iat":                now.Unix(),
		"nbf":                now.Unix(),
		"exp":                now.Add(time.Hour).Unix(),
	}
	if nonce != "" {
		c["nonce"] = nonce
	}
	return c
}

func (ti *testIssuer) issueTokens(w http.ResponseWriter, nonce string) {
	claims := ti.claims(nonce)
	ti.mu.Lock()
	edit, signer := ti.editClaims, ti.signer
	ti.mu.Unlock()
	if edit != nil {
		edit(claims)
	}
	idToken := signToken(ti.t, signer, claims)
	ti.remember(idToken)
	refresh := ti.secret("refresh-token")
	ti.mu.Lock()
	ti.refreshTokens[refresh] = true
	ti.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type":     "Bearer",
		"scope":          "openid profile offline_access User.Read",
		"expires_in":     3599,
		"ext_expires_in": 3599,
		"access_token":   ti.secret("access-token"),
		"refresh_token":  refresh,
		"id_token":       idToken,
	})
}

// secret returns a new unique secret value and remembers it.
func (ti *testIssuer) secret(kind string) string {
	ti.mu.Lock()
	ti.seq++
	n := ti.seq
	ti.mu.Unlock()
	s := fmt.Sprintf("%s-%d-%s", kind, n, randomToken())
	ti.remember(s)
	return s
}

func (ti *testIssuer) remember(s string) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.secrets = append(ti.secrets, s)
}

func (ti *testIssuer) allSecrets() []string {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	return append([]string(nil), ti.secrets...)
}

func (ti *testIssuer) requests() []recordedRequest {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	return append([]recordedRequest(nil), ti.tokenRequests...)
}

// signToken signs claims as an RS256 JWT with the key's kid, as Entra does.
func signToken(t testing.TB, k signingKey, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return signPayload(t, jose.SigningKey{Algorithm: jose.RS256, Key: k.key}, k.kid, payload)
}

func signPayload(t testing.TB, key jose.SigningKey, kid string, payload []byte) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid)
	signer, err := jose.NewSigner(key, opts)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// writeEntraError writes Entra's error body.
func writeEntraError(w http.ResponseWriter, status int, code string, aadsts int) {
	writeJSON(w, status, map[string]any{
		"error":             code,
		"error_description": fmt.Sprintf("AADSTS%d: Something about %s. Trace ID: 0b4d5e2c-1111-4c4c-9c9c-5e5e5e5e5e5e Correlation ID: 7e0c3b61-2222-4d4d-8d8d-6f6f6f6f6f6f Timestamp: 2026-11-21 09:00:00Z", aadsts, code),
		"error_codes":       []int{aadsts},
		"timestamp":         "2026-11-21 09:00:00Z",
		"trace_id":          "0b4d5e2c-1111-4c4c-9c9c-5e5e5e5e5e5e",
		"correlation_id":    "7e0c3b61-2222-4d4d-8d8d-6f6f6f6f6f6f",
		"error_uri":         "https://login.microsoftonline.com/error?code=" + fmt.Sprint(aadsts),
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// syncBuffer is a bytes.Buffer safe for the client's and the loopback server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// wantSignInError fails t unless err is a *SignInError with code, and with aadsts when not 0.
func wantSignInError(t testing.TB, err error, code string, aadsts int) *SignInError {
	t.Helper()
	var se *SignInError
	if !errors.As(err, &se) || se.Code != code || (aadsts != 0 && se.AADSTS != aadsts) {
		t.Fatalf("got %v, want sign-in error %s (AADSTS%d)", err, code, aadsts)
	}
	return se
}
