package tenant

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Consent, directory roles and Graph's permission checks. An app registration declares the
// delegated permissions consented for it (App.Permissions); a token carries what was asked for
// and consented (scp) and the user's directory roles (wids); each Graph route names the
// permissions and roles it needs, from Microsoft's permission tables (docs/permissions.md).

// graphResourceKey is how a fixture names Microsoft Graph in App.Permissions.
const graphResourceKey = "graph"

// defaultConsent is what Entra consents for a new app registration: Graph's User.Read.
var defaultConsent = map[string][]string{graphAppID: {"User.Read"}}

// resourceOf names the resource a fixture's permissions key means: Graph's app id for "graph",
// "https://graph.microsoft.com" or Graph's app id, or a restore app's id. ok is false otherwise.
func resourceOf(key string) (string, bool) {
	switch k := strings.ToLower(strings.TrimRight(key, "/")); k {
	case graphResourceKey, graphResourceURI, graphAppID:
		return graphAppID, true
	default:
		return restoreResource(k)
	}
}

// consentSet is an app's consented delegated permissions: by resource, by lower-case name, the
// permission's own spelling.
type consentSet map[string]map[string]string

// newConsentSet reads App.Permissions (nil: Entra's default for a new registration). The
// fixture parser has checked the keys and names; a Tenant built in Go is checked here too.
func newConsentSet(perms map[string][]string) (consentSet, error) {
	if perms == nil {
		perms = defaultConsent
	}
	return readConsent("permissions", perms)
}

// newAppConsentSet reads App.ApplicationPermissions (nil: none).
func newAppConsentSet(perms map[string][]string) (consentSet, error) {
	return readConsent("applicationPermissions", perms)
}

func readConsent(field string, perms map[string][]string) (consentSet, error) {
	cs := consentSet{}
	for key, names := range perms {
		res, ok := resourceOf(key)
		if !ok {
			return nil, fmt.Errorf("%s: resource %q is not graph or one of the restore apps (%s, %s)", field, key, RestoreAppID, RestoreBackupsAppID)
		}
		if cs[res] == nil {
			cs[res] = map[string]string{}
		}
		for _, n := range names {
			if err := checkPermissionName(res, n); err != nil {
				return nil, fmt.Errorf("%s.%s: %w", field, key, err)
			}
			cs[res][strings.ToLower(n)] = n
		}
	}
	return cs, nil
}

// checkPermissionName refuses a name that is not a delegated permission of the resource.
func checkPermissionName(resource, name string) error {
	if !scopeNameRE.MatchString(name) || name == ".default" {
		return fmt.Errorf("%q is not a permission name like User.Read", name)
	}
	if resource != graphAppID && !strings.EqualFold(name, restoreAppPermission) {
		return fmt.Errorf("%q is not a permission of %s: it has only %s", name, resource, restoreAppPermission)
	}
	return nil
}

// names returns the resource's consented permissions in a stable order.
func (cs consentSet) names(resource string) []string {
	var out []string
	for _, n := range cs[resource] {
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return out
}

// resolve turns a requested scope into the granted one: ".default" becomes the resource's
// consented permissions, and a named permission must be consented, in Entra's spelling.
// Anything not consented is AADSTS65001, which Entra answers when an app asks for what neither
// the user nor an admin consented to (the simulator has no consent prompt).
func (cs consentSet) resolve(sc scopeSet, app *App) (scopeSet, *entraError) {
	granted := cs[sc.audience()]
	out := sc
	out.graph, out.spelt = nil, nil
	if sc.wantDefault {
		out.graph = cs.names(sc.audience())
		if len(out.graph) == 0 {
			return sc, errConsentRequired(app, sc.audience())
		}
		return out, nil
	}
	for i, p := range sc.graph {
		name, ok := granted[strings.ToLower(p)]
		if !ok && sc.oidcOnly {
			continue // a sign-in alone asks for nothing that needs consent
		}
		if !ok {
			return sc, errConsentRequired(app, sc.audience())
		}
		out.graph = append(out.graph, name)
		if i < len(sc.spelt) {
			out.spelt = append(out.spelt, sc.spelt[i])
		}
	}
	return out, nil
}

// errConsentRequired is AADSTS65001 on the token endpoint: invalid_grant with the suberror
// consent_required, as Entra answers a grant for a permission nobody consented to.
func errConsentRequired(app *App, resource string) *entraError {
	return &entraError{Err: "invalid_grant", Code: 65001, Suberror: "consent_required", Desc: fmt.Sprintf(
		"The user or administrator has not consented to use the application with ID '%s' named '%s'. Send an interactive authorization request for this user and resource. (The simulator grants only the permissions the app registration's fixture lists under permissions: for %s.)",
		strings.ToLower(app.ClientID), app.Name, resource)}
}

// Directory roles, by template id: the ids Entra puts in the wids claim.
const (
	roleGlobalAdministrator = "62e90394-69f5-4237-9190-012177145e10"
	roleIntuneAdministrator = "3a2c62db-5318-420d-8d74-23affee5d9d5"
	roleBackupAdministrator = "1707125e-0aa2-4d4d-8655-a7c786c76a25" // Microsoft 365 Backup Administrator
	// roleDefaultUser is the member user role Entra lists in every member's wids.
	roleDefaultUser = "b79fbf4d-3ef9-4689-8143-76b194e85509"
)

// directoryRoles are the role names a fixture's users may hold (User.Roles).
var directoryRoles = map[string]string{
	"Global Administrator":               roleGlobalAdministrator,
	"Intune Administrator":               roleIntuneAdministrator,
	"Microsoft 365 Backup Administrator": roleBackupAdministrator,
}

// DirectoryRoleNames lists the role names a fixture may give a user.
func DirectoryRoleNames() []string {
	out := make([]string, 0, len(directoryRoles))
	for n := range directoryRoles {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// roleIDs is the user's wids claim: the default user role, then the roles the fixture gives, in
// template-id order. Admin: true is shorthand for Intune Administrator and Microsoft 365
// Backup Administrator, the two roles the restore feature's admin tasks need.
func roleIDs(u *User) []string {
	ids := []string{}
	add := func(id string) {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	for _, r := range u.Roles {
		if id, ok := directoryRoles[r]; ok {
			add(id)
		}
	}
	if u.Admin {
		add(roleIntuneAdministrator)
		add(roleBackupAdministrator)
	}
	slices.Sort(ids)
	return append([]string{roleDefaultUser}, ids...)
}

// graphNeed is what a Graph route asks of a token: for a user's token, one of the delegated
// permissions (scp) and, when roles is not empty, one of those directory roles (wids); for an
// app's own token (client credentials), one of the application permissions (roles claim). A
// route with no application permissions takes users' tokens only.
type graphNeed struct {
	scopes   []string
	roles    []string
	appRoles []string
}

// Graph's permission tables, least privileged first (Microsoft Graph reference: user-get,
// organization-get, device-list, usersettings-list-windows, windowssetting-get,
// windowssetting-delete, deviceenrollmentconfiguration-list/update, user-revokesigninsessions,
// user-changepassword). The simulator's own endpoints take any token of the user.
var (
	needUserRead = graphNeed{scopes: []string{"User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All",
		"User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}}
	// Reading a user other than the signed-in one (user-get): User.Read and User.ReadWrite read
	// the signed-in user only, and User.ReadBasic.All is not among the application permissions.
	needUserReadAll = graphNeed{scopes: []string{"User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All",
		"Directory.Read.All", "Directory.ReadWrite.All"},
		appRoles: []string{"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}}
	needOrganizationRead = graphNeed{scopes: []string{"User.Read", "Organization.Read.All", "Directory.Read.All",
		"Organization.ReadWrite.All", "Directory.ReadWrite.All"},
		appRoles: []string{"Organization.Read.All", "Directory.Read.All", "Organization.ReadWrite.All", "Directory.ReadWrite.All"}}
	needDeviceRead = graphNeed{scopes: []string{"Device.Read.All", "Directory.Read.All", "Directory.ReadWrite.All"},
		appRoles: []string{"Device.Read.All", "Directory.Read.All", "Device.ReadWrite.All", "Directory.ReadWrite.All"}}
	// The userinfo endpoint is OIDC's: it answers any token that was asked for with openid.
	needOpenID              = graphNeed{scopes: []string{"openid"}}
	needOwnWindowsSettings  = graphNeed{scopes: []string{"UserWindowsSettings.Read", "UserWindowsSettings.Read.All", "UserWindowsSettings.ReadWrite.All"}}
	needUsersSettingsRead   = graphNeed{scopes: []string{"UserWindowsSettings.Read.All", "UserWindowsSettings.ReadWrite.All"}, roles: []string{roleBackupAdministrator}}
	needUsersSettingsDelete = graphNeed{scopes: []string{"UserWindowsSettings.ReadWrite.All"}, roles: []string{roleBackupAdministrator}}
	needEnrollmentRead      = graphNeed{scopes: enrollmentRead, appRoles: enrollmentRead}
	needEnrollmentWrite     = graphNeed{scopes: enrollmentWrite, roles: []string{roleIntuneAdministrator, roleGlobalAdministrator}, appRoles: enrollmentWrite}
	needRevokeOwnSessions   = graphNeed{scopes: revokeSessions}
	needRevokeSessions      = graphNeed{scopes: revokeSessions, roles: []string{roleGlobalAdministrator}, appRoles: revokeSessions}
	needChangePassword      = graphNeed{scopes: []string{"Directory.AccessAsUser.All"}}
	// The simulator's own endpoints: the device's backups and restore results take any token of
	// the user; Intune's restore report is for an Intune administrator.
	needAnyUserToken  = graphNeed{}
	needRestoreReport = graphNeed{roles: []string{roleIntuneAdministrator, roleGlobalAdministrator}}
)

var (
	enrollmentRead  = []string{"DeviceManagementServiceConfig.Read.All", "DeviceManagementServiceConfig.ReadWrite.All"}
	enrollmentWrite = []string{"DeviceManagementServiceConfig.ReadWrite.All"}
	revokeSessions  = []string{"User.RevokeSessions.All", "User.ReadWrite.All", "Directory.ReadWrite.All"}
)

// allows reports whether the token may use a route that needs n: a user's token when its scp
// holds one of the permissions (any, when none is named) and its wids one of the roles; an
// app's token when its roles hold one of the application permissions.
func (p *principal) allows(n graphNeed) bool {
	if p.user == nil {
		return len(n.appRoles) > 0 && holdsAny(p.claims.Roles, n.appRoles)
	}
	if len(n.scopes) > 0 && !holdsAny(strings.Fields(p.claims.Scp), n.scopes) {
		return false
	}
	return len(n.roles) == 0 || slices.ContainsFunc(p.claims.Wids, func(id string) bool { return slices.Contains(n.roles, id) })
}

// holdsAny reports whether have has one of want, compared as Entra compares permission names.
func holdsAny(have, want []string) bool {
	return slices.ContainsFunc(have, func(s string) bool {
		return slices.ContainsFunc(want, func(w string) bool { return strings.EqualFold(s, w) })
	})
}

// refuse answers Graph's 403 for a token that lacks the route's permission or role, naming what
// would do.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, p *principal, n graphNeed) {
	if p.user == nil {
		if strings.HasSuffix(r.URL.Path, "/me") || strings.Contains(r.URL.Path, "/me/") {
			s.writeGraphError(w, r, http.StatusBadRequest, "BadRequest", "/me request is only valid with delegated authentication flow.")
			return
		}
		if len(n.appRoles) == 0 {
			s.writeGraphError(w, r, http.StatusForbidden, "Authorization_RequestDenied",
				"Insufficient privileges to complete the operation. This API takes delegated (user) tokens only; an app's own token has no application permission for it.")
			return
		}
		s.writeGraphError(w, r, http.StatusForbidden, "Authorization_RequestDenied",
			"Insufficient privileges to complete the operation. The app's token has none of the application permissions "+strings.Join(n.appRoles, ", ")+" in its roles.")
		return
	}
	if len(n.scopes) > 0 && !holdsAny(strings.Fields(p.claims.Scp), n.scopes) {
		s.writeGraphError(w, r, http.StatusForbidden, "Authorization_RequestDenied",
			"Insufficient privileges to complete the operation. The token's scp ("+clip(p.claims.Scp, 200)+") has none of "+strings.Join(n.scopes, ", ")+".")
		return
	}
	names := make([]string, 0, len(n.roles))
	for name, id := range directoryRoles {
		if slices.Contains(n.roles, id) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	s.writeGraphError(w, r, http.StatusForbidden, "Authorization_RequestDenied",
		"Insufficient privileges to complete the operation. The signed-in user needs the "+strings.Join(names, " or ")+" role.")
}

// servicePrincipalID is the object id of an app's service principal in a tenant: the oid and
// sub of the app's own tokens, stable per tenant and app.
func servicePrincipalID(tid, clientID string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(tid) + "/servicePrincipal/" + strings.ToLower(clientID)))
	return formatGUID(sum[:16])
}
