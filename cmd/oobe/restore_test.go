package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// These run the real commands against the in-process simulated tenant, approving the
// sign-in with --sim-approve before the first poll, whose 5-second interval passes on the
// tests' clock in no time.

var adele = []string{"--user", "adele.vance@contoso.com", "--sim-approve"}

func args(a ...[]string) []string {
	var out []string
	for _, x := range a {
		out = append(out, x...)
	}
	return out
}

func TestBackupsListsThePreviousPCsNewestFirst(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, args([]string{"backups", "--json"}, adele)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep backupsReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range rep.Profiles {
		names = append(names, p.DeviceName)
		if p.Summary == nil || p.LastBackupAgo == "" || p.Release == "" {
			t.Fatalf("profile %s lacks its contents, age or release: %+v", p.DeviceName, p)
		}
	}
	if got := strings.Join(names, ","); got != "ADELE-SURFACE,ADELE-DESKTOP,ADELE-LAPTOP" {
		t.Fatalf("profiles %s, want the demo user's three PCs newest first", got)
	}
}

func TestBackupsForAUserWithoutBackupsSaysSo(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, "backups", "--user", "megan.bowen@contoso.com", "--sim-approve")
	if code != 0 || !strings.Contains(out, "No backups") || !strings.Contains(out, "No Backup Profiles") {
		t.Fatalf("exit %d, out %q, err %q", code, out, errOut)
	}
}

func TestAnOldPCBacksUpAndANewPCRestoresIt(t *testing.T) {
	t.Parallel()
	lab := t.TempDir()
	oldPC, newPC := filepath.Join(lab, "old-pc"), filepath.Join(lab, "new-pc")
	data := filepath.Join(lab, "tenant")
	megan := []string{"--user", "megan.bowen@contoso.com", "--sim-approve", "--sim-data", data}
	if code, _, e := runCLI(t, "device", "init", oldPC, "--os", "10.0.19045.6216", "--name", "MEGAN-OLD", "--sample"); code != 0 {
		t.Fatalf("device init old: %s", e)
	}
	if code, _, e := runCLI(t, "device", "init", newPC, "--name", "MEGAN-NEW"); code != 0 {
		t.Fatalf("device init new: %s", e)
	}
	code, out, errOut := runCLI(t, args([]string{"backup", "--device", oldPC, "--days", "30", "--json"}, megan)...)
	if code != 0 {
		t.Fatalf("backup: exit %d: %s", code, errOut)
	}
	var b backupRun
	if err := json.Unmarshal([]byte(out), &b); err != nil || b.Backups != 4 {
		t.Fatalf("backup run %q (%v): want 4 backups in 30 days of an 8-day schedule", out, err)
	}
	code, out, errOut = runCLI(t, args([]string{"restore", "--device", newPC, "--json"}, megan)...)
	if code != 0 {
		t.Fatalf("restore: exit %d: %s", code, errOut)
	}
	var run restoreRun
	if err := json.Unmarshal([]byte(out), &run); err != nil {
		t.Fatal(err)
	}
	if run.From == nil || run.From.DeviceName != "MEGAN-OLD" || run.Status != "Succeeded" || run.Report.Counts.Applied == 0 {
		t.Fatalf("restore run: %+v", run)
	}
	// Restoring the same backup again changes nothing.
	code, out, _ = runCLI(t, args([]string{"restore", "--device", newPC, "--json"}, megan)...)
	run = restoreRun{}
	if err := json.Unmarshal([]byte(out), &run); code != 0 || err != nil || run.Report.Counts.Applied != 0 || run.Report.Changed {
		t.Fatalf("second restore: exit %d, %+v", code, run.Report)
	}
}

func TestRestoreOnADeviceTheRestorePageSkipsExplainsWhy(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "hybrid")
	if code, _, e := runCLI(t, "device", "init", dir, "--join", "hybrid", "--os", "10.0.19045.6216"); code != 0 {
		t.Fatalf("device init: %s", e)
	}
	code, out, _ := runCLI(t, args([]string{"restore", "--device", dir}, adele)...)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	for _, want := range []string{"windowsTooOld", "notEntraJoined", "Not Applicable"} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %s:\n%s", want, out)
		}
	}
}

func TestRestoreAsANewPCRestoresNothing(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "pc")
	if code, _, e := runCLI(t, "device", "init", dir); code != 0 {
		t.Fatalf("device init: %s", e)
	}
	code, out, errOut := runCLI(t, args([]string{"restore", "--device", dir, "--new"}, adele)...)
	if code != 0 || !strings.Contains(out, "Setup as New PC Selected") {
		t.Fatalf("exit %d, out %q, err %q", code, out, errOut)
	}
}
