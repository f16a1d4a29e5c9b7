package tui

import (
	"context"
	"errors"
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

const (
	demoUser     = "adele.vance@contoso.com"
	demoPassword = "Restore-2026!"
)

// pageModel is a test model with the branded page on, prefilled with the demo user.
func pageModel(t *testing.T) (*Model, *clock.Virtual) {
	t.Helper()
	m, clk := testModel(t)
	m.actions.SignInPage = &SignInPage{User: demoUser}
	m.actions.page = newPageSession(m.actions.SignInPage)
	return m, clk
}

// typedKeys are the key presses that type s.
func typedKeys(s string) []tea.Msg {
	var out []tea.Msg
	for _, r := range s {
		out = append(out, press(string(r)))
	}
	return out
}

// posted is what the screen handed the person, if anything.
func posted(m *Model) (credentials, bool) {
	select {
	case c := <-m.actions.page.creds:
		return c, true
	default:
		return credentials{}, false
	}
}

func TestTheSignInPageIsTheDefaultOnTheSimulatedTenant(t *testing.T) {
	m, clk := pageModel(t)
	setupAsk(m, clk, signInAsk(m))
	view := screenText(m)
	for _, want := range []string{"Sign in", "Contoso", "Sign in with your Contoso work or school account.", demoUser, "ctrl+e", "ctrl+b"} {
		if !strings.Contains(view, want) {
			t.Errorf("the page does not show %q:\n%s", want, view)
		}
	}
	if strings.Contains(view, "Sign in with a code on another device") {
		t.Errorf("the page opens on the method list:\n%s", view)
	}
}

func TestSigningInOnThePagePostsTheTypedPasswordAndShowsItMasked(t *testing.T) {
	m, clk := pageModel(t)
	a := setupAsk(m, clk, signInAsk(m))
	send(m, typedKeys("q?"+demoPassword)...) // q and ? are typed, not quit or help
	if view := screenText(m); strings.Contains(view, demoPassword) || !strings.Contains(view, "•••") {
		t.Fatalf("the password is not masked:\n%s", view)
	}
	got := answers(t, a, send(m, press("enter")))
	if len(got) != 1 || got[0].Method != oobe.SignInPage || !got[0].Page {
		t.Fatalf("answers %+v, want one sign-in on the page", got)
	}
	c, ok := posted(m)
	if !ok || c.user != demoUser || c.password != "q?"+demoPassword || c.giveUp {
		t.Fatalf("posted %+v (%v)", c, ok)
	}
	send(m, browserMsg{url: "http://127.0.0.1/x/oauth2/v2.0/authorize?state=s"})
	if view := screenText(m); !strings.Contains(view, "Signing you in") || strings.Contains(view, "Continue in your browser") {
		t.Fatalf("after Enter the screen shows:\n%s", view)
	}
}

func TestAWrongPasswordIsShownAsEntraWordsItAndTheUserRetries(t *testing.T) {
	m, clk := pageModel(t)
	a := setupAsk(m, clk, signInAsk(m))
	send(m, typedKeys("wrong")...)
	answers(t, a, send(m, press("enter")))
	posted(m)
	send(m, browserMsg{url: "http://127.0.0.1/authorize"},
		pageRefusedMsg{err: &signinpage.RefusedError{Status: 400, Code: 50126,
			Message: "AADSTS50126: Error validating credentials due to invalid username or password."}})
	view := screenText(m)
	for _, want := range []string{"AADSTS50126: Error validating credentials due to invalid username or password.", "The password is wrong", "esc give up"} {
		if !strings.Contains(view, want) {
			t.Errorf("after the refusal the page does not show %q:\n%s", want, view)
		}
	}
	if strings.Contains(view, "│ •") {
		t.Errorf("the refused password is still in its field:\n%s", view)
	}
	send(m, typedKeys(demoPassword)...)
	for _, cmd := range send(m, press("enter")) {
		run(cmd)
	}
	if c, ok := posted(m); !ok || c.password != demoPassword || c.user != demoUser {
		t.Fatalf("the retry posted %+v (%v)", c, ok)
	}
	if len(a.reply) != 0 {
		t.Fatal("the retry answered the sign-in question again")
	}
}

func TestEscAfterARefusalGivesUp(t *testing.T) {
	m, clk := pageModel(t)
	a := setupAsk(m, clk, signInAsk(m))
	answers(t, a, send(m, press("x"), press("enter")))
	posted(m)
	send(m, pageRefusedMsg{err: &signinpage.RefusedError{Status: 400, Code: 50126, Message: "AADSTS50126: Error validating credentials due to invalid username or password."}})
	for _, cmd := range send(m, press("esc")) {
		run(cmd)
	}
	if c, ok := posted(m); !ok || !c.giveUp {
		t.Fatalf("Esc after a refusal posted %+v (%v), want giving up", c, ok)
	}
}

func TestTheDeviceCodeAndTheBrowserAreOneKeyAwayAndThePageIsOneKeyBack(t *testing.T) {
	m, clk := pageModel(t)
	a := setupAsk(m, clk, signInAsk(m))
	send(m, typedKeys("pw")...)
	send(m, press("esc"))
	view := screenText(m)
	if !strings.Contains(view, "Sign in with a code on another device") || !strings.Contains(view, "Sign in with a web browser on this PC") {
		t.Fatalf("Esc on the page does not list the other ways:\n%s", view)
	}
	send(m, press("esc"))
	if view := screenText(m); !strings.Contains(view, "Email or username") || !strings.Contains(view, "••") {
		t.Fatalf("Esc on the list does not go back to the page as it was:\n%s", view)
	}
	send(m, press("esc"), press("down"))
	if got := answers(t, a, send(m, press("enter"))); len(got) != 1 || got[0].Method != oobe.SignInDeviceCode || got[0].Page {
		t.Fatalf("the list's code row answered %+v", got)
	}
	for _, c := range []struct {
		key  string
		want oobe.SignInMethod
	}{{"ctrl+e", oobe.SignInDeviceCode}, {"ctrl+b", oobe.SignInBrowser}} {
		m, clk := pageModel(t)
		a := setupAsk(m, clk, signInAsk(m))
		if got := answers(t, a, send(m, press(c.key))); len(got) != 1 || got[0].Method != c.want || got[0].Page {
			t.Errorf("%s on the page answered %+v, want %s", c.key, got, c.want)
		}
		if _, ok := posted(m); ok {
			t.Errorf("%s posted credentials", c.key)
		}
	}
}

func TestWithoutThePageOnlyTheCodeAndTheBrowserAreOffered(t *testing.T) {
	m, clk := testModel(t) // a real tenant, or a pilot: no page session
	a := setupAsk(m, clk, signInAsk(m))
	if view := screenText(m); strings.Contains(view, "Email or username") || strings.Contains(view, "Sign in here") {
		t.Fatalf("the page is offered without a page session:\n%s", view)
	}
	if got := answers(t, a, send(m, press("ctrl+e"), press("enter"))); len(got) != 1 || got[0].Method != oobe.SignInDeviceCode {
		t.Fatalf("answers %+v", got)
	}
}

func TestSignInPageGolden(t *testing.T) {
	cases := []struct {
		name  string
		setup func(m *Model, clk *clock.Virtual)
	}{
		{"signin-page", func(m *Model, clk *clock.Virtual) { setupAsk(m, clk, signInAsk(m)) }},
		{"signin-page-refused", func(m *Model, clk *clock.Virtual) {
			a := setupAsk(m, clk, signInAsk(m))
			answers(t, a, send(m, press("x"), press("enter")))
			send(m, pageRefusedMsg{err: &signinpage.RefusedError{Status: 400, Code: 50126, Message: "AADSTS50126: Error validating credentials due to invalid username or password."}})
		}},
		{"signin-page-other-ways", func(m *Model, clk *clock.Virtual) {
			setupAsk(m, clk, signInAsk(m))
			send(m, press("esc"))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, clk := pageModel(t)
			c.setup(m, clk)
			golden(t, "setup-"+c.name, m)
		})
	}
}

// The person plays the page's browser against a real tenant: a wrong password is refused and
// shown, the retry signs in.
func TestThePersonSignsInOnTheTenantsPageAndRetriesAfterARefusal(t *testing.T) {
	tenants, err := tenant.LoadFixtures(fixtures.Demo())
	if err != nil {
		t.Fatal(err)
	}
	vc := clock.NewVirtual(testStart)
	srv, err := tenant.New(tenant.Config{Tenants: tenants, Clock: vc})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer func() { ts.Close(); _ = srv.Close() }()
	srv.SetBaseURL(ts.URL)
	ac, err := auth.New(context.Background(), auth.Config{Authority: ts.URL + "/39150fda-e360-47ce-b98e-d9250ba6f8e8",
		ClientID: "9c6fb39d-8205-4a69-8a44-e2bae12741d2", Clock: vc, Scopes: auth.DefaultScopes()})
	if err != nil {
		t.Fatal(err)
	}
	ps := newPageSession(&SignInPage{User: demoUser})
	var mu sync.Mutex
	var msgs []tea.Msg
	p := &person{page: ps, send: func(msg tea.Msg) {
		mu.Lock()
		msgs = append(msgs, msg)
		mu.Unlock()
		if _, ok := msg.(pageRefusedMsg); ok {
			ps.creds <- credentials{user: demoUser, password: demoPassword}
		}
	}}
	ps.use = true
	ps.creds <- credentials{user: demoUser, password: "not-" + demoPassword}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour) // a bound for a hung test, not a limit
	defer cancel()
	res, err := ac.Browser(ctx, auth.BrowserOptions{Out: &strings.Builder{}, Open: func(u string) error { return p.Browser(ctx, u) }})
	if err != nil || !strings.EqualFold(res.Identity.UPN, demoUser) {
		t.Fatalf("signed in as %v: %v", res, err)
	}
	mu.Lock()
	defer mu.Unlock()
	var refusals int
	for _, msg := range msgs {
		if r, ok := msg.(pageRefusedMsg); ok {
			refusals++
			if r.err.Code != signinpage.CodeBadPassword {
				t.Errorf("refused with %v", r.err)
			}
		}
	}
	if refusals != 1 {
		t.Fatalf("%d refusals shown, want 1 (%v)", refusals, msgs)
	}
}

func TestGivingUpEndsTheSignInWithEntrasRefusal(t *testing.T) {
	err := gaveUp(&signinpage.RefusedError{Code: 50126, Message: "AADSTS50126: Error validating credentials due to invalid username or password."})
	var se *auth.SignInError
	if !errors.As(err, &se) || se.AADSTS != 50126 || !strings.Contains(err.Error(), "AADSTS50126: Error validating credentials") {
		t.Fatalf("giving up: %v", err)
	}
}
