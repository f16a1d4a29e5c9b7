package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/restore/graph"
	"github.com/oobe-dev/oobe/restore/profile"
	"github.com/oobe-dev/oobe/tenant"
)

// The admin's audit and clean-up of a user's Windows backups, on Graph beta's
// /users/{user-id}@{tenant-id}/settings/windows (domain.md §7.4 [G]).

// Scopes of the admin commands: reading needs UserWindowsSettings.Read.All, deleting
// UserWindowsSettings.ReadWrite.All; both need the Microsoft 365 Backup Administrator role.
var (
	adminReadScopes   = append(auth.DefaultScopes(), "UserWindowsSettings.Read.All")
	adminDeleteScopes = append(auth.DefaultScopes(), "UserWindowsSettings.ReadWrite.All")
)

// adminOptions are an admin backups command's: who signs in (the sign-in flags, with --as for
// the admin's UPN) and whose backups (--user).
type adminOptions struct {
	signin signinOptions
	as     string
	target string
	device string
	yes    bool
}

const adminUserHelp = `--user is the user's object id (a GUID): Graph's admin routes name users by
object id, and the simulated tenant serves no user lookup by UPN (GET
/v1.0/users/{upn}), so a UPN is refused. Find the object id in the Entra admin
center (Users > the user > Object ID) or with Get-MgUser -UserId <upn>.`

func newAdminCmd(s streams) *cobra.Command {
	admin := &cobra.Command{
		Use:   "admin",
		Short: "Admin tasks on the tenant: audit and delete users' Windows backups",
		Args:  cobra.NoArgs,
	}
	backups := &cobra.Command{
		Use:   "backups",
		Short: "List, show and delete a user's Windows backups as a Microsoft 365 Backup Administrator",
		Long: `Read and delete another user's Windows backups with Graph's beta admin API,
/users/{user-id}@{tenant-id}/settings/windows. The signed-in admin needs the
Microsoft 365 Backup Administrator role (a Global Administrator alone is
refused with 403) and, for the app signed in with, UserWindowsSettings.Read.All
(list, show) or UserWindowsSettings.ReadWrite.All (delete) consented. The
tenant is the admin's own.

The simulated tenant is used by default (its admin@contoso.com has the role);
with --authority and --client-id the same code reads real Microsoft Graph.

` + adminUserHelp,
		Args: cobra.NoArgs,
	}
	backups.AddCommand(newAdminBackupsListCmd(s), newAdminBackupsShowCmd(s), newAdminBackupsDeleteCmd(s))
	admin.AddCommand(backups)
	return admin
}

// addAdminFlags adds the sign-in flags, with the admin's UPN as --as, and --user for the
// user whose backups the command reads or deletes.
func addAdminFlags(cmd *cobra.Command, o *adminOptions) {
	addSigninFlags(cmd, &o.signin)
	// The sign-in flags' --user is the one who signs in; here it names whose backups, and the
	// admin who signs in is --as (moved over in prepare).
	cmd.Flags().Lookup("user").Usage = "object id of the user whose backups to read or delete (required)"
	cmd.Flags().StringVar(&o.as, "as", "", "the admin who signs in, by UPN (login hint and token cache key; with --sim-approve, the user approved)")
	cmd.Flags().Lookup("sim-approve").Usage = "simulated tenant: approve the device code as --as with its fixture password (for scripts)"
}

// prepare checks the flags and returns the user to name, or a bad-input error.
func (o *adminOptions) prepare(scopes []string) error {
	o.target, o.signin.user = strings.TrimSpace(o.signin.user), o.as
	o.signin.scopes = scopes
	switch {
	case o.target == "":
		return badInput("--user is required: the object id of the user whose backups to read or delete")
	case strings.Contains(o.target, "@"):
		return badInput("--user %q looks like a UPN; give the user's object id (a GUID).\n%s", o.target, adminUserHelp)
	case !tenant.IsGUID(o.target):
		return badInput("--user %q is not an object id (a GUID like 6f162abf-414f-4b42-bd2a-7ff532bb3859)", o.target)
	case o.device != "" && !tenant.IsGUID(backup.DeviceIDOf(o.device)):
		return badInput("--device %q is not a windowsDeviceId (a GUID, as `oobe admin backups list` shows)", o.device)
	}
	o.target = strings.ToLower(o.target)
	o.device = strings.ToLower(backup.DeviceIDOf(o.device))
	return nil
}

func newAdminBackupsListCmd(s streams) *cobra.Command {
	var o adminOptions
	cmd := &cobra.Command{
		Use:   "list --user OBJECT-ID",
		Short: "List a user's previous PCs: what their backups are and when they were made",
		Long: `List the user's previous PCs as their device profiles describe them, newest
backup first: name, windowsDeviceId, Windows version, last backup, how long it is
kept and how many settings it has. Payloads are not read.

` + adminUserHelp,
		Example: `# The demo admin audits Adele's backups on the simulated tenant:
oobe admin backups list --user 6f162abf-414f-4b42-bd2a-7ff532bb3859 --as admin@contoso.com --sim-approve`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.prepare(adminReadScopes); err != nil {
				return err
			}
			return runAdminList(cmd.Context(), s, o)
		},
	}
	addAdminFlags(cmd, &o)
	return cmd
}

func newAdminBackupsShowCmd(s streams) *cobra.Command {
	var o adminOptions
	cmd := &cobra.Command{
		Use:   "show --user OBJECT-ID [--device ID]",
		Short: "Show every Windows setting of a user, or of one of their devices",
		Long: `Show the user's Windows settings (backup and roaming) with their instances:
ids, payload types, when each was made, changed and is kept until. With
--device, only that previous PC's backup and its device profile.

` + adminUserHelp,
		Example: `oobe admin backups show --user 6f162abf-414f-4b42-bd2a-7ff532bb3859 --device 70e96ac3-82bc-4671-9519-894e7d8ed3c5 --as admin@contoso.com --sim-approve`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.prepare(adminReadScopes); err != nil {
				return err
			}
			return runAdminShow(cmd.Context(), s, o)
		},
	}
	addAdminFlags(cmd, &o)
	cmd.Flags().StringVar(&o.device, "device", "", "windowsDeviceId of one previous PC (as list shows it)")
	return cmd
}

func newAdminBackupsDeleteCmd(s streams) *cobra.Command {
	var o adminOptions
	cmd := &cobra.Command{
		Use:   "delete --user OBJECT-ID [--yes]",
		Short: "Delete every Windows backup of a user (all devices; cannot be undone)",
		Long: `Delete every Windows setting of the user: the backups of all their previous PCs
and their roaming settings. Graph has no per-device delete and no undo; the
user's next new PC shows no restore page until a PC backs up again.

On a terminal it asks first; --yes skips the question. Without a terminal to
ask on it refuses unless --yes is given (exit 2, nothing deleted).

` + adminUserHelp,
		Example: `oobe admin backups delete --user 6f162abf-414f-4b42-bd2a-7ff532bb3859 --as admin@contoso.com --sim-approve --yes`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.prepare(adminDeleteScopes); err != nil {
				return err
			}
			if !o.yes && !stdinIsTerminal(s.in) {
				return badInput("refusing to delete %s's backups without --yes: standard input is not a terminal to ask on", o.target)
			}
			return runAdminDelete(cmd.Context(), s, o)
		},
	}
	addAdminFlags(cmd, &o)
	cmd.Flags().BoolVar(&o.yes, "yes", false, "delete without asking")
	return cmd
}

// stdinIsTerminal reports whether the command can ask its question on r; a variable so tests
// can stand in for a terminal.
var stdinIsTerminal = func(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(f.Fd()) // a terminal, not merely a character device: /dev/null is one
}

// adminSession signs the admin in and returns a Graph client and the user named in the
// admin's tenant.
func adminSession(ctx context.Context, s streams, o adminOptions) (*session, *graph.Client, graph.UserRef, error) {
	sess, err := openSession(ctx, s, o.signin)
	if err != nil {
		return nil, nil, graph.UserRef{}, err
	}
	gc, err := graph.New(graph.Config{BaseURL: sess.graphURL, Token: sess.token, HTTPClient: sess.http})
	if err != nil {
		sess.close()
		return nil, nil, graph.UserRef{}, err
	}
	return sess, gc, graph.UserRef{ObjectID: o.target, TenantID: sess.result.Identity.TenantID}, nil
}

// explainAdminError says what a refusal means for the admin.
func explainAdminError(what string, u graph.UserRef, admin string, err error) error {
	var gerr *graph.Error
	if !errors.As(err, &gerr) {
		return fmt.Errorf("%s: %w", what, err)
	}
	switch gerr.Status {
	case http.StatusForbidden:
		return fmt.Errorf("%s: Graph refused %s (HTTP 403 %s: %s).\n"+
			"Reading or deleting another user's Windows backups needs the Microsoft 365 Backup Administrator role "+
			"(a Global Administrator alone is refused) and, for the app, UserWindowsSettings.Read.All to read or "+
			"UserWindowsSettings.ReadWrite.All to delete, consented by an admin. Assign the role in the Entra admin "+
			"center (Roles and administrators > Microsoft 365 Backup Administrator) and sign in again",
			what, admin, gerr.Code, gerr.Message)
	case http.StatusNotFound:
		return fmt.Errorf("%s: tenant %s has no user with object id %s (HTTP 404 %s)", what, u.TenantID, u.ObjectID, gerr.Code)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// adminDevice is a previous PC as `oobe admin backups list --json` prints it.
type adminDevice struct {
	profile.BackupProfile
	Release  string `json:"release,omitempty"`
	Settings int    `json:"settings"`
}

// adminListReport is what `oobe admin backups list --json` prints.
type adminListReport struct {
	User     string                 `json:"user"`
	Tenant   string                 `json:"tenant"`
	Devices  []adminDevice          `json:"devices"`
	Settings int                    `json:"settings"`
	Skipped  []graph.SkippedProfile `json:"skipped,omitempty"`
}

func runAdminList(ctx context.Context, s streams, o adminOptions) error {
	sess, gc, u, err := adminSession(ctx, s, o)
	if err != nil {
		return err
	}
	defer sess.close()
	ub, err := gc.UserBackups(ctx, u)
	if err != nil {
		return explainAdminError("listing "+u.ObjectID+"'s backups", u, sess.result.Identity.UPN, err)
	}
	rep := adminListReport{User: u.ObjectID, Tenant: u.TenantID, Devices: []adminDevice{}, Settings: len(ub.Settings), Skipped: ub.Skipped}
	for _, d := range ub.Devices {
		ad := adminDevice{BackupProfile: d, Settings: ub.SettingsByDevice[d.WindowsDeviceID]}
		if v, err := profile.ParseVersion(d.OSVersion); err == nil {
			ad.Release = v.Release()
		}
		rep.Devices = append(rep.Devices, ad)
	}
	if o.signin.asJSON {
		return writeIndentedJSON(s.out, rep)
	}
	w := s.out
	if len(rep.Devices) == 0 {
		_, err := fmt.Fprintf(w, "User %s has no Windows backups in tenant %s (%d settings).\n", rep.User, rep.Tenant, rep.Settings)
		return err
	}
	fmt.Fprintf(w, "Windows backups of %s in tenant %s: %s, %s\n", rep.User, rep.Tenant, plural(len(rep.Devices), "previous PC"), plural(rep.Settings, "setting"))
	for _, d := range rep.Devices {
		release := d.Release
		if release == "" {
			release = "Windows"
		}
		fmt.Fprintf(w, "\n  %s  (windowsDeviceId %s)\n", d.DeviceName, d.WindowsDeviceID)
		fmt.Fprintf(w, "    %s (%s)\n", release, d.OSVersion)
		fmt.Fprintf(w, "    last backup %s\n", d.LastBackup.UTC().Format("2 Jan 2006 15:04 UTC"))
		if !d.Expires.IsZero() {
			fmt.Fprintf(w, "    kept until %s\n", d.Expires.UTC().Format("2 Jan 2006"))
		}
		fmt.Fprintf(w, "    %s besides its device profile\n", plural(d.Settings, "setting"))
	}
	for _, sk := range rep.Skipped {
		fmt.Fprintf(s.errOut, "warning: a device profile (%s) cannot be read: %s\n", sk.WindowsDeviceID, sk.Reason)
	}
	return nil
}

// adminInstance is a setting instance as show prints it: its times and size, not its payload.
type adminInstance struct {
	ID           string    `json:"id"`
	Created      time.Time `json:"createdDateTime"`
	LastModified time.Time `json:"lastModifiedDateTime"`
	Expires      time.Time `json:"expirationDateTime"`
	PayloadBytes int       `json:"payloadBytes"`
}

type adminSetting struct {
	ID              string          `json:"id"`
	SettingType     string          `json:"settingType"`
	PayloadType     string          `json:"payloadType"`
	WindowsDeviceID string          `json:"windowsDeviceId,omitempty"`
	Instances       []adminInstance `json:"instances"`
}

// adminShowReport is what `oobe admin backups show --json` prints.
type adminShowReport struct {
	User     string         `json:"user"`
	Tenant   string         `json:"tenant"`
	Device   *adminDevice   `json:"device,omitempty"`
	Settings []adminSetting `json:"settings"`
}

func runAdminShow(ctx context.Context, s streams, o adminOptions) error {
	sess, gc, u, err := adminSession(ctx, s, o)
	if err != nil {
		return err
	}
	defer sess.close()
	what := "reading " + u.ObjectID + "'s Windows settings"
	rep := adminShowReport{User: u.ObjectID, Tenant: u.TenantID, Settings: []adminSetting{}}
	filter := ""
	if o.device != "" {
		ub, err := gc.UserBackups(ctx, u)
		if err != nil {
			return explainAdminError(what, u, sess.result.Identity.UPN, err)
		}
		for _, d := range ub.Devices {
			if d.WindowsDeviceID == o.device {
				rep.Device = &adminDevice{BackupProfile: d, Settings: ub.SettingsByDevice[d.WindowsDeviceID]}
				if v, err := profile.ParseVersion(d.OSVersion); err == nil {
					rep.Device.Release = v.Release()
				}
			}
		}
		filter = "windowsDeviceId eq '" + o.device + "'"
	}
	settings, err := gc.UserWindowsSettings(ctx, u, filter, graph.DefaultPageSize)
	if err != nil {
		return explainAdminError(what, u, sess.result.Identity.UPN, err)
	}
	if o.device != "" && rep.Device == nil && len(settings) == 0 {
		return fmt.Errorf("user %s has no backup of device %s", u.ObjectID, o.device)
	}
	for _, st := range settings {
		as := adminSetting{ID: st.ID, SettingType: st.SettingType, PayloadType: st.PayloadType, WindowsDeviceID: st.WindowsDeviceID, Instances: []adminInstance{}}
		for _, in := range st.Instances {
			as.Instances = append(as.Instances, adminInstance{ID: in.ID, Created: in.CreatedDateTime, LastModified: in.LastModifiedDateTime,
				Expires: in.ExpirationDateTime, PayloadBytes: len(in.Payload)})
		}
		rep.Settings = append(rep.Settings, as)
	}
	if o.signin.asJSON {
		return writeIndentedJSON(s.out, rep)
	}
	w := s.out
	if rep.Device != nil {
		d := rep.Device
		fmt.Fprintf(w, "%s (windowsDeviceId %s) of %s\n  %s (%s), last backup %s\n\n", d.DeviceName, d.WindowsDeviceID, rep.User,
			orWindows(d.Release), d.OSVersion, d.LastBackup.UTC().Format("2 Jan 2006 15:04 UTC"))
	} else if o.device == "" {
		fmt.Fprintf(w, "Windows settings of %s in tenant %s (%d)\n\n", rep.User, rep.Tenant, len(rep.Settings))
	}
	if len(rep.Settings) == 0 {
		_, err := fmt.Fprintln(w, "No settings.")
		return err
	}
	for _, st := range rep.Settings {
		fmt.Fprintf(w, "  %s  %s\n", st.SettingType, st.PayloadType)
		fmt.Fprintf(w, "    id %s\n", st.ID)
		for _, in := range st.Instances {
			fmt.Fprintf(w, "    instance %s: changed %s, kept until %s, %d bytes\n", in.ID,
				in.LastModified.UTC().Format("2 Jan 2006 15:04 UTC"), in.Expires.UTC().Format("2 Jan 2006"), in.PayloadBytes)
		}
	}
	return nil
}

func orWindows(release string) string {
	if release == "" {
		return "Windows"
	}
	return release
}

// adminDeleteReport is what `oobe admin backups delete --json` prints.
type adminDeleteReport struct {
	User    string `json:"user"`
	Tenant  string `json:"tenant"`
	Deleted bool   `json:"deleted"`
}

func runAdminDelete(ctx context.Context, s streams, o adminOptions) error {
	sess, gc, u, err := adminSession(ctx, s, o)
	if err != nil {
		return err
	}
	defer sess.close()
	if !o.yes {
		fmt.Fprintf(s.errOut, "Delete every Windows backup of %s? This cannot be undone. (yes/no) ", u.ObjectID)
		answer, _ := bufio.NewReader(s.in).ReadString('\n')
		if !strings.EqualFold(strings.TrimSpace(answer), "yes") {
			fmt.Fprintln(s.errOut, "Nothing deleted.")
			return &exitError{code: 1, err: errQuiet}
		}
	}
	if err := gc.DeleteUserWindowsSettings(ctx, u); err != nil {
		return explainAdminError("deleting "+u.ObjectID+"'s backups", u, sess.result.Identity.UPN, err)
	}
	rep := adminDeleteReport{User: u.ObjectID, Tenant: u.TenantID, Deleted: true}
	if o.signin.asJSON {
		return writeIndentedJSON(s.out, rep)
	}
	_, err = fmt.Fprintf(s.out, "Deleted every Windows backup of %s in tenant %s: their next new PC shows no restore page until a PC backs up again.\n", rep.User, rep.Tenant)
	return err
}

func writeIndentedJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
