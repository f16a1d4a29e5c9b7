package profile

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("../../fixtures/devices", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestAProfileGetsItsDefaultsAndCanonicalEdition(t *testing.T) {
	d, err := Parse("d.yaml", []byte("os: 10.0.26100.4946\nedition: Professional\njoin: entra\nprovisioning: oobe\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := DeviceProfile{OS: "10.0.26100.4946", Edition: "Pro", Join: JoinEntra, Provisioning: ProvisioningOOBE, Cloud: CloudGlobal}
	if d != want {
		t.Fatalf("device = %+v, want %+v", d, want)
	}
}

func TestAProfileErrorNamesFileLineAndField(t *testing.T) {
	const good = "os: 10.0.22631.4317\nedition: Enterprise\njoin: entra\nprovisioning: userDriven\n"
	cases := []struct {
		name  string
		yaml  string
		line  int
		field string
		want  string
	}{
		{"unknown field", good + "colour: silver\n", 5, "colour", "unknown field"},
		{"misspelt field", "os: 10.0.22631.4317\nedition: Enterprise\njoin: entra\nprovisionig: userDriven\n", 4, "provisionig", "unknown field"},
		{"unknown edition", strings.Replace(good, "Enterprise", "Ultimate", 1), 2, "edition", `"Ultimate" is not a known edition`},
		{"edition in the wrong case", strings.Replace(good, "Enterprise", "enterprise", 1), 2, "edition", "did you mean Enterprise"},
		{"unknown join", strings.Replace(good, "join: entra", "join: azureAD", 1), 3, "join", "entra, hybrid, registered, domain, onPremDrs, none"},
		{"unknown provisioning", strings.Replace(good, "userDriven", "whiteGlove", 1), 4, "provisioning", "userDriven, oobe, selfDeploying"},
		{"unknown cloud", good + "cloud: usgov\n", 5, "cloud", "global, gcc, gcch, dod, 21vianet"},
		{"unknown SKU number", strings.Replace(good, "Enterprise", "999", 1), 2, "edition", "999 is not a known edition's SKU number: want one of 48 (Pro)"},
		{"malformed version", strings.Replace(good, "10.0.22631.4317", "22631.4317", 1), 1, "os", "four numbers"},
		{"Windows 8.1 version", strings.Replace(good, "10.0.22631.4317", "6.3.9600.20778", 1), 1, "os", "start with 10.0"},
		{"shared is not a boolean", good + "shared: maybe\n", 5, "shared", `"maybe" is a string, want true or false`},
		{"edition is a list", strings.Replace(good, "Enterprise", "[Enterprise]", 1), 2, "edition", "a list, want a string"},
		{"missing provisioning", "os: 10.0.22631.4317\nedition: Enterprise\njoin: entra\n", 1, "provisioning", "missing"},
		{"empty edition", "os: 10.0.22631.4317\nedition:\njoin: entra\nprovisioning: userDriven\n", 2, "edition", "empty"},
		{"duplicate field", good + "join: hybrid\n", 5, "join", "already defined"},
		{"bad device id", good + "deviceId: 1234\n", 5, "deviceId", "not a GUID"},
		{"a list, not a mapping", "- os: 10.0.22631.4317\n", 1, "", "not a list"},
		{"two documents", good + "---\n" + good, 5, "", "more than one YAML document"},
		{"broken YAML", "os: [10.0\n", 1, "", "did not find expected"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("lab/device.yaml", []byte(tc.yaml))
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a FieldError", err)
			}
			if fe.File != "lab/device.yaml" || fe.Line != tc.line || fe.Field != tc.field {
				t.Errorf("error at %s:%d field %q, want line %d field %q (%v)", fe.File, fe.Line, fe.Field, tc.line, tc.field, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if tc.field != "" && !strings.Contains(err.Error(), "lab/device.yaml:") {
				t.Errorf("error %q does not start with file:line", err)
			}
		})
	}
}

func TestAnEmptyOrHugeProfileIsRefused(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":    nil,
		"comments": []byte("# nothing here\n"),
		"huge":     []byte("os: " + strings.Repeat("1", MaxProfileBytes)),
	} {
		if _, err := Parse(name, data); err == nil {
			t.Errorf("%s profile was accepted", name)
		}
	}
}

func TestAProfileInsideAnotherDocumentGetsParseChecksAtItsOwnLines(t *testing.T) {
	const good = "os: 10.0.22631.4317\nedition: Enterprise\njoin: entra\nprovisioning: userDriven\n"
	cases := []struct{ name, yaml string }{
		{"a good profile", good + "cloud: gcch\n"},
		{"an unknown field", good + "colour: silver\n"},
		{"an unknown value", strings.Replace(good, "join: entra", "join: azureAD", 1)},
		{"a wrong type", good + "shared: maybe\n"},
		{"a missing field", "os: 10.0.22631.4317\nedition: Enterprise\njoin: entra\n"},
		{"an empty field", "os: 10.0.22631.4317\nedition:\njoin: entra\nprovisioning: userDriven\n"},
		{"a repeated field", good + "join: hybrid\n"},
		{"a list, not a mapping", "- os: 10.0.22631.4317\n"},
	}
	const offset = 3 // the lines above the profile in the scenario below
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fromFile, fileErr := Parse("lab/device.yaml", []byte(tc.yaml))
			scenario := "# a scenario\nsetup:\n  device:\n" + regexp.MustCompile(`(?m)^`).ReplaceAllString(tc.yaml, "    ")
			var root yaml.Node
			if err := yaml.Unmarshal([]byte(scenario), &root); err != nil {
				t.Fatal(err)
			}
			fromNode, nodeErr := ParseNode("lab/scenario.yaml", root.Content[0].Content[1].Content[1])
			if fromNode != fromFile {
				t.Fatalf("ParseNode = %+v, Parse = %+v", fromNode, fromFile)
			}
			if (fileErr == nil) != (nodeErr == nil) {
				t.Fatalf("ParseNode: %v, Parse: %v", nodeErr, fileErr)
			}
			if fileErr == nil {
				return
			}
			var fe, ne *FieldError
			if !errors.As(fileErr, &fe) || !errors.As(nodeErr, &ne) {
				t.Fatalf("errors %v and %v are not FieldErrors", fileErr, nodeErr)
			}
			// A message that names another line names it down there too.
			wantMsg := regexp.MustCompile(`line (\d+)`).ReplaceAllStringFunc(fe.Msg, func(s string) string {
				n, _ := strconv.Atoi(strings.TrimPrefix(s, "line "))
				return "line " + strconv.Itoa(n+offset)
			})
			if ne.File != "lab/scenario.yaml" || ne.Line != fe.Line+offset || ne.Field != fe.Field || ne.Msg != wantMsg {
				t.Fatalf("ParseNode: %v (field %q), want Parse's %v (field %q) %d lines down", nodeErr, ne.Field, fileErr, fe.Field, offset)
			}
		})
	}
}

func TestAnAbsentProfileNodeIsAnEmptyProfile(t *testing.T) {
	for name, n := range map[string]*yaml.Node{"nil": nil, "an empty document": {Kind: yaml.DocumentNode}} {
		if _, err := ParseNode("s.yaml", n); err == nil || !strings.Contains(err.Error(), "empty") {
			t.Errorf("%s: err = %v, want an empty profile", name, err)
		}
	}
}

func TestTheWindowsBackupPoliciesAreNotConfiguredUnlessGiven(t *testing.T) {
	const base = "os: 10.0.26100.7922\nedition: Enterprise\njoin: hybrid\nprovisioning: userDriven\n"
	show := func(p *bool) string {
		if p == nil {
			return "not configured"
		}
		return strconv.FormatBool(*p)
	}
	cases := []struct {
		name            string
		extra           string
		restore, backup string
		cloudPC         bool
	}{
		{"absent", "", "not configured", "not configured", false},
		{"null is not configured", "enableWindowsRestore: null\n", "not configured", "not configured", false},
		{"both on", "enableWindowsRestore: true\nenableWindowsBackup: true\n", "true", "true", false},
		{"both off", "enableWindowsRestore: false\nenableWindowsBackup: false\n", "false", "false", false},
		{"a Cloud PC", "cloudPC: true\nenableWindowsRestore: true\n", "true", "not configured", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse("d.yaml", []byte(base+tc.extra))
			if err != nil {
				t.Fatal(err)
			}
			if show(d.EnableWindowsRestore) != tc.restore || show(d.EnableWindowsBackup) != tc.backup || d.CloudPC != tc.cloudPC {
				t.Errorf("restore %s backup %s cloudPC %v, want %s %s %v", show(d.EnableWindowsRestore), show(d.EnableWindowsBackup), d.CloudPC, tc.restore, tc.backup, tc.cloudPC)
			}
		})
	}
	_, err := Parse("d.yaml", []byte(base+"enableWindowsRestore: enabled\n"))
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Line != 5 || fe.Field != "enableWindowsRestore" || !strings.Contains(fe.Msg, "want true or false") {
		t.Errorf("a policy given as a word: %v, want line 5, the field and \"want true or false\"", err)
	}
}

func TestEveryBadFieldOfAProfileIsReportedAtOnce(t *testing.T) {
	src := "os: 24H2\nedition: Enterprise\njoin: azure\nprovisioning: userDriven\nname: \"-bad name-\"\ndeviceId: nope\n"
	_, err := Parse("laptop.yaml", []byte(src))
	if err == nil {
		t.Fatal("a profile with four bad fields parsed")
	}
	lines := strings.Split(err.Error(), "\n")
	want := []string{"laptop.yaml:1: os: ", "laptop.yaml:3: join: ", "laptop.yaml:5: name: ", "laptop.yaml:6: deviceId: "}
	if len(lines) != len(want) {
		t.Fatalf("error has %d lines, want %d:\n%s", len(lines), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q, want it to start %q", i+1, lines[i], w)
		}
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "os" {
		t.Errorf("errors.As finds %+v, want the first, os", fe)
	}
	// A missing required field and a bad one come together too.
	if _, err := Parse("p.yaml", []byte("os: 10.0.26100.1\njoin: azure\nprovisioning: userDriven\n")); err == nil ||
		!strings.Contains(err.Error(), "edition: missing") || !strings.Contains(err.Error(), "join: ") {
		t.Errorf("err = %v, want the missing edition and the bad join", err)
	}
}
