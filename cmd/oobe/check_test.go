package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/oobe-dev/oobe/restore"
	"github.com/oobe-dev/oobe/restore/profile"
)

const deviceFixtures = "../../fixtures/devices/"

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckExitsZeroOneOrTwo(t *testing.T) {
	t.Parallel()
	good := deviceFixtures + "entra-user-driven.yaml"
	unknownField := writeTemp(t, "typo.yaml", "os: 10.0.22631.4317\nedition: Enterprise\njoin: entra\nprovisioning: userDriven\ncolour: silver\n")
	badEdition := writeTemp(t, "edition.yaml", "os: 10.0.22631.4317\nedition: Ultimate\njoin: entra\nprovisioning: userDriven\n")
	notCapture := writeTemp(t, "notes.txt", "I ran dsregcmd but forgot to save it\n")
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string // for exit 2: what the message must name
	}{
		{"eligible with the tenant flag on", []string{"--device", good, "--restore-page", "enabled"}, 0, ""},
		{"eligible as far as checked without the tenant flag", []string{"--device", good}, 0, ""},
		{"an old build saved by quality updates", []string{"--device", deviceFixtures + "old-build-quality-updates.yaml", "--restore-page", "enabled"}, 0, ""},
		{"the tenant flag notConfigured", []string{"--device", good, "--restore-page", "notConfigured"}, 1, ""},
		{"a hybrid Windows 10 device", []string{"--device", deviceFixtures + "hybrid-windows10.yaml"}, 1, ""},
		{"an Entra joined capture", []string{"--dsregcmd", deviceFixtures + "dsregcmd-entra-joined.txt", "--os", "10.0.26100.4946", "--edition", "Enterprise", "--provisioning", "userDriven"}, 0, ""},
		{"a registered capture", []string{"--dsregcmd", deviceFixtures + "dsregcmd-registered.txt", "--os", "10.0.26100.4946"}, 1, ""},
		{"unknown field", []string{"--device", unknownField}, 2, "typo.yaml:5: colour: unknown field"},
		{"unknown edition value", []string{"--device", badEdition}, 2, `edition.yaml:2: edition: "Ultimate" is not a known edition`},
		{"unreadable file", []string{"--device", "/nonexistent/device.yaml"}, 2, "--device: open /nonexistent/device.yaml"},
		{"both sources", []string{"--device", good, "--dsregcmd", good}, 2, "not both"},
		{"no source", nil, 2, "give --device FILE"},
		{"dsregcmd without --os", []string{"--dsregcmd", deviceFixtures + "dsregcmd-entra-joined.txt"}, 2, "--dsregcmd needs --os"},
		{"malformed --os", []string{"--dsregcmd", deviceFixtures + "dsregcmd-entra-joined.txt", "--os", "23H2"}, 2, `--os: version "23H2"`},
		{"unknown --edition", []string{"--dsregcmd", deviceFixtures + "dsregcmd-entra-joined.txt", "--os", "10.0.22631.4317", "--edition", "Ultimate"}, 2, "--edition:"},
		{"unknown --provisioning", []string{"--dsregcmd", deviceFixtures + "dsregcmd-entra-joined.txt", "--os", "10.0.22631.4317", "--provisioning", "whiteGlove"}, 2, "--provisioning:"},
		{"not a dsregcmd capture", []string{"--dsregcmd", notCapture, "--os", "10.0.22631.4317"}, 2, "notes.txt: no Device State section"},
		{"--os with a profile", []string{"--device", good, "--os", "10.0.26100.4946"}, 2, "--os is for --dsregcmd"},
		{"unknown restore page state", []string{"--device", good, "--restore-page", "on"}, 2, `--restore-page: "on"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"check"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
			}
			if tc.code == 2 {
				if !strings.Contains(errOut, tc.stderr) {
					t.Errorf("stderr %q does not say %q", errOut, tc.stderr)
				}
				if out != "" {
					t.Errorf("bad input printed a result on stdout: %q", out)
				}
			}
			if tc.code == 1 && !strings.Contains(errOut, "not eligible") {
				t.Errorf("stderr %q does not say the device is not eligible", errOut)
			}
		})
	}
}

func TestCheckJSONIsTheDocumentedObject(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		args    []string
		code    int
		status  string
		reasons []string
		notes   []string
	}{
		{"not eligible", []string{"--device", deviceFixtures + "hybrid-windows10.yaml", "--restore-page", "enabled"}, 1,
			"Not Applicable", []string{restore.ReasonWindowsTooOld, restore.ReasonNotEntraJoined, restore.ReasonProvisioningUnsupported}, nil},
		{"tenant flag off", []string{"--device", deviceFixtures + "entra-user-driven.yaml", "--restore-page", "disabled"}, 1,
			"No policy assigned", []string{restore.ReasonRestorePageOff}, nil},
		{"eligible with a note", []string{"--device", deviceFixtures + "old-build-quality-updates.yaml", "--restore-page", "enabled"}, 0,
			"", nil, []string{restore.NoteQualityUpdateRequired}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, _ := runCLI(t, append([]string{"check", "--json"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d", code, tc.code)
			}
			if strings.Count(out, "\n") != 1 {
				t.Fatalf("want one JSON line, got:\n%s", out)
			}
			var raw map[string]json.RawMessage
			if err := json.Unmarshal([]byte(out), &raw); err != nil {
				t.Fatal(err)
			}
			var keys []string
			for k := range raw {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if want := []string{"checks", "eligible", "notes", "reasons", "status"}; !slices.Equal(keys, want) {
				t.Fatalf("keys %v, want %v", keys, want)
			}
			var got struct {
				Eligible bool                `json:"eligible"`
				Status   string              `json:"status"`
				Reasons  []map[string]string `json:"reasons"`
				Notes    []map[string]string `json:"notes"`
				Checks   []restore.Check     `json:"checks"`
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatal(err)
			}
			if got.Eligible != (tc.code == 0) || got.Status != tc.status {
				t.Errorf("eligible %v status %q, want %v %q", got.Eligible, got.Status, tc.code == 0, tc.status)
			}
			ids := func(rs []map[string]string) []string {
				var ids []string
				for _, r := range rs {
					if len(r) != 3 || r["message"] == "" || r["fix"] == "" {
						t.Errorf("entry %v: want exactly id, message and fix", r)
					}
					ids = append(ids, r["id"])
				}
				return ids
			}
			if g := ids(got.Reasons); !slices.Equal(g, tc.reasons) {
				t.Errorf("reasons %v, want %v", g, tc.reasons)
			}
			if g := ids(got.Notes); !slices.Equal(g, tc.notes) {
				t.Errorf("notes %v, want %v", g, tc.notes)
			}
			if len(got.Checks) != len(restore.Rules()) {
				t.Errorf("%d checks, want one per rule", len(got.Checks))
			}
			for _, c := range got.Checks {
				if (c.ID == restore.ReasonNoBackups || c.ID == restore.ReasonAccessBlocked) && c.State != restore.CheckNotChecked {
					t.Errorf("%s is %s, want notChecked: oobe check has no signed-in user", c.ID, c.State)
				}
			}
		})
	}
}

func TestCheckPrintsOneLinePerRuleWithTheFixUnderFailures(t *testing.T) {
	t.Parallel()
	code, out, _ := runCLI(t, "check", "--dsregcmd", deviceFixtures+"dsregcmd-hybrid-joined-crlf.txt", "--os", "10.0.19045.5011")
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	for _, r := range restore.Rules() {
		re := regexp.MustCompile(`(?m)^  (✓ passed|✗ failed|– not checked) +` + regexp.QuoteMeta(r.Name) + ` `)
		if n := len(re.FindAllString(out, -1)); n != 1 {
			t.Errorf("rule %q has %d lines, want 1:\n%s", r.Name, n, out)
		}
	}
	for _, want := range []string{
		"✗ failed      Windows version",
		"[windowsTooOld]",
		"✗ failed      Join type",
		"[notEntraJoined]",
		"– not checked Show restore page  the tenant's \"Show restore page\" setting was not read (give --restore-page",
		"– not checked Edition",
		"tenant Contoso (39150fda-e360-47ce-b98e-d9250ba6f8e8)",
		"Not eligible: 2 rules fail: windowsTooOld, notEntraJoined.",
		`Intune's restore report would show this device as "Not Applicable".`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "fix: "); n != 2 {
		t.Errorf("%d fix lines, want one under each of the 2 failures:\n%s", n, out)
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour codes in output that is not a terminal")
	}
}

func TestCheckSaysWhatEligibleMeansWhenRulesWereNotChecked(t *testing.T) {
	t.Parallel()
	_, out, _ := runCLI(t, "check", "--device", deviceFixtures+"entra-user-driven.yaml")
	if !strings.Contains(out, "Eligible as far as checked: no checked rule fails. Not checked: restorePageOff, noBackups, accessBlocked.") {
		t.Errorf("output does not qualify its verdict:\n%s", out)
	}
	_, out, _ = runCLI(t, "check", "--device", deviceFixtures+"old-build-quality-updates.yaml", "--restore-page", "enabled")
	if !strings.Contains(out, "Note [qualityUpdateRequired]: ") {
		t.Errorf("output lacks the quality update note:\n%s", out)
	}
}

func TestStyledChecklistReadsTheSameWithoutColour(t *testing.T) {
	t.Parallel()
	d, err := profile.Parse("hybrid.yaml", mustRead(t, deviceFixtures+"hybrid-windows10.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := restore.Evaluate(restore.Input{Device: d, RestorePage: new(restore.RestorePageEnabled)})
	if err != nil {
		t.Fatal(err)
	}
	dev := checkedDevice{device: d, source: "hybrid.yaml"}
	var plain, styled strings.Builder
	if err := renderChecklist(&plain, dev, e, false); err != nil {
		t.Fatal(err)
	}
	if err := renderChecklist(&styled, dev, e, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(styled.String(), "\x1b[") {
		t.Fatal("the terminal rendering has no styling")
	}
	if got := ansi.Strip(styled.String()); got != plain.String() {
		t.Fatalf("styled text without colour differs from plain text:\n%s\n---\n%s", got, plain.String())
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
