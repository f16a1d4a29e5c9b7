package auth

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

// Bodies as Entra sends them (ids replaced): AADSTS50076 on the v2.0 token endpoint
// (AzureAD/microsoft-authentication-library-for-js issue 5491) and AADSTS53003 on the v1.0
// endpoint (dafthack/MSOLSpray issue 5).
const (
	mfaBody  = `{"error":"invalid_grant","error_description":"AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '74d197dc-b84d-4d43-a1b2-b5bf3bb91c11'.\r\nTrace ID: t\r\nCorrelation ID: 2ba27739-7daf-49e7-949c-2e16e3c42079\r\nTimestamp: 2023-01-04 19:44:18Z","error_codes":[50076],"timestamp":"2023-01-04 19:44:18Z","trace_id":"t","correlation_id":"2ba27739-7daf-49e7-949c-2e16e3c42079","error_uri":"https://login.microsoftonline.com/error?code=50076","suberror":"basic_action","claims":"{\"access_token\":{\"capolids\":{\"essential\":true,\"values\":[\"5d0b1c2e-0000-4000-8000-000000000001\"]}}}"}`
	caV1Body = `{"error":"interaction_required","error_description":"AADSTS53003: Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.\r\nTrace ID: t","error_codes":[53003],"timestamp":"2022-02-11 13:06:36Z","trace_id":"t","correlation_id":"c","error_uri":"https://login.microsoft.com/error?code=53003","suberror":"message_only"}`
	caV2Body = `{"error":"invalid_grant","error_description":"AADSTS53003: Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.","error_codes":[53003],"suberror":"message_only"}`
)

func TestConditionalAccessAnswersAreRecognised(t *testing.T) {
	cases := []struct {
		name              string
		body              string
		blocked, mfa      bool
		suberror, claims  string
		code              string
		aadsts            int
		reasonContains    string
		reasonNotContains string
	}{
		{"an MFA demand keeps Entra's suberror and claims challenge", mfaBody, false, true, "basic_action",
			`{"access_token":{"capolids":{"essential":true,"values":["5d0b1c2e-0000-4000-8000-000000000001"]}}}`,
			CodeInvalidGrant, 50076, "multifactor authentication", "grant is no longer valid"},
		{"a Conditional Access block on the v2.0 endpoint", caV2Body, true, false, "message_only", "", CodeInvalidGrant, 53003, "You don't have access to this", "grant is no longer valid"},
		{"a Conditional Access block on the v1.0 endpoint", caV1Body, true, false, "message_only", "", CodeInteractionRequired, 53003, "You don't have access to this", "Run sign-in with the browser"},
		{"an ordinary invalid grant is neither", `{"error":"invalid_grant","error_codes":[70000]}`, false, false, "", "", CodeInvalidGrant, 70000, "grant is no longer valid", "access to this"},
		{"a claims challenge that is not JSON is dropped", strings.Replace(mfaBody, `"claims":"{`, `"claims":"x{`, 1), false, true, "basic_action", "", CodeInvalidGrant, 50076, "multifactor", ""},
		{"a suberror with odd characters is cleaned", strings.Replace(caV2Body, `"message_only"`, `"message_only\u001b[2J"`, 1), true, false, "message_only2J", "", CodeInvalidGrant, 53003, "access to this", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseTokenResponse(http.StatusBadRequest, http.Header{}, []byte(c.body))
			var se *SignInError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a SignInError", err)
			}
			if se.Code != c.code || se.AADSTS != c.aadsts || se.Suberror != c.suberror || se.Claims != c.claims {
				t.Fatalf("SignInError code %q AADSTS%d suberror %q claims %q", se.Code, se.AADSTS, se.Suberror, se.Claims)
			}
			if errors.Is(err, ErrAccessBlocked) != c.blocked || errors.Is(err, ErrMFARequired) != c.mfa {
				t.Fatalf("errors.Is blocked %v, MFA %v; want %v, %v", errors.Is(err, ErrAccessBlocked), errors.Is(err, ErrMFARequired), c.blocked, c.mfa)
			}
			if !strings.Contains(se.Reason, c.reasonContains) || (c.reasonNotContains != "" && strings.Contains(se.Reason, c.reasonNotContains)) {
				t.Fatalf("reason %q", se.Reason)
			}
		})
	}
}

func TestARefusedResourceIsNamedInTheReason(t *testing.T) {
	blocked := newSignInError(CodeInvalidGrant, 53003, nil)
	mfa := newSignInError(CodeInvalidGrant, 50076, nil)
	other := newSignInError(CodeInvalidGrant, 70000, nil)
	cases := []struct {
		name     string
		err      *SignInError
		resource string
		want     []string
	}{
		{"a block of the restore app says what the person can do", blocked, restoreAppID,
			[]string{"You don't have access to this", restoreAppID, "Ask your administrator", "set up this PC as new"}},
		{"an MFA demand for the restore experience asks for phishing-resistant MFA", mfa, restoreBackupsAppID,
			[]string{"phishing-resistant multifactor authentication", restoreBackupsAppID, "Temporary Access Pass", "passkey"}},
		{"a block of another app names that app", blocked, "api://other", []string{"You don't have access to this", "(app api://other)"}},
		{"an MFA demand for another app names that app", mfa, "https://graph.microsoft.com", []string{"multifactor", "(app https://graph.microsoft.com)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := resourceReason(c.err, c.resource)
			for _, w := range c.want {
				if !strings.Contains(r, w) {
					t.Fatalf("reason %q lacks %q", r, w)
				}
			}
		})
	}
	if r := resourceReason(other, restoreAppID); r != "" {
		t.Fatalf("an ordinary refusal got a resource reason: %q", r)
	}
	if r := resourceReason(blocked, ""); r != "" {
		t.Fatalf("a Graph refusal got a resource reason: %q", r)
	}
}

func TestTheResourceIsReadFromTheScopes(t *testing.T) {
	cases := []struct {
		name   string
		scopes []string
		want   string
	}{
		{"an app id with .default", []string{"D32C68AD-72D2-4ACB-A0C7-46BB2CF93873/.default"}, restoreAppID},
		{"OIDC scopes are skipped", []string{"openid", "offline_access", restoreBackupsAppID + "/.default"}, restoreBackupsAppID},
		{"a URI resource", []string{"https://graph.microsoft.com/User.Read"}, "https://graph.microsoft.com"},
		{"bare names mean Graph", []string{"User.Read", "openid"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := resourceOf(c.scopes); got != c.want {
				t.Fatalf("resourceOf(%q) = %q, want %q", c.scopes, got, c.want)
			}
		})
	}
}
