package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/internal/when"
	"github.com/oobe-dev/oobe/oobe/live"
	"github.com/oobe-dev/oobe/restore"
	"github.com/oobe-dev/oobe/restore/apply"
	"github.com/oobe-dev/oobe/restore/device"
	"github.com/oobe-dev/oobe/restore/profile"
)

// restoreRun is what `oobe restore --json` prints.
type restoreRun struct {
	User        string                 `json:"user"`
	Eligibility restore.Eligibility    `json:"eligibility"`
	Status      string                 `json:"status"`
	From        *profile.BackupProfile `json:"from,omitempty"`
	Report      *apply.Report          `json:"report,omitempty"`
}

func newRestoreCmd(s streams) *cobra.Command {
	var (
		o     signinOptions
		dir   string
		from  string
		asNew bool
	)
	cmd := &cobra.Command{
		Use:   "restore",
		Short: "Sign in and restore one of your backups to a simulated device",
		Long: `The restore page, from the command line: sign in, decide whether this device
may show the restore page (every rule, as oobe check), list your previous PCs,
and apply the one you pick (--from; the newest by default) to the simulated
device — then report what was restored, skipped and failed, and why.
--new chooses "Set up as new PC" instead.

Applying is the simulator's own operation on a simulated device (Windows has no
public API for it); it reports the Intune status back to the simulated tenant.`,
		Example: `oobe device init new-pc
oobe restore --device new-pc --user adele.vance@contoso.com --sim-approve
oobe restore --device new-pc --from ADELE-LAPTOP --json --user adele.vance@contoso.com --sim-approve`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return badInput("--device DIR is required (create one with oobe device init)")
			}
			if asNew && from != "" {
				return badInput("--new and --from exclude each other")
			}
			o.scopes = live.GraphScopes() // the backups, and the restore flag when consented
			return runRestore(cmd.Context(), s, o, dir, from, asNew)
		},
	}
	cmd.Flags().StringVar(&dir, "device", "", "simulated device directory to restore to")
	cmd.Flags().StringVar(&from, "from", "", "previous PC to restore: its device name or windowsDeviceId (default: the newest backup)")
	cmd.Flags().BoolVar(&asNew, "new", false, `choose "Set up as new PC": restore nothing`)
	_ = cmd.MarkFlagDirname("device")
	addSigninFlags(cmd, &o)
	return cmd
}

func runRestore(ctx context.Context, s streams, o signinOptions, dir, from string, asNew bool) error {
	dev, err := device.Open(dir)
	if err != nil {
		return badInput("--device %s: %v", dir, err)
	}
	sess, err := openSession(ctx, s, o)
	if err != nil {
		return err
	}
	defer sess.close()
	gc, profiles, err := sess.backupProfiles(ctx, s)
	if err != nil {
		return err
	}
	in := restore.Input{Device: dev.State.Profile}
	n := len(profiles)
	in.Backups = &n
	// The device reads the flag itself at enrollment; a user token may not be allowed to.
	if cfg, err := gc.RestoreConfiguration(ctx); err == nil {
		in.RestorePage = &cfg.State
	} else {
		fmt.Fprintf(s.errOut, "note: the tenant's \"Show restore page\" flag is not checked (%v)\n", err)
	}
	elig, err := restore.Evaluate(in)
	if err != nil {
		return badInput("device %s: %v", dir, err)
	}
	run := restoreRun{User: sess.result.Identity.UPN, Eligibility: elig, Status: elig.Status}
	report := func(source string) {
		if !sess.simulated {
			return // real Intune learns this from the device itself
		}
		res := backup.RestoreResult{WindowsDeviceID: dev.State.Profile.DeviceID, SourceWindowsDeviceID: source, Status: run.Status, ReportedDateTime: sess.clock.Now().UTC()}
		if run.Report != nil {
			res = run.Report.Result(dev.State.Profile.DeviceID, source, res.ReportedDateTime)
		}
		if err := gc.ReportRestore(ctx, res); err != nil {
			fmt.Fprintf(s.errOut, "warning: the restore result did not reach the tenant: %v\n", err)
		}
	}

	switch {
	case !elig.Eligible:
		report("")
		if err := printRestore(s, o.asJSON, run); err != nil {
			return err
		}
		return &exitError{code: 1, err: fmt.Errorf("the restore page would not show on %s (%s)", dir, reasonIDs(elig.Reasons))}
	case asNew:
		run.Status = backup.StatusSetupAsNew
		report("")
		return printRestore(s, o.asJSON, run)
	}

	chosen, err := pickProfile(profiles, from)
	if err != nil {
		return err
	}
	run.From = chosen
	if chosen.ContentError != "" {
		return fmt.Errorf("the backup of %s cannot be restored: %s", chosen.DeviceName, chosen.ContentError)
	}
	if chosen.Content == nil {
		return fmt.Errorf("the backup of %s keeps its content opaque (%s): only the simulator's own backups can be applied", chosen.DeviceName, strings.Join(chosen.Opaque, ", "))
	}
	owner := backup.Owner{TenantID: sess.result.Identity.TenantID, ObjectID: sess.result.Identity.ObjectID}
	rep, err := apply.ApplyContent(ctx, dir, chosen.Content, owner)
	if err != nil {
		run.Status = backup.StatusFailed
		report(chosen.WindowsDeviceID)
		return fmt.Errorf("restoring %s to %s: %w", chosen.DeviceName, dir, err)
	}
	run.Report = rep
	run.Status = backup.StatusSucceeded
	report(chosen.WindowsDeviceID)
	return printRestore(s, o.asJSON, run)
}

func pickProfile(profiles []profile.BackupProfile, from string) (*profile.BackupProfile, error) {
	if len(profiles) == 0 {
		return nil, errors.New("no backups to restore")
	}
	if from == "" {
		return &profiles[0], nil // newest first
	}
	var names []string
	for i, p := range profiles {
		if strings.EqualFold(p.DeviceName, from) || strings.EqualFold(p.WindowsDeviceID, from) {
			return &profiles[i], nil
		}
		names = append(names, p.DeviceName)
	}
	return nil, badInput("--from %q: no backup from that PC (have: %s)", from, strings.Join(names, ", "))
}

func reasonIDs(rs []restore.Reason) string {
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return strings.Join(ids, ", ")
}

func printRestore(s streams, asJSON bool, run restoreRun) error {
	if asJSON {
		enc := json.NewEncoder(s.out)
		enc.SetIndent("", "  ")
		return enc.Encode(run)
	}
	w := s.out
	if !run.Eligibility.Eligible {
		fmt.Fprintf(w, "The restore page would not show for %s:\n", run.User)
		for _, r := range run.Eligibility.Reasons {
			fmt.Fprintf(w, "  ✗ %s [%s]\n    fix: %s\n", r.Message, r.ID, r.Fix)
		}
		_, err := fmt.Fprintf(w, "Intune reports: %s\n", run.Status)
		return err
	}
	for _, n := range run.Eligibility.Notes {
		fmt.Fprintf(w, "note: %s [%s]\n", n.Message, n.ID)
	}
	if run.Report == nil {
		_, err := fmt.Fprintf(w, "Set up as a new PC: nothing restored. Intune reports: %s\n", run.Status)
		return err
	}
	return printReport(w, run)
}

func printReport(w io.Writer, run restoreRun) error {
	r := run.Report
	fmt.Fprintf(w, "Restored from %s (%s) for %s\n", run.From.DeviceName, run.From.OSVersion, run.User)
	c := r.Counts
	fmt.Fprintf(w, "  %s applied, %d already set, %d kept by policy, %d not supported here, %d not restorable, %d failed\n",
		when.Count(c.Applied, "item"), c.AlreadySet, c.KeptByPolicy, c.NotSupported, c.NotRestorable, c.Failed)
	for _, o := range []struct {
		outcome apply.Outcome
		words   string
	}{{apply.KeptByPolicy, "Kept by policy"}, {apply.NotSupported, "Not supported here"}, {apply.NotRestorable, "Not restorable"}, {apply.Failed, "Failed"}} {
		for _, it := range r.Items {
			if it.Outcome == o.outcome {
				fmt.Fprintf(w, "  %s: %s — %s\n", o.words, apply.ItemLabel(it), it.Reason)
			}
		}
	}
	_, err := fmt.Fprintf(w, "Intune reports: %s\n", run.Status)
	return err
}
