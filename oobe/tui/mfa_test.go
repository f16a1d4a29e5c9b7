package tui

import (
	"context"
	"encoding/base32"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/fixtures"
	"github.com/oobe-dev/oobe/internal/signinpage"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/tenant"
)

// The MFA steps as the page reads them from the simulated tenant.
var (
	codeStep = signinpage.MFAPrompt{Kind: signinpage.KindCode, Heading: "Enter code",
		Text: "Enter the code displayed in the authenticator app on your mobile device", Action: "Verify",
		Others: []signinpage.MFAOption{{Kind: signinpage.KindTAP, Label: "Use a Temporary Access Pass"}}}
	passkeyStep = signinpage.MFAPrompt{Kind: signinpage.KindPasskey, Heading: "Sign in with a passkey",
		Text: "Use your passkey, security key or Windows Hello to verify your identity.", Action: "Use passkey",
		Others: []signinpage.MFAOption{{Kind: signinpage.KindCode, Label: "Use a verification code"}}}
	noMethodStep = signinpage.MFAPrompt{Code: signinpage.CodeMFARegistration,
		Message: "AADSTS50079: Due to a configuration change made by your administrator, you must enroll in multi-factor authentication."}
)

// mfaPage is the page model after the password, at the MFA step pr.
func mfaPage(t *testing.T, pr signinpage.MFAPrompt) (*Model, *Ask) {
	t.Helper()
	m, clk := pageModel(t)
	a := setupAsk(m, clk, signInAsk(m))
	send(m, typedKeys(demoPassword)...)
	answers(t, a, send(m, press("enter")))
	posted(m)
	send(m, browserMsg{url: "http://127.0.0.1/authorize"}, pageMFAMsg{prompt: pr})
	return m, a
}

// submitted runs the commands of keys and returns what the screen handed the page.
func submitted(t *testing.T, m *Model, keys ...tea.Msg) credentials {
	t.Helper()
	for _, cmd := range send(m, keys...) {
		run(cmd)
	}
	c, ok := posted(m)
	if !ok {
		t.Fatalf("the keys posted nothing:\n%s", screenText(m))
	}
	return c
}

func TestTheMFAStepIsDrawnInEntrasWordsWithTheOtherWaysAndCancel(t *testing.T) {
	m, _ := mfaPage(t, codeStep)
	view := screenText(m)
	for _, want := range []string{"Enter code", "authenticator app", "Verify", "Sign in another way", "Use a Temporary Access Pass", "Cancel", demoUser} {
		if !strings.Contains(view, want) {
			t.Errorf("the MFA step does not show %q:\n%s", want, view)
		}
	}
	if !m.typing() {
		t.Error("the code field does not take '?' and 'q' as text")
	}
}

func TestTheCodeTypedIsVerified(t *testing.T) {
	m, a := mfaPage(t, codeStep)
	c := submitted(t, m, append(typedKeys("123456"), press("enter"))...)
	if c.mfa == nil || c.mfa.Code != "123456" || c.mfa.Passkey || c.mfa.TAP != "" {
		t.Fatalf("posted %+v, want the code", c)
	}
	if len(a.reply) != 0 {
		t.Fatal("verifying answered the sign-in question again")
	}
	if view := screenText(m); !strings.Contains(view, "Verifying") {
		t.Fatalf("while it verifies the screen shows:\n%s", view)
	}
}

func TestAWrongCodeIsShownAndTheStepStaysOpen(t *testing.T) {
	m, _ := mfaPage(t, codeStep)
	submitted(t, m, append(typedKeys("000000"), press("enter"))...)
	wrong := codeStep
	wrong.Code, wrong.Message = signinpage.CodeMFAFailed, "AADSTS500121: Authentication failed during strong authentication request."
	send(m, pageMFAMsg{prompt: wrong})
	view := screenText(m)
	for _, want := range []string{"AADSTS500121", "The code is wrong", "Enter code"} {
		if !strings.Contains(view, want) {
			t.Errorf("after a wrong code the step does not show %q:\n%s", want, view)
		}
	}
	if strings.Contains(view, "000000") {
		t.Errorf("the wrong code is still in its field:\n%s", view)
	}
	if c := submitted(t, m, append(typedKeys("654321"), press("enter"))...); c.mfa == nil || c.mfa.Code != "654321" {
		t.Fatalf("the retry posted %+v", c)
	}
}

func TestSignInAnotherWaySwitchesAndATAPIsMasked(t *testing.T) {
	m, _ := mfaPage(t, codeStep)
	if c := submitted(t, m, press("down"), press("enter")); c.other != signinpage.KindTAP {
		t.Fatalf("the other way's row posted %+v, want a switch to the pass", c)
	}
	send(m, pageMFAMsg{prompt: signinpage.MFAPrompt{Kind: signinpage.KindTAP, Heading: "Enter Temporary Access Pass", Action: "Sign in"}})
	send(m, typedKeys("Pass-1234")...)
	if view := screenText(m); strings.Contains(view, "Pass-1234") || !strings.Contains(view, "•••") {
		t.Fatalf("the pass is not masked:\n%s", view)
	}
	if c := submitted(t, m, press("enter")); c.mfa == nil || c.mfa.TAP != "Pass-1234" {
		t.Fatalf("posted %+v, want the pass", c)
	}
}

func TestThePasskeyButtonAnswersAsThePasskeyAndThePageSaysItIsSimulated(t *testing.T) {
	m, _ := mfaPage(t, passkeyStep)
	if view := screenText(m); !strings.Contains(view, "Use passkey") || !strings.Contains(view, "cannot run WebAuthn") {
		t.Fatalf("the passkey step shows:\n%s", view)
	}
	if c := submitted(t, m, press("enter")); c.mfa == nil || !c.mfa.Passkey {
		t.Fatalf("posted %+v, want the passkey", c)
	}
}

func TestEscAndCancelCancelTheMFAStep(t *testing.T) {
	m, _ := mfaPage(t, codeStep)
	if c := submitted(t, m, press("esc")); !c.giveUp {
		t.Fatalf("Esc posted %+v, want Cancel", c)
	}
	m, _ = mfaPage(t, noMethodStep)
	if view := screenText(m); !strings.Contains(view, "AADSTS50079") || !strings.Contains(view, "no method") {
		t.Fatalf("a step with no method shows:\n%s", view)
	}
	if c := submitted(t, m, press("enter")); !c.giveUp {
		t.Fatalf("Enter with only Cancel left posted %+v, want Cancel", c)
	}
}

func TestTheMFAStepGolden(t *testing.T) {
	wrong := codeStep
	wrong.Code, wrong.Message = signinpage.CodeMFAFailed, "AADSTS500121: Authentication failed during strong authentication request."
	for _, c := range []struct {
		name string
		pr   signinpage.MFAPrompt
	}{{"code", codeStep}, {"wrong-code", wrong}, {"passkey", passkeyStep}, {"no-method", noMethodStep}} {
		t.Run(c.name, func(t *testing.T) {
			m, _ := mfaPage(t, c.pr)
			golden(t, "setup-signin-mfa-"+c.name, m)
		})
	}
}

func TestTheStepUpPageOpensAgainWithoutTheOtherWays(t *testing.T) {
	m, _ := mfaPage(t, codeStep)
	send(m, askMsg{ask: &Ask{Stage: oobe.StageSignIn, StepUp: true}})
	view := screenText(m)
	for _, want := range []string{"Email or username", "sign in again", "esc give up"} {
		if !strings.Contains(view, want) {
			t.Errorf("the page opened again does not show %q:\n%s", want, view)
		}
	}
	if strings.Contains(view, "ctrl+e") {
		t.Errorf("the page opened again offers the other ways:\n%s", view)
	}
	if c := submitted(t, m, append(typedKeys(demoPassword), press("enter"))...); c.password != demoPassword {
		t.Fatalf("posted %+v", c)
	}
	send(m, pageMFAMsg{prompt: passkeyStep})
	if c := submitted(t, m, press("enter")); c.mfa == nil || !c.mfa.Passkey {
		t.Fatalf("posted %+v, want the passkey", c)
	}
}

// mfaTenant serves the demo tenant with Conditional Access requiring MFA and Adele holding an
// authenticator app with secret.
func mfaTenant(t *testing.T, secret string) (*auth.Client, *clock.Virtual) {
	t.Helper()
	tenants, err := tenant.LoadFixtures(fixtures.Demo())
	if err != nil {
		t.Fatal(err)
	}
	tenants[0].ConditionalAccess.RequireMFA = true
	for i := range tenants[0].Users {
		if strings.EqualFold(tenants[0].Users[i].UPN, demoUser) {
			tenants[0].Users[i].MFA = &tenant.MFAMethods{Authenticator: secret}
		}
	}
	vc := clock.NewVirtual(testStart)
	srv, err := tenant.New(tenant.Config{Tenants: tenants, Clock: vc})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); _ = srv.Close() })
	srv.SetBaseURL(ts.URL)
	ac, err := auth.New(context.Background(), auth.Config{Authority: ts.URL + "/39150fda-e360-47ce-b98e-d9250ba6f8e8",
		ClientID: "9c6fb39d-8205-4a69-8a44-e2bae12741d2", Clock: vc, Scopes: auth.DefaultScopes()})
	if err != nil {
		t.Fatal(err)
	}
	return ac, vc
}

// The person signs in on the tenant's page with requireMfa: the password, then the step's
// code (a wrong one first, which the step shows), and the page opens again for a second
// sign-in, as the prompt at eligibility opens it.
func TestThePersonAnswersTheTenantsMFAStepAndThePageOpensAgain(t *testing.T) {
	secret := base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))
	ac, vc := mfaTenant(t, secret)
	ps := newPageSession(&SignInPage{User: demoUser})
	ps.use = true
	var mu sync.Mutex
	var msgs []tea.Msg
	p := &person{page: ps, send: func(msg tea.Msg) {
		mu.Lock()
		msgs = append(msgs, msg)
		mu.Unlock()
		if pm, ok := msg.(pageMFAMsg); ok {
			code, _ := tenant.TOTP(secret, vc.Now())
			if pm.prompt.Code == 0 {
				code = wrongDigits(code)
			}
			ps.creds <- credentials{mfa: &signinpage.MFAAnswer{Code: code}}
		}
	}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour) // a bound for a hung test, not a limit
	defer cancel()
	for round := range 2 {
		ps.creds <- credentials{user: demoUser, password: demoPassword}
		res, err := ac.Browser(ctx, auth.BrowserOptions{Out: &strings.Builder{}, Open: func(u string) error { return p.Browser(ctx, u) }})
		if err != nil || !strings.EqualFold(res.Identity.UPN, demoUser) {
			t.Fatalf("sign-in %d: signed in as %v: %v", round+1, res, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	var steps, wrongs, stepUps int
	for _, msg := range msgs {
		switch msg := msg.(type) {
		case pageMFAMsg:
			steps++
			if msg.prompt.Code == signinpage.CodeMFAFailed {
				wrongs++
			}
		case pageFailedMsg, pageRefusedMsg:
			t.Errorf("the page said %+v", msg)
		case askMsg:
			if msg.ask.StepUp {
				stepUps++
			}
		}
	}
	if steps != 4 || wrongs != 2 || stepUps != 1 {
		t.Fatalf("%d MFA steps shown (%d with a wrong code), %d pages opened again; want 4, 2, 1", steps, wrongs, stepUps)
	}
}

// wrongDigits is a six-digit code that is not code nor its neighbours in time.
func wrongDigits(code string) string {
	b := []byte(code)
	for i, c := range b {
		b[i] = '0' + (c-'0'+5)%10
	}
	return string(b)
}
