package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/spf13/cobra"

	"github.com/oobe-dev/oobe/internal/inputfile"
	"github.com/oobe-dev/oobe/restore"
	"github.com/oobe-dev/oobe/restore/profile"
)

// checkOptions are the flags of `oobe check`.
type checkOptions struct {
	device                string
	dsregcmd              string
	osVersion             string
	edition               string
	provisioning          string
	shared                bool
	installQualityUpdates bool
	restorePage           string
	enableWindowsRestore  bool
	restoredInSetup       bool
	declinedInSetup       bool
	asJSON                bool
}

func newCheckCmd(s streams) *cobra.Command {
	var o checkOptions
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Say whether a device gets the restore page, in setup or at first sign-in, and why not",
		Long: `oobe check (--device FILE | --dsregcmd FILE --os VERSION [--edition E])
           [--restore-page STATE] [--restored-in-setup | --declined-in-setup] [--json]

Check a device against every rule of the Windows Backup for Organizations
restore page, at both moments Windows shows it: during setup (OOBE), and at
the user's first sign-in after enrollment. Print a checklist for each: every
rule passed, failed or not checked, with the reason and what an admin can do
about it. Every failing rule is listed, not only the first.

The device is a device profile file (--device, see docs/devices.md), or a
'dsregcmd /status' capture from the device (--dsregcmd) plus its Windows
version (--os, as 'winver' or 'ver' shows it: 10.0.<build>.<update>).
dsregcmd tells the join type, tenant and cloud; it does not tell the edition
or how the device is set up, so without --edition and --provisioning those
rules are not checked.

The tenant's "Show restore page" setting is checked only when --restore-page
says what it is; it applies to setup only. The first sign-in moment needs the
device policy Enable Windows Restore (a profile's enableWindowsRestore; with
--dsregcmd, --enable-windows-restore), and a user who did not restore or
decline in setup: say which with --restored-in-setup or --declined-in-setup
(without them, those rules pass when setup shows this device no restore page,
and are not checked otherwise). The user's backups and Conditional Access need
the user's sign-in, so they are always reported as not checked here.

Exit status: 0 when either moment is eligible (no checked rule of it fails),
1 when neither is, 2 for bad input (unknown field or value, malformed
version, unreadable file, conflicting flags).`,
		Example: `# A device profile, with the tenant setting:
oobe check --device fixtures/devices/hybrid-windows10.yaml \
  --restore-page enabled

# A dsregcmd /status capture saved on the device, plus its version:
oobe check --dsregcmd status.txt --os 10.0.22631.4317 --edition Enterprise

# A hybrid joined PC with Enable Windows Restore on, its user declined in setup:
oobe check --dsregcmd status.txt --os 10.0.26100.7922 \
  --enable-windows-restore --declined-in-setup

# For scripts:
oobe check --device laptop.yaml --restore-page notConfigured --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCheck(s, o, cmd.Flags().Changed)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.device, "device", "", "device profile file (YAML, docs/devices.md)")
	f.StringVar(&o.dsregcmd, "dsregcmd", "", "file holding the output of 'dsregcmd /status' run on the device")
	f.StringVar(&o.osVersion, "os", "", "with --dsregcmd: the device's full Windows version, like 10.0.22631.4317")
	f.StringVar(&o.edition, "edition", "", "with --dsregcmd: the Windows edition (Enterprise, Pro, Education, …; Windows' EditionID works too)")
	f.StringVar(&o.provisioning, "provisioning", "", "with --dsregcmd: how the device is set up (userDriven, oobe, selfDeploying, …)")
	f.BoolVar(&o.shared, "shared", false, "with --dsregcmd: the device is shared or userless")
	f.BoolVar(&o.installQualityUpdates, "install-quality-updates", false, `with --dsregcmd: the ESP installs Windows quality updates during setup`)
	f.StringVar(&o.restorePage, "restore-page", "", `the tenant's "Show restore page" state: enabled, disabled or notConfigured (default: not checked)`)
	f.BoolVar(&o.enableWindowsRestore, "enable-windows-restore", false, "with --dsregcmd: the device policy Enable Windows Restore is on (=false: off; default: not checked)")
	f.BoolVar(&o.restoredInSetup, "restored-in-setup", false, "the user restored a previous PC on setup's restore page (first sign-in then offers nothing)")
	f.BoolVar(&o.declinedInSetup, "declined-in-setup", false, "the user chose to set up as new on setup's restore page (first sign-in does not ask again)")
	f.BoolVar(&o.asJSON, "json", false, `print the result as one JSON object: eligible, status, reasons, notes, checks and firstSignIn`)
	_ = cmd.RegisterFlagCompletionFunc("restore-page", cobra.FixedCompletions(
		[]string{restore.RestorePageEnabled, restore.RestorePageDisabled, restore.RestorePageNotConfigured}, cobra.ShellCompDirectiveNoFileComp))
	var editions []string
	for _, e := range restore.Editions() {
		editions = append(editions, e.Name)
	}
	_ = cmd.RegisterFlagCompletionFunc("edition", cobra.FixedCompletions(editions, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// checkedDevice is the device being judged and where it came from, for the checklist header.
type checkedDevice struct {
	device     profile.DeviceProfile
	unknown    []string // facts the input could not tell (restore.Input.Unknown)
	source     string
	tenantName string
}

func runCheck(s streams, o checkOptions, changed func(string) bool) error {
	dev, err := loadCheckedDevice(o, changed)
	if err != nil {
		return err
	}
	in := restore.Input{Device: dev.device, Unknown: dev.unknown}
	if err := setupChoice(o, changed, &in); err != nil {
		return err
	}
	if changed("restore-page") {
		state, err := restore.ParseRestorePage(o.restorePage)
		if err != nil {
			return badInput("--restore-page: %w", err)
		}
		in.RestorePage = &state
	}
	e, err := restore.Evaluate(in)
	if err != nil {
		return badInput("%s: %w", dev.source, err)
	}
	f, err := restore.EvaluateFirstSignIn(in)
	if err != nil {
		return badInput("%s: %w", dev.source, err)
	}
	if o.asJSON {
		if err := json.NewEncoder(s.out).Encode(checkResult{Eligibility: e, FirstSignIn: f}); err != nil {
			return err
		}
	} else {
		cw := s.colors()
		if err := renderChecklist(cw, dev, e, f, cw.Profile > colorprofile.NoTTY); err != nil {
			return err
		}
	}
	if !e.Eligible && !f.Eligible {
		return &exitError{code: 1, err: fmt.Errorf("not eligible: the restore page would show neither in setup (%s) nor at first sign-in (%s)",
			reasonIDs(e.Reasons), reasonIDs(f.Reasons))}
	}
	return nil
}

// checkResult is `oobe check --json`: the setup moment's fields as they always were, and the
// first sign-in moment beside them.
type checkResult struct {
	restore.Eligibility
	FirstSignIn restore.FirstSignIn `json:"firstSignIn"`
}

// setupChoice puts what the user did on setup's restore page into in: the two choices are
// exclusive, so giving one true makes the other false.
func setupChoice(o checkOptions, changed func(string) bool, in *restore.Input) error {
	r, d := changed("restored-in-setup"), changed("declined-in-setup")
	if r && d && o.restoredInSetup && o.declinedInSetup {
		return badInput("give --restored-in-setup or --declined-in-setup, not both: setup's restore page offers one or the other")
	}
	if r {
		in.RestoredInSetup = new(o.restoredInSetup)
	}
	if d {
		in.DeclinedInSetup = new(o.declinedInSetup)
	}
	if r && !d && o.restoredInSetup {
		in.DeclinedInSetup = new(false)
	}
	if d && !r && o.declinedInSetup {
		in.RestoredInSetup = new(false)
	}
	return nil
}

// loadCheckedDevice builds the device from --device, or from --dsregcmd and the flags that
// say what dsregcmd cannot.
func loadCheckedDevice(o checkOptions, changed func(string) bool) (checkedDevice, error) {
	dsregOnly := []string{"os", "edition", "provisioning", "shared", "install-quality-updates", "enable-windows-restore"}
	switch {
	case o.device != "" && o.dsregcmd != "":
		return checkedDevice{}, badInput("give --device or --dsregcmd, not both")
	case o.device == "" && o.dsregcmd == "":
		return checkedDevice{}, badInput("give --device FILE (a device profile) or --dsregcmd FILE --os VERSION (a dsregcmd /status capture)")
	case o.device != "":
		for _, f := range dsregOnly {
			if changed(f) {
				return checkedDevice{}, badInput("--%s is for --dsregcmd; with --device, put it in the profile %s", f, o.device)
			}
		}
		data, err := readInputFile("--device", o.device)
		if err != nil {
			return checkedDevice{}, err
		}
		d, err := profile.Parse(o.device, data)
		if err != nil {
			return checkedDevice{}, badInput("%w", err)
		}
		return checkedDevice{device: d, source: o.device}, nil
	}

	if o.osVersion == "" {
		return checkedDevice{}, badInput("--dsregcmd needs --os: dsregcmd /status does not print the Windows version (run 'ver' on the device: 10.0.<build>.<update>)")
	}
	if _, err := profile.ParseVersion(o.osVersion); err != nil {
		return checkedDevice{}, badInput("--os: %w", err)
	}
	data, err := readInputFile("--dsregcmd", o.dsregcmd)
	if err != nil {
		return checkedDevice{}, err
	}
	st, err := profile.ParseDsregcmd(o.dsregcmd, data)
	if err != nil {
		return checkedDevice{}, badInput("%w", err)
	}
	d := st.Profile()
	d.OS = o.osVersion
	if o.edition != "" {
		if d.Edition, err = profile.ParseEdition(o.edition); err != nil {
			return checkedDevice{}, badInput("--edition: %w", err)
		}
	}
	d.Provisioning = o.provisioning
	d.Shared = o.shared
	d.InstallQualityUpdates = o.installQualityUpdates
	if changed("enable-windows-restore") {
		d.EnableWindowsRestore = new(o.enableWindowsRestore)
	}
	if err := d.Validate(); err != nil {
		var fe *profile.FieldError
		if errors.As(err, &fe) {
			return checkedDevice{}, badInput("--%s: %s", fe.Field, fe.Msg)
		}
		return checkedDevice{}, badInput("%w", err)
	}
	// dsregcmd /status shows neither; without the flags, say so instead of assuming "no".
	var unknown []string
	if !changed("shared") {
		unknown = append(unknown, restore.FactShared)
	}
	if !changed("install-quality-updates") {
		unknown = append(unknown, restore.FactInstallQualityUpdates)
	}
	if !changed("enable-windows-restore") {
		unknown = append(unknown, restore.FactEnableWindowsRestore)
	}
	return checkedDevice{device: d, unknown: unknown, source: o.dsregcmd + " (dsregcmd /status)", tenantName: st.TenantName}, nil
}

// readInputFile reads a file named by a flag, refusing one too large to be what it claims,
// and anything that is not a regular file (a FIFO would block, a device never end).
func readInputFile(flag, path string) ([]byte, error) {
	data, err := inputfile.Read(path, profile.MaxProfileBytes)
	var tl *inputfile.TooLargeError
	switch {
	case errors.As(err, &tl):
		return nil, badInput("%s %s: larger than %d bytes, not a device profile or dsregcmd capture", flag, path, profile.MaxProfileBytes)
	case err != nil:
		return nil, badInput("%s: %w", flag, err)
	}
	return data, nil
}

// checkStyles colour the checklist on a terminal; the text is the same without them.
type checkStyles struct {
	passed, failed, notChecked, verdictOK, verdictBad lipgloss.Style
}

func newCheckStyles(styled bool) checkStyles {
	if !styled {
		plain := lipgloss.NewStyle()
		return checkStyles{plain, plain, plain, plain, plain}
	}
	return checkStyles{
		passed:     lipgloss.NewStyle().Foreground(lipgloss.Green),
		failed:     lipgloss.NewStyle().Foreground(lipgloss.Red).Bold(true),
		notChecked: lipgloss.NewStyle().Faint(true),
		verdictOK:  lipgloss.NewStyle().Foreground(lipgloss.Green).Bold(true),
		verdictBad: lipgloss.NewStyle().Foreground(lipgloss.Red).Bold(true),
	}
}

// notCheckedHints say what would let `oobe check` judge a rule it could not.
var notCheckedHints = map[string]string{
	restore.ReasonRestorePageOff:          "give --restore-page enabled, disabled or notConfigured",
	restore.ReasonEditionUnsupported:      "give --edition",
	restore.ReasonProvisioningUnsupported: "give --provisioning",
	restore.ReasonSovereignCloud:          "the capture names no sign-in URL",
}

// Column widths in runes: the state ("– not checked") and the rule name ("Show restore page").
const (
	stateWidth = 14
	ruleWidth  = 19
)

// firstSignInHints say what would let `oobe check` judge a first-sign-in rule it could not.
var firstSignInHints = map[string]string{
	restore.ReasonRestorePolicyOff:   "give --enable-windows-restore, or --enable-windows-restore=false",
	restore.ReasonRestoredInSetup:    "give --restored-in-setup or --declined-in-setup",
	restore.ReasonDeclinedInSetup:    "give --restored-in-setup or --declined-in-setup",
	restore.ReasonEditionUnsupported: "give --edition",
	restore.ReasonSovereignCloud:     "the capture names no sign-in URL",
	restore.ReasonWindowsTooOld:      "give --install-quality-updates, or --install-quality-updates=false",
}

// renderChecklist prints both moments: one line per rule (and the fix under each failing
// one), then each moment's verdict; for a hybrid joined PC setup refuses, how to restore at
// first sign-in instead.
func renderChecklist(w io.Writer, dev checkedDevice, e restore.Eligibility, f restore.FirstSignIn, styled bool) error {
	st := newCheckStyles(styled)
	var b strings.Builder
	fmt.Fprintf(&b, "Restore page check: %s\n", dev.source)
	fmt.Fprintf(&b, "Device: %s\n", describeDevice(dev))
	b.WriteString("\nDuring setup (OOBE):\n")
	writeChecks(&b, st, e.Checks, notCheckedHints)
	b.WriteString("\n")
	switch {
	case !e.Eligible:
		n := len(e.Reasons)
		fmt.Fprintf(&b, "%s %s fail%s: %s.\n", st.verdictBad.Render("Not eligible:"), plural(n, "rule"), verbS(n), reasonIDs(e.Reasons))
		fmt.Fprintf(&b, "Intune's restore report would show this device as %q.\n", e.Status)
	case e.Complete():
		fmt.Fprintf(&b, "%s the restore page shows. Intune then reports the user's choice (Succeeded, Failed or Setup as New PC Selected).\n", st.verdictOK.Render("Eligible:"))
	default:
		fmt.Fprintf(&b, "%s no checked rule fails. Not checked: %s.\n", st.verdictOK.Render("Eligible as far as checked:"), strings.Join(e.NotChecked(), ", "))
	}
	writeNotes(&b, e.Notes)

	b.WriteString("\nAt the user's first sign-in after enrollment:\n")
	writeChecks(&b, st, f.Checks, firstSignInHints)
	b.WriteString("\n")
	switch {
	case !f.Eligible:
		n := len(f.Reasons)
		fmt.Fprintf(&b, "%s %s fail%s: %s.\n", st.verdictBad.Render("First sign-in: not eligible:"), plural(n, "rule"), verbS(n), reasonIDs(f.Reasons))
	case f.Complete():
		fmt.Fprintf(&b, "%s the restore page shows at the user's first sign-in after enrollment.\n", st.verdictOK.Render("First sign-in: eligible:"))
	default:
		fmt.Fprintf(&b, "%s no checked rule fails. Not checked: %s.\n", st.verdictOK.Render("First sign-in: eligible as far as checked:"), strings.Join(f.NotChecked(), ", "))
	}
	writeNotes(&b, f.Notes)
	if hint := hybridHint(dev.device, e, f); hint != "" {
		b.WriteString("\n" + hint + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeChecks prints one line per check, with the fix under a failed one.
func writeChecks(b *strings.Builder, st checkStyles, checks []restore.Check, hints map[string]string) {
	indent := strings.Repeat(" ", 2+stateWidth+ruleWidth)
	for _, c := range checks {
		var label string
		var style lipgloss.Style
		switch c.State {
		case restore.CheckPassed:
			label, style = "✓ passed", st.passed
		case restore.CheckFailed:
			label, style = "✗ failed", st.failed
		default:
			label, style = "– not checked", st.notChecked
		}
		detail := c.Detail
		switch c.State {
		case restore.CheckFailed:
			detail += "  [" + c.ID + "]"
		case restore.CheckNotChecked:
			detail = strings.TrimPrefix(detail, "not checked: ") // the label says it already
			if h, ok := hints[c.ID]; ok {
				detail += " (" + h + ")"
			}
		}
		fmt.Fprintf(b, "  %s%-*s%s\n", style.Render(padRight(label, stateWidth)), ruleWidth, c.Rule, detail)
		if c.State == restore.CheckFailed {
			fmt.Fprintf(b, "%sfix: %s\n", indent, c.Fix)
		}
	}
}

func writeNotes(b *strings.Builder, notes []restore.Reason) {
	for _, n := range notes {
		fmt.Fprintf(b, "Note [%s]: %s\n  fix: %s\n", n.ID, n.Message, n.Fix)
	}
}

// hybridHint tells the admin of a hybrid joined PC that setup refuses that the user can
// restore at first sign-in instead, and how that is turned on (domain.md §7.1 [W]).
func hybridHint(d profile.DeviceProfile, e restore.Eligibility, f restore.FirstSignIn) string {
	if d.Join != profile.JoinHybrid || !slices.ContainsFunc(e.Reasons, func(r restore.Reason) bool { return r.ID == restore.ReasonNotEntraJoined }) {
		return ""
	}
	if f.Eligible {
		return "Hybrid joined: setup's restore page needs a Microsoft Entra joined device, but this Microsoft Entra hybrid joined PC restores at the user's first sign-in after enrollment instead (above)."
	}
	return `Hybrid joined: setup's restore page needs a Microsoft Entra joined device, but a Microsoft Entra hybrid joined PC can restore at the user's first sign-in after enrollment, on Windows 11 24H2 26100.7922+ or 25H2 26200.7922+. ` +
		`Turn it on with the device policy Enable Windows Restore: in Intune, a settings catalog profile "Windows Backup And Restore > Enable Windows Restore" set to Enabled (CSP ` + restore.CSPEnableWindowsRestore + `, default false), or Group Policy "Sync your settings > Enable Windows Restore". No need to rebuild the PC as Microsoft Entra joined.`
}

// describeDevice is the one-line summary of the device under the checklist title.
func describeDevice(dev checkedDevice) string {
	d := dev.device
	parts := []string{d.OS}
	if v, err := profile.ParseVersion(d.OS); err == nil {
		parts[0] = fmt.Sprintf("%s (%s)", v.Release(), d.OS)
	}
	add := func(v, unknown string) {
		if v == "" {
			v = unknown
		}
		parts = append(parts, v)
	}
	add(d.Edition, "edition not given")
	add(profile.JoinTitle(d.Join), "join type unknown")
	add(d.Provisioning, "provisioning not given")
	if d.Shared {
		parts = append(parts, "shared")
	}
	if d.CloudPC {
		parts = append(parts, "Windows 365 Cloud PC")
	}
	if d.Cloud != "" {
		parts = append(parts, d.Cloud+" cloud")
	}
	if d.Name != "" {
		parts = append(parts, d.Name)
	}
	line := strings.Join(parts, " · ")
	switch {
	case dev.tenantName != "" && d.TenantID != "":
		line += fmt.Sprintf(" · tenant %s (%s)", dev.tenantName, d.TenantID)
	case d.TenantID != "":
		line += " · tenant " + d.TenantID
	case dev.tenantName != "":
		line += " · tenant " + dev.tenantName
	}
	return line
}

// padRight pads s with spaces to n runes (the check marks are one column wide each).
func padRight(s string, n int) string {
	if l := len([]rune(s)); l < n {
		return s + strings.Repeat(" ", n-l)
	}
	return s
}

// verbS conjugates "fail" for the count: "1 rule fails", "2 rules fail".
func verbS(n int) string {
	if n == 1 {
		return "s"
	}
	return ""
}
