package restore

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/oobe-dev/oobe/restore/profile"
)

// firstSignInEligible is an input every first-sign-in rule passes: a hybrid joined 24H2 PC at
// the minimum build with the policy on, whose user has backups and made no choice in setup.
func firstSignInEligible() Input {
	return Input{
		Device: profile.DeviceProfile{
			OS: "10.0.26100.7922", Edition: "Enterprise", Join: profile.JoinHybrid,
			Provisioning: profile.ProvisioningUserDriven, Cloud: profile.CloudGlobal,
			EnableWindowsRestore: new(true),
		},
		RestorePage:     new(RestorePageEnabled),
		Backups:         new(2),
		Access:          &Access{},
		RestoredInSetup: new(false),
		DeclinedInSetup: new(false),
	}
}

func mustFirstSignIn(t *testing.T, in Input) FirstSignIn {
	t.Helper()
	f, err := EvaluateFirstSignIn(in)
	if err != nil {
		t.Fatalf("EvaluateFirstSignIn: %v", err)
	}
	return f
}

func TestEveryFirstSignInRuleHasCodeDataAndASource(t *testing.T) {
	if len(firstSignInEvaluators) != len(firstSignInRules) {
		t.Fatalf("%d evaluators for %d rules", len(firstSignInEvaluators), len(firstSignInRules))
	}
	for _, r := range firstSignInRules {
		if firstSignInEvaluators[r.ID] == nil {
			t.Errorf("rule %s has no evaluator", r.ID)
		}
		if r.Source == "" || r.Requirement == "" || r.Name == "" {
			t.Errorf("rule %s lacks a name, requirement or source: %+v", r.ID, r)
		}
	}
	// The inferred rules say so where an admin reads them.
	for _, id := range []string{ReasonRestorePolicyOff, ReasonDeclinedInSetup, ReasonAccessBlocked} {
		i := slices.IndexFunc(firstSignInRules, func(r Rule) bool { return r.ID == id })
		if r := firstSignInRules[i]; !strings.Contains(r.Requirement, "Inferred") || !strings.Contains(r.Source, "inferred") {
			t.Errorf("rule %s does not say it is inferred: %+v", id, r)
		}
	}
	if i := slices.IndexFunc(firstSignInRules, func(r Rule) bool { return r.ID == ReasonRestorePolicyOff }); !strings.Contains(firstSignInRules[i].Source, CSPEnableWindowsRestore) {
		t.Errorf("the policy rule does not cite its CSP")
	}
}

func TestTheFirstSignInBaselineIsEligibleWithEveryRulePassed(t *testing.T) {
	f := mustFirstSignIn(t, firstSignInEligible())
	if !f.Eligible || len(f.Reasons) != 0 || len(f.Notes) != 0 || !f.Complete() {
		t.Fatalf("baseline = %+v, want eligible with every rule passed", f)
	}
	var ids []string
	for _, c := range f.Checks {
		ids = append(ids, c.ID)
	}
	want := []string{ReasonRestorePolicyOff, ReasonWindowsTooOld, ReasonNotEntraJoined, ReasonEditionUnsupported,
		ReasonSovereignCloud, ReasonRestoredInSetup, ReasonDeclinedInSetup, ReasonNoBackups, ReasonAccessBlocked}
	if !slices.Equal(ids, want) {
		t.Errorf("checks %v, want %v", ids, want)
	}
}

func TestEachFirstSignInRuleAloneFailsWithItsReason(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Input)
		want   string
	}{
		{"the policy not configured is off", func(in *Input) { in.Device.EnableWindowsRestore = nil }, ReasonRestorePolicyOff},
		{"the policy turned off", func(in *Input) { in.Device.EnableWindowsRestore = new(false) }, ReasonRestorePolicyOff},
		{"24H2 one update below 7922", func(in *Input) { in.Device.OS = "10.0.26100.7921" }, ReasonWindowsTooOld},
		{"24H2 at setup's minimum 4770", func(in *Input) { in.Device.OS = "10.0.26100.4770" }, ReasonWindowsTooOld},
		{"25H2 one update below 7922", func(in *Input) { in.Device.OS = "10.0.26200.7921" }, ReasonWindowsTooOld},
		{"23H2 at any update", func(in *Input) { in.Device.OS = "10.0.22631.9999" }, ReasonWindowsTooOld},
		{"Windows 10", func(in *Input) { in.Device.OS = "10.0.19045.6216" }, ReasonWindowsTooOld},
		{"registered", func(in *Input) { in.Device.Join = profile.JoinRegistered }, ReasonNotEntraJoined},
		{"not joined", func(in *Input) { in.Device.Join = profile.JoinNone }, ReasonNotEntraJoined},
		{"domain joined only", func(in *Input) { in.Device.Join = profile.JoinDomain }, ReasonNotEntraJoined},
		{"on-premises DRS", func(in *Input) { in.Device.Join = profile.JoinOnPremDRS }, ReasonNotEntraJoined},
		{"Windows 11 SE by SKU", func(in *Input) { in.Device.Edition = "CloudEdition" }, ReasonEditionUnsupported},
		{"IoT Core", func(in *Input) { in.Device.Edition = "IoTUAP" }, ReasonEditionUnsupported},
		{"Home", func(in *Input) { in.Device.Edition = "Home" }, ReasonEditionUnsupported},
		{"GCC", func(in *Input) { in.Device.Cloud = profile.CloudGCC }, ReasonSovereignCloud},
		{"21Vianet", func(in *Input) { in.Device.Cloud = profile.Cloud21Vianet }, ReasonSovereignCloud},
		{"restored in setup", func(in *Input) { in.RestoredInSetup = new(true) }, ReasonRestoredInSetup},
		{"declined in setup", func(in *Input) { in.DeclinedInSetup = new(true) }, ReasonDeclinedInSetup},
		{"no backups", func(in *Input) { in.Backups = new(0) }, ReasonNoBackups},
		{"Conditional Access blocks the restore app", func(in *Input) { in.Access = &Access{Blocked: true} }, ReasonAccessBlocked},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := firstSignInEligible()
			tc.change(&in)
			f := mustFirstSignIn(t, in)
			if got := idsOf(f.Reasons); f.Eligible || !slices.Equal(got, []string{tc.want}) {
				t.Fatalf("eligible %v reasons %v, want only %s", f.Eligible, got, tc.want)
			}
			if r := f.Reasons[0]; r.Message == "" || r.Fix == "" {
				t.Errorf("reason %+v lacks a message or fix", r)
			}
		})
	}
}

func TestFirstSignInPassesWhatSetupRefuses(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Input)
	}{
		{"hybrid joined", func(*Input) {}},
		{"a later release, 26H2", func(in *Input) { in.Device.OS = "10.0.26300.100" }},
		{"a later release, 26H1", func(in *Input) { in.Device.OS = "10.0.28000.1" }},
		{"25H2 at 7922", func(in *Input) { in.Device.OS = "10.0.26200.7922" }},
		{"IoT Enterprise", func(in *Input) { in.Device.Edition = "IoTEnterprise" }},
		{"IoT Enterprise LTSC by SKU", func(in *Input) { in.Device.Edition = "IoTEnterpriseLTSC" }},
		{"a shared, multi-user device", func(in *Input) { in.Device.Shared = true }},
		{"a Windows 365 Cloud PC", func(in *Input) {
			in.Device.CloudPC = true
			in.Device.Join = profile.JoinEntra
		}},
		{"a self-deploying device", func(in *Input) { in.Device.Provisioning = profile.ProvisioningSelfDeploying }},
		{"the tenant's Show restore page off", func(in *Input) { in.RestorePage = new(RestorePageDisabled) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := firstSignInEligible()
			tc.change(&in)
			if f := mustFirstSignIn(t, in); !f.Eligible {
				t.Fatalf("not eligible at first sign-in: %v", idsOf(f.Reasons))
			}
		})
	}
}

func TestSetupAndFirstSignInTogether(t *testing.T) {
	hybrid := firstSignInEligible()
	hybrid.RestoredInSetup, hybrid.DeclinedInSetup = nil, nil
	// A 23H2 Entra joined PC: setup's page shows, first sign-in's does not.
	old := firstSignInEligible()
	old.Device.OS, old.Device.Join = "10.0.22631.4317", profile.JoinEntra
	cases := []struct {
		name          string
		in            Input
		setup, signIn bool
		signInReasons []string
	}{
		{"hybrid 24H2 at 26100.7922: first sign-in only", hybrid, false, true, []string{}},
		{"23H2: setup only", old, true, false, []string{ReasonWindowsTooOld}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := mustEvaluate(t, tc.in)
			f := mustFirstSignIn(t, tc.in)
			if e.Eligible != tc.setup || f.Eligible != tc.signIn {
				t.Fatalf("setup %v first sign-in %v, want %v %v (setup %v, first sign-in %v)", e.Eligible, f.Eligible, tc.setup, tc.signIn, idsOf(e.Reasons), idsOf(f.Reasons))
			}
			if got := idsOf(f.Reasons); !slices.Equal(got, tc.signInReasons) {
				t.Errorf("first sign-in reasons %v, want %v", got, tc.signInReasons)
			}
		})
	}
	// The hybrid PC's setup choice was not given, but setup shows it no page: both pass.
	f := mustFirstSignIn(t, hybrid)
	for _, c := range f.Checks {
		if (c.ID == ReasonRestoredInSetup || c.ID == ReasonDeclinedInSetup) && (c.State != CheckPassed || !strings.Contains(c.Detail, ReasonNotEntraJoined)) {
			t.Errorf("%s = %s %q, want passed because setup fails notEntraJoined", c.ID, c.State, c.Detail)
		}
	}
}

func TestEveryFailingFirstSignInRuleIsReported(t *testing.T) {
	in := Input{Device: profile.DeviceProfile{OS: "10.0.22631.4317", Edition: "CloudEdition", Join: profile.JoinRegistered,
		Provisioning: profile.ProvisioningUserDriven, Cloud: profile.CloudGCCHigh}, Backups: new(0), RestoredInSetup: new(true)}
	f := mustFirstSignIn(t, in)
	want := []string{ReasonRestorePolicyOff, ReasonWindowsTooOld, ReasonNotEntraJoined, ReasonEditionUnsupported,
		ReasonSovereignCloud, ReasonRestoredInSetup, ReasonNoBackups}
	if got := idsOf(f.Reasons); !slices.Equal(got, want) {
		t.Errorf("reasons %v, want %v", got, want)
	}
}

func TestFirstSignInFactsNotGivenAreNotChecked(t *testing.T) {
	in := Input{Device: profile.DeviceProfile{OS: "10.0.26100.7000", Join: profile.JoinEntra, Cloud: profile.CloudGlobal},
		Unknown: []string{FactEnableWindowsRestore, FactInstallQualityUpdates}}
	f := mustFirstSignIn(t, in)
	if !f.Eligible || f.Complete() {
		t.Fatalf("eligible %v complete %v, want eligible as far as checked", f.Eligible, f.Complete())
	}
	want := []string{ReasonRestorePolicyOff, ReasonWindowsTooOld, ReasonEditionUnsupported, ReasonRestoredInSetup, ReasonDeclinedInSetup, ReasonNoBackups, ReasonAccessBlocked}
	if got := f.NotChecked(); !slices.Equal(got, want) {
		t.Errorf("not checked %v, want %v", got, want)
	}
}

func TestAnOld24H2BuildPassesFirstSignInWithQualityUpdatesAndANote(t *testing.T) {
	in := firstSignInEligible()
	in.Device.OS, in.Device.InstallQualityUpdates = "10.0.26100.4946", true
	f := mustFirstSignIn(t, in)
	if !f.Eligible || !slices.Equal(idsOf(f.Notes), []string{NoteQualityUpdateRequired}) {
		t.Fatalf("eligible %v notes %v, want eligible with the quality update note", f.Eligible, idsOf(f.Notes))
	}
	in.Device.OS = "10.0.22631.4317" // quality updates never lift 23H2
	if f := mustFirstSignIn(t, in); f.Eligible {
		t.Fatal("23H2 with quality updates is eligible at first sign-in")
	}
}

func TestEvaluateFirstSignInRefusesInputItCannotJudge(t *testing.T) {
	both := firstSignInEligible()
	both.RestoredInSetup, both.DeclinedInSetup = new(true), new(true)
	badOS := firstSignInEligible()
	badOS.Device.OS = "24H2"
	negative := firstSignInEligible()
	negative.Backups = new(-1)
	for name, in := range map[string]Input{"restored and declined": both, "bad os": badOS, "negative backups": negative} {
		if _, err := EvaluateFirstSignIn(in); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestFirstSignInJSONHasTheDocumentedShape(t *testing.T) {
	data, err := json.Marshal(mustFirstSignIn(t, firstSignInEligible()))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"checks", "eligible", "notes", "reasons"}; !slices.Equal(keys, want) {
		t.Errorf("keys %v, want %v", keys, want)
	}
	if string(raw["reasons"]) != "[]" {
		t.Errorf("reasons = %s, want []", raw["reasons"])
	}
}

func TestTheEditionsFirstSignInMessageIsNotAboutSetup(t *testing.T) {
	in := firstSignInEligible()
	in.Device.Edition = "Holographic"
	f := mustFirstSignIn(t, in)
	if r := f.Reasons[0]; strings.Contains(r.Message, "during setup") || strings.Contains(r.Fix, "during setup") {
		t.Errorf("first sign-in edition reason talks about setup only: %+v", r)
	}
}
