package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/internal/when"
	"github.com/oobe-dev/oobe/oobe/live"
	"github.com/oobe-dev/oobe/restore/graph"
	"github.com/oobe-dev/oobe/restore/profile"
)

// backupScopes are what listing and making backups need.
var backupScopes = live.BackupScopes()

// backupsReport is what `oobe backups --json` prints.
type backupsReport struct {
	User     string          `json:"user"`
	Profiles []profileReport `json:"profiles"`
}

type profileReport struct {
	profile.BackupProfile
	Release       string `json:"release,omitempty"`
	LastBackupAgo string `json:"lastBackupAgo"`
}

func newBackupsCmd(s streams) *cobra.Command {
	var o signinOptions
	cmd := &cobra.Command{
		Use:   "backups",
		Short: "Sign in and list your backups as the restore page will show them",
		Long: `Sign in and list the signed-in user's backup profiles the way the OOBE restore
page shows them: one per previous PC, newest backup first, with the device name,
the last backup time, the Windows version and what the backup contains.

The simulated tenant is used by default; with --authority and --client-id the
same code reads real Microsoft Graph (permission UserWindowsSettings.Read).
What Windows keeps opaque is shown as opaque, never guessed.`,
		Example: `# The demo user's previous PCs, approving the sign-in from the script:
oobe backups --user adele.vance@contoso.com --sim-approve

# A real tenant:
oobe backups --client-id <app-id> \
  --authority https://login.microsoftonline.com/<tenant-guid>`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.scopes = backupScopes
			return runBackups(cmd.Context(), s, o)
		},
	}
	addSigninFlags(cmd, &o)
	return cmd
}

func runBackups(ctx context.Context, s streams, o signinOptions) error {
	sess, err := openSession(ctx, s, o)
	if err != nil {
		return err
	}
	defer sess.close()
	_, profiles, err := sess.backupProfiles(ctx, s)
	if err != nil {
		return err
	}
	now := sess.clock.Now() // the simulated tenant's backups are dated from it too (openSession)
	rep := backupsReport{User: sess.result.Identity.UPN, Profiles: []profileReport{}}
	for _, p := range profiles {
		pr := profileReport{BackupProfile: p, LastBackupAgo: when.Ago(now, p.LastBackup)}
		if v, err := profile.ParseVersion(p.OSVersion); err == nil {
			pr.Release = v.Release()
		}
		rep.Profiles = append(rep.Profiles, pr)
	}
	if o.asJSON {
		enc := json.NewEncoder(s.out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return printBackups(s.out, rep)
}

// backupProfiles lists the signed-in user's previous PCs as the restore page does, telling the
// person about any the listing had to leave out; the Graph client is the caller's to go on with.
func (sess *session) backupProfiles(ctx context.Context, s streams) (*graph.Client, []profile.BackupProfile, error) {
	gc, err := graph.New(graph.Config{BaseURL: sess.graphURL, Token: sess.token, HTTPClient: sess.http, OnSkip: warnSkipped(s)})
	if err != nil {
		return nil, nil, err
	}
	profiles, err := gc.BackupProfiles(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("listing backups: %w", err)
	}
	return gc, profiles, nil
}

// warnSkipped tells the person about a previous PC the listing had to leave out.
func warnSkipped(s streams) func(graph.SkippedProfile) {
	return func(p graph.SkippedProfile) {
		fmt.Fprintf(s.errOut, "warning: a previous PC (%s) is left out: %s\n", p.WindowsDeviceID, p.Reason)
	}
}

func printBackups(w io.Writer, rep backupsReport) error {
	if len(rep.Profiles) == 0 {
		_, err := fmt.Fprintf(w, "No backups for %s: the restore page will not show, and Intune reports %q.\n", rep.User, backup.StatusNoBackups)
		return err
	}
	fmt.Fprintf(w, "Previous PCs for %s (%d)\n", rep.User, len(rep.Profiles))
	for _, p := range rep.Profiles {
		release := p.Release
		if release == "" {
			release = "Windows"
		}
		fmt.Fprintf(w, "\n  %s\n", p.DeviceName)
		fmt.Fprintf(w, "    %s (%s)\n", release, p.OSVersion)
		fmt.Fprintf(w, "    last backup %s (%s)\n", p.LastBackupAgo, when.Stamp(p.LastBackup))
		if !p.Expires.IsZero() {
			fmt.Fprintf(w, "    expirationDateTime %s (Graph's field: backups are kept while the account and device are active)\n", when.Date(p.Expires))
		}
		if p.Summary != nil {
			fmt.Fprintf(w, "    contains %s\n", describeContent(p.Summary))
		}
		if p.ContentError != "" {
			fmt.Fprintf(w, "    cannot be restored: %s\n", p.ContentError)
		}
		if len(p.Opaque) > 0 {
			fmt.Fprintf(w, "    opaque (kept by Windows): %s\n", strings.Join(p.Opaque, ", "))
		}
		if p.Summary == nil && len(p.Opaque) == 0 && p.ContentError == "" {
			fmt.Fprintln(w, "    contents not listed by Graph")
		}
	}
	return nil
}

// describeContent says what a backup holds in the Windows Backup app's words.
func describeContent(c *profile.ContentSummary) string {
	var parts []string
	var cats []string
	total := 0
	for _, cat := range settingCategories(c.Settings) {
		if n := c.Settings[cat]; n > 0 {
			cats = append(cats, fmt.Sprintf("%s %d", backup.CategoryTitle(cat), n))
			total += n
		}
	}
	if total > 0 {
		parts = append(parts, fmt.Sprintf("%s (%s)", plural(total, "setting"), strings.Join(cats, "; ")))
	}
	for _, x := range []struct {
		n    int
		what string
	}{{c.WiFi, "Wi-Fi network"}, {c.StoreApps, "Store app"}, {c.StartPins, "Start pin"}, {c.TaskbarPins, "taskbar pin"}} {
		if x.n > 0 {
			parts = append(parts, plural(x.n, x.what))
		}
	}
	if c.DeviceName {
		parts = append(parts, "the device name")
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

func plural(n int, what string) string { return when.Count(n, what) }

// settingCategories are the categories of a content summary in the order Windows shows them,
// then any others by name.
func settingCategories(counts map[string]int) []string {
	cats := slices.Clone(backup.Categories())
	var rest []string
	for cat := range counts {
		if !slices.Contains(cats, cat) {
			rest = append(rest, cat)
		}
	}
	sort.Strings(rest)
	return append(cats, rest...)
}
