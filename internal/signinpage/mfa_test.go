package signinpage_test

import (
	"context"
	"encoding/base32"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/fixtures"
	"github.com/oobe-dev/oobe/internal/signinpage"
	"github.com/oobe-dev/oobe/tenant"
)

var secret = base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))

// mfaBrowse serves the demo tenant with Conditional Access requiring MFA and Adele holding an
// authenticator and a passkey, and runs the auth code flow with page playing the browser.
func mfaBrowse(t *testing.T, page func(ctx context.Context, url string, now func() time.Time) error) error {
	t.Helper()
	tenants, err := tenant.LoadFixtures(fixtures.Demo())
	if err != nil {
		t.Fatal(err)
	}
	tenants[0].ConditionalAccess.RequireMFA = true
	for i := range tenants[0].Users {
		if tenants[0].Users[i].UPN == upn {
			tenants[0].Users[i].MFA = &tenant.MFAMethods{Authenticator: secret, Passkey: true}
		}
	}
	vc := clock.NewVirtual(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))
	srv, err := tenant.New(tenant.Config{Tenants: tenants, Clock: vc})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); _ = srv.Close() })
	srv.SetBaseURL(ts.URL)
	ac, err := auth.New(context.Background(), auth.Config{Authority: ts.URL + "/" + tenantID, ClientID: clientID, Clock: vc, Scopes: auth.DefaultScopes()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var pageErr error
	_, err = ac.Browser(ctx, auth.BrowserOptions{Out: &strings.Builder{}, Open: func(u string) error {
		pageErr = page(ctx, u, vc.Now)
		if pageErr != nil {
			cancel()
		}
		return nil
	}})
	if pageErr != nil {
		return pageErr
	}
	return err
}

func TestSignInExposesTheMFAStepAndVerifiesTheCode(t *testing.T) {
	err := mfaBrowse(t, func(ctx context.Context, url string, now func() time.Time) error {
		pg, err := signinpage.Open(ctx, nil, url)
		if err != nil {
			return err
		}
		err = pg.SignIn(ctx, upn, password)
		if !signinpage.IsMFARequired(err) {
			t.Fatalf("SignIn = %v, want the MFA step", err)
		}
		pr := pg.MFA()
		if pr.Kind != signinpage.KindCode || pr.Heading != "Enter code" || pr.Action != "Verify" || !strings.Contains(pr.Text, "authenticator app") {
			t.Fatalf("prompt = %+v", pr)
		}
		if len(pr.Others) != 1 || pr.Others[0].Kind != signinpage.KindPasskey {
			t.Fatalf("others = %+v, want the passkey", pr.Others)
		}
		code, _ := tenant.TOTP(secret, now())
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		if err := pg.Verify(ctx, signinpage.MFAAnswer{Code: wrong}); !signinpage.IsRefused(err, signinpage.CodeMFAFailed) {
			t.Fatalf("a wrong code = %v, want AADSTS500121", err)
		}
		if pg.MFA() == nil || pg.MFA().Code != signinpage.CodeMFAFailed {
			t.Fatalf("after a wrong code the step shows %+v", pg.MFA())
		}
		return pg.Verify(ctx, signinpage.MFAAnswer{Code: code})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSignInSwitchesToThePasskey(t *testing.T) {
	err := mfaBrowse(t, func(ctx context.Context, url string, _ func() time.Time) error {
		pg, err := signinpage.Open(ctx, nil, url)
		if err != nil {
			return err
		}
		if err := pg.SignIn(ctx, upn, password); !signinpage.IsMFARequired(err) {
			t.Fatalf("SignIn = %v", err)
		}
		if err := pg.Switch(ctx, signinpage.KindPasskey); err != nil {
			return err
		}
		if pr := pg.MFA(); pr.Kind != signinpage.KindPasskey || pr.Heading != "Sign in with a passkey" {
			t.Fatalf("after switching: %+v", pr)
		}
		if err := pg.Verify(ctx, signinpage.MFAAnswer{}); !signinpage.IsRefused(err, signinpage.CodeMFAFailed) {
			t.Fatalf("a passkey that does not answer = %v", err)
		}
		return pg.Verify(ctx, signinpage.MFAAnswer{Passkey: true})
	})
	if err != nil {
		t.Fatal(err)
	}
}
