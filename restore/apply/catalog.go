package apply

import "github.com/oobe-dev/oobe/backup"

// Support is what the engine knows about one setting: on which builds it exists, and
// whether a restore may carry it at all. Settings not in the catalog exist on every build.
type Support struct {
	Category string `json:"category"`
	Name     string `json:"name"`
	// MinBuild is the first build with the setting; 0: every build.
	MinBuild int `json:"minBuild,omitempty"`
	// MaxBuild is the last build with the setting; 0: still in Windows.
	MaxBuild int `json:"maxBuild,omitempty"`
	// NotRestorable: a backup lists it, a restore never carries it.
	NotRestorable bool `json:"notRestorable,omitempty"`
	// Why is the sentence the report gives when the setting is not restored.
	Why string `json:"why"`
	// Source is where the fact comes from.
	Source string `json:"source"`
}

// lastWindows10Build is Windows 10 22H2 (domain.md §3): settings Windows 11 removed end here.
const lastWindows10Build = 19045

// win11Removals is the source of every Windows 10-only entry.
const win11Removals = `Microsoft, "Windows 11 specifications and system requirements", Feature deprecations and removals`

// catalog is the settings whose support is not "everywhere". Keep it small and sourced.
var catalog = []Support{
	{Category: backup.CategoryPersonalization, Name: "liveTiles", MaxBuild: lastWindows10Build,
		Why: "Live Tiles are Windows 10 only; Windows 11 Start has no tiles", Source: win11Removals + `: "Live Tiles are no longer available"`},
	{Category: backup.CategoryPersonalization, Name: "newsAndInterests", MaxBuild: lastWindows10Build,
		Why: "News and interests on the taskbar is Windows 10 only; Windows 11 has Widgets instead", Source: win11Removals + `: "News & Interests has evolved" (into Widgets)`},
	{Category: backup.CategoryPersonalization, Name: "taskbarCortanaButton", MaxBuild: lastWindows10Build,
		Why: "the Cortana button on the taskbar is Windows 10 only", Source: win11Removals + `: Cortana "will no longer be pinned to the taskbar"`},
	{Category: backup.CategoryPersonalization, Name: "lockScreenQuickStatus", MaxBuild: lastWindows10Build,
		Why: "quick status on the lock screen is Windows 10 only", Source: win11Removals + `: "Quick Status from the Lockscreen and associated settings are removed"`},
	{Category: backup.CategoryOther, Name: "timeline", MaxBuild: lastWindows10Build,
		Why: "Timeline is Windows 10 only", Source: win11Removals + `: "Timeline is removed"`},
	{Category: backup.CategoryOther, Name: "tabletMode", MaxBuild: lastWindows10Build,
		Why: "tablet mode is Windows 10 only; Windows 11 adapts to the posture by itself", Source: win11Removals + `: "Tablet Mode is removed"`},
	{Category: backup.CategoryAccessibility, Name: "voiceAccess", MinBuild: 22621,
		Why: "voice access arrived in Windows 11 22H2", Source: `Microsoft Support, "Use voice access to control your PC": Windows 11, version 22H2 and later`},
	{Category: backup.CategoryAccessibility, Name: "liveCaptions", MinBuild: 22621,
		Why: "live captions arrived in Windows 11 22H2", Source: `Microsoft Support, "Use live captions to better understand audio": Windows 11, version 22H2 and later`},
	{Category: backup.CategoryAccountsAndWiFi, Name: "vpnConnections", NotRestorable: true,
		Why: "VPN profiles are not carried by Windows backup; the organization deploys them", Source: `domain.md §1, from Microsoft Learn "Windows backup for organizations"`},
}

// Catalog returns a copy of the settings catalog, for documentation and tests.
func Catalog() []Support { return append([]Support(nil), catalog...) }

func lookup(category, name string) (Support, bool) {
	for _, s := range catalog {
		if s.Category == category && s.Name == name {
			return s, true
		}
	}
	return Support{}, false
}

// supportedOn reports whether the setting exists on build.
func (s Support) supportedOn(build int) bool {
	return build >= s.MinBuild && (s.MaxBuild == 0 || build <= s.MaxBuild)
}
