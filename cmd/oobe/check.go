package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
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
	asJSON                bool
}

func newCheckCmd(s streams) *cobra.Command {
	var o checkOptions
	cmd := &cobra.Command{
		Use:   "check (--device FILE | --dsregcmd FILE --os VERSION [--edition E]) [--restore-page STATE] [--json]",
		Short: "Say whether a device gets the restore page during setup, and why not",
		Long: `Check a device against every rule of the Windows Backup for Organizations
restore page and print a checklist: each rule passed, failed or not checked,
with the reason and what an admin can do about it. Every failing rule is
listed, not only the first.

The device is a device profile file (--device, see docs/devices.md), or a
'dsregcmd /status' capture from the device (--dsregcmd) plus its Windows
version (--os, as 'winver' or 'ver' shows it: 10.0.<build>.<update>).
dsregcmd tells the join type, tenant and cloud; it does not tell the edition
or how the device is set up, so without --edition and --provisioning those
rules are not checked.

The tenant's "Show restore page" setting is checked only when --restore-page
says what it is. The user's backups and Conditional Access need the user's
sign-in, so they are always reported as not checked here.

Exit status: 0 when no checked rule fails (eligible as far as checked),
1 when a rule fails, 2 for bad input (unknown field or value, malformed
version, unreadable file).`,
		Example: `# A device profile, with the tenant setting:
oobe check --device fixtures/devices/hybrid-windows10.yaml --restore-page enabled

# A dsregcmd /status capture saved on the device, plus its version:
oobe check --dsregcmd status.txt --os 10.0.22631.4317 --edition Enterprise

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
	f.BoolVar(&o.asJSON, "json", false, `print {"eligible","status","reasons","notes","checks"} as one JSON object`)
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
	if o.asJSON {
		if err := json.NewEncoder(s.out).Encode(e); err != nil {
			return err
		}
	} else {
		cw := colorprofile.NewWriter(s.out, os.Environ())
		if err := renderChecklist(cw, dev, e, cw.Profile > colorprofile.NoTTY); err != nil {
			return err
		}
	}
	if !e.Eligible {
		ids := make([]string, 0, len(e.Reasons))
		for _, r := range e.Reasons {
			ids = append(ids, r.ID)
		}
		return &exitError{code: 1, err: fmt.Errorf("not eligible: the restore page would not show (%s)", strings.Join(ids, ", "))}
	}
	return nil
}

// loadCheckedDevice builds the device from --device, or from --dsregcmd and the flags that
// say what dsregcmd cannot.
func loadCheckedDevice(o checkOptions, changed func(string) bool) (checkedDevice, error) {
	dsregOnly := []string{"os", "edition", "provisioning", "shared", "install-quality-updates"}
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

// renderChecklist prints one line per rule (and the fix under each failing one), then the verdict.
func renderChecklist(w io.Writer, dev checkedDevice, e restore.Eligibility, styled bool) error {
	st := newCheckStyles(styled)
	var b strings.Builder
	fmt.Fprintf(&b, "Restore page check: %s\n", dev.source)
	fmt.Fprintf(&b, "Device: %s\n", describeDevice(dev))
	b.WriteString("\n")
	indent := strings.Repeat(" ", 2+stateWidth+ruleWidth)
	for _, c := range e.Checks {
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
			if h, ok := notCheckedHints[c.ID]; ok {
				detail += " (" + h + ")"
			}
		}
		fmt.Fprintf(&b, "  %s%-*s%s\n", style.Render(padRight(label, stateWidth)), ruleWidth, c.Rule, detail)
		if c.State == restore.CheckFailed {
			fmt.Fprintf(&b, "%sfix: %s\n", indent, c.Fix)
		}
	}
	b.WriteString("\n")
	switch {
	case !e.Eligible:
		ids := make([]string, 0, len(e.Reasons))
		for _, r := range e.Reasons {
			ids = append(ids, r.ID)
		}
		fmt.Fprintf(&b, "%s %s fail%s: %s.\n", st.verdictBad.Render("Not eligible:"), plural(len(ids), "rule"), verbS(len(ids)), strings.Join(ids, ", "))
		fmt.Fprintf(&b, "Intune's restore report would show this device as %q.\n", e.Status)
	case e.Complete():
		fmt.Fprintf(&b, "%s the restore page shows. Intune then reports the user's choice (Succeeded, Failed or Setup as New PC Selected).\n", st.verdictOK.Render("Eligible:"))
	default:
		fmt.Fprintf(&b, "%s no checked rule fails. Not checked: %s.\n", st.verdictOK.Render("Eligible as far as checked:"), strings.Join(e.NotChecked(), ", "))
	}
	for _, n := range e.Notes {
		fmt.Fprintf(&b, "Note [%s]: %s\n  fix: %s\n", n.ID, n.Message, n.Fix)
	}
	_, err := io.WriteString(w, b.String())
	return err
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
