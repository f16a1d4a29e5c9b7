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
// A UPN in --user is looked up first, which needs adminLookupScope too.
var (
	adminReadScopes   = append(auth.DefaultScopes(), "UserWindowsSettings.Read.All")
	adminDeleteScopes = append(auth.DefaultScopes(), "UserWindowsSettings.ReadWrite.All")
)

// adminLookupScope is the least privileged delegated permission that reads another user
// (Graph's user-get); User.Read reads only the signed-in admin.
const adminLookupScope = "User.ReadBasic.All"

// adminOptions are an admin backups command's: who signs in (the sign-in flags, with --as for
// the admin's UPN) and whose backups (--user).
type adminOptions struct {
	signin signinOptions
	as     string
	target string // the object id, once known
	upn    string // the UPN --user gave, to look up
	device string
	yes    bool
}

const adminUserHelp = `--user is the user's UPN (adele.vance@contoso.com) or object id (a GUID).
Graph's admin routes name users by object id, so a UPN is first looked up with
GET /v1.0/users/{upn}, which needs User.ReadBasic.All (or User.Read.All)
consented for the app as well; an object id is used as it is, without that
permission. Only users of the admin's own tenant are found.`

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
	cmd.Flags().Lookup("user").Usage = "UPN or object id of the user whose backups to read or delete (required)"
	cmd.Flags().StringVar(&o.as, "as", "", "the admin who signs in, by UPN (login hint and token cache key; with --sim-approve, the user approved)")
	cmd.Flags().Lookup("sim-approve").Usage = "simulated tenant: approve the device code as --as with its fixture password (for scripts)"
}

// prepare checks the flags and says whom to name: an object id as it is, or a UPN to look up
// once signed in (with adminLookupScope added to scopes). Mistakes are bad input.
func (o *adminOptions) prepare(scopes []string) error {
	user := strings.TrimSpace(o.signin.user)
	o.signin.user = o.as
	o.signin.scopes = scopes
	switch {
	case user == "":
		return badInput("--user is required: the UPN or object id of the user whose backups to read or delete")
	case tenant.IsGUID(user):
		o.target = strings.ToLower(user)
	case isUPN(user):
		o.upn = user
		o.signin.scopes = append(append([]string{}, scopes...), adminLookupScope)
	case strings.Contains(user, "@"):
		return badInput("--user %q is not a UPN: want name@domain, like adele.vance@contoso.com", user)
	default:
		return badInput("--user %q is neither a UPN (like adele.vance@contoso.com) nor an object id (a GUID like 6f162abf-414f-4b42-bd2a-7ff532bb3859)", user)
	}
	if o.device != "" && !tenant.IsGUID(backup.DeviceIDOf(o.device)) {
		return badInput("--device %q is not a windowsDeviceId (a GUID, as `oobe admin backups list` shows)", o.device)
	}
	o.device = strings.ToLower(backup.DeviceIDOf(o.device))
	return nil
}

// isUPN reports whether s has a UPN's shape, name@domain: one '@' with something either side,
// no spaces or slashes (a guest's name#EXT#@domain is one).
func isUPN(s string) bool {
	name, domain, ok := strings.Cut(s, "@")
	return ok && name != "" && domain != "" && !strings.Contains(domain, "@") && !strings.ContainsAny(s, " \t/\\?")
}

func newAdminBackupsListCmd(s streams) *cobra.Command {
	var o adminOptions
	cmd := &cobra.Command{
		Use:   "list --user UPN|OBJECT-ID",
		Short: "List a user's previous PCs: what their backups are and when they were made",
		Long: `List the user's previous PCs as their device profiles describe them, newest
backup first: name, windowsDeviceId, Windows version, last backup, Graph's
expirationDateTime (a field, not when the backup goes: backups are kept while
the account and device are active) and how many settings it has. Payloads are
not read.

` + adminUserHelp,
		Example: `# The demo admin audits Adele's backups on the simulated tenant:
oobe admin backups list --user adele.vance@contoso.com --as admin@contoso.com --sim-approve
# The same user by object id (no user lookup, no User.ReadBasic.All):
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
		Use:   "show --user UPN|OBJECT-ID [--device ID]",
		Short: "Show every Windows setting of a user, or of one of their devices",
		Long: `Show the user's Windows settings (backup and roaming) with their instances:
ids, payload types, when each was made, changed and is kept until. With
--device, only that previous PC's backup and its device profile.

` + adminUserHelp,
		Example: `oobe admin backups show --user adele.vance@contoso.com --device 70e96ac3-82bc-4671-9519-894e7d8ed3c5 --as admin@contoso.com --sim-approve`,
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
		Use:   "delete --user UPN|OBJECT-ID [--yes]",
		Short: "Delete every Windows backup of a user (all devices; cannot be undone)",
		Long: `Delete every Windows setting of the user: the backups of all their previous PCs
and their roaming settings. Graph has no per-device delete and no undo; the
user's next new PC shows no restore page until a PC backs up again.

On a terminal it asks first; --yes skips the question. Without a terminal to
ask on it refuses unless --yes is given (exit 2, nothing deleted).

` + adminUserHelp,
		Example: `oobe admin backups delete --user adele.vance@contoso.com --as admin@contoso.com --sim-approve --yes`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.prepare(adminDeleteScopes); err != nil {
				return err
			}
			if !o.yes && !stdinIsTerminal(s.in) {
				return badInput("refusing to delete %s's backups without --yes: standard input is not a terminal to ask on", o.named())
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

// named is the user as --user named them, for messages before the sign-in.
func (o adminOptions) named() string {
	if o.upn != "" {
		return o.upn
	}
	return o.target
}

// adminTarget is the user an admin command acts on: the object id and tenant the admin routes
// name, and the UPN when --user gave one.
type adminTarget struct {
	graph.UserRef
	UPN string
}

// label names the user in the commands' text: the UPN with the object id, when it is known.
func (t adminTarget) label() string {
	if t.UPN != "" {
		return t.UPN + " (" + t.ObjectID + ")"
	}
	return t.ObjectID
}

// adminSession signs the admin in and returns a Graph client and the user named in the
// admin's tenant, a UPN looked up to the object id the admin routes want.
func adminSession(ctx context.Context, s streams, o adminOptions) (*session, *graph.Client, adminTarget, error) {
	sess, err := openSession(ctx, s, o.signin)
	if err != nil {
		return nil, nil, adminTarget{}, err
	}
	gc, err := graph.New(graph.Config{BaseURL: sess.graphURL, Token: sess.token, HTTPClient: sess.http})
	if err != nil {
		sess.close()
		return nil, nil, adminTarget{}, err
	}
	u := adminTarget{UserRef: graph.UserRef{ObjectID: o.target, TenantID: sess.result.Identity.TenantID}}
	if o.upn != "" {
		found, err := gc.User(ctx, o.upn)
		if err != nil {
			sess.close()
			return nil, nil, adminTarget{}, explainLookupError(o.upn, u.TenantID, err)
		}
		u.ObjectID, u.UPN = strings.ToLower(found.ID), found.UserPrincipalName
	}
	return sess, gc, u, nil
}

// explainLookupError says why a UPN given in --user could not be turned into an object id.
func explainLookupError(upn, tid string, err error) error {
	var gerr *graph.Error
	if !errors.As(err, &gerr) {
		return fmt.Errorf("--user %s: looking the user up: %w", upn, err)
	}
	switch gerr.Status {
	case http.StatusNotFound:
		return fmt.Errorf("--user %s: no such user in tenant %s (Graph: HTTP 404 %s); check the UPN, which must be a user of the admin's own tenant",
			upn, tid, gerr.Code)
	case http.StatusForbidden:
		return fmt.Errorf("--user %s: Graph refused to look the user up (HTTP 403 %s: %s).\n"+
			"Looking a UPN up needs %s (or User.Read.All) consented for the app signed in with; consent it, "+
			"or give the user's object id (Entra admin center: Users > the user > Object ID) instead",
			upn, gerr.Code, gerr.Message, adminLookupScope)
	}
	return fmt.Errorf("--user %s: looking the user up: %w", upn, err)
}

// explainAdminError says what a refusal means for the admin.
func explainAdminError(what string, u adminTarget, admin string, err error) error {
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
	UPN      string                 `json:"userPrincipalName,omitempty"`
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
	ub, err := gc.UserBackups(ctx, u.UserRef)
	if err != nil {
		return explainAdminError("listing "+u.label()+"'s backups", u, sess.result.Identity.UPN, err)
	}
	rep := adminListReport{User: u.ObjectID, UPN: u.UPN, Tenant: u.TenantID, Devices: []adminDevice{}, Settings: len(ub.Settings), Skipped: ub.Skipped}
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
		_, err := fmt.Fprintf(w, "User %s has no Windows backups in tenant %s (%d settings).\n", u.label(), rep.Tenant, rep.Settings)
		return err
	}
	fmt.Fprintf(w, "Windows backups of %s in tenant %s: %s, %s\n", u.label(), rep.Tenant, plural(len(rep.Devices), "previous PC"), plural(rep.Settings, "setting"))
	for _, d := range rep.Devices {
		release := d.Release
		if release == "" {
			release = "Windows"
		}
		fmt.Fprintf(w, "\n  %s  (windowsDeviceId %s)\n", d.DeviceName, d.WindowsDeviceID)
		fmt.Fprintf(w, "    %s (%s)\n", release, d.OSVersion)
		fmt.Fprintf(w, "    last backup %s\n", d.LastBackup.UTC().Format("2 Jan 2006 15:04 UTC"))
		if !d.Expires.IsZero() {
			fmt.Fprintf(w, "    expirationDateTime %s (Graph's field: backups are kept while the account and device are active)\n", d.Expires.UTC().Format("2 Jan 2006"))
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
	UPN      string         `json:"userPrincipalName,omitempty"`
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
	what := "reading " + u.label() + "'s Windows settings"
	rep := adminShowReport{User: u.ObjectID, UPN: u.UPN, Tenant: u.TenantID, Settings: []adminSetting{}}
	filter := ""
	if o.device != "" {
		ub, err := gc.UserBackups(ctx, u.UserRef)
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
	settings, err := gc.UserWindowsSettings(ctx, u.UserRef, filter, graph.DefaultPageSize)
	if err != nil {
		return explainAdminError(what, u, sess.result.Identity.UPN, err)
	}
	if o.device != "" && rep.Device == nil && len(settings) == 0 {
		return fmt.Errorf("user %s has no backup of device %s", u.label(), o.device)
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
		fmt.Fprintf(w, "%s (windowsDeviceId %s) of %s\n  %s (%s), last backup %s\n\n", d.DeviceName, d.WindowsDeviceID, u.label(),
			orWindows(d.Release), d.OSVersion, d.LastBackup.UTC().Format("2 Jan 2006 15:04 UTC"))
	} else if o.device == "" {
		fmt.Fprintf(w, "Windows settings of %s in tenant %s (%d)\n\n", u.label(), rep.Tenant, len(rep.Settings))
	}
	if len(rep.Settings) == 0 {
		_, err := fmt.Fprintln(w, "No settings.")
		return err
	}
	for _, st := range rep.Settings {
		fmt.Fprintf(w, "  %s  %s\n", st.SettingType, st.PayloadType)
		fmt.Fprintf(w, "    id %s\n", st.ID)
		for _, in := range st.Instances {
			fmt.Fprintf(w, "    instance %s: changed %s, expirationDateTime %s, %d bytes\n", in.ID,
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
	UPN     string `json:"userPrincipalName,omitempty"`
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
		fmt.Fprintf(s.errOut, "Delete every Windows backup of %s? This cannot be undone. (yes/no) ", u.label())
		answer, _ := bufio.NewReader(s.in).ReadString('\n')
		if !strings.EqualFold(strings.TrimSpace(answer), "yes") {
			fmt.Fprintln(s.errOut, "Nothing deleted.")
			return &exitError{code: 1, err: errQuiet}
		}
	}
	if err := gc.DeleteUserWindowsSettings(ctx, u.UserRef); err != nil {
		return explainAdminError("deleting "+u.label()+"'s backups", u, sess.result.Identity.UPN, err)
	}
	rep := adminDeleteReport{User: u.ObjectID, UPN: u.UPN, Tenant: u.TenantID, Deleted: true}
	if o.signin.asJSON {
		return writeIndentedJSON(s.out, rep)
	}
	_, err = fmt.Fprintf(s.out, "Deleted every Windows backup of %s in tenant %s: their next new PC shows no restore page until a PC backs up again.\n", u.label(), rep.Tenant)
	return err
}

func writeIndentedJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
