package device

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestShowSummarizesTheDevice(t *testing.T) {
	s := Sample(testProfile("10.0.19045.6216"))
	s.Policies = []Policy{{Category: "personalization", Name: "theme", Value: json.RawMessage(`"light"`), Source: "Contoso baseline"}}
	s.LastRestore = &RestoreRecord{SourceDeviceName: "ADELE-OLDER", SourceOSVersion: "10.0.19045.6216", Checksum: "x", Counts: map[string]int{"applied": 12, "keptByPolicy": 1, "failed": 0}}
	d := mustOpen(t, mustInit(t, s))
	var b strings.Builder
	if err := Show(&b, d, 0); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"ADELE-OLD: Windows 10 22H2 (10.0.19045.6216), Enterprise, x64\n",
		"device id        0b9d1f7e-1c5a-4a8e-9f38-2d0b6f0c4e11",
		"Settings: 18 (Accessibility 4; Accounts, Wi-Fi networks and passwords 1; Personalization 5; Language preferences and dictionary 3; Other Windows settings 3; Windows Update 2)",
		`Personalization › Colors › Choose your mode`,
		`"light"`,
		`personalization/theme (policy: Contoso baseline)`,
		"Contoso-Corp   wpa2Enterprise",
		"Start tiles: 4",
		"Taskbar pins: 2",
		"MDM policies: 1",
		"Backups: none yet",
		"Last restore: from ADELE-OLDER (10.0.19045.6216): 12 applied, 1 kept by policy\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the summary lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	if err := Show(&b, d, 2); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); !strings.Contains(out, "… and 16 more") || !strings.Contains(out, "… and 1 more (--all") || strings.Contains(out, "language/") {
		t.Errorf("a summary limited to 2 entries a list:\n%s", out)
	}
}

func TestShowListsTheLastRestoreInOutcomeOrder(t *testing.T) {
	s := Sample(testProfile("10.0.19045.6216"))
	s.LastRestore = &RestoreRecord{SourceDeviceName: "OLD", SourceOSVersion: "10.0.26100.4770", Counts: map[string]int{
		"failed": 6, "notRestorable": 5, "notSupported": 4, "keptByPolicy": 3, "alreadySet": 2, "applied": 1,
	}}
	d := mustOpen(t, mustInit(t, s))
	var b strings.Builder
	if err := Show(&b, d, 0); err != nil {
		t.Fatal(err)
	}
	want := "Last restore: from OLD (10.0.26100.4770): 1 applied, 2 already set, 3 kept by policy, 4 not supported, 5 not restorable, 6 failed\n"
	if !strings.Contains(b.String(), want) {
		t.Errorf("the summary lacks %q:\n%s", want, b.String())
	}
}
