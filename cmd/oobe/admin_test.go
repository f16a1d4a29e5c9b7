package main

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
)

// The admin commands against the in-process simulated tenant, signed in as the demo admin
// (Microsoft 365 Backup Administrator) with --sim-approve.

const adeleOID = "6f162abf-414f-4b42-bd2a-7ff532bb3859"

var asAdmin = []string{"--as", "admin@contoso.com", "--sim-approve"}

// adminList runs `admin backups list --json` on the state in data and returns its report.
func adminList(t *testing.T, data string) adminListReport {
	t.Helper()
	code, out, errOut := runCLI(t, args([]string{"admin", "backups", "list", "--json", "--user", adeleOID, "--sim-data", data}, asAdmin)...)
	if code != 0 {
		t.Fatalf("list: exit %d: %s", code, errOut)
	}
	var rep adminListReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("list --json printed %q: %v", out, err)
	}
	return rep
}

func TestAdminBackupsListShowsTheUsersPreviousPCs(t *testing.T) {
	t.Parallel()
	rep := adminList(t, t.TempDir())
	var names []string
	for _, d := range rep.Devices {
		names = append(names, d.DeviceName)
		if d.Settings != 2 || d.Release == "" || d.WindowsDeviceID == "" {
			t.Errorf("%s: %+v", d.DeviceName, d)
		}
	}
	if rep.User != adeleOID || rep.Tenant != "39150fda-e360-47ce-b98e-d9250ba6f8e8" || rep.Settings != 7 ||
		strings.Join(names, ",") != "ADELE-SURFACE,ADELE-DESKTOP,ADELE-LAPTOP" {
		t.Fatalf("listed %+v", rep)
	}
}

func TestAdminBackupsShowWithADeviceShowsThatPCAlone(t *testing.T) {
	t.Parallel()
	const desktop = "70e96ac3-82bc-4671-9519-894e7d8ed3c5"
	code, out, errOut := runCLI(t, args([]string{"admin", "backups", "show", "--json", "--user", adeleOID, "--device", "{" + strings.ToUpper(desktop) + "}"}, asAdmin)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep adminShowReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Device == nil || rep.Device.DeviceName != "ADELE-DESKTOP" || len(rep.Settings) != 2 {
		t.Fatalf("showed %+v", rep)
	}
	for _, s := range rep.Settings {
		if s.WindowsDeviceID != desktop || len(s.Instances) == 0 || s.Instances[0].PayloadBytes == 0 {
			t.Fatalf("a setting not the desktop's, or without its instance: %+v", s)
		}
	}
}

func TestAdminBackupsDeleteWithYesLeavesTheUserNothingToRestore(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	code, out, errOut := runCLI(t, args([]string{"admin", "backups", "delete", "--yes", "--user", adeleOID, "--sim-data", data}, asAdmin)...)
	if code != 0 || !strings.Contains(out, "Deleted every Windows backup of "+adeleOID) {
		t.Fatalf("delete: exit %d: %s %s", code, out, errOut)
	}
	if rep := adminList(t, data); len(rep.Devices) != 0 || rep.Settings != 0 {
		t.Fatalf("after the delete the admin lists %+v", rep)
	}
	code, out, errOut = runCLI(t, args([]string{"backups", "--json", "--sim-data", data}, adele)...)
	var own backupsReport
	if code != 0 || json.Unmarshal([]byte(out), &own) != nil || len(own.Profiles) != 0 {
		t.Fatalf("Adele's own listing after the delete: exit %d %s %s", code, out, errOut)
	}
}

func TestAdminBackupsDeleteWithoutATerminalOrYesRefusesAndDeletesNothing(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	code, _, errOut := cli{in: "yes\n"}.run(t, args([]string{"admin", "backups", "delete", "--user", adeleOID, "--sim-data", data}, asAdmin)...)
	if code != 2 || !strings.Contains(errOut, "--yes") {
		t.Fatalf("exit %d, want 2 naming --yes: %s", code, errOut)
	}
	if rep := adminList(t, data); len(rep.Devices) != 3 {
		t.Fatalf("a refused delete left %d previous PCs, want 3", len(rep.Devices))
	}
}

// Not parallel: it stands in for a terminal, which the parallel tests must not see.
func TestAdminBackupsDeleteAsksOnATerminalAndOnlyYesDeletes(t *testing.T) {
	saved := stdinIsTerminal
	stdinIsTerminal = func(io.Reader) bool { return true }
	t.Cleanup(func() { stdinIsTerminal = saved })
	data := t.TempDir()
	code, _, errOut := cli{in: "no\n"}.run(t, args([]string{"admin", "backups", "delete", "--user", adeleOID, "--sim-data", data}, asAdmin)...)
	if code != 1 || !strings.Contains(errOut, "Delete every Windows backup of "+adeleOID+"? This cannot be undone. (yes/no)") ||
		!strings.Contains(errOut, "Nothing deleted.") {
		t.Fatalf("answering no: exit %d: %s", code, errOut)
	}
	if rep := adminList(t, data); len(rep.Devices) != 3 {
		t.Fatalf("answering no left %d previous PCs, want 3", len(rep.Devices))
	}
	code, _, errOut = cli{in: "yes\n"}.run(t, args([]string{"admin", "backups", "delete", "--user", adeleOID, "--sim-data", data}, asAdmin)...)
	if code != 0 {
		t.Fatalf("answering yes: exit %d: %s", code, errOut)
	}
	if rep := adminList(t, data); len(rep.Devices) != 0 {
		t.Fatalf("answering yes left %d previous PCs", len(rep.Devices))
	}
}

func TestAdminBackupsListAndDeleteByUPNInAnyCaseActOnThatUsersObjectID(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	code, out, errOut := runCLI(t, args([]string{"admin", "backups", "list", "--json", "--user", "Adele.Vance@CONTOSO.com", "--sim-data", data}, asAdmin)...)
	var rep adminListReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("list by UPN: exit %d: %s %s", code, out, errOut)
	}
	if byID := adminList(t, data); rep.User != adeleOID || rep.UPN != "adele.vance@contoso.com" || len(rep.Devices) != 3 ||
		rep.Settings != byID.Settings || len(byID.Devices) != len(rep.Devices) {
		t.Fatalf("by UPN listed %+v, by object id %+v", rep, byID)
	}
	code, out, errOut = runCLI(t, args([]string{"admin", "backups", "delete", "--yes", "--user", "adele.vance@contoso.com", "--sim-data", data}, asAdmin)...)
	if code != 0 || !strings.Contains(out, "Deleted every Windows backup of adele.vance@contoso.com ("+adeleOID+")") {
		t.Fatalf("delete by UPN: exit %d: %s %s", code, out, errOut)
	}
	if rep := adminList(t, data); len(rep.Devices) != 0 || rep.Settings != 0 {
		t.Fatalf("after the delete by UPN the admin lists %+v", rep)
	}
}

func TestAdminBackupsByAUPNTheTenantDoesNotHaveSaysNoSuchUser(t *testing.T) {
	t.Parallel()
	for _, upn := range []string{"nobody@contoso.com", "alex.wilber@fabrikam.onmicrosoft.com"} { // the second is Fabrikam's
		t.Run(upn, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, args([]string{"admin", "backups", "delete", "--yes", "--user", upn}, asAdmin)...)
			if code != 1 || out != "" || !strings.Contains(errOut, "--user "+upn+": no such user in tenant 39150fda-e360-47ce-b98e-d9250ba6f8e8") {
				t.Fatalf("exit %d: %s %s", code, out, errOut)
			}
		})
	}
}

func TestAdminBackupsExplainsTheBackupAdministratorRoleOn403(t *testing.T) {
	t.Parallel()
	code, _, errOut := runCLI(t, "admin", "backups", "list", "--user", adeleOID, "--as", "megan.bowen@contoso.com", "--sim-approve")
	if code != 1 || !strings.Contains(errOut, "HTTP 403") || !strings.Contains(errOut, "Microsoft 365 Backup Administrator role") ||
		!strings.Contains(errOut, "Global Administrator alone") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

func TestAdminBackupsBadInputExitsTwo(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		says string
	}{
		{"no --user", []string{"list"}, "--user is required"},
		{"--user neither a UPN nor a GUID", []string{"show", "--user", "adele"}, "neither a UPN"},
		{"--user with an @ but not a UPN", []string{"list", "--user", "adele@"}, "is not a UPN"},
		{"--device not a GUID", []string{"show", "--user", adeleOID, "--device", "ADELE-DESKTOP"}, "--device"},
		{"an unknown flag", []string{"delete", "--user", adeleOID, "--device", adeleOID}, "unknown flag"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := runCLI(t, args([]string{"admin", "backups"}, c.args, asAdmin)...)
			if code != 2 || !strings.Contains(errOut, c.says) {
				t.Fatalf("exit %d, want 2 saying %q: %s", code, c.says, errOut)
			}
		})
	}
}
