package replay

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/restore/apply"
	"github.com/oobe-dev/oobe/tenant"
	"go.yaml.in/yaml/v3"
)

// goodScenario is a small valid scenario; the line numbers in the tests below refer to it.
const goodScenario = `name: Adele restores her newest PC
tenant:
  fixture: contoso
user: adele.vance@contoso.com
device:
  os: 10.0.26100.4946
  edition: Enterprise
  join: entra
  provisioning: userDriven
steps:
  signIn: {method: deviceCode, action: approve}
expect:
  restorePage: shown
  finalStage: desktop
`

// inlineScenario defines its tenant inline; line numbers refer to it too.
const inlineScenario = `name: Kim on an inline tenant
tenant:
  id: 6a1f0c52-3b7e-4d2a-9f14-8c5e2b7d3a91
  name: Northwind Traders
  domains: [northwind.example]
  restorePage: enabled
  users:
    - upn: kim@northwind.example
      displayName: Kim Akers
      password: Northwind-2026!
      objectId: 0b8e4f2c-6d1a-4e9b-a3c7-5f2d8e1b4c60
      backups:
        - device: KIM-DESKTOP
          deviceId: 2c7d9e1f-4a6b-4c8d-9e2f-1a3b5c7d9e0f
          os: 10.0.22631.5768
          created: 2026-01-10
          lastBackup: 2026-11-12T08:30:00Z
user: kim@northwind.example
device:
  os: 10.0.22631.4317
  edition: Enterprise
  join: entra
  provisioning: userDriven
expect:
  finalStage: desktop
`

func TestAGoodScenarioParsesWithItsDefaults(t *testing.T) {
	sc, err := Parse("good.yaml", []byte(goodScenario))
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case sc.Name != "Adele restores her newest PC" || sc.User != "adele.vance@contoso.com" || sc.Password == "":
		t.Fatalf("name %q user %q", sc.Name, sc.User)
	case sc.Tenant == nil || sc.Tenant.Name != "Contoso" || sc.ClientID == "":
		t.Fatalf("tenant %+v client %q", sc.Tenant, sc.ClientID)
	case !sc.Start.Equal(DefaultStart):
		t.Fatalf("start %s", sc.Start)
	case !sc.Steps.Network.Wired || sc.Steps.SignInMethod != oobe.SignInDeviceCode || sc.Steps.SignInAction != ActionApprove || sc.Steps.ESP != oobe.ESPContinueAnyway:
		t.Fatalf("steps %+v", sc.Steps)
	case sc.Device.Profile.Name == "" || sc.Device.Profile.DeviceID == "" || sc.Device.Profile.Cloud != "global":
		t.Fatalf("device profile %+v: want a default name and id", sc.Device.Profile)
	case sc.Expect.RestorePage == nil || !*sc.Expect.RestorePage || sc.Expect.FinalStage == nil || *sc.Expect.FinalStage != oobe.StageDesktop:
		t.Fatalf("expect %+v", sc.Expect)
	}
	again, _ := Parse("good.yaml", []byte(goodScenario))
	if again.Device.Profile.Name != sc.Device.Profile.Name || again.Device.Profile.DeviceID != sc.Device.Profile.DeviceID {
		t.Fatal("the default device name and id differ between two parses of the same file")
	}
}

func TestAnInlineTenantIsCheckedByTheFixtureParser(t *testing.T) {
	sc, err := Parse("inline.yaml", []byte(inlineScenario))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Tenant.ID != "6a1f0c52-3b7e-4d2a-9f14-8c5e2b7d3a91" || sc.ClientID != InlineClientID || len(sc.Tenant.Users) != 1 ||
		len(sc.Tenant.Users[0].Backups) != 1 || sc.Tenant.RestorePage != tenant.RestoreEnabled {
		t.Fatalf("tenant %+v", sc.Tenant)
	}
	b := sc.Tenant.Users[0].Backups[0]
	if b.Device != "KIM-DESKTOP" || !b.LastBackup.Equal(time.Date(2026, 11, 12, 8, 30, 0, 0, time.UTC)) {
		t.Fatalf("backup %+v", b)
	}
}

func TestAFixtureTenantCanChangeItsTenantWideSettings(t *testing.T) {
	src := strings.Replace(goodScenario, "  fixture: contoso\n", "  fixture: contoso\n  restorePage: disabled\n  conditionalAccess: {requirePhishingResistantMfa: true}\n", 1)
	sc, err := Parse("ca.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Tenant.RestorePage != tenant.RestoreDisabled || !sc.Tenant.ConditionalAccess.RequirePhishingResistantMFA {
		t.Fatalf("tenant %+v", sc.Tenant)
	}
	demo, _ := DemoTenants()
	for _, d := range demo {
		if d.RestorePage == tenant.RestoreDisabled || d.ConditionalAccess.RequirePhishingResistantMFA {
			t.Fatal("changing a scenario's fixture tenant changed the shared demo tenant")
		}
	}
}

func TestDeviceStateAndExpectedValuesParse(t *testing.T) {
	src := strings.Replace(goodScenario, "  provisioning: userDriven\n", `  provisioning: userDriven
  name: NW-01
  settings:
    personalization: {theme: dark}
  policies:
    - {category: personalization, name: theme, value: light, source: Baseline}
  taskbarPins: [{appId: MSEdge, name: Edge}]
`, 1)
	src = strings.Replace(src, "  finalStage: desktop\n", `  finalStage: desktop
  device:
    personalization/theme: light
    device/name: NW-01
  items:
    counts: {applied: 3}
    names: {keptByPolicy: [personalization/theme]}
  reasons: []
`, 1)
	sc, err := Parse("state.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	// Policy wins on the device too: the managed setting holds the policy's value.
	if got := string(sc.Device.Settings["personalization"]["theme"]); got != `"light"` {
		t.Fatalf("theme on the device = %s, want the policy's \"light\"", got)
	}
	if len(sc.Device.TaskbarPins) != 1 || sc.Device.Profile.Name != "NW-01" {
		t.Fatalf("device %+v", sc.Device)
	}
	if string(sc.Expect.Device["personalization/theme"]) != `"light"` || string(sc.Expect.Device["device/name"]) != `"NW-01"` {
		t.Fatalf("expected device values %v", sc.Expect.Device)
	}
	if sc.Expect.Counts["applied"] != 3 || len(sc.Expect.Names["keptByPolicy"]) != 1 || !sc.Expect.HasReasons || len(sc.Expect.Reasons) != 0 {
		t.Fatalf("expect %+v", sc.Expect)
	}
}

// mutate replaces old with new in base, failing the test if old is not there.
func mutate(t *testing.T, base, old, new string) string {
	t.Helper()
	if !strings.Contains(base, old) {
		t.Fatalf("test bug: %q not in the base scenario", old)
	}
	return strings.Replace(base, old, new, 1)
}

func TestBrokenScenariosNameTheFileLineAndKey(t *testing.T) {
	g, in := goodScenario, inlineScenario
	cases := []struct {
		name string
		src  string
		want string // "file:line: text" the error must start with and contain
	}{
		{"an unknown top-level key", g + "colour: blue\n", "s.yaml:15: the scenario: unknown key \"colour\""},
		{"an unknown key deep inside", mutate(t, g, "  signIn: {method: deviceCode, action: approve}", "  signIn: {method: deviceCode, acton: approve}"), "s.yaml:11: steps.signIn: unknown key \"acton\"; the keys here are method, action"},
		{"a key written twice", mutate(t, g, "user: adele", "user: megan.bowen@contoso.com\nuser: adele"), "s.yaml:5: user: key \"user\" appears twice (first on line 4)"},
		{"a list where a mapping goes", mutate(t, g, "  restorePage: shown", "  restorePage: [shown]"), "s.yaml:13:"},
		{"a word where a number goes", mutate(t, g, "  finalStage: desktop", "  items: {counts: {applied: many}}"), "s.yaml:14: \"many\" is a string, want a whole number"},
		{"a YAML syntax error", mutate(t, g, "  restorePage: shown", "  restorePage: [shown"), "s.yaml:"},
		{"an unknown sign-in action", mutate(t, g, "action: approve", "action: approveAll"), "s.yaml:11: steps.signIn.action \"approveAll\" is not one of approve, decline"},
		{"expire with the browser", mutate(t, g, "{method: deviceCode, action: approve}", "{method: browser, action: expire}"), "s.yaml:11: steps.signIn.action expire needs method deviceCode"},
		{"an unknown demo tenant", mutate(t, g, "fixture: contoso", "fixture: woodgrove"), "s.yaml:3: tenant.fixture \"woodgrove\" is not a demo tenant: want one of contoso, fabrikam"},
		{"a fixture with inline users", mutate(t, g, "  fixture: contoso\n", "  fixture: contoso\n  users: []\n"), "s.yaml:4: tenant.users: a tenant is given by fixture or inline, not both"},
		{"a user the tenant does not have", mutate(t, g, "user: adele.vance@contoso.com", "user: nobody@contoso.com"), "s.yaml:4: user \"nobody@contoso.com\" is not a user of tenant Contoso"},
		{"a device profile field with a wrong value", mutate(t, g, "  join: entra", "  join: azure"), "s.yaml:8: device.join: \"azure\" is not a known join type"},
		{"a device without its edition", mutate(t, g, "  edition: Enterprise\n", ""), "s.yaml:6: device.edition: missing"},
		{"a malformed OS version", mutate(t, g, "os: 10.0.26100.4946", "os: 24H2"), "s.yaml:6: device.os:"},
		{"a device setting in an unknown category", mutate(t, g, "  provisioning: userDriven\n", "  provisioning: userDriven\n  settings:\n    colours: {a: 1}\n"), "s.yaml:11: device.settings: category \"colours\" is not one of"},
		{"a policy without its source", mutate(t, g, "  provisioning: userDriven\n", "  provisioning: userDriven\n  policies:\n    - {category: personalization, name: theme, value: light}\n"), "s.yaml:11: device: policies.json"},
		{"a start time that is not RFC 3339", g + "start: next tuesday\n", "s.yaml:15: start \"next tuesday\" is not an RFC 3339 time"},
		{"an unknown fault endpoint", g + "faults:\n  endpoints:\n    - {endpoint: graph.backups, kind: throttle}\n", "s.yaml:17: faults.endpoints[0].endpoint \"graph.backups\" is not one of"},
		{"an unknown fault kind", g + "faults:\n  endpoints:\n    - {endpoint: token, kind: slow}\n", "s.yaml:17: faults.endpoints[0].kind: fault kind \"slow\" is not one of"},
		{"a status on a throttle", g + "faults:\n  endpoints:\n    - {endpoint: token, kind: throttle, status: 503}\n", "s.yaml:17: faults.endpoints[0].status does not apply to a throttle fault"},
		{"a retry-after that is not a duration", g + "faults:\n  endpoints:\n    - {endpoint: token, kind: throttle, retryAfter: soon}\n", "s.yaml:17: faults.endpoints[0].retryAfter \"soon\" is not a duration"},
		{"a token lifetime Entra would not take", g + "faults:\n  accessTokenLifetime: 30s\n", "s.yaml:16: faults.accessTokenLifetime 30s is not between 10m0s and 24h0m0s"},
		{"an unknown enrollment error", g + "faults:\n  enrollmentError: \"0x12345678\"\n", "s.yaml:16: faults.enrollmentError \"0x12345678\" is not one of 0x80180014"},
		{"a name template with a macro Autopilot does not have", g + "autopilot:\n  deviceNameTemplate: CTS-%SERIAL%-%DATE%\n", "s.yaml:16: autopilot.deviceNameTemplate: device name template \"CTS-%SERIAL%-%DATE%\": unknown macro %DATE%"},
		{"a name template longer than 15 characters without the serial", g + "autopilot:\n  deviceNameTemplate: CONTOSO-LAB-%RAND:5%\n", "s.yaml:16: autopilot.deviceNameTemplate: device name template \"CONTOSO-LAB-%RAND:5%\": 17 characters without the serial"},
		{"two faults on one ESP row", g + "faults:\n  espAppInstallFailure: true\n  espTimeout: true\n", "s.yaml:16: faults: Faults.ESPAppInstallFailure and Faults.ESPTimeout both act on Device setup's Apps row"},
		{"a network lost before there is one", g + "faults:\n  networkLostAt: region\n", "s.yaml:16: faults.networkLostAt \"region\": the network can be lost at network, updateCheck"},
		{"an unknown reason id", mutate(t, g, "  finalStage: desktop", "  reasons: [tooOld]"), "s.yaml:14: expect.reasons[0] \"tooOld\" is not a reason id"},
		{"an unknown Intune status", mutate(t, g, "  finalStage: desktop", "  intuneStatus: Success"), "s.yaml:14: expect.intuneStatus \"Success\" is not one of Intune's"},
		{"an unknown final stage", mutate(t, g, "finalStage: desktop", "finalStage: done"), "s.yaml:14: expect.finalStage \"done\" is not a stage"},
		{"a device value without its category", mutate(t, g, "  finalStage: desktop", "  device: {theme: dark}"), "s.yaml:14: expect.device \"theme\": write category/name"},
		{"an empty expect", mutate(t, g, "expect:\n  restorePage: shown\n  finalStage: desktop\n", "expect: {}\n"), "s.yaml:12: expect is missing or empty"},
		{"no name", mutate(t, g, "name: Adele restores her newest PC\n", ""), "s.yaml:1: missing name"},
		{"an anchor", mutate(t, g, "  fixture: contoso", "  fixture: &t contoso"), "s.yaml:3: tenant.fixture: anchors and aliases"},
		{"an old PC without days", g + "oldPC:\n  device: {os: 10.0.19045.6216, edition: Enterprise, join: hybrid, provisioning: userDriven}\n", "s.yaml:15: oldPC.days 0"},
		{"a Wi-Fi network without its password", mutate(t, g, "steps:\n", "steps:\n  network: {ssid: Guest}\n"), "s.yaml:11: steps.network: a wpa2Personal network needs its password"},
		{"two documents", g + "---\nname: second\n", "s.yaml:15: more than one YAML document"},
		{"a list instead of a scenario", "- name: x\n", "s.yaml:1: a scenario is a mapping of keys"},
		{"an inline tenant user with a bad object id", mutate(t, in, "objectId: 0b8e4f2c-6d1a-4e9b-a3c7-5f2d8e1b4c60", "objectId: kim"), "s.yaml:11: tenant: users[0].objectId \"kim\" is not a GUID"},
		{"an inline backup with a bad time", mutate(t, in, "lastBackup: 2026-11-12T08:30:00Z", "lastBackup: yesterday"), "s.yaml:17: tenant: users[0].backups[0].lastBackup:"},
		{"an inline backup with an unknown key", mutate(t, in, "          created: 2026-01-10\n", "          created: 2026-01-10\n          owner: kim\n"), "s.yaml:17: tenant.users[0].backups[0]: unknown key \"owner\""},
		{"a first-sign-in expectation without the first sign-in", mutate(t, g, "  finalStage: desktop", "  firstSignIn: {restorePage: shown}"), "s.yaml:14: expect.firstSignIn needs steps.firstSignIn"},
		{"a setup reason at the first sign-in", mutate(t, g, "steps:\n", "steps:\n  firstSignIn: {}\n") + "  firstSignIn: {reasons: [provisioningUnsupported]}\n", "s.yaml:16: expect.firstSignIn.reasons[0] \"provisioningUnsupported\" is not a reason id: want one of restorePolicyOff"},
		{"an empty first-sign-in expectation", mutate(t, g, "steps:\n", "steps:\n  firstSignIn: {}\n") + "  firstSignIn: {}\n", "s.yaml:16: expect.firstSignIn is empty"},
		{"a first sign-in that is not a mapping", mutate(t, g, "steps:\n", "steps:\n  firstSignIn: yes\n"), "s.yaml:11:"},
		{"an empty first-sign-in restore", mutate(t, g, "steps:\n", "steps:\n  firstSignIn: {restore: \" \"}\n"), "s.yaml:11: steps.firstSignIn.restore is empty"},
		{"an admin who is not a user", g + "admin: {deleteBackups: root@contoso.com}\n", "s.yaml:15: admin.deleteBackups \"root@contoso.com\" is not a user of tenant Contoso"},
		{"an admin without a task", g + "admin: {}\n", "s.yaml:15: admin.deleteBackups is missing"},
		{"an inline tenant with a bad domain", mutate(t, in, "domains: [northwind.example]", "domains: [northwind]"), "s.yaml:5: tenant: tenant.domains[0] \"northwind\" is not a domain name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("s.yaml", []byte(tc.src))
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *replay.Error", err)
			}
			if !strings.HasPrefix(err.Error(), tc.want) && !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error:\n  %s\nwant it to contain:\n  %s", err, tc.want)
			}
			line := strings.TrimPrefix(tc.want, "s.yaml:")
			if i := strings.Index(line, ":"); i > 0 && !strings.HasPrefix(err.Error(), "s.yaml:"+line[:i]+":") {
				t.Fatalf("error %q does not start with its line s.yaml:%s", err, line[:i])
			}
		})
	}
}

func TestTheCorpusInFixturesParses(t *testing.T) {
	scs, err := Load("../fixtures/scenarios")
	if err != nil {
		t.Fatal(err)
	}
	if len(scs) < 8 {
		t.Fatalf("%d scenarios in fixtures/scenarios, want at least 8", len(scs))
	}
	for _, sc := range scs {
		if strings.Contains(sc.Rel, "..") || strings.HasPrefix(sc.Rel, "/") {
			t.Fatalf("Rel %q is not relative to the corpus directory", sc.Rel)
		}
	}
}

func TestLoadReportsEveryBrokenFileAndDuplicateNames(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yaml", goodScenario)
	write("sub/b.yaml", goodScenario)
	write("c.yml", goodScenario+"colour: blue\n")
	write("notes.txt", "not a scenario")
	write(".hidden/d.yaml", "broken: [")
	_, err := Load(dir)
	if err == nil {
		t.Fatal("Load accepted a broken file and a duplicate name")
	}
	msg := err.Error()
	for _, want := range []string{"c.yml:15: the scenario: unknown key \"colour\"", "sub/b.yaml:1: name \"Adele restores her newest PC\" is already the name of"} {
		if !strings.Contains(msg, want) {
			t.Fatalf("error:\n%s\nwant it to contain %q", msg, want)
		}
	}
	if strings.Contains(msg, "notes.txt") || strings.Contains(msg, ".hidden") {
		t.Fatalf("error names a file that is not a scenario: %s", msg)
	}
}

func TestExpectedValuesAreCanonicalJSON(t *testing.T) {
	src := mutate(t, goodScenario, "  finalStage: desktop", "  device:\n    windowsUpdate/activeHours: {start: 8, end: 17}")
	sc, err := Parse("s.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := sc.Expect.Device["windowsUpdate/activeHours"]
	if string(got) != `{"end":17,"start":8}` || !json.Valid(got) {
		t.Fatalf("expected value = %s, want canonical JSON with sorted keys", got)
	}
}

func TestANameTemplateCountsRandAsItsDigits(t *testing.T) {
	t.Parallel()
	// %RAND:4% is four characters: CONTOSO-LA-%RAND:4% is 15, the most Autopilot takes, which the old count took for 19.
	src := goodScenario + "autopilot:\n  deviceNameTemplate: CONTOSO-LA-%RAND:4%\n"
	if _, err := Parse("s.yaml", []byte(src)); err != nil {
		t.Fatalf("a 15-character template is refused: %v", err)
	}
}

// TestExpectItemsNameEveryApplyOutcome: a scenario can expect a count and names for each of
// the apply engine's outcomes, under the outcome's own name.
func TestExpectItemsNameEveryApplyOutcome(t *testing.T) {
	for _, o := range apply.Outcomes() {
		n := 7
		var c outcomeCounts
		var names outcomeNames
		if err := yaml.Unmarshal([]byte(string(o)+": 7"), &c); err != nil {
			t.Fatal(err)
		}
		if v := c.of(o); v == nil || *v != n {
			t.Errorf("expect.items.counts.%s is not read into its outcome's count", o)
		}
		if err := yaml.Unmarshal([]byte(string(o)+": [Photos]"), &names); err != nil {
			t.Fatal(err)
		}
		if v := names.of(o); len(v) != 1 || v[0] != "Photos" {
			t.Errorf("expect.items.names.%s is not read into its outcome's names", o)
		}
	}
}
