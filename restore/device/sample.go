package device

import (
	"encoding/json"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/restore/profile"
)

// Sample returns a lived-in device with profile p: the settings, networks, Store apps and
// pins a user's PC gathers, Windows 10 tiles on Windows 10 and pins on Windows 11, and
// Windows 10-only settings only on Windows 10. Demos and tests start from it.
func Sample(p profile.DeviceProfile) State {
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	s := State{
		Profile: p,
		Settings: map[string]map[string]json.RawMessage{
			backup.CategoryAccessibility: {
				"textScale":        raw(`125`),
				"cursorSize":       raw(`3`),
				"highContrast":     raw(`false`),
				"narratorOnSignIn": raw(`false`),
			},
			backup.CategoryAccountsAndWiFi: {
				"vpnConnections": raw(`["Contoso VPN"]`),
			},
			backup.CategoryPersonalization: {
				"theme":       raw(`"dark"`),
				"accentColor": raw(`"#0063B1"`),
				"wallpaper":   raw(`"C:\\Windows\\Web\\Wallpaper\\Windows\\img19.jpg"`),
			},
			backup.CategoryLanguage: {
				"displayLanguage": raw(`"en-US"`),
				"inputMethods":    raw(`["en-US","fr-FR"]`),
				"userDictionary":  raw(`["Contoso","Intune","Autopilot"]`),
			},
			backup.CategoryOther: {
				"mouseSpeed":    raw(`12`),
				"clipboardSync": raw(`true`),
			},
			CategoryWindowsUpdate: {
				"activeHours":          raw(`{"start":8,"end":17}`),
				"getLatestUpdatesAsap": raw(`false`),
			},
		},
		WiFi: []backup.WiFiNetwork{
			{SSID: "Contoso-Guest", Security: backup.WiFiWPA2Personal},
			{SSID: "Home-5G", Security: backup.WiFiWPA3Personal},
			{SSID: "Contoso-Corp", Security: backup.WiFiWPA2Enterprise},
		},
		StoreApps: []App{
			{ProductID: "9WZDNCRFJBH4", Name: "Microsoft Photos", Architecture: ArchX64, Architectures: []string{ArchX64, ArchARM64, ArchX86}},
			{ProductID: "9NBLGGH5R558", Name: "Microsoft To Do", Architecture: ArchX64, Architectures: []string{ArchX64, ArchARM64, ArchX86}},
			{ProductID: "9NCBCSZSJRSB", Name: "Spotify", Architecture: ArchX64, Architectures: []string{ArchX64, ArchX86}},
		},
		TaskbarPins: []backup.Pin{
			{AppID: "Microsoft.Windows.Explorer", Name: "File Explorer"},
			{AppID: "MSEdge", Name: "Microsoft Edge"},
		},
	}
	start := []backup.Pin{
		{AppID: "MSEdge", Name: "Microsoft Edge"},
		{AppID: "Microsoft.Windows.Photos_8wekyb3d8bbwe!App", Name: "Photos"},
		{AppID: "Microsoft.WindowsCalculator_8wekyb3d8bbwe!App", Name: "Calculator"},
		{AppID: "windows.immersivecontrolpanel_cw5n1h2txyewy!microsoft.windows.immersivecontrolpanel", Name: "Settings"},
	}
	if v, err := profile.ParseVersion(p.OS); err == nil && !v.IsWindows11() {
		for i, pin := range start {
			size := "medium"
			if i == 0 {
				size = "wide"
			}
			s.StartTiles = append(s.StartTiles, backup.StartTile{AppID: pin.AppID, Name: pin.Name, Group: "Productivity", Size: size})
		}
		s.Settings[backup.CategoryPersonalization]["liveTiles"] = raw(`true`)
		s.Settings[backup.CategoryPersonalization]["newsAndInterests"] = raw(`"iconOnly"`)
		s.Settings[backup.CategoryOther]["timeline"] = raw(`true`)
	} else {
		s.StartPins = start
		s.Settings[backup.CategoryPersonalization]["taskbarAlignment"] = raw(`"center"`)
	}
	if p.Architecture == ArchARM64 {
		for i := range s.StoreApps {
			if s.StoreApps[i].ProductID != "9NCBCSZSJRSB" {
				s.StoreApps[i].Architecture = ArchARM64
			}
		}
	}
	return s
}
