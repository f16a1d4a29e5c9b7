package backup

import (
	"strings"
	"unicode"
)

// The words a person reads for backed-up settings: each category's title as the Windows
// Backup app shows it, and each setting's label as Windows 11's Settings app words it. Every
// screen and command that names a setting asks here, so the desktop, `oobe backups`, `oobe
// restore`, `oobe device show` and the accessible mode say the same thing.

// categoryTitles are the Windows Backup app's names for its categories ("Remember my
// preferences"), and two the restore adds: Windows Update's settings (restore/device's
// windowsUpdate) and the Store apps and pins (restore/apply's apps).
var categoryTitles = map[string]string{
	CategoryAccessibility:   "Accessibility",
	CategoryAccountsAndWiFi: "Accounts, Wi-Fi networks and passwords",
	CategoryPersonalization: "Personalization",
	CategoryLanguage:        "Language preferences and dictionary",
	CategoryOther:           "Other Windows settings",
	"windowsUpdate":         "Windows Update",
	"apps":                  "Apps",
}

// settingLabels are the settings the demo fixtures, restore/device's sample device and the
// scenario corpus back up, by category and name: the Settings page and the setting's label
// on it, joined by " › ", in Windows 11's words (Settings, 24H2). Where Windows shows the
// setting under another word or only in Windows 10, the label is inferred and says so.
var settingLabels = map[string]map[string]string{
	CategoryAccessibility: {
		"textScale":              "Text size",
		"cursorSize":             "Mouse pointer and touch › Size",
		"highContrast":           "Contrast themes",
		"narratorStartsAtSignIn": "Narrator › Start Narrator before sign-in",
		"narratorOnSignIn":       "Narrator › Start Narrator before sign-in",
		"stickyKeys":             "Keyboard › Sticky keys",
		"liveCaptions":           "Captions › Live captions",
		"voiceAccess":            "Speech › Voice access",
	},
	CategoryAccountsAndWiFi: {
		// Settings › Network & internet › VPN lists them; "connections" is inferred.
		"vpnConnections":         "VPN › VPN connections",
		"restartAppsAfterSignIn": "Sign-in options › Automatically save my restartable apps and restart them when I sign back in",
	},
	CategoryPersonalization: {
		"theme":                 "Colors › Choose your mode",
		"accentColor":           "Colors › Accent color",
		"desktopBackground":     "Background › Personalize your background",
		"wallpaper":             "Background › Personalize your background",
		"startShowRecommended":  "Start › Show recommended files in Start, recent files in File Explorer, and items in Jump Lists",
		"taskbarAlignment":      "Taskbar › Taskbar behaviors › Taskbar alignment",
		"lockScreenQuickStatus": "Lock screen › Lock screen status",
		// Windows 10 only: its Settings app's words.
		"newsAndInterests":     "Taskbar › News and interests",
		"taskbarCortanaButton": "Taskbar › Show Cortana button",
		"tabletMode":           "Tablet › Tablet mode",
		"liveTiles":            "Start › Live tiles",
		"timeline":             "Activity history › Timeline", // inferred: Timeline had no toggle of its own
	},
	CategoryLanguage: {
		"displayLanguage": "Language & region › Windows display language",
		"regionalFormat":  "Language & region › Regional format",
		// Inferred: the keyboards are listed under each language's options.
		"inputMethods": "Language & region › Keyboards",
		// Inferred: Privacy & security › Inking & typing personalization › Custom dictionary.
		"dictionaryWords": "Inking & typing personalization › Custom dictionary",
		"userDictionary":  "Inking & typing personalization › Custom dictionary",
	},
	CategoryOther: {
		"explorerShowFileExtensions": "File Explorer › Show file extensions",
		"mousePrimaryButton":         "Mouse › Primary mouse button",
		"mouseSpeed":                 "Mouse › Mouse pointer speed",
		"touchpadTapToClick":         "Touchpad › Tap with a single finger to single-click",
		"penShortcutButton":          "Pen & Windows Ink › Pen shortcut button", // inferred: Windows words it per button
		"powerSleepAfterMinutes":     "Power › When plugged in, put my device to sleep after",
		"clipboardSync":              "Clipboard › Clipboard history across your devices",
	},
	"windowsUpdate": {
		"activeHours":          "Advanced options › Active hours",
		"activeHoursStart":     "Advanced options › Active hours", // inferred: one setting, two ends
		"activeHoursEnd":       "Advanced options › Active hours",
		"getLatestUpdatesAsap": "Get the latest updates as soon as they're available",
	},
}

// CategoryTitle names a setting category as the Windows Backup app does ("Accessibility",
// "Accounts, Wi-Fi networks and passwords"); an unknown one is its name in words.
func CategoryTitle(cat string) string {
	if t, ok := categoryTitles[cat]; ok {
		return t
	}
	return Humanize(cat)
}

// SettingName is a setting's label within its category, as Windows 11's Settings app words
// it ("Colors › Choose your mode"); an unknown one is its name in words ("Show file
// extensions" for showFileExtensions).
func SettingName(cat, name string) string {
	if l, ok := settingLabels[cat][name]; ok {
		return l
	}
	return Humanize(name)
}

// SettingLabel is a setting's display name with its category: "Personalization › Colors ›
// Choose your mode".
func SettingLabel(cat, name string) string {
	return CategoryTitle(cat) + " › " + SettingName(cat, name)
}

// Humanize turns a camelCase name into words, the first capitalized: "powerSleepAfterMinutes"
// is "Power sleep after minutes", "vpnConnections" "Vpn connections", "useUTC" "Use UTC".
func Humanize(name string) string {
	rs := []rune(name)
	var b strings.Builder
	for i, r := range rs {
		upper := unicode.IsUpper(r)
		if i > 0 && upper {
			prevUpper := unicode.IsUpper(rs[i-1])
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			// A word starts at a capital after a small letter, and at the last capital of
			// an acronym followed by a small letter ("HTTPServer": "HTTP server").
			if !prevUpper || nextLower {
				b.WriteByte(' ')
			}
		}
		b.WriteRune(r)
	}
	words := strings.Fields(strings.NewReplacer("_", " ", "-", " ").Replace(b.String()))
	for i, w := range words {
		if !isAcronym(w) {
			words[i] = strings.ToLower(w)
		}
	}
	if len(words) == 0 {
		return name
	}
	first := []rune(words[0])
	first[0] = unicode.ToUpper(first[0])
	words[0] = string(first)
	return strings.Join(words, " ")
}

// isAcronym is whether w is two or more capitals (UTC, VPN), which keep their case.
func isAcronym(w string) bool {
	n := 0
	for _, r := range w {
		if !unicode.IsUpper(r) && !unicode.IsDigit(r) {
			return false
		}
		if unicode.IsUpper(r) {
			n++
		}
	}
	return n >= 2
}
