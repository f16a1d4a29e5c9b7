package sim_test

import (
	"testing"
	"time"

	"github.com/oobe-dev/oobe/internal/when"
	"github.com/oobe-dev/oobe/sim"
)

func TestRebasedBackupsKeepTheirDistanceFromTheStart(t *testing.T) {
	t.Parallel()
	tenants := demo(t)
	today := time.Date(2027, 3, 14, 15, 9, 26, 0, time.UTC) // any day: the test injects it
	moved := sim.Rebase(tenants, start, today)
	if len(moved) != len(tenants) {
		t.Fatalf("%d tenants rebased, want %d", len(moved), len(tenants))
	}
	backups := 0
	for i, tn := range tenants {
		for j, u := range tn.Users {
			for k, b := range u.Backups {
				backups++
				r := moved[i].Users[j].Backups[k]
				if got, want := r.LastBackup.Sub(today), b.LastBackup.Sub(start); got != want {
					t.Errorf("%s's %s: last backup %s before today, want %s (as before the start)", u.UPN, b.Device, -got, -want)
				}
				if got, want := when.Ago(today, r.LastBackup), when.Ago(start, b.LastBackup); got != want {
					t.Errorf("%s's %s: %q today, %q at the start", u.UPN, b.Device, got, want)
				}
				if r.Created.Sub(today) != b.Created.Sub(start) {
					t.Errorf("%s's %s: created %s, not moved with the last backup", u.UPN, b.Device, r.Created)
				}
				if b.Retired.IsZero() != r.Retired.IsZero() || (!b.Retired.IsZero() && r.Retired.Sub(today) != b.Retired.Sub(start)) {
					t.Errorf("%s's %s: retired %s, was %s", u.UPN, b.Device, r.Retired, b.Retired)
				}
			}
		}
	}
	if backups == 0 {
		t.Fatal("the demo tenants have no backups to rebase")
	}
}

func TestRebaseLeavesTheTenantsItWasGivenAlone(t *testing.T) {
	t.Parallel()
	retired := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	in := &sim.Tenant{Name: "woodgrove", Users: []sim.User{{UPN: "a@woodgrove.com", Backups: []sim.Backup{
		{Device: "OLD", LastBackup: start.Add(-72 * time.Hour), Retired: retired},
		{Device: "NEVER"},
	}}}}
	out := sim.Rebase([]*sim.Tenant{in}, start, start.Add(24*time.Hour))
	if got := in.Users[0].Backups[0]; !got.LastBackup.Equal(start.Add(-72*time.Hour)) || !got.Retired.Equal(retired) {
		t.Fatalf("the given tenant changed: %+v", got)
	}
	b := out[0].Users[0].Backups
	if !b[0].LastBackup.Equal(start.Add(-48*time.Hour)) || !b[0].Retired.Equal(retired.Add(24*time.Hour)) {
		t.Errorf("rebased: %+v", b[0])
	}
	if !b[1].LastBackup.IsZero() || !b[1].Created.IsZero() || !b[1].Retired.IsZero() {
		t.Errorf("a zero time moved: %+v", b[1])
	}
}
