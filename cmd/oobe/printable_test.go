package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Outside data with terminal controls in it — an SSID from a backup, a field of a file — is
// printed escaped: the terminal shows \x1b, it never clears the screen or sets its title.
func TestOutsideDataReachesTheTerminalEscaped(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "dev")
	if code, _, stderr := runCLI(t, "device", "init", dir, "--sample"); code != 0 {
		t.Fatalf("device init: exit %d: %s", code, stderr)
	}
	wifi := filepath.Join(dir, "wifi.json")
	data, err := os.ReadFile(wifi)
	if err != nil {
		t.Fatal(err)
	}
	hostile := `Home\u001b]0;pwned\u0007\u001b[2J\u202e`
	if err := os.WriteFile(wifi, []byte(strings.Replace(string(data), `"Home-5G"`, `"`+hostile+`"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "device", "show", dir)
	if code != 0 {
		t.Fatalf("device show: exit %d: %s", code, stderr)
	}
	if strings.ContainsAny(stdout+stderr, "\x1b\x07\u202e") {
		t.Fatalf("a control character reached the terminal:\n%q", stdout)
	}
	if !strings.Contains(stdout, `Home\x1b]0;pwned\x07\x1b[2J\u202e`) {
		t.Errorf("the SSID is not shown escaped:\n%s", stdout)
	}

	// An error naming a file's bad value escapes it too.
	profile := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(profile, []byte("os: 10.0.26100.4946\nedition: Enterprise\njoin: \"\\e[2Jentra\"\nprovisioning: userDriven\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runCLI(t, "check", "--device", profile)
	if code != 2 || strings.ContainsRune(stdout+stderr, '\x1b') || !strings.Contains(stderr, `\x1b[2Jentra`) {
		t.Fatalf("check: exit %d, stderr %q: want 2 with the value escaped", code, stderr)
	}
}
