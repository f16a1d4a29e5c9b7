package auth

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

func TestEveryKnownCodeHasItsOwnReason(t *testing.T) {
	codes := []string{
		CodeAuthorizationDeclined, CodeAccessDenied, CodeExpiredToken, CodeBadVerificationCode,
		CodeInvalidGrant, CodeInvalidClient, CodeUnauthorizedClient, CodeInvalidTenant, CodeInvalidRequest,
		CodeInvalidScope, CodeInteractionRequired, CodeConsentRequired, CodeLoginRequired, CodeServerError,
		CodeTemporarilyUnavail, CodeThrottled, CodeNetwork, CodeCancelled, CodeInvalidResponse,
		CodeInvalidIDToken, CodeWrongUser,
	}
	for _, code := range codes {
		if r := reason(code, 0); r == reasonUnknown || !strings.HasSuffix(r, ".") {
			t.Errorf("%s has no specific sentence: %q", code, r)
		}
	}
}

func TestSignInErrorMessages(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		want   []string
		absent []string
	}{
		{"a known code reads as the table's sentence with the AADSTS number and correlation ID", http.StatusBadRequest,
			`{"error":"expired_token","error_description":"AADSTS70019: Verification code expired. Trace ID: t Correlation ID: c Timestamp: x","error_codes":[70019],"correlation_id":"7e0c3b61"}`,
			[]string{"(expired_token, AADSTS70019)", "Run sign-in again", "Correlation ID 7e0c3b61."}, []string{"Trace ID"}},
		{"an unknown code quotes the first part of Entra's description", http.StatusBadRequest,
			`{"error":"new_error","error_description":"AADSTS99999: Something new. Trace ID: t Correlation ID: c"}`,
			[]string{"(new_error, AADSTS99999)", `Entra said: "AADSTS99999: Something new."`}, []string{"Trace ID"}},
		{"control characters in the description are removed", http.StatusBadRequest,
			"{\"error\":\"new_error\",\"error_description\":\"AADSTS1: a\\u001b[2Jb\\r\\nFAKE: c\"}",
			[]string{`a[2Jb  FAKE: c`}, []string{"\x1b", "\r", "\n"}},
		{"an answer that is not Entra's says so without quoting it", http.StatusBadGateway,
			`<html>access_token=secret-looking</html>`, []string{"(server_error)", "HTTP 502"}, []string{"secret-looking"}},
		{"a token answer without access_token is refused without quoting it", http.StatusOK,
			`{"token_type":"Bearer","id_token":"secret-id-token"}`, []string{"(invalid_response)", "no access_token"}, []string{"secret-id-token"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseTokenResponse(tc.status, http.Header{}, []byte(tc.body))
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("%q lacks %q", msg, w)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(msg, a) {
					t.Errorf("%q contains %q", msg, a)
				}
			}
		})
	}
}

func TestDefaultCacheDirIsUnderTheUserCacheDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", filepath.Join(t.TempDir(), "cache"))
	t.Setenv("HOME", t.TempDir())
	dir, err := DefaultCacheDir()
	if err != nil {
		t.Skipf("no user cache directory here: %v", err)
	}
	if filepath.Base(dir) != "tokens" || filepath.Base(filepath.Dir(dir)) != "oobe" {
		t.Fatalf("DefaultCacheDir = %q, want .../oobe/tokens", dir)
	}
}
