package tenant

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSmartLockout(t *testing.T) {
	const redirect = "http://127.0.0.1:49152/"
	signIn := func(h *harness, password string) (*http.Response, []byte) {
		flow := h.startAuthorize(contosoID, authorizeQuery(redirect, "", ""))
		return h.submitSignIn(contosoID, flow, adeleUPN, password, "signin")
	}
	t.Run("ten failures lock the account; the right password is refused until the lock passes", func(t *testing.T) {
		h := newHarness(t)
		for i := 1; i <= 9; i++ {
			if resp, body := signIn(h, fmt.Sprintf("wrong-%d", i)); resp.StatusCode != http.StatusBadRequest || !contains(body, "AADSTS50126") {
				t.Fatalf("failure %d: %d %.300s", i, resp.StatusCode, body)
			}
		}
		resp, body := signIn(h, "wrong-10")
		if resp.StatusCode != http.StatusBadRequest || !contains(body, "AADSTS50053") {
			t.Fatalf("tenth failure: %d, want AADSTS50053: %.300s", resp.StatusCode, body)
		}
		resp, body = signIn(h, adelePassword)
		if resp.StatusCode != http.StatusBadRequest || !contains(body, "AADSTS50053") || !contains(body, "temporarily locked") {
			t.Fatalf("right password while locked: %d, want AADSTS50053: %.300s", resp.StatusCode, body)
		}
		// The device login page shares the count.
		dc := h.deviceCode(contosoID, contosoClient, "openid User.Read")
		if resp, body := h.deviceLogin(dc.UserCode, adeleUPN, adelePassword, "approve"); resp.StatusCode != http.StatusBadRequest || !contains(body, "AADSTS50053") {
			t.Fatalf("device login while locked: %d %.300s", resp.StatusCode, body)
		}
		h.clock.Advance(60 * time.Second)
		if resp, body := signIn(h, adelePassword); resp.StatusCode != http.StatusFound {
			t.Fatalf("after the lock: %d %.300s", resp.StatusCode, body)
		}
	})
	t.Run("the same wrong password is counted once", func(t *testing.T) {
		h := newHarness(t)
		for range 20 {
			signIn(h, "the-same-wrong-one")
		}
		if resp, body := signIn(h, adelePassword); resp.StatusCode != http.StatusFound {
			t.Fatalf("%d %.300s", resp.StatusCode, body)
		}
	})
	t.Run("after a lock one more failure locks again", func(t *testing.T) {
		h := newHarness(t)
		for i := range 10 {
			signIn(h, fmt.Sprintf("wrong-%d", i))
		}
		h.clock.Advance(time.Minute)
		if resp, body := signIn(h, "wrong-again"); !contains(body, "AADSTS50053") {
			t.Fatalf("%d %.300s", resp.StatusCode, body)
		}
	})
	t.Run("the device login page counts failures", func(t *testing.T) {
		h := newHarness(t)
		dc := h.deviceCode(contosoID, contosoClient, "openid User.Read")
		for i := range 10 {
			h.deviceLogin(dc.UserCode, adeleUPN, fmt.Sprintf("wrong-%d", i), "approve")
		}
		if resp, body := h.deviceLogin(dc.UserCode, adeleUPN, adelePassword, "approve"); !contains(body, "AADSTS50053") {
			t.Fatalf("%d %.300s", resp.StatusCode, body)
		}
	})
	t.Run("a tenant's lockout settings apply", func(t *testing.T) {
		h := newHarness(t, func(c *Config) {
			for _, tn := range c.Tenants {
				tn.Lockout = &Lockout{Threshold: 3, Duration: 5 * time.Minute}
			}
		})
		for i := range 3 {
			signIn(h, fmt.Sprintf("wrong-%d", i))
		}
		h.clock.Advance(time.Minute)
		if _, body := signIn(h, adelePassword); !contains(body, "AADSTS50053") {
			t.Fatalf("still locked after 1 of 5 minutes: %.300s", body)
		}
		h.clock.Advance(4 * time.Minute)
		if resp, body := signIn(h, adelePassword); resp.StatusCode != http.StatusFound {
			t.Fatalf("after 5 minutes: %d %.300s", resp.StatusCode, body)
		}
	})
}

func TestFixtureLockout(t *testing.T) {
	const head = "tenant:\n  id: 39150fda-e360-47ce-b98e-d9250ba6f8e8\n  name: Contoso\n  domains: [contoso.com]\n"
	const rest = "apps:\n  - name: App\n    clientId: 9c6fb39d-8205-4a69-8a44-e2bae12741d2\n    public: true\n"
	cases := []struct {
		name, lockout, wantErr string
		want                   *Lockout
	}{
		{"threshold and duration are read", "  lockout: {threshold: 5, duration: 120s}\n", "", &Lockout{Threshold: 5, Duration: 120 * time.Second}},
		{"no lockout means Entra's default", "", "", nil},
		{"a threshold of 0 is refused", "  lockout: {threshold: 0}\n", "tenant.lockout.threshold 0", nil},
		{"a duration in part seconds is refused", "  lockout: {duration: 1500ms}\n", "tenant.lockout.duration", nil},
		{"a duration without a unit is refused", "  lockout: {duration: 60}\n", "", nil},
		{"an unknown lockout key is refused", "  lockout: {treshold: 5}\n", "treshold", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tn, err := ParseTenant("t.yaml", []byte(head+c.lockout+rest), nil)
			if c.name == "a duration without a unit is refused" {
				if err == nil {
					t.Fatal("accepted")
				}
				return
			}
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (tn.Lockout == nil) != (c.want == nil) || (c.want != nil && *tn.Lockout != *c.want) {
				t.Fatalf("lockout = %+v, want %+v", tn.Lockout, c.want)
			}
		})
	}
}
