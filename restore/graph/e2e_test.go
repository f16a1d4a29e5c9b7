package graph_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/fixtures"
	"github.com/oobe-dev/oobe/internal/devicelogin"
	"github.com/oobe-dev/oobe/restore/graph"
	"github.com/oobe-dev/oobe/tenant"
)

// These list backups through the real client from the simulated tenant over loopback HTTP,
// signed in with the real device code flow, on one virtual clock.

var simStart = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

type sim struct {
	srv   *tenant.Server
	url   string
	clock *clock.Virtual
	// instanceCalls counts the requests for a setting's …/instances.
	instanceCalls atomic.Int64
}

func newSim(tb testing.TB, generate map[string]int, tweak ...func(*tenant.User)) *sim {
	tb.Helper()
	tenants, err := tenant.LoadFixtures(fixtures.Demo())
	if err != nil {
		tb.Fatal(err)
	}
	for _, t := range tenants {
		for i := range t.Users {
			t.Users[i].GenerateBackups = generate[t.Users[i].UPN]
			for _, f := range tweak {
				f(&t.Users[i])
			}
		}
	}
	vc := clock.NewVirtual(simStart)
	srv, err := tenant.New(tenant.Config{Tenants: tenants, Clock: vc})
	if err != nil {
		tb.Fatal(err)
	}
	s := &sim{srv: srv, clock: vc}
	h := srv.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/instances") {
			s.instanceCalls.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	tb.Cleanup(func() { ts.Close(); _ = srv.Close() })
	srv.SetBaseURL(ts.URL)
	s.url = ts.URL
	return s
}

var users = map[string]struct{ tenant, client, password string }{
	"adele.vance@contoso.com":              {"39150fda-e360-47ce-b98e-d9250ba6f8e8", "9c6fb39d-8205-4a69-8a44-e2bae12741d2", "Restore-2026!"},
	"megan.bowen@contoso.com":              {"39150fda-e360-47ce-b98e-d9250ba6f8e8", "9c6fb39d-8205-4a69-8a44-e2bae12741d2", "Backup-2026!"},
	"alex.wilber@fabrikam.onmicrosoft.com": {"164b2b49-eae9-4235-a4e0-74a9aef2fa00", "6eb51157-314b-4085-9b7e-31b5067e1083", "Fabrikam-2026!"},
	"admin@contoso.com":                    {"39150fda-e360-47ce-b98e-d9250ba6f8e8", "9c6fb39d-8205-4a69-8a44-e2bae12741d2", "Admin-2026!"},
}

// graphFor signs upn in with the device code flow and returns a Graph client for them, with
// UserWindowsSettings.Read or the scopes given.
func (s *sim) graphFor(tb testing.TB, upn string, scopes ...string) *graph.Client {
	tb.Helper()
	u := users[upn]
	if len(scopes) == 0 {
		scopes = []string{"UserWindowsSettings.Read"}
	}
	ac, err := auth.New(context.Background(), auth.Config{
		Authority: s.srv.Authority(u.tenant), ClientID: u.client, Clock: s.clock,
		Scopes: append(auth.DefaultScopes(), scopes...),
	})
	if err != nil {
		tb.Fatal(err)
	}
	res, err := ac.DeviceCode(context.Background(), func(p auth.DeviceCodePrompt) {
		if err := devicelogin.Approve(context.Background(), nil, p.VerificationURI, p.UserCode, upn, u.password); err != nil {
			tb.Errorf("approving %s: %v", upn, err)
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
	gc, err := graph.New(graph.Config{BaseURL: s.url, Clock: s.clock, Token: func(context.Context) (string, error) { return res.AccessToken, nil }})
	if err != nil {
		tb.Fatal(err)
	}
	return gc
}

func TestTheDemoUsersPreviousPCsAreListedNewestFirstWithTheirContent(t *testing.T) {
	s := newSim(t, nil)
	profiles, err := s.graphFor(t, "adele.vance@contoso.com").BackupProfiles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range profiles {
		names = append(names, p.DeviceName)
		if p.Content == nil || p.Summary == nil || p.Content.Owner.ObjectID != "6f162abf-414f-4b42-bd2a-7ff532bb3859" {
			t.Fatalf("%s: content not decoded or not Adele's: %+v", p.DeviceName, p)
		}
		if len(p.Opaque) != 1 || p.Opaque[0] != backup.PayloadBackupUnitStore {
			t.Fatalf("%s: opaque payloads %v, want the backupunitstore named as opaque", p.DeviceName, p.Opaque)
		}
	}
	if strings.Join(names, ",") != "ADELE-SURFACE,ADELE-DESKTOP,ADELE-LAPTOP" {
		t.Fatalf("listed %v", names)
	}
	laptop := profiles[2]
	if laptop.OSVersion != "10.0.19045.6216" || laptop.Summary.StartPins == 0 || laptop.Summary.WiFi != 3 {
		t.Fatalf("the Windows 10 laptop's profile: %+v %+v", laptop, laptop.Summary)
	}
}

func TestTheRestorePageReadsInstancesFromTheListingWithoutAskingForThem(t *testing.T) {
	s := newSim(t, nil)
	profiles, err := s.graphFor(t, "adele.vance@contoso.com").BackupProfiles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(profiles) != 3 || profiles[0].Content == nil {
		t.Fatalf("listed %+v", profiles)
	}
	if n := s.instanceCalls.Load(); n != 0 {
		t.Fatalf("%d requests for …/instances; the listing carries them inline (domain.md §7.4)", n)
	}
}

func TestAUserSeesOnlyTheirOwnBackups(t *testing.T) {
	s := newSim(t, nil)
	for upn, want := range map[string]int{"megan.bowen@contoso.com": 0, "alex.wilber@fabrikam.onmicrosoft.com": 1} {
		profiles, err := s.graphFor(t, upn).BackupProfiles(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(profiles) != want {
			t.Fatalf("%s sees %d profiles, want %d", upn, len(profiles), want)
		}
		for _, p := range profiles {
			if strings.HasPrefix(p.DeviceName, "ADELE") {
				t.Fatalf("%s sees Adele's %s", upn, p.DeviceName)
			}
		}
	}
}

func TestAUserWithMoreBackupsThanOnePageGetsEveryOneOnce(t *testing.T) {
	s := newSim(t, map[string]int{"megan.bowen@contoso.com": 250})
	profiles, err := s.graphFor(t, "megan.bowen@contoso.com").BackupProfiles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, p := range profiles {
		if seen[p.WindowsDeviceID] {
			t.Fatalf("%s listed twice", p.WindowsDeviceID)
		}
		seen[p.WindowsDeviceID] = true
		if i > 0 && p.LastBackup.After(profiles[i-1].LastBackup) {
			t.Fatalf("profile %d is newer than the one before it", i)
		}
	}
	if len(profiles) != 250 {
		t.Fatalf("listed %d profiles, want 250", len(profiles))
	}
}

// BenchmarkListBackupProfiles250 lists 250 previous PCs through the client, as the restore
// page does: the settings pages, then each device's profile and content instances.
// Run with: go test -run=NONE -bench=BenchmarkListBackupProfiles250 -cpu 1,2 ./graph/
func BenchmarkListBackupProfiles250(b *testing.B) {
	s := newSim(b, map[string]int{"megan.bowen@contoso.com": 250})
	gc := s.graphFor(b, "megan.bowen@contoso.com")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		profiles, err := gc.BackupProfiles(context.Background())
		if err != nil || len(profiles) != 250 {
			b.Fatalf("%d profiles, %v", len(profiles), err)
		}
	}
	b.ReportMetric(250*float64(b.N)/b.Elapsed().Seconds(), "profiles/s")
}
