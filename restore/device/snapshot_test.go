package device

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/restore/profile"
)

var adele = backup.Owner{TenantID: "39150fda-e360-47ce-b98e-d9250ba6f8e8", ObjectID: "6f162abf-414f-4b42-bd2a-7ff532bb3859"}

var monday = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func TestABackupCarriesWhatWindowsBacksUp(t *testing.T) {
	s := Sample(testProfile("10.0.19045.6216"))
	up, err := UploadFor(&s, adele, monday)
	if err != nil {
		t.Fatal(err)
	}
	c, err := backup.DecodeContent(up.Content)
	if err != nil {
		t.Fatalf("the uploaded content does not decode: %v", err)
	}
	if c.Owner != adele || c.SourceOSVersion != "10.0.19045.6216" || c.DeviceName != "ADELE-OLD" {
		t.Fatalf("owner %v, source %s, name %s", c.Owner, c.SourceOSVersion, c.DeviceName)
	}
	settings := map[string]bool{}
	for _, st := range c.Settings {
		settings[st.Category+"/"+st.Name] = true
		if st.Category == CategoryWindowsUpdate {
			t.Errorf("a Windows Update setting was backed up: %s", st.Name)
		}
	}
	for _, want := range []string{"accessibility/textScale", "accountsAndWifi/vpnConnections", "personalization/liveTiles", "language/userDictionary", "other/timeline"} {
		if !settings[want] {
			t.Errorf("%s is not in the backup", want)
		}
	}
	if len(c.Settings) != 16 { // the sample's 18 settings less its 2 Windows Update ones
		t.Errorf("%d settings backed up, want 16", len(c.Settings))
	}
	var corp *backup.WiFiNetwork
	for i := range c.WiFi {
		if c.WiFi[i].SSID == "Contoso-Corp" {
			corp = &c.WiFi[i]
		}
	}
	if corp == nil || corp.Security != backup.WiFiWPA2Enterprise || len(c.WiFi) != 3 {
		t.Errorf("wifi %+v: want every network, the 802.1X one by name and security", c.WiFi)
	}
	if len(c.StoreApps) != 3 || strings.Join(c.StoreApps[2].Architectures, ",") != "x64,x86" {
		t.Errorf("store apps %+v: want each with the architectures the Store offers", c.StoreApps)
	}
	if len(c.StartTiles) != 4 || len(c.StartPins) != 0 || len(c.TaskbarPins) != 2 {
		t.Errorf("tiles %d, pins %d, taskbar %d: want Windows 10's 4 tiles and 2 taskbar pins", len(c.StartTiles), len(c.StartPins), len(c.TaskbarPins))
	}
	want := backup.DeviceProfilePayload{ProfileID: "{0b9d1f7e-1c5a-4a8e-9f38-2d0b6f0c4e11}", DeviceDisplayName: "ADELE-OLD", CreatedBy: "windows",
		CreatedTime: monday.Unix(), ModifiedTime: monday.Unix(), IsActive: true, LastFullBackupCompletedTime: monday.Unix(), OSVersion: "19045.6216.vb_release"} // as Windows writes it (domain.md §7.4)
	if up.Profile != want || up.WindowsDeviceID != "0b9d1f7e-1c5a-4a8e-9f38-2d0b6f0c4e11" {
		t.Fatalf("profile %+v (device %s), want %+v", up.Profile, up.WindowsDeviceID, want)
	}
	s.Backups = BackupHistory{First: monday.Add(-30 * 24 * time.Hour), Last: monday.Add(-8 * 24 * time.Hour), Count: 3}
	up, err = UploadFor(&s, adele, monday)
	if err != nil || up.Profile.CreatedTime != s.Backups.First.Unix() || up.Profile.ModifiedTime != monday.Unix() {
		t.Fatalf("a later backup: %+v, %v; want createdTime from the first backup", up, err)
	}
}

func TestWindowsDoesNotBackUpEveryDevice(t *testing.T) {
	tests := []struct {
		name string
		st   State
		want string // "" when the backup is made
	}{
		{"an Entra joined Windows 11 23H2 PC at its minimum build", sampleWith(func(*State) {}), ""},
		{"a hybrid joined PC", sampleWith(func(s *State) { s.Profile.Join = profile.JoinHybrid }), ""},
		{"an Entra registered PC", sampleWith(func(s *State) { s.Profile.Join = profile.JoinRegistered }), "only Microsoft Entra joined or hybrid joined"},
		{"a PC one update below the minimum", sampleWith(func(s *State) { s.Profile.OS = "10.0.22631.5767" }), "backs up from 10.0.22631.5768"},
		{"Windows 10 22H2 at its minimum", State{Profile: testProfile("10.0.19045.6216")}, ""},
		{"Windows 10 22H2 below its minimum", State{Profile: testProfile("10.0.19045.6215")}, "backs up from 10.0.19045.6216"},
		{"Windows 10 21H2", State{Profile: testProfile("10.0.19044.6216")}, "has no Windows Backup"},
		{"Windows 11 21H2", sampleWith(func(s *State) { s.Profile.OS = "10.0.22000.3260" }), "has no Windows Backup"},
		{"Windows 11 24H2 below its minimum", sampleWith(func(s *State) { s.Profile.OS = "10.0.26100.4945" }), "backs up from 10.0.26100.4946"},
		{"Windows 11 25H2", sampleWith(func(s *State) { s.Profile.OS = "10.0.26200.1" }), ""},
		{"a PC without an Entra device id", sampleWith(func(s *State) { s.Profile.DeviceID = "" }), "no deviceId"},
		{"a PC where a policy disables the activity feed", sampleWith(func(s *State) {
			s.Policies = []Policy{{Category: CategoryDevice, Name: "EnableActivityFeed", Value: json.RawMessage(`false`), Source: "Privacy baseline"}}
		}), "EnableActivityFeed is Disabled"},
		{"a PC where a policy enables connected devices", sampleWith(func(s *State) {
			s.Policies = []Policy{{Category: CategoryDevice, Name: "AllowConnectedDevices", Value: json.RawMessage(`true`), Source: "Privacy baseline"}}
		}), ""},
		// Backup is opt-in before 26H2 and on by default from it; IT's explicit setting wins (domain.md §7.3).
		{"a 24H2 PC without the Enable Windows Backup policy", sampleWith(func(s *State) {
			s.Profile.OS, s.Profile.EnableWindowsBackup = "10.0.26100.4946", nil
		}), "Enable Windows Backup policy is not configured"},
		{"a 24H2 PC with Enable Windows Backup disabled", sampleWith(func(s *State) {
			s.Profile.OS, s.Profile.EnableWindowsBackup = "10.0.26100.4946", new(false)
		}), "Enable Windows Backup policy is disabled"},
		{"a 26H2 PC without the policy: on by default", sampleWith(func(s *State) {
			s.Profile.OS, s.Profile.EnableWindowsBackup = "10.0.26300.1", nil
		}), ""},
		{"a 26H2 PC with Enable Windows Backup disabled", sampleWith(func(s *State) {
			s.Profile.OS, s.Profile.EnableWindowsBackup = "10.0.26300.1", new(false)
		}), "Enable Windows Backup policy is disabled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, p, err := Snapshot(&tc.st, adele, monday)
			if tc.want == "" {
				if err != nil || c == nil || p == nil {
					t.Fatalf("no backup: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrBackupBlocked) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrBackupBlocked mentioning %q", err, tc.want)
			}
		})
	}
}

func TestAUserOfAnotherTenantCannotBackUpTheDevice(t *testing.T) {
	s := Sample(testProfile("10.0.22631.5768"))
	other := backup.Owner{TenantID: "164b2b49-eae9-4235-a4e0-74a9aef2fa00", ObjectID: adele.ObjectID}
	if _, _, err := Snapshot(&s, other, monday); err == nil || !strings.Contains(err.Error(), "joined to tenant") {
		t.Fatalf("err = %v, want a refusal naming the device's tenant", err)
	}
}

func TestTheScheduleBacksUpEveryEightDaysInVirtualTime(t *testing.T) {
	dir := mustInit(t, Sample(testProfile("10.0.22631.5768")))
	clk := clock.NewVirtual(monday)
	var sent []time.Time
	send := func(_ context.Context, up *backup.Upload) error {
		sent = append(sent, time.Unix(up.Profile.LastFullBackupCompletedTime, 0).UTC())
		return nil
	}
	n, err := Schedule{}.RunUntil(context.Background(), clk, dir, adele, send, monday.Add(30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{monday, monday.Add(8 * 24 * time.Hour), monday.Add(16 * 24 * time.Hour), monday.Add(24 * 24 * time.Hour)}
	if n != 4 || len(sent) != 4 {
		t.Fatalf("%d backups (%v), want 4", n, sent)
	}
	for i := range want {
		if !sent[i].Equal(want[i]) {
			t.Errorf("backup %d at %s, want %s", i, sent[i], want[i])
		}
	}
	h := mustOpen(t, dir).State.Backups
	if h.Count != 4 || !h.First.Equal(monday) || !h.Last.Equal(want[3]) {
		t.Fatalf("history %+v", h)
	}
	if got := (Schedule{}).NextBackup(h.Last); !got.Equal(monday.Add(32 * 24 * time.Hour)) {
		t.Fatalf("next backup %s", got)
	}
}

func TestABackupThatDoesNotReachTheTenantIsTriedAgain(t *testing.T) {
	dir := mustInit(t, Sample(testProfile("10.0.22631.5768")))
	clk := clock.NewVirtual(monday)
	offline := errors.New("no network")
	if up, err := (Schedule{}).RunDue(context.Background(), clk, dir, adele, func(context.Context, *backup.Upload) error { return offline }); !errors.Is(err, offline) || up != nil {
		t.Fatalf("RunDue = %v, %v; want the send error", up, err)
	}
	if h := mustOpen(t, dir).State.Backups; h.Count != 0 {
		t.Fatalf("a backup that was not sent was recorded: %+v", h)
	}
	clk.Advance(time.Hour)
	up, err := Schedule{}.RunDue(context.Background(), clk, dir, adele, func(context.Context, *backup.Upload) error { return nil })
	if err != nil || up == nil {
		t.Fatalf("the retry: %v, %v", up, err)
	}
	clk.Advance(8*24*time.Hour - time.Second)
	if up, err := (Schedule{}).RunDue(context.Background(), clk, dir, adele, func(context.Context, *backup.Upload) error { return nil }); up != nil || err != nil {
		t.Fatalf("a backup ran a second before it was due: %v, %v", up, err)
	}
}

func TestABlockedDeviceStopsTheSchedule(t *testing.T) {
	s := Sample(testProfile("10.0.22631.5768"))
	s.Policies = []Policy{{Category: CategoryDevice, Name: "EnableCDP", Value: json.RawMessage(`false`), Source: "Privacy baseline"}}
	dir := mustInit(t, s)
	n, err := Schedule{}.RunUntil(context.Background(), clock.NewVirtual(monday), dir, adele, func(context.Context, *backup.Upload) error { return nil }, monday.Add(30*24*time.Hour))
	if n != 0 || !errors.Is(err, ErrBackupBlocked) {
		t.Fatalf("%d backups, %v; want none and ErrBackupBlocked", n, err)
	}
}
