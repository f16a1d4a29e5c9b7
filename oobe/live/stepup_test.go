package live_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/internal/signinpage"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/oobe/live"
	"github.com/oobe-dev/oobe/restore"
	"github.com/oobe-dev/oobe/tenant"
)

// withPasskeyDemand has Contoso demand phishing-resistant MFA for the restore experience app,
// and gives Adele a passkey.
func withPasskeyDemand(tn *tenant.Tenant) {
	tn.ConditionalAccess.RequirePhishingResistantMFA = true
	tn.Users = slices.Clone(tn.Users)
	for i := range tn.Users {
		if tn.Users[i].UPN == adeleUPN {
			tn.Users[i].MFA = &tenant.MFAMethods{Passkey: true}
		}
	}
}

// browserSignIn signs Adele in with the browser; player answers each sign-in page after the
// password: the setup sign-in's (none) and the prompt's.
func (s *sim) browserSignIn(t *testing.T, passkey bool, pages *int) (*live.SignIn, *oobe.Session) {
	t.Helper()
	c, err := auth.New(context.Background(), auth.Config{Authority: s.srv.Authority(contosoID), ClientID: contosoClient,
		Scopes: live.GraphScopes(), Clock: s.clock})
	if err != nil {
		t.Fatal(err)
	}
	si := live.NewSignIn(c, s.clock)
	sess, err := si.Browser(context.Background(), func(u string) error {
		*pages++
		ctx := context.Background()
		pg, err := signinpage.Open(ctx, nil, u)
		if err != nil {
			return err
		}
		if *pages > 1 && pg.Username != adeleUPN {
			t.Errorf("the prompt's page prefills %q, want %s", pg.Username, adeleUPN)
		}
		err = pg.SignIn(ctx, adeleUPN, adelePassword)
		if !signinpage.IsMFARequired(err) {
			return err
		}
		if k := pg.MFA().Kind; k != signinpage.KindPasskey {
			t.Errorf("the prompt asks for %q, want the passkey", k)
		}
		if err := pg.Verify(ctx, signinpage.MFAAnswer{Passkey: passkey}); err != nil {
			_ = pg.Cancel(ctx) // the person gives up: no passkey reaches this device
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return si, sess
}

func TestAPhishingResistantDemandIsAPromptThePasskeySatisfies(t *testing.T) {
	s := newSim(t, 0, withPasskeyDemand)
	pages := 0
	si, sess := s.browserSignIn(t, true, &pages)
	c := s.cloud(t, si, sess)
	if err := c.RestoreAccess(context.Background()); err != nil {
		t.Fatalf("restore access after the passkey prompt: %v", err)
	}
	if pages != 2 {
		t.Errorf("the sign-in page was opened %d times, want 2 (setup's sign-in and the prompt)", pages)
	}
	// The new session's strength stays: asking again needs no prompt.
	if err := c.RestoreAccess(context.Background()); err != nil || pages != 2 {
		t.Fatalf("restore access again: %v, pages %d", err, pages)
	}
	if _, err := c.BackupProfiles(context.Background()); err != nil {
		t.Fatalf("Graph after the prompt: %v", err)
	}
}

func TestAPromptWithoutAPasskeyLeavesTheDemandStanding(t *testing.T) {
	s := newSim(t, 0, withPasskeyDemand)
	pages := 0
	si, sess := s.browserSignIn(t, false, &pages)
	c := s.cloud(t, si, sess)
	err := c.RestoreAccess(context.Background())
	var se *auth.SignInError
	if !errors.As(err, &se) || se.AADSTS != 50076 || !strings.Contains(err.Error(), "the prompt on this device failed") {
		t.Fatalf("restore access = %v, want AADSTS50076 after a failed prompt", err)
	}
	if a, ok := oobe.RestoreAccessRefusal(err); !ok || a != (restore.Access{PhishingResistantMFA: true}) {
		t.Fatalf("the flow reads %+v, %v", a, ok)
	}
	if _, err := c.BackupProfiles(context.Background()); err != nil {
		t.Fatalf("Graph after the failed prompt: %v", err)
	}
}
