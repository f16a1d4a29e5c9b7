package tenant

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestAReplayedAuthCodeRevokesTheRefreshTokensItIssued holds RFC 6749 §4.1.2: a second
// redemption is refused and the refresh tokens of the first, and those refreshed from them,
// stop working with Entra's invalid_grant.
func TestAReplayedAuthCodeRevokesTheRefreshTokensItIssued(t *testing.T) {
	h := newHarness(t)
	redirect := "http://127.0.0.1:50000/"
	// A refresh token from an earlier sign-in, issued before the stolen code: it is not the code's.
	earlier := h.authCodeFor(authorizeQuery(redirect, s256(verifier), "S256"))
	before := h.redeemOK(earlier, redirect)
	h.clock.Advance(time.Minute)

	code := h.authCodeFor(authorizeQuery(redirect, s256(verifier), "S256"))
	first := h.redeemOK(code, redirect)
	if first.RefreshToken == "" {
		t.Fatal("the first redemption returned no refresh token")
	}
	chained := h.refreshOK(first.RefreshToken)

	resp, body := h.redeem(code, redirect, verifier)
	wantEntraError(t, resp, body, http.StatusBadRequest, "invalid_grant", 54005)
	for _, rt := range []string{first.RefreshToken, chained.RefreshToken} {
		resp, body := h.refresh(rt)
		wantEntraError(t, resp, body, http.StatusBadRequest, "invalid_grant", 50173)
	}
	if resp, body := h.refresh(before.RefreshToken); resp.StatusCode != http.StatusOK {
		t.Errorf("a refresh token issued before the code was revoked too: %d %s", resp.StatusCode, body)
	}
}

func (h *harness) redeemOK(code, redirect string) tokenResponse {
	h.t.Helper()
	resp, body := h.redeem(code, redirect, verifier)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("redemption: %d %s", resp.StatusCode, body)
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		h.t.Fatal(err)
	}
	return tr
}

func (h *harness) refresh(rt string) (*http.Response, []byte) {
	h.t.Helper()
	return h.post("/"+contosoID+"/oauth2/v2.0/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {contosoClient}, "refresh_token": {rt}})
}

func (h *harness) refreshOK(rt string) tokenResponse {
	h.t.Helper()
	resp, body := h.refresh(rt)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("refresh: %d %s", resp.StatusCode, body)
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		h.t.Fatal(err)
	}
	return tr
}
