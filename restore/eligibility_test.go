package restore

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/restore/profile"
)

// eligible is an input every rule passes: the baseline each case changes one thing of.
func eligible() Input {
	return Input{
		Device: profile.DeviceProfile{
			OS: "10.0.22631.4317", Edition: "Enterprise", Join: profile.JoinEntra,
			Provisioning: profile.ProvisioningUserDriven, Cloud: profile.CloudGlobal,
		},
		RestorePage: new(RestorePageEnabled),
		Backups:     new(3),
		Access:      &Access{},
	}
}

func reasonIDs(rs []Reason) []string {
	ids := []string{}
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	return ids
}

func mustEvaluate(t *testing.T, in Input) Eligibility {
	t.Helper()
	e, err := Evaluate(in)
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	return e
}

func TestEveryRuleHasCodeDataAndASource(t *testing.T) {
	if len(evaluators) != len(rules) {
		t.Fatalf("%d evaluators for %d rules", len(evaluators), len(rules))
	}
	for _, r := range rules {
		if evaluators[r.ID] == nil {
			t.Errorf("rule %s has no evaluator", r.ID)
		}
		if r.Source == "" || r.Requirement == "" || r.Name == "" {
			t.Errorf("rule %s lacks a name, requirement or source: %+v", r.ID, r)
		}
	}
	for _, m := range minimumBuilds {
		if m.Source == "" {
			t.Errorf("minimum build %d has no source", m.Build)
		}
	}
	for _, e := range Editions() {
		if !e.Supported && (e.Why == "" || e.Fix == "" || e.Source == "") {
			t.Errorf("unsupported edition %s lacks why, fix or source", e.Name)
		}
	}
}

func TestTheBaselineIsEligibleWithEveryRulePassed(t *testing.T) {
	e := mustEvaluate(t, eligible())
	if !e.Eligible || e.Status != "" || len(e.Reasons) != 0 || len(e.Notes) != 0 || !e.Complete() {
		t.Fatalf("baseline = %+v, want eligible, no status, reasons or notes", e)
	}
	var ids []string
	for _, c := range e.Checks {
		ids = append(ids, c.ID)
		if c.State != CheckPassed || c.Detail == "" || c.Source == "" {
			t.Errorf("check %s = %+v, want passed with a detail and source", c.ID, c)
		}
	}
	want := []string{ReasonRestorePageOff, ReasonWindowsTooOld, ReasonNotEntraJoined, ReasonProvisioningUnsupported,
		ReasonEditionUnsupported, ReasonSharedDevice, ReasonSovereignCloud, ReasonNoBackups, ReasonAccessBlocked}
	if !slices.Equal(ids, want) {
		t.Fatalf("check order = %v, want %v", ids, want)
	}
}

func TestEachRuleAloneFailsWithItsReasonAndStatus(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Input)
		id     string
		status string
	}{
		{"restore page notConfigured is off", func(in *Input) { in.RestorePage = new(RestorePageNotConfigured) }, ReasonRestorePageOff, backup.StatusNoPolicyAssigned},
		{"restore page disabled", func(in *Input) { in.RestorePage = new(RestorePageDisabled) }, ReasonRestorePageOff, backup.StatusNoPolicyAssigned},
		{"Windows 10 22H2", func(in *Input) { in.Device.OS = "10.0.19045.6216" }, ReasonWindowsTooOld, backup.StatusNotApplicable},
		{"Windows 11 21H2", func(in *Input) { in.Device.OS = "10.0.22000.3260" }, ReasonWindowsTooOld, backup.StatusNotApplicable},
		{"hybrid joined", func(in *Input) { in.Device.Join = profile.JoinHybrid }, ReasonNotEntraJoined, backup.StatusNotApplicable},
		{"Entra registered", func(in *Input) { in.Device.Join = profile.JoinRegistered }, ReasonNotEntraJoined, backup.StatusNotApplicable},
		{"domain joined only", func(in *Input) { in.Device.Join = profile.JoinDomain }, ReasonNotEntraJoined, backup.StatusNotApplicable},
		{"on-premises DRS joined", func(in *Input) { in.Device.Join = profile.JoinOnPremDRS }, ReasonNotEntraJoined, backup.StatusNotApplicable},
		{"not joined", func(in *Input) { in.Device.Join = profile.JoinNone }, ReasonNotEntraJoined, backup.StatusNotApplicable},
		{"self-deploying", func(in *Input) { in.Device.Provisioning = profile.ProvisioningSelfDeploying }, ReasonProvisioningUnsupported, backup.StatusNotApplicable},
		{"Autopilot device preparation (no restore documented)", func(in *Input) { in.Device.Provisioning = profile.ProvisioningDevicePreparation }, ReasonProvisioningUnsupported, backup.StatusNotApplicable},
		{"a Windows 365 Cloud PC (no setup screens)", func(in *Input) { in.Device.CloudPC = true }, ReasonProvisioningUnsupported, backup.StatusNotApplicable},
		{"pre-provisioned", func(in *Input) { in.Device.Provisioning = profile.ProvisioningPreProvisioned }, ReasonProvisioningUnsupported, backup.StatusNotApplicable},
		{"Autopilot reset", func(in *Input) { in.Device.Provisioning = profile.ProvisioningAutopilotReset }, ReasonProvisioningUnsupported, backup.StatusNotApplicable},
		{"Settings app enrollment", func(in *Input) { in.Device.Provisioning = profile.ProvisioningSettingsApp }, ReasonProvisioningUnsupported, backup.StatusNotApplicable},
		{"Group Policy enrollment", func(in *Input) { in.Device.Provisioning = profile.ProvisioningGroupPolicy }, ReasonProvisioningUnsupported, backup.StatusNotApplicable},
		{"co-management", func(in *Input) { in.Device.Provisioning = profile.ProvisioningCoManagement }, ReasonProvisioningUnsupported, backup.StatusNotApplicable},
		{"Windows 11 SE", func(in *Input) { in.Device.Edition = "CloudEdition" }, ReasonEditionUnsupported, backup.StatusNotApplicable},
		{"Windows 11 SE N", func(in *Input) { in.Device.Edition = "CloudEditionN" }, ReasonEditionUnsupported, backup.StatusNotApplicable},
		{"Holographic", func(in *Input) { in.Device.Edition = "Holographic" }, ReasonEditionUnsupported, backup.StatusNotApplicable},
		{"IoT Core", func(in *Input) { in.Device.Edition = "IoTUAP" }, ReasonEditionUnsupported, backup.StatusNotApplicable},
		{"IoT Core Commercial", func(in *Input) { in.Device.Edition = "IoTUAPCommercial" }, ReasonEditionUnsupported, backup.StatusNotApplicable},
		{"Windows 10 Team", func(in *Input) { in.Device.Edition = "PPIPro" }, ReasonEditionUnsupported, backup.StatusNotApplicable},
		{"Home cannot enroll", func(in *Input) { in.Device.Edition = "Home" }, ReasonEditionUnsupported, backup.StatusNotApplicable},
		{"shared device", func(in *Input) { in.Device.Shared = true }, ReasonSharedDevice, backup.StatusNotApplicable},
		{"GCC", func(in *Input) { in.Device.Cloud = profile.CloudGCC }, ReasonSovereignCloud, backup.StatusNotApplicable},
		{"GCC High", func(in *Input) { in.Device.Cloud = profile.CloudGCCHigh }, ReasonSovereignCloud, backup.StatusNotApplicable},
		{"DoD", func(in *Input) { in.Device.Cloud = profile.CloudDoD }, ReasonSovereignCloud, backup.StatusNotApplicable},
		{"21Vianet", func(in *Input) { in.Device.Cloud = profile.Cloud21Vianet }, ReasonSovereignCloud, backup.StatusNotApplicable},
		{"no backups", func(in *Input) { in.Backups = new(0) }, ReasonNoBackups, backup.StatusNoBackups},
		{"Conditional Access blocks the restore app", func(in *Input) { in.Access = &Access{Blocked: true} }, ReasonAccessBlocked, backup.StatusFailed},
		{"phishing-resistant MFA demanded", func(in *Input) { in.Access = &Access{PhishingResistantMFA: true} }, ReasonAccessBlocked, backup.StatusFailed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := eligible()
			tc.change(&in)
			e := mustEvaluate(t, in)
			if e.Eligible {
				t.Fatal("eligible, want not")
			}
			if got := reasonIDs(e.Reasons); !slices.Equal(got, []string{tc.id}) {
				t.Fatalf("reasons = %v, want only %s", got, tc.id)
			}
			if e.Status != tc.status {
				t.Errorf("status = %q, want %q", e.Status, tc.status)
			}
			r := e.Reasons[0]
			if r.Message == "" || r.Fix == "" {
				t.Errorf("reason %+v lacks a message or fix", r)
			}
			for _, c := range e.Checks {
				want := CheckPassed
				if c.ID == tc.id {
					want = CheckFailed
					if c.Detail != r.Message || c.Fix != r.Fix {
						t.Errorf("failed check %+v does not carry the reason", c)
					}
				}
				if c.State != want {
					t.Errorf("check %s = %s, want %s", c.ID, c.State, want)
				}
			}
		})
	}
}

func TestEveryFailingRuleIsReportedNotOnlyTheFirst(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Input)
		ids    []string
		status string
	}{
		{"old domain PC", func(in *Input) {
			in.Device.OS, in.Device.Join, in.Device.Provisioning = "10.0.19045.5011", profile.JoinHybrid, profile.ProvisioningGroupPolicy
		}, []string{ReasonWindowsTooOld, ReasonNotEntraJoined, ReasonProvisioningUnsupported}, backup.StatusNotApplicable},
		{"tenant off outranks a bad device", func(in *Input) {
			in.RestorePage = new(RestorePageNotConfigured)
			in.Device.Shared = true
		}, []string{ReasonRestorePageOff, ReasonSharedDevice}, backup.StatusNoPolicyAssigned},
		{"kiosk", func(in *Input) {
			in.Device.Edition, in.Device.Provisioning, in.Device.Shared, in.Device.Cloud = "IoTUAP", profile.ProvisioningSelfDeploying, true, profile.CloudGCCHigh
		}, []string{ReasonProvisioningUnsupported, ReasonEditionUnsupported, ReasonSharedDevice, ReasonSovereignCloud}, backup.StatusNotApplicable},
		{"blocked access outranks no backups", func(in *Input) {
			in.Backups = new(0)
			in.Access = &Access{Blocked: true, PhishingResistantMFA: true}
		}, []string{ReasonNoBackups, ReasonAccessBlocked}, backup.StatusFailed},
		{"a device rule outranks the user's", func(in *Input) {
			in.Device.Cloud = profile.Cloud21Vianet
			in.Backups = new(0)
		}, []string{ReasonSovereignCloud, ReasonNoBackups}, backup.StatusNotApplicable},
		{"everything wrong at once", func(in *Input) {
			in.RestorePage = new(RestorePageDisabled)
			in.Device = profile.DeviceProfile{OS: "10.0.22631.3000", Edition: "Team", Join: profile.JoinRegistered, Provisioning: profile.ProvisioningAutopilotReset, Shared: true, Cloud: profile.CloudGCCHigh}
			in.Backups = new(0)
			in.Access = &Access{Blocked: true}
		}, []string{ReasonRestorePageOff, ReasonWindowsTooOld, ReasonNotEntraJoined, ReasonProvisioningUnsupported,
			ReasonEditionUnsupported, ReasonSharedDevice, ReasonSovereignCloud, ReasonNoBackups, ReasonAccessBlocked}, backup.StatusNoPolicyAssigned},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := eligible()
			tc.change(&in)
			e := mustEvaluate(t, in)
			if e.Eligible {
				t.Fatal("eligible, want not")
			}
			if got := reasonIDs(e.Reasons); !slices.Equal(got, tc.ids) {
				t.Fatalf("reasons = %v, want %v", got, tc.ids)
			}
			if e.Status != tc.status {
				t.Errorf("status = %q, want %q", e.Status, tc.status)
			}
		})
	}
}

func TestMinimumBuildsFailOneBelowAndPassAtTheMinimum(t *testing.T) {
	cases := []struct {
		os       string
		eligible bool
	}{
		{"10.0.22621.3957", false}, {"10.0.22621.3958", true}, {"10.0.22621.3959", true},
		{"10.0.22631.3957", false}, {"10.0.22631.3958", true},
		{"10.0.26100.4769", false}, {"10.0.26100.4770", true},
		// The Intune page's 26100.1301 is not enough: the Windows page's 4770 is the rule.
		{"10.0.26100.1301", false},
		// 26200 (25H2) qualifies from its first build; the build below it is 24H2's.
		{"10.0.26199.100", false}, {"10.0.26200.0", true}, {"10.0.26200.1", true}, {"10.0.27000.0", true},
		// Later releases qualify (domain.md §7.1): 26H2 (26300) and 26H1 (28000) from their first build.
		{"10.0.26300.0", true}, {"10.0.26300.7000", true}, {"10.0.28000.0", true}, {"10.0.28000.1", true},
		// 22623 is 22H2 with its enablement package: 22621's update numbers apply.
		{"10.0.22623.3957", false}, {"10.0.22623.3958", true},
		// Below 22H2 nothing helps, however new the update.
		{"10.0.22000.9999", false}, {"10.0.19045.9999", false}, {"10.0.19044.6000", false},
	}
	for _, tc := range cases {
		t.Run(tc.os, func(t *testing.T) {
			in := eligible()
			in.Device.OS = tc.os
			e := mustEvaluate(t, in)
			if e.Eligible != tc.eligible {
				t.Fatalf("eligible = %v, want %v (reasons %v)", e.Eligible, tc.eligible, e.Reasons)
			}
			if !tc.eligible && !slices.Equal(reasonIDs(e.Reasons), []string{ReasonWindowsTooOld}) {
				t.Fatalf("reasons = %v, want windowsTooOld", reasonIDs(e.Reasons))
			}
		})
	}
}

func TestAnOldWindows11BuildPassesWithQualityUpdatesAndANote(t *testing.T) {
	cases := []struct {
		os       string
		iqu      bool
		eligible bool
		note     bool
	}{
		{"10.0.22621.3880", true, true, true},
		{"10.0.22631.2861", true, true, true},
		{"10.0.26100.1742", true, true, true},
		{"10.0.26100.1742", false, false, false},
		{"10.0.26100.4770", true, true, false}, // at the minimum: nothing to note
		{"10.0.26200.0", true, true, false},
		// Quality updates patch the release, they do not upgrade it.
		{"10.0.22000.2538", true, false, false},
		{"10.0.19045.5011", true, false, false},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s with quality updates %v", tc.os, tc.iqu), func(t *testing.T) {
			in := eligible()
			in.Device.OS, in.Device.InstallQualityUpdates = tc.os, tc.iqu
			e := mustEvaluate(t, in)
			if e.Eligible != tc.eligible {
				t.Fatalf("eligible = %v, want %v (reasons %v)", e.Eligible, tc.eligible, e.Reasons)
			}
			gotNote := slices.Equal(reasonIDs(e.Notes), []string{NoteQualityUpdateRequired})
			if gotNote != tc.note || (!tc.note && len(e.Notes) != 0) {
				t.Fatalf("notes = %v, want qualityUpdateRequired: %v", reasonIDs(e.Notes), tc.note)
			}
			if tc.note && (!strings.Contains(e.Notes[0].Message, tc.os) || e.Notes[0].Fix == "") {
				t.Errorf("note %+v should name the build and say what to do", e.Notes[0])
			}
			if !tc.eligible && !tc.iqu && !strings.Contains(e.Reasons[0].Fix, "Install Windows quality updates") {
				t.Errorf("fix %q should point at the ESP setting", e.Reasons[0].Fix)
			}
		})
	}
}

func TestRulesNotCheckedDoNotCountAgainstTheDevice(t *testing.T) {
	in := Input{Device: profile.DeviceProfile{OS: "10.0.26100.4946", Join: profile.JoinEntra}}
	e := mustEvaluate(t, in)
	if !e.Eligible || e.Status != "" || e.Complete() {
		t.Fatalf("got eligible=%v status=%q complete=%v, want eligible as far as checked", e.Eligible, e.Status, e.Complete())
	}
	want := []string{ReasonRestorePageOff, ReasonProvisioningUnsupported, ReasonEditionUnsupported, ReasonSovereignCloud, ReasonNoBackups, ReasonAccessBlocked}
	if got := e.NotChecked(); !slices.Equal(got, want) {
		t.Fatalf("not checked = %v, want %v", got, want)
	}
	for _, c := range e.Checks {
		if c.State == CheckNotChecked && !strings.HasPrefix(c.Detail, "not checked: ") {
			t.Errorf("check %s detail %q should say why it was not checked", c.ID, c.Detail)
		}
	}

	in.Device.Join = profile.JoinHybrid
	e = mustEvaluate(t, in)
	if e.Eligible || e.Status != backup.StatusNotApplicable {
		t.Fatalf("a checked failing rule must still fail: %+v", e)
	}
}

func TestEditionAliasesAreWhatWindowsReports(t *testing.T) {
	for alias, want := range map[string]CheckState{"Professional": CheckPassed, "Core": CheckFailed, "ProfessionalEducation": CheckPassed, "IoTEnterpriseS": CheckPassed, "SE": CheckFailed, "Team": CheckFailed} {
		in := eligible()
		in.Device.Edition = alias
		e := mustEvaluate(t, in)
		if got := e.Checks[4].State; got != want {
			t.Errorf("edition %s: %s, want %s", alias, got, want)
		}
	}
}

// TestTheExcludedSKUsByNameAndNumber: the Intune page's six SKUs are refused whether the
// profile names them or gives their number; every other edition by number is judged as by name.
func TestTheExcludedSKUsByNameAndNumber(t *testing.T) {
	cases := []struct {
		edition   string
		name      string
		supported bool
	}{
		{"CloudEdition", "CloudEdition", false}, {"203", "CloudEdition", false}, {"SE", "CloudEdition", false},
		{"CloudEditionN", "CloudEditionN", false}, {"202", "CloudEditionN", false},
		{"Holographic", "Holographic", false}, {"136", "Holographic", false},
		{"IoTUAP", "IoTUAP", false}, {"123", "IoTUAP", false},
		{"IoTUAPCommercial", "IoTUAPCommercial", false}, {"131", "IoTUAPCommercial", false},
		{"PPIPro", "PPIPro", false}, {"119", "PPIPro", false}, {"Team", "PPIPro", false},
		{"IoTEnterprise", "IoTEnterprise", true}, {"188", "IoTEnterprise", true},
		{"IoTEnterpriseLTSC", "IoTEnterpriseLTSC", true}, {"IoTEnterpriseS", "IoTEnterpriseLTSC", true}, {"191", "IoTEnterpriseLTSC", true},
		{"Pro", "Pro", true}, {"48", "Pro", true}, {"49", "Pro", true},
		{"ProEducation", "ProEducation", true}, {"164", "ProEducation", true},
		{"ProWorkstation", "ProWorkstation", true}, {"161", "ProWorkstation", true},
		{"Enterprise", "Enterprise", true}, {"4", "Enterprise", true}, {"125", "Enterprise", true},
		{"Education", "Education", true}, {"121", "Education", true},
		// Home is not on the list but cannot enroll (0x80180022): refused by number too.
		{"Home", "Home", false}, {"101", "Home", false}, {"100", "Home", false},
	}
	for _, tc := range cases {
		t.Run(tc.edition, func(t *testing.T) {
			in := eligible()
			in.Device.Edition = tc.edition
			e := mustEvaluate(t, in)
			c := e.Checks[4]
			if c.ID != ReasonEditionUnsupported {
				t.Fatalf("check 4 is %s, want the edition rule", c.ID)
			}
			if tc.supported {
				if c.State != CheckPassed || c.Detail != tc.name {
					t.Fatalf("edition check = %s %q, want passed %q", c.State, c.Detail, tc.name)
				}
				return
			}
			if c.State != CheckFailed || !slices.Equal(reasonIDs(e.Reasons), []string{ReasonEditionUnsupported}) {
				t.Fatalf("edition check = %s, reasons %v, want only editionUnsupported", c.State, reasonIDs(e.Reasons))
			}
			ed, _ := lookupEdition(tc.edition)
			if ed.Name != tc.name || ed.Source == "" || c.Detail != ed.Why {
				t.Errorf("edition %s = %+v (detail %q), want %s with a why and a source", tc.edition, ed, c.Detail, tc.name)
			}
		})
	}
}

// TestTheEditionRuleNamesTheIntuneSKUList keeps the rule's text and source on the Intune list.
func TestTheEditionRuleNamesTheIntuneSKUList(t *testing.T) {
	var r Rule
	for _, x := range Rules() {
		if x.ID == ReasonEditionUnsupported {
			r = x
		}
	}
	for _, e := range Editions() {
		if e.Supported || e.Name == "Home" {
			continue
		}
		want := fmt.Sprintf("%s (", e.Name)
		num := fmt.Sprintf("%d)", e.SKUs[0])
		if !strings.Contains(r.Requirement, want) || !strings.Contains(r.Requirement, num) || !strings.Contains(e.Source, fmt.Sprintf("%s (%d)", e.Name, e.SKUs[0])) {
			t.Errorf("%s (%d): the rule's text %q or the edition's source %q does not name it with its number", e.Name, e.SKUs[0], r.Requirement, e.Source)
		}
	}
	if strings.Contains(r.Requirement, "IoT,") {
		t.Errorf("requirement %q still excludes IoT as a whole", r.Requirement)
	}
}

// TestEveryGovernmentAndSovereignCloudIsExcluded: GCC, GCC High, DoD and 21Vianet (domain.md §7.2).
func TestEveryGovernmentAndSovereignCloudIsExcluded(t *testing.T) {
	for _, cloud := range profile.Clouds() {
		t.Run(cloud, func(t *testing.T) {
			in := eligible()
			in.Device.Cloud = cloud
			e := mustEvaluate(t, in)
			if cloud == profile.CloudGlobal {
				if !e.Eligible {
					t.Fatalf("global cloud not eligible: %v", e.Reasons)
				}
				return
			}
			if !slices.Equal(reasonIDs(e.Reasons), []string{ReasonSovereignCloud}) {
				t.Fatalf("reasons = %v, want sovereignCloud", reasonIDs(e.Reasons))
			}
			if !strings.Contains(e.Reasons[0].Message, profile.CloudTitle(cloud)) {
				t.Errorf("message %q does not name %s", e.Reasons[0].Message, profile.CloudTitle(cloud))
			}
		})
	}
	if got := profile.Clouds(); !slices.Equal(got, []string{profile.CloudGlobal, profile.CloudGCC, profile.CloudGCCHigh, profile.CloudDoD, profile.Cloud21Vianet}) {
		t.Errorf("clouds = %v", got)
	}
}

func TestEvaluateRefusesInputItCannotJudge(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Input)
		field  string
	}{
		{"no OS", func(in *Input) { in.Device.OS = "" }, "os"},
		{"malformed OS", func(in *Input) { in.Device.OS = "22631.4317" }, "os"},
		{"not Windows 10 or 11", func(in *Input) { in.Device.OS = "6.3.9600.0" }, "os"},
		{"unknown edition", func(in *Input) { in.Device.Edition = "Ultimate" }, "edition"},
		{"edition in the wrong case", func(in *Input) { in.Device.Edition = "enterprise" }, "edition"},
		{"unknown join", func(in *Input) { in.Device.Join = "azuread" }, "join"},
		{"unknown provisioning", func(in *Input) { in.Device.Provisioning = "whiteGlove" }, "provisioning"},
		{"unknown cloud", func(in *Input) { in.Device.Cloud = "usgov" }, "cloud"},
		{"unknown SKU number", func(in *Input) { in.Device.Edition = "999" }, "edition"},
		{"SKU number with a leading zero", func(in *Input) { in.Device.Edition = "0203" }, "edition"},
		{"unknown architecture", func(in *Input) { in.Device.Architecture = "amd64" }, "architecture"},
		{"long device name", func(in *Input) { in.Device.Name = "CONTOSO-LAPTOP-0001" }, "name"},
		{"device id not a GUID", func(in *Input) { in.Device.DeviceID = "f7773c63" }, "deviceId"},
		{"tenant id not a GUID", func(in *Input) { in.Device.TenantID = "contoso.com" }, "tenantId"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := eligible()
			tc.change(&in)
			_, err := Evaluate(in)
			var fe *profile.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("err = %v, want a profile.FieldError naming %s", err, tc.field)
			}
		})
	}
	in := eligible()
	in.RestorePage = new("on")
	if _, err := Evaluate(in); err == nil || !strings.Contains(err.Error(), "enabled, disabled, notConfigured") {
		t.Errorf("restore page %q: err = %v, want the allowed states", "on", err)
	}
	in = eligible()
	in.Backups = new(-1)
	if _, err := Evaluate(in); err == nil {
		t.Error("a negative backup count was accepted")
	}
}

func TestEligibilityJSONHasTheDocumentedShape(t *testing.T) {
	in := eligible()
	in.Device.Join = profile.JoinHybrid
	in.Device.OS, in.Device.InstallQualityUpdates = "10.0.22631.3000", true
	e := mustEvaluate(t, in)
	data, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"checks", "eligible", "notes", "reasons", "status"}; !slices.Equal(keys, want) {
		t.Fatalf("keys = %v, want %v", keys, want)
	}
	var reasons []map[string]string
	if err := json.Unmarshal(got["reasons"], &reasons); err != nil || len(reasons) != 1 {
		t.Fatalf("reasons = %s", got["reasons"])
	}
	if r := reasons[0]; r["id"] != ReasonNotEntraJoined || r["message"] == "" || r["fix"] == "" || len(r) != 3 {
		t.Fatalf("reason = %v, want exactly id, message, fix", r)
	}
	if !strings.Contains(string(got["notes"]), NoteQualityUpdateRequired) {
		t.Fatalf("notes = %s", got["notes"])
	}

	empty, _ := json.Marshal(mustEvaluate(t, eligible()))
	if !strings.Contains(string(empty), `"reasons":[]`) || !strings.Contains(string(empty), `"notes":[]`) {
		t.Fatalf("empty lists must be [] not null: %s", empty)
	}
}

func TestMinimumBuildsKeepTheDecidedValues(t *testing.T) {
	want := map[int]int{22621: 3958, 22631: 3958, 26100: 4770, 26200: 0}
	got := map[int]int{}
	for _, m := range MinimumBuilds() {
		got[m.Build] = m.UBR
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("minimum builds = %v, want %v", got, want)
	}
}

func TestFactsTheCallerCannotKnowAreNotCheckedRatherThanAssumed(t *testing.T) {
	in := eligible()
	in.Device.OS = "10.0.22631.3957" // one below 23H2's minimum: needs quality updates
	in.Unknown = []string{FactShared, FactInstallQualityUpdates}
	e := mustEvaluate(t, in)
	states := map[string]CheckState{}
	for _, c := range e.Checks {
		states[c.ID] = c.State
	}
	if states[ReasonSharedDevice] != CheckNotChecked || states[ReasonWindowsTooOld] != CheckNotChecked {
		t.Fatalf("shared %s, windows %s: want both not checked", states[ReasonSharedDevice], states[ReasonWindowsTooOld])
	}
	if len(e.Reasons) != 0 {
		t.Fatalf("reasons %v: an unknown fact must not fail the device", reasonIDs(e.Reasons))
	}
	// A build at its minimum needs no quality updates, so not knowing about them changes nothing.
	in.Device.OS = "10.0.22631.3958"
	for _, c := range mustEvaluate(t, in).Checks {
		if c.ID == ReasonWindowsTooOld && c.State != CheckPassed {
			t.Fatalf("22631.3958 with quality updates unknown: %s, want passed", c.State)
		}
	}
}
