package apply_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/restore/apply"
	"github.com/oobe-dev/oobe/restore/device"
)

const (
	win10      = "10.0.19045.6216"
	win11      = "10.0.22631.4317" // 23H2, eligible to restore onto
	win11Src   = "10.0.22631.5768" // 23H2, new enough to back up
	win11v21H2 = "10.0.22000.3260" // 21H2
	win11v24H2 = "10.0.26100.4770" // 24H2
	win11v25H2 = "10.0.26200.5000" // 25H2
)

// emptyBackup is a backup of Adele's with nothing in it; cases add the one item they test.
func emptyBackup() *backup.Content {
	return &backup.Content{Owner: adele, SourceOSVersion: win11, Settings: []backup.Setting{}, WiFi: []backup.WiFiNetwork{}, StoreApps: []backup.StoreApp{}, StartPins: []backup.Pin{}, TaskbarPins: []backup.Pin{}}
}

func findItem(r *apply.Report, kind apply.Kind, name string) (apply.ItemResult, bool) {
	for _, it := range r.Items {
		if it.Kind == kind && it.Name == name {
			return it, true
		}
	}
	return apply.ItemResult{}, false
}

func TestEachKindOfItemEndsWithTheRightOutcome(t *testing.T) {
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	photos := backup.StoreApp{ProductID: "9WZDNCRFJBH4", Name: "Microsoft Photos", Architectures: []string{"x64", "arm64", "x86"}}
	spotify := backup.StoreApp{ProductID: "9NCBCSZSJRSB", Name: "Spotify", Architectures: []string{"x64", "x86"}}
	armOnly := backup.StoreApp{ProductID: "9NARMONLY001", Name: "Arm Sketch", Architectures: []string{"arm64"}}
	calc := backup.Pin{AppID: "Microsoft.WindowsCalculator_8wekyb3d8bbwe!App", Name: "Calculator"}
	explorer := backup.Pin{AppID: "Microsoft.Windows.Explorer", Name: "File Explorer"}
	policy := func(cat, name, value, source string) device.Policy {
		p := device.Policy{Category: cat, Name: name, Source: source}
		if value != "" {
			p.Value = raw(value)
		}
		return p
	}

	tests := []struct {
		name    string
		target  func() device.State
		content func(c *backup.Content)
		kind    apply.Kind
		item    string
		want    apply.Outcome
		reason  string
		// check looks at the device after the apply.
		check func(t *testing.T, s *device.State)
	}{
		{
			name: "a setting the new PC lacks is applied", target: func() device.State { return newPC(win11, "x64") },
			content: func(c *backup.Content) {
				c.Settings = append(c.Settings, backup.Setting{Category: backup.CategoryPersonalization, Name: "theme", Value: raw(`"dark"`)})
			},
			kind: apply.KindSetting, item: "theme", want: apply.Applied, reason: `set to "dark"`,
			check: func(t *testing.T, s *device.State) {
				if got := string(s.Settings[backup.CategoryPersonalization]["theme"]); got != `"dark"` {
					t.Errorf("theme = %s, want \"dark\"", got)
				}
			},
		},
		{
			name: "a setting with the same value, written differently, is already set",
			target: func() device.State {
				s := newPC(win11, "x64")
				s.Settings[backup.CategoryLanguage] = map[string]json.RawMessage{"layout": raw(`{"b": 2, "a": 1}`)}
				return s
			},
			content: func(c *backup.Content) {
				c.Settings = append(c.Settings, backup.Setting{Category: backup.CategoryLanguage, Name: "layout", Value: raw(`{"a":1,"b":2}`)})
			},
			kind: apply.KindSetting, item: "layout", want: apply.AlreadySet,
		},
		{
			name: "a setting an MDM policy manages keeps the policy's value (policy wins)",
			target: func() device.State {
				s := newPC(win11, "x64")
				s.Policies = []device.Policy{policy(backup.CategoryPersonalization, "theme", `"light"`, "Contoso baseline")}
				return s
			},
			content: func(c *backup.Content) {
				c.Settings = append(c.Settings, backup.Setting{Category: backup.CategoryPersonalization, Name: "theme", Value: raw(`"dark"`)})
			},
			kind: apply.KindSetting, item: "theme", want: apply.KeptByPolicy, reason: `"Contoso baseline"`,
			check: func(t *testing.T, s *device.State) {
				if got := string(s.Settings[backup.CategoryPersonalization]["theme"]); got != `"light"` {
					t.Errorf("theme = %s, want the policy's \"light\"", got)
				}
			},
		},
		{
			name: "a Windows 10-only setting is not supported on Windows 11", target: func() device.State { return newPC(win11, "x64") },
			content: func(c *backup.Content) {
				c.Settings = append(c.Settings, backup.Setting{Category: backup.CategoryPersonalization, Name: "liveTiles", Value: raw(`true`)})
			},
			kind: apply.KindSetting, item: "liveTiles", want: apply.NotSupported, reason: "Windows 10 only",
			check: func(t *testing.T, s *device.State) {
				if _, ok := s.Settings[backup.CategoryPersonalization]["liveTiles"]; ok {
					t.Error("liveTiles was written to a Windows 11 device")
				}
			},
		},
		{
			name: "a setting newer than the device's build is not supported", target: func() device.State { return newPC(win11v21H2, "x64") },
			content: func(c *backup.Content) {
				c.Settings = append(c.Settings, backup.Setting{Category: backup.CategoryAccessibility, Name: "voiceAccess", Value: raw(`true`)})
			},
			kind: apply.KindSetting, item: "voiceAccess", want: apply.NotSupported, reason: "22H2",
		},
		{
			name: "the same setting on a build that has it is applied", target: func() device.State { return newPC(win11, "x64") },
			content: func(c *backup.Content) {
				c.Settings = append(c.Settings, backup.Setting{Category: backup.CategoryAccessibility, Name: "voiceAccess", Value: raw(`true`)})
			},
			kind: apply.KindSetting, item: "voiceAccess", want: apply.Applied,
		},
		{
			name: "VPN connections are not restorable", target: func() device.State { return newPC(win11, "x64") },
			content: func(c *backup.Content) {
				c.Settings = append(c.Settings, backup.Setting{Category: backup.CategoryAccountsAndWiFi, Name: "vpnConnections", Value: raw(`["Contoso VPN"]`)})
			},
			kind: apply.KindSetting, item: "vpnConnections", want: apply.NotRestorable, reason: "VPN",
		},
		{
			name: "an 802.1X Wi-Fi network is not restorable", target: func() device.State { return newPC(win11, "x64") },
			content: func(c *backup.Content) {
				c.WiFi = append(c.WiFi, backup.WiFiNetwork{SSID: "Contoso-Corp", Security: backup.WiFiWPA3Enterprise})
			},
			kind: apply.KindWiFi, item: "Contoso-Corp", want: apply.NotRestorable, reason: "802.1X",
			check: func(t *testing.T, s *device.State) {
				if len(s.WiFi) != 0 {
					t.Errorf("wifi = %v, want none saved", s.WiFi)
				}
			},
		},
		{
			name: "a personal Wi-Fi network is saved", target: func() device.State { return newPC(win11, "x64") },
			content: func(c *backup.Content) {
				c.WiFi = append(c.WiFi, backup.WiFiNetwork{SSID: "Home-5G", Security: backup.WiFiWPA3Personal})
			},
			kind: apply.KindWiFi, item: "Home-5G", want: apply.Applied,
			check: func(t *testing.T, s *device.State) {
				if !slices.Contains(s.WiFi, backup.WiFiNetwork{SSID: "Home-5G", Security: backup.WiFiWPA3Personal}) {
					t.Errorf("wifi = %v, want Home-5G saved", s.WiFi)
				}
			},
		},
		{
			name: "a network saved with other security is updated",
			target: func() device.State {
				s := newPC(win11, "x64")
				s.WiFi = []backup.WiFiNetwork{{SSID: "Home-5G", Security: backup.WiFiWPA2Personal}}
				return s
			},
			content: func(c *backup.Content) {
				c.WiFi = append(c.WiFi, backup.WiFiNetwork{SSID: "Home-5G", Security: backup.WiFiWPA3Personal})
			},
			kind: apply.KindWiFi, item: "Home-5G", want: apply.Applied, reason: "from wpa2Personal to wpa3Personal",
		},
		{
			name: "a Store app offered for x64 is reinstalled on x64", target: func() device.State { return newPC(win11, "x64") },
			content: func(c *backup.Content) { c.StoreApps = append(c.StoreApps, photos) },
			kind:    apply.KindStoreApp, item: "Microsoft Photos", want: apply.Applied, reason: "its data is not restored",
			check: func(t *testing.T, s *device.State) {
				if len(s.StoreApps) != 1 || s.StoreApps[0].Architecture != "x64" {
					t.Errorf("apps = %+v, want Photos installed for x64", s.StoreApps)
				}
			},
		},
		{
			name: "a Store app offered only for arm64 fails on x64", target: func() device.State { return newPC(win11, "x64") },
			content: func(c *backup.Content) { c.StoreApps = append(c.StoreApps, armOnly) },
			kind:    apply.KindStoreApp, item: "Arm Sketch", want: apply.Failed, reason: "does not offer it for x64",
			check: func(t *testing.T, s *device.State) {
				if len(s.StoreApps) != 0 {
					t.Errorf("apps = %+v, want nothing installed", s.StoreApps)
				}
			},
		},
		{
			name: "an x64-only Store app installs emulated on arm64", target: func() device.State { return newPC(win11, "arm64") },
			content: func(c *backup.Content) { c.StoreApps = append(c.StoreApps, spotify) },
			kind:    apply.KindStoreApp, item: "Spotify", want: apply.Applied, reason: "emulated on arm64",
			check: func(t *testing.T, s *device.State) {
				if len(s.StoreApps) != 1 || s.StoreApps[0].Architecture != "x64" {
					t.Errorf("apps = %+v, want Spotify's x64 build", s.StoreApps)
				}
			},
		},
		{
			name: "a Store app with an arm64 build gets it on arm64", target: func() device.State { return newPC(win11, "arm64") },
			content: func(c *backup.Content) { c.StoreApps = append(c.StoreApps, photos) },
			kind:    apply.KindStoreApp, item: "Microsoft Photos", want: apply.Applied, reason: "(arm64)",
		},
		{
			name: "an installed Store app is already set",
			target: func() device.State {
				s := newPC(win11, "x64")
				s.StoreApps = []device.App{{ProductID: photos.ProductID, Name: photos.Name, Architecture: "x64", Architectures: photos.Architectures}}
				return s
			},
			content: func(c *backup.Content) { c.StoreApps = append(c.StoreApps, photos) },
			kind:    apply.KindStoreApp, item: "Microsoft Photos", want: apply.AlreadySet,
		},
		{
			name: "a Start pin is pinned", target: func() device.State { return newPC(win11, "x64") },
			content: func(c *backup.Content) { c.StartPins = append(c.StartPins, calc) },
			kind:    apply.KindStartPin, item: "Calculator", want: apply.Applied,
			check: func(t *testing.T, s *device.State) {
				if !slices.Contains(s.StartPins, calc) {
					t.Errorf("start pins = %v, want Calculator", s.StartPins)
				}
			},
		},
		{
			name: "a Windows 10 Start tile becomes a Windows 11 Start pin", target: func() device.State { return newPC(win11, "x64") },
			content: func(c *backup.Content) {
				c.SourceOSVersion = win10
				c.StartTiles = append(c.StartTiles, backup.StartTile{AppID: calc.AppID, Name: calc.Name, Group: "Tools", Size: "medium"})
			},
			kind: apply.KindStartTile, item: "Calculator", want: apply.Applied, reason: "Windows 11 Start",
			check: func(t *testing.T, s *device.State) {
				if !slices.Contains(s.StartPins, calc) || len(s.StartTiles) != 0 {
					t.Errorf("start pins %v, tiles %v: want the tile as a pin", s.StartPins, s.StartTiles)
				}
			},
		},
		{
			name: "Start pins under a Start layout policy are kept by policy",
			target: func() device.State {
				s := newPC(win11, "x64")
				s.Policies = []device.Policy{policy(device.CategoryDevice, device.PolicyStartLayout, "", "Contoso Start layout")}
				return s
			},
			content: func(c *backup.Content) { c.StartPins = append(c.StartPins, calc) },
			kind:    apply.KindStartPin, item: "Calculator", want: apply.KeptByPolicy, reason: "Contoso Start layout",
		},
		{
			name: "taskbar pins are restored on 23H2", target: func() device.State { return newPC(win11, "x64") },
			content: func(c *backup.Content) { c.TaskbarPins = append(c.TaskbarPins, explorer) },
			kind:    apply.KindTaskbarPin, item: "File Explorer", want: apply.Applied,
		},
		{
			name: "taskbar pins are not supported on 24H2", target: func() device.State { return newPC(win11v24H2, "x64") },
			content: func(c *backup.Content) { c.TaskbarPins = append(c.TaskbarPins, explorer) },
			kind:    apply.KindTaskbarPin, item: "File Explorer", want: apply.NotSupported, reason: "only up to Windows 11 23H2",
			check: func(t *testing.T, s *device.State) {
				if len(s.TaskbarPins) != 0 {
					t.Errorf("taskbar pins = %v, want none on 24H2", s.TaskbarPins)
				}
			},
		},
		{
			name: "taskbar pins are not supported on 25H2 either", target: func() device.State { return newPC(win11v25H2, "x64") },
			content: func(c *backup.Content) { c.TaskbarPins = append(c.TaskbarPins, explorer) },
			kind:    apply.KindTaskbarPin, item: "File Explorer", want: apply.NotSupported,
		},
		{
			name: "taskbar pins under a taskbar layout policy are kept by policy",
			target: func() device.State {
				s := newPC(win11, "x64")
				s.Policies = []device.Policy{policy(device.CategoryDevice, device.PolicyTaskbarLayout, "", "Contoso taskbar")}
				return s
			},
			content: func(c *backup.Content) { c.TaskbarPins = append(c.TaskbarPins, explorer) },
			kind:    apply.KindTaskbarPin, item: "File Explorer", want: apply.KeptByPolicy,
		},
		{
			name: "the device name is restored", target: func() device.State { return newPC(win11, "x64") },
			content: func(c *backup.Content) { c.DeviceName = "ADELE-OLD" },
			kind:    apply.KindDeviceName, item: "ADELE-OLD", want: apply.Applied, reason: "renamed from CONTOSO-8F2K1Q",
			check: func(t *testing.T, s *device.State) {
				if s.Profile.Name != "ADELE-OLD" {
					t.Errorf("name = %s, want ADELE-OLD", s.Profile.Name)
				}
			},
		},
		{
			name: "a device name from the Autopilot name template is kept by policy",
			target: func() device.State {
				s := newPC(win11, "x64")
				s.Policies = []device.Policy{policy(device.CategoryDevice, device.PolicyDeviceName, `"CONTOSO-%SERIAL%"`, "Autopilot profile")}
				return s
			},
			content: func(c *backup.Content) { c.DeviceName = "ADELE-OLD" },
			kind:    apply.KindDeviceName, item: "ADELE-OLD", want: apply.KeptByPolicy, reason: "keeps the name CONTOSO-8F2K1Q",
			check: func(t *testing.T, s *device.State) {
				if s.Profile.Name != "CONTOSO-8F2K1Q" {
					t.Errorf("name = %s, want the Autopilot name kept", s.Profile.Name)
				}
			},
		},
		{
			name: "a device name Windows cannot take fails", target: func() device.State { return newPC(win11, "x64") },
			content: func(c *backup.Content) { c.DeviceName = "ADELES-VERY-LONG-LAPTOP" },
			kind:    apply.KindDeviceName, item: "ADELES-VERY-LONG-LAPTOP", want: apply.Failed, reason: "15",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := initDevice(t, tc.target())
			c := emptyBackup()
			tc.content(c)
			r, err := apply.ApplyPayload(context.Background(), dir, payload(t, c), adele)
			if err != nil {
				t.Fatal(err)
			}
			it, ok := findItem(r, tc.kind, tc.item)
			if !ok {
				t.Fatalf("no %s item %q in %+v", tc.kind, tc.item, r.Items)
			}
			if it.Outcome != tc.want || !strings.Contains(it.Reason, tc.reason) || it.Reason == "" {
				t.Fatalf("%s %q: %s (%q), want %s with a reason mentioning %q", tc.kind, tc.item, it.Outcome, it.Reason, tc.want, tc.reason)
			}
			if r.Changed != (r.Counts.Applied > 0) {
				t.Errorf("changed = %v with %d applied", r.Changed, r.Counts.Applied)
			}
			if tc.check != nil {
				tc.check(t, open(t, dir))
			}
		})
	}
}

func TestAWindows10BackupRestoresOntoWindows11(t *testing.T) {
	old := oldPC(win10)
	dir := initDevice(t, newPC(win11, "x64"))
	r, err := apply.ApplyPayload(context.Background(), dir, payload(t, snapshot(t, old, adele)), adele)
	if err != nil {
		t.Fatal(err)
	}
	outcomes := map[string]apply.Outcome{}
	for _, it := range r.Items {
		outcomes[string(it.Kind)+":"+it.Name] = it.Outcome
		if it.Category == device.CategoryWindowsUpdate {
			t.Errorf("a Windows Update setting was in the backup: %+v", it)
		}
	}
	want := map[string]apply.Outcome{
		"deviceName:ADELE-OLD":     apply.Applied,
		"setting:textScale":        apply.Applied,
		"setting:liveTiles":        apply.NotSupported,
		"setting:newsAndInterests": apply.NotSupported,
		"setting:timeline":         apply.NotSupported,
		"setting:vpnConnections":   apply.NotRestorable,
		"wifi:Contoso-Guest":       apply.Applied,
		"wifi:Contoso-Corp":        apply.NotRestorable,
		"storeApp:Spotify":         apply.Applied,
		"startTile:Calculator":     apply.Applied,
		"startTile:Microsoft Edge": apply.Applied,
		"taskbarPin:File Explorer": apply.Applied,
	}
	for k, w := range want {
		if outcomes[k] != w {
			t.Errorf("%s: %q, want %q", k, outcomes[k], w)
		}
	}
	s := open(t, dir)
	var pinned []string
	for _, p := range s.StartPins {
		pinned = append(pinned, p.Name)
	}
	if strings.Join(pinned, ",") != "Microsoft Edge,Photos,Calculator,Settings" || len(s.StartTiles) != 0 {
		t.Errorf("Start pins %v (tiles %v): want the four Windows 10 tiles as pins, in order", pinned, s.StartTiles)
	}
	if got := string(s.Settings[device.CategoryWindowsUpdate]["activeHours"]); got != `{"end":18,"start":9}` {
		t.Errorf("the new PC's own Windows Update settings changed: activeHours = %s", got)
	}
	if _, ok := s.Settings[device.CategoryWindowsUpdate]["getLatestUpdatesAsap"]; ok {
		t.Error("a Windows Update setting of the old PC reached the new one")
	}
	if s.Profile.Name != "ADELE-OLD" || s.LastRestore == nil || s.LastRestore.SourceDeviceName != "ADELE-OLD" || s.LastRestore.Counts["applied"] != r.Counts.Applied {
		t.Errorf("name %s, last restore %+v; want ADELE-OLD and the report's counts", s.Profile.Name, s.LastRestore)
	}
	checkCounts(t, r)
}

// checkCounts checks that the counts are the items, per outcome and per category.
func checkCounts(t *testing.T, r *apply.Report) {
	t.Helper()
	var total apply.Counts
	for _, c := range r.ByCategory {
		total.Applied += c.Applied
		total.AlreadySet += c.AlreadySet
		total.KeptByPolicy += c.KeptByPolicy
		total.NotSupported += c.NotSupported
		total.NotRestorable += c.NotRestorable
		total.Failed += c.Failed
	}
	if total != r.Counts || r.Counts.Total() != len(r.Items) {
		t.Fatalf("counts %+v, by category summed %+v, %d items", r.Counts, total, len(r.Items))
	}
	for _, o := range apply.Outcomes() {
		n := 0
		for _, it := range r.Items {
			if it.Outcome == o {
				n++
			}
		}
		if r.Counts.Of(o) != n {
			t.Fatalf("%s: count %d, %d items", o, r.Counts.Of(o), n)
		}
	}
}

func TestReapplyingTheSameBackupChangesNothing(t *testing.T) {
	target := newPC(win11, "arm64")
	target.Policies = []device.Policy{{Category: backup.CategoryPersonalization, Name: "theme", Value: json.RawMessage(`"light"`), Source: "Contoso baseline"}}
	dir := initDevice(t, target)
	old := oldPC(win11Src)
	old.StoreApps = append(old.StoreApps, device.App{ProductID: "9NX64ONLY001", Name: "Legacy Tool", Architecture: "x64", Architectures: []string{"x64"}})
	p := payload(t, snapshot(t, old, adele))

	first, err := apply.ApplyPayload(context.Background(), dir, p, adele)
	if err != nil {
		t.Fatal(err)
	}
	if first.Counts.Applied == 0 || first.Counts.KeptByPolicy == 0 || first.Counts.NotRestorable == 0 || !first.Changed {
		t.Fatalf("the first apply should apply, keep by policy and skip: %+v", first.Counts)
	}
	before := readTree(t, dir)
	second, err := apply.ApplyPayload(context.Background(), dir, p, adele)
	if err != nil {
		t.Fatal(err)
	}
	if second.Changed || second.Counts.Applied != 0 {
		t.Fatalf("re-applying changed the device: %+v", second.Counts)
	}
	if d := diffTrees(before, readTree(t, dir)); d != "" {
		t.Fatalf("re-applying wrote to the device: %s", d)
	}
	if len(first.Items) != len(second.Items) {
		t.Fatalf("%d items, then %d", len(first.Items), len(second.Items))
	}
	for i, it := range first.Items {
		want := it.Outcome
		if want == apply.Applied {
			want = apply.AlreadySet
		}
		if got := second.Items[i]; got.Outcome != want || got.Name != it.Name {
			t.Errorf("%s %q: first %s, then %s; want %s", it.Kind, it.Name, it.Outcome, got.Outcome, want)
		}
	}
	checkCounts(t, second)
}

func TestABadBackupIsRefusedAndTheDeviceIsByteForByteUnchanged(t *testing.T) {
	good := snapshot(t, oldPC(win11Src), adele)
	goodPayload := payload(t, good)
	raw, _ := base64Decode(goodPayload)
	edit := func(f func(m map[string]any)) string {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, _ := json.Marshal(m)
		return base64Encode(b)
	}
	resealed := func(f func(c *backup.Content)) string {
		c := snapshot(t, oldPC(win11Src), adele)
		f(c)
		return payload(t, c)
	}
	var payloadErr *backup.PayloadError
	tests := []struct {
		name, payload string
		owner         backup.Owner
		is            func(error) bool
		want          string
	}{
		{"bad base64", "%%% not base64 %%%", adele, func(err error) bool { return errors.As(err, &payloadErr) }, "not base64"},
		{"bad JSON", base64Encode([]byte(`{"version":1,"owner":`)), adele, func(err error) bool { return errors.As(err, &payloadErr) }, "not valid JSON"},
		{"JSON that is not a backup", base64Encode([]byte(`[1,2,3]`)), adele, func(err error) bool { return errors.As(err, &payloadErr) }, "not valid JSON"},
		{"an unknown field", edit(func(m map[string]any) { m["vpnProfiles"] = []string{"x"} }), adele, func(err error) bool { return errors.As(err, &payloadErr) }, "not valid JSON"},
		{"an unknown payload version", edit(func(m map[string]any) { m["version"] = 2 }), adele, func(err error) bool { return errors.As(err, &payloadErr) }, "version 2 is not supported"},
		{"a payload past the size limit", strings.Repeat("QUFB", backup.MaxPayloadBytes/3+1), adele, func(err error) bool { return errors.As(err, &payloadErr) }, "limit"},
		{"a checksum mismatch", edit(func(m map[string]any) { m["deviceName"] = "MALLORY-PC" }), adele, func(err error) bool { return errors.Is(err, backup.ErrChecksum) }, "checksum"},
		{"a damaged item under a valid checksum", resealed(func(c *backup.Content) { c.WiFi[0].Security = "wep" }), adele, func(err error) bool { return errors.As(err, &payloadErr) }, "security"},
		{"another user's backup", goodPayload, megan, func(err error) bool { return errors.Is(err, apply.ErrNotOwner) }, "made by user " + adele.ObjectID},
		{"another tenant's backup", goodPayload, fabrikam, func(err error) bool { return errors.Is(err, apply.ErrNotOwner) }, "made in tenant " + adele.TenantID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			target := newPC(win11, "x64")
			target.Profile.TenantID = ""
			dir := initDevice(t, target)
			// A device that has already been restored to once, so every file has content.
			if _, err := apply.ApplyPayload(context.Background(), dir, payload(t, snapshot(t, oldPC(win10), adele)), adele); err != nil {
				t.Fatal(err)
			}
			before := hashTree(t, dir)
			r, err := apply.ApplyPayload(context.Background(), dir, tc.payload, tc.owner)
			if err == nil || !tc.is(err) || !strings.Contains(err.Error(), tc.want) || r != nil {
				t.Fatalf("err = %v (report %v); want a refusal mentioning %q", err, r, tc.want)
			}
			after := hashTree(t, dir)
			if fmt.Sprint(before) != fmt.Sprint(after) {
				t.Fatalf("the device directory changed:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

func TestADeviceThatCannotTakeARestoreIsRefusedUntouched(t *testing.T) {
	p := payload(t, snapshot(t, oldPC(win11Src), adele))
	otherTenant := newPC(win11, "x64")
	otherTenant.Profile.TenantID = fabrikam.TenantID
	for _, tc := range []struct {
		name   string
		target device.State
		want   string
	}{
		{"a Windows 10 device", newPC(win10, "x64"), "needs Windows 11"},
		{"a device joined to another tenant", otherTenant, "joined to tenant " + fabrikam.TenantID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := initDevice(t, tc.target)
			before := hashTree(t, dir)
			_, err := apply.ApplyPayload(context.Background(), dir, p, adele)
			if !errors.Is(err, apply.ErrTarget) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrTarget mentioning %q", err, tc.want)
			}
			if fmt.Sprint(before) != fmt.Sprint(hashTree(t, dir)) {
				t.Fatal("the device directory changed")
			}
		})
	}
}

func TestAPlanForADeviceThatChangedSinceIsRefused(t *testing.T) {
	dir := initDevice(t, newPC(win11, "x64"))
	d, err := device.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := apply.NewPlan(snapshot(t, oldPC(win11Src), adele), d, adele)
	if err != nil {
		t.Fatal(err)
	}
	c := emptyBackup()
	c.DeviceName = "SOMEONE-ELSE"
	if _, err := apply.ApplyPayload(context.Background(), dir, payload(t, c), adele); err != nil {
		t.Fatal(err)
	}
	before := hashTree(t, dir)
	if _, err := apply.Apply(context.Background(), dir, plan); !errors.Is(err, apply.ErrStale) {
		t.Fatalf("err = %v, want ErrStale", err)
	}
	if fmt.Sprint(before) != fmt.Sprint(hashTree(t, dir)) {
		t.Fatal("a stale plan wrote to the device")
	}
}

func TestThePlanDecidesEverythingBeforeTheDeviceChanges(t *testing.T) {
	dir := initDevice(t, newPC(win11, "x64"))
	before := hashTree(t, dir)
	d, err := device.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := apply.NewPlan(snapshot(t, oldPC(win10), adele), d, adele)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(before) != fmt.Sprint(hashTree(t, dir)) {
		t.Fatal("planning wrote to the device")
	}
	r, err := apply.Apply(context.Background(), dir, plan)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(r.Items) != fmt.Sprint(plan.Items) || r.Counts != plan.Counts || !r.Changed {
		t.Fatal("the report differs from the plan")
	}
	res := r.Result("f7773c63-33ce-49d7-bc1e-8d340efdb52c", "0b9d1f7e-1c5a-4a8e-9f38-2d0b6f0c4e11", backupTime)
	if res.Status != backup.StatusSucceeded || res.Applied != r.Counts.Applied || res.NotSupported != r.Counts.NotSupported || !res.ReportedDateTime.Equal(backupTime) {
		t.Fatalf("restore result %+v does not carry the report %+v", res, r.Counts)
	}
}

func TestEveryCatalogEntryNamesItsSourceAndReason(t *testing.T) {
	for _, s := range apply.Catalog() {
		if s.Source == "" || s.Why == "" || (s.MinBuild == 0 && s.MaxBuild == 0 && !s.NotRestorable) {
			t.Errorf("%s/%s: needs a source, a reason and a build range or notRestorable", s.Category, s.Name)
		}
		if !slices.Contains(backup.Categories(), s.Category) {
			t.Errorf("%s/%s: category is not one Windows backs up", s.Category, s.Name)
		}
	}
}

func TestEveryOutcomeHasItsOwnCount(t *testing.T) {
	var c apply.Counts
	for i, o := range apply.Outcomes() {
		for range i + 1 {
			c = plusOne(c, o)
		}
	}
	m := c.Map()
	if len(m) != len(apply.Outcomes()) {
		t.Fatalf("Map has %d keys, want one per outcome: %v", len(m), m)
	}
	total := 0
	for i, o := range apply.Outcomes() {
		if c.Of(o) != i+1 || m[string(o)] != i+1 {
			t.Errorf("%s: Of %d, Map %d, want %d", o, c.Of(o), m[string(o)], i+1)
		}
		total += i + 1
	}
	if c.Total() != total {
		t.Errorf("Total %d, want %d", c.Total(), total)
	}
	if c.Of("unknown") != 0 {
		t.Errorf("an unknown outcome counts %d", c.Of("unknown"))
	}
}

// plusOne counts one more item with outcome o, through the JSON field the outcome names.
func plusOne(c apply.Counts, o apply.Outcome) apply.Counts {
	b, _ := json.Marshal(c)
	var m map[string]int
	_ = json.Unmarshal(b, &m)
	m[string(o)]++
	b, _ = json.Marshal(m)
	var out apply.Counts
	_ = json.Unmarshal(b, &out)
	return out
}
