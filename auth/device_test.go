package auth

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// pollInstants returns the virtual seconds after t0 at which the token endpoint was polled.
func pollInstants(ti *testIssuer) []int {
	var out []int
	for _, r := range ti.requests() {
		if r.Form.Get("grant_type") == grantDeviceCode {
			out = append(out, int(r.At.Sub(t0)/time.Second))
		}
	}
	return out
}

var (
	pending  = pollAnswer{code: CodeAuthorizationPending, aadsts: 70016}
	slowDown = pollAnswer{code: CodeSlowDown}
	approve  = pollAnswer{approve: true}
)

func TestDeviceCodePolling(t *testing.T) {
	cases := []struct {
		name       string
		polls      []pollAnswer
		wantPolls  []int  // virtual seconds after the code was issued
		wantCode   string // "" means signed in
		wantAADSTS int
	}{
		{"pending then approved signs in at the interval",
			[]pollAnswer{pending, pending, approve}, []int{5, 10, 15}, "", 0},
		{"slow_down raises the interval by five seconds for every later poll",
			[]pollAnswer{pending, slowDown, pending, pending, slowDown, pending, approve}, []int{5, 10, 20, 30, 40, 55, 70}, "", 0},
		{"a declined sign-in stops polling",
			[]pollAnswer{pending, {code: CodeAuthorizationDeclined, aadsts: 70020}}, []int{5, 10}, CodeAuthorizationDeclined, 70020},
		{"access_denied stops polling",
			[]pollAnswer{{code: CodeAccessDenied, aadsts: 65004}}, []int{5}, CodeAccessDenied, 65004},
		{"Entra's expired_token stops polling",
			[]pollAnswer{pending, {code: CodeExpiredToken, aadsts: 70019}}, []int{5, 10}, CodeExpiredToken, 70019},
		{"a bad verification code stops polling",
			[]pollAnswer{{code: CodeBadVerificationCode, aadsts: 70018}}, []int{5}, CodeBadVerificationCode, 70018},
		{"a device code already redeemed stops polling",
			[]pollAnswer{{code: CodeInvalidGrant, aadsts: 70000}}, []int{5}, CodeInvalidGrant, 70000},
		{"an unknown client stops polling",
			[]pollAnswer{{code: CodeUnauthorizedClient, aadsts: 700016}}, []int{5}, CodeUnauthorizedClient, 700016},
		{"a dropped connection is retried at the interval",
			[]pollAnswer{{drop: true}, approve}, []int{5, 10}, "", 0},
		{"a 503 is retried at the interval",
			[]pollAnswer{{status: http.StatusServiceUnavailable, code: "temporarily_unavailable"}, approve}, []int{5, 10}, "", 0},
		{"a 429 waits for Retry-After",
			[]pollAnswer{{status: http.StatusTooManyRequests, code: "throttled", retryAfter: "30"}, approve}, []int{5, 35}, "", 0},
		{"a huge Retry-After is bounded to two minutes",
			[]pollAnswer{{status: http.StatusTooManyRequests, code: "throttled", retryAfter: "86400"}, approve}, []int{5, 125}, "", 0},
		{"a dropped connection every time ends as a network error",
			[]pollAnswer{{drop: true}}, []int{5, 10, 15, 20, 25, 30}, CodeNetwork, 0},
		{"a 500 every time ends as a server error",
			[]pollAnswer{{status: http.StatusInternalServerError, code: "server_error"}}, []int{5, 10, 15, 20, 25, 30}, CodeServerError, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ti := newTestIssuer(t)
			ti.devicePolls = tc.polls
			c := ti.client(t)
			res, err := c.DeviceCode(context.Background(), nil)
			if got := pollInstants(ti); !slices.Equal(got, tc.wantPolls) {
				t.Errorf("polled at %v s, want %v s", got, tc.wantPolls)
			}
			if tc.wantCode == "" {
				if err != nil {
					t.Fatalf("DeviceCode: %v", err)
				}
				if res.Identity.UPN != testUPN || res.Identity.ObjectID != testOID || res.Identity.TenantID != testTenant || res.Flow != FlowDevice {
					t.Fatalf("result = %v", res)
				}
				return
			}
			var se *SignInError
			if !errors.As(err, &se) {
				t.Fatalf("DeviceCode = %v, want a *SignInError", err)
			}
			if se.Code != tc.wantCode || se.AADSTS != tc.wantAADSTS {
				t.Fatalf("error %q AADSTS%d, want %q AADSTS%d (%v)", se.Code, se.AADSTS, tc.wantCode, tc.wantAADSTS, se)
			}
			if se.Reason == "" || se.Reason == reasonUnknown {
				t.Fatalf("no specific reason for a person: %v", se)
			}
		})
	}
}

func TestDeviceCodeStopsAtExpiresInWithoutRealWaiting(t *testing.T) {
	ti := newTestIssuer(t)
	ti.devicePolls = []pollAnswer{pending}
	c := ti.client(t)
	started := time.Now()
	_, err := c.DeviceCode(context.Background(), nil)
	real := time.Since(started)

	wantSignInError(t, err, CodeExpiredToken, 0)
	if got := ti.clk.Now(); !got.Equal(t0.Add(900 * time.Second)) {
		t.Fatalf("stopped at %v, want exactly expires_in (900 s) after issue", got.Sub(t0))
	}
	polls := pollInstants(ti)
	if len(polls) != 179 || polls[0] != 5 || polls[len(polls)-1] != 895 {
		t.Fatalf("polled %d times from %v s to %v s, want 179 polls from 5 s to 895 s", len(polls), polls[0], polls[len(polls)-1])
	}
	// Fifteen virtual minutes must not cost real ones: only the clock's Sleep may wait.
	if real > 90*time.Second/10 {
		t.Fatalf("the 900 s flow took %v of real time", real)
	}
}

func TestDeviceCodeExpiryCutsTheLastWaitShort(t *testing.T) {
	ti := newTestIssuer(t)
	ti.deviceAnswer = func(w http.ResponseWriter) {
		writeJSON(w, http.StatusOK, map[string]any{
			"device_code": "dc", "user_code": "ABCDEFGHJ", "verification_uri": ti.srv.URL + "/devicelogin",
			"expires_in": "12", "interval": "5", // strings, as Entra's v1 endpoint sends them
		})
	}
	ti.devicePolls = []pollAnswer{pending}
	c := ti.client(t)
	_, err := c.DeviceCode(context.Background(), nil)
	wantSignInError(t, err, CodeExpiredToken, 0)
	if got := pollInstants(ti); !slices.Equal(got, []int{5, 10}) {
		t.Fatalf("polled at %v s, want [5 10]", got)
	}
	if got := ti.clk.Now().Sub(t0); got != 12*time.Second {
		t.Fatalf("stopped %v after issue, want 12 s", got)
	}
}

func TestDeviceCodeShowsEntrasPromptVerbatim(t *testing.T) {
	ti := newTestIssuer(t)
	const message = "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code KQ7XDRT4M to authenticate. « ünïcode » kept"
	ti.deviceAnswer = func(w http.ResponseWriter) {
		writeJSON(w, http.StatusOK, map[string]any{
			"device_code": "dc", "user_code": "KQ7XDRT4M", "verification_uri": ti.srv.URL + "/devicelogin",
			"expires_in": 900, "interval": 5, "message": message,
		})
	}
	c := ti.client(t)
	var shown []DeviceCodePrompt
	if _, err := c.DeviceCode(context.Background(), func(p DeviceCodePrompt) { shown = append(shown, p) }); err != nil {
		t.Fatalf("DeviceCode: %v", err)
	}
	want := DeviceCodePrompt{
		UserCode: "KQ7XDRT4M", VerificationURI: ti.srv.URL + "/devicelogin", Message: message,
		ExpiresAt: t0.Add(900 * time.Second), Interval: 5 * time.Second,
	}
	if len(shown) != 1 || shown[0] != want {
		t.Fatalf("shown %+v, want once %+v", shown, want)
	}
}

func TestDeviceCodeCancelledWhileWaitingStops(t *testing.T) {
	ti := newTestIssuer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ti.devicePolls = []pollAnswer{pending, {code: CodeAuthorizationPending, run: cancel}, approve}
	c := ti.client(t)
	_, err := c.DeviceCode(ctx, nil)
	se := wantSignInError(t, err, CodeCancelled, 0)
	if !errors.Is(se, context.Canceled) {
		t.Fatalf("%v does not wrap context.Canceled", se)
	}
	if got := pollInstants(ti); !slices.Equal(got, []int{5, 10}) {
		t.Fatalf("polled at %v s after cancel, want [5 10]", got)
	}
}

func TestDeviceCodePostsAsAPublicClient(t *testing.T) {
	ti := newTestIssuer(t)
	ti.devicePolls = []pollAnswer{pending, approve}
	c := ti.client(t)
	if _, err := c.DeviceCode(context.Background(), nil); err != nil {
		t.Fatalf("DeviceCode: %v", err)
	}
	reqs := ti.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d token requests for 2 polls, want exactly one per poll", len(reqs))
	}
	for _, r := range reqs {
		if r.Form.Has("client_secret") || r.Header.Get("Authorization") != "" {
			t.Fatalf("a poll carried a client secret: %v", r.Form)
		}
		if r.Form.Get("client_id") != testClient || r.Form.Get("device_code") == "" {
			t.Fatalf("a poll lacks client_id or device_code: %v", r.Form)
		}
	}
}

func TestDeviceCodeWhenEntraIsUnreachableIsANetworkError(t *testing.T) {
	ti := newTestIssuer(t)
	c := ti.client(t)
	ti.srv.Close()
	_, err := c.DeviceCode(context.Background(), nil)
	se := wantSignInError(t, err, CodeNetwork, 0)
	if !strings.Contains(se.Error(), "Check the network") {
		t.Fatalf("the message does not tell the person what to do: %v", se)
	}
}

func TestDeviceCodeRequestRefusedByEntraIsMapped(t *testing.T) {
	ti := newTestIssuer(t)
	ti.deviceAnswer = func(w http.ResponseWriter) {
		writeEntraError(w, http.StatusBadRequest, CodeInvalidClient, 7000218)
	}
	c := ti.client(t)
	_, err := c.DeviceCode(context.Background(), func(DeviceCodePrompt) { t.Error("prompt shown for a refused request") })
	se := wantSignInError(t, err, CodeInvalidClient, 7000218)
	if se.CorrelationID == "" || !strings.Contains(se.Reason, "Allow public client flows") {
		t.Fatalf("error lacks the correlation ID or the fix: %v", se)
	}
}
