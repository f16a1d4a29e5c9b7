package live_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/fixtures"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/oobe/live"
	"github.com/oobe-dev/oobe/restore"
	"github.com/oobe-dev/oobe/restore/apply"
	"github.com/oobe-dev/oobe/restore/device"
	"github.com/oobe-dev/oobe/restore/profile"
	"github.com/oobe-dev/oobe/tenant"
)

// These tests run the adapters against the simulated tenant over loopback HTTP, with the
// client and the tenant on one virtual clock.

const (
	contosoID     = "39150fda-e360-47ce-b98e-d9250ba6f8e8"
	contosoClient = "9c6fb39d-8205-4a69-8a44-e2bae12741d2"
	adeleUPN      = "adele.vance@contoso.com"
	adelePassword = "Restore-2026!"
)

type sim struct {
	srv   *tenant.Server
	url   string
	clock *clock.Virtual
}

// newSim serves the demo tenants, with edit applied to Contoso first.
func newSim(t *testing.T, lifetime time.Duration, edit func(*tenant.Tenant)) *sim {
	t.Helper()
	tenants, err := tenant.LoadFixtures(fixtures.Demo())
	if err != nil {
		t.Fatal(err)
	}
	for i, tn := range tenants {
		if tn.ID == contosoID && edit != nil {
			c := *tn
			edit(&c)
			tenants[i] = &c
		}
	}
	vc := clock.NewVirtual(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))
	srv, err := tenant.New(tenant.Config{Tenants: tenants, Clock: vc, AccessTokenLifetime: lifetime})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); _ = srv.Close() })
	srv.SetBaseURL(hs.URL)
	return &sim{srv: srv, url: hs.URL, clock: vc}
}

func (s *sim) signIn(t *testing.T) (*live.SignIn, *oobe.Session) {
	t.Helper()
	c, err := auth.New(context.Background(), auth.Config{Authority: s.srv.Authority(contosoID), ClientID: contosoClient,
		Scopes: live.GraphScopes(), Clock: s.clock})
	if err != nil {
		t.Fatal(err)
	}
	si := live.NewSignIn(c, s.clock)
	sess, err := si.DeviceCode(context.Background(), func(p auth.DeviceCodePrompt) {
		resp, err := http.PostForm(p.VerificationURI, url.Values{"user_code": {p.UserCode}, "username": {adeleUPN}, "password": {adelePassword}, "action": {"approve"}})
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
	return si, sess
}

func (s *sim) cloud(t *testing.T, si *live.SignIn, sess *oobe.Session) oobe.Cloud {
	t.Helper()
	c, err := si.Connect(live.CloudConfig{GraphURL: s.url})(context.Background(), sess)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTheCloudReadsTheTenantAsTheRestorePageDoes(t *testing.T) {
	s := newSim(t, 0, nil)
	si, sess := s.signIn(t)
	if sess.Identity.UPN != adeleUPN || sess.Expiry.IsZero() {
		t.Fatalf("session %+v", sess)
	}
	c := s.cloud(t, si, sess)
	ctx := context.Background()
	if state, err := c.RestorePageState(ctx); err != nil || state != tenant.RestoreEnabled {
		t.Fatalf("restore page state %q, %v", state, err)
	}
	if err := c.RestoreAccess(ctx); err != nil {
		t.Fatalf("restore access without Conditional Access: %v", err)
	}
	profiles, err := c.BackupProfiles(ctx)
	if err != nil || len(profiles) != 3 || profiles[0].DeviceName != "ADELE-SURFACE" || profiles[0].Content == nil {
		t.Fatalf("backups %+v, %v", profiles, err)
	}
	err = c.ReportRestore(ctx, backup.RestoreResult{WindowsDeviceID: "f7773c63-33ce-49d7-bc1e-8d340efdb52c", Status: backup.StatusSetupAsNew, ReportedDateTime: s.clock.Now()})
	if err != nil {
		t.Fatalf("reporting: %v", err)
	}
}

func TestConditionalAccessRefusalsComeBackAsEntraAnswered(t *testing.T) {
	cases := []struct {
		name   string
		ca     tenant.ConditionalAccess
		aadsts int
		access restore.Access
	}{
		{"a policy blocking the restore app", tenant.ConditionalAccess{BlockRestoreApp: true}, 53003, restore.Access{Blocked: true}},
		{"phishing-resistant MFA demanded", tenant.ConditionalAccess{RequirePhishingResistantMFA: true}, 50076, restore.Access{PhishingResistantMFA: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, 0, func(tn *tenant.Tenant) { tn.ConditionalAccess = tc.ca })
			si, sess := s.signIn(t)
			c := s.cloud(t, si, sess)
			err := c.RestoreAccess(context.Background())
			var se *auth.SignInError
			if !errors.As(err, &se) || se.AADSTS != tc.aadsts {
				t.Fatalf("err = %v, want AADSTS%d", err, tc.aadsts)
			}
			if a, ok := oobe.RestoreAccessRefusal(err); !ok || a != tc.access {
				t.Fatalf("the flow reads it as %+v (%v), want %+v", a, ok, tc.access)
			}
			// A refusal leaves the sign-in usable: Graph still answers, after a refresh too.
			s.clock.Advance(2 * time.Hour)
			if _, err := c.BackupProfiles(context.Background()); err != nil {
				t.Fatalf("Graph after the refusal and a refresh: %v", err)
			}
		})
	}
}

func TestAnExpiredTokenIsRefreshedOnTheFlowsClock(t *testing.T) {
	s := newSim(t, 10*time.Minute, nil)
	si, sess := s.signIn(t)
	if got := sess.Expiry.Sub(s.clock.Now()); got != 10*time.Minute {
		t.Fatalf("token lifetime %s, want the tenant's 10m", got)
	}
	ctx := context.Background()
	first, err := si.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := si.Token(ctx); again != first {
		t.Fatal("a valid token was refreshed")
	}
	s.clock.Advance(15 * time.Minute)
	second, err := si.Token(ctx)
	if err != nil || second == first {
		t.Fatalf("after expiry: refreshed %v, err %v", second != first, err)
	}
	// The restore app's token rotates the refresh token; the next refresh must use the new one.
	c := s.cloud(t, si, sess)
	if err := c.RestoreAccess(ctx); err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(15 * time.Minute)
	if _, err := c.BackupProfiles(ctx); err != nil {
		t.Fatalf("Graph after the refresh token was rotated by the restore app's token: %v", err)
	}
}

func TestABrowserSignInThePersonGivesUpOnEndsWithTheirError(t *testing.T) {
	s := newSim(t, 0, nil)
	c, err := auth.New(context.Background(), auth.Config{Authority: s.srv.Authority(contosoID), ClientID: contosoClient, Clock: s.clock})
	if err != nil {
		t.Fatal(err)
	}
	gaveUp := errors.New("the person closed the browser")
	done := make(chan error, 1)
	go func() {
		_, err := live.NewSignIn(c, s.clock).Browser(context.Background(), func(string) error { return gaveUp })
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, gaveUp) {
			t.Fatalf("err = %v, want the person's", err)
		}
	case <-time.After(2 * time.Minute): // a bound for a hung test, not a speed
		t.Fatal("the sign-in kept waiting for a redirect after the person gave up")
	}
}

func TestConnectRefusesASessionItDidNotSignIn(t *testing.T) {
	s := newSim(t, 0, nil)
	si, sess := s.signIn(t)
	other := *sess
	other.Identity.ObjectID = "40a2e42e-10b0-4577-8b7e-4cd6017fc9e4"
	if _, err := si.Connect(live.CloudConfig{GraphURL: s.url})(context.Background(), &other); err == nil {
		t.Fatal("Connect took another user's session")
	}
	c, _ := auth.New(context.Background(), auth.Config{Authority: s.srv.Authority(contosoID), ClientID: contosoClient, Clock: s.clock})
	if _, err := live.NewSignIn(c, s.clock).Connect(live.CloudConfig{GraphURL: s.url})(context.Background(), sess); err == nil {
		t.Fatal("Connect worked before anyone signed in")
	}
}

func TestTheDeviceAppliesItsOwnersBackupOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pc")
	p := profile.DeviceProfile{OS: "10.0.22631.4317", Edition: "Enterprise", Join: profile.JoinEntra, Provisioning: profile.ProvisioningUserDriven,
		Name: "NEW-PC", DeviceID: "f7773c63-33ce-49d7-bc1e-8d340efdb52c"}
	if _, err := device.Init(dir, device.State{Profile: p}); err != nil {
		t.Fatal(err)
	}
	d, err := live.OpenDevice(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.Profile().Name != "NEW-PC" || d.Dir() != dir {
		t.Fatalf("profile %+v", d.Profile())
	}
	owner := backup.Owner{TenantID: contosoID, ObjectID: "6f162abf-414f-4b42-bd2a-7ff532bb3859"}
	content := &backup.Content{Version: backup.ContentVersion, Owner: owner, SourceOSVersion: "10.0.22631.4317", DeviceName: "OLD-PC",
		Settings: []backup.Setting{{Category: backup.CategoryPersonalization, Name: "theme", Value: []byte(`"dark"`)}},
		WiFi:     []backup.WiFiNetwork{}, StoreApps: []backup.StoreApp{}, StartPins: []backup.Pin{}, TaskbarPins: []backup.Pin{}}
	if err := content.Seal(); err != nil {
		t.Fatal(err)
	}
	other := backup.Owner{TenantID: contosoID, ObjectID: "f283827e-4138-4cc2-bcac-107ab083d078"}
	if _, err := d.Apply(context.Background(), content, other); !errors.Is(err, apply.ErrNotOwner) {
		t.Fatalf("another user's apply: %v, want ErrNotOwner", err)
	}
	rep, err := d.Apply(context.Background(), content, owner)
	if err != nil || rep.Counts.Applied != 2 {
		t.Fatalf("report %+v, %v", rep, err)
	}
	after, _ := device.Open(dir)
	if after.State.Profile.Name != "OLD-PC" || !strings.Contains(string(after.State.Settings["personalization"]["theme"]), "dark") {
		t.Fatalf("device after the restore: %+v", after.State.Profile)
	}
}

func TestADeviceFromInitIsTheOneOpenReads(t *testing.T) {
	cases := []struct {
		name    string
		profile profile.DeviceProfile
	}{
		{"a user-driven Windows 11 PC", profile.DeviceProfile{OS: "10.0.26100.4946", Edition: "Enterprise", Join: profile.JoinEntra,
			Provisioning: profile.ProvisioningUserDriven, Name: "NEW-PC", DeviceID: "f7773c63-33ce-49d7-bc1e-8d340efdb52c"}},
		{"a hybrid-joined Windows 10 PC", profile.DeviceProfile{OS: "10.0.19045.6216", Edition: "Pro", Join: profile.JoinHybrid, Name: "OLD-DESK",
			Provisioning: profile.ProvisioningUserDriven, DeviceID: "0b4f2f9e-4c1a-4f3e-9d7e-2a6c8b1e5f40"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "pc")
			created, err := device.Init(dir, device.State{Profile: c.profile})
			if err != nil {
				t.Fatal(err)
			}
			opened, err := live.OpenDevice(dir)
			if err != nil {
				t.Fatal(err)
			}
			d := live.NewDevice(created)
			if d.Dir() != opened.Dir() || d.Profile() != opened.Profile() {
				t.Fatalf("from Init: %s %+v; from the directory: %s %+v", d.Dir(), d.Profile(), opened.Dir(), opened.Profile())
			}
		})
	}
}
