package signinpage_test

import (
	"context"
	"errors"
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

// The demo tenant's Adele, and the app she signs in to.
const (
	tenantID = "39150fda-e360-47ce-b98e-d9250ba6f8e8"
	clientID = "9c6fb39d-8205-4a69-8a44-e2bae12741d2"
	upn      = "adele.vance@contoso.com"
	password = "Restore-2026!"
)

// newClient serves the demo tenant on loopback and returns a sign-in client for it.
func newClient(t *testing.T) *auth.Client {
	t.Helper()
	tenants, err := tenant.LoadFixtures(fixtures.Demo())
	if err != nil {
		t.Fatal(err)
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
	return ac
}

// browse runs the real auth code + PKCE flow with page playing the browser.
func browse(t *testing.T, mode, hint string, page func(ctx context.Context, url string) error) (*auth.Result, error, error) {
	t.Helper()
	ac := newClient(t)
	var pageErr error
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := ac.Browser(ctx, auth.BrowserOptions{Out: &strings.Builder{}, ResponseMode: mode, LoginHint: hint, Open: func(u string) error {
		pageErr = page(ctx, u)
		if pageErr != nil {
			cancel() // nobody will come back to the app
		}
		return nil
	}})
	return res, err, pageErr
}

func TestSigningInOnThePageSignsTheAppIn(t *testing.T) {
	for _, mode := range []string{auth.ResponseModeQuery, auth.ResponseModeFormPost} {
		t.Run(mode, func(t *testing.T) {
			res, err, pageErr := browse(t, mode, "", func(ctx context.Context, u string) error {
				return signinpage.SignIn(ctx, nil, u, upn, password)
			})
			if pageErr != nil || err != nil {
				t.Fatalf("the page: %v; the app: %v", pageErr, err)
			}
			if !strings.EqualFold(res.Identity.UPN, upn) || res.AccessToken == "" {
				t.Fatalf("signed in as %q", res.Identity.UPN)
			}
		})
	}
}

func TestThePageBrandsItselfAndPrefillsTheHint(t *testing.T) {
	_, _, pageErr := browse(t, "", upn, func(ctx context.Context, u string) error {
		p, err := signinpage.Open(ctx, nil, u)
		if err != nil {
			return err
		}
		if p.Tenant != "Contoso" || p.Username != upn || p.App == "" {
			t.Errorf("page branded %q for app %q, prefilled %q", p.Tenant, p.App, p.Username)
		}
		return p.SignIn(ctx, upn, password)
	})
	if pageErr != nil {
		t.Fatal(pageErr)
	}
}

func TestAWrongPasswordIsRefusedAndTheSamePageTakesTheRightOne(t *testing.T) {
	res, err, pageErr := browse(t, "", "", func(ctx context.Context, u string) error {
		p, err := signinpage.Open(ctx, nil, u)
		if err != nil {
			return err
		}
		err = p.SignIn(ctx, upn, "not-"+password)
		var re *signinpage.RefusedError
		if !errors.As(err, &re) || re.Code != signinpage.CodeBadPassword || re.Status != 400 ||
			!strings.HasPrefix(re.Message, "AADSTS50126: ") || strings.Contains(re.Text(), "AADSTS") || !strings.Contains(err.Error(), re.Message) {
			t.Errorf("a wrong password: %#v (%v), want AADSTS50126 on HTTP 400", re, err)
		}
		return p.SignIn(ctx, upn, password)
	})
	if pageErr != nil || err != nil {
		t.Fatalf("the retry: %v; the app: %v", pageErr, err)
	}
	if !strings.EqualFold(res.Identity.UPN, upn) {
		t.Fatalf("signed in as %q", res.Identity.UPN)
	}
}

func TestTheRefusalsCarryThePagesEntraError(t *testing.T) {
	cases := []struct {
		name     string
		user, pw string
		aadsts   int
	}{
		{name: "a wrong password", user: upn, pw: "not-" + password, aadsts: signinpage.CodeBadPassword},
		{name: "a user the tenant does not have", user: "nobody@contoso.com", pw: password, aadsts: signinpage.CodeUnknownUser},
		{name: "no password", user: upn, aadsts: signinpage.CodeMissingInput},
		{name: "no username", pw: password, aadsts: signinpage.CodeMissingInput},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, pageErr := browse(t, "", "", func(ctx context.Context, u string) error {
				return signinpage.SignIn(ctx, nil, u, c.user, c.pw)
			})
			if !signinpage.IsRefused(pageErr, c.aadsts) || !signinpage.IsRefused(pageErr, 0) || signinpage.IsRefused(pageErr, 1) {
				t.Fatalf("got %v, want AADSTS%d", pageErr, c.aadsts)
			}
		})
	}
}

func TestCancelTellsTheAppTheUserDeclined(t *testing.T) {
	_, err, pageErr := browse(t, "", "", func(ctx context.Context, u string) error {
		p, err := signinpage.Open(ctx, nil, u)
		if err != nil {
			return err
		}
		return p.Cancel(ctx)
	})
	var se *auth.SignInError
	if pageErr != nil || !errors.As(err, &se) || se.AADSTS != 65004 {
		t.Fatalf("the page: %v; the app: %v, want AADSTS65004", pageErr, err)
	}
}

func TestAPageWithoutItsFormIsRefused(t *testing.T) {
	_, _, pageErr := browse(t, "", "", func(ctx context.Context, u string) error {
		// The same request for another app: the page shows its error, not its form.
		return signinpage.SignIn(ctx, nil, strings.Replace(u, clientID, "00000000-0000-0000-0000-000000000001", 1), upn, password)
	})
	var re *signinpage.RefusedError
	if !errors.As(pageErr, &re) || re.Code == 0 || re.Status != 400 {
		t.Fatalf("got %v, want the error page's AADSTS code", pageErr)
	}
}
