package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/oobe-dev/oobe/restore/device"
)

func showJSON(t *testing.T, dir string) (device.State, string) {
	t.Helper()
	code, out, errOut := runCLI(t, "device", "show", dir, "--json")
	if code != 0 {
		t.Fatalf("device show --json: exit %d: %s", code, errOut)
	}
	var st device.State
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("device show --json printed %q: %v", out, err)
	}
	return st, out
}

func TestDeviceInitMakesAnEligibleWindows11PCByDefault(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "new-pc")
	code, out, errOut := runCLI(t, "device", "init", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !regexp.MustCompile(`^created .*new-pc: DESKTOP-[A-Z0-9]{7}, Windows 11 23H2 \(10\.0\.22631\.4317\), Enterprise, x64, entra joined\n$`).MatchString(out) {
		t.Fatalf("stdout %q", out)
	}
	st, _ := showJSON(t, dir)
	p := st.Profile
	if p.OS != "10.0.22631.4317" || p.Edition != "Enterprise" || p.Join != "entra" || p.Provisioning != "userDriven" || p.Architecture != "x64" || p.Cloud != "global" || p.Shared {
		t.Fatalf("default profile %+v", p)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(p.DeviceID) {
		t.Fatalf("device id %q is not a random GUID", p.DeviceID)
	}
	if len(st.WiFi) != 0 || len(st.StoreApps) != 0 {
		t.Fatalf("a default device should be empty: %+v", st)
	}
}

func TestDeviceInitTakesAProfileFileAndFlagsOverIt(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	prof := filepath.Join(tmp, "arm.yaml")
	yaml := "os: 10.0.26100.4770\nedition: Education\njoin: entra\nprovisioning: oobe\narchitecture: arm64\nname: LAB-ARM-01\n"
	if err := os.WriteFile(prof, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "pc")
	code, out, errOut := runCLI(t, "device", "init", dir, "--profile", prof, "--edition", "Enterprise", "--tenant-id", "39150fda-e360-47ce-b98e-d9250ba6f8e8", "--sample")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "LAB-ARM-01, Windows 11 24H2 (10.0.26100.4770), Enterprise, arm64") {
		t.Fatalf("stdout %q", out)
	}
	st, _ := showJSON(t, dir)
	if st.Profile.Provisioning != "oobe" || st.Profile.TenantID != "39150fda-e360-47ce-b98e-d9250ba6f8e8" || len(st.StartPins) != 4 || st.StoreApps[0].Architecture != "arm64" {
		t.Fatalf("state %+v", st)
	}
}

func TestDeviceShowSummarizesAWindows10SampleDevice(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "old-pc")
	if code, _, errOut := runCLI(t, "device", "init", dir, "--os", "10.0.19045.6216", "--name", "ADELE-OLD", "--sample"); code != 0 {
		t.Fatalf("init: %s", errOut)
	}
	code, out, errOut := runCLI(t, "device", "show", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"ADELE-OLD: Windows 10 22H2 (10.0.19045.6216), Enterprise, x64", "Settings: 18 (", "Wi-Fi networks: 3", "Store apps: 3", "Start tiles: 4", "Taskbar pins: 2", "MDM policies: 0", "Last restore: none"} {
		if !strings.Contains(out, want) {
			t.Errorf("device show lacks %q:\n%s", want, out)
		}
	}
}

func TestDeviceShowJSONRecreatesTheDeviceWithInitState(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	a := filepath.Join(tmp, "a")
	if code, _, errOut := runCLI(t, "device", "init", a, "--sample", "--name", "ADELE-OLD"); code != 0 {
		t.Fatalf("init: %s", errOut)
	}
	_, stateA := showJSON(t, a)
	file := filepath.Join(tmp, "state.json")
	if err := os.WriteFile(file, []byte(stateA), 0o644); err != nil {
		t.Fatal(err)
	}
	b := filepath.Join(tmp, "b")
	if code, _, errOut := runCLI(t, "device", "init", b, "--state", file); code != 0 {
		t.Fatalf("init --state: %s", errOut)
	}
	if _, stateB := showJSON(t, b); stateB != stateA {
		t.Fatalf("the copy differs:\n%s\n%s", stateA, stateB)
	}
}

func TestDeviceCommandsRefuseBadInputWithExitTwo(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	existing := filepath.Join(tmp, "existing")
	if code, _, errOut := runCLI(t, "device", "init", existing); code != 0 {
		t.Fatalf("init: %s", errOut)
	}
	broken := filepath.Join(tmp, "broken")
	if code, _, errOut := runCLI(t, "device", "init", broken); code != 0 {
		t.Fatalf("init: %s", errOut)
	}
	if err := os.WriteFile(filepath.Join(broken, "wifi.json"), []byte("[\n  {\"ssid\": \"Home\",\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(tmp, "foreign") // someone else's files, one with a state file's name
	if err := os.MkdirAll(foreign, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(foreign, "apps.json"), []byte("my own list\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badProfile := filepath.Join(tmp, "bad.yaml")
	if err := os.WriteFile(badProfile, []byte("os: 10.0.22631.4317\nedition: Enterprise\njoin: entra\nprovisioning: userDriven\ncolour: blue\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"device", "init", existing}, "already holds a simulated device"},
		{[]string{"device", "init", foreign}, "is not empty and holds no simulated device"},
		{[]string{"device", "init", filepath.Join(tmp, "x"), "--os", "22631"}, "profile.json: os"},
		{[]string{"device", "init", filepath.Join(tmp, "x"), "--join", "workgroup"}, "join"},
		{[]string{"device", "init", filepath.Join(tmp, "x"), "--name", "THIS-NAME-IS-TOO-LONG"}, "name"},
		{[]string{"device", "init", filepath.Join(tmp, "x"), "--profile", filepath.Join(tmp, "missing.yaml")}, "missing.yaml"},
		{[]string{"device", "init", filepath.Join(tmp, "x"), "--profile", badProfile}, badProfile + ":5"},
		{[]string{"device", "init", filepath.Join(tmp, "x"), "--state", badProfile}, "not a device state"},
		{[]string{"device", "init", filepath.Join(tmp, "x"), "--state", badProfile, "--sample"}, "use one"},
		{[]string{"device", "show", tmp}, "not a simulated device"},
		{[]string{"device", "show", broken}, filepath.Join(broken, "wifi.json") + ":3:"},
		{[]string{"device", "show"}, "accepts 1 arg"},
	} {
		t.Run(strings.Join(tc.args[:2], " ")+" "+tc.want, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != 2 || !strings.Contains(errOut, tc.want) || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 and a message with %q", code, out, errOut, tc.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(tmp, "x", "profile.json")); err == nil {
		t.Fatal("a refused init created a device")
	}
	if got, err := os.ReadFile(filepath.Join(foreign, "apps.json")); err != nil || string(got) != "my own list\n" {
		t.Fatalf("init into someone else's directory changed apps.json: %q, %v", got, err)
	}
}
