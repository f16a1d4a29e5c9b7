package graph_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/oobe-dev/oobe/restore/graph"
	"github.com/oobe-dev/oobe/tenant"
)

// The admin's calls through the real client, signed in with the device code flow against the
// simulated tenant (domain.md §7.4 [G]).

var (
	adminScopes = []string{"UserWindowsSettings.Read.All", "UserWindowsSettings.ReadWrite.All"}
	adele       = graph.UserRef{ObjectID: "6f162abf-414f-4b42-bd2a-7ff532bb3859", TenantID: "39150fda-e360-47ce-b98e-d9250ba6f8e8"}
)

func deviceIDsOf(tb testing.TB, gc *graph.Client) []string {
	tb.Helper()
	profiles, err := gc.BackupProfiles(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	var ids []string
	for _, p := range profiles {
		ids = append(ids, p.WindowsDeviceID)
	}
	return ids
}

func TestABackupAdministratorSeesTheUsersPreviousPCsAsTheRestorePageDoes(t *testing.T) {
	s := newSim(t, nil)
	admin := s.graphFor(t, "admin@contoso.com", adminScopes...)
	ub, err := admin.UserBackups(context.Background(), adele)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range ub.Devices {
		got = append(got, d.WindowsDeviceID)
		if ub.SettingsByDevice[d.WindowsDeviceID] == 0 || d.OSVersion == "" || d.DeviceName == "" {
			t.Fatalf("%+v: no settings counted, or no name or version", d)
		}
	}
	want := deviceIDsOf(t, s.graphFor(t, "adele.vance@contoso.com"))
	if len(want) != 3 || !slices.Equal(got, want) {
		t.Fatalf("the admin sees %v, Adele's restore page %v", got, want)
	}
	one, err := admin.UserWindowsSetting(context.Background(), adele, ub.Settings[0].ID)
	if err != nil || one.ID != ub.Settings[0].ID {
		t.Fatalf("reading %s: %+v %v", ub.Settings[0].ID, one, err)
	}
}

func TestAfterTheAdminDeletesTheUsersBackupsTheRestorePageListsNoPreviousPCs(t *testing.T) {
	s := newSim(t, nil)
	admin := s.graphFor(t, "admin@contoso.com", adminScopes...)
	user := s.graphFor(t, "adele.vance@contoso.com")
	if ids := deviceIDsOf(t, user); len(ids) != 3 {
		t.Fatalf("before: %v", ids)
	}
	if err := admin.DeleteUserWindowsSettings(context.Background(), adele); err != nil {
		t.Fatal(err)
	}
	if ids := deviceIDsOf(t, user); len(ids) != 0 {
		t.Fatalf("after the delete the restore page lists %v", ids)
	}
	if all, err := user.WindowsSettings(context.Background(), "", 200); err != nil || len(all) != 0 {
		t.Fatalf("after the delete /me/settings/windows lists %d (%v)", len(all), err)
	}
	ub, err := admin.UserBackups(context.Background(), adele)
	if err != nil || len(ub.Devices) != 0 || len(ub.Settings) != 0 {
		t.Fatalf("the admin still lists %+v (%v)", ub, err)
	}
}

func TestAGlobalAdministratorAloneIsRefusedAndNothingIsDeleted(t *testing.T) {
	s := newSim(t, nil, func(u *tenant.User) {
		if u.UPN == "megan.bowen@contoso.com" {
			u.Roles = []string{"Global Administrator"}
		}
	})
	ga := s.graphFor(t, "megan.bowen@contoso.com", adminScopes...)
	for name, call := range map[string]func() error{
		"list":   func() error { _, err := ga.UserBackups(context.Background(), adele); return err },
		"delete": func() error { return ga.DeleteUserWindowsSettings(context.Background(), adele) },
	} {
		var gerr *graph.Error
		if err := call(); !errors.As(err, &gerr) || gerr.Status != http.StatusForbidden || gerr.Code != "Authorization_RequestDenied" {
			t.Fatalf("%s: %v, want 403 Authorization_RequestDenied", name, err)
		}
	}
	if ids := deviceIDsOf(t, s.graphFor(t, "adele.vance@contoso.com")); len(ids) != 3 {
		t.Fatalf("after the refusals Adele's restore page lists %v", ids)
	}
}
