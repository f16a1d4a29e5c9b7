package backup_test

import (
	"testing"

	"github.com/oobe-dev/oobe/backup"
)

func TestSettingsAreNamedAsWindowsShowsThem(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cat, name, want string
	}{
		{backup.CategoryPersonalization, "theme", "Personalization › Colors › Choose your mode"},
		{backup.CategoryAccessibility, "narratorStartsAtSignIn", "Accessibility › Narrator › Start Narrator before sign-in"},
		{backup.CategoryLanguage, "displayLanguage", "Language preferences and dictionary › Language & region › Windows display language"},
		{"windowsUpdate", "activeHours", "Windows Update › Advanced options › Active hours"},
		{backup.CategoryOther, "showHiddenFiles", "Other Windows settings › Show hidden files"},
		{"futureCategory", "someSetting", "Future category › Some setting"},
	} {
		if got := backup.SettingLabel(tc.cat, tc.name); got != tc.want {
			t.Errorf("SettingLabel(%s, %s) = %q, want %q", tc.cat, tc.name, got, tc.want)
		}
	}
}

func TestUnknownNamesAreTurnedIntoWords(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"powerSleepAfterMinutes": "Power sleep after minutes",
		"useUTCTime":             "Use UTC time",
		"ipv6Enabled":            "Ipv6 enabled",
		"x":                      "X",
		"":                       "",
		"snake_case":             "Snake case",
	} {
		if got := backup.Humanize(name); got != want {
			t.Errorf("Humanize(%q) = %q, want %q", name, got, want)
		}
	}
}
