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
			if want := []string{"checks", "eligible", "firstSignIn", "notes", "reasons", "status"}; !slices.Equal(keys, want) {
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
	setup, firstSignIn, ok := strings.Cut(out, "\nAt the user's first sign-in after enrollment:\n")
	if !ok || !strings.Contains(setup, "\nDuring setup (OOBE):\n") {
		t.Fatalf("output lacks the two moments' headings:\n%s", out)
	}
	for _, r := range restore.FirstSignInRules() {
		re := regexp.MustCompile(`(?m)^  (✓ passed|✗ failed|– not checked) +` + regexp.QuoteMeta(r.Name) + ` `)
		if n := len(re.FindAllString(firstSignIn, -1)); n != 1 {
			t.Errorf("first sign-in rule %q has %d lines, want 1:\n%s", r.Name, n, firstSignIn)
		}
	}
	out = setup
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
	in := restore.Input{Device: d, RestorePage: new(restore.RestorePageEnabled)}
	e, err := restore.Evaluate(in)
	if err != nil {
		t.Fatal(err)
	}
	f, err := restore.EvaluateFirstSignIn(in)
	if err != nil {
		t.Fatal(err)
	}
	dev := checkedDevice{device: d, source: "hybrid.yaml"}
	var plain, styled strings.Builder
	if err := renderChecklist(&plain, dev, e, f, false); err != nil {
		t.Fatal(err)
	}
	if err := renderChecklist(&styled, dev, e, f, true); err != nil {
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

// profileYAML is a device profile file's text: a 24H2 Enterprise PC at first sign-in's minimum
// build, with the join and extra lines given.
func profileYAML(os, edition, join, extra string) string {
	return "os: " + os + "\nedition: " + edition + "\njoin: " + join + "\nprovisioning: userDriven\n" + extra
}

func TestCheckJSONJudgesBothMoments(t *testing.T) {
	t.Parallel()
	policyOn := "enableWindowsRestore: true\n"
	hybrid := writeTemp(t, "hybrid.yaml", profileYAML("10.0.26100.7922", "Enterprise", "hybrid", policyOn))
	old23H2 := writeTemp(t, "23h2.yaml", profileYAML("10.0.22631.4317", "Enterprise", "entra", policyOn))
	policyOff := writeTemp(t, "off.yaml", profileYAML("10.0.26100.7922", "Enterprise", "hybrid", "enableWindowsRestore: false\n"))
	notConfigured := writeTemp(t, "absent.yaml", profileYAML("10.0.26100.7922", "Enterprise", "hybrid", ""))
	entra := writeTemp(t, "entra.yaml", profileYAML("10.0.26200.8000", "Enterprise", "entra", policyOn))
	iot := writeTemp(t, "iot.yaml", profileYAML("10.0.26100.7922", "188", "hybrid", policyOn))
	cloudPC := writeTemp(t, "cpc.yaml", "os: 10.0.26100.7922\nedition: Enterprise\njoin: hybrid\nprovisioning: oobe\ncloudPC: true\nshared: true\n"+policyOn)
	registered := writeTemp(t, "reg.yaml", profileYAML("10.0.26100.7922", "Enterprise", "registered", policyOn))
	cases := []struct {
		name          string
		args          []string
		code          int
		setup         bool
		setupReasons  []string
		signIn        bool
		signInReasons []string
	}{
		{"a hybrid 24H2 PC at 26100.7922: first sign-in, not setup", []string{"--device", hybrid, "--restore-page", "enabled"}, 0,
			false, []string{restore.ReasonNotEntraJoined}, true, []string{}},
		{"a 23H2 PC: setup, not first sign-in", []string{"--device", old23H2, "--restore-page", "enabled"}, 0,
			true, []string{}, false, []string{restore.ReasonWindowsTooOld}},
		{"the policy off on a hybrid PC: neither", []string{"--device", policyOff, "--restore-page", "enabled"}, 1,
			false, []string{restore.ReasonNotEntraJoined}, false, []string{restore.ReasonRestorePolicyOff}},
		{"the policy not configured is off", []string{"--device", notConfigured}, 1,
			false, []string{restore.ReasonNotEntraJoined}, false, []string{restore.ReasonRestorePolicyOff}},
		{"restored in setup on an Entra PC", []string{"--device", entra, "--restore-page", "enabled", "--restored-in-setup"}, 0,
			true, []string{}, false, []string{restore.ReasonRestoredInSetup}},
		{"declined in setup with setup's page off", []string{"--device", entra, "--restore-page", "disabled", "--declined-in-setup"}, 1,
			false, []string{restore.ReasonRestorePageOff}, false, []string{restore.ReasonDeclinedInSetup}},
		{"IoT Enterprise by SKU, hybrid", []string{"--device", iot}, 0,
			false, []string{restore.ReasonNotEntraJoined}, true, []string{}},
		{"a shared Windows 365 Cloud PC", []string{"--device", cloudPC}, 0,
			false, []string{restore.ReasonNotEntraJoined, restore.ReasonProvisioningUnsupported, restore.ReasonSharedDevice}, true, []string{}},
		{"a registered PC: neither, notEntraJoined in both", []string{"--device", registered}, 1,
			false, []string{restore.ReasonNotEntraJoined}, false, []string{restore.ReasonNotEntraJoined}},
		{"a hybrid capture with the policy flag", []string{"--dsregcmd", deviceFixtures + "dsregcmd-hybrid-joined-crlf.txt", "--os", "10.0.26100.7922", "--edition", "Enterprise", "--enable-windows-restore"}, 0,
			false, []string{restore.ReasonNotEntraJoined}, true, []string{}},
		{"a hybrid capture with the policy off", []string{"--dsregcmd", deviceFixtures + "dsregcmd-hybrid-joined-crlf.txt", "--os", "10.0.26100.7922", "--enable-windows-restore=false"}, 1,
			false, []string{restore.ReasonNotEntraJoined}, false, []string{restore.ReasonRestorePolicyOff}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"check", "--json"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tc.code, out, errOut)
			}
			var got struct {
				Eligible    bool             `json:"eligible"`
				Reasons     []restore.Reason `json:"reasons"`
				FirstSignIn map[string]json.RawMessage
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatal(err)
			}
			var keys []string
			for k := range got.FirstSignIn {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if want := []string{"checks", "eligible", "notes", "reasons"}; !slices.Equal(keys, want) {
				t.Fatalf("firstSignIn keys %v, want %v", keys, want)
			}
			var f restore.FirstSignIn
			if err := json.Unmarshal([]byte(out), &struct {
				F *restore.FirstSignIn `json:"firstSignIn"`
			}{&f}); err != nil {
				t.Fatal(err)
			}
			ids := func(rs []restore.Reason) []string {
				out := []string{}
				for _, r := range rs {
					if r.ID == "" || r.Message == "" || r.Fix == "" {
						t.Errorf("reason %+v lacks an id, message or fix", r)
					}
					out = append(out, r.ID)
				}
				return out
			}
			if g := ids(got.Reasons); got.Eligible != tc.setup || !slices.Equal(g, tc.setupReasons) {
				t.Errorf("setup eligible %v reasons %v, want %v %v", got.Eligible, g, tc.setup, tc.setupReasons)
			}
			if g := ids(f.Reasons); f.Eligible != tc.signIn || !slices.Equal(g, tc.signInReasons) {
				t.Errorf("first sign-in eligible %v reasons %v, want %v %v", f.Eligible, g, tc.signIn, tc.signInReasons)
			}
			if len(f.Checks) != len(restore.FirstSignInRules()) {
				t.Errorf("%d first sign-in checks, want one per rule", len(f.Checks))
			}
			if code == 1 && !strings.Contains(errOut, "nor at first sign-in") {
				t.Errorf("stderr %q does not name both moments", errOut)
			}
		})
	}
}

func TestCheckRefusesConflictingFirstSignInFlags(t *testing.T) {
	t.Parallel()
	good := deviceFixtures + "entra-user-driven.yaml"
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"--device", good, "--restored-in-setup", "--declined-in-setup"}, "not both"},
		{[]string{"--device", good, "--enable-windows-restore"}, "--enable-windows-restore is for --dsregcmd"},
	} {
		code, out, errOut := runCLI(t, append([]string{"check"}, tc.args...)...)
		if code != 2 || out != "" || !strings.Contains(errOut, tc.stderr) {
			t.Errorf("%v: exit %d stdout %q stderr %q, want 2 saying %q", tc.args, code, out, errOut, tc.stderr)
		}
	}
}

func TestCheckTellsTheAdminOfAHybridPCHowToRestoreAtFirstSignIn(t *testing.T) {
	t.Parallel()
	p := writeTemp(t, "hybrid.yaml", profileYAML("10.0.26100.7922", "Enterprise", "hybrid", ""))
	code, out, _ := runCLI(t, "check", "--device", p, "--restore-page", "enabled")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (the policy is not configured):\n%s", code, out)
	}
	for _, want := range []string{
		"At the user's first sign-in after enrollment:",
		"✗ failed      Restore policy",
		"[restorePolicyOff]",
		"First sign-in: not eligible: 1 rule fails: restorePolicyOff.",
		"Hybrid joined: ",
		"can restore at the user's first sign-in",
		"Enable Windows Restore",
		"Windows Backup And Restore > Enable Windows Restore",
		restore.CSPEnableWindowsRestore,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	p = writeTemp(t, "entra.yaml", profileYAML("10.0.26100.7922", "Enterprise", "entra", ""))
	if _, out, _ := runCLI(t, "check", "--device", p); strings.Contains(out, "Hybrid joined: ") {
		t.Errorf("an Entra joined PC got the hybrid advice:\n%s", out)
	}
}
