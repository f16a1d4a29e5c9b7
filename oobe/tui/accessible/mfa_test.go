package accessible_test

import (
	"context"
	"encoding/base32"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/fixtures"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/oobe/live"
	"github.com/oobe-dev/oobe/oobe/tui/accessible"
	"github.com/oobe-dev/oobe/tenant"
)

const (
	demoPassword = "Restore-2026!"
	demoPass     = "Tap-7Q2M-9XKD"
)

// pageWorld is the world with the simulated demo tenant behind the sign-in page: Conditional
// Access requires MFA, and Adele has an authenticator app and a Temporary Access Pass.
func pageWorld(t *testing.T) *world {
	t.Helper()
	tenants, err := tenant.LoadFixtures(fixtures.Demo())
	if err != nil {
		t.Fatal(err)
	}
	tenants[0].ConditionalAccess.RequireMFA = true
	for i := range tenants[0].Users {
		if strings.EqualFold(tenants[0].Users[i].UPN, adele.UPN) {
			tenants[0].Users[i].MFA = &tenant.MFAMethods{Authenticator: base32.StdEncoding.EncodeToString([]byte("12345678901234567890")),
				TemporaryAccessPass: &tenant.TemporaryAccessPass{Pass: demoPass}}
		}
	}
	w := newWorld(t)
	srv, err := tenant.New(tenant.Config{Tenants: tenants, Clock: w.clock})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); _ = srv.Close() })
	srv.SetBaseURL(ts.URL)
	ac, err := auth.New(context.Background(), auth.Config{Authority: ts.URL + "/39150fda-e360-47ce-b98e-d9250ba6f8e8",
		ClientID: "9c6fb39d-8205-4a69-8a44-e2bae12741d2", Clock: w.clock, Scopes: auth.DefaultScopes()})
	if err != nil {
		t.Fatal(err)
	}
	w.cfg.SignIn = live.NewSignIn(ac, w.clock)
	w.opts.SignInPage = &accessible.SignInPage{User: adele.UPN}
	return w
}

func TestTheMFAStepIsAskedAfterThePasswordAndAnsweredWithAnotherWay(t *testing.T) {
	w := pageWorld(t)
	// Region, keyboard, no second keyboard, Ethernet, the page; the demo user, the password;
	// a wrong code, then another way: the pass; set up as a new PC.
	out, err := w.run(t, "1", "1", "1", "1", "1", "", demoPassword, "000000", "other", "1", demoPass, "3")
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, w.out.String())
	}
	if out.FinalStage != oobe.StageDesktop || !strings.EqualFold(out.User, adele.UPN) {
		t.Fatalf("final stage %s as %q\n%s", out.FinalStage, out.User, w.out.String())
	}
	said := w.out.String()
	for _, want := range []string{"Enter code", "The sign-in page says: You didn't enter the expected verification code", "Type other to sign in another way",
		"Sign in another way", "1. Use a Temporary Access Pass", "Temporary Access Pass: "} {
		if !strings.Contains(said, want) {
			t.Errorf("the output does not say %q:\n%s", want, said)
		}
	}
	for _, secret := range []string{demoPassword, demoPass, "000000"} {
		if strings.Contains(said, secret) {
			t.Errorf("the output shows the secret %q:\n%s", secret, said)
		}
	}
}

func TestCancelAtTheMFAStepEndsTheSignIn(t *testing.T) {
	w := pageWorld(t)
	out, err := w.run(t, "1", "1", "1", "1", "1", "", demoPassword, "cancel")
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, w.out.String())
	}
	if out.FinalStage != oobe.StageFailed || !strings.Contains(w.out.String(), "Signing in was cancelled.") {
		t.Fatalf("final stage %s (%s)\n%s", out.FinalStage, out.Error, w.out.String())
	}
}
