package sim_test

import (
	"context"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/oobe/live"
	"github.com/oobe-dev/oobe/restore/device"
	"github.com/oobe-dev/oobe/restore/graph"
	"github.com/oobe-dev/oobe/restore/profile"
	"github.com/oobe-dev/oobe/sim"
)

const adele = "adele.vance@contoso.com"

var start = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

func demo(t *testing.T) []*sim.Tenant {
	t.Helper()
	tenants, err := sim.DemoTenants()
	if err != nil {
		t.Fatal(err)
	}
	return tenants
}

func newPC() *device.State {
	return &device.State{Profile: profile.DeviceProfile{OS: "10.0.26100.4946", Edition: "Enterprise", Join: profile.JoinEntra,
		Provisioning: profile.ProvisioningUserDriven, Cloud: profile.CloudGlobal, Name: "DESKTOP-SIM", DeviceID: "0b7d8a4e-2f61-4c3a-9e15-6a2d4c8b1f37"}}
}

func startWorld(t *testing.T, spec sim.Spec) *sim.World {
	t.Helper()
	w, err := sim.Start(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	return w
}

func TestAWorldsTenantSignsInItsUserAndListsTheirBackups(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := startWorld(t, sim.Spec{Tenants: demo(t), User: adele, Start: start})
	client, err := auth.New(ctx, auth.Config{Authority: w.Authority(), ClientID: w.ClientID(), Scopes: live.GraphScopes(),
		Clock: w.Clock(), HTTPClient: w.HTTP()})
	if err != nil {
		t.Fatal(err)
	}
	var approve error
	res, err := client.DeviceCode(ctx, func(p auth.DeviceCodePrompt) { approve = w.Approve(ctx, p) })
	if err != nil || approve != nil {
		t.Fatalf("device code sign-in: %v (approve: %v)", err, approve)
	}
	if res.Identity.UPN != adele {
		t.Fatalf("signed in as %q, want %s", res.Identity.UPN, adele)
	}
	gc, err := graph.New(graph.Config{BaseURL: w.URL(), Token: func(context.Context) (string, error) { return res.AccessToken, nil },
		HTTPClient: w.HTTP(), Clock: w.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	profiles, err := gc.BackupProfiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(profiles) == 0 {
		t.Fatal("Adele's previous PCs are not listed")
	}
}

func TestAWorldWithADeviceWiresTheFlowAndItsOldPCBacksUpFirst(t *testing.T) {
	t.Parallel()
	var events []oobe.Event
	old := newPC()
	old.Profile.Name, old.Profile.DeviceID = "ADELE-OLD", "5f0e3c2a-7b1d-4e8f-a6c9-2d4b8e1f7a30"
	old.Profile.EnableWindowsBackup = new(true) // before 26H2, backup waits for IT to enable it
	w := startWorld(t, sim.Spec{Tenants: demo(t), User: adele, Device: newPC(), Start: start,
		OldPC: &sim.OldPC{Device: *old, Days: 17}, Observe: func(e oobe.Event) { events = append(events, e) }})
	if w.Config.SignIn == nil || w.Config.Connect == nil || w.Config.Device == nil || w.Config.Branding.TenantName != "Contoso" {
		t.Fatalf("the flow's wiring is incomplete: %+v", w.Config)
	}
	if got := w.Clock().Now(); !got.Equal(start) {
		t.Fatalf("the world stands at %s after the old PC, want the start %s", got, start)
	}
	backedUp := 0
	for _, e := range events {
		if e.Stage == sim.StageOldPC && strings.HasSuffix(e.Text, "backed up") {
			backedUp++
		}
	}
	if backedUp != 3 { // days 0, 8 and 16 of 17
		t.Fatalf("the old PC backed up %d times, want 3: %+v", backedUp, events)
	}
	if _, err := device.Open(w.DeviceDir()); err != nil {
		t.Fatalf("the device directory: %v", err)
	}
}

func TestCloseFreesTheListener(t *testing.T) {
	t.Parallel()
	w, err := sim.Start(context.Background(), sim.Spec{Tenants: demo(t)})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(w.URL())
	if err != nil || u.Hostname() != "127.0.0.1" {
		t.Fatalf("the tenant is at %q, want 127.0.0.1", w.URL())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if c, err := net.Dial("tcp", u.Host); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections after Close", u.Host)
	}
	ln, err := net.Listen("tcp", u.Host)
	if err != nil {
		t.Fatalf("the port is not free after Close: %v", err)
	}
	ln.Close()
}

func TestBadSpecsAreRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	tenants := demo(t)
	cases := []struct {
		name string
		spec sim.Spec
		want string
	}{
		{"no tenant", sim.Spec{}, "Spec.Tenants is empty"},
		{"a tenant that is not served", sim.Spec{Tenants: tenants, Tenant: "woodgrove"}, `Spec.Tenant "woodgrove"`},
		{"a user of another tenant", sim.Spec{Tenants: tenants, User: "kim@woodgrove.example"}, `Spec.User "kim@woodgrove.example"`},
		{"an old PC without a user", sim.Spec{Tenants: tenants, OldPC: &sim.OldPC{Device: *newPC(), Days: 8}}, "Spec.OldPC needs Spec.User"},
		{"an old PC that never backs up", sim.Spec{Tenants: tenants, User: adele, OldPC: &sim.OldPC{Device: *newPC()}}, "Spec.OldPC.Days 0"},
		{"a name template Autopilot refuses", sim.Spec{Tenants: tenants, Autopilot: sim.Autopilot{DeviceNameTemplate: "CTS %SERIAL%"}}, "Spec.Autopilot.DeviceNameTemplate"},
		{"two faults on one ESP row", sim.Spec{Tenants: tenants, Faults: sim.Faults{Engine: oobe.Faults{ESPTimeout: true, ESPAppInstallFailure: true}}}, "Spec.Faults.Engine"},
		{"a tenant fault at no endpoint", sim.Spec{Tenants: tenants, Faults: sim.Faults{Endpoints: []sim.Fault{{Endpoint: "graph.nowhere", Kind: sim.FaultThrottle}}}}, "Spec.Faults.Endpoints[0]"},
		{"an admin without a user to delete", sim.Spec{Tenants: tenants, AdminDelete: &sim.AdminDelete{Admin: "admin@contoso.com"}}, "Spec.AdminDelete needs Spec.User"},
		{"an admin the tenant does not have", sim.Spec{Tenants: tenants, User: adele, AdminDelete: &sim.AdminDelete{Admin: "root@contoso.com"}}, `Spec.AdminDelete.Admin "root@contoso.com"`},
		{"an unknown clock", sim.Spec{Tenants: tenants, Clock: sim.Clock{Mode: 9}}, "Spec.Clock.Mode 9"},
		{"a wall clock with a history", sim.Spec{Tenants: tenants, Clock: sim.Clock{Mode: sim.Wall}, Start: start}, "Spec.Clock.Mode Wall"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w, err := sim.Start(context.Background(), c.spec)
			if err == nil {
				w.Close()
				t.Fatalf("started; want an error naming %s", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not name %s", err, c.want)
			}
		})
	}
}
