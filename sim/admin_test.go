package sim_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/oobe/live"
	"github.com/oobe-dev/oobe/restore/graph"
	"github.com/oobe-dev/oobe/sim"
)

// adeleBackups lists Adele's previous PCs in w, signed in as she is on the new PC.
func adeleBackups(t *testing.T, w *sim.World) int {
	t.Helper()
	ctx := context.Background()
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
	gc, err := graph.New(graph.Config{BaseURL: w.URL(), Token: func(context.Context) (string, error) { return res.AccessToken, nil },
		HTTPClient: w.HTTP(), Clock: w.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	profiles, err := gc.BackupProfiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return len(profiles)
}

func TestABackupAdministratorDeletesTheUsersBackupsBeforeSetup(t *testing.T) {
	t.Parallel()
	var events []oobe.Event
	w := startWorld(t, sim.Spec{Tenants: demo(t), User: adele, Device: newPC(), Start: start,
		AdminDelete: &sim.AdminDelete{Admin: "admin@contoso.com"}, Observe: func(e oobe.Event) { events = append(events, e) }})
	if got := w.Clock().Now(); !got.Equal(start) {
		t.Fatalf("the world stands at %s after the admin, want the start %s", got, start)
	}
	if len(events) != 1 || events[0].Kind != oobe.EventInfo || !strings.Contains(events[0].Text, "admin@contoso.com deleted every Windows backup of "+adele) {
		t.Fatalf("events = %+v, want the admin's deletion", events)
	}
	if !events[0].At.Before(start) {
		t.Errorf("the deletion is at %s, want before setup starts at %s", events[0].At, start)
	}
	if n := adeleBackups(t, w); n != 0 {
		t.Fatalf("Adele still has %d previous PCs after the deletion", n)
	}
}

func TestAGlobalAdministratorAloneCannotDeleteTheBackups(t *testing.T) {
	t.Parallel()
	tenants := slices.Clone(demo(t)) // the demo's slice is shared by every test: change a copy
	contoso := *tenants[0]
	contoso.Users = append(contoso.Users, sim.User{UPN: "ga@contoso.com", DisplayName: "Global Admin", Password: "Contoso-GA-2026!",
		ObjectID: "3c9d2e7a-1b4f-4a6c-8e2d-7f1a3b5c9d04", Roles: []string{"Global Administrator"}})
	tenants[0] = &contoso
	var events []oobe.Event
	w := startWorld(t, sim.Spec{Tenants: tenants, User: adele, Device: newPC(), Start: start,
		AdminDelete: &sim.AdminDelete{Admin: "ga@contoso.com"}, Observe: func(e oobe.Event) { events = append(events, e) }})
	if len(events) != 1 || events[0].Kind != oobe.EventWarning || !strings.Contains(events[0].Text, "ga@contoso.com could not delete") || !strings.Contains(events[0].Text, "403") {
		t.Fatalf("events = %+v, want the 403 as a warning", events)
	}
	if n := adeleBackups(t, w); n == 0 {
		t.Fatal("Adele's backups are gone, though the admin was refused")
	}
}
